package org.pkvm4j.host.verify;

import java.util.List;
import java.util.Map;

/**
 * What member resolution needs to know of one class: where it comes from, its supertypes and the
 * members it declares, whether read from the module's class files or from the running JDK.
 *
 * @param name its internal name ({@code java/lang/String})
 * @param realm whose class it is
 * @param isInterface whether it is an interface
 * @param isPublic whether it is public
 * @param superName its superclass's internal name; null for {@code java/lang/Object} and for
 *     interfaces whose class file names none
 * @param interfaces its direct superinterfaces' internal names
 * @param members what it declares, by key ({@code name(descriptor)} for a method or constructor,
 *     {@code name:descriptor} for a field), with its access flags ({@link java.lang.reflect.Modifier} bits)
 */
record TypeInfo(String name, Realm realm, boolean isInterface, boolean isPublic, String superName, List<String> interfaces,
        Map<String, Integer> members) {
    /** {@code ACC_PRIVATE}. */
    static final int PRIVATE = 0x0002;
    /** {@code ACC_STATIC}. */
    static final int STATIC = 0x0008;
    /** {@code ACC_PUBLIC} and {@code ACC_PROTECTED}: what another module may name. */
    static final int VISIBLE = 0x0001 | 0x0004;

    /** Whose class a name denotes, as EL2 code links it. */
    enum Realm {
        /** A class the module's own loader defines from its approved entries. */
        OWN,
        /** A public type of an exported package of {@code org.pkvm4j.api}. */
        API,
        /** A class of the running JDK. */
        JDK
    }

    /** Whether it declares {@code key}. */
    boolean declares(String key) {
        return members.containsKey(key);
    }

    /** The access flags of declared member {@code key}; 0 if it declares none. */
    int flags(String key) {
        Integer f = members.get(key);
        return f == null ? 0 : f;
    }

    /** Its binary name ({@code java.util.Map$Entry}). */
    String binaryName() {
        return name.replace('/', '.');
    }
}
