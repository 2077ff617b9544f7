package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.kmi.Kmi;
import org.pkvm4j.machine.HostHcall;

/**
 * android14-6.1's {@code iommu_request} and {@code register_hyp_event_ids} from a module on an
 * android14-6.1 device (fixture {@code hyp-requests}): the host serves an IOMMU driver's request for
 * pages when its HVC returns and issues the HVC again; the host switches the module's events with
 * {@code __pkvm_enable_event}.
 */
class HypRequestsIT {
    private static final int TAKE_PAGE = 1;
    private static final int IOMMU_PAGE = 2;
    private static final int REGISTER_EVENTS = 3;
    private static final int KEYS = 4;

    private static HostKernel boot() {
        Path initramfs = Devices.newInitramfs();
        String name = Devices.addFixture(initramfs, "hyp-requests");
        HostKernel kernel = HostKernel.boot(BootConfig.of("kvm-arm.mode=protected kvm-arm.protected_modules=" + name + " mem=64M",
                initramfs).withKmi(Kmi.ANDROID14_6_1));
        assertInstanceOf(SecurityState.Protected.class, kernel.securityState(), kernel.securityState()::toString);
        // The module's data page comes from the host's page pool, as the pages it serves requests with.
        assertEquals(0, kernel.ioctl("hyp_requests", TAKE_PAGE, kernel.kvm().allocHostPage()));
        return kernel;
    }

    /**
     * Scenario: the IOMMU pool is empty; the module posts a request for one page and answers -ENOMEM;
     * the host donates a page to the pool (kvm_iommu_refill) and issues the call again, which gets it.
     */
    @Test
    void anIommuRequestIsServedAndTheCallRetried() {
        HostKernel kernel = boot();
        long before = kernel.kvm().pagesInUse();
        long va = kernel.ioctl("hyp_requests", IOMMU_PAGE, 0);
        assertNotEquals(0, va);
        assertEquals(0, va & 0xFFF, "a page");
        assertEquals(before + 1, kernel.kvm().pagesInUse(), "one host page went to the IOMMU pool");
    }

    /** Scenario: the host switches the module's registered events on and off; an id no module registered is EINVAL. */
    @Test
    void theHostSwitchesTheModulesEvents() {
        HostKernel kernel = boot();
        assertEquals(0, kernel.ioctl("hyp_requests", REGISTER_EVENTS, 0));
        assertEquals(0, kernel.ioctl("hyp_requests", KEYS, 0));
        assertEquals(0, kernel.gateway().hostHcall(HostHcall.PKVM_ENABLE_EVENT, 7001, 1, 0));
        assertEquals(2, kernel.ioctl("hyp_requests", KEYS, 0));
        assertEquals(0, kernel.gateway().hostHcall(HostHcall.PKVM_ENABLE_EVENT, 7000, 1, 0));
        assertEquals(0, kernel.gateway().hostHcall(HostHcall.PKVM_ENABLE_EVENT, 7001, 0, 0));
        assertEquals(1, kernel.ioctl("hyp_requests", KEYS, 0));
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class,
                () -> kernel.gateway().hostHcall(HostHcall.PKVM_ENABLE_EVENT, 7002, 1, 0)).errno());
        assertEquals(Errno.EINVAL.negated(), kernel.ioctl("hyp_requests", REGISTER_EVENTS, 0),
                "registering the same ids again");
    }
}
