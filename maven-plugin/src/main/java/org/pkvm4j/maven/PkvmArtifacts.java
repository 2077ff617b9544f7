package org.pkvm4j.maven;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.plugin.MojoExecutionException;

/** Finding pkvm4j's own jars among a project's or the plugin's resolved artifacts. */
final class PkvmArtifacts {
    static final String GROUP = "org.pkvm4j";
    static final String MODULE_API = "pkvm4j-module-api";
    static final String HYPERVISOR = "pkvm4j-hypervisor";
    /** The libraries pkvm4j's runtime jars require: Log4j, picocli (the CLI) and Jackson core (JSON reports). */
    private static final java.util.Set<String> LIBRARY_GROUPS = java.util.Set.of("org.apache.logging.log4j", "info.picocli",
            "tools.jackson.core");

    private PkvmArtifacts() {
    }

    /** The file of {@code org.pkvm4j:artifactId} in {@code artifacts}. */
    static Path find(Collection<Artifact> artifacts, String artifactId, String whose) throws MojoExecutionException {
        return artifacts.stream()
                .filter(a -> a.getGroupId().equals(GROUP) && a.getArtifactId().equals(artifactId) && a.getFile() != null)
                .map(a -> a.getFile().toPath())
                .findFirst()
                .orElseThrow(() -> new MojoExecutionException(whose + " has no " + GROUP + ":" + artifactId
                        + (artifactId.equals(MODULE_API) ? ": add it as a dependency with <scope>provided</scope>"
                                + " (its version comes from pkvm4j-bom)" : "")));
    }

    /** The version of {@code org.pkvm4j:artifactId} in {@code artifacts}. */
    static String version(Collection<Artifact> artifacts, String artifactId, String whose) throws MojoExecutionException {
        find(artifacts, artifactId, whose);
        return artifacts.stream().filter(a -> a.getGroupId().equals(GROUP) && a.getArtifactId().equals(artifactId))
                .map(Artifact::getBaseVersion).findFirst().orElseThrow();
    }

    /** The boot layer of a device: pkvm4j's runtime jars and their libraries, never the hypervisor image. */
    static List<Path> bootLayer(Collection<Artifact> pluginArtifacts) {
        return pluginArtifacts.stream()
                .filter(a -> a.getFile() != null)
                .filter(a -> (a.getGroupId().equals(GROUP) && !a.getArtifactId().equals(HYPERVISOR))
                        || LIBRARY_GROUPS.contains(a.getGroupId()))
                .map(a -> a.getFile().toPath())
                .toList();
    }
}
