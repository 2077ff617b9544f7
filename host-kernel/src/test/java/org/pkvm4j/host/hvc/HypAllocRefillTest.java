package org.pkvm4j.host.hvc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.El2Vector;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

/**
 * The host's side of the EL2 heap's refill ({@code pkvm_handle_hyp_req}): a module call that
 * answers -ENOMEM with a request is served (the pages donated, one {@code
 * __pkvm_hyp_alloc_mgt_refill} each) and issued again, a bounded number of times.
 */
class HypAllocRefillTest {
    private static final long MOD_CALL = 0xC600_0080L;
    private static final long ENOMEM = Errno.ENOMEM.negated();

    private final Machine machine = new Machine(new MachineConfig(1, MachineConfig.DEFAULT_MEM));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final HvcGateway gateway = new HvcGateway(machine);
    private final List<Long> donated = new ArrayList<>();
    private final List<Long> freed = new ArrayList<>();
    private long nextPfn = 0x1000;
    // The host's pages the gateway donates from: counted up from 0x1000, and the ones given back.
    private final HvcGateway.HostPages hostPages = new HvcGateway.HostPages() {
        @Override
        public long alloc() {
            return nextPfn++;
        }

        @Override
        public void free(long pfn) {
            freed.add(pfn);
        }
    };
    private int calls;

    /** A vector whose module call needs {@code pagesNeeded} pages donated before it answers 42 (negative: never enough). */
    private void install(int pagesNeeded, long refillAnswer) {
        machine.installEl2Vector(new El2Vector() {
            @Override
            public void hostHvc(Cpu cpu) {
                long x0 = cpu.regs().get(0);
                cpu.regs().set(0, Smccc.RET_SUCCESS);
                if (x0 == Smccc.kvmHostSmcccId(HostHcall.PKVM_HYP_ALLOC_REFILL.id())) {
                    if (refillAnswer == 0) {
                        donated.add(cpu.regs().get(1));
                    }
                    cpu.regs().set(1, refillAnswer);
                    return;
                }
                calls++;
                if (pagesNeeded < 0 || donated.size() < pagesNeeded) {
                    platform.requestHypAlloc(cpu, pagesNeeded < 0 ? 1 : pagesNeeded - donated.size());
                    cpu.regs().set(1, ENOMEM);
                } else {
                    cpu.regs().set(1, 42);
                }
            }
        });
        gateway.refillHypAllocFrom(hostPages);
    }

    @Test
    void aCallThatRanOutIsServedAndIssuedAgain() {
        install(3, 0);
        assertEquals(42, gateway.el2ModCall(MOD_CALL, 0, 0, 0));
        assertEquals(List.of(0x1000L, 0x1001L, 0x1002L), donated);
        assertEquals(2, calls);
    }

    @Test
    void aRefillTheHypervisorRefusesGivesThePageBackAndTheCallFails() {
        install(1, Errno.EPERM.negated());
        assertEquals(ENOMEM, gateway.el2ModCall(MOD_CALL, 0, 0, 0));
        assertEquals(List.of(0x1000L), freed);
        assertEquals(1, calls);
    }

    @Test
    void aRequestIsServedAtMostUpToTheHeapsSize() {
        install(Integer.MAX_VALUE, 0);
        assertEquals(ENOMEM, gateway.el2ModCall(MOD_CALL, 0, 0, 0));
        assertEquals(HvcGateway.MAX_HYP_ALLOC_REQUEST * (HvcGateway.MAX_HYP_ALLOC_RETRIES + 1), donated.size());
    }

    @Test
    void theRetriesAreBounded() {
        install(-1, 0);
        assertEquals(ENOMEM, gateway.el2ModCall(MOD_CALL, 0, 0, 0));
        assertEquals(HvcGateway.MAX_HYP_ALLOC_RETRIES + 1, calls);
        assertEquals(HvcGateway.MAX_HYP_ALLOC_RETRIES + 1, donated.size(), "each request served, the last without a retry");
    }

    /**
     * Scenario: an {@code iommu_request} for IOMMU pages (REQ_MEM_DEST_HYP_IOMMU) is served with one
     * {@code kvm_iommu_refill} of one page each, and the call that ran out is issued again.
     */
    @Test
    void anIommuRequestIsServedWithIommuRefills() {
        List<long[]> refills = new ArrayList<>();
        machine.installEl2Vector(new El2Vector() {
            @Override
            public void hostHvc(Cpu cpu) {
                long x0 = cpu.regs().get(0);
                cpu.regs().set(0, Smccc.RET_SUCCESS);
                if (x0 == Smccc.kvmHostSmcccId(HostHcall.PKVM_IOMMU_REFILL.id())) {
                    refills.add(new long[] {cpu.regs().get(1), cpu.regs().get(2), cpu.regs().get(3)});
                    cpu.regs().set(1, 0);
                    return;
                }
                calls++;
                if (refills.size() < 2) {
                    assertEquals(true, platform.postHypRequest(cpu, org.pkvm4j.machine.HypRequest.of(
                            org.pkvm4j.machine.HypRequest.DEST_HYP_IOMMU, 2)));
                    cpu.regs().set(1, ENOMEM);
                } else {
                    cpu.regs().set(1, 7);
                }
            }
        });
        gateway.refillHypAllocFrom(hostPages);
        assertEquals(7, gateway.el2ModCall(MOD_CALL, 0, 0, 0));
        assertEquals(List.of(List.of(0x1000L, 1L, 0L), List.of(0x1001L, 1L, 0L)),
                refills.stream().map(r -> List.of(r[0], r[1], r[2])).toList(), "one page each, to the host pool");
        assertEquals(2, calls);
        assertEquals(List.of(), donated, "nothing went to the heap");
    }
}
