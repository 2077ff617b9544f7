package org.pkvm4j.hypervisor.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.testing.TestImages;

class El2ModuleTest {
    private static final long TOKEN = El2Modules.MODULE_VA_BASE + 0x4000;
    private final HypPlatform platform = new Machine(new MachineConfig(1, MachineConfig.DEFAULT_MEM)).takeHypPlatform();
    private final El2Module module = new El2Module(TestImages.image("pkvm-driver", 5000), TOKEN, 2,
            new ModuleContainment("pkvm-driver", platform, new HypConsole(platform.uart())));

    @Test
    void spanIsTheReservedPages() {
        assertEquals(TOKEN + 2 * 4096, module.end());
        assertTrue(module.contains(TOKEN));
        assertTrue(module.contains(module.end() - 1));
        assertFalse(module.contains(TOKEN - 1));
        assertFalse(module.contains(module.end()));
    }

    @Test
    void nameIsTheImagesModuleNameAndNothingIsLinkedYet() {
        assertEquals("pkvm-driver", module.name());
        assertTrue(module.linked().isEmpty());
    }
}
