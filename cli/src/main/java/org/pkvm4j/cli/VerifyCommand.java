package org.pkvm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.verify.El2Allowlist;
import org.pkvm4j.tools.abi.ApiLocation;
import org.pkvm4j.tools.verify.VerifyReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pkvm verify MODULE-FILE [--allowlist FILE]}: the checks the loader runs before defining
 * any class, offline, with every EL2 code violation listed rather than the first: class, method,
 * bytecode offset and line, the kind of reference and the member referenced.
 *
 * <p>Kernel counterpart: building a module against the hyp {@code Makefile.module} rules, which
 * fail the link of any EL2 object naming a symbol EL2 may not use.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check a vendor module file as modprobe would before loading it: its descriptors and EL2"
                + " symbols, then its EL2 code against the EL2 allow-list (what EL2 classes may reference).",
                "Prints one line per violation."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the module passes", "1:violations found, or not a module file",
                "2:usage error (bad option, unreadable or malformed allow-list)"})
final class VerifyCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "MODULE-FILE", description = "A vendor module file (<name>.jar).")
    private Path file;

    @Option(names = "--allowlist", paramLabel = "FILE",
            description = "An EL2 allow-list to use instead of the bundled el2-allowlist.conf (same format).")
    private Path allowlistFile;

    @Option(names = "--json", description = "Print the checks and every violation, with their codes, as one JSON document.")
    private boolean json;

    @Override
    public Integer call() {
        El2Allowlist allowlist = VerifyReport.allowlist(allowlistFile);
        ModuleFile module = ModuleFile.read(file);
        PrintWriter out = spec.commandLine().getOut();
        VerifyReport report;
        try {
            report = VerifyReport.of(module, ApiLocation.running(), allowlist);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the running org.pkvm4j.api", e);
        }
        if (json) {
            JsonReports.verify(out, report);
            return report.passed() ? 0 : Main.FAILED;
        }
        for (VerifyReport.Step st : report.steps()) {
            // A refusal reads "EPERM: module: why", as the loader logs it, then its code.
            out.println(st.refusal() == null ? st.detail()
                    : st.refusal().getMessage() + " [" + ErrorCode.ofLoad(st.refusal()).code() + "]");
        }
        report.violations().forEach(v -> out.println(v + " [" + v.code().code() + "]"));
        out.println(report.el2Summary());
        out.flush();
        return report.passed() ? 0 : Main.FAILED;
    }
}
