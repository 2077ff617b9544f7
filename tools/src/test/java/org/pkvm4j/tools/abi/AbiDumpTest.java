package org.pkvm4j.tools.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.host.abi.RunningApi;

/**
 * {@link AbiModel#parseDump(String)} reads back exactly what {@link AbiModel#dump()} wrote, and
 * refuses a dump edited by hand, naming the line.
 */
class AbiDumpTest {
    private static AbiModel api() {
        return RunningApi.read();
    }

    @Test
    void roundTripOfTheModuleApi() {
        AbiModel api = api();
        AbiModel back = AbiModel.parseDump(api.dump());
        assertEquals(api.dump(), back.dump());
        assertEquals(api.module(), back.module());
        assertEquals(api.version(), back.version());
        assertEquals(List.copyOf(api.symbols()), List.copyOf(back.symbols()));
        assertTrue(AbiDiff.compare(api, back).isEmpty());
    }

    @Test
    void theModuleApiDiffsToNothingAgainstItselfAndDumpsByteIdentically() throws Exception {
        Path jar = ApiJars.apiLocation();
        AbiModel first = AbiInputs.read(jar);
        AbiModel second = AbiInputs.read(jar);
        assertEquals(first.dump(), second.dump());
        assertEquals(first.dump(), api().dump());
        AbiDiff self = AbiDiff.compare(first, second);
        assertTrue(self.isEmpty(), self::report);
        assertEquals(0, self.status());
    }

    @Test
    void crlfLineEndsAndCommentsAreAccepted() {
        String dump = api().dump();
        String withComment = dump.replaceFirst("\n(0x)", "\n# a note a reviewer left\n$1");
        assertEquals(dump, AbiModel.parseDump(dump.replace("\n", "\r\n")).dump());
        assertEquals(dump, AbiModel.parseDump(withComment).dump());
    }

    @Test
    void anEditedDescriptionIsRefusedNamingTheLine() {
        List<String> lines = lines();
        int index = indexOf(lines, " constant ", " = ");
        lines.set(index, lines.get(index).replaceFirst(" = .*$", " = 12345"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AbiModel.parseDump(String.join("\n", lines)));
        assertTrue(e.getMessage().startsWith("line " + (index + 1) + ": CRC "), e.getMessage());
        assertTrue(e.getMessage().contains("edited by hand"), e.getMessage());
    }

    // Found by fuzzing (AbiDumpFuzzTest): the refusal quoted a line holding a control character.
    @Test
    void aControlCharacterIsRefusedNamingTheLineWithoutQuotingIt() {
        List<String> lines = lines();
        int index = indexOf(lines, " method ", "");
        lines.set(index, lines.get(index).replace(" | ", "\u0013| \u001b[2J"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AbiModel.parseDump(String.join("\n", lines)));
        assertTrue(e.getMessage().startsWith("line " + (index + 1) + ": control character U+0013 at column "), e.getMessage());
        assertTrue(e.getMessage().chars().noneMatch(Character::isISOControl), e.getMessage());
    }

    @Test
    void anEditedCrcIsRefusedNamingTheLine() {
        List<String> lines = lines();
        int index = indexOf(lines, " method ", "");
        lines.set(index, "0xdeadbeef" + lines.get(index).substring(10));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AbiModel.parseDump(String.join("\n", lines)));
        assertTrue(e.getMessage().startsWith("line " + (index + 1) + ": CRC 0xdeadbeef does not match"), e.getMessage());
    }

    @Test
    void aDeletedLineIsRefused() {
        List<String> lines = lines();
        lines.remove(indexOf(lines, " field ", ""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AbiModel.parseDump(String.join("\n", lines)));
        assertTrue(e.getMessage().contains("lines were added or removed by hand"), e.getMessage());
    }

    @Test
    void malformedDumpsAreRefusedNamingTheLine() {
        String dump = api().dump();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AbiModel.parseDump("hello\n")).getMessage()
                .startsWith("not a pkvm4j ABI dump: line 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AbiModel.parseDump(AbiModel.DUMP_HEADER + "\n"))
                .getMessage().startsWith("line 2: "));
        List<String> lines = lines();
        lines.set(4, "0x1234 gadget org.x.Y | class, public");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AbiModel.parseDump(String.join("\n", lines)))
                .getMessage().startsWith("line 5: unknown kind \"gadget\""));
        lines.set(4, "not a symbol line");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AbiModel.parseDump(String.join("\n", lines)))
                .getMessage().startsWith("line 5: expected"));
        String duplicated = dump + lines().get(3) + "\n";
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AbiModel.parseDump(duplicated))
                .getMessage().contains("appears twice"));
    }

    private static List<String> lines() {
        return new ArrayList<>(List.of(api().dump().split("\n")));
    }

    private static int indexOf(List<String> lines, String part, String alsoPart) {
        for (int i = 3; i < lines.size(); i++) {
            if (lines.get(i).contains(part) && lines.get(i).contains(alsoPart)) {
                return i;
            }
        }
        throw new AssertionError("no line with " + part);
    }
}
