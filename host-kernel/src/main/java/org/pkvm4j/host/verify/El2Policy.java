package org.pkvm4j.host.verify;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What EL2 code may reference: ordered {@code allow} / {@code deny} rules, first match wins,
 * anything no rule matches is refused with {@value #DEFAULT_REASON}.
 *
 * <p>Kernel counterpart: the hypervisor's build rules ({@code arch/arm64/kvm/hyp/nvhe/Makefile},
 * {@code hyp/Makefile.module}), which link EL2 objects against the hypervisor's module interface
 * only and redefine {@code EXPORT_SYMBOL_GPL} as an error at EL2. The rules are data: the bundled
 * {@value #BUNDLED} (a resource of this package, whose header documents the format), or any file of
 * the same format given to {@code pkvm verify --policy}. An {@code El2Policy} is immutable.
 */
public final class El2Policy {
    /** The bundled policy's resource name, next to this class. */
    public static final String BUNDLED = "el2-policy.conf";
    /** Why a reference no rule matches is refused. */
    public static final String DEFAULT_REASON = "EL2 code may reference only org.pkvm4j.api and the java.base allowlist";

    /** What a rule is about; every kind but {@link #REFERENCE} is written {@code <name>} in a policy. */
    public enum Kind {
        /** A class or member a class file names: {@code OWNER.MEMBER(DESCRIPTOR)}. */
        REFERENCE(""),
        /** The bootstrap method of an {@code invokedynamic} or a dynamic constant. */
        BOOTSTRAP("<bootstrap>"),
        /** A {@code synchronized} method or block; takes no pattern. */
        MONITOR("<monitor>"),
        /** A {@code native} method the module declares; takes no pattern. */
        NATIVE("<native>"),
        /** A {@code finalize()} the module declares; takes no pattern. */
        FINALIZER("<finalizer>");

        private final String token;

        Kind(String token) {
            this.token = token;
        }

        /** How the kind is written in a policy file ({@code ""} for a plain reference). */
        public String token() {
            return token;
        }

        /** Whether rules of this kind take a pattern. */
        public boolean hasPattern() {
            return this == REFERENCE || this == BOOTSTRAP;
        }
    }

    /**
     * One rule.
     *
     * @param line its line in the policy file, from 1
     * @param allow {@code allow} or {@code deny}
     * @param kind what it is about
     * @param pattern its pattern ({@code ""} for kinds without one)
     * @param reason why it denies ({@code ""} for {@code allow})
     */
    public record Rule(int line, boolean allow, Kind kind, String pattern, String reason) {
        /** The rule as a policy line. */
        @Override
        public String toString() {
            String head = (allow ? "allow" : "deny") + (kind.token().isEmpty() ? "" : " " + kind.token())
                    + (pattern.isEmpty() ? "" : " " + pattern);
            return allow ? head : head + " : " + reason;
        }
    }

    /**
     * The outcome for one subject.
     *
     * @param allowed whether it may be referenced
     * @param reason why not ({@code ""} when allowed)
     * @param line the deciding rule's line, 0 when no rule matched
     */
    public record Decision(boolean allowed, String reason, int line) {
    }

    private final String source;
    private final List<Rule> rules;
    private final List<PolicyPattern> patterns;

    El2Policy(String source, List<Rule> rules) {
        this.source = source;
        this.rules = List.copyOf(rules);
        List<PolicyPattern> compiled = new ArrayList<>(this.rules.size());
        for (Rule rule : this.rules) {
            compiled.add(PolicyPattern.compile(rule.pattern()));
        }
        this.patterns = compiled;
    }

    /** The bundled policy, parsed once. */
    public static El2Policy bundled() {
        return Bundled.POLICY;
    }

    /**
     * Reads a policy file.
     *
     * @throws IOException if it cannot be read
     * @throws IllegalArgumentException naming the file and line of the first malformed rule
     */
    public static El2Policy read(Path file) throws IOException {
        return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    /**
     * Parses policy text.
     *
     * @param source what to call it in error messages
     * @throws IllegalArgumentException {@code "SOURCE line N: ..."} for the first malformed rule
     */
    public static El2Policy parse(String source, String text) {
        return new El2Policy(source, PolicyParser.parse(source, text));
    }

    /** Decides a subject of {@code kind}: the first rule of that kind whose pattern matches, else refused. */
    public Decision decide(Kind kind, String subject) {
        Objects.requireNonNull(subject);
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            if (rule.kind() == kind && (!kind.hasPattern() || patterns.get(i).matches(subject))) {
                return new Decision(rule.allow(), rule.reason(), rule.line());
            }
        }
        return new Decision(false, DEFAULT_REASON, 0);
    }

    /** The rules, in order. */
    public List<Rule> rules() {
        return rules;
    }

    /** Where the rules came from. */
    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return "El2Policy[" + source + ", " + rules.size() + " rules]";
    }

    /** Parses the bundled policy on first use; a broken bundled policy is a build error. */
    private static final class Bundled {
        static final El2Policy POLICY = load();

        private static El2Policy load() {
            try (InputStream in = El2Policy.class.getResourceAsStream(BUNDLED)) {
                if (in == null) {
                    throw new IllegalStateException("the host-kernel jar lacks its " + BUNDLED);
                }
                return parse("bundled " + BUNDLED, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the bundled " + BUNDLED, e);
            }
        }
    }
}
