package org.pkvm4j.host.verify;

import java.util.List;

/**
 * One line of an allow-list file.
 *
 * @param line its line, from 1
 * @param kind what it admits
 * @param owner the JDK class, as a binary name ({@code java.util.Map$Entry})
 * @param member {@code name(descriptor)} for a method or bootstrap, {@code name:descriptor} for a
 *     field, {@code ""} for a class or a whole class
 * @param except for a whole class, the member names left out (every overload of each)
 */
record AllowlistEntry(int line, Kind kind, String owner, String member, List<String> except) {
    /** What an entry admits. */
    enum Kind {
        /** {@code OWNER}: the class as a type (named in descriptors, casts, catches...), no member. */
        CLASS,
        /** {@code OWNER.*}: the class and every public or protected member it declares, but {@code except}. */
        WHOLE_CLASS,
        /** {@code OWNER.NAME(DESCRIPTOR)}: one method or constructor. */
        METHOD,
        /** {@code OWNER.NAME:DESCRIPTOR}: one field. */
        FIELD,
        /** {@code bootstrap OWNER.NAME(DESCRIPTOR)}: a bootstrap method for invokedynamic and dynamic constants. */
        BOOTSTRAP
    }

    /** The entry as a line of the file. */
    @Override
    public String toString() {
        return switch (kind) {
            case CLASS -> owner;
            case WHOLE_CLASS -> owner + ".*" + (except.isEmpty() ? "" : " except " + String.join(" ", except));
            case METHOD, FIELD -> owner + "." + member;
            case BOOTSTRAP -> "bootstrap " + owner + "." + member;
        };
    }
}
