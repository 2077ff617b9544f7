package org.pkvm4j.host.abi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.pkvm4j.host.diag.Printable;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * The record a module's build stamps into its file: the CRC of every API symbol its classes use.
 *
 * <p>Kernel counterpart: the {@code __versions} section {@code modpost} writes into a {@code .ko}
 * from {@code Module.symvers}. Stored as {@value #ENTRY} in the EL1 jar. Besides the symbols it
 * holds the API version, the handler ABI of the EL2 symbols and a digest of the classes it was made
 * for, so a record copied onto other classes is caught. Every compile-time constant of the API is
 * recorded whether or not the module uses it: javac copies a constant's value into the class and
 * leaves no reference behind that could tell.
 *
 * @param apiVersion the API version built against
 * @param classesSha256 SHA-256 over the module's class files ({@link #classesDigest})
 * @param handlerAbis the handler ABIs of its EL2 symbols
 * @param crcs the recorded symbols with their CRCs, by name
 */
public record ModVersions(String apiVersion, String classesSha256, Set<ApiReferences.HandlerAbi> handlerAbis,
        Map<String, Integer> crcs) {

    /** Where the record lives in a module file. */
    public static final String ENTRY = "META-INF/pkvm/modversions";
    private static final String HEADER = "# pkvm4j modversions, format 1";

    /** Copies the collections. */
    public ModVersions {
        handlerAbis = Set.copyOf(handlerAbis);
        crcs = java.util.Collections.unmodifiableMap(new TreeMap<>(crcs));
    }

    /**
     * Computes the record of a module's classes against the API they were compiled with.
     *
     * @throws IllegalArgumentException if the classes use something that API does not have: the
     *     build is inconsistent
     */
    public static ModVersions compute(List<JarImage> jars, AbiModel builtAgainst) {
        ApiReferences refs = ApiReferences.scan(jars);
        ApiResolver resolver = new ApiResolver(builtAgainst);
        Map<String, Integer> crcs = new TreeMap<>();
        for (String type : refs.types()) {
            AbiSymbol symbol = builtAgainst.find(type).orElseThrow(() -> new IllegalArgumentException(
                    "the module names " + type + ", which " + builtAgainst.module() + " does not have"));
            crcs.put(symbol.name(), symbol.crc());
        }
        for (ApiReferences.MemberRef ref : refs.members()) {
            switch (resolver.resolve(ref)) {
                case ApiResolver.Resolution.Api api -> crcs.put(api.symbol().name(), api.symbol().crc());
                case ApiResolver.Resolution.Jdk jdk -> {
                }
                case ApiResolver.Resolution.Missing missing -> throw new IllegalArgumentException(
                        ref.from() + " uses " + ApiResolver.describe(ref) + ": " + missing.why());
            }
        }
        builtAgainst.constants().forEach(c -> crcs.put(c.name(), c.crc()));
        return new ModVersions(builtAgainst.version(), classesDigest(jars), refs.handlerAbis(), crcs);
    }

    /**
     * SHA-256 over every class file of the jars, in order, each preceded by its jar index and name.
     * {@code module-info.class} is left out: the jar tool rewrites it when it packs a modular jar
     * (adding the ModulePackages attribute), and the loader checks the descriptor on its own.
     */
    public static String classesDigest(List<JarImage> jars) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (int i = 0; i < jars.size(); i++) {
                for (Map.Entry<String, byte[]> e : new TreeMap<>(jars.get(i).entries()).entrySet()) {
                    if (e.getKey().endsWith(".class") && !e.getKey().endsWith("module-info.class")) {
                        sha.update((i + ":" + e.getKey() + "\n").getBytes(StandardCharsets.UTF_8));
                        sha.update(e.getValue());
                    }
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The text stored in a module file. */
    public String format() {
        StringBuilder out = new StringBuilder(HEADER).append('\n');
        out.append("api.version=").append(apiVersion).append('\n');
        out.append("classes.sha256=").append(classesSha256).append('\n');
        out.append("handler.abi=").append(String.join(",", new TreeSet<>(handlerAbis.stream()
                .map(ApiReferences.HandlerAbi::word).toList()))).append('\n');
        crcs.forEach((name, crc) -> out.append("0x%08x ".formatted(crc)).append(name).append('\n'));
        return out.toString();
    }

    /**
     * Reads a record.
     *
     * @throws IOException if it is not one, naming the line
     */
    public static ModVersions parse(String label, byte[] bytes) throws IOException {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int control = Printable.firstControl(text);
        if (control >= 0) {
            // The messages below quote lines: none may carry a control character into dmesg.
            throw new IOException(label + ": " + ENTRY + " line " + Printable.lineOf(text, control) + " has a "
                    + Printable.describeControl(text, control));
        }
        List<String> lines = text.lines().toList();
        if (lines.isEmpty() || !lines.getFirst().equals(HEADER)) {
            throw new IOException(label + ": " + ENTRY + " does not start with '" + HEADER + "'");
        }
        String apiVersion = null;
        String digest = null;
        Set<ApiReferences.HandlerAbi> abis = new TreeSet<>();
        Map<String, Integer> crcs = new TreeMap<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            try {
                if (line.startsWith("api.version=")) {
                    apiVersion = line.substring("api.version=".length());
                } else if (line.startsWith("classes.sha256=")) {
                    digest = line.substring("classes.sha256=".length());
                } else if (line.startsWith("handler.abi=")) {
                    String v = line.substring("handler.abi=".length());
                    for (String abi : v.isEmpty() ? new String[0] : v.split(",")) {
                        abis.add(ApiReferences.HandlerAbi.valueOf(abi.toUpperCase(java.util.Locale.ROOT)));
                    }
                } else if (line.startsWith("0x")) {
                    int space = line.indexOf(' ');
                    crcs.put(line.substring(space + 1), Integer.parseUnsignedInt(line.substring(2, space), 16));
                } else if (!line.isBlank() && !line.startsWith("#")) {
                    throw new IllegalArgumentException("unexpected line");
                }
            } catch (RuntimeException e) {
                throw new IOException(label + ": " + ENTRY + " line " + (i + 1) + " is malformed: " + Printable.quote(line), e);
            }
        }
        if (apiVersion == null || digest == null) {
            throw new IOException(label + ": " + ENTRY + " lacks api.version= or classes.sha256=");
        }
        return new ModVersions(apiVersion, digest, abis, crcs);
    }
}
