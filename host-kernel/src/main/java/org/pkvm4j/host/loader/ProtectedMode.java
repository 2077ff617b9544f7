package org.pkvm4j.host.loader;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;

/**
 * The host's view of pKVM: whether it is on, and whether the host has given up its privileges.
 *
 * <p>Kernel counterpart: {@code is_protected_kvm_enabled()} and the static key {@code
 * kvm_protected_mode_initialized}, set before {@code __pkvm_prot_finalize} runs on any CPU. The
 * EL1 gates read it; the hypervisor keeps its own view and closes its privileged calls itself.
 */
public final class ProtectedMode {
    private final boolean enabled;
    private volatile boolean initialized;

    /** pKVM on or off, never initialised yet. */
    public ProtectedMode(boolean enabled) {
        this.enabled = enabled;
    }

    /** {@code kvm-arm.mode=protected}. */
    public boolean isEnabled() {
        return enabled;
    }

    /** Whether the host is deprivileged (the static key is set). */
    public boolean isInitialized() {
        return initialized;
    }

    /** Sets the static key: from now on no EL2 code can be loaded. */
    public void markInitialized() {
        initialized = true;
    }

    /**
     * The gate of {@code __pkvm_load_el2_module} and {@code pkvm_register_el2_mod_call}.
     *
     * @throws PkvmException {@code EOPNOTSUPP} if pKVM is off or already initialised
     */
    void checkModuleLoadingOpen(String module, String what) {
        if (!enabled) {
            throw new Refusal(ErrorCode.LOAD_AFTER_DEPRIVILEGE, Errno.EOPNOTSUPP, module + ": " + what + " needs kvm-arm.mode=protected");
        }
        if (initialized) {
            throw new Refusal(ErrorCode.LOAD_AFTER_DEPRIVILEGE, Errno.EOPNOTSUPP, module + ": " + what + " after deprivilege; pKVM modules must be"
                    + " listed in kvm-arm.protected_modules= and load from the initramfs before the host drops its"
                    + " privileges");
        }
    }
}
