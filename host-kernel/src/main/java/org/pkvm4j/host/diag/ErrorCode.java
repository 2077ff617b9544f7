package org.pkvm4j.host.diag;

import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.machine.HypPanic;
import org.pkvm4j.machine.HypPanicException;

/**
 * The stable, machine-readable code of every refusal, printed next to the human message and in
 * {@code --json} output; the one table of them all, documented in {@code docs/error-codes.md}.
 *
 * <p>A code never changes meaning once published; a new kind of refusal gets a new code. The code
 * travels host-side, with the refusal that already exists: a {@link Refusal} (a {@link
 * PkvmException}, so the module API stays as it is), a {@link BootConfigException}, an EL2 policy
 * violation, an ABI change. {@link #of(Throwable)} reads it back.
 */
public enum ErrorCode {
    // Boot configuration (exit code 2).
    BOOT_CMDLINE("PKVM-BOOT-CMDLINE", "a known kernel command-line parameter is malformed"),
    BOOT_INITRAMFS("PKVM-BOOT-INITRAMFS", "the initramfs is missing or cannot be read"),
    BOOT_HYPERVISOR("PKVM-BOOT-HYPERVISOR", "the hypervisor image is missing or is not a pkvm4j hypervisor"),
    BOOT_CONFIG("PKVM-BOOT-CONFIG", "another configuration error: the message says what to change"),
    // The outcome of a boot.
    BOOT_INSECURE("PKVM-BOOT-INSECURE", "a module in kvm-arm.protected_modules= failed: the system is insecure"),
    BOOT_TAINTED("PKVM-BOOT-TAINTED", "a test-only switch turned checks of EL2 code off: the device is tainted, not protected, and refuses protected VMs"),
    BOOT_INITRAMFS_REJECTED("PKVM-BOOT-INITRAMFS-REJECTED", "the initramfs did not verify against the trusted key: no protected module was loaded"),
    HYP_PANIC("PKVM-HYP-PANIC", "a throwable escaped EL2 code: the hypervisor panicked and takes no more traps"),
    HYP_LOCKUP("PKVM-HYP-LOCKUP", "the lockup watchdog found EL2 code that did not return within the bound; a hyp panic"),
    HYP_NOMEM("PKVM-HYP-NOMEM", "EL2 code allocated more than the EL2 allocation budget in one trap, or ran the JVM out of memory; a hyp panic"),
    HYP_TRAP("PKVM-HYP-TRAP", "a host system-register access a module made trap reached no default trap handler, or the handler declined it; a hyp panic"),
    HYP_SERROR("PKVM-HYP-SERROR", "an SError was taken at EL2 while a module's unmask_serror had it unmasked; a hyp panic"),
    // Module loads (modprobe), before any class is defined.
    LOAD_NOT_FOUND("PKVM-LOAD-NOT-FOUND", "the module is not in the initramfs, or its file cannot be read"),
    LOAD_NOT_MODULE_FILE("PKVM-LOAD-NOT-MODULE-FILE", "the file is not a module file (jar, modinfo, hyp.jar, module-info)"),
    LOAD_BAD_ENTRY("PKVM-LOAD-BAD-ENTRY", "a jar entry is refused: its path, binary name and this_class disagree, it lies outside the module's packages, or its name or size is bad"),
    LOAD_BAD_CLASS("PKVM-LOAD-BAD-CLASS", "a class file is malformed, truncated, too large, or newer than the running JDK's"),
    LOAD_RESERVED_NAME("PKVM-LOAD-RESERVED-NAME", "a module or package name is in org.pkvm4j.* or is (inside) a system module's name or package"),
    LOAD_DEPENDENCY_CYCLE("PKVM-LOAD-DEPENDENCY-CYCLE", "the modules' depends= form a cycle"),
    LOAD_FORBIDDEN_REQUIRES("PKVM-LOAD-FORBIDDEN-REQUIRES", "a module descriptor requires, uses or provides what its level may not"),
    LOAD_BAD_EL2_SYMBOL("PKVM-LOAD-BAD-EL2-SYMBOL", "an @El2Symbol is duplicated, not public static, or has no accepted signature"),
    LOAD_EL2_POLICY("PKVM-LOAD-EL2-POLICY", "the EL2 code references something off the EL2 allow-list (threads, blocking, reflection, I/O...)"),
    LOAD_UNKNOWN_SYMBOL("PKVM-LOAD-UNKNOWN-SYMBOL", "the module uses a symbol the running API or its own EL2 part lacks"),
    LOAD_MODVERSION_CRC("PKVM-LOAD-MODVERSION-CRC", "a recorded symbol CRC differs from the running API's (disagrees about version)"),
    LOAD_MODVERSION_STALE("PKVM-LOAD-MODVERSION-STALE", "the modversions record is malformed, stale, or made for other classes"),
    LOAD_KMI_MISMATCH("PKVM-LOAD-KMI-MISMATCH", "the module was built for another KMI than the device boots (vermagic): a fresh pkvm_module_ops layout"),
    LOAD_KMI_MEMBER("PKVM-LOAD-KMI-MEMBER", "the module uses a pkvm_module_ops member, or a handler ABI, its KMI does not have"),
    LOAD_AFTER_DEPRIVILEGE("PKVM-LOAD-AFTER-DEPRIVILEGE", "an EL2 load or registration after deprivilege, or without pKVM"),
    LOAD_NOT_OWNER("PKVM-LOAD-NOT-OWNER", "a token, symbol or HVC number of another module, or of the wrong kind"),
    LOAD_HCALL_TABLE_FULL("PKVM-LOAD-HCALL-TABLE-FULL", "all 128 module hypercall slots are taken (the 129th handler)"),
    LOAD_INIT_FAILED("PKVM-LOAD-INIT-FAILED", "the module's EL1 or EL2 init failed with the errno shown"),
    // Unloads (rmmod).
    RMMOD_NOT_LOADED("PKVM-RMMOD-NOT-LOADED", "rmmod of a module that is not loaded"),
    RMMOD_IN_USE("PKVM-RMMOD-IN-USE", "rmmod of a module that is in use: others depend on it, or it is a pKVM module"),
    // The rest.
    EL2_POLICY_VIOLATION("PKVM-EL2-POLICY-VIOLATION", "one reference of EL2 code the allow-list refuses (pkvm verify)"),
    ABI_BREAKING("PKVM-ABI-BREAKING", "an ABI change that breaks modules built against the old ABI"),
    ABI_COMPATIBLE("PKVM-ABI-COMPATIBLE", "an ABI change modules built against the old ABI survive"),
    HVC_NOT_SUPPORTED("PKVM-HVC-NOT-SUPPORTED", "the hypervisor refused the HVC in x0 (SMCCC_RET_NOT_SUPPORTED)"),
    HVC_INVALID_PARAMETER("PKVM-HVC-INVALID-PARAMETER", "the hypervisor refused the HVC in x0 (SMCCC_RET_INVALID_PARAMETER)"),
    CLI_FILE("PKVM-CLI-FILE", "a file named on the pkvm command line cannot be read or written"),
    CLI_SCRIPT("PKVM-CLI-SCRIPT", "a line of a workload script does not parse (FILE:LINE)"),
    ERRNO("PKVM-ERRNO", "a failure known only by its errno (an HVC handler's -errno, a host service); the errno says why");

    /** Where the codes are documented, relative to the repository root. */
    public static final String DOC = "docs/error-codes.md";

    private final String code;
    private final String description;

    ErrorCode(String code, String description) {
        this.code = code;
        this.description = description;
    }

    /** The stable code, for example {@code PKVM-LOAD-UNKNOWN-SYMBOL}. */
    public String code() {
        return code;
    }

    /** One line: what the code means. */
    public String description() {
        return description;
    }

    /** The anchor of its section in {@value #DOC}: the code in lower case, as a Markdown heading's. */
    public String anchor() {
        return code.toLowerCase(java.util.Locale.ROOT);
    }

    /** Where it is documented: {@code docs/error-codes.md#pkvm-load-unknown-symbol}. */
    public String docLink() {
        return DOC + "#" + anchor();
    }

    /**
     * The code of a failed {@code modprobe}: as {@link #of(Throwable)}, but a bare errno there is
     * what the module's own init reported ({@link #LOAD_INIT_FAILED}).
     */
    public static ErrorCode ofLoad(Throwable t) {
        ErrorCode c = of(t);
        return c == ERRNO ? LOAD_INIT_FAILED : c;
    }

    /**
     * The code of a hyp panic: {@link #HYP_LOCKUP}, {@link #HYP_NOMEM}, {@link #HYP_TRAP} or {@link
     * #HYP_SERROR} when its reason starts with one, else {@link #HYP_PANIC}.
     */
    public static ErrorCode ofPanic(HypPanic panic) {
        for (ErrorCode c : new ErrorCode[] {HYP_LOCKUP, HYP_NOMEM, HYP_TRAP, HYP_SERROR}) {
            if (panic.reason().startsWith(c.code() + ":")) {
                return c;
            }
        }
        return HYP_PANIC;
    }

    /**
     * The code of a refusal: the one it carries, else one read from its kind (a hyp panic, an SMCCC
     * status, a configuration error), else {@link #ERRNO}.
     */
    public static ErrorCode of(Throwable t) {
        return switch (t) {
            case Refusal r -> r.code();
            case BootConfigException b -> b.code();
            case HypPanicException p -> ofPanic(p.panic());
            case PkvmException p when p.smcccStatus() == Smccc.RET_NOT_SUPPORTED -> HVC_NOT_SUPPORTED;
            case PkvmException p when p.smcccStatus() == Smccc.RET_INVALID_PARAMETER -> HVC_INVALID_PARAMETER;
            default -> ERRNO;
        };
    }
}
