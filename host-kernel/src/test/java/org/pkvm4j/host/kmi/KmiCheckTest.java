package org.pkvm4j.host.kmi;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.abi.ApiReferences;
import org.pkvm4j.host.abi.ApiReferences.HandlerAbi;
import org.pkvm4j.host.cmdline.KernelCmdline;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;

/** The KMI checks a module meets at load: vermagic, handler ABI, members. */
class KmiCheckTest {
    private static final Optional<Kmi> V515 = Optional.of(Kmi.ANDROID14_5_15);
    private static final Optional<Kmi> V612 = Optional.of(Kmi.ANDROID16_6_12);

    private static ApiReferences uses(Set<HandlerAbi> abis, String name, String descriptor) {
        return new ApiReferences(Set.of(), List.of(new ApiReferences.MemberRef(KmiCheck.MODULE_OPS, name, descriptor, true,
                "acme.m.hyp.Hyp")), List.of(), abis);
    }

    private static PkvmException refused(Optional<Kmi> built, Optional<Kmi> device, ApiReferences refs) {
        return assertThrows(PkvmException.class, () -> KmiCheck.check("m", built, device, refs));
    }

    /** Scenario: a module built for android14-5.15 on an android16-6.12 device is refused like a vermagic mismatch. */
    @Test
    void anotherKmiIsRefusedWithEnoexec() {
        PkvmException e = refused(V515, V612, uses(Set.of(), "smpProcessorId", "()I"));
        assertEquals(Errno.ENOEXEC, e.errno());
        assertEquals(ErrorCode.LOAD_KMI_MISMATCH, ErrorCode.of(e));
        assertTrue(e.getMessage().contains("m: KMI 'android14-5.15' should be 'android16-6.12'"), e.getMessage());
        assertDoesNotThrow(() -> KmiCheck.check("m", V515, V515, uses(Set.of(HandlerAbi.KVM_CPU_CONTEXT), "smpProcessorId", "()I")));
    }

    /** Scenario: a member the module's KMI lacks is refused at load, naming the member and the KMI. */
    @Test
    void memberTheKmiLacksIsRefusedWithEnoent() {
        PkvmException e = refused(V515, V515, uses(Set.of(), "putc", "(C)V"));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals(ErrorCode.LOAD_KMI_MEMBER, ErrorCode.of(e));
        assertTrue(e.getMessage().contains("ModuleOps.putc(char)") && e.getMessage().contains(
                "KMI android14-5.15 has no pkvm_module_ops member putc"), e.getMessage());
    }

    /** Scenario: a member of another shape in the module's KMI: the refusal says which method to use. */
    @Test
    void memberOfAnotherShapeNamesTheRightMethod() {
        PkvmException e = refused(V515, V515, uses(Set.of(), "registerHostPermFaultHandler",
                "(Lorg/pkvm4j/api/el2/HostPermFaultHandler;)V"));
        assertTrue(e.getMessage().contains("android14-5.15's register_host_perm_fault_handler is int (*)(int (*cb)(struct kvm_cpu_context")
                && e.getMessage().contains("use registerHostPermFaultHandlerCtxt(KvmCpuContextPermFaultHandler)"), e.getMessage());
        PkvmException single = refused(V612, V612, uses(Set.of(), "hostStage2ModProt", "(JI)V"));
        assertTrue(single.getMessage().contains("use hostStage2ModProt(long, int, long, boolean) or hostStage2ModProt(long, int, long)"),
                single.getMessage());
        assertDoesNotThrow(() -> KmiCheck.check("m", V515, V515, uses(Set.of(), "hostStage2ModProt", "(JI)V")));
    }

    /** Scenario: handlers of the other branch's shape are refused for a module that records its KMI. */
    @Test
    void handlerAbiOfAnotherBranchIsRefused() {
        PkvmException e = refused(V612, V612, uses(Set.of(HandlerAbi.KVM_CPU_CONTEXT), "puts", "(Ljava/lang/String;)V"));
        assertEquals(Errno.ENOEXEC, e.errno());
        assertTrue(e.getMessage().contains("its EL2 handlers take kvm_cpu_context, but KMI android16-6.12's dyn_hcall_t takes user_pt_regs"),
                e.getMessage());
        refused(V515, V515, uses(Set.of(HandlerAbi.USER_PT_REGS), "puts", "(Ljava/lang/String;)V"));
    }

    /** Scenario: a module recording no KMI is link-checked against the device's, with either handler shape. */
    @Test
    void unrecordedModuleIsLinkCheckedAgainstTheDevice() {
        ApiReferences percpu = uses(Set.of(HandlerAbi.KVM_CPU_CONTEXT), "smpProcessorId", "()I");
        assertDoesNotThrow(() -> KmiCheck.check("m", Optional.empty(), V612, percpu));
        assertDoesNotThrow(() -> KmiCheck.check("m", Optional.empty(), V515, percpu));
        PkvmException e = refused(Optional.empty(), V515, uses(Set.of(), "putc", "(C)V"));
        assertTrue(e.getMessage().contains("android14-5.15"), e.getMessage());
        assertEquals(Optional.empty(), KmiCheck.recorded("m", ""));
        assertDoesNotThrow(() -> KmiCheck.check("m", V515, V515, uses(Set.of(), "getClass", "()Ljava/lang/Class;")),
                "Object's methods are left to the ABI check and the EL2 rules");
        PkvmException unknown = assertThrows(PkvmException.class, () -> KmiCheck.recorded("m", "android13-5.10"));
        assertEquals(Errno.ENOEXEC, unknown.errno());
    }

    /** Scenario: pkvm.kmi= chooses the KMI; absent is android16-6.12; an unknown branch is a command-line error. */
    @Test
    void commandLineChoosesTheKmi() {
        assertEquals(Kmi.ANDROID16_6_12, KernelCmdline.parse("kvm-arm.mode=protected").kmi());
        assertEquals(Kmi.ANDROID14_5_15, KernelCmdline.parse("pkvm.kmi=android14-5.15").kmi());
        BootConfigException e = assertThrows(BootConfigException.class, () -> KernelCmdline.parse("pkvm.kmi=android13-5.10"));
        assertEquals(ErrorCode.BOOT_CMDLINE, ErrorCode.of(e));
    }
}
