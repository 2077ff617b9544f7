package org.pkvm4j.host.kmi;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.abi.ApiReferences;
import org.pkvm4j.host.abi.ApiReferences.HandlerAbi;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Printable;
import org.pkvm4j.host.diag.Refusal;

/**
 * The load-time KMI checks of a module, before any of its classes is defined: built for the
 * device's KMI, handlers of that KMI's ABI, and only members that KMI has.
 *
 * <p>Kernel counterpart: {@code check_modinfo()}'s vermagic comparison ("version magic '...' should
 * be '...'", {@code -ENOEXEC}), and the link of a C module against {@code struct pkvm_module_ops}:
 * a C module built for one branch reaches members by offset, so a member its branch lacks does not
 * even compile. pkvm4j's one {@code ModuleOps} interface holds every branch's members; the table of
 * the module's KMI ({@link KmiTable}) decides which of them it may use.
 */
public final class KmiCheck {
    /** The {@code ModuleOps} interface, binary name. */
    static final String MODULE_OPS = "org.pkvm4j.api.el2.ModuleOps";

    private KmiCheck() {
    }

    /**
     * The KMI a module records ({@code kmi=} in its modinfo); empty when it records none.
     *
     * @throws PkvmException {@code ENOEXEC} for a KMI this kernel does not know
     */
    public static Optional<Kmi> recorded(String module, String kmi) {
        if (kmi == null || kmi.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Kmi.find(kmi).orElseThrow(() -> new Refusal(ErrorCode.LOAD_KMI_MISMATCH, Errno.ENOEXEC, module
                + ": modinfo kmi=" + Printable.of(kmi) + " is not a KMI this kernel knows (" + Kmi.names() + ")")));
    }

    /**
     * Checks a module built for {@code built} against a device booted as {@code device} (empty
     * offline: then only against its own KMI).
     *
     * <p>A module that records no KMI was built before KMI records existed, when pkvm4j had one
     * {@code ModuleOps} for every handler shape: it is link-checked against the device's KMI (the
     * default one offline) and its handlers may take either shape, as they could then.
     *
     * @throws PkvmException {@code ENOEXEC} ({@code PKVM-LOAD-KMI-MISMATCH}) for another KMI;
     *     {@code ENOEXEC} ({@code PKVM-LOAD-KMI-MEMBER}) for handlers of another ABI; {@code ENOENT}
     *     ({@code PKVM-LOAD-KMI-MEMBER}) for a {@code ModuleOps} member the KMI lacks
     */
    @SuppressWarnings("exports") // ApiReferences: org.pkvm4j.host.abi is exported to the tools and the CLI only
    public static void check(String module, Optional<Kmi> built, Optional<Kmi> device, ApiReferences refs) {
        if (built.isPresent() && device.isPresent() && device.get() != built.get()) {
            throw new Refusal(ErrorCode.LOAD_KMI_MISMATCH, Errno.ENOEXEC, module + ": KMI '" + built.get().branch()
                    + "' should be '" + device.get().branch() + "' (the module was built for another kernel: each KMI is"
                    + " a fresh pkvm_module_ops layout)");
        }
        Kmi kmi = built.or(() -> device).orElse(Kmi.DEFAULT);
        KmiTable table = kmi.table();
        if (built.isPresent()) {
            for (HandlerAbi abi : refs.handlerAbis()) {
                if (abi != table.handlerAbi()) {
                    throw new Refusal(ErrorCode.LOAD_KMI_MEMBER, Errno.ENOEXEC, module + ": its EL2 handlers take "
                            + abi.word() + ", but KMI " + kmi.branch() + "'s dyn_hcall_t takes " + table.handlerAbi().word());
                }
            }
        }
        Set<String> offered = table.javaMethods();
        for (ApiReferences.MemberRef ref : refs.members()) {
            if (!ref.method() || !ref.owner().equals(MODULE_OPS)) {
                continue;
            }
            String method = KmiTable.javaSignature(ref.name(), ref.descriptor());
            // Not a member of any KMI (Object's methods through the interface): the ABI check and the EL2 rules judge it.
            if (EveryKmi.METHODS.contains(method) && !offered.contains(method)) {
                throw new Refusal(ErrorCode.LOAD_KMI_MEMBER, Errno.ENOENT, module + ": Unknown symbol " + MODULE_OPS + "."
                        + Printable.of(method) + " (used by " + Printable.of(ref.from()) + "): " + why(kmi, method));
            }
        }
    }

    /** The Java methods any KMI's table names, read once (the tables are resources of this jar). */
    private static final class EveryKmi {
        static final Set<String> METHODS = Stream.of(Kmi.values()).flatMap(k -> k.table().javaMethods().stream())
                .collect(Collectors.toUnmodifiableSet());
    }

    /** Why {@code built} lacks {@code method}: no such member, or the member has another shape there. */
    static String why(Kmi built, String method) {
        KmiTable table = built.table();
        Optional<KmiTable.Member> elsewhere = List.of(Kmi.values()).reversed().stream()
                .flatMap(k -> k.table().memberOf(method).stream()).findFirst();
        if (elsewhere.isEmpty()) {
            return "no KMI has it";
        }
        String member = elsewhere.get().name();
        Optional<KmiTable.Member> here = table.member(member);
        if (here.isEmpty()) {
            return "KMI " + built.branch() + " has no pkvm_module_ops member " + member;
        }
        if (here.get().refusal().isPresent()) {
            return "KMI " + built.branch() + "'s " + member + " is refused by design: " + here.get().refusal().get();
        }
        return "KMI " + built.branch() + "'s " + member + " is " + here.get().signature() + ": use "
                + String.join(" or ", here.get().java());
    }
}
