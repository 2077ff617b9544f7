package org.pkvm4j.host.loader;

import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.api.el1.ModuleContext;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.host.cmdline.KernelCmdline;
import org.pkvm4j.host.dev.MiscDevices;
import org.pkvm4j.host.log.KernelLog;

/** The {@link ModuleContext} of one module: its name, its {@link Pkvm}, its parameters, its log. */
final class ModuleContextImpl implements ModuleContext {
    private static final Logger LOG = LogManager.getLogger();

    private final String name;
    private final ModulePkvm pkvm;
    private final KernelCmdline cmdline;
    private final KernelLog log;
    private final MiscDevices miscDevices;

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
    public void miscRegister(String deviceName, MiscDevice device) {
        miscDevices.register(name, deviceName, device);
    }
}
