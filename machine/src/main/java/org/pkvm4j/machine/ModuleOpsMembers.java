package org.pkvm4j.machine;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pkvm4j.api.el2.ModuleOps;

/**
 * The members of {@link ModuleOps}, named as the KMI tables and the hypervisor's KMI gate name them:
 * read once per JVM.
 *
 * <p>Kernel counterpart: the fields of {@code struct pkvm_module_ops}. They depend only on the one
 * {@code ModuleOps} interface every device shares, while the hypervisor that checks them is defined
 * anew on every boot (its own layer, with its own statics), so the reflection lives here, in the
 * shared machine layer, and not in the hypervisor's boot path.
 */
public final class ModuleOpsMembers {
    private static final List<Member> ALL = reflect();

    private ModuleOpsMembers() {
    }

    /**
     * One member.
     *
     * @param signature as the KMI tables spell it: {@code name(Type, Type)}, simple type names
     *     ({@code hostStage2ModProt(long, int)}); what {@link HypKmi#members()} holds
     * @param key what the hypervisor's ops table checks it under: its name, or its signature if the
     *     name is overloaded
     */
    public record Member(String signature, String key) {
    }

    /** Every member: the abstract (non-static) methods of {@code ModuleOps}, in no particular order. */
    public static List<Member> all() {
        return ALL;
    }

    private static List<Member> reflect() {
        List<Method> methods = new ArrayList<>();
        Map<String, Integer> arity = new HashMap<>();
        for (Method m : ModuleOps.class.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers())) {
                methods.add(m);
                arity.merge(m.getName(), 1, Integer::sum);
            }
        }
        List<Member> members = new ArrayList<>(methods.size());
        for (Method m : methods) {
            String signature = signature(m);
            members.add(new Member(signature, arity.get(m.getName()) > 1 ? signature : m.getName()));
        }
        return List.copyOf(members);
    }

    /**
     * A method as the KMI tables spell it: {@code name(Type, Type)}, simple parameter type names.
     *
     * @param m a method
     * @return its signature as the tables spell it
     */
    public static String signature(Method m) {
        StringBuilder s = new StringBuilder(m.getName()).append('(');
        Class<?>[] types = m.getParameterTypes();
        for (int i = 0; i < types.length; i++) {
            s.append(i == 0 ? "" : ", ").append(types[i].getSimpleName());
        }
        return s.append(')').toString();
    }
}
