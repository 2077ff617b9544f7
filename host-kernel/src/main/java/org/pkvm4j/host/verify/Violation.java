package org.pkvm4j.host.verify;

import org.pkvm4j.host.diag.ErrorCode;

/**
 * One reference of EL2 code the policy refuses.
 *
 * <p>{@link #toString()} is the one-line message the loader and {@code pkvm verify} print, for
 * example {@code acme.x.hyp.Foo.bar(J)V calls java.lang.Thread.sleep(J)V: EL2 code cannot block:
 * pKVM's EL2 is not preemptible}, as modpost names the object, the symbol and the rule.
 *
 * @param className the class holding the reference, as a Java name
 * @param method the method holding it, {@code name(descriptor)}; {@code ""} for the class itself
 *     (its supertypes)
 * @param action what the code does with it ("calls", "reads", "extends", "enters", ...)
 * @param referenced the member or class referenced, {@code owner.name(descriptor)} or {@code
 *     owner.field}, or what a pseudo-rule is about ("a monitor (synchronized block)")
 * @param reason why the policy refuses it
 */
public record Violation(String className, String method, String action, String referenced, String reason) {
    /** Its stable code: {@code PKVM-EL2-POLICY-VIOLATION}. */
    public ErrorCode code() {
        return ErrorCode.EL2_POLICY_VIOLATION;
    }

    @Override
    public String toString() {
        return (method.isEmpty() ? className : className + "." + method) + " " + action + " " + referenced + ": " + reason;
    }
}
