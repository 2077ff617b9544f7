package org.pkvm4j.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Boots a fresh pKVM device before each test and releases it after.
 *
 * <p>On a test class it applies to every test method; on a method it replaces the class's for that
 * method. The test and its {@code @BeforeEach}/{@code @AfterEach} methods may declare parameters of
 * the types {@link org.pkvm4j.host.HostKernel}, {@link org.pkvm4j.machine.Machine}, {@link
 * org.pkvm4j.machine.HostMemory} (the host's view of DRAM, through its stage 2), {@link
 * org.pkvm4j.host.BootReport}, {@link org.pkvm4j.host.log.KernelLog} and {@link PkvmDevice}, and,
 * with {@link Module}, {@link ModuleHvcs}, {@link org.pkvm4j.api.el1.Pkvm} and {@link
 * org.pkvm4j.host.loader.LoadedModule}.
 *
 * <p>Every string attribute may use {@code ${name}} placeholders, replaced by the system property
 * {@code name} (a test fails with a message naming the property if it is unset): a module author's
 * POM passes the module file it just built as {@code -Dpkvm4j.module.file=target/<name>.jar}.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(PkvmExtension.class)
public @interface PkvmBoot {
    /**
     * The kernel command line. Empty (the default): {@code kvm-arm.mode=protected}, {@code
     * kvm-arm.protected_modules=} listing the {@link #modules()} in order, {@link #nrCpus()} and
     * {@link #mem()}. A given command line is used as written, with {@code nr_cpus=} and {@code mem=}
     * added from the attributes when it has none.
     */
    String cmdline() default "";

    /**
     * Module files to put into the initramfs, each under its modinfo name ({@code <name>.jar}, as
     * modprobe looks it up): paths, usually {@code "${pkvm4j.module.file}"}.
     */
    String[] modules() default {};

    /**
     * A directory whose module files are copied into the device's initramfs too (listed on the
     * default command line only if also named in {@link #modules()}); empty for none.
     */
    String initramfs() default "";

    /** {@code nr_cpus=}. */
    int nrCpus() default 2;

    /** {@code mem=}: DRAM is committed lazily, so a large value costs only the pages touched. */
    String mem() default "256M";

    /**
     * The hypervisor image; empty (the default) for the system property {@value
     * org.pkvm4j.host.BootConfig#HYPERVISOR_PROPERTY}.
     */
    String hypervisor() default "";
}
