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
 * {@code pkvm new-module NAME [--dir DIR] [--vendor VENDOR]}: writes a buildable vendor module
 * project (EL1 and EL2 Maven modules, modinfo, an {@code @PkvmBoot} test).
 *
 * <p>In a checkout's {@code vendor-modules/} (the default) it also adds the project to that POM's
 * {@code <modules>}, as Maven's archetype plugin does in a multi-module project, so the reactor
 * builds it offline with everything it needs: {@code ./mvnw verify -pl vendor-modules/NAME/el1 -am}.
 */
@Command(name = "new-module", mixinStandardHelpOptions = true,
        description = {"Write a new vendor module project: hyp/ (EL2 init and handler), el1/ (KernelModule, modinfo) and a test.",
            "In vendor-modules/ of a pkvm4j checkout (the default) the project joins the build: ./mvnw verify -pl vendor-modules/NAME/el1 -am"},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the project was written", "1:a file could not be written", "2:usage error (bad name, the folder exists)"})
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
            for (Map.Entry<String, String> f : template.files().entrySet()) {
                Path file = project.resolve(f.getKey());
                Files.createDirectories(file.getParent());
                Files.writeString(file, f.getValue());
                out.println("  wrote " + file);
            }
            boolean registered = register(dir.resolve("pom.xml"), template.folder());
            out.println(registered
                    ? "added <module>" + template.folder() + "</module> to " + dir.resolve("pom.xml") + "\n"
                            + "build and test it from the checkout: ./mvnw verify -pl " + dir.resolve(template.folder()) + "/el1 -am"
                    : dir + " is not the vendor-modules/ folder of a pkvm4j checkout: install pkvm4j first"
                            + " (./mvnw install -DskipTests in the checkout), then run mvn verify in " + project);
        } catch (IOException e) {
            spec.commandLine().getErr().println("pkvm: cannot write the project " + project + ": " + e.getMessage()
                    + " [" + org.pkvm4j.host.diag.ErrorCode.CLI_FILE.code() + "]");
            return Main.FAILED;
        }
        out.flush();
        return 0;
    }

    /** Adds {@code folder} to the {@code <modules>} of the vendor-modules POM {@code pom}, if it is one. */
    private static boolean register(Path pom, String folder) throws IOException {
        if (!Files.isRegularFile(pom)) {
            return false;
        }
        String text = Files.readString(pom);
        if (!text.contains("<artifactId>vendor-modules</artifactId>") || !text.contains(MODULES_END)) {
            return false;
        }
        String entry = "    <module>" + folder + "</module>\n";
        if (!text.contains(entry)) {
            int at = text.indexOf(MODULES_END);
            Files.writeString(pom, text.substring(0, at) + entry + text.substring(at));
        }
        return true;
    }
}
