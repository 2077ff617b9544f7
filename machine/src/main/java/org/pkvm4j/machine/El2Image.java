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
 * @param sizeBytes the size of the sections, {@code sections.sizeBytes()}
 * @param sections how the image splits into text, rodata and data, each page-aligned
 * @param stopFlag the binary name of the class the host's build generated to hold the module's
 *     preemption flag, if its code has preemption points: the hypervisor sets that flag, and only
 *     that class's, to stop the module's code
 */
public record El2Image(String moduleName, Module module, ModuleLayer.Controller controller,
        List<Symbol> symbols, long sizeBytes, Sections sections, Optional<String> stopFlag) {

    /**
     * The sections of a Java EL2 module, each starting on a page boundary as {@code
     * __pkvm_load_el2_module} requires: text first, then rodata, then data.
     *
     * <p>Kernel counterpart: the {@code .hyp.text}, {@code .hyp.rodata} and {@code .hyp.data}/{@code
     * .hyp.bss} sections of {@code struct pkvm_el2_module}, mapped R+X, R and RW. A Java module's text
     * is its class bytes (the code), its rodata the resources it carries (constant data it reads), its
     * data the storage of its static fields (the state it writes), 8 bytes each.
     *
     * @param textBytes class bytes
     * @param rodataBytes resource bytes
     * @param dataBytes static-field storage
     */
    public record Sections(long textBytes, long rodataBytes, long dataBytes) {
        /** Checks the sizes. */
        public Sections {
            if (textBytes < 0 || rodataBytes < 0 || dataBytes < 0) {
                throw new IllegalArgumentException("negative section size: %d/%d/%d".formatted(textBytes, rodataBytes, dataBytes));
            }
        }

        /** Pages of text: at least one, the image always has code. */
        public long textPages() {
            return Math.max(1, pages(textBytes));
        }

        /** Pages of rodata. */
        public long rodataPages() {
            return pages(rodataBytes);
        }

        /** Pages of data. */
        public long dataPages() {
            return pages(dataBytes);
        }

        /** Pages of the whole image. */
        public long nrPages() {
            return textPages() + rodataPages() + dataPages();
        }

        /** Bytes of the three sections. */
        public long sizeBytes() {
            return textBytes + rodataBytes + dataBytes;
        }

        private static long pages(long bytes) {
            return (bytes + MachineConfig.PAGE_SIZE - 1) / MachineConfig.PAGE_SIZE;
        }
    }

    /** An image without preemption points. */
    public El2Image(String moduleName, Module module, ModuleLayer.Controller controller, List<Symbol> symbols,
            long sizeBytes, Sections sections) {
        this(moduleName, module, controller, symbols, sizeBytes, sections, Optional.empty());
    }

    /** An image that is all text ({@code sizeBytes} of code, no rodata, no data). */
    public El2Image(String moduleName, Module module, ModuleLayer.Controller controller, List<Symbol> symbols,
            long sizeBytes) {
        this(moduleName, module, controller, symbols, sizeBytes, new Sections(sizeBytes, 0, 0));
    }

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
        Objects.requireNonNull(sections, "sections");
        Objects.requireNonNull(stopFlag, "stopFlag");
        if (sizeBytes != sections.sizeBytes()) {
            throw new IllegalArgumentException("sizeBytes %d is not the sections' %d".formatted(sizeBytes, sections.sizeBytes()));
        }
        symbols = List.copyOf(symbols);
    }

    /** The symbol at {@code offset}, as EL2 resolves a function pointer. */
    public Optional<Symbol> symbolAt(long offset) {
        return symbols.stream().filter(s -> s.offset() == offset).findFirst();
    }

    /** Pages the sections span, each section page-aligned. */
    public long nrPages() {
        return sections.nrPages();
    }
}
