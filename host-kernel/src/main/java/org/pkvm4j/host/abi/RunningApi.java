package org.pkvm4j.host.abi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleReader;
import java.lang.module.ResolvedModule;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * The ABI of the {@code org.pkvm4j.api} this JVM runs: what loaded modules are checked against.
 *
 * <p>Kernel counterpart: the running kernel's own symbol CRCs ({@code __kcrctab}). Read through the
 * module's {@link ModuleReader}, from the same bytes the JVM loaded, once per JVM: the boot layer
 * never changes, so the table is as constant as the kernel's, and a boot no longer pays for it
 * (it was two thirds of what the checks cost per boot, docs/benchmarks.md).
 */
public final class RunningApi {
    private RunningApi() {
    }

    /**
     * Reads the running API.
     *
     * @throws IllegalStateException if {@code org.pkvm4j.api} is not a named module with readable classes
     */
    public static AbiModel read() {
        return Holder.API;
    }

    /** Initialised on first use, by the JVM's class initialisation (thread-safe, once). */
    private static final class Holder {
        static final AbiModel API = readNow();
    }

    private static AbiModel readNow() {
        Module api = Errno.class.getModule();
        if (api.getLayer() == null) {
            throw new IllegalStateException("org.pkvm4j.api is not a named module: run pkvm4j on the module path");
        }
        ResolvedModule resolved = api.getLayer().configuration().findModule(api.getName()).orElseThrow();
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ModuleReader reader = resolved.reference().open()) {
            List<String> names = reader.list().filter(n -> n.endsWith(".class")).sorted().toList();
            for (String name : names) {
                entries.put(name, reader.read(name).map(RunningApi::bytes).orElseThrow());
            }
            return AbiModel.read(JarImage.of(resolved.reference().location().map(Object::toString).orElse(api.getName()),
                    entries));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the running org.pkvm4j.api", e);
        }
    }

    private static byte[] bytes(java.nio.ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.get(b);
        return b;
    }
}
