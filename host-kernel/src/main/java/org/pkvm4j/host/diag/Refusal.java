package org.pkvm4j.host.diag;

import java.util.Objects;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;

/**
 * A {@link PkvmException} the host kernel raises with its {@link ErrorCode}: callers that catch
 * {@code PkvmException} see no difference; tools read the code with {@link ErrorCode#of(Throwable)}.
 */
public final class Refusal extends PkvmException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    /** A refusal with its code, errno and message. */
    public Refusal(ErrorCode code, Errno errno, String message) {
        super(errno, message);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** A refusal caused by {@code cause}. */
    public Refusal(ErrorCode code, Errno errno, String message, Throwable cause) {
        super(errno, message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** Its stable code. */
    public ErrorCode code() {
        return code;
    }
}
