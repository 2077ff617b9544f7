package org.pkvm4j.host.initramfs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.EncodedKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.diag.Printable;

/**
 * The Ed25519 keys that sign initramfs images, as PEM files: the private key as PKCS#8 ({@code
 * BEGIN PRIVATE KEY}), the public key as X.509 SubjectPublicKeyInfo ({@code BEGIN PUBLIC KEY}), the
 * encodings {@code openssl genpkey -algorithm ed25519} reads and writes.
 *
 * <p>A key file that cannot be used (missing, not PEM, another algorithm, a private key where a
 * public one is due) is a {@link BootConfigException} whose message names the file and the fix.
 */
public final class ImageKeys {
    /** The signature algorithm of initramfs images, as {@code java.security} names it. */
    public static final String ALGORITHM = "Ed25519";
    private static final String PRIVATE = "PRIVATE KEY";
    private static final String PUBLIC = "PUBLIC KEY";
    /** Algorithms tried only to name a key that is not Ed25519. */
    private static final List<String> OTHER_ALGORITHMS = List.of("RSA", "EC", "Ed448", "X25519", "X448", "DSA");

    private ImageKeys() {
    }

    /** A fresh key pair. */
    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK 15+ has Ed25519", e);
        }
    }

    /**
     * Writes {@code key} (PKCS#8, owner-only where the file system has POSIX permissions) and
     * {@code key.pub} (SubjectPublicKeyInfo); neither may exist.
     *
     * @throws BootConfigException if a file exists or cannot be written
     */
    public static void write(KeyPair pair, Path key) {
        Path pub = publicKeyFile(key);
        for (Path p : List.of(key, pub)) {
            if (Files.exists(p)) {
                throw new BootConfigException(p + " exists; remove it or choose another name (keys are never overwritten)");
            }
        }
        try {
            if (key.toAbsolutePath().getParent() != null) {
                Files.createDirectories(key.toAbsolutePath().getParent());
            }
            Files.writeString(key, pem(PRIVATE, pair.getPrivate().getEncoded()), StandardOpenOption.CREATE_NEW);
            if (Files.getFileStore(key).supportsFileAttributeView("posix")) {
                Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
            }
            Files.writeString(pub, pem(PUBLIC, pair.getPublic().getEncoded()), StandardOpenOption.CREATE_NEW);
        } catch (FileAlreadyExistsException e) {
            throw new BootConfigException(e.getFile() + " exists; remove it or choose another name");
        } catch (IOException e) {
            throw new BootConfigException("cannot write key " + key + ": " + e.getMessage(), e);
        }
    }

    /** Where the public key of private key file {@code key} goes: {@code key.pub}. */
    public static Path publicKeyFile(Path key) {
        return key.resolveSibling(key.getFileName() + ".pub");
    }

    /**
     * Reads an Ed25519 private key (PKCS#8 PEM) and derives its public key.
     *
     * @throws BootConfigException if the file is missing, not PEM, a public key, or not Ed25519
     */
    public static KeyPair readPrivate(Path file) {
        byte[] der = readPem(file, PRIVATE, "pack signs with the private key (the file without .pub)");
        PrivateKey key;
        try {
            key = KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw notEd25519(file, new PKCS8EncodedKeySpec(der), true);
        }
        return new KeyPair(derivePublic(file, (EdECPrivateKey) key), key);
    }

    /**
     * Reads an Ed25519 public key (SubjectPublicKeyInfo PEM).
     *
     * @throws BootConfigException if the file is missing, not PEM, a private key, or not Ed25519
     */
    public static PublicKey readPublic(Path file) {
        byte[] der = readPem(file, PUBLIC, "pass the public key (KEY.pub), never the private key");
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw notEd25519(file, new X509EncodedKeySpec(der), false);
        }
    }

    /** The fingerprint of a public key: {@code sha256:} and the hex SHA-256 of its SubjectPublicKeyInfo. */
    public static String fingerprint(PublicKey key) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** A fingerprint cut to 16 hex digits, for one-line reports. */
    public static String shortFingerprint(String fingerprint) {
        return fingerprint.length() > 23 ? fingerprint.substring(0, 23) : fingerprint;
    }

    private static byte[] readPem(Path file, String type, String hint) {
        if (!Files.isRegularFile(file)) {
            throw new BootConfigException("key file " + file + " does not exist; make keys with ./pkvm initramfs keygen -o KEY");
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new BootConfigException("cannot read key " + file + ": " + e.getMessage(), e);
        }
        String other = type.equals(PRIVATE) ? PUBLIC : PRIVATE;
        if (text.contains("-----BEGIN " + other + "-----")) {
            throw new BootConfigException(file + " holds a " + other.toLowerCase() + "; " + hint);
        }
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int from = text.indexOf(begin);
        if (from < 0) {
            String found = text.lines().filter(l -> l.startsWith("-----BEGIN ")).findFirst()
                    .map(l -> "it holds a " + quoted(l.replace("-----", "").replace("BEGIN ", "").trim().toLowerCase()))
                    .orElse("it is not a PEM file");
            throw new BootConfigException(file + " is not an Ed25519 " + type.toLowerCase() + " in PEM (" + begin
                    + "): " + found + "; make keys with ./pkvm initramfs keygen");
        }
        // The end line is looked for after the begin line only: one before it, or one sharing its
        // dashes ("-----BEGIN X-----END X-----"), would make the body end before it starts.
        int to = text.indexOf(end, from + begin.length());
        if (to < 0) {
            throw new BootConfigException(file + " is not an Ed25519 " + type.toLowerCase() + " in PEM: no " + end
                    + " after its " + begin + "; make keys with ./pkvm initramfs keygen");
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new BootConfigException(file + ": the PEM body is not base64: " + e.getMessage(), e);
        }
    }

    /**
     * A label from the file as a message may quote it: the file is read as ISO-8859-1, whose C1
     * range (U+0080..U+009F) holds control characters, and its lines have no length limit.
     */
    private static String quoted(String label) {
        String printable = Printable.of(label);
        return printable.length() > 80 ? printable.substring(0, 80) + "..." : printable;
    }

    private static BootConfigException notEd25519(Path file, EncodedKeySpec spec, boolean isPrivate) {
        for (String algorithm : OTHER_ALGORITHMS) {
            try {
                KeyFactory f = KeyFactory.getInstance(algorithm);
                if (isPrivate) {
                    f.generatePrivate(new PKCS8EncodedKeySpec(spec.getEncoded()));
                } else {
                    f.generatePublic(new X509EncodedKeySpec(spec.getEncoded()));
                }
                return new BootConfigException(file + " is an " + algorithm + " key; initramfs images are signed with "
                        + ALGORITHM + " (make one with ./pkvm initramfs keygen)");
            } catch (GeneralSecurityException e) {
                // not this one either
            }
        }
        return new BootConfigException(file + " is not a valid " + ALGORITHM + " key (a damaged or unknown encoding)");
    }

    /**
     * The public key of an Ed25519 private key. The JDK has no call for it, but its key pair
     * generator derives the pair from 32 random bytes, the private key itself (RFC 8032 §5.1.5):
     * replaying those bytes regenerates the same pair. The result is checked by a signature.
     */
    private static PublicKey derivePublic(Path file, EdECPrivateKey key) {
        byte[] seed = key.getBytes().orElseThrow(() -> new BootConfigException(file + ": the private key hides its bytes"));
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(ALGORITHM);
            generator.initialize(NamedParameterSpec.ED25519, new Replay(seed));
            KeyPair pair = generator.generateKeyPair();
            byte[] probe = "pkvm4j key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(ALGORITHM);
            signer.initSign(key);
            signer.update(probe);
            byte[] sig = signer.sign();
            Signature verifier = Signature.getInstance(ALGORITHM);
            verifier.initVerify(pair.getPublic());
            verifier.update(probe);
            if (!verifier.verify(sig)) {
                throw new BootConfigException(file + ": cannot derive the public key of this private key");
            }
            return pair.getPublic();
        } catch (GeneralSecurityException | IllegalStateException e) {
            throw new BootConfigException(file + ": cannot derive the public key: " + e.getMessage(), e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** A "random" source that hands out the given bytes: the private key, for {@link #derivePublic}. */
    private static final class Replay extends SecureRandom {
        private static final long serialVersionUID = 1L;
        private final transient byte[] seed;

        Replay(byte[] seed) {
            this.seed = seed.clone();
        }

        @Override
        public void nextBytes(byte[] bytes) {
            if (bytes.length != seed.length) {
                throw new IllegalStateException("the Ed25519 generator asked for " + bytes.length + " bytes, not 32");
            }
            System.arraycopy(seed, 0, bytes, 0, bytes.length);
        }
    }
}
