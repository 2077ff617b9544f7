package org.pkvm4j.host.initramfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A signed initramfs image: module files, their manifest and an Ed25519 signature over the header
 * and the manifest, in one file (docs/adr/0006-signed-initramfs.md).
 *
 * <pre>
 * offset  size  field (big-endian)
 *      0     8  magic "PKVMIRFS"
 *      8     2  format version, 1
 *     10     2  signature algorithm: 0 unsigned, 1 Ed25519
 *     12     4  manifest length M
 *     16     8  payload length P (the sum of the manifest's file sizes)
 *     24     4  signature length S (0 unsigned, 64 Ed25519)
 *     28     4  reserved, 0
 *     32     M  manifest ({@link ImageManifest}, canonical text)
 *   32+M     P  payload: the module files, in manifest order, back to back
 * 32+M+P     S  signature over bytes [0, 32+M): header and manifest
 * </pre>
 *
 * The signature covers the header (so every length and the algorithm are authentic) and the
 * manifest; the manifest binds every payload byte through the files' SHA-256. Checks run in the
 * order that gives the truest reason: the structure, then the signature (before the manifest is
 * parsed, so a forged manifest is reported as a bad signature), then the manifest, then each
 * file's size and digest. Like the kernel's {@code initramfs} unpacking, the image is read whole:
 * the module loader defines classes from the verified bytes and never reads the file again.
 */
public final class InitramfsImage {
    /** The first eight bytes of every image. */
    public static final String MAGIC = "PKVMIRFS";
    /** The format version this kernel reads and writes. */
    public static final int VERSION = 1;
    /** The header's length. */
    public static final int HEADER_SIZE = 32;
    /** Signature algorithm 0: no signature. */
    public static final int ALG_NONE = 0;
    /** Signature algorithm 1: Ed25519 (RFC 8032). */
    public static final int ALG_ED25519 = 1;
    /** The length of an Ed25519 signature. */
    public static final int ED25519_SIGNATURE_SIZE = 64;
    /** The largest image read: every file at its bound would be far beyond any device's initramfs. */
    public static final long MAX_IMAGE_BYTES = 1L << 30;

    private final byte[] bytes;
    private final int algorithm;
    private final ImageManifest manifest;
    private final Map<String, byte[]> files;
    private final String sha256;

    private InitramfsImage(byte[] bytes, int algorithm, ImageManifest manifest, Map<String, byte[]> files) {
        this.bytes = bytes;
        this.algorithm = algorithm;
        this.manifest = manifest;
        this.files = Collections.unmodifiableMap(files);
        this.sha256 = ImageManifest.sha256(bytes);
    }

    /**
     * Packs module files into an image, signed with {@code key} if present.
     *
     * @param files file name ({@code <module>.jar}) to bytes
     * @throws InvalidImageException if a name is not a module file name
     */
    public static byte[] pack(Map<String, byte[]> files, Optional<KeyPair> key) {
        List<String> names = new ArrayList<>(files.keySet());
        Collections.sort(names);
        List<ImageManifest.Entry> entries = new ArrayList<>();
        for (String name : names) {
            byte[] b = files.get(name);
            entries.add(new ImageManifest.Entry(name, b.length, ImageManifest.sha256(b)));
        }
        ImageManifest manifest = new ImageManifest(key.map(k -> ImageKeys.fingerprint(k.getPublic())), entries);
        byte[] text = manifest.bytes();
        int sigSize = key.isPresent() ? ED25519_SIGNATURE_SIZE : 0;
        long total = HEADER_SIZE + text.length + manifest.payloadSize() + sigSize;
        if (total > MAX_IMAGE_BYTES) {
            throw new InvalidImageException("the image would be " + total + " bytes; at most " + MAX_IMAGE_BYTES);
        }
        ByteBuffer out = ByteBuffer.allocate((int) total);
        out.put(MAGIC.getBytes(StandardCharsets.US_ASCII)).putShort((short) VERSION)
                .putShort((short) (key.isPresent() ? ALG_ED25519 : ALG_NONE)).putInt(text.length)
                .putLong(manifest.payloadSize()).putInt(sigSize).putInt(0).put(text);
        for (String name : names) {
            out.put(files.get(name));
        }
        if (key.isPresent()) {
            out.put(sign(key.get(), Arrays.copyOf(out.array(), HEADER_SIZE + text.length)));
        }
        return out.array();
    }

    /**
     * Reads an image file; with {@code trusted}, it must be signed by that key.
     *
     * @throws InvalidImageException if it cannot be read or is refused, with the reason
     */
    public static InitramfsImage read(Path file, Optional<PublicKey> trusted) {
        try {
            if (Files.size(file) > MAX_IMAGE_BYTES) {
                throw new InvalidImageException("larger than " + MAX_IMAGE_BYTES + " bytes");
            }
            return parse(Files.readAllBytes(file), trusted);
        } catch (IOException e) {
            throw new InvalidImageException("cannot read " + file + ": " + e.getMessage());
        }
    }

    /**
     * Checks and opens an image; with {@code trusted}, it must be signed by that key. Without one,
     * a signature is not checked (nothing to check it against), but the structure and every
     * file's digest are.
     *
     * @throws InvalidImageException with the reason it is refused
     */
    public static InitramfsImage parse(byte[] bytes, Optional<PublicKey> trusted) {
        if (bytes.length < HEADER_SIZE) {
            throw new InvalidImageException("truncated: " + bytes.length + " bytes, shorter than the " + HEADER_SIZE
                    + "-byte header");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        byte[] magic = new byte[8];
        in.get(magic);
        if (!Arrays.equals(magic, MAGIC.getBytes(StandardCharsets.US_ASCII))) {
            throw new InvalidImageException("not a pkvm4j initramfs image: it does not start with " + MAGIC);
        }
        int version = Short.toUnsignedInt(in.getShort());
        int algorithm = Short.toUnsignedInt(in.getShort());
        long manifestSize = Integer.toUnsignedLong(in.getInt());
        long payloadSize = in.getLong();
        long sigSize = Integer.toUnsignedLong(in.getInt());
        int reserved = in.getInt();
        if (version != VERSION) {
            throw new InvalidImageException("header: format version " + version + " is not supported (this kernel reads "
                    + VERSION + ")");
        }
        if (algorithm == ALG_NONE ? sigSize != 0 : algorithm != ALG_ED25519 || sigSize != ED25519_SIGNATURE_SIZE) {
            throw new InvalidImageException("header: signature algorithm " + algorithm + " with a " + sigSize
                    + "-byte signature is not a known scheme (0 unsigned, 1 Ed25519 with 64 bytes)");
        }
        if (reserved != 0 || payloadSize < 0 || manifestSize > MAX_IMAGE_BYTES || payloadSize > MAX_IMAGE_BYTES) {
            throw new InvalidImageException("header: malformed (reserved field or lengths out of range)");
        }
        long expected = HEADER_SIZE + manifestSize + payloadSize + sigSize;
        if (bytes.length < expected) {
            throw new InvalidImageException("truncated: the header announces " + expected + " bytes, the image has "
                    + bytes.length);
        }
        if (bytes.length > expected) {
            throw new InvalidImageException((bytes.length - expected) + " unexpected bytes after the "
                    + (sigSize > 0 ? "signature" : "payload"));
        }
        int signedEnd = (int) (HEADER_SIZE + manifestSize);
        if (trusted.isPresent()) {
            checkSignature(bytes, algorithm, signedEnd, trusted.get());
        }
        ImageManifest manifest = ImageManifest.parse(Arrays.copyOfRange(bytes, HEADER_SIZE, signedEnd));
        if ((algorithm == ALG_ED25519) != manifest.signer().isPresent()) {
            throw new InvalidImageException("manifest: names a signer " + (manifest.signer().isPresent() ? "but" : "and")
                    + " the header says " + (algorithm == ALG_ED25519 ? "signed" : "unsigned"));
        }
        if (manifest.payloadSize() != payloadSize) {
            throw new InvalidImageException("the manifest's files add up to " + manifest.payloadSize()
                    + " bytes, the header announces a payload of " + payloadSize);
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        int at = signedEnd;
        for (ImageManifest.Entry e : manifest.files()) {
            byte[] file = Arrays.copyOfRange(bytes, at, at + (int) e.size());
            at += (int) e.size();
            if (!ImageManifest.sha256(file).equals(e.sha256())) {
                throw new InvalidImageException(e.name() + ": its bytes differ from the manifest (SHA-256 mismatch)");
            }
            files.put(e.name(), file);
        }
        return new InitramfsImage(bytes, algorithm, manifest, files);
    }

    /** Whether the image carries a signature (checked only when opened with a trusted key). */
    public boolean isSigned() {
        return algorithm == ALG_ED25519;
    }

    /** The manifest. */
    public ImageManifest manifest() {
        return manifest;
    }

    /** File name to bytes, in manifest order: the payload, checked against the manifest. */
    public Map<String, byte[]> files() {
        return files;
    }

    /** The SHA-256 of the whole image, hex: its measurement. */
    public String sha256() {
        return sha256;
    }

    /** The image's length. */
    public int size() {
        return bytes.length;
    }

    private static void checkSignature(byte[] bytes, int algorithm, int signedEnd, PublicKey trusted) {
        String key = ImageKeys.fingerprint(trusted);
        if (algorithm == ALG_NONE) {
            throw new InvalidImageException("the image is unsigned; the trusted key " + ImageKeys.shortFingerprint(key)
                    + " requires a signed image");
        }
        try {
            Signature verifier = Signature.getInstance(ImageKeys.ALGORITHM);
            verifier.initVerify(trusted);
            verifier.update(bytes, 0, signedEnd);
            if (verifier.verify(bytes, bytes.length - ED25519_SIGNATURE_SIZE, ED25519_SIGNATURE_SIZE)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            // a malformed signature value is a signature that does not verify
        }
        // The manifest's signer line is not authentic here, but it tells a wrong key from a modified image.
        Optional<String> signer = Optional.empty();
        try {
            signer = ImageManifest.parse(Arrays.copyOfRange(bytes, HEADER_SIZE, signedEnd)).signer();
        } catch (InvalidImageException e) {
            // a damaged manifest: the signature already says enough
        }
        if (signer.isPresent() && !signer.get().equals(key)) {
            throw new InvalidImageException("bad signature: the image names signer " + ImageKeys.shortFingerprint(signer.get())
                    + ", not the trusted key " + ImageKeys.shortFingerprint(key) + " (wrong key)");
        }
        throw new InvalidImageException("bad signature: the header and manifest do not verify with the trusted key "
                + ImageKeys.shortFingerprint(key) + " (the image was modified)");
    }

    private static byte[] sign(KeyPair key, byte[] message) {
        try {
            Signature signer = Signature.getInstance(ImageKeys.ALGORITHM);
            signer.initSign(key.getPrivate());
            signer.update(message);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }
}
