package org.pkvm4j.hypervisor.module;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Prot;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.El2Image;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.PageState;
import org.pkvm4j.machine.testing.TestImages;

/**
 * The pages of a module image: each section's EL2 permissions, and a load that fails part-way (at a
 * page it cannot take, or at linking) gives every page back and leaves no mapping.
 */
class El2ModulesPagesTest {
    static final long PAGE = MachineConfig.PAGE_SIZE;

    private final Machine machine = new Machine(new MachineConfig(1, 256 * PAGE));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final MemProtect mp = new MemProtect(platform.memory());
    private final HypVaSpace va = new HypVaSpace(mp, 1);
    private final El2Modules modules = new El2Modules(platform, va, new ModuleOpsTable(new HypConsole(platform.uart()),
            platform, mp, new HostPermFaultHandlers(), va, new IllegalAbtNotifiers()), new DynamicHcalls(platform));

    /** Text 2 pages + 1 byte (3 pages), rodata 1 page, data 10 bytes (1 page): 5 pages. */
    private static final El2Image.Sections SECTIONS = new El2Image.Sections(2 * PAGE + 1, PAGE, 10);

    private static El2Image image() {
        El2Image plain = TestImages.image("sections", SECTIONS.sizeBytes(),
                List.of(new El2Image.Symbol("init", 0, El2Image.Kind.INIT, "test.el2.Missing", "init")));
        return new El2Image(plain.moduleName(), plain.module(), plain.controller(), plain.symbols(), SECTIONS.sizeBytes(), SECTIONS);
    }

    /** {@code __pkvm_init_module} on CPU 0, taken as a trap takes it. */
    private long initModule(long pa, long token) {
        Cpu cpu = machine.getCpu(0);
        try {
            return modules.initModule(cpu, pa, token, token);
        } finally {
            machine.putCpu(cpu);
        }
    }

    /** Scenario: text pages R+X, rodata R, data RW, page by page. */
    @Test
    void eachSectionHasItsPermissions() {
        assertEquals(3, SECTIONS.textPages());
        assertEquals(5, SECTIONS.nrPages());
        int[] expected = {Prot.RX, Prot.RX, Prot.RX, Prot.R, Prot.RW};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], El2Modules.sectionProt(SECTIONS, i), "page " + i);
        }
        assertEquals(Prot.RX, El2Modules.sectionProt(new El2Image.Sections(0, 0, 0), 0), "an empty image is one text page");
    }

    /**
     * Scenario: the fourth page of the placed image is not the host's (EL2 took it before): init
     * fails with EPERM and the three pages mapped before it are the host's again, unmapped at EL2;
     * the page EL2 owned stays EL2's.
     */
    @Test
    void aLoadFailingAtAPageGivesTheEarlierPagesBack() {
        El2Image image = image();
        long pa = machine.moduleRam().place(image);
        long pfn = pa >>> Dram.PAGE_SHIFT;
        assertEquals(0, mp.hostDonateHyp(pfn + 3, 1));
        long token = modules.allocModuleVa(image.nrPages());
        assertEquals(HypVaSpace.PRIVATE_VA_BASE, token);

        assertEquals(Errno.EPERM.negated(), initModule(pa, token));
        for (int i = 0; i < 5; i++) {
            assertEquals(i == 3 ? PageState.NOPAGE : PageState.OWNED, mp.hostState(pfn + i), "page " + i);
            assertEquals(i == 3 ? PageState.OWNED : PageState.NOPAGE, mp.hypState(pfn + i), "page " + i);
            assertEquals(0, va.hypProt(token + i * PAGE), "page " + i + " is not mapped at EL2");
        }
    }

    /**
     * Scenario: every page is mapped (donated) but the init symbol's class does not exist: ENOEXEC,
     * and the page accounting is back to the start: every page host OWNED, hyp NOPAGE, unmapped.
     */
    @Test
    void aLoadFailingAtLinkingGivesEveryPageBack() {
        El2Image image = image();
        long pa = machine.moduleRam().place(image);
        long pfn = pa >>> Dram.PAGE_SHIFT;
        long token = modules.allocModuleVa(image.nrPages());
        assertEquals(Errno.ENOEXEC.negated(), initModule(pa, token));
        for (int i = 0; i < 5; i++) {
            assertEquals(PageState.OWNED, mp.hostState(pfn + i), "page " + i);
            assertEquals(PageState.NOPAGE, mp.hypState(pfn + i), "page " + i);
            assertEquals(0, va.hypProt(token + i * PAGE), "page " + i);
        }
        assertEquals(List.of(), modules.loadedNames());
    }
}
