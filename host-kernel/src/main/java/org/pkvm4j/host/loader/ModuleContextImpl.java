package org.pkvm4j.host.loader;

import java.util.Optional;
import java.util.function.IntConsumer;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.SysReg;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.api.el1.ModuleContext;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.host.cmdline.KernelCmdline;
import org.pkvm4j.host.dev.MiscDevices;
import org.pkvm4j.host.log.HostLogger;
import org.pkvm4j.host.log.KernelLog;

/** The {@link ModuleContext} of one module: its name, its {@link Pkvm}, its parameters, its log. */
final class ModuleContextImpl implements ModuleContext {
    private static final HostLogger LOG = HostLogger.of(ModuleContextImpl.class);

    private final String name;
    private final ModulePkvm pkvm;
    private final KernelCmdline cmdline;
    private final KernelLog log;
    private final MiscDevices miscDevices;
    // Set by rmmod, under this object's lock, before it removes the module's devices: a context
    // a module kept past its exit can register nothing that would outlive the unload.
    private boolean unloaded;

    ModuleContextImpl(String name, ModulePkvm pkvm, KernelCmdline cmdline, KernelLog log, MiscDevices miscDevices) {
        this.name = name;
        this.pkvm = pkvm;
        this.cmdline = cmdline;
        this.log = log;
        this.miscDevices = miscDevices;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Pkvm pkvm() {
        return pkvm;
    }

    @Override
    public Optional<String> parameter(String key) {
        return cmdline.get(name + "." + key);
    }

    @Override
    public void printk(String message) {
        log.info(LOG, "{}: {}", name, message);
    }

    @Override
    public synchronized void miscRegister(String deviceName, MiscDevice device) {
        if (unloaded) {
            throw new PkvmException(Errno.ENODEV, name + ": unloaded; cannot register /dev/" + deviceName);
        }
        miscDevices.register(name, deviceName, device);
    }

    @Override
    public long readSysreg(SysReg reg) {
        return pkvm.gateway().readSysreg(reg);
    }

    @Override
    public void writeSysreg(SysReg reg, long value) {
        pkvm.gateway().writeSysreg(reg, value);
    }

    @Override
    public void onEachCpu(IntConsumer fn) {
        pkvm.gateway().onEachCpu(fn);
    }

    /** Marks the module unloaded: later registrations through this context are refused. */
    synchronized void revoke() {
        unloaded = true;
    }
}
