package org.pkvm4j.host.attest;

/**
 * One entry of the measurement log.
 *
 * @param index its place in the log, from 0 (the initramfs)
 * @param kind what was measured: {@link #INITRAMFS_IMAGE}, {@link #INITRAMFS_DIRECTORY}, {@link #MODULE}
 *     or {@link #TAINT}
 * @param name the initramfs path, the module name, or the switch that tainted the device
 * @param file the file measured: the initramfs path, or the module's file name; for a taint, its code
 * @param sha256 the SHA-256 of the bytes (for a taint, of the switch as written), hex
 * @param afterFreeze whether it was measured after the freeze (deprivilege): such code never ran
 *     with the host's privileges
 */
public record Measurement(int index, String kind, String name, String file, String sha256, boolean afterFreeze) {
    /** An initramfs image: the digest of the whole file. */
    public static final String INITRAMFS_IMAGE = "initramfs-image";
    /** An initramfs directory: the digest of its manifest (every module file's name, size and SHA-256). */
    public static final String INITRAMFS_DIRECTORY = "initramfs-directory";
    /** A module file, as the loader read it. */
    public static final String MODULE = "module";
    /** A test-only switch that turned checks off: the device is tainted ({@code PKVM-BOOT-TAINTED}). */
    public static final String TAINT = "taint";
}
