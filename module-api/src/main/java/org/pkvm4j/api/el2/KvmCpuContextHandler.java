package org.pkvm4j.api.el2;

import org.pkvm4j.api.VendorImplemented;
import org.pkvm4j.api.KvmCpuContext;

/**
 * A dynamic hypercall handler of the android14-5.15 ABI.
 *
 * <p>Kernel counterpart: {@code void (*)(struct kvm_cpu_context *)}, writing results with
 * {@code cpu_reg(ctx, 1) = ...}. As in that branch, the dispatcher presets x0 to {@code
 * SMCCC_RET_SUCCESS} before calling a handler of this ABI, so the handler writes only its results.
 * An {@link El2Symbol} method {@code static void (KvmCpuContext)} is linked to this type.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface KvmCpuContextHandler {
    /**
     * Handles one trapped call; {@code ctx} is the calling CPU's host context.
     *
     * @param ctx the trapping CPU's context: x0..x3 carry the call and its answer
     */
    void handle(KvmCpuContext ctx);
}
