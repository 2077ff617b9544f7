package org.pkvm4j.api.el1;

import java.util.Optional;

/**
 * What the kernel gives one EL1 module: its name, its pKVM entry points and its parameters.
 *
 * <p>Kernel counterpart: {@code THIS_MODULE} and the module's parameters. Every object reached from
 * here is bound to the module it was handed to: tokens and HVC numbers of another module are
 * refused.
 *
 * @since 0.1
 */
public interface ModuleContext {

    /** The module's name as {@code modprobe} and {@code kvm-arm.protected_modules=} spell it. */
    String name();

    /** The pKVM module calls of this module ({@code pkvm_load_el2_module} and friends). */
    Pkvm pkvm();

    /**
     * A parameter from the kernel command line, given as {@code <module>.<key>=<value>}.
     *
     * <p>Kernel counterpart: {@code module_param}.
     */
    Optional<String> parameter(String key);

    /**
     * Prints a line to the kernel log ({@code printk(KERN_INFO ...)}), prefixed with the module
     * name; EL1 modules may also log through the Log4j API.
     */
    void printk(String message);

    /**
     * Offers {@code device} to userspace as {@code /dev/<name>}.
     *
     * <p>Kernel counterpart: {@code misc_register}.
     *
     * @throws org.pkvm4j.api.PkvmException {@code EEXIST} if the name is taken
     */
    void miscRegister(String name, MiscDevice device);
}
