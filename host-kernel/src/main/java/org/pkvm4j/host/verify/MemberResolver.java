package org.pkvm4j.host.verify;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.pkvm4j.host.verify.TypeInfo.Realm;

/**
 * Resolves a field or method reference as the JVM does (JVMS 5.4.3.2 to 5.4.3.4): in the named
 * class, then its superclasses, then the maximally specific superinterfaces; across the module's
 * own classes, the API and the JDK with the JDK's own class hierarchy. javac names the static type
 * as the owner, so {@code ConcurrentLinkedQueue.parallelStream()} is {@code
 * Collection.parallelStream()}, and that is what the allow-list judges.
 *
 * <p>A walk from the module's own class into a JDK class the allow-list does not admit stops there
 * ({@link Resolution#blockedAt}): the verifier refuses the reference without looking further, and
 * no hostile name makes the host load a class.
 */
final class MemberResolver {
    private static final String OBJECT = "java/lang/Object";

    /**
     * Where a reference resolves.
     *
     * @param found each declaration it may resolve to (one, but for several maximally specific
     *     interface methods), with the class the allow-list judges it by
     * @param blockedAt the internal name of a class outside EL2's reach the walk stopped at, or null
     */
    record Resolution(List<Found> found, String blockedAt) {
    }

    /**
     * One declaration.
     *
     * @param declarer the class that declares the member
     * @param judgedAs the internal name the allow-list judges it under: the declarer, or the nearest
     *     public class exposing a non-public declarer's member ({@code StringBuilder} for {@code
     *     AbstractStringBuilder.length()})
     */
    record Found(TypeInfo declarer, String judgedAs) {
    }

    private final Function<String, TypeInfo> local;
    private final Function<String, TypeInfo> jdk;
    private final Predicate<String> admittedJdkClass;

    /**
     * @param local an own or API class by internal name, or null
     * @param jdk a JDK class by internal name, or null
     * @param admittedJdkClass whether a JDK class (internal name) is on the allow-list
     */
    MemberResolver(Function<String, TypeInfo> local, Function<String, TypeInfo> jdk, Predicate<String> admittedJdkClass) {
        this.local = local;
        this.jdk = jdk;
        this.admittedJdkClass = admittedJdkClass;
    }

    /**
     * Class {@code name}, reached from {@code from} (null: named by the reference itself); null if it
     * does not exist, or if {@code from} is the module's own and {@code name} a JDK class off the
     * allow-list, which is then not even looked up.
     */
    private TypeInfo step(TypeInfo from, String name) {
        TypeInfo t = local.apply(name);
        if (t != null) {
            return t;
        }
        if (from != null && from.realm() == Realm.OWN && !admittedJdkClass.test(name)) {
            return null;
        }
        return jdk.apply(name);
    }

    /** A method reference {@code owner.key} ({@code key} = name + descriptor). */
    Resolution method(String owner, String key, boolean interfaceRef) {
        TypeInfo c = step(null, owner);
        if (c == null) {
            return new Resolution(List.of(), owner);
        }
        if (key.startsWith("<init>") || key.startsWith("<clinit>")) {
            return new Resolution(c.declares(key) ? List.of(new Found(c, c.name())) : List.of(), null);
        }
        List<TypeInfo> chain = new ArrayList<>();
        if (interfaceRef) {
            if (c.declares(key)) {
                return found(c, c.name());
            }
            TypeInfo object = step(null, OBJECT);
            if (object != null && object.declares(key) && (object.flags(key) & 0x0001) != 0
                    && (object.flags(key) & TypeInfo.STATIC) == 0) {
                return found(object, OBJECT);
            }
            chain.add(c);
        } else {
            String lastPublic = c.name();
            Set<String> seen = new HashSet<>();
            for (TypeInfo k = c; k != null; ) {
                if (!seen.add(k.name())) {
                    return new Resolution(List.of(), null); // a superclass cycle only a forged class file has; the JVM refuses it
                }
                if (k.realm() != Realm.JDK || k.isPublic()) {
                    lastPublic = k.name();
                }
                if (k.declares(key)) {
                    return found(k, k.isPublic() || k.realm() != Realm.JDK ? k.name() : lastPublic);
                }
                chain.add(k);
                if (k.superName() == null) {
                    break;
                }
                TypeInfo next = step(k, k.superName());
                if (next == null) {
                    return new Resolution(List.of(), k.superName());
                }
                k = next;
            }
        }
        return superinterfaces(chain, key);
    }

    /** A field reference {@code owner.key} ({@code key} = name:descriptor). */
    Resolution field(String owner, String key) {
        TypeInfo c = step(null, owner);
        if (c == null) {
            return new Resolution(List.of(), owner);
        }
        return field(c, key, new HashSet<>());
    }

    private Resolution field(TypeInfo c, String key, Set<String> seen) {
        if (!seen.add(c.name())) {
            return new Resolution(List.of(), null);
        }
        if (c.declares(key)) {
            return found(c, c.name());
        }
        List<String> supers = new ArrayList<>(c.interfaces());
        if (c.superName() != null) {
            supers.add(c.superName());
        }
        for (String s : supers) {
            TypeInfo t = step(c, s);
            if (t == null) {
                return new Resolution(List.of(), s);
            }
            Resolution r = field(t, key, seen);
            if (!r.found().isEmpty() || r.blockedAt() != null) {
                return r;
            }
        }
        return new Resolution(List.of(), null);
    }

    /** The maximally specific superinterface methods of the classes in {@code chain}: non-static, non-private. */
    private Resolution superinterfaces(List<TypeInfo> chain, String key) {
        Set<TypeInfo> candidates = new LinkedHashSet<>();
        Set<String> seen = new HashSet<>();
        Deque<TypeInfo[]> work = new ArrayDeque<>();
        for (TypeInfo k : chain) {
            work.add(new TypeInfo[] {k});
        }
        while (!work.isEmpty()) {
            TypeInfo from = work.pop()[0];
            for (String i : from.interfaces()) {
                if (!seen.add(i)) {
                    continue;
                }
                TypeInfo t = step(from, i);
                if (t == null) {
                    return new Resolution(List.of(), i);
                }
                if (t.declares(key) && (t.flags(key) & (TypeInfo.STATIC | TypeInfo.PRIVATE)) == 0) {
                    candidates.add(t);
                }
                work.add(new TypeInfo[] {t});
            }
        }
        List<Found> maximal = new ArrayList<>();
        for (TypeInfo t : candidates) {
            boolean overridden = false;
            for (TypeInfo other : candidates) {
                if (other != t && extendsInterface(other, t.name(), new HashSet<>())) {
                    overridden = true;
                    break;
                }
            }
            if (!overridden) {
                maximal.add(new Found(t, t.name()));
            }
        }
        return new Resolution(maximal, null);
    }

    private boolean extendsInterface(TypeInfo t, String target, Set<String> seen) {
        for (String i : t.interfaces()) {
            if (i.equals(target)) {
                return true;
            }
            TypeInfo s = seen.add(i) ? step(t, i) : null;
            if (s != null && extendsInterface(s, target, seen)) {
                return true;
            }
        }
        return false;
    }

    private static Resolution found(TypeInfo t, String judgedAs) {
        return new Resolution(List.of(new Found(t, judgedAs)), null);
    }
}
