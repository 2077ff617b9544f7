package org.pkvm4j.host.initramfs;

/**
 * An initramfs image that cannot be trusted or read: truncated, malformed, a payload that differs
 * from its manifest, a signature that does not verify, no signature where one is required. The
 * message is the reason, one line, as the boot report and {@code pkvm initramfs verify} print it.
 */
public final class InvalidImageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An image refused for {@code reason}. */
    public InvalidImageException(String reason) {
        super(reason);
    }
}
