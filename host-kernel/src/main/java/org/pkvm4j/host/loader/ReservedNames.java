package org.pkvm4j.host.loader;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.util.HashSet;
import java.util.Set;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;

/**
 * Names a vendor module may not take: pkvm4j's own ({@code org.pkvm4j}, {@code org.pkvm4j.*}), and
 * the name or a package of any module the JVM already has, or anything inside them ({@code
 * java.base.x}, {@code java.lang.x}).
 *
 * <p>Kernel counterpart: a module may not export a symbol the kernel already exports ({@code
 * EXPORT_SYMBOL} clashes are refused by {@code verify_exported_symbols}). A vendor package named
 * like the hypervisor's or the JDK's would be a second definition of a name other code trusts; the
 * refusal comes before any class is defined, for EL1 and EL2 parts alike.
 */
final class ReservedNames {
    private static final String PKVM4J = "org.pkvm4j";

    private ReservedNames() {
    }

    /** The modules and packages of the boot layer and of the system image, read once. */
    private static final class System {
        static final Set<String> MODULES = new HashSet<>();
        static final Set<String> PACKAGES = new HashSet<>();

        static {
            for (Module m : ModuleLayer.boot().modules()) {
                MODULES.add(m.getName());
                PACKAGES.addAll(m.getPackages());
            }
            for (ModuleReference r : ModuleFinder.ofSystem().findAll()) {
                MODULES.add(r.descriptor().name());
                PACKAGES.addAll(r.descriptor().packages());
            }
        }
    }

    /**
     * Refuses {@code descriptor} if its name or one of its packages is reserved.
     *
     * @param level {@code EL1} or {@code EL2}, for the message
     * @throws PkvmException {@code EPERM} ({@link ErrorCode#LOAD_RESERVED_NAME}) naming the name
     */
    static void check(String module, String level, ModuleDescriptor descriptor) {
        String why = reason(descriptor.name(), System.MODULES);
        if (why != null) {
            throw refusal(module, level + " module " + descriptor.name() + " is named " + why);
        }
        for (String pkg : descriptor.packages()) {
            why = reason(pkg, System.PACKAGES);
            if (why != null) {
                throw refusal(module, level + " module " + descriptor.name() + " has package " + pkg + ", " + why);
            }
        }
    }

    /** Why {@code name} is reserved, or null: it is, or lies inside, pkvm4j's or a name of {@code taken}. */
    private static String reason(String name, Set<String> taken) {
        if (name.equals(PKVM4J) || name.startsWith(PKVM4J + ".")) {
            return "a reserved name (org.pkvm4j.* belongs to pkvm4j)";
        }
        for (int dot = name.indexOf('.'); ; dot = name.indexOf('.', dot + 1)) {
            String prefix = dot < 0 ? name : name.substring(0, dot);
            if (taken.contains(prefix)) {
                return "a reserved name (" + (prefix.equals(name) ? "" : "inside ") + prefix
                        + ", a name the JVM's own modules use)";
            }
            if (dot < 0) {
                return null;
            }
        }
    }

    private static Refusal refusal(String module, String what) {
        return new Refusal(ErrorCode.LOAD_RESERVED_NAME, Errno.EPERM, module + ": " + what);
    }
}
