package org.pkvm4j.host.verify;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.host.verify.TypeInfo.Realm;

/**
 * The classes of the running JDK and of {@code org.pkvm4j.api}, as the JVM resolves them for EL2
 * code: looked up by name through the platform class loader (the JDK) or in the API module, never
 * initialized, read with the JDK's own class hierarchy, and remembered.
 *
 * <p>Only names the allow-list admits, the API's exported types, and their supertypes are ever
 * looked up: a name from a module's class file that is none of those is refused before it gets
 * here, so hostile input cannot make the host load arbitrary classes.
 *
 * <p>A JDK class the {@link AllowlistModel} holds (the allow-list's classes, made at build time
 * from this very JDK) is taken from it instead of reflected over; every other name is reflected, as
 * without a model.
 */
final class RuntimeTypes {
    private static final String API_PACKAGE = "org.pkvm4j.api";

    private final Module api = ModuleOps.class.getModule();
    private final ClassLoader platform = ClassLoader.getPlatformClassLoader();
    private final Map<String, Optional<TypeInfo>> jdk = new ConcurrentHashMap<>();
    private final Map<String, Optional<TypeInfo>> apiTypes = new ConcurrentHashMap<>();
    private final Set<String> bootPackages;
    private final AllowlistModel model;

    /** Classes looked up in {@code model} (null: none) first, then by reflection. */
    RuntimeTypes(AllowlistModel model) {
        this.model = model;
        Set<String> packages = new HashSet<>();
        for (Module m : ModuleLayer.boot().modules()) {
            packages.addAll(m.getPackages());
        }
        this.bootPackages = Set.copyOf(packages);
    }

    /** A JDK class by internal name, or null if the running JDK has none of that name. */
    TypeInfo jdk(String internalName) {
        Optional<TypeInfo> t = jdk.get(internalName);
        if (t == null) {
            TypeInfo known = model == null ? null : model.type(internalName);
            t = Optional.ofNullable(known != null ? known : loadJdk(internalName));
            jdk.put(internalName, t);
        }
        return t.orElse(null);
    }

    /** The internal names of the JDK classes looked up so far that exist. */
    Set<String> jdkFound() {
        Set<String> found = new java.util.TreeSet<>();
        for (Map.Entry<String, Optional<TypeInfo>> e : jdk.entrySet()) {
            if (e.getValue().isPresent()) {
                found.add(e.getKey());
            }
        }
        return found;
    }

    /** A public type of an exported package of {@code org.pkvm4j.api} by internal name, or null. */
    TypeInfo api(String internalName) {
        if (!isApiPackage(packageOf(internalName))) {
            return null;
        }
        Optional<TypeInfo> t = apiTypes.get(internalName);
        if (t == null) {
            Class<?> c = Class.forName(api, internalName.replace('/', '.'));
            t = Optional.ofNullable(c != null && Modifier.isPublic(c.getModifiers()) ? info(c, Realm.API) : null);
            apiTypes.put(internalName, t);
        }
        return t.orElse(null);
    }

    /**
     * Whether classes of package {@code pkg} (a Java name) resolve outside a vendor layer: the
     * packages of the boot layer (the JDK's, the API's, the host's) and every {@code java.*}
     * package. A module's class file of such a package never defines the class its name says.
     */
    boolean isReservedPackage(String pkg) {
        return pkg.equals("java") || pkg.startsWith("java.") || bootPackages.contains(pkg) || isApiPackage(pkg);
    }

    private boolean isApiPackage(String pkg) {
        // Unnamed (on the class path in unit tests), every package counts as exported.
        return (pkg.equals(API_PACKAGE) || pkg.startsWith(API_PACKAGE + ".")) && (!api.isNamed() || api.isExported(pkg));
    }

    /** The Java package name of an internal class name ({@code ""} for the unnamed package). */
    static String packageOf(String internalName) {
        int slash = internalName.lastIndexOf('/');
        return slash < 0 ? "" : internalName.substring(0, slash).replace('/', '.');
    }

    private TypeInfo loadJdk(String internalName) {
        if (internalName.isEmpty() || internalName.startsWith("[") || internalName.indexOf('.') >= 0) {
            return null;
        }
        try {
            // Not initialized: a lookup runs no JDK code beyond class loading.
            Class<?> c = Class.forName(internalName.replace('/', '.'), false, platform);
            return c.getClassLoader() == null || c.getClassLoader() == platform ? info(c, Realm.JDK) : null;
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
    }

    private static TypeInfo info(Class<?> c, Realm realm) {
        Map<String, Integer> members = new LinkedHashMap<>();
        for (Constructor<?> k : c.getDeclaredConstructors()) {
            members.put("<init>" + descriptor(void.class, k.getParameterTypes()), k.getModifiers());
        }
        for (Method m : c.getDeclaredMethods()) {
            members.put(m.getName() + descriptor(m.getReturnType(), m.getParameterTypes()), m.getModifiers());
        }
        for (Field f : c.getDeclaredFields()) {
            members.put(f.getName() + ":" + f.getType().descriptorString(), f.getModifiers());
        }
        List<String> interfaces = new ArrayList<>();
        for (Class<?> i : c.getInterfaces()) {
            interfaces.add(internal(i));
        }
        Class<?> s = c.getSuperclass();
        return new TypeInfo(internal(c), realm, c.isInterface(), Modifier.isPublic(c.getModifiers()),
                s == null ? (c == Object.class ? null : "java/lang/Object") : internal(s), List.copyOf(interfaces),
                Map.copyOf(members));
    }

    /**
     * A method descriptor, as {@code MethodType.toMethodDescriptorString} writes it, without
     * interning a {@code MethodType} for each of the thousands of JDK methods the allow-list's
     * classes declare (ADR 0018).
     */
    static String descriptor(Class<?> returnType, Class<?>[] parameterTypes) {
        StringBuilder b = new StringBuilder("(");
        for (Class<?> p : parameterTypes) {
            b.append(p.descriptorString());
        }
        return b.append(')').append(returnType.descriptorString()).toString();
    }

    private static String internal(Class<?> c) {
        return c.getName().replace('.', '/');
    }
}
