package org.pkvm4j.host.cmdline;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;

/**
 * The ordered list of {@code kvm-arm.protected_modules=}.
 *
 * <p>Kernel counterpart: the early_param buffer {@code pkvm_load_early_modules} splits on commas.
 * Module names compare as modprobe compares them: {@code -} and {@code _} are the same character,
 * so names are kept with underscores. Unlike the kernel, which silently skips empty entries, a
 * list with an empty entry or a repeated name is refused: such a command line is almost always a
 * typo, and a module that is not loaded leaves the system insecure.
 *
 * @param names the module names, in load order, with underscores
 */
public record ProtectedModules(List<String> names) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");

    /** Copies the list. */
    public ProtectedModules {
        names = List.copyOf(names);
    }

    /** No modules. */
    public static ProtectedModules none() {
        return new ProtectedModules(List.of());
    }

    /**
     * Parses a {@code kvm-arm.protected_modules=} value.
     *
     * @throws BootConfigException for an empty entry, a character modprobe would not accept in a
     *     module name, or a name listed twice
     */
    public static ProtectedModules parse(String value) {
        if (value.isEmpty()) {
            return none();
        }
        List<String> names = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        String[] entries = value.split(",", -1);
        for (int i = 0; i < entries.length; i++) {
            String entry = entries[i];
            if (entry.isEmpty()) {
                throw new BootConfigException(ErrorCode.BOOT_CMDLINE, BootParam.PROTECTED_MODULES + "=" + value
                        + ": entry " + (i + 1) + " is empty; separate module names with single commas");
            }
            if (!NAME.matcher(entry).matches()) {
                throw new BootConfigException(ErrorCode.BOOT_CMDLINE, BootParam.PROTECTED_MODULES + "=" + value + ": '" + entry
                        + "' is not a module name (letters, digits, '_' and '-' only)");
            }
            String name = normalize(entry);
            Integer first = seen.putIfAbsent(name, i + 1);
            if (first != null) {
                throw new BootConfigException(ErrorCode.BOOT_CMDLINE, BootParam.PROTECTED_MODULES + "=" + value + ": module '" + name
                        + "' is listed twice (entries " + first + " and " + (i + 1) + ")");
            }
            names.add(name);
        }
        return new ProtectedModules(names);
    }

    /** A module name as modprobe compares it: {@code -} becomes {@code _}. */
    public static String normalize(String moduleName) {
        return moduleName.replace('-', '_');
    }

    /** Whether no module is listed. */
    public boolean isEmpty() {
        return names.isEmpty();
    }

    /** The list as it would be written on a command line. */
    @Override
    public String toString() {
        return String.join(",", names);
    }
}
