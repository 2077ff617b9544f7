package org.pkvm4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.HostKernel;

/**
 * What a test author sees for a parameter the kit cannot give: each fixture class runs in a nested
 * JUnit launcher and its failure message is checked.
 */
class PkvmExtensionErrorsTest {
    /** The messages of every failed container or test of {@code fixture}. */
    private static List<String> failures(Class<?> fixture) {
        List<String> messages = new ArrayList<>();
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(fixture)).build(), new TestExecutionListener() {
                    @Override
                    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                        result.getThrowable().ifPresent(t -> messages.add(String.valueOf(t.getMessage())));
                    }
                });
        return messages;
    }

    @Test
    void aConstructorParameterIsRefused() {
        List<String> m = failures(ConstructorFixture.class);
        assertEquals(1, m.size(), m::toString);
        assertTrue(m.getFirst().contains("@PkvmBoot boots one device per test method: declare HostKernel as a parameter"
                + " of the test or @BeforeEach method, not of the constructor"), m::toString);
    }

    @Test
    void aBeforeAllParameterIsRefused() {
        List<String> m = failures(BeforeAllFixture.class);
        assertEquals(1, m.size(), m::toString);
        assertTrue(m.getFirst().contains("no @PkvmBoot device for boot: devices exist from before @BeforeEach"), m::toString);
    }

    @Test
    void aModuleThatDidNotLoadFailsTheTestBeforeItRuns() {
        List<String> m = failures(MissingModuleFixture.class);
        assertEquals(1, m.size(), m::toString);
        assertTrue(m.getFirst().contains("module kvstore is not loaded (lsmod: [])\ndmesg, lines about kvstore"), m::toString);
    }

    @Test
    void aFaultWithoutPkvmBootIsRefused() {
        List<String> m = failures(FaultWithoutBootFixture.class);
        assertEquals(1, m.size(), m::toString);
        assertTrue(m.getFirst().contains("@InjectFault or PkvmExtension without @PkvmBoot on test()"), m::toString);
    }

    @Test
    void aFaultThatMakesNoSenseIsRefusedNamingIt() {
        List<String> m = failures(BadFaultFixture.class);
        assertEquals(List.of(
                "@InjectFault(module = \"kvstore\", kind = LATE): kind = LATE takes no errno: the late modprobe's own errno is in BootReport.lateLoads()",
                "@InjectFault(module = \"kvstore\", kind = EL1_INIT): nth is for kind = REGISTER only",
                "@InjectFault(module = \"kvstore\", kind = REGISTER): nth counts the module's registrations from 1, was 0",
                "@InjectFault(module = \"kvstore\", kind = EL2_INIT): errno takes one value, got [EIO, EPERM]"), m);
    }

    static class FaultWithoutBootFixture {
        @Test
        @InjectFault(module = "kvstore", kind = BootFault.Kind.EL1_INIT)
        void test() {
        }
    }

    @PkvmBoot
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class BadFaultFixture {
        @Test
        @Order(1)
        @InjectFault(module = "kvstore", kind = BootFault.Kind.LATE, errno = Errno.EIO)
        void late() {
        }

        @Test
        @Order(2)
        @InjectFault(module = "kvstore", kind = BootFault.Kind.EL1_INIT, nth = 2)
        void nth() {
        }

        @Test
        @Order(3)
        @InjectFault(module = "kvstore", kind = BootFault.Kind.REGISTER, nth = 0)
        void zeroth() {
        }

        @Test
        @Order(4)
        @InjectFault(module = "kvstore", kind = BootFault.Kind.EL2_INIT, errno = {Errno.EIO, Errno.EPERM})
        void twoErrnos() {
        }
    }

    @PkvmBoot
    static class ConstructorFixture {
        ConstructorFixture(HostKernel kernel) {
        }

        @Test
        void test() {
        }
    }

    @PkvmBoot
    static class BeforeAllFixture {
        @BeforeAll
        static void boot(HostKernel kernel) {
        }

        @Test
        void test() {
        }
    }

    @PkvmBoot
    static class MissingModuleFixture {
        @Test
        void test(@Module("kvstore") ModuleHvcs kvstore) {
            throw new AssertionError("never runs");
        }
    }
}
