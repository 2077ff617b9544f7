package org.pkvm4j.machine;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The EL2 part of a vendor module as the host placed it in memory for the hypervisor to take over.
 *
 * <p>Kernel counterpart: the module's {@code .hyp.*} sections plus the {@code struct
 * pkvm_el2_module} descriptor that {@code __pkvm_init_module} receives. The host defines the EL2
 * module's layer (it is still privileged at that point), places the image and passes its physical
 * address in a register; the hypervisor takes it, and with it the layer's controller, which the
 * host does not keep.
 *
 * @param moduleName the vendor module's name ({@code pkvm_driver})
 * @param module the EL2 JPMS module ({@code <vendor>.<name>.hyp}), defined in its own layer
 * @param controller the controller of that layer: whoever holds it may wire the module
 * @param symbols the {@code @El2Symbol} table, in section order
 * @param sizeBytes the size of the sections (class bytes), page-rounded when mapped
 */
public record El2Image(String moduleName, Module module, ModuleLayer.Controller controller,
        List<Symbol> symbols, long sizeBytes) {

    /** What an EL2 symbol is, from its signature. */
    public enum Kind {
        /** {@code static void (ModuleOps)}: a module init. */
        INIT,
        /** {@code static void (UserPtRegs)}: an android14-6.1+ handler. */
        HVC_USER_PT_REGS,
        /** {@code static void (KvmCpuContext)}: an android14-5.15 handler. */
        HVC_KVM_CPU_CONTEXT
    }

    /**
     * One symbol: its name, where it sits in the sections, and the method that implements it.
     *
     * @param name the C name from {@code @El2Symbol}
     * @param offset the byte offset from the start of the sections; hyp VA = token + offset
     * @param kind what the signature makes it
     * @param className the binary name of the declaring class
     * @param methodName the Java method name
     */
    public record Symbol(String name, long offset, Kind kind, String className, String methodName) {
        /** Checks the fields. */
        public Symbol {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(className, "className");
            Objects.requireNonNull(methodName, "methodName");
        }
    }

    /** Copies the symbol list. */
    public El2Image {
        Objects.requireNonNull(moduleName, "moduleName");
        Objects.requireNonNull(module, "module");
        Objects.requireNonNull(controller, "controller");
        symbols = List.copyOf(symbols);
    }

    /** The symbol at {@code offset}, as EL2 resolves a function pointer. */
    public Optional<Symbol> symbolAt(long offset) {
        return symbols.stream().filter(s -> s.offset() == offset).findFirst();
    }

    /** Pages the sections span. */
    public long nrPages() {
        return Math.max(1, (sizeBytes + MachineConfig.PAGE_SIZE - 1) / MachineConfig.PAGE_SIZE);
    }
}
