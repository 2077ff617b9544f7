package org.pkvm4j.tools.abi;

import java.util.Comparator;
import java.util.Objects;
import org.pkvm4j.host.diag.ErrorCode;

/**
 * One difference between two ABIs, judged for modules built against the older one.
 *
 * <p>Kernel counterpart: one entry of libabigail's {@code abidiff} report, with its verdict
 * ("compatible" or "incompatible") and the reason a module author can act on.
 *
 * @param verdict whether modules built against the old ABI still link and behave
 * @param kind what changed, in words: {@code class}, {@code interface}, {@code method},
 *     {@code constructor}, {@code field}, {@code enum-constant}, {@code constant}, {@code module}
 * @param name the symbol's JVM name, as in a dump
 * @param what the change: {@code removed}, {@code added to class X}, {@code made final}, ...
 * @param reason what it means for modules built before, in one line
 */
public record AbiChange(Verdict verdict, String kind, String name, String what, String reason) {
    /** Breaking changes first, then by symbol name: the order of every report. */
    public static final Comparator<AbiChange> ORDER = Comparator.comparing(AbiChange::verdict)
            .thenComparing(AbiChange::name).thenComparing(AbiChange::what);

    /** Whether modules built against the old ABI keep working (JLS chapter 13, binary compatibility). */
    public enum Verdict {
        /** Modules built against the old ABI fail to link, or run with stale inlined values. */
        BREAKING,
        /** Modules built against the old ABI keep working. */
        COMPATIBLE
    }

    /** Checks for nulls. */
    public AbiChange {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(what, "what");
        Objects.requireNonNull(reason, "reason");
    }

    static AbiChange breaking(String kind, String name, String what, String reason) {
        return new AbiChange(Verdict.BREAKING, kind, name, what, reason);
    }

    static AbiChange compatible(String kind, String name, String what, String reason) {
        return new AbiChange(Verdict.COMPATIBLE, kind, name, what, reason);
    }

    /** Its stable code: {@code PKVM-ABI-BREAKING} or {@code PKVM-ABI-COMPATIBLE}. */
    public ErrorCode code() {
        return isBreaking() ? ErrorCode.ABI_BREAKING : ErrorCode.ABI_COMPATIBLE;
    }

    /** Whether this change breaks modules built before. */
    public boolean isBreaking() {
        return verdict == Verdict.BREAKING;
    }

    /**
     * The report line, for example {@code BREAKING  method org.pkvm4j.api.el2.ModuleOps.putx64(J)V
     * removed: modules calling it fail with NoSuchMethodError}.
     */
    public String line() {
        return (isBreaking() ? "BREAKING  " : "compatible ") + kind + ' ' + name + ' ' + what + ": " + reason;
    }

    @Override
    public String toString() {
        return line();
    }
}
