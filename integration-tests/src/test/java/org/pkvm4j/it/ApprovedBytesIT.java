package org.pkvm4j.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.cli.Main;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * The loader defines only the class bytes its checks approved (docs/adr/0008): module files
 * assembled by hand, as an attacker would, are refused before any class is defined, with the
 * entry named; the boot goes on to its security report and {@code pkvm verify} exits 1 with the
 * same message, never a stack trace.
 */
class ApprovedBytesIT {
    private static final String HYP_JAR = "META-INF/pkvm/hyp.jar";

    /** {@code kvstore}'s module file with {@code extra} added to its hyp.jar, written into {@code initramfs}. */
    private static Path kvstoreWith(Path initramfs, String entry, byte[] bytes) {
        Path bundled = Path.of(System.getProperty("pkvm4j.it.initramfs")).resolve("kvstore.jar");
        try {
            Map<String, byte[]> el1 = unzip(Files.readAllBytes(bundled));
            Map<String, byte[]> hyp = unzip(el1.get(HYP_JAR));
            hyp.put(entry, bytes);
            el1.put(HYP_JAR, zip(hyp));
            return Files.write(initramfs.resolve("kvstore.jar"), zip(el1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, byte[]> unzip(byte[] jar) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (!e.isDirectory()) {
                    entries.put(e.getName(), in.readAllBytes());
                }
            }
        }
        return entries;
    }

    private static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                jar.putNextEntry(new JarEntry(e.getKey()));
                jar.write(e.getValue());
                jar.closeEntry();
            }
        }
        return out.toByteArray();
    }

    /** Boots pkvm_driver then the doctored kvstore, and checks the device stayed whole. */
    private static SecurityState.Insecure bootRefused(Path initramfs, Errno errno, ErrorCode code) {
        Devices.addBundled(initramfs, "pkvm_driver");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,kvstore", initramfs);
        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals("kvstore", insecure.module());
        assertEquals(errno, insecure.errno());
        assertEquals(code, insecure.code(), insecure.reason());
        assertEquals(List.of("pkvm_driver"), kernel.lsmod().stream().map(LoadedModule::name).toList());
        assertTrue(kernel.bootReport().deprivileged());
        assertEquals(1, kernel.ioctl("pkvm_driver", 0, 0), "the module loaded before it still works");
        assertEquals(0, kernel.machine().moduleRam().placedCount(), "no EL2 image left behind");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            System.gc();
            assertFalse(kernel.liveVendorLayers().stream().anyMatch(l -> l.startsWith("acme.kvstore")),
                    kernel.liveVendorLayers().toString());
        });
        return insecure;
    }

    private record Run(int code, String out, String err) {
    }

    private static Run verify(Path file) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "verify", file.toString());
        return new Run(code, out.toString(), err.toString());
    }

    /**
     * Scenario: hyp.jar carries a decoy whose this_class is java/lang/System under an unrelated
     * path: refused ENOEXEC naming the entry, at boot and by pkvm verify.
     */
    @Test
    void aDecoyClassFileIsRefusedNamingTheEntry() {
        Path initramfs = Devices.newInitramfs();
        Path file = kvstoreWith(initramfs, "acme/kvstore/hyp/Util.class", ClassFile.of().build(ClassDesc.of("java.lang.System"),
                cb -> cb.withSuperclass(ConstantDescs.CD_Object)));
        String expected = "kvstore.jar!/META-INF/pkvm/hyp.jar!/acme/kvstore/hyp/Util.class declares class java/lang/System";
        SecurityState.Insecure insecure = bootRefused(initramfs, Errno.ENOEXEC, ErrorCode.LOAD_BAD_ENTRY);
        assertTrue(insecure.reason().contains(expected), insecure.reason());
        Run r = verify(file);
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains(expected) && r.out().contains("[PKVM-LOAD-BAD-ENTRY]"), r.out());
        assertFalse((r.out() + r.err()).contains("\tat "), "no stack trace: " + r);
    }

    /** Scenario: a 2-byte class file in hyp.jar: ENOEXEC, and the boot goes on to its security report. */
    @Test
    void aTwoByteClassFileIsRefusedAndTheBootReportsIt() {
        Path initramfs = Devices.newInitramfs();
        Path file = kvstoreWith(initramfs, "acme/kvstore/hyp/Broken.class", new byte[] {(byte) 0xCA, (byte) 0xFE});
        SecurityState.Insecure insecure = bootRefused(initramfs, Errno.ENOEXEC, ErrorCode.LOAD_BAD_CLASS);
        assertTrue(insecure.reason().contains("hyp.jar!/acme/kvstore/hyp/Broken.class is not a valid class file"),
                insecure.reason());
        Run r = verify(file);
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("Broken.class is not a valid class file") && r.out().contains("[PKVM-LOAD-BAD-CLASS]"), r.out());
        assertFalse((r.out() + r.err()).contains("\tat "), "no stack trace: " + r);
    }

    /** Scenario: a multi-release variant in hyp.jar: the loader would never pick it, so it is refused. */
    @Test
    void aMultiReleaseVariantIsRefused() {
        Path initramfs = Devices.newInitramfs();
        kvstoreWith(initramfs, "META-INF/versions/21/acme/kvstore/hyp/KvStoreHyp.class",
                ClassFile.of().build(ClassDesc.of("acme.kvstore.hyp.KvStoreHyp"), cb -> cb.withSuperclass(ConstantDescs.CD_Object)));
        SecurityState.Insecure insecure = bootRefused(initramfs, Errno.ENOEXEC, ErrorCode.LOAD_BAD_ENTRY);
        assertTrue(insecure.reason().contains("META-INF/versions/21/acme/kvstore/hyp/KvStoreHyp.class is a multi-release variant"),
                insecure.reason());
    }

    /** Scenario: an EL2 package in org.pkvm4j.*: EPERM before any class is defined. */
    @Test
    void anEl2PackageInOrgPkvm4jIsRefused() {
        Path initramfs = Devices.newInitramfs();
        String name = Devices.addFixture(initramfs, "reserved-package");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=" + name, initramfs);
        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals(Errno.EPERM, insecure.errno());
        assertEquals(ErrorCode.LOAD_RESERVED_NAME, insecure.code());
        assertTrue(insecure.reason().contains("EL2 module fixture.reserved_package.hyp has package org.pkvm4j.hypervisor.module"),
                insecure.reason());
        assertTrue(kernel.liveVendorLayers().isEmpty(), kernel.liveVendorLayers().toString());
        assertFalse(kernel.log().lines().stream().anyMatch(l -> l.contains("not the hypervisor's")), "its EL2 init never ran");
    }

    /** Scenario: an EL1 module named org.pkvm4j.host: EPERM, and its EL2 part never runs. */
    @Test
    void anEl1ModuleNamedOrgPkvm4jHostIsRefused() {
        Path initramfs = Devices.newInitramfs();
        String name = Devices.addFixture(initramfs, "reserved-module");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=" + name, initramfs);
        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals(Errno.EPERM, insecure.errno());
        assertEquals(ErrorCode.LOAD_RESERVED_NAME, insecure.code());
        assertTrue(insecure.reason().contains("EL1 module org.pkvm4j.host is named a reserved name"), insecure.reason());
        assertFalse(kernel.log().lines().stream().anyMatch(l -> l.contains("reserved_module: EL2 init ran")));
        assertTrue(kernel.liveVendorLayers().isEmpty(), kernel.liveVendorLayers().toString());
    }
}
