package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.pkvm4j.cli.Main;
import org.pkvm4j.testkit.ModuleFileBuilder;
import org.pkvm4j.testkit.PkvmDevice;

/**
 * {@code pkvm new-module}: the project it writes compiles, its module file boots protected, and the
 * test it generates passes, so the template cannot rot.
 *
 * <p>Here, not in the test kit's tests: it needs the CLI and the kit, and the CLI's own tests build
 * their fixtures with the kit, so the kit cannot depend on the CLI.
 */
class NewModuleIT {
    private record Run(int code, String out, String err) {
    }

    /** {@code vendor-modules/} of this checkout, whose POMs the generated ones must match. */
    private static Path vendorModules() {
        return Path.of(System.getProperty("pkvm4j.it.vendor-modules", "../vendor-modules"));
    }

    private static Run pkvm(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void theGeneratedModuleBuildsBootsAndPassesItsOwnTest(@TempDir Path dir) throws Exception {
        Run run = pkvm("new-module", "demo_mod", "--dir", dir.toString(), "--vendor", "example");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("./mvnw verify"), run.out());
        Path project = dir.resolve("demo-mod");
        for (String f : List.of("pom.xml", "README.md", "mvnw", "mvnw.cmd", ".mvn/wrapper/maven-wrapper.properties", ".mvn/jvm.config",
                "src/hyp/java/module-info.java", "src/hyp/java/example/demo_mod/hyp/DemoModHyp.java",
                "src/main/java/module-info.java", "src/main/java/example/demo_mod/DemoMod.java",
                "src/test/java/example/demo_mod/DemoModIT.java")) {
            assertTrue(Files.isRegularFile(project.resolve(f)), f);
        }
        assertTrue(Files.isExecutable(project.resolve("mvnw")), "the wrapper script is executable");
        assertTrue(Files.readString(project.resolve("pom.xml")).contains("<packaging>pkvm-module</packaging>"));

        // What the plugin's modinfo goal writes from the POM (the outside project has no modinfo file).
        Path modinfo = dir.resolve("modinfo.properties");
        Files.writeString(modinfo, "name=demo_mod\nversion=1.0.0-SNAPSHOT\nlicense=GPL-2.0-only\napi.version="
                + org.pkvm4j.cli.Main.class.getModule().getDescriptor().rawVersion().orElseThrow() + "\ndepends=\n");
        Path moduleFile = ModuleFileBuilder.module("demo_mod").modinfoBytes(Files.readAllBytes(modinfo))
                .el1Sources(project.resolve("src/main/java")).hypSources(project.resolve("src/hyp/java"))
                .writeTo(dir.resolve("out"));
        try (PkvmDevice device = PkvmDevice.builder().module(moduleFile).boot()) {
            assertThat(device).isProtected().hasModule("demo_mod", 1).deprivileged();
            assertEquals(42, device.module("demo_mod").call(0, 41));
        }

        TestExecutionSummary summary = runGeneratedTest(project.resolve("src/test/java"), dir.resolve("test-classes"),
                "example.demo_mod.DemoModIT", moduleFile);
        StringWriter report = new StringWriter();
        summary.printFailuresTo(new PrintWriter(report), 20);
        assertEquals(2, summary.getTestsFoundCount(), report.toString());
        assertEquals(2, summary.getTestsSucceededCount(), report.toString());
    }

    @Test
    void inVendorModulesTheProjectJoinsTheBuild(@TempDir Path dir) throws IOException {
        // The real parent POM with a fixed module list: the checkout's own list may already hold
        // the reader's my-driver (the tutorial has the reader generate it there).
        Path pom = dir.resolve("pom.xml");
        String before = Files.readString(vendorModules().resolve("pom.xml"))
                .replaceFirst("(?s)<modules>.*?</modules>", "<modules>\n    <module>hello-el1</module>\n  </modules>");
        Files.writeString(pom, before);
        Run run = pkvm("new-module", "my-driver", "--dir", dir.toString());
        assertEquals(0, run.code(), run.err());
        assertEquals(before.replace("\n  </modules>", "\n    <module>my-driver</module>\n  </modules>"), Files.readString(pom),
                "the new module is appended to the <modules> list, the rest of the POM unchanged");
        assertTrue(run.out().contains("./mvnw verify -pl " + dir.resolve("my-driver") + "/el1 -am"), run.out());
        assertTrue(Files.readString(dir.resolve("my-driver/el1/src/main/java/module-info.java"))
                .contains("module acme.my_driver {"), "the default vendor is acme");
    }

    /**
     * The generated POMs are built by Maven only when a user runs it (this test runs no Maven):
     * check they wire the build as the bundled modules' POMs do, so a change there shows up here.
     */
    @Test
    void theGeneratedPomsBuildLikeTheBundledOnes(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("pom.xml"), Files.readString(vendorModules().resolve("pom.xml"))
                .replaceFirst("(?s)<modules>.*?</modules>", "<modules>\n  </modules>"));
        assertEquals(0, pkvm("new-module", "pom_check", "--dir", dir.toString()).code());
        Path project = dir.resolve("pom-check");
        String version = org.pkvm4j.cli.Main.class.getModule().getDescriptor().rawVersion().orElseThrow();
        Path bundled = vendorModules().resolve("pkvm-driver");
        assertEquals(elements(Files.readString(bundled.resolve("el1/pom.xml")), "plugin"),
                elements(Files.readString(project.resolve("el1/pom.xml")), "plugin"), "the EL1 POM's plugins");
        assertEquals(List.of("hyp", "el1"), elements(Files.readString(project.resolve("pom.xml")), "module"));
        String parent = Files.readString(vendorModules().resolve("pom.xml"));
        assertTrue(parent.contains("<artifactId>vendor-modules</artifactId>") && parent.contains("<version>" + version + "</version>"));
        assertTrue(Files.readString(project.resolve("pom.xml")).contains(
                "<artifactId>vendor-modules</artifactId>\n    <version>" + version + "</version>"));
        assertTrue(Files.readString(project.resolve("el1/pom.xml")).contains("<pkvm.module.hyp>pom-check-hyp</pkvm.module.hyp>"));
        assertTrue(Files.readString(project.resolve("hyp/pom.xml")).contains("<artifactId>pom-check-hyp</artifactId>"));
        assertEquals(Files.readString(bundled.resolve("el1/src/main/modinfo/modinfo.properties")).lines()
                        .filter(l -> l.contains("${")).toList(),
                Files.readString(project.resolve("el1/src/main/modinfo/modinfo.properties")).lines()
                        .filter(l -> l.contains("${")).toList(), "the modinfo fields Maven fills");
    }

    /** The text of every {@code <tag>} child's {@code artifactId}, or of every {@code <tag>} if it has none. */
    private static List<String> elements(String xml, String tag) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<" + tag + ">(.*?)</" + tag + ">", java.util.regex.Pattern.DOTALL)
                .matcher(xml);
        List<String> found = new java.util.ArrayList<>();
        while (m.find()) {
            java.util.regex.Matcher id = java.util.regex.Pattern.compile("<artifactId>(.*?)</artifactId>").matcher(m.group(1));
            found.add(id.find() ? id.group(1) : m.group(1).strip());
        }
        return found;
    }

    @Test
    void usageErrorsExitTwoWithAMessage(@TempDir Path dir) throws IOException {
        Run bad = pkvm("new-module", "My Driver", "--dir", dir.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("module name 'My Driver' is not valid"), bad.err());
        Run keyword = pkvm("new-module", "drv", "--dir", dir.toString(), "--vendor", "int");
        assertEquals(2, keyword.code());
        assertTrue(keyword.err().contains("vendor 'int' is not valid"), keyword.err());
        Files.createDirectories(dir.resolve("taken"));
        Run exists = pkvm("new-module", "taken", "--dir", dir.toString());
        assertEquals(2, exists.code());
        assertTrue(exists.err().contains("already exists"), exists.err());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("taken")), files.toList(), "a refused command writes nothing");
        }
    }

    /** Compiles the generated test against this JVM's class and module path and runs it in a nested launcher. */
    private static TestExecutionSummary runGeneratedTest(Path sources, Path classes, String testClass, Path moduleFile)
            throws Exception {
        List<String> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).map(Path::toString).toList();
        }
        String path = System.getProperty("java.class.path") + File.pathSeparator + System.getProperty("jdk.module.path", "");
        StringWriter errors = new StringWriter();
        List<String> args = new java.util.ArrayList<>(List.of("--release", "25", "-proc:none", "-nowarn",
                "--class-path", path, "-d", classes.toString()));
        args.addAll(files);
        int code = ToolProvider.findFirst("javac").orElseThrow().run(new PrintWriter(errors, true), new PrintWriter(errors, true),
                args.toArray(String[]::new));
        assertEquals(0, code, "the generated test does not compile:\n" + errors);

        String old = System.getProperty("pkvm4j.module.file");
        System.setProperty("pkvm4j.module.file", moduleFile.toString());
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, NewModuleIT.class.getClassLoader())) {
            LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                    .selectors(DiscoverySelectors.selectClass(loader.loadClass(testClass))).build();
            SummaryGeneratingListener listener = new SummaryGeneratingListener();
            LauncherFactory.create().execute(request, listener);
            return listener.getSummary();
        } finally {
            if (old == null) {
                System.clearProperty("pkvm4j.module.file");
            } else {
                System.setProperty("pkvm4j.module.file", old);
            }
        }
    }
}
