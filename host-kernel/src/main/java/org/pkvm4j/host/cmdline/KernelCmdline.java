package org.pkvm4j.host.cmdline;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.kmi.Kmi;
import org.pkvm4j.machine.HypOptions;
import org.pkvm4j.machine.MachineConfig;

/**
 * A parsed kernel command line.
 *
 * <p>Kernel counterpart: {@code parse_args} with the {@code early_param}s pKVM uses. Words are
 * separated by spaces; a value may be double-quoted to hold spaces. Unknown parameters are kept
 * (the kernel passes them on to init); a known parameter with a malformed value is an error. When a
 * parameter is given twice, the last one wins, as in the kernel.
 */
public final class KernelCmdline {
    /**
     * The longest command line, in characters. Kernel counterpart: arm64's {@code COMMAND_LINE_SIZE}
     * (2048 bytes, {@code arch/arm64/include/uapi/asm/setup.h}); the kernel truncates, here a longer
     * one is refused, so no value or message built from it grows without bound.
     */
    public static final int MAX_LENGTH = 2048;

    private final String raw;
    private final Map<String, String> params;
    private final KvmMode mode;
    private final ProtectedModules protectedModules;
    private final MachineConfig machineConfig;
    private final long hypLockupMillis;
    private final long hypBudgetMillis;
    private final long hypAllocBytes;
    private final Kmi kmi;

    private KernelCmdline(String raw, Map<String, String> params) {
        this.raw = raw;
        this.params = Collections.unmodifiableMap(params);
        this.mode = params.containsKey(BootParam.MODE) ? KvmMode.parse(valueOf(BootParam.MODE)) : KvmMode.NVHE;
        this.protectedModules = parseProtectedModules(params);
        int nrCpus = params.containsKey(BootParam.NR_CPUS)
                ? parseNrCpus(valueOf(BootParam.NR_CPUS)) : MachineConfig.DEFAULT_CPUS;
        long mem = params.containsKey(BootParam.MEM) ? parseMem(valueOf(BootParam.MEM)) : MachineConfig.DEFAULT_MEM;
        this.machineConfig = new MachineConfig(nrCpus, mem);
        this.hypLockupMillis = params.containsKey(BootParam.HYP_LOCKUP_MS)
                ? parseMillis(BootParam.HYP_LOCKUP_MS, valueOf(BootParam.HYP_LOCKUP_MS), 0) : HypOptions.DEFAULT_LOCKUP_MILLIS;
        this.hypBudgetMillis = params.containsKey(BootParam.HYP_BUDGET_MS)
                ? parseMillis(BootParam.HYP_BUDGET_MS, valueOf(BootParam.HYP_BUDGET_MS), 1) : HypOptions.DEFAULT_BUDGET_MILLIS;
        this.hypAllocBytes = params.containsKey(BootParam.HYP_ALLOC_MB)
                ? parseMebibytes(BootParam.HYP_ALLOC_MB, valueOf(BootParam.HYP_ALLOC_MB)) : HypOptions.DEFAULT_ALLOC_BYTES;
        this.kmi = params.containsKey(BootParam.KMI) ? Kmi.parse(valueOf(BootParam.KMI)) : Kmi.DEFAULT;
    }

    /**
     * Parses a command line.
     *
     * @throws BootConfigException for a command line over {@link #MAX_LENGTH} characters, one with
     *     a control character (other than a tab or line break between words), an unterminated quote
     *     or a malformed known parameter
     */
    public static KernelCmdline parse(String cmdline) {
        checkText(cmdline);
        Map<String, String> params = new LinkedHashMap<>();
        for (String word : split(cmdline)) {
            int eq = word.indexOf('=');
            String key = eq < 0 ? word : word.substring(0, eq);
            // A bare word has no value; null keeps "no '=' at all" apart from "empty value".
            params.put(key, eq < 0 ? null : unquote(word.substring(eq + 1)));
        }
        return new KernelCmdline(cmdline, params);
    }

    /** The command line as given. */
    public String raw() {
        return raw;
    }

    /** {@code kvm-arm.mode=}, {@link KvmMode#NVHE} if absent. */
    public KvmMode mode() {
        return mode;
    }

    /** Whether pKVM is on ({@code kvm-arm.mode=protected}). */
    public boolean isProtectedMode() {
        return mode == KvmMode.PROTECTED;
    }

    /** {@code kvm-arm.protected_modules=}, empty if absent. */
    public ProtectedModules protectedModules() {
        return protectedModules;
    }

    /** The machine {@code nr_cpus=} and {@code mem=} ask for. */
    public MachineConfig machineConfig() {
        return machineConfig;
    }

    /** {@code pkvm.hyp_lockup_ms=}: the lockup watchdog's bound in milliseconds, 0 for off. */
    public long hypLockupMillis() {
        return hypLockupMillis;
    }

    /** {@code pkvm.hyp_budget_ms=}: the EL2 code budget in milliseconds. */
    public long hypBudgetMillis() {
        return hypBudgetMillis;
    }

    /** {@code pkvm.hyp_alloc_mb=}: the EL2 allocation budget of one trap in bytes, 0 for none. */
    public long hypAllocBytes() {
        return hypAllocBytes;
    }

    /** {@code pkvm.kmi=}: the KMI generation the device boots as, {@link Kmi#DEFAULT} if absent. */
    public Kmi kmi() {
        return kmi;
    }

    /** The value of any parameter; empty if it is absent or given without {@code =}. */
    public Optional<String> get(String key) {
        return Optional.ofNullable(params.get(key));
    }

    /** Whether a parameter is present, with or without a value. */
    public boolean has(String key) {
        return params.containsKey(key);
    }

    /** Every parameter, in order of first appearance; a bare word maps to null. */
    public Map<String, String> params() {
        return params;
    }

    @Override
    public String toString() {
        return raw;
    }

    private String valueOf(String key) {
        String value = params.get(key);
        if (value == null) {
            throw new BootConfigException(ErrorCode.BOOT_CMDLINE, key + " needs a value: write " + key + "=...");
        }
        return value;
    }

    private ProtectedModules parseProtectedModules(Map<String, String> p) {
        if (!p.containsKey(BootParam.PROTECTED_MODULES)) {
            return ProtectedModules.none();
        }
        // The kernel's early_param returns -EINVAL for a NULL argument.
        return ProtectedModules.parse(valueOf(BootParam.PROTECTED_MODULES));
    }

    /** A whole number of milliseconds, at least {@code min} and at most a day. */
    private static long parseMillis(String key, String value, long min) {
        try {
            long n = Long.parseLong(value.trim());
            if (n >= min && n <= 86_400_000L) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BootConfigException(ErrorCode.BOOT_CMDLINE, key + "=" + value + " is not a time in milliseconds; use "
                + min + "..86400000, e.g. " + key + "=" + (min == 0 ? HypOptions.DEFAULT_LOCKUP_MILLIS : HypOptions.DEFAULT_BUDGET_MILLIS));
    }

    /** A whole number of MiB, 0..1048576 (1 TiB), in bytes. */
    private static long parseMebibytes(String key, String value) {
        try {
            long n = Long.parseLong(value.trim());
            if (n >= 0 && n <= 1L << 20) {
                return n << 20;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BootConfigException(ErrorCode.BOOT_CMDLINE, key + "=" + value + " is not a size in MiB; use 0..1048576"
                + " (0: no budget), e.g. " + key + "=" + (HypOptions.DEFAULT_ALLOC_BYTES >> 20));
    }

    private static int parseNrCpus(String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= MachineConfig.MAX_CPUS) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BootConfigException(ErrorCode.BOOT_CMDLINE, "nr_cpus=" + value + " is not a CPU count; use 1.." + MachineConfig.MAX_CPUS);
    }

    /** {@code memparse}: a number with an optional K, M, G or T suffix; a multiple of 4 KiB. */
    static long parseMem(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        long shift = 0;
        if (!v.isEmpty()) {
            switch (v.charAt(v.length() - 1)) {
                case 'K' -> shift = 10;
                case 'M' -> shift = 20;
                case 'G' -> shift = 30;
                case 'T' -> shift = 40;
                default -> shift = 0;
            }
        }
        String digits = shift == 0 ? v : v.substring(0, v.length() - 1);
        try {
            long n = Long.parseLong(digits);
            if (n > 0 && n <= (Long.MAX_VALUE >> shift)) {
                long bytes = n << shift;
                if (bytes % MachineConfig.PAGE_SIZE == 0) {
                    return bytes;
                }
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BootConfigException(ErrorCode.BOOT_CMDLINE, "mem=" + value
                + " is not a memory size; write a multiple of 4 KiB with an optional K, M, G or T suffix, e.g. mem=1G");
    }

    /**
     * Refuses what no parameter may hold, before anything is split or quoted in a message: every
     * message below quotes values from the command line, which must therefore be bounded and
     * printable (a newline or an escape sequence in a value would forge lines of dmesg).
     */
    private static void checkText(String cmdline) {
        if (cmdline.length() > MAX_LENGTH) {
            throw new BootConfigException(ErrorCode.BOOT_CMDLINE, "the kernel command line is " + cmdline.length()
                    + " characters, over the limit of " + MAX_LENGTH + " (COMMAND_LINE_SIZE)");
        }
        boolean quoted = false;
        for (int i = 0; i < cmdline.length(); i++) {
            char c = cmdline.charAt(i);
            quoted ^= c == '"';
            boolean separator = !quoted && (c == '\t' || c == '\n' || c == '\r');
            if ((Character.isISOControl(c) || c == '\u2028' || c == '\u2029') && !separator) {
                throw new BootConfigException(ErrorCode.BOOT_CMDLINE, "the kernel command line has control character U+%04X at %d%s; parameters are printable text separated by spaces"
                        .formatted((int) c, i, quoted ? " (inside quotes)" : ""));
            }
        }
    }

    private static List<String> split(String cmdline) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        int opened = 0;
        for (int i = 0; i < cmdline.length(); i++) {
            char c = cmdline.charAt(i);
            if (c == '"') {
                quoted = !quoted;
                opened = i;
                word.append(c);
            } else if (Character.isWhitespace(c) && !quoted) {
                if (!word.isEmpty()) {
                    words.add(word.toString());
                    word.setLength(0);
                }
            } else {
                word.append(c);
            }
        }
        if (quoted) {
            // Quoted from the open quote on: between words a tab or line break may stand, not inside quotes.
            throw new BootConfigException(ErrorCode.BOOT_CMDLINE, "unterminated quote in kernel command line at "
                    + opened + ": " + cmdline.substring(opened));
        }
        if (!word.isEmpty()) {
            words.add(word.toString());
        }
        return words;
    }

    private static String unquote(String value) {
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
                ? value.substring(1, value.length() - 1) : value;
    }
}
