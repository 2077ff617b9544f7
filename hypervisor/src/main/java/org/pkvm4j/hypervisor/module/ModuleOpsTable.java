package org.pkvm4j.hypervisor.module;

import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.api.el2.SerialDriver;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.machine.HypPlatform;

/**
 * The hypervisor's one {@code pkvm_module_ops} instance, handed to every module init.
 *
 * <p>Kernel counterpart: {@code static const struct pkvm_module_ops module_ops} in {@code
 * nvhe/modules.c}. Its fields are private to the hyp layer; vendor code holds it only through the
 * {@link ModuleOps} interface, and strong encapsulation keeps reflection out.
 */
public final class ModuleOpsTable implements ModuleOps {
    private final HypConsole console;
    private final HypPlatform platform;

    /** The ops over the hypervisor's console and platform. */
    public ModuleOpsTable(HypConsole console, HypPlatform platform) {
        this.console = console;
        this.platform = platform;
    }

    @Override
    public void registerSerialDriver(SerialDriver driver) {
        console.registerSerialDriver(driver);
    }

    @Override
    public void putc(char c) {
        console.putc(c);
    }

    @Override
    public void puts(String s) {
        console.puts(s);
    }

    @Override
    public void putx64(long x) {
        console.putx64(x);
    }

    @Override
    public int smpProcessorId() {
        return platform.currentCpu().id();
    }

    @Override
    public int nrCpus() {
        return platform.nrCpus();
    }
}
