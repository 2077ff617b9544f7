package org.pkvm4j.host.verify;

import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Printable;

/**
 * One reference of EL2 code the allow-list refuses.
 *
 * <p>{@link #toString()} is the one-line message the loader and {@code pkvm verify} print, for
 * example {@code acme.x.hyp.Foo.bar(J)V [bci 7, line 42] calls java.lang.Thread.sleep(J)V: not on
 * the EL2 allow-list (...)}, as modpost names the object, the symbol and the rule.
 *
 * @param className the class holding the reference, as a Java name (the entry path for a class
 *     file that is not the module's own)
 * @param method the method holding it, {@code name(descriptor)}, or the field, {@code
 *     name:descriptor}; {@code ""} for the class itself (its supertypes, attributes)
 * @param offset the bytecode offset (bci) of the instruction in {@code method}; -1 when not in code
 * @param line the source line of that instruction from the class file's line number table; 0 when
 *     unknown
 * @param action the kind of reference ("calls", "reads", "instantiates", "extends", "enters"...)
 * @param referenced the member or class referenced, {@code owner.name(descriptor)}, {@code
 *     owner.name:descriptor} or {@code owner}, or what a rule is about ("a monitor (synchronized block)")
 * @param reason why it is refused
 */
public record Violation(String className, String method, int offset, int line, String action, String referenced,
        String reason) {
    /** Quotes the names from the class file as printable text: they are the module author's. */
    public Violation {
        className = Printable.of(className);
        method = Printable.of(method);
        referenced = Printable.of(referenced);
    }

    /** Its stable code: {@code PKVM-EL2-POLICY-VIOLATION}. */
    public ErrorCode code() {
        return ErrorCode.EL2_POLICY_VIOLATION;
    }

    /** Where it is: {@code class.method [bci N, line L]}. */
    public String where() {
        String at = method.isEmpty() ? className : className + "." + method;
        if (offset < 0) {
            return at;
        }
        return at + " [bci " + offset + (line > 0 ? ", line " + line : "") + "]";
    }

    @Override
    public String toString() {
        return where() + " " + action + " " + referenced + ": " + reason;
    }
}
