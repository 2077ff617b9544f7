package org.pkvm4j.maven;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.plugins.annotations.ResolutionScope;
import org.apache.maven.project.MavenProject;

/**
 * Writes the module's {@code modinfo} record ({@code META-INF/pkvm/modinfo.properties}) from the
 * POM: name, version, description, license, author, the API version it builds against, depends, KMI.
 *
 * <p>Kernel counterpart: the {@code .modinfo} section {@code MODULE_LICENSE()}, {@code
 * MODULE_DESCRIPTION()} and friends fill. The API version is that of the {@code pkvm4j-module-api}
 * dependency, never the project's own version.
 *
 * <p>Being the first goal of the {@code pkvm-module} lifecycle, it also sets the Java level every
 * pkvm4j module needs where the POM names none: {@code maven.compiler.release} 25 and UTF-8 sources,
 * so a vendor's POM need not repeat them.
 */
@Mojo(name = "modinfo", defaultPhase = LifecyclePhase.PROCESS_RESOURCES, requiresDependencyResolution = ResolutionScope.COMPILE,
        threadSafe = true)
public final class ModinfoMojo extends AbstractMojo {
    private static final List<String> KMIS = List.of("android14-5.15", "android14-6.1", "android15-6.6", "android16-6.12");
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]*(?:_[a-z0-9]+)*");

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    private MavenProject project;

    /** The module name modprobe and {@code kvm-arm.protected_modules=} know it by (default: the artifactId, - as _). */
    @Parameter(property = "pkvm.module.name")
    private String moduleName;

    /** {@code MODULE_LICENSE()}. */
    @Parameter(property = "pkvm.module.license", defaultValue = "GPL-2.0-only")
    private String license;

    /** {@code MODULE_AUTHOR()} (default: the POM's organization, else its groupId). */
    @Parameter(property = "pkvm.module.author")
    private String author;

    /**
     * The KMI the module is built for ({@code kmi=}, the kernel's {@code vermagic}): {@code
     * android14-5.15}, {@code android14-6.1}, {@code android15-6.6} or {@code android16-6.12}. A
     * device booted as another KMI refuses the module.
     */
    @Parameter(property = "pkvm.module.kmi", defaultValue = "android16-6.12")
    private String kmi;

    /** Modules that must be loaded first ({@code depends=}). */
    @Parameter
    private List<String> depends = List.of();

    @Parameter(defaultValue = "${project.build.outputDirectory}", readonly = true, required = true)
    private File outputDirectory;

    /** Creates the goal (Maven calls it). */
    public ModinfoMojo() {
    }

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        project.getProperties().putIfAbsent("maven.compiler.release", "25");
        project.getProperties().putIfAbsent("project.build.sourceEncoding", "UTF-8");
        String name = moduleName != null ? moduleName : project.getArtifactId().replace('-', '_');
        if (!NAME.matcher(name).matches()) {
            throw new MojoFailureException("module name '" + name + "' is not valid: lower-case letters, digits and _,"
                    + " starting with a letter; set <moduleName> in the plugin's configuration");
        }
        if (!KMIS.contains(kmi)) {
            throw new MojoFailureException("kmi '" + kmi + "' is not a KMI pkvm4j knows: one of " + String.join(", ", KMIS));
        }
        String apiVersion = PkvmArtifacts.version(project.getArtifacts(), PkvmArtifacts.MODULE_API, project.getId());
        String who = author != null ? author
                : project.getOrganization() != null && project.getOrganization().getName() != null
                        ? project.getOrganization().getName() : project.getGroupId();
        String description = project.getDescription() != null ? project.getDescription().strip()
                : project.getName() != null ? project.getName() : name;
        String text = "# written by pkvm4j-maven-plugin:modinfo from " + project.getId() + "\n"
                + "name=" + name + "\n"
                + "version=" + project.getVersion() + "\n"
                + "description=" + description.replaceAll("\\s+", " ") + "\n"
                + "license=" + license + "\n"
                + "author=" + who + "\n"
                + "api.version=" + apiVersion + "\n"
                + "depends=" + String.join(",", depends) + "\n"
                + "kmi=" + kmi + "\n";
        Path out = outputDirectory.toPath().resolve("META-INF/pkvm/modinfo.properties");
        try {
            Files.createDirectories(out.getParent());
            Files.writeString(out, text);
        } catch (IOException e) {
            throw new MojoExecutionException("cannot write " + out + ": " + e.getMessage(), e);
        }
        getLog().info("modinfo: " + name + " " + project.getVersion() + " against org.pkvm4j.api " + apiVersion
                + ", for KMI " + kmi);
    }
}
