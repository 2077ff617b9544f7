package org.pkvm4j.host;

import org.pkvm4j.api.Errno;
import org.pkvm4j.host.cmdline.KvmMode;
import org.pkvm4j.host.diag.ErrorCode;

/**
 * Whether the device can protect guests: the outcome of loading {@code kvm-arm.protected_modules=}.
 *
 * <p>Kernel counterpart: {@code finalize_pkvm}: "All of them must properly load to enable protected
 * VMs." When one fails, the kernel wipes the pVM firmware ({@code pkvm_firmware_rmem_clear}) and
 * still deprivileges; pkvm4j records which module failed and why, and protected VMs ask {@link
 * #allowsProtectedVms()} before they start.
 */
public sealed interface SecurityState {

    /** Whether a protected VM may start. */
    boolean allowsProtectedVms();

    /** One line for the boot report. */
    String describe();

    /** pKVM is on and every listed module loaded. */
    record Protected() implements SecurityState {
        @Override
        public boolean allowsProtectedVms() {
            return true;
        }

        @Override
        public String describe() {
            return "protected: every module in kvm-arm.protected_modules= loaded";
        }
    }

    /**
     * pKVM is on and every listed module loaded, but a test-only switch turned checks of their code
     * off: the device is tainted and protects nothing.
     *
     * <p>Kernel counterpart: {@code add_taint(TAINT_UNSIGNED_MODULE)} when {@code module.sig_enforce}
     * is off; here, unlike the kernel, a tainted device also refuses protected VMs.
     *
     * @param switches the switches that tainted it, as written ({@code pkvm.el2_verify=0})
     */
    record Tainted(java.util.List<String> switches) implements SecurityState {
        /** Copies the list. */
        public Tainted {
            switches = java.util.List.copyOf(switches);
        }

        @Override
        public boolean allowsProtectedVms() {
            return false;
        }

        @Override
        public String describe() {
            return "TAINTED: " + String.join(" ", switches) + ": vendor modules were loaded without their checks;"
                    + " not protected, protected VMs cannot start [" + ErrorCode.BOOT_TAINTED.code() + "]";
        }
    }

    /**
     * pKVM is on but a listed module failed: the system is insecure.
     *
     * @param module the module that failed (the list stopped there)
     * @param errno its error
     * @param reason the loader's message
     * @param code the stable code of the load's refusal ({@code PKVM-LOAD-NOT-FOUND}, ...)
     */
    record Insecure(String module, Errno errno, String reason, ErrorCode code) implements SecurityState {
        /** An insecure state whose cause has no more precise code than a failed init. */
        public Insecure(String module, Errno errno, String reason) {
            this(module, errno, reason, ErrorCode.LOAD_INIT_FAILED);
        }

        @Override
        public boolean allowsProtectedVms() {
            return false;
        }

        @Override
        public String describe() {
            return "INSECURE: protected module " + module + " failed with " + errno + ": " + reason
                    + "; protected VMs cannot start [" + code.code() + "]";
        }
    }

    /**
     * pKVM is on but the initramfs was rejected (a bad or missing signature, a tampered image): no
     * protected module was loaded from it, so the system is insecure.
     *
     * @param initramfs the initramfs path
     * @param reason why it was rejected
     */
    record InitramfsRejected(String initramfs, String reason) implements SecurityState {
        @Override
        public boolean allowsProtectedVms() {
            return false;
        }

        @Override
        public String describe() {
            return "INSECURE: initramfs " + initramfs + " rejected: " + reason
                    + "; protected modules not loaded, protected VMs cannot start [" + ErrorCode.BOOT_INITRAMFS_REJECTED.code() + "]";
        }
    }

    /**
     * pKVM is off.
     *
     * @param mode the {@code kvm-arm.mode=} the kernel booted with
     */
    record Unprotected(KvmMode mode) implements SecurityState {
        @Override
        public boolean allowsProtectedVms() {
            return false;
        }

        @Override
        public String describe() {
            return "unprotected: kvm-arm.mode=" + mode.spelling() + " (pKVM off)";
        }
    }
}
