package org.pkvm4j.tools.abi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pkvm4j.host.kmi.Kmi;
import org.pkvm4j.host.kmi.KmiTable;

/**
 * The differences between two {@code struct pkvm_module_ops} layouts, each judged by the KABI rules
 * for modules built against the older one: a member placed in a slot the older layout reserved is a
 * compatible slot use ({@code ANDROID_KABI_USE}); a member removed, moved to another offset, or
 * given another signature, and a member added outside the reserved slots, break them.
 *
 * <p>Kernel counterpart: what Android's KMI monitoring (STG, {@code abi_gki}) reports about the
 * struct between two builds. Offsets count 8-byte pointers in declaration order with {@code
 * CONFIG_LIST_HARDENED=y}; the 32 reserved slots follow the fixed members. Two different branches
 * are also one breaking change of their own: a module records its KMI and is refused on another.
 */
public final class KmiDiff {
    private static final String STRUCT = "pkvm_module_ops";
    private static final int RESERVED_SLOTS = 32;

    private KmiDiff() {
    }

    /** One C member and the byte offset it has in its layout. */
    private record Placed(KmiTable.Member member, long offset) {
    }

    /**
     * Reads a diff input: a KMI name ({@code android14-5.15}) or a table file ({@code .md}).
     *
     * @return the table, or empty if {@code input} is neither a KMI name nor a readable table file
     * @throws IOException if a table file cannot be read or is not a table
     */
    public static Optional<KmiTable> read(Path input) throws IOException {
        Optional<Kmi> kmi = Kmi.find(input.toString());
        if (kmi.isPresent() && !Files.exists(input)) {
            return Optional.of(kmi.get().table());
        }
        if (!input.toString().endsWith(".md") || !Files.isRegularFile(input)) {
            return Optional.empty();
        }
        try {
            return Optional.of(KmiTable.parse(input.toString(), Files.readString(input)));
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Compares {@code older}, the layout modules were built against, with {@code newer}. */
    public static AbiDiff compare(KmiTable older, KmiTable newer) {
        List<AbiChange> breaking = new ArrayList<>();
        List<AbiChange> compatible = new ArrayList<>();
        if (older.kmi() != newer.kmi()) {
            breaking.add(AbiChange.breaking("kmi", older.kmi().branch(), "is not " + newer.kmi().branch(),
                    "modules record the KMI they were built for and are refused on another (vermagic); each branch"
                            + " starts a fresh layout"));
        }
        if (older.handlerAbi() != newer.handlerAbi()) {
            breaking.add(AbiChange.breaking("handler-abi", "dyn_hcall_t", older.handlerAbi().word() + " became "
                    + newer.handlerAbi().word(), "every module handler and callback takes another argument"));
        }
        Map<String, Placed> old = layout(older);
        Map<String, Placed> now = layout(newer);
        long oldReserveStart = reserveStart(older);
        for (Placed o : old.values()) {
            Placed n = now.get(o.member().name());
            String name = STRUCT + "." + o.member().name();
            if (n == null) {
                breaking.add(AbiChange.breaking("member", name, "removed", "modules calling it call whatever now sits at offset "
                        + o.offset()));
            } else if (n.offset() != o.offset()) {
                breaking.add(AbiChange.breaking("member", name, "moved from offset " + o.offset() + " to " + n.offset(),
                        "modules built before call whatever now sits at offset " + o.offset()));
            } else if (!n.member().signature().equals(o.member().signature())) {
                breaking.add(AbiChange.breaking("member", name, "changed from " + o.member().signature() + " to "
                        + n.member().signature(), "modules built before pass the old arguments"));
            }
        }
        for (Placed n : now.values()) {
            if (old.containsKey(n.member().name())) {
                continue;
            }
            String name = STRUCT + "." + n.member().name();
            boolean intoReserved = n.member().kabi() && reserveStart(newer) == oldReserveStart
                    && old.values().stream().noneMatch(o -> o.offset() == n.offset());
            if (intoReserved) {
                compatible.add(AbiChange.compatible("member", name, "uses reserved slot " + n.member().slot().substring(5)
                        + " (offset " + n.offset() + ")", "ANDROID_KABI_USE: every other offset is unchanged"));
            } else {
                breaking.add(AbiChange.breaking("member", name, "added at offset " + n.offset() + ", outside the reserved slots",
                        "the layout changes: the reserved slots and every later member move"));
            }
        }
        List<AbiChange> all = new ArrayList<>(breaking);
        all.addAll(compatible);
        return AbiDiff.of(all);
    }

    /** The C members by name with their byte offsets: fixed members in order, then the reserved slots. */
    private static Map<String, Placed> layout(KmiTable table) {
        Map<String, Placed> out = new LinkedHashMap<>();
        long fixed = 0;
        for (KmiTable.Member m : table.cMembers()) {
            if (!m.kabi()) {
                out.put(m.name(), new Placed(m, 8 * fixed++));
            }
        }
        long reserve = 8 * fixed;
        for (KmiTable.Member m : table.cMembers()) {
            if (m.kabi()) {
                int slot = Integer.parseInt(m.slot().substring(5));
                if (slot > RESERVED_SLOTS) {
                    throw new IllegalArgumentException(table + ": KABI slot " + slot + " beyond " + RESERVED_SLOTS);
                }
                out.put(m.name(), new Placed(m, reserve + 8L * (slot - 1)));
            }
        }
        return out.values().stream().sorted(Comparator.comparingLong(Placed::offset))
                .collect(LinkedHashMap::new, (map, p) -> map.put(p.member().name(), p), Map::putAll);
    }

    private static long reserveStart(KmiTable table) {
        return 8 * table.cMembers().stream().filter(m -> !m.kabi()).count();
    }
}
