package org.pkvm4j.tools.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.tools.abi.AbiChange.Verdict;

/**
 * Every rule of {@link AbiDiff}, on real API variants: tiny modules compiled with javac into
 * jars, read back with {@link AbiModel#read(Path)} and diffed, one old/new pair per group of rules.
 */
class AbiDiffTest {
    @TempDir
    Path dir;

    @Test
    void typeRules() {
        AbiDiff diff = ApiJars.diff(dir, List.of(
                "package p; public class Gone {}",
                "package p; public class Fin {}",
                "package p; public final class Unfin {}",
                "package p; public class Abs {}",
                "package p; public abstract class Unabs {}",
                "package p; public class Flip {}",
                "package p; public class Base {}",
                "package p; public class Child extends Base {}",
                "package p; public class Orphan extends Base {}",
                "package p; public interface Marker {}",
                "package p; public class Tagged implements Marker {}",
                "package p; public class Untagged {}",
                "package p; public sealed interface Shape permits Circle, Square {}",
                "package p; public final class Circle implements Shape {}",
                "package p; public final class Square implements Shape {}",
                "package p; public record Point(int x, int y) {}"), List.of(
                "package p; public class Added {}",
                "package p; public final class Fin {}",
                "package p; public class Unfin {}",
                "package p; public abstract class Abs {}",
                "package p; public class Unabs {}",
                "package p; public interface Flip {}",
                "package p; public class Base {}",
                "package p; public class Mid extends Base {}",
                "package p; public class Child extends Mid {}",
                "package p; public class Orphan {}",
                "package p; public interface Marker {}",
                "package p; public class Tagged {}",
                "package p; public class Untagged implements Marker {}",
                "package p; public sealed interface Shape permits Circle, Square, Triangle {}",
                "package p; public final class Circle implements Shape {}",
                "package p; public final class Square implements Shape {}",
                "package p; public final class Triangle implements Shape {}",
                "package p; public record Point(int x, int y, int z) {}"));

        expect(diff, Verdict.COMPATIBLE, "class p.Added added", "nothing built before refers to it");
        expect(diff, Verdict.BREAKING, "class p.Gone removed", "NoClassDefFoundError");
        expect(diff, Verdict.BREAKING, "class p.Fin made final", "modules extending it fail with IncompatibleClassChangeError");
        expect(diff, Verdict.COMPATIBLE, "class p.Unfin no longer final", "");
        expect(diff, Verdict.BREAKING, "class p.Abs made abstract", "InstantiationError");
        expect(diff, Verdict.COMPATIBLE, "class p.Unabs no longer abstract", "");
        expect(diff, Verdict.BREAKING, "class p.Flip changed from class to interface", "IncompatibleClassChangeError");
        expect(diff, Verdict.COMPATIBLE, "class p.Child supertype p.Base now inherited", "it is still a p.Base");
        expect(diff, Verdict.COMPATIBLE, "class p.Child supertype p.Mid added", "");
        expect(diff, Verdict.BREAKING, "class p.Orphan supertype p.Base removed", "");
        expect(diff, Verdict.BREAKING, "class p.Tagged supertype p.Marker removed", "");
        expect(diff, Verdict.COMPATIBLE, "class p.Untagged supertype p.Marker added", "");
        expect(diff, Verdict.BREAKING, "interface p.Shape permits changed from p.Circle p.Square to p.Circle p.Square p.Triangle",
                "MatchException");
        expect(diff, Verdict.BREAKING, "record p.Point record components changed from (x:I, y:I) to (x:I, y:I, z:I)",
                "record patterns");
        expect(diff, Verdict.BREAKING, "constructor p.Point.<init>(II) changed to <init>(III)V", "NoSuchMethodError");
        // Flip's members went with it: the type's line says everything.
        assertTrue(diff.changes().stream().noneMatch(c -> c.name().startsWith("p.Flip.")), diff::report);
        // Orphan still extends java.lang.Object, as it did through p.Base: no news.
        assertTrue(diff.changes().stream().noneMatch(c -> c.what().contains("java.lang.Object")), diff::report);
        assertEquals(18, diff.changes().size(), diff::report);
    }

    @Test
    void sealingAndUnsealing() {
        AbiDiff diff = ApiJars.diff(dir, List.of(
                "package p; public interface Open {}",
                "package p; public sealed interface Closed permits Leaf {}",
                "package p; public final class Leaf implements Closed, Open {}"), List.of(
                "package p; public sealed interface Open permits Leaf {}",
                "package p; public interface Closed {}",
                "package p; public final class Leaf implements Closed, Open {}"));

        expect(diff, Verdict.BREAKING, "interface p.Open made sealed (permits p.Leaf)", "modules extending it fail");
        expect(diff, Verdict.BREAKING, "interface p.Closed no longer sealed", "MatchException");
        assertEquals(2, diff.changes().size(), diff::report);
    }

    @Test
    void classMemberRules() {
        AbiDiff diff = ApiJars.diff(dir, List.of("""
                package p;
                public abstract class Ops {
                    public Ops() {}
                    public Ops(int x) {}
                    public void gone() {}
                    public void put(int x) {}
                    public int size() { return 0; }
                    public void stat() {}
                    public static void inst() {}
                    public void seal() {}
                    public final void unseal() {}
                    public void hide() {}
                    protected void show() {}
                    public void concrete() {}
                    public abstract void impl();
                    public int counter;
                    public int frozen;
                    public final int thawed = nonConstant();
                    public int retyped;
                    public long lost;
                    static int nonConstant() { return 1; }
                }"""), List.of("""
                package p;
                public abstract class Ops {
                    public Ops() {}
                    public void put(long x) {}
                    public long size() { return 0; }
                    public static void stat() {}
                    public void inst() {}
                    public final void seal() {}
                    public void unseal() {}
                    protected void hide() {}
                    public void show() {}
                    public abstract void concrete();
                    public void impl() {}
                    public void fresh() {}
                    public abstract void mustImplement();
                    public int counter;
                    public final int frozen = nonConstant();
                    public int thawed;
                    public long retyped;
                    public int added;
                    static int nonConstant() { return 1; }
                }"""));

        expect(diff, Verdict.BREAKING, "constructor p.Ops.<init>(I) removed", "NoSuchMethodError");
        expect(diff, Verdict.BREAKING, "method p.Ops.gone() removed", "modules calling it fail with NoSuchMethodError");
        expect(diff, Verdict.BREAKING, "method p.Ops.put(I) changed to put(J)V", "modules using the old descriptor fail with NoSuchMethodError");
        expect(diff, Verdict.BREAKING, "method p.Ops.size() return type changed from I to J", "NoSuchMethodError");
        expect(diff, Verdict.BREAKING, "method p.Ops.stat() changed from instance to static", "IncompatibleClassChangeError");
        expect(diff, Verdict.BREAKING, "method p.Ops.inst() changed from static to instance", "IncompatibleClassChangeError");
        expect(diff, Verdict.BREAKING, "method p.Ops.seal() made final", "modules overriding it fail with IncompatibleClassChangeError");
        expect(diff, Verdict.COMPATIBLE, "method p.Ops.unseal() no longer final", "");
        expect(diff, Verdict.BREAKING, "method p.Ops.hide() made protected", "IllegalAccessError");
        expect(diff, Verdict.COMPATIBLE, "method p.Ops.show() made public", "");
        expect(diff, Verdict.BREAKING, "method p.Ops.concrete() made abstract", "AbstractMethodError");
        expect(diff, Verdict.COMPATIBLE, "method p.Ops.impl() no longer abstract", "");
        expect(diff, Verdict.COMPATIBLE, "method p.Ops.fresh() added to class p.Ops", "nothing built before refers to it");
        expect(diff, Verdict.BREAKING, "method p.Ops.mustImplement() abstract method added to class p.Ops",
                "every module extending p.Ops fails with AbstractMethodError");
        expect(diff, Verdict.BREAKING, "field p.Ops.frozen made final", "modules assigning it fail with IllegalAccessError");
        expect(diff, Verdict.COMPATIBLE, "field p.Ops.thawed no longer final", "");
        expect(diff, Verdict.BREAKING, "field p.Ops.retyped type changed from I to J", "NoSuchFieldError");
        expect(diff, Verdict.BREAKING, "field p.Ops.lost removed", "NoSuchFieldError");
        expect(diff, Verdict.COMPATIBLE, "field p.Ops.added added to class p.Ops", "");
        assertEquals(19, diff.changes().size(), diff::report);
    }

    @Test
    void interfaceMemberRulesDependOnWhoImplements() {
        AbiDiff diff = ApiJars.diff(dir, List.of("""
                package p;
                public interface Ops {
                    void puts(String s);
                    void putx64(long x);
                }""", """
                package p;
                @org.pkvm4j.api.VendorImplemented
                public interface Handler {
                    void handle(long[] regs);
                    default void flip() {}
                }""", """
                package p;
                @org.pkvm4j.api.VendorImplemented
                public interface Demoted {
                    void run();
                }""", """
                package p;
                public interface Promoted {
                    void run();
                }"""), List.of("""
                package p;
                public interface Ops {
                    void puts(String s);
                    void putx32(int x);
                    default void flush() {}
                    static Ops none() { return null; }
                }""", """
                package p;
                @org.pkvm4j.api.VendorImplemented
                public interface Handler {
                    void handle(long[] regs);
                    void teardown();
                    void flip();
                    default void describe() {}
                    static Handler none() { return null; }
                }""", """
                package p;
                public interface Demoted {
                    void run();
                }""", """
                package p;
                @org.pkvm4j.api.VendorImplemented
                public interface Promoted {
                    void run();
                }"""));

        expect(diff, Verdict.BREAKING, "method p.Ops.putx64(J) removed", "modules calling it fail with NoSuchMethodError");
        expect(diff, Verdict.COMPATIBLE, "method p.Ops.putx32(I) added to call-only interface p.Ops",
                "vendor modules only call it");
        expect(diff, Verdict.COMPATIBLE, "method p.Ops.flush() default method added to interface p.Ops", "");
        expect(diff, Verdict.COMPATIBLE, "method p.Ops.none() static method added to interface p.Ops", "");
        expect(diff, Verdict.BREAKING, "method p.Handler.teardown() abstract method added to vendor-implemented interface p.Handler",
                "every module implementing p.Handler fails with AbstractMethodError");
        expect(diff, Verdict.BREAKING, "method p.Handler.flip() made abstract", "AbstractMethodError");
        expect(diff, Verdict.COMPATIBLE, "method p.Handler.describe() default method added to interface p.Handler", "");
        expect(diff, Verdict.COMPATIBLE, "method p.Handler.none() static method added to interface p.Handler", "");
        expect(diff, Verdict.BREAKING, "interface p.Demoted no longer vendor-implemented", "");
        expect(diff, Verdict.COMPATIBLE, "interface p.Promoted now vendor-implemented", "");
        assertEquals(10, diff.changes().size(), diff::report);
    }

    @Test
    void constantsFieldsAndEnumConstants() {
        AbiDiff diff = ApiJars.diff(dir, List.of("""
                package p;
                public final class Errno {
                    private Errno() {}
                    public static final int EPERM = 1;
                    public static final long RET = -1L;
                    public static final String NAME = "pkvm";
                    public static final int GONE = 7;
                    public static final int DEMOTED = 3;
                    public static int counter;
                }""", """
                package p;
                public enum Mode { NVHE, PROTECTED, OBSOLETE }"""), List.of("""
                package p;
                public final class Errno {
                    private Errno() {}
                    public static final int EPERM = 1;
                    public static final long RET = -2L;
                    public static final String NAME = "pkvm4j";
                    public static final int ADDED = 9;
                    public static final int DEMOTED = Integer.parseInt("3");
                    public static int counter;
                    public static int total;
                }""", """
                package p;
                public enum Mode { NVHE, PROTECTED, VHE }"""));

        expect(diff, Verdict.BREAKING, "constant p.Errno.RET value changed from -1 to -2",
                "javac copied the old value into every module built before");
        expect(diff, Verdict.BREAKING, "constant p.Errno.NAME value changed from \"pkvm\" to \"pkvm4j\"", "javac copied");
        expect(diff, Verdict.BREAKING, "constant p.Errno.GONE removed", "inlined value");
        expect(diff, Verdict.COMPATIBLE, "constant p.Errno.ADDED added to class p.Errno", "");
        expect(diff, Verdict.BREAKING, "constant p.Errno.DEMOTED no longer a compile-time constant", "inlined value 3");
        expect(diff, Verdict.COMPATIBLE, "field p.Errno.total added to class p.Errno", "");
        expect(diff, Verdict.COMPATIBLE, "enum-constant p.Mode.VHE added to enum p.Mode", "");
        expect(diff, Verdict.BREAKING, "enum-constant p.Mode.OBSOLETE removed", "NoSuchFieldError");
        assertEquals(8, diff.changes().size(), diff::report);
    }

    @Test
    void onlyExportedPublicApiCountsAndOrderIsBreakingFirst() {
        AbiDiff diff = ApiJars.diff(dir, List.of(
                "package p; public class A { public void m() {} void pkg() {} private void priv() {} }",
                "package hidden; public class H { public void m() {} }",
                "package p; class PackagePrivate {}"), List.of(
                "package p; public class A { public void m() {} public void n() {} void pkg2() {} }",
                "package hidden; public class H { public void other() {} }",
                "package p; class PackagePrivate2 {}",
                "package p; public class B {}"));

        assertEquals(List.of(
                "compatible method p.A.n() added to class p.A: nothing built before refers to it",
                "compatible class p.B added: nothing built before refers to it"),
                diff.changes().stream().map(AbiChange::line).toList());
        assertEquals(AbiDiff.ABI_CHANGE, diff.status());

        AbiDiff breaking = ApiJars.diff(dir.resolve("2"), List.of(
                "package p; public class A { public void m() {} }"), List.of(
                "package p; public class A { public void n() {} }", "package p; public class Z {}"));
        assertEquals(List.of(Verdict.BREAKING, Verdict.COMPATIBLE, Verdict.COMPATIBLE),
                breaking.changes().stream().map(AbiChange::verdict).toList(), breaking::report);
        assertEquals(AbiDiff.ABI_CHANGE | AbiDiff.ABI_INCOMPATIBLE_CHANGE, breaking.status());
        assertTrue(breaking.report().endsWith("3 changes: 1 breaking, 2 compatible\n"), breaking::report);
    }

    @Test
    void identicalApisDiffToNothing() {
        List<String> api = List.of("package p; public interface I { void m(); int X = 1; }");
        AbiDiff diff = ApiJars.diff(dir, api, api);
        assertTrue(diff.isEmpty(), diff::report);
        assertEquals(0, diff.status());
        assertEquals("no ABI change\n", diff.report());
    }

    /** Asserts one change, written as {@code "<kind> <name> <what>"}, with its verdict and a part of its reason. */
    private static void expect(AbiDiff diff, Verdict verdict, String change, String reasonPart) {
        for (AbiChange c : diff.changes()) {
            if ((c.kind() + " " + c.name() + " " + c.what()).equals(change)) {
                assertEquals(verdict, c.verdict(), () -> c.line() + "\n\n" + diff.report());
                assertTrue(c.reason().contains(reasonPart), () -> c.line() + "\n\n" + diff.report());
                return;
            }
        }
        fail("no change \"" + change + "\" in:\n" + diff.report());
    }
}
