package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;

/**
 * Modules built against other versions of the API: they load when they fit the running one and
 * are refused before any class is defined, with the kernel's words, when they do not.
 */
class AbiCompatIT {
    private static final Path RUNNING_API = FixtureModules.runningApi();

    private static HostKernel bootWith(Path moduleFile, String module) {
        Path initramfs = Devices.newInitramfs();
        Devices.addFile(initramfs, moduleFile);
        return Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=" + module, initramfs);
    }

    private static SecurityState.Insecure refused(HostKernel kernel, Errno errno) {
        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals(errno, insecure.errno(), insecure.reason());
        assertTrue(kernel.lsmod().isEmpty());
        assertTrue(kernel.liveVendorLayers().isEmpty() || kernel.liveVendorLayers().stream().noneMatch(l -> l.startsWith("fixture.")),
                "refused before any layer: " + kernel.liveVendorLayers());
        return insecure;
    }

    /** Scenario: a module built against an older API that only lacks members loads and runs. */
    @Test
    void moduleBuiltAgainstAnOlderApiLoads() {
        HostKernel kernel = bootWith(FixtureModules.build("abi-user", ApiVariants.OLDER.jar(), true), "abi_user");
        assertInstanceOf(SecurityState.Protected.class, kernel.securityState());
        assertTrue(kernel.ioctl("abi_user", 0, 0) >= 1000);
        assertTrue(kernel.log().lines().stream().noneMatch(l -> l.contains("no symbol versions")), "it had a record");
    }

    /** Scenario: the module's record says smpProcessorId() returns long; the kernel's returns int. */
    @Test
    void changedReturnTypeDisagreesAboutVersion() {
        HostKernel kernel = bootWith(FixtureModules.build("abi-user", ApiVariants.RETURN_TYPE_CHANGED.jar(), true), "abi_user");
        String reason = refused(kernel, Errno.EINVAL).reason();
        assertTrue(reason.contains("disagrees about version of symbol org.pkvm4j.api.el2.ModuleOps.smpProcessorId()"), reason);
    }

    /** Scenario: built against an API where SMCCC_RET_INVALID_PARAMETER is -4: javac copied the old value. */
    @Test
    void changedConstantValueDisagreesAboutVersion() {
        HostKernel kernel = bootWith(FixtureModules.build("abi-user", ApiVariants.CONSTANT_CHANGED.jar(), true), "abi_user");
        String reason = refused(kernel, Errno.EINVAL).reason();
        assertTrue(reason.contains("disagrees about version of symbol org.pkvm4j.api.Smccc.RET_INVALID_PARAMETER"), reason);
    }

    /** Scenario: the module uses ModuleOps.devicePowerLock(long, long), which the running API does not have. */
    @Test
    void memberTheKernelLacksIsAnUnknownSymbol() {
        HostKernel kernel = bootWith(FixtureModules.build("abi-newer-member", ApiVariants.NEWER.jar(), true), "abi_newer_member");
        String reason = refused(kernel, Errno.ENOENT).reason();
        assertTrue(reason.contains("Unknown symbol org.pkvm4j.api.el2.ModuleOps.devicePowerLock(JJ)"), reason);
    }

    /** Scenario: the same module without a record: the link check refuses the broken reference. */
    @Test
    void withoutARecordTheLinkCheckRefusesABrokenReference() {
        HostKernel kernel = bootWith(FixtureModules.build("abi-newer-member", ApiVariants.NEWER.jar(), false), "abi_newer_member");
        String reason = refused(kernel, Errno.ENOENT).reason();
        assertTrue(reason.contains("ModuleOps.devicePowerLock(JJ)I") && reason.contains("NoSuchMethodError"), reason);
    }

    /**
     * Scenario: a module built when KernelModule.init had a default does not implement init; with a
     * record the interface's CRC disagrees, without one the link check finds the missing method.
     */
    @Test
    void newAbstractMethodInAVendorImplementedInterfaceIsRefused() {
        HostKernel recorded = bootWith(FixtureModules.build("abi-no-init", ApiVariants.INIT_HAD_DEFAULT.jar(), true), "abi_no_init");
        assertTrue(refused(recorded, Errno.EINVAL).reason()
                .contains("disagrees about version of symbol org.pkvm4j.api.el1.KernelModule"));
        HostKernel unrecorded = bootWith(FixtureModules.build("abi-no-init", ApiVariants.INIT_HAD_DEFAULT.jar(), false), "abi_no_init");
        String reason = refused(unrecorded, Errno.EINVAL).reason();
        assertTrue(reason.contains("not its abstract method init(Lorg/pkvm4j/api/el1/ModuleContext;)V")
                && reason.contains("AbstractMethodError"), reason);
    }

    /** Scenario: a CRC edited in the record is caught: it no longer matches the kernel's. */
    @Test
    void editedCrcIsCaught() throws IOException {
        Path good = FixtureModules.build("abi-user", RUNNING_API, true);
        Path tampered = rewrite(good, "crc", entries -> {
            String record = new String(entries.get("META-INF/pkvm/modversions"), StandardCharsets.UTF_8);
            String line = record.lines().filter(l -> l.endsWith(" org.pkvm4j.api.el2.ModuleOps.puts(Ljava/lang/String;)"))
                    .findFirst().orElseThrow();
            entries.put("META-INF/pkvm/modversions", record.replace(line, "0xdeadbeef" + line.substring(10))
                    .getBytes(StandardCharsets.UTF_8));
            return entries;
        });
        assertTrue(refused(bootWith(tampered, "abi_user"), Errno.EINVAL).reason()
                .contains("disagrees about version of symbol org.pkvm4j.api.el2.ModuleOps.puts(Ljava/lang/String;)"));
    }

    /** Scenario: a record that drops a symbol its classes use lies about them: ENOEXEC. */
    @Test
    void recordThatOmitsAUsedSymbolIsCaught() throws IOException {
        Path good = FixtureModules.build("abi-user", RUNNING_API, true);
        Path tampered = rewrite(good, "omit", entries -> {
            String record = new String(entries.get("META-INF/pkvm/modversions"), StandardCharsets.UTF_8);
            entries.put("META-INF/pkvm/modversions", record.lines()
                    .filter(l -> !l.endsWith(" org.pkvm4j.api.el2.ModuleOps.smpProcessorId()"))
                    .reduce("", (a, b) -> a + b + "\n").getBytes(StandardCharsets.UTF_8));
            return entries;
        });
        String reason = refused(bootWith(tampered, "abi_user"), Errno.ENOEXEC).reason();
        assertTrue(reason.contains("omits symbol org.pkvm4j.api.el2.ModuleOps.smpProcessorId()"), reason);
    }

    /** Scenario: a record copied onto other classes (the EL2 jar swapped for another build's): ENOEXEC. */
    @Test
    void recordForOtherClassesIsCaught() throws IOException {
        Path good = FixtureModules.build("abi-user", RUNNING_API, true);
        Path other = FixtureModules.build("abi-user", ApiVariants.OLDER.jar(), true);
        byte[] otherHyp = entries(other).get("META-INF/pkvm/hyp.jar");
        byte[] patchedHyp = rewriteBytes(otherHyp, e -> {
            // One class more (a real one: a copy of Hyp.class under another path is refused earlier, as a decoy).
            e.put("fixture/abi_user/hyp/Extra.class", java.lang.classfile.ClassFile.of().build(
                    java.lang.constant.ClassDesc.of("fixture.abi_user.hyp.Extra"),
                    cb -> cb.withSuperclass(java.lang.constant.ConstantDescs.CD_Object)));
            return e;
        });
        Path tampered = rewrite(good, "classes", entries -> {
            entries.put("META-INF/pkvm/hyp.jar", patchedHyp);
            return entries;
        });
        String reason = refused(bootWith(tampered, "abi_user"), Errno.ENOEXEC).reason();
        assertTrue(reason.contains("was made for other classes"), reason);
    }

    /** Scenario: the bundled modules carry records with their handler ABI, and both ABIs run. */
    @Test
    void bundledModulesRecordTheirHandlerAbi() throws IOException {
        Path bundled = Path.of(System.getProperty("pkvm4j.it.initramfs"));
        String kvstore = new String(entries(bundled.resolve("kvstore.jar")).get("META-INF/pkvm/modversions"), StandardCharsets.UTF_8);
        String percpu = new String(entries(bundled.resolve("percpu_counter.jar")).get("META-INF/pkvm/modversions"),
                StandardCharsets.UTF_8);
        assertTrue(kvstore.contains("handler.abi=user_pt_regs\n"), kvstore);
        assertTrue(percpu.contains("handler.abi=kvm_cpu_context\n"), percpu);
        HostKernel kernel = Devices.bootBundled("kvstore", "percpu_counter");
        assertInstanceOf(SecurityState.Protected.class, kernel.securityState());
        assertTrue(kernel.ioctl("kvstore", 0, 0) > 0);
        assertTrue(kernel.ioctl("percpu_counter", 0, 0) > 0);
    }

    private static Map<String, byte[]> entries(Path jar) throws IOException {
        return unzip(Files.readAllBytes(jar));
    }

    private static Map<String, byte[]> unzip(byte[] bytes) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(bytes))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                entries.put(e.getName(), in.readAllBytes());
            }
        }
        return entries;
    }

    private static byte[] rewriteBytes(byte[] jar, UnaryOperator<Map<String, byte[]>> change) throws IOException {
        Map<String, byte[]> entries = change.apply(unzip(jar));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (JarOutputStream zip = new JarOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new JarEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return out.toByteArray();
    }

    private static Path rewrite(Path moduleFile, String tag, UnaryOperator<Map<String, byte[]>> change) throws IOException {
        Path dir = Files.createDirectories(FixtureModules.workDir().resolve("tampered-" + tag));
        Path out = dir.resolve(moduleFile.getFileName());
        Files.write(out, rewriteBytes(Files.readAllBytes(moduleFile), change));
        return out;
    }
}
