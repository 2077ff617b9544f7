/**
 * Testing vendor modules on a booted device, the way Pax Exam tests OSGi bundles.
 *
 * <pre>{@code
 * @PkvmBoot(modules = "${pkvm4j.module.file}")
 * class KvStoreIT {
 *     @Test
 *     void putThenGet(HostKernel kernel, @Module("kvstore") ModuleHvcs kvstore) {
 *         assertThat(kernel).isProtected().hasModule("kvstore").deprivileged();
 *         assertEquals(0, kvstore.call(0, 7, 42));
 *     }
 * }
 * }</pre>
 *
 * <p>Each test gets its own device: a fresh machine, hypervisor layer and initramfs, released
 * after the test. Failed assertions quote the part of {@code dmesg} that explains them. {@link
 * org.pkvm4j.testkit.InjectFault} makes a module fail in that boot, for boot-order tests.
 */
package org.pkvm4j.testkit;
