package org.pkvm4j.tools.modpost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.host.abi.ModVersions;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.tools.abi.ApiJars;
import org.pkvm4j.tools.abi.ApiLocation;

/** modpost on compiled classes: the record lands in the classes, with a CRC per API symbol used. */
class ModPostTest {
    @TempDir
    Path dir;

    @Test
    void writesTheRecordOfTheApiSymbolsTheClassesUse() throws IOException {
        ApiJars.compile(dir, "el1", "package p; public class M { public static int f(org.pkvm4j.api.Errno e) { return e.code(); } }");
        Path classes = dir.resolve("el1-classes");

        ModPost.Result r = ModPost.run(classes, ApiLocation.running());

        assertEquals(classes.resolve(ModVersions.ENTRY), r.record());
        assertEquals("org.pkvm4j.api", r.apiModule());
        String record = Files.readString(r.record());
        assertTrue(record.contains("org.pkvm4j.api.Errno"), record);
        assertEquals(r.symbols(), record.lines().filter(l -> l.contains("org.pkvm4j.api.")).count(), record);
    }

    @Test
    void refusesSomethingThatIsNotAClassesDirectory() throws IOException {
        Path file = Files.writeString(dir.resolve("classes.txt"), "not classes");
        BootConfigException e = assertThrows(BootConfigException.class, () -> ModPost.run(file, ApiLocation.running()));
        assertTrue(e.getMessage().contains("is not a directory of classes"), e.getMessage());
    }
}
