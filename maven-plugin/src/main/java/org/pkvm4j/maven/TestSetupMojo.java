package org.pkvm4j.maven;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

/**
 * Prepares the module's tests to boot devices, as the bundled modules' builds do: the pkvm4j
 * runtime on the test JVM's module path (the host kernel is a named module), the tests, JUnit and
 * the test kit on the class path, and the test kit told where the hypervisor image and the module
 * file this build packs are ({@code -Dpkvm4j.hypervisor}, {@code -Dpkvm4j.module.file}).
 *
 * <p>It sets the properties surefire and failsafe read ({@code argLine}, {@code
 * maven.test.dependency.excludes}, {@code surefire.useModulePath}, {@code failsafe.useModulePath}),
 * so a test written {@code @PkvmBoot(modules = "${pkvm4j.module.file}")} runs in the {@code
 * integration-test} phase on the file {@code package} produced. The runtime is the plugin's own: the
 * device matches the plugin's version, as the BOM pins both.
 */
@Mojo(name = "test-setup", defaultPhase = LifecyclePhase.PROCESS_TEST_CLASSES, threadSafe = true)
public final class TestSetupMojo extends AbstractMojo {
    /**
     * The flags every JVM that hosts a device runs with (strong encapsulation intact, one Log4j
     * context): pkvm4j-parent's {@code pkvm4j.jvm.flags}, filled into device.properties at build time.
     */
    static final String JVM_FLAGS = jvmFlags();

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    private MavenProject project;

    @Parameter(defaultValue = "${plugin.artifacts}", readonly = true, required = true)
    private List<Artifact> pluginArtifacts;

    /** The module file the tests boot. */
    @Parameter(property = "pkvm.moduleFile", defaultValue = "${project.build.directory}/${project.build.finalName}.jar")
    private File moduleFile;

    /** Where the test kit keeps its per-test files. */
    @Parameter(defaultValue = "${project.build.directory}/pkvm-it")
    private File workDirectory;

    /** Creates the goal (Maven calls it). */
    public TestSetupMojo() {
    }

    @Override
    public void execute() throws MojoExecutionException {
        List<Path> bootLayer = PkvmArtifacts.bootLayer(pluginArtifacts);
        Path hypervisor = PkvmArtifacts.find(pluginArtifacts, PkvmArtifacts.HYPERVISOR, "pkvm4j-maven-plugin");
        String modulePath = bootLayer.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
        Properties props = project.getProperties();
        String existing = props.getProperty("argLine", "");
        String argLine = (existing.isBlank() ? "" : existing + " ") + JVM_FLAGS
                + " --module-path " + modulePath + " --add-modules ALL-MODULE-PATH"
                + " -Dpkvm4j.hypervisor=" + hypervisor
                + " -Dpkvm4j.module.file=" + moduleFile
                + " -Dpkvm4j.testkit.work=" + workDirectory;
        props.setProperty("argLine", argLine);
        props.setProperty("surefire.useModulePath", "false");
        props.setProperty("failsafe.useModulePath", "false");
        // The runtime reaches the tests through the module path only; the EL2 classes only inside the module file.
        String excludes = pluginArtifacts.stream()
                .filter(a -> bootLayer.contains(a.getFile() == null ? null : a.getFile().toPath())
                        || a.getArtifactId().equals(PkvmArtifacts.HYPERVISOR))
                .map(a -> a.getGroupId() + ":" + a.getArtifactId())
                .collect(Collectors.joining(","));
        props.setProperty("maven.test.dependency.excludes", excludes);
        getLog().info("test-setup: tests boot devices of pkvm4j " + PkvmArtifacts.version(pluginArtifacts,
                PkvmArtifacts.MODULE_API, "pkvm4j-maven-plugin") + " from " + moduleFile.getName());
        getLog().debug("test-setup: argLine=" + argLine);
    }

    private static String jvmFlags() {
        java.util.Properties device = new java.util.Properties();
        try (java.io.InputStream in = TestSetupMojo.class.getResourceAsStream("device.properties")) {
            device.load(java.util.Objects.requireNonNull(in, "device.properties"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return device.getProperty("jvm.flags");
    }
}
