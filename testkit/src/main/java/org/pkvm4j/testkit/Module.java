package org.pkvm4j.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the loaded module a {@link ModuleHvcs}, {@link org.pkvm4j.api.el1.Pkvm} or {@link
 * org.pkvm4j.host.loader.LoadedModule} parameter belongs to.
 *
 * <p>The test fails before it runs if the module is not loaded (with the part of the kernel log
 * about it), so a test body never sees a missing module.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Module {
    /** The module name, as in {@code kvm-arm.protected_modules=} ({@code -} and {@code _} are equal). */
    String value();
}
