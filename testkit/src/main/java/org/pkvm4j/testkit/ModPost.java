package org.pkvm4j.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.initramfs.ModuleFile;

/**
 * The modversions record {@code pkvm modpost} writes, for {@link ModuleFileBuilder#modpost()}, from
 * the author tools' own {@code modpost}. A class of its own so that a builder used without the host
 * kernel on its path (a benchmark launcher) never loads the kernel's classes.
 */
final class ModPost {
    /** Where the record lives in the EL1 jar. */
    static final String ENTRY = org.pkvm4j.tools.modpost.ModPost.ENTRY;

    private ModPost() {
    }

    /** The record for EL1 entries {@code el1} and EL2 jar {@code hyp} (may be null) built against {@code api}. */
    static byte[] modversions(String name, Map<String, byte[]> el1, byte[] hyp, Path api) {
        try {
            List<JarImage> jars = new ArrayList<>(List.of(JarImage.of(name, el1)));
            if (hyp != null) {
                jars.add(JarImage.read(name + "!/" + ModuleFile.EL2_ENTRY, hyp));
            }
            return org.pkvm4j.tools.modpost.ModPost.format(jars, api).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("modpost of " + name + " failed", e);
        }
    }
}
