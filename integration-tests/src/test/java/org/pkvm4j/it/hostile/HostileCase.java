package org.pkvm4j.it.hostile;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import org.pkvm4j.api.Errno;
import org.pkvm4j.testkit.ModuleFileBuilder;

/**
 * One case of the hostile-module corpus: how its module file is made, how the device is booted and
 * driven, and what must come out.
 *
 * @param id the case's name (snake case): module {@code h_<id>}, Java modules {@code corpus.<id>*}
 * @param what one line: what the module tries
 * @param source its sources
 * @param tamper what is done by hand to the vendor-built file, given the builder and the sources
 *     (identity for a module a vendor build could make)
 * @param variants how the file is packed: by the vendor build, by hand, or both
 * @param bypass boot with the static EL2 checks switched off ({@code pkvm.el2_verify=0}), to show
 *     the run-time layer holds alone
 * @param calls the ioctls made after boot, each {cmd, arg}, in order
 * @param expect what must come out
 * @param forked run in a JVM of its own (code that would end or hang the test JVM where nothing stops it)
 */
record HostileCase(String id, String what, HostileSource source,
        BiFunction<ModuleFileBuilder, HostileSource, ModuleFileBuilder> tamper, List<Variant> variants, boolean bypass,
        List<long[]> calls, Expect expect, boolean forked) {

    HostileCase {
        Objects.requireNonNull(expect, "expect");
        variants = List.copyOf(variants);
    }

    /** How a case's module file is packed. */
    enum Variant {
        /** As a vendor's Maven build packs it: javac, modinfo, EL2 jar, modversions stamped by modpost. */
        VENDOR_BUILD,
        /**
         * As an attacker packs it with a zip tool, bypassing the vendor build and its checks: no
         * modversions, every entry stored, in reverse order, plus the case's hand-made changes.
         */
        BY_HAND
    }

    /** What a case must come to. */
    sealed interface Expect {
    }

    /**
     * The load is refused: the device is insecure because of this module, with {@code code} and
     * {@code errno}, and the reason names each of {@code names} (alternatives split by '|').
     */
    record Refused(String code, Errno errno, List<String> names) implements Expect {
    }

    /**
     * The hypervisor panics (at boot or on the first call): the panic report carries {@code code}
     * ({@code PKVM-HYP-PANIC}, {@code PKVM-HYP-LOCKUP}) and names each of {@code names}; no line of
     * the hyp console contains {@code absentMarker} (if not null).
     */
    record Panics(String code, List<String> names, String absentMarker) implements Expect {
    }

    /**
     * The module loads and its calls return {@code results} (x1 of each call, in order); the
     * module's misdeed changed nothing and was reported: a kernel log line names the module, and no
     * hyp console line contains {@code absentMarker} (if not null).
     */
    record Contained(List<Long> results, boolean reported, String absentMarker) implements Expect {
    }

    /** The name under which JUnit shows the case. */
    String display(Variant variant) {
        return id + (variants.size() > 1 ? " [" + variant.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + "]" : "")
                + (bypass ? " [el2_verify=0]" : "") + ": " + what;
    }

    /** The module name. */
    String module() {
        return HostileSource.moduleName(id);
    }

    /** The folder the case's EL2 code must not write to. */
    Path files() {
        return HostileModules.work().resolve("files").resolve(id);
    }
}
