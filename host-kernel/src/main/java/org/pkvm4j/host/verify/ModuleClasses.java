package org.pkvm4j.host.verify;

import java.lang.classfile.ClassModel;
import java.lang.classfile.FieldModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.pkvm4j.host.verify.TypeInfo.Realm;

/**
 * The module's own classes: those its layer's loader will define from its own entries, by internal
 * name, with what each declares and extends.
 *
 * <p>A class file is the module's own only if its entry path is its {@code this_class} plus {@code
 * .class} (the lookup the JVM's loader does), it is not under {@code META-INF/} (no multi-release
 * variant), and its package is none of the boot layer's: such a name resolves to the JDK's or the
 * API's class whatever the jar holds. Any other class file defines nothing; a name it claims is
 * foreign and checked as such wherever the module's code uses it.
 */
final class ModuleClasses {
    private final Map<String, TypeInfo> types = new HashMap<>();

    /**
     * @param entries each class file's entry path and parsed model
     * @param reservedPackage whether a Java package name resolves outside the module's layer
     * @param approved when the loader already decided which binary names it defines, only those; null to decide here
     */
    ModuleClasses(Map<String, ClassModel> entries, Predicate<String> reservedPackage, Set<String> approved) {
        for (Map.Entry<String, ClassModel> e : entries.entrySet()) {
            ClassModel model = e.getValue();
            String name = model.thisClass().asInternalName();
            if (!isOwn(e.getKey(), name, reservedPackage) || approved != null && !approved.contains(name.replace('/', '.'))) {
                continue;
            }
            Map<String, Integer> members = new HashMap<>();
            for (MethodModel m : model.methods()) {
                members.put(m.methodName().stringValue().concat(m.methodType().stringValue()), m.flags().flagsMask());
            }
            for (FieldModel f : model.fields()) {
                members.put(f.fieldName().stringValue() + ":" + f.fieldType().stringValue(), f.flags().flagsMask());
            }
            List<String> interfaces = new ArrayList<>();
            for (ClassEntry i : model.interfaces()) {
                interfaces.add(i.asInternalName());
            }
            types.put(name, new TypeInfo(name, Realm.OWN, (model.flags().flagsMask() & 0x0200) != 0,
                    (model.flags().flagsMask() & 0x0001) != 0,
                    model.superclass().isPresent() ? model.superclass().get().asInternalName() : null,
                    List.copyOf(interfaces), members));
        }
    }

    /** Whether entry {@code path} holding class {@code internalName} is a class the module's loader defines. */
    static boolean isOwn(String path, String internalName, Predicate<String> reservedPackage) {
        return path.equals(internalName + ".class") && !path.startsWith("META-INF/")
                && !reservedPackage.test(RuntimeTypes.packageOf(internalName));
    }

    /** The own class of that internal name, or null. */
    TypeInfo get(String internalName) {
        return types.get(internalName);
    }

    /** Whether the module defines {@code internalName}. */
    boolean contains(String internalName) {
        return types.containsKey(internalName);
    }

    /** The element class of an array type's internal name, or the name itself; null for primitive elements. */
    static String elementClass(String internalName) {
        int dims = 0;
        while (dims < internalName.length() && internalName.charAt(dims) == '[') {
            dims++;
        }
        if (dims == 0) {
            return internalName;
        }
        return dims < internalName.length() && internalName.charAt(dims) == 'L' && internalName.endsWith(";")
                ? internalName.substring(dims + 1, internalName.length() - 1)
                : null;
    }
}
