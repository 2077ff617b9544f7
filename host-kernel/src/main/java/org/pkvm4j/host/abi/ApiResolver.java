package org.pkvm4j.host.abi;

import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Resolves a module's references against an API, the way the JVM links them: a member named on
 * one type may be declared on a supertype.
 *
 * <p>Kernel counterpart: {@code resolve_symbol} in {@code kernel/module/main.c}. A reference whose
 * resolution leaves the API (a method of {@code java.lang.Object} or {@code java.lang.Enum} called
 * on an API type) is the JDK's, not part of the module ABI.
 */
final class ApiResolver {
    private final AbiModel api;

    ApiResolver(AbiModel api) {
        this.api = api;
    }

    /** How a reference resolved. */
    sealed interface Resolution {
        /** Declared by an API type: this symbol. */
        record Api(AbiSymbol symbol) implements Resolution {
        }

        /** Inherited from a JDK supertype: outside the module ABI. */
        record Jdk() implements Resolution {
        }

        /** Not found: the JVM would throw NoSuchMethodError, NoSuchFieldError or NoClassDefFoundError. */
        record Missing(String why) implements Resolution {
        }
    }

    /** Resolves a member reference, searching the named type and then its supertypes. */
    Resolution resolve(ApiReferences.MemberRef ref) {
        if (api.find(ref.owner()).isEmpty()) {
            return new Resolution.Missing("type " + ref.owner() + " does not exist");
        }
        List<String> pending = new ArrayList<>(List.of(ref.owner()));
        List<String> jdkSupertypes = new ArrayList<>();
        while (!pending.isEmpty()) {
            String type = pending.removeFirst();
            Optional<AbiSymbol> type0 = api.find(type);
            if (type0.isEmpty()) {
                jdkSupertypes.add(type);
                continue;
            }
            Optional<AbiSymbol> member = api.find(ref.symbolOn(type));
            if (member.isPresent()) {
                return matches(member.get(), ref) ? new Resolution.Api(member.get())
                        : new Resolution.Missing(describe(ref) + " has another type: " + member.get().description());
            }
            pending.addAll(supertypes(type0.get()));
        }
        // Only a JDK supertype can still declare it: ask the JDK, whose own compatibility is not this ABI's business.
        for (String jdk : jdkSupertypes) {
            if (jdkDeclares(jdk, ref)) {
                return new Resolution.Jdk();
            }
        }
        return new Resolution.Missing(describe(ref) + " does not exist");
    }

    /** Whether JDK type {@code type} (or a supertype) has a public or protected member matching {@code ref}. */
    private static boolean jdkDeclares(String type, ApiReferences.MemberRef ref) {
        ClassLoader platform = ClassLoader.getPlatformClassLoader();
        try {
            Class<?> owner = Class.forName(type, false, platform);
            if (ref.method()) {
                MethodType wanted = MethodType.fromMethodDescriptorString(ref.descriptor(), platform);
                for (Class<?> c = owner; c != null; c = c.getSuperclass()) {
                    for (Method m : c.getDeclaredMethods()) {
                        if (m.getName().equals(ref.name()) && isApiVisible(m.getModifiers())
                                && MethodType.methodType(m.getReturnType(), m.getParameterTypes()).equals(wanted)) {
                            return true;
                        }
                    }
                }
                return Stream.of(owner.getMethods()).anyMatch(m -> m.getName().equals(ref.name())
                        && MethodType.methodType(m.getReturnType(), m.getParameterTypes()).equals(wanted));
            }
            for (Class<?> c = owner; c != null; c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    if (f.getName().equals(ref.name()) && isApiVisible(f.getModifiers())) {
                        return f.getType().descriptorString().equals(ref.descriptor());
                    }
                }
            }
            return false;
        } catch (ClassNotFoundException | TypeNotPresentException | IllegalArgumentException | LinkageError e) {
            // A descriptor naming an API type cannot be a JDK member.
            return false;
        }
    }

    private static boolean isApiVisible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    /** The supertypes a type description names ({@code extends}, {@code implements}). */
    static List<String> supertypes(AbiSymbol type) {
        List<String> result = new ArrayList<>();
        for (String part : type.description().split(", ")) {
            if (part.startsWith("extends ")) {
                result.add(part.substring("extends ".length()));
            } else if (part.startsWith("implements ")) {
                result.addAll(List.of(part.substring("implements ".length()).split(" ")));
            }
        }
        if (type.description().startsWith("interface") && result.isEmpty()) {
            result.add("java.lang.Object");
        }
        return result;
    }

    /** The abstract methods a vendor-implemented interface type lists, as {@code name + descriptor}. */
    static List<String> abstractMethods(AbiSymbol type) {
        String d = type.description();
        int at = d.indexOf("abstract [");
        if (at < 0) {
            return List.of();
        }
        String list = d.substring(at + "abstract [".length(), d.indexOf(']', at));
        return list.isEmpty() ? List.of() : List.of(list.split(", "));
    }

    private static boolean matches(AbiSymbol symbol, ApiReferences.MemberRef ref) {
        String d = symbol.description();
        if (ref.method()) {
            return d.contains("returns " + ref.descriptor().substring(ref.descriptor().indexOf(')') + 1) + ",");
        }
        return d.contains("type " + ref.descriptor() + ",");
    }

    static String describe(ApiReferences.MemberRef ref) {
        return (ref.method() ? "method " : "field ") + ref.owner() + "." + ref.name() + ref.descriptor();
    }
}
