package org.pkvm4j.bench;

import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.api.el2.UserPtRegsHandler;

/**
 * One benchmark thread's side: the argument it passes, which of the eight handlers is next, and
 * for the baseline its own preallocated register file and handler objects.
 *
 * <p>The call bodies live here, once, so that the average-time and the throughput benchmarks
 * measure the same code.
 */
@State(Scope.Thread)
public class Caller {
    /** x1 of every call; a field, so the JIT cannot fold it. */
    public long arg = 41;
    /** The next of the eight handlers, 0..7. */
    public int next;
    /** The baseline's register file, allocated once. */
    public final UserPtRegs regs = new UserPtRegs();
    /** The baseline of the one-handler shape. */
    public final UserPtRegsHandler direct0 = DirectHandlers.all()[0];
    /** The baseline of the eight-handler shape: eight classes. */
    public final UserPtRegsHandler[] direct = DirectHandlers.all();

    /** One {@code pkvm_el2_mod_call} of bench0's handler; returns x1. */
    static long trapOne(Device d, Caller c) {
        return d.pkvm0.el2ModCall(d.hvc0, c.arg);
    }

    /** bench0's handler body called directly; returns x1. */
    static long directOne(Caller c) {
        UserPtRegs regs = c.regs;
        regs.set(1, c.arg);
        c.direct0.handle(regs);
        return regs.get(1);
    }

    /** One {@code pkvm_el2_mod_call} of the next of eight modules' handlers; returns x1. */
    static long trapEight(Device d, Caller c) {
        int i = c.next;
        c.next = (i + 1) & (Device.MODULES - 1);
        Pkvm pkvm = d.pkvm[i];
        HvcNumber hvc = d.hvc[i];
        return pkvm.el2ModCall(hvc, c.arg);
    }

    /** The next of eight handler classes called directly, from one call site; returns x1. */
    static long directEight(Caller c) {
        int i = c.next;
        c.next = (i + 1) & (Device.MODULES - 1);
        UserPtRegs regs = c.regs;
        regs.set(1, c.arg);
        c.direct[i].handle(regs);
        return regs.get(1);
    }
}
