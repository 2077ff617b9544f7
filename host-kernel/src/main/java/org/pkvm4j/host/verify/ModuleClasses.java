package org.pkvm4j.host.verify;

import java.lang.classfile.ClassModel;
import java.lang.classfile.FieldModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The module's own classes, by internal name, with what each declares and extends.
 *
 * <p>A reference to the module's own code is always fine, but javac names the static type as the
 * owner, so {@code this.wait()} in {@code acme.Foo} compiles to {@code acme/Foo.wait()V}: a member
 * the module does not declare is checked where it is inherited from, as the JVM resolves it.
 */
final class ModuleClasses {
    private static final String OBJECT = "java/lang/Object";
    /** java.lang.Object's methods, which a class inherits whatever its superclass. */
    private static final Set<String> OBJECT_METHODS = Set.of("wait()V", "wait(J)V", "wait(JI)V", "notify()V",
            "notifyAll()V", "getClass()Ljava/lang/Class;", "hashCode()I", "equals(Ljava/lang/Object;)Z",
            "toString()Ljava/lang/String;", "clone()Ljava/lang/Object;", "finalize()V");

    /** One own class: its superclass (internal name, null for none), interfaces and member keys. */
    private record Own(String superName, List<String> interfaces, Set<String> members) {
    }

    private final Map<String, Own> types = new HashMap<>();

    ModuleClasses(List<ClassModel> classes) {
        for (ClassModel model : classes) {
            Set<String> members = new HashSet<>();
            for (MethodModel m : model.methods()) {
                members.add(m.methodName().stringValue().concat(m.methodType().stringValue()));
            }
            for (FieldModel f : model.fields()) {
                members.add(f.fieldName().stringValue());
            }
            List<String> interfaces = new ArrayList<>();
            for (ClassEntry i : model.interfaces()) {
                interfaces.add(i.asInternalName());
            }
            types.put(model.thisClass().asInternalName(), new Own(
                    model.superclass().isPresent() ? model.superclass().get().asInternalName() : null, interfaces, members));
        }
    }

    /** Whether the module declares {@code internalName}. */
    boolean contains(String internalName) {
        return types.containsKey(internalName);
    }

    /**
     * Where a member named through own class {@code owner} comes from, when the module does not
     * declare it: {@code java/lang/Object} for Object's methods, else the first superclass outside
     * the module, else (that superclass being Object) the interfaces outside the module, any of
     * which may supply a default method. Empty when the module declares the member.
     *
     * @param key {@code name(descriptor)} for a method, {@code name} for a field
     */
    List<String> inheritedFrom(String owner, String key) {
        Set<String> externalInterfaces = new LinkedHashSet<>();
        Set<String> seen = new HashSet<>();
        Deque<String> interfaces = new ArrayDeque<>();
        String superclass = null;
        for (String c = owner; c != null; ) {
            Own own = types.get(c);
            if (own == null) {
                superclass = c;
                break;
            }
            if (!seen.add(c)) {
                break; // a cycle only a forged class file has; the JVM would refuse it
            }
            if (own.members().contains(key)) {
                return List.of();
            }
            interfaces.addAll(own.interfaces());
            c = own.superName();
        }
        while (!interfaces.isEmpty()) {
            String i = interfaces.pop();
            Own own = types.get(i);
            if (own == null) {
                externalInterfaces.add(i);
            } else if (seen.add(i)) {
                if (own.members().contains(key)) {
                    return List.of();
                }
                interfaces.addAll(own.interfaces());
            }
        }
        if (superclass == null || OBJECT_METHODS.contains(key)) {
            return List.of(OBJECT);
        }
        if (!superclass.equals(OBJECT) || externalInterfaces.isEmpty()) {
            return List.of(superclass);
        }
        return new ArrayList<>(externalInterfaces);
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
        return dims < internalName.length() && internalName.charAt(dims) == 'L'
                ? internalName.substring(dims + 1, internalName.length() - 1)
                : null;
    }
}
