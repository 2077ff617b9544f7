package org.pkvm4j.tools.abi;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.pkvm4j.host.abi.RunningApi;

/**
 * The build's ABI check: the module API just built must have exactly the ABI checked into
 * {@code module-api/abi/}, as Android's KMI monitoring fails a build whose ABI representation
 * differs from the one in the tree. A compatible change is accepted by regenerating the baseline
 * in the same commit; a breaking one breaks every module built against the baseline.
 *
 * <p>It lives in tools because that is where the ABI tools are (docs/adr/0012-house-split.md).
 */
class ApiBaselineTest {
    /** Relative to the repository root, as the accept command writes it. */
    static final String BASELINE = "module-api/abi/org.pkvm4j.api.abi";
    static final String ACCEPT = "./pkvm abi dump -o " + BASELINE;

    @Test
    void theModuleApiMatchesTheBaselineInTheTree() throws Exception {
        Path root = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent();
        Path baseline = root.resolve(BASELINE);
        if (!Files.isRegularFile(baseline)) {
            fail("no ABI baseline at " + baseline + ": create it with " + ACCEPT);
        }
        AbiDiff diff = AbiDiff.compare(AbiInputs.read(baseline), RunningApi.read());
        if (diff.isEmpty()) {
            return;
        }
        StringBuilder message = new StringBuilder("org.pkvm4j.api differs from its ABI baseline ").append(BASELINE)
                .append(" (").append(diff.summary()).append("):\n");
        diff.changes().forEach(c -> message.append("  ").append(c.line()).append('\n'));
        if (diff.isBreaking()) {
            message.append("A BREAKING change breaks every vendor module built against the baseline: revert it,"
                    + " or make it compatible (add, do not change or remove; a default method, not an abstract one, in a"
                    + " vendor-implemented interface; a new constant, not a new value). Only when a new KMI branch"
                    + " starts on purpose, regenerate the baseline: ").append(ACCEPT).append('\n');
        } else {
            message.append("Every change is compatible. To accept it, regenerate the baseline and commit it with the"
                    + " change: ").append(ACCEPT).append('\n');
        }
        fail(message.toString());
    }
}
