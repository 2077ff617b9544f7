package org.pkvm4j.fuzz;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * What the structure-aware targets start from: the bundled example modules' real module files
 * (copied into {@code seeds/} as the build made them), their entries, and the API they were
 * built against, read from the module-api classes on the class path.
 */
final class Seeds {
    /** The seed module files, by resource name. */
    static final List<String> MODULES = List.of("hello_el1.jar", "pkvm_driver.jar", "kvstore.jar", "page_guard.jar");

    private static final Map<String, byte[]> FILES = new LinkedHashMap<>();

    private Seeds() {
    }

    /** The bytes of seed resource {@code name}. */
    static synchronized byte[] file(String name) {
        return FILES.computeIfAbsent(name, n -> {
            try (InputStream in = Seeds.class.getResourceAsStream("seeds/" + n)) {
                if (in == null) {
                    throw new IllegalStateException("no seed resource " + n);
                }
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static final Map<String, Map<String, byte[]>> ENTRIES = new LinkedHashMap<>();

    /**
     * The entries of seed module file {@code name}, in order, unzipped once per JVM (a fuzz target
     * runs its harness per input: the seeds do not change, so neither do their entries). The map is
     * unmodifiable and its arrays are shared: a caller copies what it changes.
     */
    static synchronized Map<String, byte[]> entries(String name) {
        return ENTRIES.computeIfAbsent(name, n -> Collections.unmodifiableMap(unzip(file(n))));
    }

    /** The entries of the jar nested in seed module file {@code name} as {@code entry}, as {@link #entries}; empty without one. */
    static synchronized Map<String, byte[]> nestedEntries(String name, String entry) {
        return ENTRIES.computeIfAbsent(name + "!/" + entry, n -> {
            byte[] nested = entries(name).get(entry);
            return nested == null ? Map.of() : Collections.unmodifiableMap(unzip(nested));
        });
    }

    /** The entries of a zip, in order, read with the JDK's reader (the seeds are well formed). */
    static Map<String, byte[]> unzip(byte[] zip) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                entries.put(e.getName(), in.readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return entries;
    }

    /** A well-formed zip of {@code entries}, each deflated or stored as {@code stored} says. */
    static byte[] zip(Map<String, byte[]> entries, boolean stored) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            // The checks read what any deflater writes the same way; the fastest level keeps the
            // harness's share of an input's time small.
            zip.setLevel(Deflater.BEST_SPEED);
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                if (stored) {
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    entry.setMethod(ZipEntry.STORED);
                    entry.setSize(e.getValue().length);
                    entry.setCrc(crc.getValue());
                }
                zip.putNextEntry(entry);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The API the running pkvm4j offers, read from module-api's classes as {@code abi dump} reads a jar. */
    static AbiModel runningApi() {
        return Api.MODEL;
    }

    private static final class Api {
        static final AbiModel MODEL = read();

        private static AbiModel read() {
            try {
                Path api = Path.of(Errno.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                return AbiModel.read(Files.isDirectory(api) ? JarImage.ofDirectory(api)
                        : JarImage.read(api.toString(), Files.readAllBytes(api)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
