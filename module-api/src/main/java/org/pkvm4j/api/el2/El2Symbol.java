package org.pkvm4j.api.el2;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares a public static method of an EL2 module as a symbol EL1 code can name.
 *
 * <p>Kernel counterpart: a global function of {@code hyp/el2.c}, which EL1 reaches as
 * {@code __kvm_nvhe_<name>}. The module loader reads these annotations from the class files (it
 * never initialises an EL2 class at EL1) and links each name EL1 passes to {@code
 * Pkvm.loadEl2Module} or {@code Pkvm.registerEl2ModCall}; an unknown name fails that call with
 * {@code ENOENT}, as {@code insmod} fails on an unknown symbol.
 *
 * <p>Accepted signatures:
 * <ul>
 *   <li>an init: {@code public static void init(ModuleOps ops)}; it throws {@code PkvmException}
 *       to fail the load with that errno (C's non-zero return);</li>
 *   <li>an HVC handler of the android14-6.1+ ABI: {@code public static void hvc(UserPtRegs regs)};</li>
 *   <li>an HVC handler of the android14-5.15 ABI: {@code public static void hvc(KvmCpuContext ctx)}.</li>
 * </ul>
 *
 * @since 0.1
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface El2Symbol {
    /**
     * The C name of the symbol, for example {@code "pkvm_driver_hyp_init"}; unique in its module.
     *
     * @return the C name of the symbol, as EL1 code passes it to {@code Pkvm}
     */
    String value();
}
