package org.pkvm4j.cli.shell;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.loader.LeakReport;
import org.pkvm4j.host.loader.Unloaded;

/**
 * {@code rmmod NAME}: unloads an ordinary EL1 module, then waits (bounded) for its layer and class
 * loader to be collected; a layer that survives the wait is a leak, reported with what holds it,
 * and fails the command.
 *
 * @param name the module
 * @param releaseWait how long to wait for the layer to go
 */
public record Rmmod(String name, Duration releaseWait) implements ShellCommand {
    /** How long the shell waits for an unloaded module's layer to be collected. */
    public static final Duration RELEASE_WAIT = Duration.ofSeconds(5);

    private static final Logger LOG = LogManager.getLogger();

    static Rmmod parse(List<String> args) {
        return new Rmmod(Commands.oneArgument("rmmod", "NAME", args), RELEASE_WAIT);
    }

    @Override
    public Outcome run(HostKernel kernel, Outcome last) {
        long start = System.nanoTime();
        Unloaded u = kernel.rmmod(name);
        String done = u.name() + ": unloaded" + (u.devices().isEmpty() ? "" : ", /dev/" + String.join(", /dev/", u.devices())
                + " removed") + u.exitFailure().map(f -> ", its exit hook threw " + f).orElse("");
        Optional<LeakReport> leak = u.release().await(releaseWait);
        if (leak.isPresent()) {
            kernel.log().warn(LOG, "{}", leak.get().describe());
            return Outcome.failed(done + "\nLEAK: " + leak.get().describe());
        }
        return Outcome.ok(done + ", layer released (%.1f ms)".formatted((System.nanoTime() - start) / 1e6));
    }
}
