package org.pkvm4j.host.loader;

import java.io.UncheckedIOException;
import java.lang.module.InvalidModuleDescriptorException;
import java.lang.module.ModuleDescriptor;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Printable;
import org.pkvm4j.host.diag.Refusal;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * What a vendor module's descriptors may say, checked before any of its classes is defined.
 *
 * <p>Kernel counterpart: the build rules of {@code hyp/Makefile.module} (an EL2 object links only
 * against the hypervisor's module interface) and modpost's refusal of unresolved symbols. An EL2
 * module may require only {@code org.pkvm4j.api}; an EL1 module may require {@code
 * org.pkvm4j.api}, the Log4j API and the EL1 modules of the modules it depends on.
 */
final class DescriptorPolicy {
    /** The module every vendor module compiles against. */
    static final String API = "org.pkvm4j.api";
    /** The logging API EL1 modules may use. */
    static final String LOG4J_API = "org.apache.logging.log4j";
    private static final String JAVA_BASE = "java.base";
    private static final String KERNEL_MODULE = "org.pkvm4j.api.el1.KernelModule";

    private DescriptorPolicy() {
    }

    /**
     * Reads a jar's {@code module-info.class}.
     *
     * @throws PkvmException {@code ENOEXEC} if the jar is not a modular jar
     */
    static ModuleDescriptor read(JarImage jar) {
        ByteBuffer info = jar.view("module-info.class").orElseThrow(() -> new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC,
                jar.label() + " is not a modular jar: it has no module-info.class"));
        ModuleDescriptor descriptor;
        try {
            descriptor = ModuleDescriptor.read(info, jar::packages);
        } catch (InvalidModuleDescriptorException e) {
            throw new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC, jar.label() + " has an invalid module-info.class: " + Printable.reason(e), e);
        } catch (UncheckedIOException e) {
            // The JDK reads a descriptor from a buffer through a DataInput: a malformed modified-UTF-8
            // constant (a name of the descriptor) comes out as an IOException, wrapped.
            throw new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC, jar.label() + " has an invalid module-info.class: "
                    + Printable.reason(e.getCause()), e);
        }
        // The JDK takes Java's identifier-ignorable characters (most C0 and C1 controls) in module,
        // package and class names; every message and log line that names them would carry them.
        for (String name : names(descriptor)) {
            if (name.chars().anyMatch(c -> Character.isISOControl(c) || c == '\u2028' || c == '\u2029')) {
                throw new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC, jar.label() + " has an invalid module-info.class: it names "
                        + Printable.quote(name) + ", which has a control character");
            }
        }
        return descriptor;
    }

    /** Every name a descriptor holds: the module's, its packages, and those its directives name. */
    private static Set<String> names(ModuleDescriptor d) {
        Set<String> names = new HashSet<>(d.packages());
        names.add(d.name());
        // Loops, not lambdas: every module's descriptors pass here on a JVM's first boot.
        if (d.rawVersion().isPresent()) {
            names.add(d.rawVersion().get());
        }
        if (d.mainClass().isPresent()) {
            names.add(d.mainClass().get());
        }
        for (ModuleDescriptor.Requires r : d.requires()) {
            names.add(r.name());
        }
        for (ModuleDescriptor.Exports e : d.exports()) {
            names.add(e.source());
            names.addAll(e.targets());
        }
        for (ModuleDescriptor.Opens o : d.opens()) {
            names.add(o.source());
            names.addAll(o.targets());
        }
        names.addAll(d.uses());
        d.provides().forEach(p -> {
            names.add(p.service());
            names.addAll(p.providers());
        });
        return names;
    }

    /**
     * Checks an EL2 module: it requires {@code org.pkvm4j.api} only, and takes no part in service
     * binding (EL2 code has no ServiceLoader: it is reached through symbols).
     *
     * @throws PkvmException {@code EPERM} for a forbidden directive; {@code ENOEXEC} if the name
     *     does not follow {@code <el1 module>.hyp}
     */
    static void checkEl2(String module, ModuleDescriptor el2, ModuleDescriptor el1) {
        if (!el2.name().equals(el1.name() + ".hyp")) {
            throw new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC, module + ": the EL2 module is named " + el2.name()
                    + "; it must be the EL1 module's name plus .hyp (" + el1.name() + ".hyp)");
        }
        for (ModuleDescriptor.Requires r : el2.requires()) {
            if (!r.name().equals(API) && !r.name().equals(JAVA_BASE)) {
                throw new Refusal(ErrorCode.LOAD_FORBIDDEN_REQUIRES, Errno.EPERM, module + ": EL2 module " + el2.name() + " requires " + r.name()
                        + "; EL2 code may require only " + API + " (it reaches the hypervisor through ModuleOps alone)");
            }
        }
        if (!el2.uses().isEmpty() || !el2.provides().isEmpty()) {
            throw new Refusal(ErrorCode.LOAD_FORBIDDEN_REQUIRES, Errno.EPERM, module + ": EL2 module " + el2.name()
                    + " declares uses/provides; EL2 entry points are @El2Symbol methods, not services");
        }
    }

    /**
     * Checks an EL1 module: its requires, and that it provides exactly one {@code KernelModule}.
     *
     * @param dependencyModules the EL1 module names of the modules listed in {@code depends=}
     * @throws PkvmException {@code EPERM} for a forbidden requires; {@code ENOEXEC} without exactly
     *     one KernelModule provider
     */
    static void checkEl1(String module, ModuleDescriptor el1, Collection<String> dependencyModules) {
        Set<String> allowed = new HashSet<>(dependencyModules);
        allowed.add(API);
        allowed.add(LOG4J_API);
        allowed.add(JAVA_BASE);
        for (ModuleDescriptor.Requires r : el1.requires()) {
            if (!allowed.contains(r.name())) {
                throw new Refusal(ErrorCode.LOAD_FORBIDDEN_REQUIRES, Errno.EPERM, module + ": EL1 module " + el1.name() + " requires " + r.name()
                        + "; EL1 modules may require " + API + ", " + LOG4J_API
                        + " and the EL1 modules of the modules named in depends=" + dependencyModules);
            }
        }
        long providers = 0;
        for (ModuleDescriptor.Provides p : el1.provides()) {
            if (p.service().equals(KERNEL_MODULE)) {
                providers += p.providers().size();
            }
        }
        if (providers != 1) {
            throw new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC, module + ": EL1 module " + el1.name() + " must provide exactly one "
                    + KERNEL_MODULE + " (provides " + providers + ")");
        }
    }
}
