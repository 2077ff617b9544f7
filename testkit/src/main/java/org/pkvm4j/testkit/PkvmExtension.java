package org.pkvm4j.testkit;

import java.lang.reflect.Constructor;
import java.lang.reflect.Parameter;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.machine.HostMemory;
import org.pkvm4j.machine.Machine;

/**
 * The extension behind {@link PkvmBoot}: boots before each test (before {@code @BeforeEach}
 * methods), resolves the device's parameters, closes the device after each test.
 *
 * <p>The device lives in the test method's extension store, nowhere else, so parallel test methods
 * each see their own.
 */
public final class PkvmExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PkvmExtension.class);
    private static final String DEVICE = "device";
    private static final Set<Class<?>> DEVICE_TYPES = Set.of(HostKernel.class, Machine.class, BootReport.class,
            KernelLog.class, PkvmDevice.class, HostMemory.class);
    private static final Set<Class<?>> MODULE_TYPES = Set.of(ModuleHvcs.class, Pkvm.class, LoadedModule.class);

    /** JUnit's constructor. */
    public PkvmExtension() {
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        PkvmBoot boot = find(context).orElseThrow(() -> new ExtensionConfigurationException(
                "@InjectFault or PkvmExtension without @PkvmBoot on " + context.getDisplayName()
                        + ": put @PkvmBoot on the test method or its class to say what to boot"));
        context.getStore(NAMESPACE).put(DEVICE, BootSpec.builder(boot).faults(FaultSpec.plan(context)).boot());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        PkvmDevice device = context.getStore(NAMESPACE).remove(DEVICE, PkvmDevice.class);
        if (device != null) {
            device.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext pc, ExtensionContext context) {
        Class<?> type = pc.getParameter().getType();
        if (MODULE_TYPES.contains(type)) {
            return pc.isAnnotated(Module.class);
        }
        return DEVICE_TYPES.contains(type);
    }

    @Override
    public Object resolveParameter(ParameterContext pc, ExtensionContext context) {
        Parameter parameter = pc.getParameter();
        if (pc.getDeclaringExecutable() instanceof Constructor<?>) {
            throw new ParameterResolutionException("@PkvmBoot boots one device per test method: declare "
                    + parameter.getType().getSimpleName() + " as a parameter of the test or @BeforeEach method, not of the constructor");
        }
        PkvmDevice device = context.getStore(NAMESPACE).get(DEVICE, PkvmDevice.class);
        if (device == null) {
            throw new ParameterResolutionException("no @PkvmBoot device for " + pc.getDeclaringExecutable().getName()
                    + ": devices exist from before @BeforeEach to after @AfterEach of each test, not in @BeforeAll/@AfterAll");
        }
        Class<?> type = parameter.getType();
        if (MODULE_TYPES.contains(type)) {
            ModuleHvcs module = device.module(pc.findAnnotation(Module.class).orElseThrow().value());
            return type == ModuleHvcs.class ? module : type == Pkvm.class ? module.pkvm() : module.module();
        }
        if (type == HostKernel.class) {
            return device.kernel();
        } else if (type == Machine.class) {
            return device.machine();
        } else if (type == HostMemory.class) {
            return device.machine().hostMemory();
        } else if (type == BootReport.class) {
            return device.report();
        } else if (type == KernelLog.class) {
            return device.log();
        }
        return device;
    }

    /** The method's annotation, else the nearest class's (enclosing classes of nested tests too). */
    private static Optional<PkvmBoot> find(ExtensionContext context) {
        Optional<PkvmBoot> onMethod = context.getTestMethod().flatMap(m -> AnnotationSupport.findAnnotation(m, PkvmBoot.class));
        if (onMethod.isPresent()) {
            return onMethod;
        }
        for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
            Optional<PkvmBoot> onClass = c.get().getTestClass().flatMap(t -> AnnotationSupport.findAnnotation(t, PkvmBoot.class));
            if (onClass.isPresent()) {
                return onClass;
            }
        }
        return Optional.empty();
    }
}
