package org.pkvm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pkvm new-module NAME [--dir DIR] [--vendor VENDOR] [--group-id GROUP]}: writes a buildable
 * vendor module project with an {@code @PkvmBoot} test.
 *
 * <p>In a checkout's {@code vendor-modules/} (the default) it writes the bundled modules' layout
 * (EL1 and EL2 Maven modules) and adds the project to that POM's {@code <modules>}, as Maven's
 * archetype plugin does in a multi-module project: {@code ./mvnw verify -pl vendor-modules/NAME/el1
 * -am}. Anywhere else it writes a vendor's own project: one POM on {@code pkvm4j-bom} and {@code
 * pkvm4j-maven-plugin}, {@code src/main/java} and {@code src/hyp/java} side by side, a README and
 * this repository's Maven wrapper: {@code cd DIR/NAME && ./mvnw verify}.
 */
@Command(name = "new-module", mixinStandardHelpOptions = true,
        description = {"Write a new vendor module project: hyp/ (EL2 init and handler), el1/ (KernelModule, modinfo) and a test.",
            "In vendor-modules/ of a pkvm4j checkout (the default) the project joins the build: ./mvnw verify -pl vendor-modules/NAME/el1 -am"},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the project was written", "1:a file could not be written", "2:usage error (bad name, the folder exists)"},
        footer = {"%nOutside a checkout (any other --dir) it writes a vendor's own project: one pom.xml on pkvm4j-bom and"
            + " pkvm4j-maven-plugin, src/main/java (EL1) and src/hyp/java (EL2), a test, a README and a Maven wrapper:"
            + " cd DIR/NAME && ./mvnw verify"})
final class NewModuleCommand implements Callable<Integer> {
    /** Module names as modprobe and {@code kvm-arm.protected_modules=} take them, and as Java package names. */
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*");
    private static final Pattern VENDOR = Pattern.compile("[a-z][a-z0-9]*");
    private static final String MODULES_END = "  </modules>";

    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "The module name, for example my_driver (lower case, digits, _ or -).")
    private String name;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "vendor-modules",
            description = "Where to create the project folder (default: ${DEFAULT-VALUE}).")
    private Path dir;

    @Option(names = "--vendor", paramLabel = "VENDOR", defaultValue = "acme",
            description = "The vendor: first part of the JPMS module and package names (default: ${DEFAULT-VALUE}).")
    private String vendor;

    @Option(names = "--group-id", paramLabel = "GROUP",
            description = "The Maven groupId of a project outside a checkout (default: the vendor).")
    private String groupId;

    @Option(names = "--pkvm4j-version", paramLabel = "VERSION",
            description = "The pkvm4j version the project builds against (default: the running one).")
    private String pkvm4jVersion;

    // JLS 3.9: a package name part may not be one (javax.lang.model has the list, but is in java.compiler).
    private static final java.util.Set<String> KEYWORDS = java.util.Set.of("abstract", "assert", "boolean", "break",
            "byte", "case", "catch", "char", "class", "const", "continue", "default", "do", "double", "else", "enum",
            "extends", "final", "finally", "float", "for", "goto", "if", "implements", "import", "instanceof", "int",
            "interface", "long", "native", "new", "package", "private", "protected", "public", "return", "short",
            "static", "strictfp", "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try",
            "void", "volatile", "while", "true", "false", "null", "_");

    @Override
    public Integer call() {
        if (!NAME.matcher(name).matches()) {
            throw new ParameterException(spec.commandLine(), "module name '" + name
                    + "' is not valid: use lower-case letters, digits and _ (or -), starting with a letter, e.g. my_driver");
        }
        if (java.util.Arrays.stream(name.split("[_-]")).anyMatch(KEYWORDS::contains)) {
            throw new ParameterException(spec.commandLine(), "module name '" + name
                    + "' is not valid: a part between _ is a Java keyword, and the name is also a package name");
        }
        if (!VENDOR.matcher(vendor).matches() || KEYWORDS.contains(vendor)) {
            throw new ParameterException(spec.commandLine(), "vendor '" + vendor
                    + "' is not valid: one lower-case word of letters and digits, not a Java keyword, e.g. acme");
        }
        if (groupId != null && !groupId.matches("[A-Za-z0-9_.-]+")) {
            throw new ParameterException(spec.commandLine(), "group id '" + groupId + "' is not valid: letters, digits, '.', '_' and '-'");
        }
        String version = pkvm4jVersion != null ? pkvm4jVersion : NewModuleCommand.class.getModule().getDescriptor() == null
                ? null : NewModuleCommand.class.getModule().getDescriptor().rawVersion().orElse(null);
        if (version == null) {
            throw new ParameterException(spec.commandLine(),
                    "this is a development build without a version: pass --pkvm4j-version (the <version> of the root pom.xml)");
        }
        ModuleTemplate template = new ModuleTemplate(name.replace('-', '_'), vendor, version);
        Path project = dir.resolve(template.folder());
        if (Files.exists(project)) {
            throw new ParameterException(spec.commandLine(), project + " already exists: choose another name or remove it");
        }
        PrintWriter out = spec.commandLine().getOut();
        try {
            boolean inCheckout = isVendorModules(dir.resolve("pom.xml"));
            Map<String, String> files = inCheckout ? template.files() : template.outsideFiles(groupId != null ? groupId : vendor);
            for (Map.Entry<String, String> f : files.entrySet()) {
                Path file = project.resolve(f.getKey());
                Files.createDirectories(file.getParent());
                Files.writeString(file, f.getValue());
                out.println("  wrote " + file);
            }
            if (inCheckout) {
                register(dir.resolve("pom.xml"), template.folder());
                out.println("added <module>" + template.folder() + "</module> to " + dir.resolve("pom.xml") + "\n"
                        + "build and test it from the checkout: ./mvnw verify -pl " + dir.resolve(template.folder()) + "/el1 -am");
            } else {
                for (String[] w : WRAPPER) {
                    Path file = project.resolve(w[1]);
                    Files.createDirectories(file.getParent());
                    try (var in = NewModuleCommand.class.getResourceAsStream("wrapper/" + w[0])) {
                        if (in == null) {
                            throw new IOException("this pkvm4j build has no Maven wrapper to copy (wrapper/" + w[0] + ")");
                        }
                        Files.write(file, in.readAllBytes());
                    }
                    if (w[1].equals("mvnw")) {
                        file.toFile().setExecutable(true, false);
                    }
                    out.println("  wrote " + file);
                }
                out.println("build, check and test it: cd " + project + " && ./mvnw verify\n"
                        + "(it needs a JDK 25 and the pkvm4j " + version + " artifacts in a Maven repository:"
                        + " ./mvnw install in a pkvm4j checkout puts them in ~/.m2)");
            }
        } catch (IOException e) {
            spec.commandLine().getErr().println("pkvm: cannot write the project " + project + ": " + e.getMessage()
                    + " [" + org.pkvm4j.host.diag.ErrorCode.CLI_FILE.code() + "]");
            return Main.FAILED;
        }
        out.flush();
        return 0;
    }

    /** The Maven wrapper files: resource name (the cli module's build copies them from the checkout), path in the project. */
    private static final String[][] WRAPPER = {{"mvnw", "mvnw"}, {"mvnw.cmd", "mvnw.cmd"},
        {"wrapper/maven-wrapper.properties", ".mvn/wrapper/maven-wrapper.properties"}, {"jvm.config", ".mvn/jvm.config"}};

    /** Whether {@code pom} is the vendor-modules POM of a pkvm4j checkout. */
    private static boolean isVendorModules(Path pom) throws IOException {
        if (!Files.isRegularFile(pom)) {
            return false;
        }
        String text = Files.readString(pom);
        return text.contains("<artifactId>vendor-modules</artifactId>") && text.contains(MODULES_END);
    }

    /** Adds {@code folder} to the {@code <modules>} of the vendor-modules POM {@code pom}. */
    private static void register(Path pom, String folder) throws IOException {
        String text = Files.readString(pom);
        String entry = "    <module>" + folder + "</module>\n";
        if (!text.contains(entry)) {
            int at = text.indexOf(MODULES_END);
            Files.writeString(pom, text.substring(0, at) + entry + text.substring(at));
        }
    }
}
