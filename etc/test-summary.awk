# test-summary.awk: the summary ./pkvm test prints from Maven's log (see docs/cli.md, "pkvm test").
#   awk -v rc=MAVEN_EXIT_CODE -v logfile=PATH-SHOWN-TO-THE-USER -f etc/test-summary.awk MAVEN-LOG
# Counts Surefire's and Failsafe's closing "Tests run:" line per reactor module and adds up the time
# of its test classes, lists the failing tests and Maven's error lines on a failure, and ends with a
# line CI can count:
#   pkvm test: N passed, N failed, N skipped in T (full log: PATH)
/^\[INFO\] --- (surefire|failsafe):[^ ]+:(test|integration-test) .* @ / {
    module = $NF == "---" ? $(NF - 1) : $NF
    kind = ($3 ~ /^surefire/) ? "unit" : "integration"
    if (!(module in seen)) { seen[module] = 1; order[++modules] = module }
    next
}
# One test class: its time counts for the module.
/^\[(INFO|WARNING|ERROR)\] Tests run: .*, Time elapsed: [0-9.]+ s/ {
    for (i = 1; i < NF; i++) if ($i == "elapsed:") secs[module] += $(i + 1)
    next
}
# The closing line of one plugin run; per-class lines end with "Time elapsed: ... -- in Class".
/^\[(INFO|WARNING|ERROR)\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$/ {
    gsub(/,/, "")
    run = $4; failures = $6; errors = $8; skipped = $10
    tests[module, kind] += run; fail[module] += failures; err[module] += errors; skip[module] += skipped
    total += run; totalFailed += failures + errors; totalSkipped += skipped
    inResults = 0
    next
}
# The Results section of a run: "[ERROR]   CliIT.hvcCallsAModulesHandler:195 expected ..." (three
# spaces); it ends with the run's closing line above.
/^\[INFO\] Results:$/ || /^\[ERROR\] (Failures|Errors): *$/ { inResults = 1; next }
inResults && /^\[ERROR\]   [^ ]/ { failing[++nFailing] = substr($0, 11); next }
/^\[ERROR\] \/.*\.java:\[[0-9]+,[0-9]+\]/ { compile[++nCompile] = substr($0, 9); next }
/^\[ERROR\] Failed to execute goal / { goal[++nGoal] = substr($0, 9); next }
/^\[INFO\] Total time: / { time = $4 " " $5; next }
END {
    if (modules > 0) {
        printf "pkvm test: %-40s %6s %12s %9s %7s %8s %9s\n", "module", "unit", "integration", "failures", "errors", "skipped", "time"
        for (i = 1; i <= modules; i++) {
            m = order[i]
            if (tests[m, "unit"] + tests[m, "integration"] == 0 && fail[m] + err[m] == 0) continue
            printf "           %-40s %6d %12d %9d %7d %8d %7.1f s\n", m, tests[m, "unit"], tests[m, "integration"], fail[m], err[m], skip[m], secs[m]
        }
    }
    if (rc != 0) {
        if (nFailing > 0) {
            print "pkvm test: failing tests:"
            for (i = 1; i <= nFailing && i <= 40; i++) print "  " failing[i]
            if (nFailing > 40) print "  ... and " (nFailing - 40) " more"
        }
        for (i = 1; i <= nCompile && i <= 20; i++) print "pkvm test: " compile[i]
        for (i = 1; i <= nGoal; i++) print "pkvm test: " goal[i]
        if (nFailing + nCompile + nGoal == 0) print "pkvm test: Maven exited with " rc
    }
    printf "pkvm test: %d passed, %d failed, %d skipped in %s (%s; full log: %s)\n", total - totalFailed - totalSkipped,
        totalFailed, totalSkipped, time == "" ? "?" : time, rc == 0 ? "BUILD SUCCESS" : "FAILED", logfile
}
