package org.pkvm4j.host.abi;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * One symbol of the module API: a type, a method, a field, a compile-time constant.
 *
 * <p>Kernel counterpart: an exported symbol with its {@code genksyms} CRC. The CRC covers the
 * symbol's expanded description (for a method: its owner's kind and role, its descriptor and its
 * linkage flags; for a type: its supertypes, permitted subclasses, record components, enum
 * constants and, for an interface vendors implement, its abstract methods), so any change that can
 * break a module built against it changes the CRC.
 *
 * @param kind what it is
 * @param name its name: a type {@code org.pkvm4j.api.Smccc}; a method with its parameter
 *     descriptor {@code org.pkvm4j.api.Smccc.kvmHostSmcccId(I)}; a field {@code
 *     org.pkvm4j.api.Smccc.RET_SUCCESS}. Return and field types are in the description.
 * @param description the expanded description the CRC covers
 */
public record AbiSymbol(Kind kind, String name, String description) {

    /** What a symbol is. */
    public enum Kind {
        /** A class, interface, enum, record or annotation. */
        TYPE,
        /** A constructor or method. */
        METHOD,
        /** A field that is not a compile-time constant. */
        FIELD,
        /** A {@code static final} field with a constant value javac copies into callers. */
        CONSTANT;

        /** The word used in dumps. */
        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Checks for nulls. */
    public AbiSymbol {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
    }

    /** The CRC32 of the expanded description, as {@code modversions} records it. */
    public int crc() {
        CRC32 crc = new CRC32();
        crc.update((kind.word() + ' ' + name + ' ' + description).getBytes(StandardCharsets.UTF_8));
        return (int) crc.getValue();
    }

    /** The CRC as 8 hex digits with {@code 0x}. */
    public String crcHex() {
        return "0x%08x".formatted(crc());
    }

    /** The type a member belongs to; the type itself for a type. */
    public String owner() {
        if (kind == Kind.TYPE) {
            return name;
        }
        int paren = name.indexOf('(');
        String head = paren >= 0 ? name.substring(0, paren) : name;
        return head.substring(0, head.lastIndexOf('.'));
    }

    /** The dump line: CRC, kind, name and description. */
    public String dumpLine() {
        return crcHex() + ' ' + kind.word() + ' ' + name + " | " + description;
    }
}
