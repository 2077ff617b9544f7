package org.pkvm4j.host.initramfs;

/**
 * The signature a module inherits from the signed initramfs image it was loaded from: "pKVM vendor
 * modules stored in the initramfs inherit the signature and protection of initramfs". A module
 * file carries no signature of its own.
 *
 * @param image the image file the module was read from
 * @param algorithm the signature algorithm, {@code ed25519}
 * @param keyFingerprint the fingerprint of the trusted key that verified the image
 */
public record ModuleSignature(String image, String algorithm, String keyFingerprint) {
    /** One line for {@code lsmod}, {@code modinfo} and the boot report. */
    public String describe() {
        return "initramfs (" + algorithm + ", key fingerprint " + ImageKeys.shortFingerprint(keyFingerprint) + ")";
    }
}
