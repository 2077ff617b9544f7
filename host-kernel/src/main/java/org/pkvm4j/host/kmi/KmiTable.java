package org.pkvm4j.host.kmi;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.pkvm4j.host.abi.ApiReferences.HandlerAbi;

/**
 * One KMI's {@code struct pkvm_module_ops}, member for member, in declaration order: the table kept
 * in the repository as {@code org/pkvm4j/host/kmi/<branch>.md} (a Markdown table, readable on its own).
 *
 * <p>Kernel counterpart: the struct in that branch's {@code asm/kvm_pkvm_module.h}, with the Java
 * {@code ModuleOps} methods that stand for each member. A member is offered by one or more Java
 * methods (an overload that fixes a flag, such as {@code host_donate_hyp} without {@code
 * accept_mmio}), or refused by design with a reason. Rows with slot {@code —} are pkvm4j's own
 * members, with no C member, offered on every KMI.
 *
 * @param kmi the branch
 * @param handlerAbi what {@code dyn_hcall_t} and the callbacks take
 * @param members every row, in declaration order (pkvm4j's own members last)
 */
// "exports": org.pkvm4j.host.abi and .verify are exported to the author tools and the CLI only, which
// are this record's callers.
@SuppressWarnings("exports")
public record KmiTable(Kmi kmi, HandlerAbi handlerAbi, List<Member> members) {
    /** The slot of pkvm4j's own members, which have no C member. */
    public static final String EXTRA = "—";
    private static final String REFUSED = "refused by design:";
    private static final Map<Kmi, KmiTable> TABLES = new EnumMap<>(Kmi.class);
    // Compiled once: a boot parses every row of a table, and a pattern compiled per row was most of
    // the table's first read in a cold JVM (ADR 0018, third session).
    private static final Pattern SLOT = Pattern.compile("[1-9][0-9]*|KABI ([1-9]|[12][0-9]|3[0-2])");
    private static final Pattern NOTE = Pattern.compile("\\[[^]]+]");
    private static final Pattern METHOD = Pattern.compile("[a-z][A-Za-z0-9]*\\(([A-Za-z0-9]+(\\[])*(, [A-Za-z0-9]+(\\[])*)*)?\\)");

    /** Copies the list. */
    public KmiTable {
        members = List.copyOf(members);
    }

    /**
     * One row.
     *
     * @param slot the declaration number ({@code 1}, {@code 2} ...), {@code KABI n} for a used
     *     reserved slot, or {@value #EXTRA} for a pkvm4j member with no C member
     * @param name the C member ({@code host_donate_hyp}), or pkvm4j's description of an extra
     * @param signature the C signature
     * @param java the {@code ModuleOps} methods offering it, as {@code name(type, type)}; empty if refused
     * @param refusal why the member is refused by design, if it is
     */
    public record Member(String slot, String name, String signature, List<String> java, Optional<String> refusal) {
        /** Copies the list. */
        public Member {
            java = List.copyOf(java);
        }

        /** Whether the member sits in a reserved slot ({@code ANDROID_KABI_USE}). */
        public boolean kabi() {
            return slot.startsWith("KABI ");
        }

        /** Whether it is a pkvm4j member with no C member. */
        public boolean extra() {
            return slot.equals(EXTRA);
        }

        /** Whether its presence depends on {@code CONFIG_LIST_HARDENED}. */
        public boolean configDependent() {
            return signature.contains("[CONFIG_LIST_HARDENED]");
        }
    }

    /** The table of {@code kmi}, from this package's resources. */
    static synchronized KmiTable of(Kmi kmi) {
        return TABLES.computeIfAbsent(kmi, k -> {
            String resource = k.branch() + ".md";
            try (InputStream in = KmiTable.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("the pkvm_module_ops table " + resource + " is missing from this build");
                }
                return parse(resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * Parses a table: the {@code kmi:} and {@code handler-abi:} lines, then the Markdown table's rows.
     *
     * @throws IllegalArgumentException naming the line, for a table that is not one
     */
    public static KmiTable parse(String label, String text) {
        Kmi kmi = null;
        HandlerAbi abi = null;
        List<Member> members = new ArrayList<>();
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            try {
                if (line.startsWith("kmi:")) {
                    String branch = line.substring(4).strip();
                    kmi = Kmi.find(branch).orElseThrow(() -> new IllegalArgumentException("unknown KMI " + branch));
                } else if (line.startsWith("handler-abi:")) {
                    abi = HandlerAbi.valueOf(line.substring("handler-abi:".length()).strip().toUpperCase(Locale.ROOT));
                } else if (line.startsWith("|") && !line.startsWith("| slot") && !line.startsWith("|---")) {
                    members.add(row(line));
                }
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(label + " line " + (i + 1) + ": " + e.getMessage() + ": " + line, e);
            }
        }
        if (kmi == null || abi == null || members.isEmpty()) {
            throw new IllegalArgumentException(label + ": a KMI table needs kmi:, handler-abi: and rows");
        }
        return new KmiTable(kmi, abi, members);
    }

    private static Member row(String line) {
        String[] cells = line.substring(1, line.length() - 1).split("\\|", -1);
        if (cells.length != 4) {
            throw new IllegalArgumentException("a row has 4 cells: slot, member, C signature, Java");
        }
        String slot = cells[0].strip();
        if (!slot.equals(EXTRA) && !SLOT.matcher(slot).matches()) {
            throw new IllegalArgumentException("slot " + slot + " is not a number, KABI 1..32 or " + EXTRA);
        }
        String java = cells[3].strip();
        if (java.startsWith(REFUSED)) {
            return new Member(slot, cells[1].strip(), unquote(cells[2]), List.of(),
                    Optional.of(java.substring(REFUSED.length()).strip()));
        }
        List<String> methods = new ArrayList<>();
        for (String m : java.split(";")) {
            // A note in brackets says what an overload fixes: "hostDonateHyp(long, long) [accept_mmio = false]";
            // empty brackets are an array type: "hostDonateSglistHyp(long[])".
            String method = (m.indexOf('[') < 0 ? m : NOTE.matcher(m).replaceAll("")).strip();
            if (!METHOD.matcher(method).matches()) {
                throw new IllegalArgumentException("'" + method + "' is not a Java method as name(type, type)");
            }
            methods.add(method);
        }
        return new Member(slot, cells[1].strip(), unquote(cells[2]), methods, Optional.empty());
    }

    private static String unquote(String cell) {
        String s = cell.strip();
        return s.startsWith("`") && s.endsWith("`") && s.length() > 1 ? s.substring(1, s.length() - 1) : s;
    }

    /** The C members (no pkvm4j extras), in declaration order. */
    public List<Member> cMembers() {
        return members.stream().filter(m -> !m.extra()).toList();
    }

    /** Every {@code ModuleOps} method this KMI offers, as {@code name(type, type)}. */
    public Set<String> javaMethods() {
        // A loop, not a stream: the first boot of a JVM calls this, and each lambda was a class to spin.
        Set<String> methods = new LinkedHashSet<>();
        for (Member m : members) {
            methods.addAll(m.java());
        }
        return methods;
    }

    /** The member that Java method {@code method} ({@code name(type, type)}) stands for in this KMI. */
    public Optional<Member> memberOf(String method) {
        return members.stream().filter(m -> m.java().contains(method)).findFirst();
    }

    /** The C member named {@code name}. */
    public Optional<Member> member(String name) {
        return members.stream().filter(m -> !m.extra() && m.name().equals(name)).findFirst();
    }

    /** How many of the 32 reserved slots the branch has used. */
    public int kabiSlotsUsed() {
        return (int) members.stream().filter(Member::kabi).count();
    }

    /**
     * A method as the tables spell it, {@code name(type, type)} with simple type names, from its
     * name and JVM descriptor; a reflected method's is {@link
     * org.pkvm4j.machine.ModuleOpsMembers#signature}.
     */
    public static String javaSignature(String name, String descriptor) {
        MethodTypeDesc type = MethodTypeDesc.ofDescriptor(descriptor);
        return name + type.parameterList().stream().map(ClassDesc::displayName)
                .collect(Collectors.joining(", ", "(", ")"));
    }

    @Override
    public String toString() {
        return "pkvm_module_ops of " + Objects.toString(kmi);
    }
}
