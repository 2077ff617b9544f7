package org.pkvm4j.cli.shell;

import java.util.List;
import org.pkvm4j.host.HostKernel;

/**
 * {@code ioctl DEV CMD [ARG]}: {@code ioctl(open("/dev/DEV"), CMD, ARG)}; prints the result.
 *
 * @param device the device name, without {@code /dev/}
 * @param cmd the command
 * @param arg the argument
 */
public record Ioctl(String device, int cmd, long arg) implements ShellCommand {
    static Ioctl parse(List<String> args) {
        if (args.size() < 2 || args.size() > 3) {
            throw new SyntaxError("ioctl: expected DEV CMD [ARG], got " + args.size() + " argument(s)");
        }
        String dev = args.get(0).startsWith("/dev/") ? args.get(0).substring("/dev/".length()) : args.get(0);
        return new Ioctl(dev, Numbers.parseInt("ioctl CMD", args.get(1)),
                args.size() == 3 ? Numbers.parse("ioctl ARG", args.get(2)) : 0);
    }

    @Override
    public Outcome run(HostKernel kernel, Outcome last) {
        return Outcome.ok(Long.toString(kernel.ioctl(device, cmd, arg)));
    }
}
