package org.pkvm4j.machine;

import java.util.Objects;
import org.pkvm4j.api.Errno;

/**
 * A fault the hypervisor injects into its own module-loading hypercalls, armed at {@code
 * __pkvm_init} through {@link HypOptions}: what a debug build of the hypervisor
 * ({@code CONFIG_NVHE_EL2_DEBUG}-style fault injection) does at EL2, decided while the host is
 * still privileged. The host never reaches into EL2 later to make something fail.
 */
public sealed interface HypFault {

    /** The vendor module the fault targets ({@code pkvm_driver}). */
    String module();

    /**
     * {@code __pkvm_init_module} of {@code module} answers {@code -errno} instead of running its
     * EL2 init (the init never runs, so nothing of it needs undoing at EL2).
     *
     * @param module the vendor module
     * @param errno what the init "returns"
     */
    record InitModuleFails(String module, Errno errno) implements HypFault {
        /** Checks for nulls. */
        public InitModuleFails {
            Objects.requireNonNull(module, "module");
            Objects.requireNonNull(errno, "errno");
        }
    }

    /**
     * The {@code nth} {@code __pkvm_register_hcall} of {@code module} (counted from 1, over the
     * hypervisor's life) answers {@code -errno} without taking a slot.
     *
     * @param module the vendor module
     * @param nth which registration fails, from 1
     * @param errno what it answers ({@code ENOMEM}: the table is full)
     */
    record RegisterHcallFails(String module, int nth, Errno errno) implements HypFault {
        /** Checks for nulls and a positive {@code nth}. */
        public RegisterHcallFails {
            Objects.requireNonNull(module, "module");
            Objects.requireNonNull(errno, "errno");
            if (nth < 1) {
                throw new IllegalArgumentException("nth counts from 1, was " + nth);
            }
        }
    }
}
