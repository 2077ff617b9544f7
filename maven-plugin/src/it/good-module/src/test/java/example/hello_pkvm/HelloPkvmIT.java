package example.hello_pkvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

import org.junit.jupiter.api.Test;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.testkit.Module;
import org.pkvm4j.testkit.ModuleHvcs;
import org.pkvm4j.testkit.PkvmBoot;

/** Boots a protected device with the module file this build produced (-Dpkvm4j.module.file). */
@PkvmBoot(modules = "${pkvm4j.module.file}")
class HelloPkvmIT {
    @Test
    void loadsBeforeDeprivilege(HostKernel kernel) {
        assertThat(kernel).isProtected().hasModule("hello_pkvm", 1).deprivileged();
        assertThat(kernel.log()).containsEl2LineMatching("^hello_pkvm: EL2 init$")
                .containsLineMatching("hello_pkvm: EL2 handler registered as HVC \\d+, answered 42")
                .hasNoErrorLines();
    }

    @Test
    void theHandlerAddsOne(@Module("hello_pkvm") ModuleHvcs hvcs) {
        assertEquals(42, hvcs.call(0, 41));
        assertEquals(1, hvcs.call(0, 0));
    }
}
