package org.pkvm4j.host.cmdline;

/**
 * A boot configuration the kernel cannot start with: a malformed parameter, a missing initramfs,
 * a missing hypervisor image. The message says what to change; there is no errno.
 */
public class BootConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A configuration error with an actionable message. */
    public BootConfigException(String message) {
        super(message);
    }

    /** A configuration error caused by {@code cause}. */
    public BootConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
