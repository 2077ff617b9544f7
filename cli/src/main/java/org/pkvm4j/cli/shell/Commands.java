package org.pkvm4j.cli.shell;

import java.util.List;

/** The shell's command table: parses one command line into a {@link ShellCommand}. */
public final class Commands {
    /** The commands, as the shell spells them. */
    public static final List<String> NAMES =
            List.of("lsmod", "dmesg", "modprobe", "rmmod", "modinfo", "hvc", "ioctl", "echo", "expect");

    private Commands() {
    }

    /**
     * Parses {@code line}, one command with its arguments ({@code echo} and {@code expect} take the
     * rest of the line as it is).
     *
     * @throws SyntaxError if the line does not parse
     */
    public static ShellCommand parse(String line) {
        String trimmed = line.strip();
        int space = indexOfSpace(trimmed);
        String name = space < 0 ? trimmed : trimmed.substring(0, space);
        String rest = space < 0 ? "" : trimmed.substring(space).strip();
        return switch (name) {
            case "echo" -> new Echo(rest);
            case "expect" -> Expect.parse(rest);
            default -> {
                List<String> args = Words.split(rest);
                yield switch (name) {
                    case "lsmod" -> Lsmod.parse(args);
                    case "dmesg" -> Dmesg.parse(args);
                    case "modprobe" -> Modprobe.parse(args);
                    case "rmmod" -> Rmmod.parse(args);
                    case "modinfo" -> Modinfo.parse(args);
                    case "hvc" -> Hvc.parse(args);
                    case "ioctl" -> Ioctl.parse(args);
                    default -> throw new SyntaxError("unknown command '" + name + "' (commands: "
                            + String.join(", ", NAMES) + ")");
                };
            }
        };
    }

    static void noArguments(String command, List<String> args) {
        if (!args.isEmpty()) {
            throw new SyntaxError(command + ": takes no argument, got '" + String.join(" ", args) + "'");
        }
    }

    static String oneArgument(String command, String label, List<String> args) {
        if (args.size() != 1) {
            throw new SyntaxError(command + ": expected " + label + ", got " + args.size() + " argument(s)");
        }
        return args.getFirst();
    }

    private static int indexOfSpace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }
}
