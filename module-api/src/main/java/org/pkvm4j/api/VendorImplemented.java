package org.pkvm4j.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an API interface that vendor code implements (a callback the kernel or hypervisor calls),
 * as opposed to one it only calls ({@code ModuleOps}, {@code Pkvm}, {@code ModuleContext}).
 *
 * <p>The ABI checker reads this: a new abstract method in a vendor-implemented interface breaks
 * every module that implements it, while a new method in a call-only interface breaks nobody. It
 * is the Java form of OSGi's consumer/provider split and of the kernel's callback structs versus
 * its exported functions.
 *
 * @since 0.1
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface VendorImplemented {
}
