package org.pkvm4j.api.el1;

import org.pkvm4j.api.VendorImplemented;

/**
 * The EL1 part of a vendor module: its {@code module_init} and {@code module_exit}.
 *
 * <p>Kernel counterpart: {@code el1.c}'s {@code module_init(pkvm_driver_init)}. An EL1 module
 * ({@code <vendor>.<name>}) provides exactly one implementation as a service ({@code provides
 * org.pkvm4j.api.el1.KernelModule with ...}); the loader instantiates it in the module's own layer
 * and calls {@link #init} once.
 *
 * @since 0.1
 */
@VendorImplemented
public interface KernelModule {

    /**
     * Initialises the module; a pKVM module loads its EL2 part and registers its handlers here.
     *
     * <p>Throw {@link org.pkvm4j.api.PkvmException} to fail the load with its errno (C's non-zero
     * return). A failed init leaves nothing behind: the loader unloads the EL2 part it loaded and
     * revokes the handlers it registered.
     *
     * @param ctx this module's view of the kernel, bound to this module (THIS_MODULE)
     */
    void init(ModuleContext ctx);

    /**
     * Tears the module down before an unload ({@code rmmod}); pKVM modules are never unloaded.
     *
     * <p>Kernel counterpart: {@code module_exit}.
     *
     * @param ctx the module's context, as {@code init} got it
     */
    default void exit(ModuleContext ctx) {
    }
}
