package org.pkvm4j.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.host.hvc.HvcGateway;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Machine;

/**
 * Where a trap round trip's time goes: the one-handler call cut at each layer, with the host
 * kernel's public pieces (the machine and the gateway a driver or test can use). Subtracting
 * neighbours gives the cost of each frame:
 *
 * <ul>
 *   <li>{@code hvcOnCpu}: registers written, {@code Cpu.hvc()} (EL2 vector, panic checks, {@code
 *       HypMain}, {@code DynamicHcalls}, linked handler), registers read, on a CPU claimed once
 *       in setup: the trap and dispatch alone.</li>
 *   <li>{@code claimRelease}: {@code Machine.getCpu()} + {@code putCpu()} alone ({@code
 *       get_cpu}/{@code put_cpu}: a ThreadLocal lookup, a CAS and a release store); {@code
 *       claimRelease_2t} the same from two threads, each on its own CPU.</li>
 *   <li>{@code gateway}: {@code HvcGateway.el2ModCall}: both of the above plus the x0 check.</li>
 *   <li>{@link ModCallBench#oneHandler_trap}: plus {@code ModulePkvm}'s ownership check and the
 *       {@code Pkvm} interface call.</li>
 * </ul>
 *
 * <p>Two floors, with no pkvm4j code, price the instructions {@code get_cpu}/{@code put_cpu} is
 * made of on this machine: {@code floorCasRelease} (a VarHandle compareAndSet and setRelease on a
 * field only this thread touches, as {@code Cpu.tryClaim}/{@code release}) and {@code
 * floorThreadLocal} (one {@code ThreadLocal.get()} hit, as {@code Machine.getCpu}'s affinity lookup).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(2)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
public class TrapBreakdown {

    /** The pieces of bench0's call. */
    @State(Scope.Thread)
    public static class Pieces {
        Machine machine;
        HvcGateway gateway;
        long functionId;

        /** Looks the pieces up on the booted device. */
        @Setup(Level.Trial)
        public void setup(Device d) {
            machine = d.kernel.machine();
            gateway = d.kernel.gateway();
            functionId = d.hvc0.smcccFunctionId();
        }
    }

    /** This thread's CPU, claimed for each iteration of {@link #hvcOnCpu} (used by no other benchmark). */
    @State(Scope.Thread)
    public static class HeldCpu {
        Cpu cpu;
        private Machine machine;

        /** Claims this thread's CPU ({@code get_cpu}) for the iteration. */
        @Setup(Level.Iteration)
        public void claim(Pieces p) {
            machine = p.machine;
            cpu = machine.getCpu();
        }

        /** Gives it back ({@code put_cpu}). */
        @TearDown(Level.Iteration)
        public void release() {
            machine.putCpu(cpu);
            cpu = null;
        }
    }

    /** A field with the access pattern of {@code Cpu.busy}, and a ThreadLocal like {@code Machine.affinity}. */
    @State(Scope.Thread)
    public static class Floor {
        private static final VarHandle BUSY;
        private static final ThreadLocal<Object> LOCAL = ThreadLocal.withInitial(Object::new);

        static {
            try {
                BUSY = MethodHandles.lookup().findVarHandle(Floor.class, "busy", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @SuppressWarnings("unused") // accessed through BUSY
        private volatile int busy;
    }

    /** Floor: the CAS and release store of a claim/release pair, uncontended, nothing else. */
    @Benchmark
    public boolean floorCasRelease(Floor f) {
        boolean claimed = Floor.BUSY.compareAndSet(f, 0, 1);
        Floor.BUSY.setRelease(f, 0);
        return claimed;
    }

    /** Floor: one ThreadLocal lookup that hits. */
    @Benchmark
    public Object floorThreadLocal() {
        return Floor.LOCAL.get();
    }

    /** {@code Cpu.hvc()} on a CPU claimed in setup: trap, EL2 dispatch, handler; no claim. */
    @Benchmark
    public long hvcOnCpu(Caller c, Pieces p, HeldCpu held) {
        Cpu cpu = held.cpu;
        UserPtRegs regs = cpu.regs();
        regs.set(0, p.functionId);
        regs.set(1, c.arg);
        regs.set(2, 0);
        regs.set(3, 0);
        cpu.hvc();
        if (regs.get(0) != 0) {
            throw new IllegalStateException("x0 = " + regs.get(0));
        }
        return regs.get(1);
    }

    /** {@code get_cpu()}/{@code put_cpu()} alone: a ThreadLocal lookup, a CAS, a release store. */
    @Benchmark
    public Cpu claimRelease(Pieces p) {
        Cpu cpu = p.machine.getCpu();
        p.machine.putCpu(cpu);
        return cpu;
    }

    /**
     * {@code get_cpu()}/{@code put_cpu()} from two threads at once: each claims its own CPU, so
     * anything above {@link #claimRelease} is cache-line traffic between the two CPUs' objects.
     */
    @Benchmark
    @Threads(2)
    public Cpu claimRelease_2t(Pieces p) {
        Cpu cpu = p.machine.getCpu();
        p.machine.putCpu(cpu);
        return cpu;
    }

    /** The whole gateway call, {@code HvcGateway.el2ModCall}, without {@code ModulePkvm}. */
    @Benchmark
    public long gateway(Caller c, Pieces p) {
        return p.gateway.el2ModCall(p.functionId, c.arg, 0, 0);
    }
}
