package org.pkvm4j.host.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.api.el2.ModuleOps;

/** The allow-list computed at build time: the same answers as reflection, and only on its own JDK and list. */
class AllowlistModelTest {
    private static String resource() throws IOException {
        try (InputStream in = AllowlistModel.class.getResourceAsStream(AllowlistModel.RESOURCE)) {
            assertNotNull(in, "the build writes " + AllowlistModel.RESOURCE + " (host-kernel's process-classes phase)");
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void theBundledModelIsWhatReflectionComputesOnThisJdk() throws IOException {
        String identity = JdkIdentity.running();
        assertNotNull(identity, "the test JVM runs an unpatched JDK");
        assertEquals(AllowlistModelWriter.text(identity), resource(),
                "the model must be rebuilt on this JDK (./mvnw -pl host-kernel -am package)");
    }

    /** The internal names of the classes a model's index names, in its order. */
    private static List<String> indexed(String text) {
        return text.lines().filter(l -> l.startsWith("I ")).map(l -> l.split(" ")[1]).toList();
    }

    /** The {@code I} line of {@code internalName}, without its newline. */
    private static String indexLine(String text, String internalName) {
        return text.lines().filter(l -> l.startsWith("I " + internalName + " ")).findFirst().orElseThrow();
    }

    /** Where {@code internalName}'s block starts and ends in {@code text}. */
    private static int[] blockOf(String text, String internalName) {
        String[] i = indexLine(text, internalName).split(" ");
        int body = text.indexOf("\nbody\n") + "\nbody\n".length();
        int from = body + Integer.parseInt(i[2]);
        return new int[] {from, from + Integer.parseInt(i[3])};
    }

    @Test
    void everyClassItHoldsIsTheOneReflectionSees() throws IOException {
        AllowlistModel model = AllowlistModel.bundled();
        assertNotNull(model, "the tests run on the JDK that built the model");
        RuntimeTypes reflected = new RuntimeTypes(null);
        List<String> names = indexed(resource());
        assertTrue(names.size() > 150, "classes: " + names.size());
        for (String name : names) {
            assertEquals(reflected.jdk(name), model.type(name), name);
        }
        assertTrue(names.contains("java/lang/Object") && names.contains("java/lang/AbstractStringBuilder"));
        assertNull(model.type("java/lang/Thread"), "a class off the list is asked of the JDK");
    }

    /** A list read with {@code model} answers every question exactly as the list expanded by reflection. */
    private static void answersAsReflection(El2Allowlist withModel) {
        El2Allowlist reflected = El2Allowlist.parse("reflected", El2Allowlist.bundledText(), new RuntimeTypes(null));
        List<String> canonical = reflected.canonical();
        assertEquals(canonical, withModel.canonical());
        for (String[] m : new String[][] {{"java.lang.Math", "abs", "(I)I"}, {"java.lang.Math", "abs", "(J)J"},
                {"java.lang.StringBuilder", "append", "(I)Ljava/lang/StringBuilder;"}, {"java.lang.String", "length", "()I"},
                {"java.lang.Integer", "MAX_VALUE", "I"}, {"java.lang.String", "intern", "()Ljava/lang/String;"},
                {"java.lang.Thread", "start", "()V"}, {"java.lang.Object", "getClass", "()Ljava/lang/Class;"}}) {
            assertEquals(reflected.admitsMember(m[0], m[1], m[2]), withModel.admitsMember(m[0], m[1], m[2]), String.join(".", m));
        }
        for (String c : new String[] {"java.lang.Math", "java.lang.Thread", "java.lang.String", "[Ljava.lang.Thread;"}) {
            assertEquals(reflected.admitsClass(c), withModel.admitsClass(c), c);
        }
        assertTrue(withModel.admitsMember("java.lang.Math", "abs", "(I)I"));
        assertFalse(withModel.admitsMember("java.lang.Thread", "start", "()V"));
    }

    @Test
    void aTruncatedOrMisframedModelIsNoneAndReflectionAnswers() throws IOException {
        String text = resource();
        String identity = JdkIdentity.running();
        int[] math = blockOf(text, "java/lang/Math");
        String mathIndex = indexLine(text, "java/lang/Math");
        String[] i = mathIndex.split(" ");
        String truncatedFile = text.substring(0, text.length() - 7);
        // Math's last line gone: without the framing check, Math's block would reach into the next class's.
        String truncatedBlock = text.substring(0, text.lastIndexOf('\n', math[1] - 2) + 1) + text.substring(math[1]);
        String badOffset = text.replace(mathIndex + "\n", "I " + i[1] + " " + (Integer.parseInt(i[2]) + 3) + " " + i[3] + "\n");
        String badLength = text.replace(mathIndex + "\n", "I " + i[1] + " " + i[2] + " " + (Integer.parseInt(i[3]) - 4) + "\n");
        String notANumber = text.replace(mathIndex + "\n", "I " + i[1] + " x" + i[2] + " " + i[3] + "\n");
        String noLength = text.replace(mathIndex + "\n", "I " + i[1] + " " + i[2] + "\n");
        for (String damaged : List.of(truncatedFile, truncatedBlock, badOffset, badLength, notANumber, noLength)) {
            assertNotEquals(text, damaged);
            assertThrows(IllegalArgumentException.class, () -> AllowlistModel.parse(damaged, identity));
            AllowlistModel none = AllowlistModel.parseOrNone(damaged, identity);
            assertNull(none);
            answersAsReflection(El2Allowlist.parse("damaged", El2Allowlist.bundledText(), none));
        }
        AllowlistModel intact = AllowlistModel.parseOrNone(text, identity);
        assertNotNull(intact);
        answersAsReflection(El2Allowlist.parse("intact", El2Allowlist.bundledText(), intact));
    }

    @Test
    void aBlockGarbledWithinItsFramingIsAnsweredByReflection() throws IOException {
        String text = resource();
        String identity = JdkIdentity.running();
        int[] math = blockOf(text, "java/lang/Math");
        String block = text.substring(math[0], math[1]);
        assertTrue(block.contains("\nM ") && block.contains("\nA abs(I)I\n"), block);
        // The same length, so the framing holds: one member's modifiers not a number, one admitted line of no kind.
        for (String garbled : List.of(block.replaceFirst("\nM \\d", "\nM x"), block.replace("\nA abs(I)I\n", "\nX abs(I)I\n"))) {
            assertNotEquals(block, garbled);
            String damaged = text.substring(0, math[0]) + garbled + text.substring(math[1]);
            AllowlistModel model = AllowlistModel.parse(damaged, identity);
            assertNotNull(model, "the framing is intact");
            assertNull(model.type("java/lang/Math"), "an unreadable block is asked of the JDK");
            assertNotNull(model.type("java/lang/String"), "the other blocks are read");
            El2Allowlist list = El2Allowlist.parse("garbled", El2Allowlist.bundledText(), model);
            answersAsReflection(list);
            assertEquals(new RuntimeTypes(null).jdk("java/lang/Math"), list.types().jdk("java/lang/Math"));
        }
    }

    @Test
    void theBundledListAnswersFromTheModelAsReflectionDoes() {
        El2Allowlist fromModel = El2Allowlist.bundled();
        El2Allowlist reflected = El2Allowlist.parse("reflected", El2Allowlist.bundledText(), new RuntimeTypes(null));
        List<String> canonical = reflected.canonical();
        assertEquals(canonical, fromModel.canonical());
        for (String line : canonical) {
            String item = line.substring(line.indexOf(' ') + 1);
            if (line.startsWith("member ")) {
                int end = item.indexOf('(') >= 0 ? item.indexOf('(') : item.indexOf(':');
                int dot = item.lastIndexOf('.', end);
                String d = item.substring(end).startsWith(":") ? item.substring(end + 1) : item.substring(end);
                assertTrue(fromModel.admitsMember(item.substring(0, dot), item.substring(dot + 1, end), d), line);
            } else if (line.startsWith("class ")) {
                assertTrue(fromModel.admitsClass(item), line);
            }
        }
        for (String[] off : new String[][] {{"java.lang.String", "intern", "()Ljava/lang/String;"},
                {"java.lang.Object", "getClass", "()Ljava/lang/Class;"}, {"java.lang.Thread", "start", "()V"},
                {"java.lang.String", "format", "(Ljava/lang/String;[Ljava/lang/Object;)Ljava/lang/String;"}}) {
            assertFalse(reflected.admitsMember(off[0], off[1], off[2]), String.join(".", off));
            assertFalse(fromModel.admitsMember(off[0], off[1], off[2]), String.join(".", off));
        }
        assertFalse(fromModel.admitsClass("java.lang.Thread"));
        assertTrue(fromModel.admitsClass("[[I") && fromModel.admitsClass("[Ljava.lang.String;"));
        assertEquals(reflected.entries(), fromModel.entries());
    }

    @Test
    void aModelOfAnotherJdkIsNotUsed() throws IOException {
        String text = resource();
        String identity = JdkIdentity.running();
        assertNotNull(AllowlistModel.parse(text, identity));
        // The same model, as if made on a JDK whose image differs only in size, and tampered with to
        // admit Thread.start: it is never read, so it admits nothing.
        String foreign = text.replace("jdk " + identity + "\n", "jdk " + identity.replaceAll(";modules=\\d+", ";modules=1") + "\n")
                .replace("C java.lang.String\n", "C java.lang.String\nC java.lang.Thread\n");
        assertTrue(foreign.contains(";modules=1\n") && foreign.contains("C java.lang.Thread\n"));
        assertNull(AllowlistModel.parse(foreign, identity));
        assertNull(AllowlistModel.parse(text, null), "a JDK without an identity uses no model");
        assertNull(AllowlistModel.parse(text.replace("format 1\n", "format 2\n"), identity), "another format");
    }

    @Test
    void anotherAllowlistIsExpandedByReflectionNotTheModel() {
        String bundled = El2Allowlist.bundledText();
        assertTrue(AllowlistModel.bundled().isFor(bundled));
        // The bundled list without Math: a model of the bundled list would still admit Math.abs.
        String narrower = bundled.replace("\njava.lang.Math.*", "\n#java.lang.Math.*");
        assertFalse(narrower.equals(bundled));
        assertFalse(AllowlistModel.bundled().isFor(narrower));
        El2Allowlist list = El2Allowlist.parse("narrower", narrower);
        assertTrue(El2Allowlist.bundled().admitsMember("java.lang.Math", "abs", "(I)I"));
        assertFalse(list.admitsMember("java.lang.Math", "abs", "(I)I"));
    }

    @Test
    void releaseFieldsAreReadUnquoted() {
        String release = "IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_RUNTIME_VERSION=\"25.0.3+9-LTS\"\nSOURCE=\".:git:cda0a1776184\"\n";
        assertEquals("Eclipse Adoptium", JdkIdentity.releaseField(release, "IMPLEMENTOR"));
        assertEquals(".:git:cda0a1776184", JdkIdentity.releaseField(release, "SOURCE"));
        assertEquals("", JdkIdentity.releaseField(release, "MODULES"));
    }

    @Test
    void aJvmWithAPatchedJavaBaseHasNoIdentity(@TempDir Path patch) throws Exception {
        assertEquals(JdkIdentity.running(), identityOfChild());
        assertEquals("none", identityOfChild("--patch-module", "java.base=" + patch));
    }

    private static String identityOfChild(String... jvmArgs) throws IOException, InterruptedException, URISyntaxException {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", location(AllowlistModelWriter.class) + java.io.File.pathSeparator + location(ModuleOps.class),
                AllowlistModelWriter.class.getName(), "--identity"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static String location(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
