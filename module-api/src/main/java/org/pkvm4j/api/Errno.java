package org.pkvm4j.api;

/**
 * Linux error numbers as they travel in registers between the host and the hypervisor.
 *
 * <p>Each constant carries the kernel's name and its arm64 Linux number ({@code
 * include/uapi/asm-generic/errno-base.h} and {@code errno.h}). On the wire a failure is the
 * negated number ({@link #negated()}), exactly as {@code -EPERM} in C; in Java it is a {@link
 * PkvmException} carrying the constant.
 *
 * <p>Kernel counterpart: the {@code -Exxx} return values of {@code arch/arm64/kvm/hyp/nvhe}.
 *
 * @since 0.1
 */
public enum Errno {
    /** Operation not permitted: a page in the wrong state, a call from the wrong owner. */
    EPERM(1, "Operation not permitted"),
    /** No such file or directory: an unknown symbol, a module missing from the initramfs. */
    ENOENT(2, "No such file or directory"),
    /** Interrupted system call. */
    EINTR(4, "Interrupted system call"),
    /** Input/output error. */
    EIO(5, "Input/output error"),
    /** Argument list too long; pKVM uses it for a granule mismatch on a guest mapping. */
    E2BIG(7, "Argument list too long"),
    /** Exec format error: a module file that is not a module. */
    ENOEXEC(8, "Exec format error"),
    /** Try again. */
    EAGAIN(11, "Resource temporarily unavailable"),
    /** Out of memory: the 129th dynamic hypercall, an exhausted memcache. */
    ENOMEM(12, "Cannot allocate memory"),
    /** Permission denied: an early-module request after pKVM is initialised. */
    EACCES(13, "Permission denied"),
    /** Bad address. */
    EFAULT(14, "Bad address"),
    /** Device or resource busy: a pinned page, a full handler slot table, hibernation under pKVM. */
    EBUSY(16, "Device or resource busy"),
    /** File exists. */
    EEXIST(17, "File exists"),
    /** No such device: the module went away while it was being loaded. */
    ENODEV(19, "No such device"),
    /** Invalid argument: unaligned ranges, a foreign token, a malformed parameter. */
    EINVAL(22, "Invalid argument"),
    /** Result out of range: an EL2 branch farther than 128 MiB. */
    ERANGE(34, "Numerical result out of range"),
    /** Function not implemented: pKVM module calls without {@code CONFIG_MODULES}. */
    ENOSYS(38, "Function not implemented"),
    /** Operation not supported: loading an EL2 module after deprivilege, or with pKVM off. */
    EOPNOTSUPP(95, "Operation not supported"),
    /** Memory page has hardware error: a guest page that the host force-reclaimed. */
    EHWPOISON(133, "Memory page has hardware error");

    private final int code;
    private final String description;

    Errno(int code, String description) {
        this.code = code;
        this.description = description;
    }

    /**
     * The positive Linux number, for example {@code 1} for {@code EPERM}.
     *
     * @return the positive errno value, as in {@code <errno.h>}
     */
    public int code() {
        return code;
    }

    /**
     * The value a register carries for this error: {@code -code()}.
     *
     * @return the negated value a register carries, {@code -code()}
     */
    public long negated() {
        return -code;
    }

    /**
     * The C library's text for this error, for example "Operation not permitted".
     *
     * @return the {@code strerror} text
     */
    public String description() {
        return description;
    }

    /**
     * Finds the constant for a positive Linux number.
     *
     * @param code a positive errno value
     * @return the errno with that value
     * @throws IllegalArgumentException if pkvm4j does not model that number
     */
    public static Errno ofCode(int code) {
        for (Errno e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        throw new IllegalArgumentException("errno " + code + " is not modelled by pkvm4j");
    }

    /**
     * Reads a register that holds a negative errno, as the host does with x1 after a hypercall.
     *
     * @param value a register value holding a negated errno
     * @return the constant, or {@code null} if {@code value} is not a modelled negative errno
     */
    public static Errno fromNegated(long value) {
        if (value >= 0 || value < -4095) {
            return null;
        }
        for (Errno e : values()) {
            if (e.code == -value) {
                return e;
            }
        }
        return null;
    }

    /** The kernel's spelling with its number, for example {@code EPERM (-1)}. */
    @Override
    public String toString() {
        return name() + " (-" + code + ")";
    }
}
