package org.pkvm4j.api.el1;

import java.util.Optional;
import java.util.function.IntConsumer;
import org.pkvm4j.api.SysReg;

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

    /**
     * Reads an EL1 system register on the CPU this thread runs on ({@code MRS}). If EL2 made reads of
     * it trap, the hypervisor's default trap handler answers instead.
     *
     * <p>Kernel counterpart: {@code read_sysreg(reg)}.
     *
     * @param reg the register
     * @return its value, or what EL2's trap handler emulated (a trap no handler takes is a hyp
     *     panic: the machine stops, as for any HVC)
     */
    long readSysreg(SysReg reg);

    /**
     * Writes an EL1 system register on the CPU this thread runs on ({@code MSR}). If EL2 made writes
     * to it trap, the hypervisor's default trap handler decides what the write does.
     *
     * <p>Kernel counterpart: {@code write_sysreg(value, reg)}.
     *
     * @param reg the register
     * @param value the value
     * @throws IllegalArgumentException for a read-only register (the instruction is UNDEFINED)
     */
    void writeSysreg(SysReg reg, long value);

    /**
     * Runs {@code fn} once on each CPU in turn, with this thread pinned to that CPU: its HVCs and
     * system-register accesses happen there.
     *
     * <p>Kernel counterpart: {@code on_each_cpu(fn, info, 1)}, run one CPU after another.
     *
     * @param fn called with each CPU number, 0..nr_cpus-1
     * @throws IllegalStateException if this thread already pins a CPU
     */
    void onEachCpu(IntConsumer fn);
}
