/**
 * The pKVM vendor-module API: what a vendor module compiles against, and nothing else.
 *
 * <p>Kernel counterpart: {@code arch/arm64/include/asm/kvm_pkvm_module.h} plus the SMCCC and errno
 * values of the host/hypervisor wire. This module requires nothing, holds no state and contains no
 * implementation: the hypervisor implements {@link org.pkvm4j.api.el2.ModuleOps}, the host kernel
 * implements {@link org.pkvm4j.api.el1.Pkvm}.
 */
module org.pkvm4j.api {
    exports org.pkvm4j.api;
    exports org.pkvm4j.api.el1;
    exports org.pkvm4j.api.el2;
}
