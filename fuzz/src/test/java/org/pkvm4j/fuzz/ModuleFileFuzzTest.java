package org.pkvm4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pkvm4j.host.initramfs.Modinfo;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.loader.ModuleChecks;
import org.pkvm4j.host.verify.El2Verifier;

/**
 * A module file as a whole, through every check {@code modprobe} runs before it defines a class
 * (entries, class-file approval, descriptors, EL2 symbols, the ABI, the EL2 code rules, the EL2
 * sections): accepted, or refused with a {@link org.pkvm4j.api.PkvmException} carrying an errno.
 *
 * <p>{@link #bytes} mutates the file's bytes (the zip structure itself); {@link #entries} is
 * structure-aware: it starts from a bundled module's real file, changes its entries (class files,
 * modinfo, modversions, descriptors, the nested {@code hyp.jar}) and packs them into a well-formed
 * zip again, so the mutations reach the checks behind the zip reader.
 */
class ModuleFileFuzzTest {
    private static final Path PATH = Path.of("fuzz.jar");
    private static final ModuleChecks.Options OPTIONS = ModuleChecks.Options.offline(Seeds::runningApi, El2Verifier.bundled());

    @FuzzTest
    void bytes(byte[] input) {
        check(input);
    }

    @FuzzTest
    void entries(byte[] input) {
        Choices data = new Choices(input);
        String seed = Seeds.MODULES.get(data.pick(Seeds.MODULES.size()));
        Map<String, byte[]> el1 = new LinkedHashMap<>(Seeds.entries(seed));
        Map<String, byte[]> el2 = new LinkedHashMap<>(Seeds.nestedEntries(seed, ModuleFile.EL2_ENTRY));
        int ops = 1 + data.pick(6);
        for (int i = 0; i < ops && data.hasMore(); i++) {
            mutate(data, !el2.isEmpty() && data.bool() ? el2 : el1);
        }
        if (!el2.isEmpty() && el1.containsKey(ModuleFile.EL2_ENTRY)) {
            el1.put(ModuleFile.EL2_ENTRY, Seeds.zip(el2, data.bool()));
        }
        check(Seeds.zip(el1, data.bool()));
    }

    private static void check(byte[] file) {
        Contract.succeedsOrRefuses("module file", () -> ModuleChecks.check(ModuleFile.parse(PATH, file), OPTIONS));
    }

    private static void mutate(Choices data, Map<String, byte[]> entries) {
        List<String> names = new ArrayList<>(entries.keySet());
        if (names.isEmpty()) {
            return;
        }
        String name = names.get(data.pick(names.size()));
        byte[] bytes = entries.get(name);
        switch (data.pick(8)) {
            case 0 -> { // overwrite a few bytes in place: a constant pool index, a length, an opcode
                byte[] b = bytes.clone();
                int n = 1 + data.pick(8);
                for (int k = 0; k < n && b.length > 0; k++) {
                    b[data.pick(b.length)] = data.nextByte();
                }
                entries.put(name, b);
            }
            case 1 -> entries.put(name, java.util.Arrays.copyOf(bytes, data.pick(bytes.length + 1)));
            case 2 -> { // splice bytes in
                int at = data.pick(bytes.length + 1);
                byte[] in = data.bytes(64);
                byte[] b = new byte[bytes.length + in.length];
                System.arraycopy(bytes, 0, b, 0, at);
                System.arraycopy(in, 0, b, at, in.length);
                System.arraycopy(bytes, at, b, at + in.length, bytes.length - at);
                entries.put(name, b);
            }
            case 3 -> entries.put(name, data.bytes(1024));
            case 4 -> { // rename, keeping the order
                String to = data.string(64);
                if (!to.isEmpty() && !entries.containsKey(to)) {
                    Map<String, byte[]> renamed = new LinkedHashMap<>();
                    entries.forEach((k, v) -> renamed.put(k.equals(name) ? to : k, v));
                    entries.clear();
                    entries.putAll(renamed);
                }
            }
            case 5 -> entries.remove(name);
            case 6 -> { // a second copy of an entry under another name: a class in two places
                String to = data.string(64);
                if (!to.isEmpty()) {
                    entries.putIfAbsent(to, bytes);
                }
            }
            default -> { // modinfo or modversions lines rewritten
                String key = data.bool() ? Modinfo.ENTRY : org.pkvm4j.host.abi.ModVersions.ENTRY;
                if (entries.containsKey(key)) {
                    entries.put(key, data.string(512).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
            }
        }
    }
}
