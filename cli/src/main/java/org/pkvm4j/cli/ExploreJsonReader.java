package org.pkvm4j.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.pkvm4j.api.Errno;
import org.pkvm4j.cli.explore.BootOutcome;
import org.pkvm4j.cli.explore.Exploration;
import org.pkvm4j.cli.explore.Explorer;
import org.pkvm4j.cli.explore.OrderReduction;
import org.pkvm4j.cli.explore.Shard;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.FaultPlan;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * Reads back what {@link ExploreJson} wrote, for {@code pkvm explore merge}: the document as a
 * tree of maps, lists, strings, longs, booleans and nulls, then the exploration. Timings are not
 * in the document and come back as zero.
 */
final class ExploreJsonReader {
    private static final JsonFactory FACTORY = new JsonFactory();

    private ExploreJsonReader() {
    }

    /**
     * The exploration in {@code file}.
     *
     * @throws IllegalArgumentException naming the file if it cannot be read or is not an exploration
     */
    static Exploration read(Path file) {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8); JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), in)) {
            p.nextToken();
            Object tree = value(p);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("more than one JSON document");
            }
            return exploration(map(tree));
        } catch (IOException | JacksonException | ClassCastException | NullPointerException | IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": not a pkvm explore --json document: " + e.getMessage(), e);
        }
    }

    private static Object value(JsonParser p) {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    m.put(name, value(p));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(value(p));
                }
                return l;
            }
            case VALUE_STRING -> {
                return p.getString();
            }
            case VALUE_NUMBER_INT -> {
                return p.getLongValue();
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return t == JsonToken.VALUE_TRUE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new IllegalArgumentException("unexpected " + t);
        }
    }

    private static Exploration exploration(Map<String, Object> d) {
        List<String> modules = strings(d.get("modules"));
        Set<BootFault.Kind> kinds = EnumSet.noneOf(BootFault.Kind.class);
        strings(d.get("faultKinds")).forEach(k -> kinds.add(BootFault.Kind.parse(k)));
        int orders = integer(d.get("orders"));
        List<FaultPlan> faults = new ArrayList<>();
        for (Object plan : list(d.get("faults"))) {
            List<BootFault> fs = new ArrayList<>();
            for (Object f : list(plan)) {
                fs.add(fault(map(f)));
            }
            faults.add(new FaultPlan(fs));
        }
        Shard shard = d.containsKey("shard") ? Shard.parse((String) d.get("shard")) : Shard.ALL;
        List<Explorer.Run> runs = new ArrayList<>();
        for (Object b : list(d.get("boots"))) {
            Map<String, Object> boot = map(b);
            int index = integer(boot.get("index"));
            FaultPlan fault = faults.get(index / orders);
            if (!fault.toString().equals(boot.get("fault"))) {
                throw new IllegalArgumentException("boot " + index + " names fault '" + boot.get("fault") + "', the fault points say '"
                        + fault + "'");
            }
            Optional<BootOutcome> outcome = boot.containsKey("outcome") ? Optional.of(outcome(map(boot.get("outcome"))))
                    : Optional.empty();
            Optional<String> error = Optional.ofNullable((String) boot.get("error"));
            OptionalInt sameAs = boot.get("sameAs") == null ? OptionalInt.empty() : OptionalInt.of(integer(boot.get("sameAs")));
            runs.add(new Explorer.Run(index, fault, strings(boot.get("order")), outcome, error,
                    OrderReduction.Reason.parse((String) boot.get("reduction")), sameAs));
        }
        return new Exploration(modules, kinds, orders, faults, integer(d.get("planned")), integer(d.get("explored")),
                (Boolean) d.get("exhaustive"), shard, runs, 0, 0, 0);
    }

    private static BootFault fault(Map<String, Object> f) {
        String module = (String) f.get("module");
        return switch (BootFault.Kind.parse((String) f.get("kind"))) {
            case EL1_INIT -> new BootFault.El1InitFails(module, errno(f.get("errno")));
            case EL2_INIT -> new BootFault.El2InitFails(module, errno(f.get("errno")));
            case REGISTER -> new BootFault.HcallRegistrationFails(module, integer(f.get("call")), errno(f.get("errno")));
            case LATE -> new BootFault.LoadsLate(module);
        };
    }

    private static BootOutcome outcome(Map<String, Object> o) {
        Map<String, Integer> answering = new LinkedHashMap<>();
        map(o.get("hvcsAnswering")).forEach((m, n) -> answering.put(m, integer(n)));
        Map<String, String> late = new LinkedHashMap<>();
        map(o.get("lateLoads")).forEach((m, r) -> late.put(m, (String) r));
        return new BootOutcome((String) o.get("security"), Optional.ofNullable((String) o.get("failedModule")),
                Optional.ofNullable(o.get("errno")).map(ExploreJsonReader::errno), answering, integer(o.get("strayHvcs")),
                (Boolean) o.get("pvmAllowed"), Optional.ofNullable(o.get("pvmErrno")).map(ExploreJsonReader::errno), late);
    }

    private static Errno errno(Object name) {
        return Errno.valueOf((String) name);
    }

    private static int integer(Object n) {
        return Math.toIntExact((Long) n);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) java.util.Objects.requireNonNull(o, "a member is missing");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return (List<Object>) java.util.Objects.requireNonNull(o, "a member is missing");
    }

    private static List<String> strings(Object o) {
        return list(o).stream().map(String.class::cast).toList();
    }
}
