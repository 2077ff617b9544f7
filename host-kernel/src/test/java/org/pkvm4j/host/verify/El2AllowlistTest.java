package org.pkvm4j.host.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class El2AllowlistTest {
    /** The reviewed copy of the expanded list, relative to host-kernel/. */
    static final String EXPECTED = "src/test/resources/org/pkvm4j/host/verify/el2-allowlist.expected";
    /** The system property that makes the review test write {@link #EXPECTED} instead of comparing. */
    static final String ACCEPT_PROPERTY = "pkvm4j.allowlist.accept";
    static final String ACCEPT = "./mvnw -B -ntp -pl host-kernel -am verify -DskipITs -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dtest=El2AllowlistTest -D" + ACCEPT_PROPERTY + "=true";

    private static final El2Allowlist BUNDLED = El2Allowlist.bundled();

    /**
     * Every change of what EL2 code may reference shows in review: the bundled list, expanded against
     * the running JDK, must equal the committed copy, as the ABI baseline must equal the API.
     */
    @Test
    void theExpandedListMatchesTheReviewedCopy() throws IOException {
        Path expected = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve(EXPECTED);
        List<String> now = BUNDLED.canonical();
        if (Boolean.getBoolean(ACCEPT_PROPERTY)) {
            Files.createDirectories(expected.getParent());
            Files.write(expected, now, StandardCharsets.UTF_8);
            return;
        }
        if (!Files.isRegularFile(expected)) {
            fail("no reviewed copy of the EL2 allow-list at " + expected + ": create it with " + ACCEPT);
        }
        List<String> reviewed = Files.readAllLines(expected, StandardCharsets.UTF_8);
        if (reviewed.equals(now)) {
            return;
        }
        Set<String> added = new LinkedHashSet<>(now);
        reviewed.forEach(added::remove);
        Set<String> removed = new LinkedHashSet<>(reviewed);
        now.forEach(removed::remove);
        StringBuilder message = new StringBuilder("the EL2 allow-list (").append(El2Allowlist.BUNDLED)
                .append(", expanded against this JDK) differs from its reviewed copy ").append(EXPECTED).append(":\n");
        added.forEach(l -> message.append("+ ").append(l).append('\n'));
        removed.forEach(l -> message.append("- ").append(l).append('\n'));
        message.append("Every + line is something EL2 code may now reference: justify its purity in the review"
                + " (docs/security.md). To accept the change, regenerate the copy and commit it with the change: ")
                .append(ACCEPT).append('\n');
        fail(message.toString());
    }

    @Test
    void theCanonicalFormIsSortedAndGrouped() {
        List<String> lines = BUNDLED.canonical();
        List<String> sorted = new ArrayList<>(lines);
        sorted.sort((a, b) -> {
            int ka = rank(a);
            int kb = rank(b);
            return ka != kb ? Integer.compare(ka, kb) : a.compareTo(b);
        });
        assertEquals(sorted, lines);
        assertTrue(lines.contains("member java.lang.Math.abs(I)I"));
        assertTrue(lines.contains("class java.lang.invoke.LambdaMetafactory"));
    }

    private static int rank(String line) {
        return line.startsWith("class ") ? 0 : line.startsWith("member ") ? 1 : 2;
    }

    @Test
    void membersAreMatchedExactlyWhereTheyAreDeclared() {
        assertTrue(BUNDLED.admitsMember("java.lang.Math", "abs", "(I)I"));
        assertTrue(BUNDLED.admitsMember("java.lang.Object", "<init>", "()V"));
        assertTrue(BUNDLED.admitsMember("java.lang.Integer", "MAX_VALUE", "I"));
        // A descriptor that differs is another member.
        assertFalse(BUNDLED.admitsMember("java.lang.Math", "abs", "(I)J"));
        // StringBuilder exposes its non-public superclass's members.
        assertTrue(BUNDLED.admitsMember("java.lang.StringBuilder", "length", "()I"));
        // A whole class admits what it declares, not what it inherits: ArrayList does not declare parallelStream.
        assertFalse(BUNDLED.admitsMember("java.util.ArrayList", "parallelStream", "()Ljava/util/stream/Stream;"));
        assertFalse(BUNDLED.admitsMember("java.util.Collection", "parallelStream", "()Ljava/util/stream/Stream;"));
        assertTrue(BUNDLED.admitsMember("java.util.Collection", "stream", "()Ljava/util/stream/Stream;"));
        assertFalse(BUNDLED.admitsMember("java.util.stream.BaseStream", "parallel", "()Ljava/util/stream/BaseStream;"));
        assertFalse(BUNDLED.admitsMember("java.util.stream.IntStream", "parallel", "()Ljava/util/stream/IntStream;"));
        // A bootstrap is not a member EL2 code may call.
        assertFalse(BUNDLED.admitsMember("java.lang.invoke.LambdaMetafactory", "metafactory",
                "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;"
                        + "Ljava/lang/invoke/MethodType;Ljava/lang/invoke/MethodHandle;Ljava/lang/invoke/MethodType;)"
                        + "Ljava/lang/invoke/CallSite;"));
    }

    @ParameterizedTest(name = "{0}.{1}{2}")
    @CsvSource(delimiter = '|', value = {
        "java.lang.Object             | getClass           | ()Ljava/lang/Class;",
        "java.lang.Object             | wait               | ()V",
        "java.lang.Object             | notifyAll          | ()V",
        "java.lang.Object             | finalize           | ()V",
        "java.lang.Integer            | getInteger         | (Ljava/lang/String;)Ljava/lang/Integer;",
        "java.lang.Math               | random             | ()D",
        "java.lang.String             | format             | (Ljava/lang/String;[Ljava/lang/Object;)Ljava/lang/String;",
        "java.lang.Enum               | getDeclaringClass  | ()Ljava/lang/Class;",
        "java.lang.Throwable          | printStackTrace    | ()V",
        "java.util.Arrays             | parallelSort       | ([I)V",
        "java.util.Collections        | synchronizedList   | (Ljava/util/List;)Ljava/util/List;",
        "java.lang.Class              | forName            | (Ljava/lang/String;)Ljava/lang/Class;",
        "java.lang.Thread             | onSpinWait         | ()V",
        "java.lang.System             | arraycopy          | (Ljava/lang/Object;ILjava/lang/Object;II)V",
        "java.lang.System             | nanoTime           | ()J",
    })
    void whatIsNotPureIsLeftOut(String owner, String name, String descriptor) {
        assertFalse(BUNDLED.admitsMember(owner, name, descriptor));
    }

    @Test
    void admitsClassIsWhatLinkingAdmittedCodeNeedsAndNothingElse() {
        // The bootstrap classes and the types of their descriptors: javac's call sites link through them.
        for (String c : List.of("java.lang.invoke.LambdaMetafactory", "java.lang.invoke.MethodHandles$Lookup",
                "java.lang.invoke.MethodType", "java.lang.invoke.MethodHandle", "java.lang.invoke.CallSite",
                "java.lang.invoke.StringConcatFactory", "java.lang.runtime.ObjectMethods", "java.lang.runtime.SwitchBootstraps",
                "java.lang.invoke.TypeDescriptor", "java.lang.Class", "java.lang.String", "java.util.ArrayList",
                "java.util.function.Supplier", "java.lang.NoSuchFieldError")) {
            assertTrue(BUNDLED.admitsClass(c), c);
        }
        assertTrue(BUNDLED.admitsClass("[Ljava.lang.String;"));
        assertTrue(BUNDLED.admitsClass("[[J"));
        for (String c : List.of("java.lang.Thread", "java.lang.System", "java.lang.Runtime", "java.lang.ProcessBuilder",
                "java.lang.ClassLoader", "java.lang.invoke.MethodHandles", "java.lang.reflect.Method", "java.io.File",
                "java.nio.file.Files", "java.net.Socket", "java.util.concurrent.Executors", "java.util.concurrent.ForkJoinPool",
                "java.util.concurrent.ConcurrentLinkedQueue", "java.util.stream.StreamSupport", "java.util.ServiceLoader",
                "java.lang.StackWalker", "java.lang.foreign.Linker", "java.lang.foreign.Arena", "java.util.Timer",
                "java.lang.invoke.ConstantBootstraps", "java.lang.AbstractStringBuilder", "sun.misc.Unsafe",
                "[Ljava.lang.Thread;", "org.pkvm4j.host.HostKernel")) {
            assertFalse(BUNDLED.admitsClass(c), c);
        }
    }

    @Test
    void bootstrapsAreExact() {
        assertTrue(BUNDLED.admitsBootstrap("java.lang.invoke.StringConcatFactory", "makeConcatWithConstants",
                "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;Ljava/lang/String;"
                        + "[Ljava/lang/Object;)Ljava/lang/invoke/CallSite;"));
        assertFalse(BUNDLED.admitsBootstrap("java.lang.invoke.StringConcatFactory", "makeConcat",
                "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;)"
                        + "Ljava/lang/invoke/CallSite;"));
        assertFalse(BUNDLED.admitsBootstrap("java.lang.invoke.ConstantBootstraps", "invoke",
                "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/Class;Ljava/lang/invoke/MethodHandle;"
                        + "[Ljava/lang/Object;)Ljava/lang/Object;"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "java.lang.Math.* random                       | line 2: expected 'except NAME...' after java.lang.Math.*",
        "java.lang.Math.* except                       | line 2: expected 'except NAME...'",
        "java.lang.Math.* except rand                  | line 2: java.lang.Math has no member rand to leave out",
        "java.lang.Math.abs(I)J                        | line 2: java.lang.Math has no public or protected member abs(I)J",
        "java.lang.Math.abs(I)I java.lang.Math.max(II)I | line 2: unexpected 'java.lang.Math.max(II)I'",
        "java.lang.Nope                                | line 2: no class java.lang.Nope in the running JDK",
        "java.lang.AbstractStringBuilder               | line 2: java.lang.AbstractStringBuilder is not public",
        "java/lang/Math                                | line 2: bad class name",
        "java.lang.Math.abs(I)I                        | line 2: java.lang.Math.abs(I)I is already on line 1",
        "java.lang.Integer.MAX_VALUE:J                 | line 2: java.lang.Integer has no public or protected member MAX_VALUE:J",
        "bootstrap java.lang.Integer.intValue()I       | line 2: java.lang.Integer declares no public static method intValue()I",
        "bootstrap java.lang.Math                      | line 2: expected bootstrap OWNER.NAME(DESCRIPTOR)",
        "java.lang.Math.a-b(I)I                        | line 2: bad member name 'a-b'",
        "java.lang.Math.abs(I)I.x                      | line 2: bad descriptor",
    })
    void malformedEntriesNameTheirLine(String line, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> El2Allowlist.parse("my.conf", "java.lang.Math.abs(I)I\n" + line + "\n"));
        assertTrue(e.getMessage().startsWith("my.conf " + message), e.getMessage());
    }

    @Test
    void readsAFileWithCommentsAndCrlf(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("a.conf"), "# pure\r\njava.lang.Math.*   # all of it\r\n\r\njava.lang.Class\r\n");
        El2Allowlist a = El2Allowlist.read(file);
        assertEquals(file.toString(), a.source());
        assertEquals(2, a.entries().size());
        assertEquals("java.lang.Math.*", a.entries().getFirst().toString());
        assertTrue(a.admitsMember("java.lang.Math", "random", "()D"));
        assertTrue(a.admitsClass("java.lang.Class"));
        assertFalse(a.admitsMember("java.lang.Class", "desiredAssertionStatus", "()Z"));
    }

    // Found by fuzzing (AllowlistFuzzTest): a NUL in a class name was quoted into the refusal.
    @Test
    void aControlCharacterIsRefusedNamingItsLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> El2Allowlist.parse("my.conf", "java.lang.Math.abs(I)I\r\njava.lang.Ma\u0000th.max(II)I\n"));
        assertEquals("my.conf line 2: control character U+0000 at column 13", e.getMessage());
    }
}
