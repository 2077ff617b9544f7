package org.pkvm4j.cli.shell;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.log.KernelLog;

/**
 * {@code dmesg [-c] [--grep RE]}: the kernel log since the last clear; {@code -c} clears it after
 * reading ({@code dmesg -c}); {@code --grep} keeps the lines in which {@code RE} is found.
 *
 * @param clear whether to clear after reading
 * @param grep the filter, or null for every line
 */
public record Dmesg(boolean clear, Pattern grep) implements ShellCommand {
    static Dmesg parse(List<String> args) {
        boolean clear = false;
        Pattern grep = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("-c")) {
                clear = true;
            } else if (a.equals("--grep") && i + 1 < args.size()) {
                grep = compile(args.get(++i));
            } else if (a.startsWith("--grep=")) {
                grep = compile(a.substring("--grep=".length()));
            } else {
                throw new SyntaxError("dmesg: unexpected '" + a + "' (usage: dmesg [-c] [--grep RE])");
            }
        }
        return new Dmesg(clear, grep);
    }

    /**
     * Compiles a user's regex.
     *
     * @throws SyntaxError if it is not a valid regex
     */
    public static Pattern compile(String regex) {
        try {
            return Pattern.compile(regex, Pattern.MULTILINE);
        } catch (PatternSyntaxException e) {
            throw new SyntaxError("'" + regex + "' is not a valid regex: " + e.getDescription());
        }
    }

    @Override
    public Outcome run(HostKernel kernel, Outcome last) {
        List<KernelLog.Record> records = clear ? kernel.log().readClear() : kernel.log().sinceClear();
        return Outcome.ok(records.stream().map(KernelLog.Record::format)
                .filter(l -> grep == null || grep.matcher(l).find())
                .collect(Collectors.joining("\n")));
    }
}
