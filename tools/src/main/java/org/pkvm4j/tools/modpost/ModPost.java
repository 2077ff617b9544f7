package org.pkvm4j.tools.modpost;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.host.abi.ModVersions;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.initramfs.ModuleFile;

/**
 * modpost: stamps a module's build with the CRCs of the API symbols it uses.
 *
 * <p>Kernel counterpart: {@code scripts/mod/modpost}, which writes a module's {@code __versions}
 * from {@code Module.symvers}. Run on a vendor module's compiled EL1 classes (with the EL2 jar
 * already embedded at {@value ModuleFile#EL2_ENTRY}) before they are packed; the record lands in
 * {@value ModVersions#ENTRY}.
 */
public final class ModPost {
    /** Where the record lives in the EL1 jar ({@code META-INF/pkvm/modversions}). */
    public static final String ENTRY = ModVersions.ENTRY;

    private ModPost() {
    }

    /**
     * What was written.
     *
     * @param symbols how many API symbols the record holds
     * @param apiModule the API module the CRCs were taken from
     * @param apiVersion its version (may be empty for a class folder)
     * @param record the file written
     */
    public record Result(int symbols, String apiModule, String apiVersion, Path record) {
    }

    /**
     * Writes {@code el1Classes/META-INF/pkvm/modversions} for the classes under {@code el1Classes}
     * and the EL2 jar inside them, with the CRCs of the API at {@code api} (a jar or class folder).
     *
     * @throws BootConfigException if {@code el1Classes} is not a directory, or a class names a
     *     symbol the API does not have
     * @throws IOException if a class file, the API or the record cannot be read or written
     */
    public static Result run(Path el1Classes, Path api) throws IOException {
        AbiModel builtAgainst = AbiModel.read(Files.isDirectory(api) ? JarImage.ofDirectory(api)
                : JarImage.read(api.toString(), Files.readAllBytes(api)));
        if (!Files.isDirectory(el1Classes)) {
            throw new BootConfigException("--el1 " + el1Classes + " is not a directory of classes");
        }
        List<JarImage> jars = new ArrayList<>();
        jars.add(JarImage.ofDirectory(el1Classes));
        Path el2 = el1Classes.resolve(ModuleFile.EL2_ENTRY);
        if (Files.isRegularFile(el2)) {
            jars.add(JarImage.read(el2.toString(), Files.readAllBytes(el2)));
        }
        ModVersions record = record(jars, builtAgainst);
        Path out = el1Classes.resolve(ModVersions.ENTRY);
        Files.createDirectories(out.getParent());
        Files.writeString(out, record.format());
        return new Result(record.crcs().size(), builtAgainst.module(), builtAgainst.version(), out);
    }

    /**
     * The record {@code modpost} writes for {@code jars} (the EL1 jar, then the EL2 jar if any), with
     * the CRCs of the API at {@code api}: for builds that pack module files in memory (the test kit).
     *
     * @throws BootConfigException if a class names a symbol the API does not have
     * @throws IOException if the API cannot be read
     */
    public static String format(List<JarImage> jars, Path api) throws IOException {
        return record(jars, AbiModel.read(Files.isDirectory(api) ? JarImage.ofDirectory(api)
                : JarImage.read(api.toString(), Files.readAllBytes(api)))).format();
    }

    private static ModVersions record(List<JarImage> jars, AbiModel builtAgainst) {
        try {
            return ModVersions.compute(jars, builtAgainst);
        } catch (IllegalArgumentException e) {
            throw new BootConfigException("modpost: " + e.getMessage());
        }
    }
}
