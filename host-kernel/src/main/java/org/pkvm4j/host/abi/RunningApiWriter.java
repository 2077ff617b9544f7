package org.pkvm4j.host.abi;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import java.util.Map;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * Writes {@link RunningApi}'s resource at build time (host-kernel's {@code process-classes} phase):
 * the ABI of the {@code org.pkvm4j.api} this build compiles against, under its class files'
 * fingerprint.
 *
 * <pre>  java org.pkvm4j.host.abi.RunningApiWriter OUTPUT_FILE</pre>
 */
public final class RunningApiWriter {
    private RunningApiWriter() {
    }

    /**
     * Writes the description of the API on the class path (a jar or a class directory).
     *
     * @param args {@code OUTPUT_FILE}
     * @throws IOException if the API cannot be read or the file written
     * @throws URISyntaxException never, for a class loaded from a file
     */
    public static void main(String[] args) throws IOException, URISyntaxException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: RunningApiWriter OUTPUT_FILE");
        }
        Path api = Path.of(Errno.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        JarImage image = Files.isDirectory(api) ? JarImage.ofDirectory(api)
                : JarImage.read(api.toString(), Files.readAllBytes(api));
        Map<String, byte[]> classes = new TreeMap<>();
        image.entries().forEach((name, bytes) -> {
            if (name.endsWith(".class")) {
                classes.put(name, bytes);
            }
        });
        Path out = Path.of(args[0]);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, RunningApi.text(JarImage.of(api.toString(), classes)), StandardCharsets.UTF_8);
    }
}
