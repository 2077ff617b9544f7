package org.pkvm4j.host.classfile;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The class files of one module check, each parsed once.
 *
 * <p>The loader's checks (approval, EL2 symbols, API references, the allow-list verifier, the EL2
 * sections) each read every class file of a module. Inside {@link #sharing} they share one {@link
 * ClassModel} per class file: the bytes are the same array of the module's {@code JarImage} for
 * every check, so a model is found by the array's identity, and a file's constant pool is decoded
 * once, by the approval that checks it first. Outside {@code sharing} every call parses anew.
 *
 * <p>Every check reads the default model (debug elements and line numbers kept): the verifier, which
 * used to drop them to walk less, skips every element but instructions and type annotations.
 */
public final class ClassModels {
    private static final ClassFile CLASS_FILE = ClassFile.of();
    // Bound by sharing() for the length of one check run, on the thread that runs it.
    private static final ScopedValue<Map<byte[], ClassModel>> PARSED = ScopedValue.newInstance();

    private ClassModels() {
    }

    /**
     * The model of {@code bytes}: the one parsed earlier in this {@link #sharing} run, or a new one.
     *
     * @throws IllegalArgumentException if the bytes are not a class file the JDK can read
     */
    public static ClassModel parse(byte[] bytes) {
        if (!PARSED.isBound()) {
            return CLASS_FILE.parse(bytes);
        }
        Map<byte[], ClassModel> parsed = PARSED.get();
        ClassModel model = parsed.get(bytes);
        if (model == null) {
            model = CLASS_FILE.parse(bytes);
            parsed.put(bytes, model);
        }
        return model;
    }

    /** Runs {@code checks} with every {@link #parse} inside sharing one model per class file (nested calls join the outer run). */
    public static <T> T sharing(Supplier<T> checks) {
        if (PARSED.isBound()) {
            return checks.get();
        }
        return ScopedValue.where(PARSED, new IdentityHashMap<byte[], ClassModel>()).call(checks::get);
    }
}
