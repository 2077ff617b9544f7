package org.pkvm4j.host.abi;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * The load-time ABI check of a module against the running API, before any of its classes is
 * defined.
 *
 * <p>Kernel counterpart: {@code check_version()} and {@code resolve_symbol()} at {@code insmod}:
 * "disagrees about version of symbol X" ({@code EINVAL}), "Unknown symbol X" ({@code ENOENT}).
 * With a {@link ModVersions} record, every recorded symbol must exist with the same CRC, and the
 * record must belong to these classes and name every symbol they use. With or without one, every
 * reference into {@code org.pkvm4j.api} must link in the running API and every vendor-implemented
 * interface must be fully implemented, so nothing fails later with {@code NoSuchMethodError} or
 * {@code AbstractMethodError} inside an HVC.
 */
public final class SymbolCheck {
    private SymbolCheck() {
    }

    /** What the check found. */
    public enum Outcome {
        /** The module's record matched the running API. */
        VERSIONS_MATCH,
        /** The module has no record; every reference links. */
        LINK_CHECKED
    }

    /**
     * Checks a module's jars (EL1 first, then EL2 if any) against {@code running}.
     *
     * @throws PkvmException {@code ENOENT} for an unknown symbol or a reference that does not link;
     *     {@code EINVAL} for a CRC that disagrees or an interface left unimplemented; {@code
     *     ENOEXEC} for a record that is malformed or does not belong to the classes
     */
    public static Outcome check(String module, List<JarImage> jars, AbiModel running) {
        return check(module, jars, running, ApiReferences.scan(jars));
    }

    /**
     * As {@link #check(String, List, AbiModel)}, with the jars' references scanned already ({@code
     * ApiReferences.scan(jars)}, as the loader's KMI check needed them first).
     */
    public static Outcome check(String module, List<JarImage> jars, AbiModel running, ApiReferences refs) {
        Optional<byte[]> bytes = jars.getFirst().entry(ModVersions.ENTRY);
        ModVersions record = null;
        if (bytes.isPresent()) {
            try {
                record = ModVersions.parse(module, bytes.get());
            } catch (IOException e) {
                throw new Refusal(ErrorCode.LOAD_MODVERSION_STALE, Errno.ENOEXEC, e.getMessage(), e);
            }
            checkRecordBelongs(module, record, jars, refs);
            checkVersions(module, record, running);
        }
        List<String> used = checkLinks(module, refs, running);
        if (record != null) {
            for (String name : used) {
                if (!record.crcs().containsKey(name)) {
                    throw new Refusal(ErrorCode.LOAD_MODVERSION_STALE, Errno.ENOEXEC, module + ": " + ModVersions.ENTRY + " omits symbol " + name
                            + ", which its classes use: the record was edited or is stale; rebuild the module");
                }
            }
        }
        return record != null ? Outcome.VERSIONS_MATCH : Outcome.LINK_CHECKED;
    }

    private static void checkRecordBelongs(String module, ModVersions record, List<JarImage> jars, ApiReferences refs) {
        if (!record.classesSha256().equals(ModVersions.classesDigest(jars))) {
            throw new Refusal(ErrorCode.LOAD_MODVERSION_STALE, Errno.ENOEXEC, module + ": " + ModVersions.ENTRY
                    + " was made for other classes (classes.sha256 differs): the record or the classes were"
                    + " changed after the build; rebuild the module");
        }
        if (!record.handlerAbis().equals(refs.handlerAbis())) {
            throw new Refusal(ErrorCode.LOAD_MODVERSION_STALE, Errno.ENOEXEC, module + ": " + ModVersions.ENTRY + " records handler ABI "
                    + record.handlerAbis() + " but the EL2 symbols use " + refs.handlerAbis());
        }
    }

    private static void checkVersions(String module, ModVersions record, AbiModel running) {
        for (Map.Entry<String, Integer> e : record.crcs().entrySet()) {
            Optional<AbiSymbol> symbol = running.find(e.getKey());
            if (symbol.isEmpty()) {
                throw new Refusal(ErrorCode.LOAD_UNKNOWN_SYMBOL, Errno.ENOENT, module + ": Unknown symbol " + e.getKey() + " (err -2)");
            }
            if (symbol.get().crc() != e.getValue()) {
                throw new Refusal(ErrorCode.LOAD_MODVERSION_CRC, Errno.EINVAL, module + ": disagrees about version of symbol " + e.getKey()
                        + " (module 0x%08x, kernel %s: %s)".formatted(e.getValue(), symbol.get().crcHex(),
                                symbol.get().description()));
            }
        }
    }

    /** Links every reference; returns the API symbols used, for the record's completeness check. */
    private static List<String> checkLinks(String module, ApiReferences refs, AbiModel running) {
        List<String> used = new ArrayList<>();
        for (String type : refs.types()) {
            if (running.find(type).isEmpty()) {
                throw new Refusal(ErrorCode.LOAD_UNKNOWN_SYMBOL, Errno.ENOENT, module + ": Unknown symbol " + type
                        + " (the running org.pkvm4j.api has no such type; the module would fail with NoClassDefFoundError)");
            }
            used.add(type);
        }
        ApiResolver resolver = new ApiResolver(running);
        for (ApiReferences.MemberRef ref : refs.members()) {
            switch (resolver.resolve(ref)) {
                case ApiResolver.Resolution.Api api -> used.add(api.symbol().name());
                case ApiResolver.Resolution.Jdk jdk -> {
                }
                case ApiResolver.Resolution.Missing missing -> throw new Refusal(ErrorCode.LOAD_UNKNOWN_SYMBOL, Errno.ENOENT, module
                        + ": Unknown symbol: " + ref.from() + " uses " + ApiResolver.describe(ref) + ", but "
                        + missing.why() + " in the running org.pkvm4j.api (it would fail with "
                        + (ref.method() ? "NoSuchMethodError" : "NoSuchFieldError") + ")");
            }
        }
        for (ApiReferences.Implementation impl : refs.implementations()) {
            for (String iface : impl.interfaces()) {
                for (String method : ApiResolver.abstractMethods(running.find(iface).orElseThrow())) {
                    if (!impl.declared().contains(method)) {
                        throw new Refusal(ErrorCode.LOAD_MODVERSION_CRC, Errno.EINVAL, module + ": " + impl.className() + " implements "
                                + iface + " but not its abstract method " + method
                                + " (it would fail with AbstractMethodError when the kernel calls it)");
                    }
                }
            }
        }
        return used;
    }
}
