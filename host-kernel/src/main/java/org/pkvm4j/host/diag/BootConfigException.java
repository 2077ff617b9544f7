package org.pkvm4j.host.diag;

import org.pkvm4j.host.diag.ErrorCode;

/**
 * A boot configuration the kernel cannot start with: a malformed parameter, a missing initramfs,
 * a missing hypervisor image. The message says what to change; there is no errno.
 */
public class BootConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    /** A configuration error with an actionable message. */
    public BootConfigException(String message) {
        this(ErrorCode.BOOT_CONFIG, message, null);
    }

    /** A configuration error caused by {@code cause}. */
    public BootConfigException(String message, Throwable cause) {
        this(ErrorCode.BOOT_CONFIG, message, cause);
    }

    /** A configuration error with its stable code. */
    public BootConfigException(ErrorCode code, String message) {
        this(code, message, null);
    }

    /** A configuration error with its stable code, caused by {@code cause} (may be null). */
    public BootConfigException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = java.util.Objects.requireNonNull(code, "code");
    }

    /** Its stable code ({@link ErrorCode#BOOT_CONFIG} unless a more precise one was given). */
    public ErrorCode code() {
        return code;
    }
}
