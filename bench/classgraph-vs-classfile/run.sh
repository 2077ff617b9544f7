#!/usr/bin/env bash
# ADR 0012: the JDK's Class-File API against ClassGraph 4.8.200, reading the module API jar (what
# `pkvm abi dump` reads) and the bundled modules' EL1 and EL2 jars (what modprobe's checks read),
# cold: a fresh JVM per run, RUNS runs of each, interleaved, medians. Needs a built tree
# (./mvnw -DskipTests package) and ClassGraph in ~/.m2 (./mvnw dependency:get
# -Dartifact=io.github.classgraph:classgraph:4.8.200). ClassGraph is never a dependency of the build.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/etc/jdk25.sh"
runs=${RUNS:-11}
cg="$HOME/.m2/repository/io/github/classgraph/classgraph/4.8.200/classgraph-4.8.200.jar"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$JAVA_HOME/bin/javac" -cp "$cg" -d "$work" "$root/bench/classgraph-vs-classfile/ReadJars.java"
api=$(ls "$root"/module-api/target/pkvm4j-module-api-*.jar | grep -v -e sources -e javadoc | head -1)
mods=$(ls "$root"/vendor-modules/*/el1/target/*-el1-*.jar "$root"/vendor-modules/*/hyp/target/*-hyp-*.jar \
    "$root"/vendor-modules/hello-el1/target/hello-el1-*.jar | grep -v -e sources -e javadoc)
for i in $(seq "$runs"); do
    for mode in jdk classgraph; do
        echo "api $("$JAVA_HOME/bin/java" -cp "$work:$cg" ReadJars "$mode" "$api")"
        # shellcheck disable=SC2086
        echo "modules $("$JAVA_HOME/bin/java" -cp "$work:$cg" ReadJars "$mode" $mods)"
    done
done | sort -k1,2 -k3n | awk '
    { k = $1 " " $2; n[k]++; v[k, n[k]] = $3; lines[k] = $5 }
    END { for (k in n) { c = n[k]; m = c % 2 ? v[k, (c + 1) / 2] : (v[k, c / 2] + v[k, c / 2 + 1]) / 2
          printf "%-18s median %6.1f ms over %d cold runs (%s listing lines)\n", k, m, c, lines[k] } }' | sort
