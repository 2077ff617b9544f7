package org.pkvm4j.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.FaultPlan;

/** Turns the {@link InjectFault}s of a test into the {@link FaultPlan} its device boots with. */
final class FaultSpec {
    private FaultSpec() {
    }

    /** The method's faults, then its class's and the enclosing classes'. */
    static FaultPlan plan(ExtensionContext context) {
        List<InjectFault> found = new ArrayList<>();
        context.getTestMethod().ifPresent(m -> found.addAll(AnnotationSupport.findRepeatableAnnotations(m, InjectFault.class)));
        for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
            // A class context and its method context share the test class: take each class once.
            if (c.get().getTestMethod().isEmpty()) {
                c.get().getTestClass().ifPresent(t -> found.addAll(AnnotationSupport.findRepeatableAnnotations(t, InjectFault.class)));
            }
        }
        List<BootFault> faults = new ArrayList<>();
        for (InjectFault f : found) {
            faults.add(fault(f));
        }
        return new FaultPlan(faults);
    }

    /** The {@link BootFault} {@code f} names. */
    static BootFault fault(InjectFault f) {
        if (f.module().isBlank()) {
            throw bad(f, "module is empty; name the module the fault targets");
        }
        if (f.errno().length > 1) {
            throw bad(f, "errno takes one value, got " + Stream.of(f.errno()).map(Errno::name).toList());
        }
        if (f.kind() != BootFault.Kind.REGISTER && f.nth() != 1) {
            throw bad(f, "nth is for kind = REGISTER only");
        }
        Optional<Errno> errno = f.errno().length == 0 ? Optional.empty() : Optional.of(f.errno()[0]);
        return switch (f.kind()) {
            case EL1_INIT -> new BootFault.El1InitFails(f.module(), errno.orElse(Errno.ENODEV));
            case EL2_INIT -> new BootFault.El2InitFails(f.module(), errno.orElse(Errno.EINVAL));
            case REGISTER -> {
                if (f.nth() < 1) {
                    throw bad(f, "nth counts the module's registrations from 1, was " + f.nth());
                }
                yield new BootFault.HcallRegistrationFails(f.module(), f.nth(), errno.orElse(Errno.ENOMEM));
            }
            case LATE -> {
                if (errno.isPresent()) {
                    throw bad(f, "kind = LATE takes no errno: the late modprobe's own errno is in BootReport.lateLoads()");
                }
                yield new BootFault.LoadsLate(f.module());
            }
        };
    }

    private static ExtensionConfigurationException bad(InjectFault f, String why) {
        return new ExtensionConfigurationException("@InjectFault(module = \"" + f.module() + "\", kind = " + f.kind()
                + "): " + why);
    }
}
