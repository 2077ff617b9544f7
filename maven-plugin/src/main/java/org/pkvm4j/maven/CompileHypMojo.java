package org.pkvm4j.maven;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;
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
 * Compiles the EL2 part ({@code src/hyp/java}, its own JPMS module) and embeds it in the EL1
 * classes as {@code META-INF/pkvm/hyp.jar}, where the loader and modpost look for it.
 *
 * <p>Kernel counterpart: building {@code hyp/kvm_nvhe.o} with the hyp {@code Makefile.module} and
 * linking it into the {@code .ko}. The EL2 module is compiled against the module API alone (the
 * {@code provided} dependencies on its module path); the checks refuse it any other {@code
 * requires}. A project without {@code src/hyp/java} is an EL1-only module.
 */
@Mojo(name = "compile-hyp", defaultPhase = LifecyclePhase.PROCESS_CLASSES, requiresDependencyResolution = ResolutionScope.COMPILE,
        threadSafe = true)
public final class CompileHypMojo extends AbstractMojo {
    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    private MavenProject project;

    /** The EL2 sources: one JPMS module ({@code module-info.java} naming {@code <vendor>.<name>.hyp}). */
    @Parameter(property = "pkvm.hyp.sourceDirectory", defaultValue = "${project.basedir}/src/hyp/java")
    private File sourceDirectory;

    @Parameter(defaultValue = "${project.build.directory}/hyp-classes", readonly = true, required = true)
    private File classesDirectory;

    @Parameter(defaultValue = "${project.build.outputDirectory}", readonly = true, required = true)
    private File outputDirectory;

    /** The Java release of the EL2 classes. */
    @Parameter(property = "maven.compiler.release", defaultValue = "25")
    private String release;

    /** Entry times of the embedded jar, for a reproducible module file. */
    @Parameter(defaultValue = "${project.build.outputTimestamp}")
    private String outputTimestamp;

    /** Creates the goal (Maven calls it). */
    public CompileHypMojo() {
    }

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        Path sources = sourceDirectory.toPath();
        if (!Files.isDirectory(sources)) {
            getLog().info("compile-hyp: no " + project.getBasedir().toPath().relativize(sources) + ": an EL1-only module");
            return;
        }
        try {
            List<String> files;
            try (Stream<Path> walk = Files.walk(sources)) {
                files = walk.filter(p -> p.toString().endsWith(".java")).map(Path::toString).sorted().toList();
            }
            Path classes = classesDirectory.toPath();
            Files.createDirectories(classes);
            String modulePath = project.getArtifacts().stream()
                    .filter(a -> Artifact.SCOPE_PROVIDED.equals(a.getScope()) || Artifact.SCOPE_COMPILE.equals(a.getScope()))
                    .filter(a -> a.getFile() != null)
                    .map(a -> a.getFile().toString())
                    .collect(Collectors.joining(File.pathSeparator));
            List<String> args = new ArrayList<>(List.of("--release", release, "-encoding", "UTF-8", "-proc:none",
                    "-Xlint:all,-requires-automatic", "--module-path", modulePath, "-d", classes.toString()));
            args.addAll(files);
            run("javac", args, "the EL2 part (" + sources + ") does not compile");
            Path jar = outputDirectory.toPath().resolve(HostTools.EL2_ENTRY);
            Files.createDirectories(jar.getParent());
            Files.deleteIfExists(jar);
            List<String> jarArgs = new ArrayList<>(List.of("--create", "--file", jar.toString()));
            date().ifPresent(d -> jarArgs.add("--date=" + d));
            jarArgs.addAll(List.of("-C", classes.toString(), "."));
            run("jar", jarArgs, "cannot pack the EL2 jar");
            getLog().info("compile-hyp: " + files.size() + " source files -> " + project.getBasedir().toPath().relativize(jar));
        } catch (IOException e) {
            throw new MojoExecutionException("compile-hyp: " + e.getMessage(), e);
        }
    }

    private void run(String tool, List<String> args, String failure) throws MojoFailureException {
        StringWriter out = new StringWriter();
        PrintWriter writer = new PrintWriter(out, true);
        int code = ToolProvider.findFirst(tool).orElseThrow(() -> new IllegalStateException("this JDK has no " + tool))
                .run(writer, writer, args.toArray(String[]::new));
        out.toString().lines().forEach(l -> getLog().warn(l));
        if (code != 0) {
            throw new MojoFailureException(failure + ":\n" + out);
        }
    }

    /** {@code project.build.outputTimestamp} as ISO-8601, as the jar tool's --date takes it (seconds are accepted too). */
    private java.util.Optional<String> date() {
        if (outputTimestamp == null || outputTimestamp.isBlank() || outputTimestamp.length() < 2) {
            return java.util.Optional.empty();
        }
        if (outputTimestamp.chars().allMatch(Character::isDigit)) {
            return java.util.Optional.of(Instant.ofEpochSecond(Long.parseLong(outputTimestamp)).toString());
        }
        return java.util.Optional.of(outputTimestamp);
    }
}
