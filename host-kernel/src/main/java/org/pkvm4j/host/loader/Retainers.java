package org.pkvm4j.host.loader;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pkvm4j.host.dev.MiscDevices;

/**
 * Looks for what keeps an unloaded module's class loader reachable, among the things the kernel can
 * enumerate without reflection: live platform threads (their context class loader, their class,
 * their uncaught exception handler, the frames they are running), the default uncaught exception
 * handler, and the misc devices still registered.
 */
final class Retainers {
    private Retainers() {
    }

    /** Every holder of {@code loader} the kernel can see, one description each. */
    static List<String> of(ClassLoader loader, String el1Module, MiscDevices devices) {
        List<String> found = new ArrayList<>();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            String thread = "thread \"" + t.getName() + "\" (#" + t.threadId() + ", " + t.getState() + ")";
            if (t.getContextClassLoader() == loader) {
                found.add(thread + ": its context class loader is the module's");
            }
            if (t.getClass().getClassLoader() == loader) {
                found.add(thread + ": an instance of the module's " + t.getClass().getName());
            }
            Thread.UncaughtExceptionHandler handler = t.getUncaughtExceptionHandler();
            if (handler != null && handler.getClass().getClassLoader() == loader) {
                found.add(thread + ": its uncaught exception handler is the module's " + handler.getClass().getName());
            }
            for (StackTraceElement frame : e.getValue()) {
                if (el1Module.equals(frame.getModuleName())) {
                    found.add(thread + ": a live thread running the module's code at " + frame.getClassName() + "."
                            + frame.getMethodName() + "(" + frame.getFileName() + ":" + frame.getLineNumber() + ")");
                    break;
                }
            }
        }
        Thread.UncaughtExceptionHandler global = Thread.getDefaultUncaughtExceptionHandler();
        if (global != null && global.getClass().getClassLoader() == loader) {
            found.add("the default uncaught exception handler (Thread.setDefaultUncaughtExceptionHandler): "
                    + global.getClass().getName());
        }
        for (String device : devices.implementedBy(loader)) {
            found.add("misc device " + device);
        }
        return found;
    }
}
