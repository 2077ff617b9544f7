package org.pkvm4j.maven;

import java.io.File;
import java.io.IOException;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.plugins.annotations.ResolutionScope;
import org.apache.maven.project.MavenProject;

/**
 * {@code modpost}: records in {@code META-INF/pkvm/modversions} the CRC of every {@code
 * org.pkvm4j.api} symbol the EL1 and EL2 classes use, before they are packed.
 *
 * <p>Kernel counterpart: {@code scripts/mod/modpost} writing a module's {@code __versions} from
 * {@code Module.symvers}. The CRCs are those of the module API the project compiled against.
 */
@Mojo(name = "modpost", defaultPhase = LifecyclePhase.PREPARE_PACKAGE, requiresDependencyResolution = ResolutionScope.COMPILE,
        threadSafe = true)
public final class ModpostMojo extends AbstractMojo {
    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    private MavenProject project;

    @Parameter(defaultValue = "${project.build.outputDirectory}", readonly = true, required = true)
    private File outputDirectory;

    /** Creates the goal (Maven calls it). */
    public ModpostMojo() {
    }

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        try {
            getLog().info(HostTools.modpost(outputDirectory.toPath(),
                    PkvmArtifacts.find(project.getArtifacts(), PkvmArtifacts.MODULE_API, project.getId())));
        } catch (IllegalArgumentException e) {
            throw new MojoFailureException("modpost: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new MojoExecutionException("modpost: " + e.getMessage(), e);
        }
    }
}
