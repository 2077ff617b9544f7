package org.pkvm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.pkvm4j.cli.explore.Exploration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pkvm explore merge}: joins the {@code --json} results of every shard of one exploration
 * into the document the run would have printed unsharded, byte for byte.
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Merge the --json results of every shard of one exploration (pkvm explore --shard I/N --json)"
                + " into the JSON one unsharded run prints."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:merged; every boot came to an outcome", "1:merged; a boot failed unexpectedly",
                "2:usage error: the files are not every shard of one exploration, each once"})
final class ExploreMergeCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "SHARD.json", description = "The shards' results, in any order.")
    private List<Path> files;

    @Override
    public Integer call() {
        List<Exploration> shards = new ArrayList<>();
        Exploration merged;
        try {
            for (Path f : files) {
                shards.add(ExploreJsonReader.read(f));
            }
            merged = Exploration.merge(shards);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        ExploreJson.write(out, merged);
        out.flush();
        return merged.errors().isEmpty() ? 0 : Main.FAILED;
    }
}
