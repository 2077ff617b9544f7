package org.pkvm4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.tools.abi.AbiDiff;
import org.pkvm4j.tools.abi.AbiInputs;

/**
 * What {@code pkvm abi diff OLD NEW} reads (an ABI dump, or an API jar): read, or refused with the
 * {@link IOException} naming the file that the command prints; a model read is then compared
 * against the running API's, as {@code abi diff} does.
 */
class AbiDumpFuzzTest {
    private static final Path FILE = tempFile();

    private static Path tempFile() {
        try {
            Path f = Files.createTempFile("pkvm4j-fuzz", ".abi");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest
    void read(byte[] input) throws IOException {
        Files.write(FILE, input);
        Contract.succeedsOrRefuses("ABI dump", () -> {
            AbiModel model;
            try {
                model = AbiInputs.read(FILE);
            } catch (IOException e) {
                if (!String.valueOf(e.getMessage()).contains(FILE.toString())) {
                    throw new AssertionError("an ABI input error that does not name the file: " + e.getMessage(), e);
                }
                throw e;
            }
            AbiModel running = Seeds.runningApi();
            AbiDiff.compare(running, model);
            AbiDiff.compare(model, running);
            // A dump of what was read reads back to the same dump.
            String dump = model.dump();
            if (!AbiModel.parseDump(dump).dump().equals(dump)) {
                throw new AssertionError("an ABI dump does not read back to itself");
            }
        }, IOException.class);
    }
}
