package org.pkvm4j.host.cmdline;

/**
 * The command-line parameters the host kernel understands, spelled as on a real command line.
 */
public final class BootParam {
    /** {@code kvm-arm.mode=}: {@code protected} turns pKVM on. */
    public static final String MODE = "kvm-arm.mode";
    /** {@code kvm-arm.protected_modules=}: the pKVM modules to load before deprivilege, in order. */
    public static final String PROTECTED_MODULES = "kvm-arm.protected_modules";
    /** {@code nr_cpus=}: how many CPUs to bring up. */
    public static final String NR_CPUS = "nr_cpus";
    /** {@code mem=}: how much memory to use ({@code memparse} syntax: 512M, 4G). */
    public static final String MEM = "mem";
    /**
     * {@code pkvm.hyp_lockup_ms=}: EL2 module code still running after this many milliseconds is a
     * hyp panic ({@code PKVM-HYP-LOCKUP}); 0 switches the lockup watchdog off.
     */
    public static final String HYP_LOCKUP_MS = "pkvm.hyp_lockup_ms";
    /** {@code pkvm.hyp_budget_ms=}: EL2 module code that returns after running this long is a warning. */
    public static final String HYP_BUDGET_MS = "pkvm.hyp_budget_ms";
    /**
     * {@code pkvm.hyp_alloc_mb=}: EL2 module code that allocates more than this many MiB in one trap
     * is a hyp panic ({@code PKVM-HYP-NOMEM}); 0 switches the budget off.
     */
    public static final String HYP_ALLOC_MB = "pkvm.hyp_alloc_mb";

    /**
     * {@code pkvm.kmi=}: the KMI generation the device boots as ({@code android14-5.15}, {@code
     * android14-6.1}, {@code android15-6.6}, {@code android16-6.12}); android16-6.12 if absent.
     */
    public static final String KMI = "pkvm.kmi";

    private BootParam() {
    }
}
