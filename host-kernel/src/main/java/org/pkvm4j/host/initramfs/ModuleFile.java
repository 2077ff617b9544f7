package org.pkvm4j.host.initramfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.SequencedMap;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;

/**
 * One vendor module file: the EL1 modular jar, with the EL2 modular jar ({@value #EL2_ENTRY}) and
 * the {@link Modinfo} record inside.
 *
 * <p>Kernel counterpart: a {@code .ko}: {@code el1.o} and {@code hyp/kvm_nvhe.o} linked into one
 * object with its {@code .modinfo}. An EL1-only module simply has no EL2 jar.
 *
 * @param path where it was read from
 * @param sha256 the SHA-256 of the file, hex
 * @param modinfo its record
 * @param el1 the EL1 modular jar
 * @param el2 the EL2 modular jar, if the module has an EL2 part
 * @param signature the signature it inherits from a verified initramfs image, if it came from one
 */
public record ModuleFile(Path path, String sha256, Modinfo modinfo, JarImage el1, Optional<JarImage> el2,
        Optional<ModuleSignature> signature) {

    /** A module file without a signature. */
    public ModuleFile(Path path, String sha256, Modinfo modinfo, JarImage el1, Optional<JarImage> el2) {
        this(path, sha256, modinfo, el1, el2, Optional.empty());
    }

    /** Where the EL2 jar lives inside the EL1 jar. */
    public static final String EL2_ENTRY = "META-INF/pkvm/hyp.jar";
    /**
     * The largest module file: the bound on a jar's uncompressed bytes plus room for its zip
     * headers. A larger file is refused before it is read.
     */
    public static final long MAX_FILE_BYTES = JarImage.MAX_BYTES + (8L << 20);

    /**
     * Reads and checks a module file.
     *
     * @throws PkvmException {@code ENOENT} if it cannot be read; {@code ENOEXEC} if it is not a
     *     module file (not a jar, no modinfo, a nested EL2 jar that is not a jar), or larger than
     *     {@link #MAX_FILE_BYTES} (refused before it is read)
     */
    public static ModuleFile read(Path path) {
        byte[] bytes;
        try {
            checkSize(path, Files.size(path));
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new Refusal(ErrorCode.LOAD_NOT_FOUND, Errno.ENOENT, "cannot read module file " + path + ": " + e.getMessage(), e);
        }
        return read(path, bytes, Optional.empty());
    }

    /**
     * Checks and parses the bytes of a module file read from {@code path}, unsigned.
     *
     * @throws PkvmException {@code ENOEXEC} if they are not a module file
     */
    public static ModuleFile parse(Path path, byte[] bytes) {
        return read(path, bytes, Optional.empty());
    }

    /**
     * Checks a module file already in memory: one from a verified initramfs image, whose bytes are
     * used as they were verified and never read from disk again.
     *
     * @param path what to call it (its place in the initramfs)
     * @param signature the signature it inherits, if any
     * @throws PkvmException {@code ENOEXEC} if it is not a module file
     */
    public static ModuleFile read(Path path, byte[] bytes, Optional<ModuleSignature> signature) {
        String label = path.getFileName().toString();
        checkSize(path, bytes.length);
        if (!JarImage.looksLikeZip(bytes)) {
            throw new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC, label + " is not a module file: not a jar archive");
        }
        try {
            JarImage el1 = JarImage.read(label, bytes);
            byte[] info = el1.stored(Modinfo.ENTRY).orElseThrow(() -> new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC,
                    label + " is not a module file: it has no " + Modinfo.ENTRY));
            Modinfo modinfo = Modinfo.parse(label, info);
            Optional<JarImage> el2 = Optional.empty();
            Optional<byte[]> nested = el1.stored(EL2_ENTRY);
            if (nested.isPresent()) {
                if (!JarImage.looksLikeZip(nested.get())) {
                    throw new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC, label + ": " + EL2_ENTRY + " is not a jar archive");
                }
                el2 = Optional.of(JarImage.read(label + "!/" + EL2_ENTRY, nested.get()));
            }
            return new ModuleFile(path, sha256(bytes), modinfo, el1, el2, signature);
        } catch (IOException e) {
            throw new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC, label + " is not a valid module file: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a module file of {@code size} bytes over {@link #MAX_FILE_BYTES}: asked before the
     * file is read, so a huge file costs no memory.
     *
     * @throws PkvmException {@code ENOEXEC} ({@link ErrorCode#LOAD_BAD_ENTRY})
     */
    public static void checkSize(Path path, long size) {
        if (size > MAX_FILE_BYTES) {
            throw new Refusal(ErrorCode.LOAD_BAD_ENTRY, Errno.ENOEXEC, path.getFileName() + " is " + size
                    + " bytes, over the limit of " + MAX_FILE_BYTES + " bytes per module file; not read");
        }
    }

    /** The EL1 jar, then the EL2 jar if there is one: every class of the module. */
    public java.util.List<JarImage> jars() {
        return el2.isPresent() ? java.util.List.of(el1, el2.get()) : java.util.List.of(el1);
    }

    /**
     * What {@code modinfo} prints of this file, row by row in its order: filename, the modinfo
     * record, whether it has an EL2 part, its digest and its signature.
     */
    public SequencedMap<String, String> modinfoRows() {
        SequencedMap<String, String> rows = new LinkedHashMap<>();
        rows.put("filename", path.toAbsolutePath().toString());
        rows.put("name", modinfo.name());
        rows.put("version", modinfo.version());
        rows.put("description", modinfo.description());
        rows.put("author", modinfo.author());
        rows.put("license", modinfo.license());
        rows.put("api.version", modinfo.apiVersion());
        rows.put("depends", String.join(",", modinfo.depends()));
        rows.put("kmi", modinfo.kmi().isEmpty() ? "none recorded" : modinfo.kmi());
        rows.put("el2", el2.map(j -> "yes (" + j.classBytes() + " bytes of classes)").orElse("no (EL1 only)"));
        rows.put("sha256", sha256);
        rows.put("sig", signature.map(ModuleSignature::describe).orElse("none"));
        return rows;
    }

    /** The module name from its modinfo. */
    public String name() {
        return modinfo.name();
    }

    /** The SHA-256 of {@code bytes}, hex: the digest {@link #sha256()} holds. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
