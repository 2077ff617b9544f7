package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.kmi.Kmi;

/**
 * KMI generations (ADR 0016): a device boots one KMI; a module built for another is refused as the
 * kernel refuses a module built for another kernel, and one using a member its KMI lacks is refused
 * naming it.
 */
class KmiGenerationsIT {
    private static final String MODINFO = "META-INF/pkvm/modinfo.properties";

    private static HostKernel boot(Kmi kmi, Path moduleFile, String module) {
        Path initramfs = Devices.newInitramfs();
        Devices.addFile(initramfs, moduleFile);
        return HostKernel.boot(BootConfig.of("kvm-arm.mode=protected kvm-arm.protected_modules=" + module + " nr_cpus=4",
                initramfs).withKmi(kmi));
    }

    private static Path bundled(String name) {
        return Path.of(System.getProperty("pkvm4j.it.initramfs")).resolve(name + ".jar");
    }

    /** The bundled module {@code name} with its modinfo's {@code kmi=} line replaced by {@code kmiLine} (none if empty). */
    private static Path withKmi(String name, String kmiLine) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(Files.readAllBytes(bundled(name))))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                entries.put(e.getName(), in.readAllBytes());
            }
        }
        String modinfo = new String(entries.get(MODINFO), StandardCharsets.UTF_8).replaceAll("(?m)^kmi=.*\\n", "");
        entries.put(MODINFO, (modinfo + kmiLine).getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream zip = new JarOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new JarEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        Path dir = Files.createDirectories(FixtureModules.workDir().resolve("kmi-" + name + "-" + kmiLine.strip().replace('=', '-')));
        return Files.write(dir.resolve(name + ".jar"), out.toByteArray());
    }

    private static SecurityState.Insecure refused(HostKernel kernel, Errno errno, ErrorCode code) {
        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals(errno, insecure.errno(), insecure.reason());
        assertEquals(code, insecure.code(), insecure.reason());
        assertTrue(kernel.lsmod().isEmpty());
        return insecure;
    }

    /** Scenario: percpu_counter (kvm_cpu_context handlers) boots on android14-5.15 and counts per CPU. */
    @Test
    void percpuCounterBootsOnAndroid14515() throws IOException {
        for (Path file : new Path[] {bundled("percpu_counter"), withKmi("percpu_counter", "kmi=android14-5.15\n")}) {
            HostKernel kernel = boot(Kmi.ANDROID14_5_15, file, "percpu_counter");
            assertInstanceOf(SecurityState.Protected.class, kernel.securityState(), kernel.securityState()::toString);
            assertEquals(Kmi.ANDROID14_5_15, kernel.cmdline().kmi());
            assertEquals(202, kernel.ioctl("percpu_counter", MiscDevice.IOCTL_SELFTEST, 0));
            assertEquals(100, kernel.ioctl("percpu_counter", 3, 0), "the sum of the selftest's increments");
        }
    }

    /** Scenario: a module recording android14-5.15 on the default android16-6.12 device: vermagic, ENOEXEC. */
    @Test
    void moduleBuiltForAnotherKmiIsRefused() throws IOException {
        HostKernel kernel = boot(Kmi.ANDROID16_6_12, withKmi("percpu_counter", "kmi=android14-5.15\n"), "percpu_counter");
        String reason = refused(kernel, Errno.ENOEXEC, ErrorCode.LOAD_KMI_MISMATCH).reason();
        assertTrue(reason.contains("percpu_counter: KMI 'android14-5.15' should be 'android16-6.12'"), reason);

        HostKernel old = boot(Kmi.ANDROID14_5_15, bundled("kvstore"), "kvstore");
        String other = refused(old, Errno.ENOEXEC, ErrorCode.LOAD_KMI_MISMATCH).reason();
        assertTrue(other.contains("kvstore: KMI 'android16-6.12' should be 'android14-5.15'"), other);
    }

    /** Scenario: a module using a member its device's KMI has only in another shape is refused, naming member and KMI. */
    @Test
    void memberTheKmiLacksIsRefusedNamingIt() throws IOException {
        HostKernel kernel = boot(Kmi.ANDROID14_5_15, withKmi("page_guard", ""), "page_guard");
        String reason = refused(kernel, Errno.ENOENT, ErrorCode.LOAD_KMI_MEMBER).reason();
        assertTrue(reason.contains("Unknown symbol org.pkvm4j.api.el2.ModuleOps.") && reason.contains("KMI android14-5.15"), reason);

        HostKernel recorded = boot(Kmi.ANDROID14_5_15, withKmi("page_guard", "kmi=android14-5.15\n"), "page_guard");
        String handlers = refused(recorded, Errno.ENOEXEC, ErrorCode.LOAD_KMI_MEMBER).reason();
        assertTrue(handlers.contains("its EL2 handlers take user_pt_regs, but KMI android14-5.15's dyn_hcall_t takes kvm_cpu_context"),
                handlers);
    }

    /** Scenario: the bundled modules record android16-6.12 and load on the default device as before. */
    @Test
    void bundledModulesRecordTheDefaultKmi() throws IOException {
        for (String name : new String[] {"kvstore", "page_guard", "pkvm_driver", "secure_buffer", "pl011_console", "hello_el1"}) {
            Map<String, byte[]> entries = new LinkedHashMap<>();
            try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(Files.readAllBytes(bundled(name))))) {
                for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                    entries.put(e.getName(), in.readAllBytes());
                }
            }
            String modinfo = new String(entries.get(MODINFO), StandardCharsets.UTF_8);
            assertTrue(modinfo.contains("kmi=android16-6.12\n"), name + ": " + modinfo);
        }
        HostKernel kernel = Devices.bootBundled("kvstore", "percpu_counter");
        assertInstanceOf(SecurityState.Protected.class, kernel.securityState());
        assertEquals(Kmi.ANDROID16_6_12, kernel.cmdline().kmi());
    }
}
