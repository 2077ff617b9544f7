# The package and path renames of the house split (etc/split-moves.txt): sed -i -f etc/split-rename.sed FILES
s#org\.pkvm4j\.host/org\.pkvm4j\.host\.cli\.Main#org.pkvm4j.cli/org.pkvm4j.cli.Main#g
s#org\.pkvm4j\.host\.cli\b#org.pkvm4j.cli#g
s#org\.pkvm4j\.host\.shell\b#org.pkvm4j.cli.shell#g
s#org\.pkvm4j\.host\.explore\b#org.pkvm4j.cli.explore#g
s#org\.pkvm4j\.host\.abi\.\(AbiDiff\|AbiChange\|MemberRules\|MemberShape\|TypeRules\|TypeShape\|AbiInputs\|AbiDiffTest\|AbiDumpTest\|ApiBaselineTest\|ApiJars\)\b#org.pkvm4j.tools.abi.\1#g
s#org\.pkvm4j\.host\.cmdline\.BootConfigException#org.pkvm4j.host.diag.BootConfigException#g
s#host-kernel/src/main/java/org/pkvm4j/host/cli\b#cli/src/main/java/org/pkvm4j/cli#g
s#host-kernel/src/main/java/org/pkvm4j/host/shell\b#cli/src/main/java/org/pkvm4j/cli/shell#g
s#host-kernel/src/main/java/org/pkvm4j/host/explore\b#cli/src/main/java/org/pkvm4j/cli/explore#g
s#host-kernel/src/test/java/org/pkvm4j/host/cli\b#cli/src/test/java/org/pkvm4j/cli#g
s#host-kernel/src/test/java/org/pkvm4j/host/shell\b#cli/src/test/java/org/pkvm4j/cli/shell#g
s#host-kernel/src/test/java/org/pkvm4j/host/explore\b#cli/src/test/java/org/pkvm4j/cli/explore#g
s#host-kernel/src/main/java/org/pkvm4j/host/abi/\(AbiDiff\|AbiChange\|MemberRules\|MemberShape\|TypeRules\|TypeShape\|AbiInputs\)\.java#tools/src/main/java/org/pkvm4j/tools/abi/\1.java#g
s#host-kernel/src/test/java/org/pkvm4j/host/abi/\(AbiDiffTest\|AbiDumpTest\|ApiBaselineTest\|ApiJars\)\.java#tools/src/test/java/org/pkvm4j/tools/abi/\1.java#g
s#host-kernel/src/main/java/org/pkvm4j/host/cmdline/BootConfigException\.java#host-kernel/src/main/java/org/pkvm4j/host/diag/BootConfigException.java#g
