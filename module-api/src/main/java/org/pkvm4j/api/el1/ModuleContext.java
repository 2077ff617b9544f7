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

    /**
     * The module's name as {@code modprobe} and {@code kvm-arm.protected_modules=} spell it.
     *
     * @return the module name, as modprobe knows it
     */
    String name();

    /**
     * The pKVM module calls of this module ({@code pkvm_load_el2_module} and friends).
     *
     * @return the module's pKVM interface
     */
    Pkvm pkvm();

    /**
     * A parameter from the kernel command line, given as {@code <module>.<key>=<value>}.
     *
     * <p>Kernel counterpart: {@code module_param}.
     *
     * @param key the parameter name
     * @return its value, if the command line gave one
     */
    Optional<String> parameter(String key);

    /**
     * Prints a line to the kernel log ({@code printk(KERN_INFO ...)}), prefixed with the module
     * name; EL1 modules may also log through the Log4j API.
     *
     * @param message the line to log
     */
    void printk(String message);

    /**
     * Offers {@code device} to userspace as {@code /dev/<name>}.
     *
     * <p>Kernel counterpart: {@code misc_register}.
     *
     * @param name the device name, {@code /dev/<name>}
     * @param device the device
     * @throws org.pkvm4j.api.PkvmException {@code EEXIST} if the name is taken
     */
    void miscRegister(String name, MiscDevice device);
}
