package org.pkvm4j.host.abi;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.module.ModuleReader;
import java.lang.module.ResolvedModule;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * The ABI of the {@code org.pkvm4j.api} this JVM runs: what loaded modules are checked against.
 *
 * <p>Kernel counterpart: the running kernel's own symbol CRCs ({@code __kcrctab}). Read through the
 * module's {@link ModuleReader}, from the same bytes the JVM loaded, once per JVM: the boot layer
 * never changes, so the table is as constant as the kernel's, and a boot no longer pays for it
 * (it was two thirds of what the checks cost per boot, docs/benchmarks.md).
 *
 * <p>The host-kernel build describes the API it was built against into the resource {@value
 * #RESOURCE} ({@link RunningApiWriter}): the ABI dump, under the {@linkplain #fingerprint
 * fingerprint} of the API's class files. When the running API's class files have that fingerprint,
 * the dump is read back instead of every class being parsed and described (ADR 0018, third
 * session); otherwise the classes are read as without it.
 */
public final class RunningApi {
    /** The resource, next to this class: {@code fingerprint HEX}, then the ABI dump. */
    static final String RESOURCE = "running-api.abi";
    private static final String FINGERPRINT = "fingerprint ";

    private RunningApi() {
    }

    /**
     * Reads the running API.
     *
     * @throws IllegalStateException if {@code org.pkvm4j.api} is not a named module with readable classes
     */
    public static AbiModel read() {
        return Holder.API;
    }

    /** Initialised on first use, by the JVM's class initialisation (thread-safe, once). */
    private static final class Holder {
        static final AbiModel API = readNow();
    }

    private static AbiModel readNow() {
        JarImage classes = runningClasses();
        AbiModel known = fromResource(fingerprint(classes.entries()));
        return known != null ? known : describe(classes);
    }

    /** The running API's class files, through its module reader. */
    static JarImage runningClasses() {
        Module api = Errno.class.getModule();
        if (api.getLayer() == null) {
            throw new IllegalStateException("org.pkvm4j.api is not a named module: run pkvm4j on the module path");
        }
        ResolvedModule resolved = api.getLayer().configuration().findModule(api.getName()).orElseThrow();
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ModuleReader reader = resolved.reference().open()) {
            List<String> names = new ArrayList<>(reader.list().toList());
            names.sort(null);
            for (String name : names) {
                if (name.endsWith(".class")) {
                    entries.put(name, bytes(reader.read(name).orElseThrow()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the running org.pkvm4j.api", e);
        }
        return JarImage.of(resolved.reference().location().map(Object::toString).orElse(api.getName()), entries);
    }

    /** Every class parsed and described: what the resource saves when it matches. */
    static AbiModel describe(JarImage classes) {
        try {
            return AbiModel.read(classes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the running org.pkvm4j.api", e);
        }
    }

    /**
     * What identifies the API's class files: how many {@code .class} entries there are, and a CRC-32
     * of each one's name, size and CRC-32, in name order; other entries do not count. It tells one build of the API from another (a changed class, one more
     * or less); it is no defence against whoever can replace the host's own jars, who owns the host.
     */
    static String fingerprint(Map<String, byte[]> entries) {
        List<String> names = new ArrayList<>(entries.keySet());
        names.sort(null);
        CRC32 all = new CRC32();
        CRC32 one = new CRC32();
        int classes = 0;
        for (String name : names) {
            if (!name.endsWith(".class")) {
                continue;
            }
            classes++;
            byte[] b = entries.get(name);
            one.reset();
            one.update(b);
            all.update(name.getBytes(StandardCharsets.UTF_8));
            all.update(new byte[] {0, (byte) (b.length >>> 24), (byte) (b.length >>> 16), (byte) (b.length >>> 8),
                    (byte) b.length});
            long crc = one.getValue();
            all.update(new byte[] {(byte) (crc >>> 24), (byte) (crc >>> 16), (byte) (crc >>> 8), (byte) crc});
        }
        return classes + "-" + Long.toHexString(all.getValue());
    }

    /** The bundled description if it was made from class files with {@code fingerprint}, else null. */
    static AbiModel fromResource(String fingerprint) {
        try (InputStream in = RunningApi.class.getResourceAsStream(RESOURCE)) {
            return in == null ? null : fromText(new String(in.readAllBytes(), StandardCharsets.UTF_8), fingerprint);
        } catch (IOException | RuntimeException e) {
            // An unreadable description is none: the classes are described, as without it.
            return null;
        }
    }

    /** The description in {@code text} if it is of class files with {@code fingerprint}, else null. */
    static AbiModel fromText(String text, String fingerprint) {
        int end = text.indexOf('\n');
        if (end < 0 || !text.startsWith(FINGERPRINT) || !text.substring(FINGERPRINT.length(), end).equals(fingerprint)) {
            return null;
        }
        return AbiModel.parseDump(text.substring(end + 1));
    }

    /** The resource's text for these class files. */
    static String text(JarImage classes) {
        return FINGERPRINT + fingerprint(classes.entries()) + "\n" + describe(classes).dump();
    }

    private static byte[] bytes(java.nio.ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.get(b);
        return b;
    }
}
