package org.pkvm4j.machine;

/**
 * A DMA transaction the SMMU aborted: the device driver sees a bus error, the SMMU's event queue
 * holds the {@link Smmu.Fault}.
 */
public final class DmaAbortException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Smmu.Fault fault;

    /** The abort of the transaction {@code fault} describes. */
    public DmaAbortException(Smmu.Fault fault) {
        super("DMA abort: stream %d, %s IOVA 0x%x: %s".formatted(fault.streamId(), fault.write() ? "write to" : "read of",
                fault.iova(), fault.reason()));
        this.fault = fault;
    }

    /** The fault the SMMU recorded. */
    public Smmu.Fault fault() {
        return fault;
    }
}
