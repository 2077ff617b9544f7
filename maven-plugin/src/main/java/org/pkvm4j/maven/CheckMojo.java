package org.pkvm4j.maven;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.plugins.annotations.ResolutionScope;
import org.apache.maven.project.MavenProject;

/**
 * Runs on the packed module file the checks {@code modprobe} runs before it defines a class
 * (descriptors and EL2 symbols, the ABI against the device's module API, the EL2 code policy), then
 * the link check: every EL2 symbol the EL1 code names exists in the EL2 part. Any failure fails the
 * build, each one printed with its {@code [PKVM-…]} code or its source line.
 *
 * <p>Kernel counterpart: a module build's final link and {@code modpost}'s undefined-symbol
 * errors, plus the hyp {@code Makefile.module} rules; here also what {@code pkvm verify} prints.
 */
@Mojo(name = "check", defaultPhase = LifecyclePhase.PACKAGE, requiresDependencyResolution = ResolutionScope.COMPILE,
        threadSafe = true)
public final class CheckMojo extends AbstractMojo {
    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    private MavenProject project;

    /** The module file; by default the jar this build packed. */
    @Parameter(property = "pkvm.moduleFile", defaultValue = "${project.build.directory}/${project.build.finalName}.jar")
    private File moduleFile;

    @Parameter(defaultValue = "${plugin.artifacts}", readonly = true, required = true)
    private List<Artifact> pluginArtifacts;

    @Parameter(defaultValue = "${project.compileSourceRoots}", readonly = true, required = true)
    private List<String> sourceRoots;

    /** Creates the goal (Maven calls it). */
    public CheckMojo() {
    }

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        Path file = moduleFile.toPath();
        List<String> failures = new ArrayList<>();
        try {
            for (HostTools.Finding f : HostTools.check(file, PkvmArtifacts.find(pluginArtifacts, PkvmArtifacts.MODULE_API,
                    "pkvm4j-maven-plugin"))) {
                if (f.passed()) {
                    getLog().info("check: " + f.line());
                } else {
                    failures.add(f.line());
                }
            }
            Map<String, byte[]> el1 = El2LinkCheck.read(Files.readAllBytes(file));
            byte[] hyp = el1.get(HostTools.EL2_ENTRY);
            String defined = hyp == null ? "the module has no EL2 part (src/hyp/java)"
                    : "the EL2 part defines: " + String.join(", ", El2LinkCheck.defined(El2LinkCheck.read(hyp)));
            List<El2LinkCheck.Reference> undefined = El2LinkCheck.undefined(el1);
            for (El2LinkCheck.Reference r : undefined) {
                failures.add("%s:%d: undefined EL2 symbol '%s' (Pkvm.%s); %s".formatted(sourcePath(r.source()), r.line(),
                        r.symbol(), r.call(), defined));
            }
            if (undefined.isEmpty()) {
                getLog().info("check: every EL2 symbol the EL1 code names links (" + El2LinkCheck.references(el1).size()
                        + " references)");
            }
        } catch (IOException e) {
            throw new MojoExecutionException("check: cannot read " + file + ": " + e.getMessage(), e);
        }
        if (!failures.isEmpty()) {
            failures.forEach(l -> getLog().error("check: " + l));
            throw new MojoFailureException("module file " + project.getBasedir().toPath().relativize(file) + " refused: "
                    + failures.size() + " problem" + (failures.size() == 1 ? "" : "s") + ", the first: " + failures.getFirst());
        }
    }

    /** The source file under the project (src/main/java/...), or the package path if it is not there. */
    private String sourcePath(String packagePath) {
        Path base = project.getBasedir().toPath();
        for (String root : sourceRoots) {
            Path candidate = Path.of(root).resolve(packagePath);
            if (Files.isRegularFile(candidate)) {
                return base.relativize(candidate).toString();
            }
        }
        return packagePath;
    }
}
