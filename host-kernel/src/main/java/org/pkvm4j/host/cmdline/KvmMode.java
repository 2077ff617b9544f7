package org.pkvm4j.host.cmdline;

import java.util.Locale;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;

/**
 * The values of {@code kvm-arm.mode=}.
 *
 * <p>Kernel counterpart: {@code early_kvm_mode_cfg} in {@code arch/arm64/kvm/arm.c}.
 */
public enum KvmMode {
    /** KVM off. */
    NONE,
    /** Split-mode KVM without protection: the default. */
    NVHE,
    /** pKVM: the host is deprivileged after boot and vendor modules may extend EL2. */
    PROTECTED,
    /** Nested virtualisation. */
    NESTED;

    /** The spelling on the command line. */
    public String spelling() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a {@code kvm-arm.mode=} value.
     *
     * @throws BootConfigException for an unknown value, naming the valid ones
     */
    public static KvmMode parse(String value) {
        for (KvmMode m : values()) {
            if (m.spelling().equals(value)) {
                return m;
            }
        }
        throw new BootConfigException(ErrorCode.BOOT_CMDLINE, "kvm-arm.mode=" + value
                + " is not a mode; use one of none, nvhe, protected, nested");
    }
}
