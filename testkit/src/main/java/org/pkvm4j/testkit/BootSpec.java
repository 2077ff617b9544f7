package org.pkvm4j.testkit;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

/** Turns a {@link PkvmBoot} into a {@link PkvmDevice.Builder}: placeholders expanded, paths resolved. */
final class BootSpec {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]+)}");

    private BootSpec() {
    }

    static PkvmDevice.Builder builder(PkvmBoot boot) {
        PkvmDevice.Builder b = PkvmDevice.builder()
                .cmdline(expand(boot.cmdline()))
                .nrCpus(boot.nrCpus())
                .mem(expand(boot.mem()));
        for (String module : boot.modules()) {
            b.module(Path.of(expand(module)));
        }
        if (!boot.initramfs().isBlank()) {
            b.initramfs(Path.of(expand(boot.initramfs())));
        }
        if (!boot.hypervisor().isBlank()) {
            b.hypervisor(Path.of(expand(boot.hypervisor())));
        }
        return b;
    }

    /** Replaces each {@code ${name}} by the system property {@code name}. */
    static String expand(String value) {
        Matcher m = PLACEHOLDER.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String v = System.getProperty(name);
            if (v == null) {
                throw new ExtensionConfigurationException("@PkvmBoot: \"" + value + "\" needs the system property "
                        + name + ", which is not set; pass it to the test JVM (failsafe: <systemPropertyVariables><"
                        + name + ">...</" + name + "></systemPropertyVariables>, or -D" + name + "=...)");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString();
    }
}
