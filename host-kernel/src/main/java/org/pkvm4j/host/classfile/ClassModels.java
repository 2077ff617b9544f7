package org.pkvm4j.host.classfile;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * The class files of one module check, each parsed once.
 *
 * <p>The loader's checks (approval, EL2 symbols, API references, the allow-list verifier, the EL2
 * sections) each read every class file of a module. Inside {@link #sharing} they share one {@link
 * ClassModel} per class file, so a file's constant pool is decoded once, by the approval that checks
 * it first. A module's {@code JarImage} hands each reader its own copy of an entry, so the checks
 * find a model by the entry ({@link #parse(JarImage, String, byte[])}: the immutable image and the
 * entry's name); bytes from anywhere else, by the array's identity ({@link #parse(byte[])}).
 * Outside {@code sharing} every call parses anew.
 *
 * <p>Every check reads the default model (debug elements and line numbers kept): the verifier, which
 * used to drop them to walk less, skips every element but instructions and type annotations.
 */
public final class ClassModels {
    private static final ClassFile CLASS_FILE = ClassFile.of();
    // Bound by sharing() for the length of one check run, on the thread that runs it.
    // Keys: an Entry, or a byte[] (arrays compare by identity).
    private static final ScopedValue<Map<Object, ClassModel>> PARSED = ScopedValue.newInstance();

    // An entry of an image: JarImage compares by identity, and it never changes.
    private record Entry(JarImage jar, String name) {
    }

    private ClassModels() {
    }

    /**
     * The model of {@code bytes}: the one parsed earlier in this {@link #sharing} run from this very
     * array, or a new one.
     *
     * @throws IllegalArgumentException if the bytes are not a class file the JDK can read
     */
    public static ClassModel parse(byte[] bytes) {
        return parse(bytes, bytes);
    }

    /**
     * The model of entry {@code name} of {@code jar}, whose bytes (a copy the caller read) are {@code
     * bytes}: the one parsed earlier in this {@link #sharing} run from that entry, or a new one.
     *
     * @throws IllegalArgumentException if the bytes are not a class file the JDK can read
     */
    public static ClassModel parse(JarImage jar, String name, byte[] bytes) {
        return parse(new Entry(jar, name), bytes);
    }

    private static ClassModel parse(Object key, byte[] bytes) {
        if (!PARSED.isBound()) {
            return CLASS_FILE.parse(bytes);
        }
        Map<Object, ClassModel> parsed = PARSED.get();
        ClassModel model = parsed.get(key);
        if (model == null) {
            model = CLASS_FILE.parse(bytes);
            parsed.put(key, model);
        }
        return model;
    }

    /** Runs {@code checks} with every {@link #parse} inside sharing one model per class file (nested calls join the outer run). */
    public static <T> T sharing(Supplier<T> checks) {
        if (PARSED.isBound()) {
            return checks.get();
        }
        return ScopedValue.where(PARSED, new HashMap<Object, ClassModel>()).call(checks::get);
    }
}
