package org.pkvm4j.host.initramfs;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.pkvm4j.host.diag.Printable;

/**
 * The {@code modinfo} record of a vendor module file.
 *
 * <p>Kernel counterpart: the {@code .modinfo} section ({@code MODULE_LICENSE}, {@code
 * MODULE_DESCRIPTION}, {@code depends=}, {@code vermagic} as {@code kmi=}). Stored as {@value #ENTRY}, a properties
 * file the module's build writes.
 *
 * @param name the module name, with underscores ({@code pkvm_driver})
 * @param version the module's version
 * @param description one line
 * @param license the license ({@code GPL-2.0}, {@code Apache-2.0}, ...)
 * @param author who wrote it
 * @param apiVersion the {@code org.pkvm4j.api} version it was built against
 * @param depends modules that must be loaded first ({@code modules.dep})
 * @param kmi the KMI it was built for ({@code android14-5.15} ...; the kernel's {@code vermagic}),
 *     empty if it records none
 */
public record Modinfo(String name, String version, String description, String license, String author,
        String apiVersion, List<String> depends, String kmi) {

    /** Where the record lives inside a module file. */
    public static final String ENTRY = "META-INF/pkvm/modinfo.properties";

    /** Copies the dependency list. */
    public Modinfo {
        depends = List.copyOf(depends);
    }

    /** A record without a KMI (built before KMI records existed). */
    public Modinfo(String name, String version, String description, String license, String author,
            String apiVersion, List<String> depends) {
        this(name, version, description, license, author, apiVersion, depends, "");
    }

    /**
     * Parses a record.
     *
     * @throws IOException if it is not a properties file or has no {@code name}
     */
    public static Modinfo parse(String label, byte[] bytes) throws IOException {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int control = Printable.firstControl(text);
        if (control >= 0) {
            // Its values are printed by modinfo and quoted in refusals: no control character may reach them.
            throw new IOException(label + ": " + ENTRY + " line " + Printable.lineOf(text, control) + " has a "
                    + Printable.describeControl(text, control));
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IllegalArgumentException e) { // a malformed unicode escape
            throw new IOException(label + ": " + ENTRY + " is not a properties file: " + Printable.reason(e), e);
        }
        // An escape decodes to any character: the values are checked again, a line break included.
        for (String key : new java.util.TreeSet<>(p.stringPropertyNames())) {
            String value = p.getProperty(key);
            if ((key + value).chars().anyMatch(c -> Character.isISOControl(c) || c == '\u2028' || c == '\u2029')) {
                throw new IOException(label + ": " + ENTRY + " " + Printable.quote(key) + "= has a control character (written as an escape)");
            }
        }
        String name = p.getProperty("name", "").trim();
        if (name.isEmpty()) {
            throw new IOException(label + ": " + ENTRY + " has no name=");
        }
        String depends = p.getProperty("depends", "").trim();
        List<String> dependencies = depends.isEmpty() ? List.of()
                : Arrays.stream(depends.split(",", -1)).map(String::trim).map(d -> d.replace('-', '_')).toList();
        if (dependencies.contains("")) {
            throw new IOException(label + ": " + ENTRY + " has an empty name in depends=" + Printable.quote(depends));
        }
        return new Modinfo(name.replace('-', '_'), p.getProperty("version", "").trim(),
                p.getProperty("description", "").trim(), p.getProperty("license", "").trim(),
                p.getProperty("author", "").trim(), p.getProperty("api.version", "").trim(), dependencies,
                p.getProperty("kmi", "").trim());
    }
}
