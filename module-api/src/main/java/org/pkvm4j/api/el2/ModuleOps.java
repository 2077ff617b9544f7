package org.pkvm4j.api.el2;

/**
 * The only door from EL2 vendor code into the hypervisor: one method per {@code pkvm_module_ops}
 * callback.
 *
 * <p>Kernel counterpart: {@code struct pkvm_module_ops} in {@code asm/kvm_pkvm_module.h}; the
 * hypervisor owns one instance ({@code module_ops} in {@code nvhe/modules.c}) and passes it to every
 * module's EL2 init. Vendor code calls this interface and never implements it. Like every EL2 call
 * it runs to completion: nothing here blocks.
 *
 * @since 0.1
 */
public interface ModuleOps {

    /**
     * Installs the EL2 console: every later {@link #putc}, {@link #puts} and {@link #putx64} goes
     * through {@code driver}.
     *
     * <p>Kernel counterpart: {@code register_serial_driver(void (*hyp_putc_cb)(char))}. Until a
     * driver is registered, the hypervisor writes to the machine's UART itself.
     *
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if a driver is already registered
     */
    void registerSerialDriver(SerialDriver driver);

    /**
     * Prints one character on the hypervisor console.
     *
     * <p>Kernel counterpart: {@code putc}.
     */
    void putc(char c);

    /**
     * Prints a string and a newline on the hypervisor console.
     *
     * <p>Kernel counterpart: {@code puts}.
     */
    void puts(String s);

    /**
     * Prints a 64-bit value in hex ({@code 0x...}) and a newline on the hypervisor console.
     *
     * <p>Kernel counterpart: {@code putx64}.
     */
    void putx64(long x);

    /**
     * The number of the CPU this EL2 code runs on, 0..nr_cpus-1; stable for the whole call.
     *
     * <p>Kernel counterpart: {@code hyp_smp_processor_id}. Per-CPU EL2 state indexed by this
     * number needs no lock: a CPU runs one trap at a time.
     */
    int smpProcessorId();

    /**
     * The number of CPUs of the machine ({@code nr_cpus}), for sizing per-CPU state in an init.
     *
     * <p>Kernel counterpart: {@code hyp_nr_cpus}, which modules read through their linker map.
     */
    int nrCpus();
}
