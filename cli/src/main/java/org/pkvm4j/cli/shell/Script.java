package org.pkvm4j.cli.shell;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.pkvm4j.host.diag.Printable;

/**
 * A workload script, parsed whole: one command per line; blank lines and lines starting with
 * {@code #} are skipped.
 *
 * @param source where it came from, as error messages name it ({@code <stdin>} for {@code -})
 * @param lines its commands, in order
 */
public record Script(String source, List<Line> lines) {
    /** The name of standard input in messages. */
    public static final String STDIN = "<stdin>";

    /**
     * One command of the script.
     *
     * @param number its line number, 1-based
     * @param text the line as written, stripped
     * @param command the parsed command
     */
    public record Line(int number, String text, ShellCommand command) {
    }

    /** Copies the list. */
    public Script {
        lines = List.copyOf(lines);
    }

    /**
     * Reads and parses {@code arg}: a file, or {@code -} for {@code stdin}.
     *
     * @throws ScriptException if it cannot be read, or for the first line that does not parse
     */
    public static Script read(String arg, InputStream stdin) {
        String source = arg.equals("-") ? STDIN : arg;
        String text;
        try {
            text = arg.equals("-") ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(Path.of(arg));
        } catch (IOException | java.io.UncheckedIOException | java.nio.file.InvalidPathException e) {
            throw new ScriptException(source, "cannot read the script: " + why(e), e);
        }
        return parse(source, text);
    }

    private static String why(Exception e) {
        return switch (e) {
            case java.nio.file.NoSuchFileException n -> "no such file";
            case java.nio.file.AccessDeniedException a -> "permission denied";
            case java.nio.file.InvalidPathException i -> "not a valid path: " + i.getReason();
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        };
    }

    /**
     * Parses {@code text}.
     *
     * @throws ScriptException for the first line that does not parse, naming {@code source} and
     *     the line
     */
    public static Script parse(String source, String text) {
        int control = Printable.firstControl(text);
        if (control >= 0) {
            // Errors quote the line; a control character in it would forge the terminal's output.
            throw new ScriptException(source, Printable.lineOf(text, control), Printable.describeControl(text, control)
                    + "; a script is printable text");
        }
        List<Line> lines = new ArrayList<>();
        List<String> raw = text.lines().toList();
        for (int i = 0; i < raw.size(); i++) {
            String line = raw.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                ShellCommand command = Commands.parse(line);
                if (command instanceof Expect && (lines.isEmpty() || lines.getLast().command() instanceof Expect)) {
                    throw new SyntaxError("expect has no command before it to check");
                }
                lines.add(new Line(i + 1, line, command));
            } catch (SyntaxError e) {
                throw new ScriptException(source, i + 1, e.getMessage());
            }
        }
        return new Script(source, lines);
    }
}
