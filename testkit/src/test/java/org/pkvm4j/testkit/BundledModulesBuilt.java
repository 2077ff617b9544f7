package org.pkvm4j.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Builds the bundled modules from source into {@code ${pkvm4j.testkit.modules}} once per test JVM,
 * before any {@code @PkvmBoot} of the class boots: the kit's tests load them from their files, as a
 * module author's tests load the file their build produced.
 */
final class BundledModulesBuilt implements BeforeAllCallback {
    /** The system property naming the folder of the built module files. */
    static final String MODULES = "pkvm4j.testkit.modules";

    BundledModulesBuilt() {
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        // The root store lives for the whole run: the modules are built once, whatever class runs first.
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).getOrComputeIfAbsent(BundledModulesBuilt.class, k -> {
            Path out = Path.of(System.getProperty(MODULES));
            for (String folder : SourceModules.BUNDLED) {
                Path file = SourceModules.buildBundled(folder, out);
                if (!Files.isRegularFile(file)) {
                    throw new IllegalStateException("no module file " + file);
                }
            }
            return out;
        });
    }
}
