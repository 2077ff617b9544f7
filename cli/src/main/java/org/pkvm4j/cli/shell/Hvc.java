package org.pkvm4j.cli.shell;

import java.util.List;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * {@code hvc MODULE HVC [A1 [A2 [A3]]]}: calls one of a module's EL2 handlers through that module's
 * own {@link Pkvm} handle, as its EL1 code would, and prints x0..x3 as they came back.
 *
 * <p>{@code HVC} is an index into the module's handlers in registration order (0, 1, ...), a
 * dynamic hypercall id (128..255) or an SMCCC function id (0xC6000080..0xC60000FF). The command
 * fails when x0 is not {@code SMCCC_RET_SUCCESS}.
 *
 * @param module the module whose handler is called
 * @param selector the handler, as typed (see above)
 * @param args x1..x3; missing ones are 0
 */
public record Hvc(String module, long selector, long[] args) implements ShellCommand {
    static Hvc parse(List<String> words) {
        if (words.size() < 2 || words.size() > 5) {
            throw new SyntaxError("hvc: expected MODULE HVC [A1 [A2 [A3]]], got " + words.size() + " argument(s)");
        }
        long selector = Numbers.parse("hvc HVC", words.get(1));
        if (selector < 0 || selector >= Smccc.DYNAMIC_HCALLS_BASE + Smccc.MAX_DYNAMIC_HCALLS
                && !isFunctionId(selector)) {
            throw new SyntaxError("hvc: HVC " + words.get(1) + " is neither an index, a dynamic id (128..255) nor an"
                    + " SMCCC function id (0xC6000080..0xC60000FF)");
        }
        long[] args = new long[3];
        for (int i = 2; i < words.size(); i++) {
            args[i - 2] = Numbers.parse("hvc A" + (i - 1), words.get(i));
        }
        return new Hvc(words.getFirst(), selector, args);
    }

    private static boolean isFunctionId(long v) {
        long base = Smccc.kvmHostSmcccId(Smccc.DYNAMIC_HCALLS_BASE);
        return v >= base && v < base + Smccc.MAX_DYNAMIC_HCALLS;
    }

    /** A call with the given x1..x3. */
    public Hvc {
        args = args.clone();
    }

    @Override
    public Outcome run(HostKernel kernel, Outcome last) {
        LoadedModule m = kernel.lsmod().stream().filter(l -> l.name().equals(module.replace('-', '_'))).findFirst()
                .orElseThrow(() -> new PkvmException(Errno.ENOENT, "module " + module + " is not loaded"));
        Pkvm pkvm = kernel.pkvm(m.name()).orElseThrow();
        SmcccRes res = pkvm.el2ModCallSmccc(resolve(m), args[0], args[1], args[2]);
        long[] x = {res.a0(), res.a1(), res.a2(), res.a3()};
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            out.append(i == 0 ? "" : "\n").append("x%d = 0x%016x  %s".formatted(i, x[i], i == 0 ? Smccc.statusName(x[0])
                    : x[i] + errnoHint(x[i])));
            if (i == 0 && x[0] != Smccc.RET_SUCCESS) {
                out.append(" [").append(refusalCode(x[0]).code()).append(']');
            }
        }
        return res.a0() == Smccc.RET_SUCCESS ? Outcome.ok(out.toString()) : Outcome.failed(out.toString());
    }

    private HvcNumber resolve(LoadedModule m) {
        if (selector < Smccc.DYNAMIC_HCALLS_BASE) {
            if (selector >= m.hvcs().size()) {
                throw new PkvmException(Errno.EINVAL, m.name() + " registered " + m.hvcs().size()
                        + " handler(s); index " + selector + " is not one of them");
            }
            return m.hvcs().get((int) selector);
        }
        int id = isFunctionId(selector) ? (int) (selector - Smccc.kvmHostSmcccId(0)) : (int) selector;
        return new HvcNumber(id);
    }

    /** The code of a refused call, read from x0 as {@link ErrorCode#of(Throwable)} reads an SMCCC status. */
    private static ErrorCode refusalCode(long x0) {
        return x0 == Smccc.RET_NOT_SUPPORTED ? ErrorCode.HVC_NOT_SUPPORTED
                : x0 == Smccc.RET_INVALID_PARAMETER ? ErrorCode.HVC_INVALID_PARAMETER : ErrorCode.ERRNO;
    }

    private static String errnoHint(long value) {
        Errno e = Errno.fromNegated(value);
        return e == null ? "" : " (-" + e.name() + "?)";
    }
}
