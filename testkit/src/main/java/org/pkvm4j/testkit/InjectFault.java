package org.pkvm4j.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.BootFault;

/**
 * Injects one fault into the {@link PkvmBoot} device's boot: a {@link BootFault} of {@link #kind()}
 * into {@link #module()}, as {@link org.pkvm4j.host.BootConfig#withFaults} does.
 *
 * <p>Repeatable, and composes as {@code @Tag} does: a test's boot injects the faults on its method
 * and on its class (and enclosing classes), in that order. It needs a {@code @PkvmBoot} on the test
 * or its class; the test fails naming it when there is none.
 *
 * <pre>{@code
 * @Test
 * @InjectFault(module = "kvstore", kind = EL2_INIT, errno = Errno.EINVAL)
 * void kvstoresEl2InitFails(HostKernel kernel) {
 *     assertThat(kernel).isInsecure("kvstore", Errno.EINVAL).noHvcAnswers("kvstore").protectedVmsRefused();
 * }
 * }</pre>
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Repeatable(InjectFaults.class)
@ExtendWith(PkvmExtension.class)
public @interface InjectFault {
    /** The module, as modprobe names it ({@code -} equals {@code _}). */
    String module();

    /** What fails: {@code EL1_INIT}, {@code EL2_INIT}, {@code REGISTER} or {@code LATE}. */
    BootFault.Kind kind();

    /**
     * What the failing step returns: at most one; none for the kind's default ({@code ENODEV} for
     * {@code EL1_INIT}, {@code EINVAL} for {@code EL2_INIT}, {@code ENOMEM} for {@code REGISTER}, as
     * {@code pkvm explore} injects them). {@code LATE} takes none.
     */
    Errno[] errno() default {};

    /** For {@code REGISTER}: which {@code __pkvm_register_hcall} of the module fails, from 1. */
    int nth() default 1;
}
