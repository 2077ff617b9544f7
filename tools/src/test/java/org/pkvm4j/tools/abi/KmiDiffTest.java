package org.pkvm4j.tools.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.host.kmi.Kmi;
import org.pkvm4j.host.kmi.KmiTable;

/** {@code pkvm abi diff} between two {@code pkvm_module_ops} layouts, judged by the KABI rules. */
class KmiDiffTest {
    /** android16-6.12 as it was at KMI freeze: the same members, no reserved slot used yet. */
    private static KmiTable atFreeze(Kmi kmi) {
        KmiTable t = kmi.table();
        return new KmiTable(t.kmi(), t.handlerAbi(), t.members().stream().filter(m -> !m.kabi()).toList());
    }

    private static List<String> lines(AbiDiff diff) {
        return diff.changes().stream().map(AbiChange::line).toList();
    }

    /** Scenario: members placed in reserved slots within a branch are compatible slot uses, offsets unchanged. */
    @Test
    void slotUsesWithinABranchAreCompatible() {
        AbiDiff diff = KmiDiff.compare(atFreeze(Kmi.ANDROID16_6_12), Kmi.ANDROID16_6_12.table());
        assertEquals(AbiDiff.ABI_CHANGE, diff.status(), diff.report());
        assertEquals(4, diff.compatible().size(), diff.report());
        assertTrue(lines(diff).getFirst().startsWith("compatible member pkvm_module_ops.register_guest_trng_ops uses reserved slot 1"),
                diff.report());
        assertEquals(0, KmiDiff.compare(Kmi.ANDROID16_6_12.table(), Kmi.ANDROID16_6_12.table()).status());
    }

    /** Scenario: a removed slot use, and a member inserted among the fixed ones, break modules built before. */
    @Test
    void removalAndInsertionBreak() {
        AbiDiff removed = KmiDiff.compare(Kmi.ANDROID16_6_12.table(), atFreeze(Kmi.ANDROID16_6_12));
        assertEquals(4, removed.breaking().size(), removed.report());
        assertTrue(lines(removed).stream().allMatch(l -> l.contains(" removed: ")), removed.report());

        KmiTable t = Kmi.ANDROID16_6_12.table();
        List<KmiTable.Member> members = new ArrayList<>(t.members());
        members.add(4, new KmiTable.Member("5", "putc_raw", "void (*)(char c)", List.of("putc(char)"), Optional.empty()));
        AbiDiff inserted = KmiDiff.compare(t, new KmiTable(t.kmi(), t.handlerAbi(), members));
        assertEquals(AbiDiff.ABI_CHANGE | AbiDiff.ABI_INCOMPATIBLE_CHANGE, inserted.status());
        assertTrue(lines(inserted).contains("BREAKING  member pkvm_module_ops.putc_raw added at offset 32, outside the reserved slots:"
                + " the layout changes: the reserved slots and every later member move"), inserted.report());
        assertTrue(lines(inserted).stream().anyMatch(l -> l.startsWith("BREAKING  member pkvm_module_ops.putc moved from offset 32 to 40")),
                inserted.report());
    }

    /** Scenario: android14-6.1 to android15-6.6: another branch, a changed signature, and three slot uses. */
    @Test
    void acrossBranchesTheKmiAndSignaturesBreakAndSlotUsesDoNot() {
        AbiDiff diff = KmiDiff.compare(Kmi.ANDROID14_6_1.table(), Kmi.ANDROID15_6_6.table());
        assertEquals(List.of("kmi", "member"), diff.breaking().stream().map(AbiChange::kind).toList(), diff.report());
        assertTrue(diff.breaking().get(1).line().contains("host_stage2_mod_prot changed from"), diff.report());
        assertEquals(List.of("pkvm_module_ops.iommu_flush_unmap_cache", "pkvm_module_ops.host_stage2_enable_lazy_pte",
                "pkvm_module_ops.host_stage2_disable_lazy_pte"), diff.compatible().stream().map(AbiChange::name).toList());
        AbiDiff handler = KmiDiff.compare(Kmi.ANDROID14_5_15.table(), Kmi.ANDROID14_6_1.table());
        assertTrue(lines(handler).contains("BREAKING  handler-abi dyn_hcall_t kvm_cpu_context became user_pt_regs: every module"
                + " handler and callback takes another argument"), handler.report());
    }

    /** Scenario: an input is a KMI name or a table file; anything else is not a KMI. */
    @Test
    void readsKmiNamesAndTableFiles(@TempDir Path dir) throws IOException {
        assertEquals(Kmi.ANDROID14_5_15, KmiDiff.read(Path.of("android14-5.15")).orElseThrow().kmi());
        Path table = dir.resolve("old.md");
        Files.writeString(table, "kmi: android16-6.12\nhandler-abi: user_pt_regs\n| slot | member | C | Java |\n|---|---|---|---|\n"
                + "| 1 | putc | `void (*)(char c)` | putc(char) |\n");
        KmiTable read = KmiDiff.read(table).orElseThrow();
        assertEquals(List.of("putc(char)"), List.copyOf(read.javaMethods()));
        assertEquals(Optional.empty(), KmiDiff.read(dir.resolve("api.abi")));
    }
}
