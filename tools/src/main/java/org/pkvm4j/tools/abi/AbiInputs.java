package org.pkvm4j.tools.abi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * Where an ABI comes from: an API jar, a build's class folder, or a dump checked into the tree,
 * told apart by content rather than by name, as {@code abidiff} takes either a binary or an ABI XML.
 */
// "exports": the host exports org.pkvm4j.host.abi and .verify to the CLI and these tools only; the
// tools' other caller, the Maven plugin, runs on the class path, where module exports do not apply.
@SuppressWarnings("exports")
public final class AbiInputs {
    private AbiInputs() {
    }

    /**
     * Reads the ABI in {@code path}: a directory of classes, a jar (zip magic) or a dump (its header).
     *
     * @throws IOException naming the file if it cannot be read, is neither, or is a malformed or
     *     hand-edited dump
     */
    public static AbiModel read(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return AbiModel.read(JarImage.ofDirectory(path));
        }
        byte[] bytes = Files.readAllBytes(path);
        if (bytes.length >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4) {
            return AbiModel.read(JarImage.read(path.toString(), bytes));
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (!text.startsWith(AbiModel.DUMP_HEADER)) {
            throw new IOException(path + " is neither an API jar nor an ABI dump (a dump starts with \""
                    + AbiModel.DUMP_HEADER + "\")");
        }
        try {
            return AbiModel.parseDump(text);
        } catch (IllegalArgumentException e) {
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }
}
