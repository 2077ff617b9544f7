package org.pkvm4j.host.verify;

import java.io.IOException;
import java.lang.module.ResolvedModule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What identifies the running JDK's class library, cheaply: the key under which {@link AllowlistModel}
 * is computed at build time and checked at run time (ADR 0018, third session).
 *
 * <p>One line of {@code name=value} fields: {@code Runtime.version()} (the build number included),
 * {@code java.vm.vendor}, the {@code IMPLEMENTOR}, {@code JAVA_RUNTIME_VERSION} and {@code SOURCE}
 * lines of the JDK's {@code release} file ({@code SOURCE} names the commit of the source tree the
 * class library was built from), and the size in bytes of its run-time image {@code lib/modules}
 * (which a {@code jlink}ed or rebuilt image changes). A JVM that runs other classes as the JDK's
 * without changing the image has no identity: a JDK module patched with {@code --patch-module},
 * or upgradeable modules replaced by {@code --upgrade-module-path}. ({@code -Xbootclasspath/a}
 * cannot define classes in the JDK's packages.) Without an identity no model is used.
 */
final class JdkIdentity {
    private JdkIdentity() {
    }

    /** The running JDK's identity, or null if it has none (see the class comment). */
    static String running() {
        if (System.getProperty("jdk.module.upgrade.path") != null || patched()) {
            return null;
        }
        Path home = Path.of(System.getProperty("java.home"));
        String release;
        long modules;
        try {
            release = Files.readString(home.resolve("release"), StandardCharsets.UTF_8);
            modules = Files.size(home.resolve("lib").resolve("modules"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        b.append("version=").append(Runtime.version()).append(";vendor=").append(System.getProperty("java.vm.vendor"));
        for (String field : new String[] {"IMPLEMENTOR", "JAVA_RUNTIME_VERSION", "SOURCE"}) {
            b.append(';').append(field).append('=').append(releaseField(release, field));
        }
        return b.append(";modules=").append(modules).toString();
    }

    /**
     * Whether a JDK module (one of the run-time image, {@code jrt:}) is patched: the JDK's module
     * reference says so in its description ({@code location=jrt:/java.base (patched)}), and nothing
     * public says it otherwise. A patched application module (as Surefire patches the module under
     * test with its tests) changes no JDK class. The model was made from this very JDK only if the
     * identity matched, so the description's format is the one {@code AllowlistModelTest} saw.
     */
    static boolean patched() {
        for (ResolvedModule m : ModuleLayer.boot().configuration().modules()) {
            String description = m.reference().toString();
            if (description.endsWith("(patched)]") && description.contains("location=jrt:/")) {
                return true;
            }
        }
        return false;
    }

    /** The value of {@code NAME="value"} in a {@code release} file, or {@code ""}. */
    static String releaseField(String release, String name) {
        String prefix = name + "=";
        for (String line : release.split("\n")) {
            if (line.startsWith(prefix)) {
                String v = line.substring(prefix.length()).strip();
                return v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v;
            }
        }
        return "";
    }
}
