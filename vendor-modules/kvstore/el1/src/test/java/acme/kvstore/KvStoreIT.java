package acme.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.testkit.Module;
import org.pkvm4j.testkit.ModuleHvcs;
import org.pkvm4j.testkit.PkvmBoot;

/** kvstore, loaded from the file this build produced: the table lives at EL2, reached through four HVCs. */
@PkvmBoot(modules = "${pkvm4j.module.file}")
class KvStoreIT {
    private static final int PUT = 0;
    private static final int GET = 1;
    private static final int DEL = 2;
    private static final int COUNT = 3;

    /** Scenario: the EL2 init prints on the hyp console and four handlers are registered. */
    @Test
    void loadsWithFourHandlers(HostKernel kernel, KernelLog log) {
        assertThat(kernel).isProtected().hasModule("kvstore", 4).deprivileged();
        assertThat(log).containsEl2LineMatching("kvstore: EL2 table of 4096 entries ready").hasNoErrorLines();
    }

    /** Scenario: the handlers, called as kvstore calls them: put, get, delete, count, and ENOENT in x1 for a missing key. */
    @Test
    void handlersKeepTheTable(@Module("kvstore") ModuleHvcs kv) {
        assertEquals(0, kv.call(PUT, 7, 700));
        assertEquals(0, kv.call(PUT, 8, 800));
        assertEquals(800, kv.callSmccc(GET, 8, 0, 0).a2());
        assertEquals(2, kv.call(COUNT));
        assertEquals(0, kv.call(DEL, 7));
        assertEquals(Errno.ENOENT.negated(), kv.call(GET, 7));
        assertEquals(1, kv.call(COUNT));
    }

    /** Scenario: userspace reaches the table through /dev/kvstore; errors come back as errno. */
    @Test
    void miscDevice(HostKernel kernel) {
        assertEquals(196, kernel.ioctl("kvstore", MiscDevice.IOCTL_SELFTEST, 0));
        kernel.ioctl("kvstore", KvStore.IOCTL_PUT, (5L << 32) | 55);
        assertEquals(55, kernel.ioctl("kvstore", KvStore.IOCTL_GET, 5));
        assertEquals(1, kernel.ioctl("kvstore", KvStore.IOCTL_COUNT, 0));
        PkvmException e = assertThrows(PkvmException.class, () -> kernel.ioctl("kvstore", KvStore.IOCTL_GET, 6));
        assertEquals(Errno.ENOENT, e.errno());
    }
}
