#!/usr/bin/env bash
# boot-interleaved.sh: BootBench with checks on and off in alternating JMH runs, so that load from
# other jobs on a shared machine falls on both sides alike (docs/benchmarks.md, "Load-time checks").
# A single `./pkvm bench BootBench` runs every fork with checks on, then every fork with checks off.
#
#   bench/boot-interleaved.sh [OUT-DIR] [COLD-ROUNDS] [WARM-ROUNDS]
#
# Cold: COLD-ROUNDS (default 10) rounds of 3 forks per side, one boot per fresh JVM.
# Warm: WARM-ROUNDS (default 3) rounds of 1 fork per side (5 warm-up + 6 measured 1 s iterations).
# The order within a round alternates (on,off then off,on). Prints checks_summary.py's tables.
# Runs the benchmark jar as it is: build it first (./pkvm bench -l, or
# ./mvnw -Dmaven.test.skip=true package -pl bench -am), and the device image (-pl dist -am).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/etc/jdk25.sh"
out=${1:-$root/bench/target/boot-interleaved}
cold_rounds=${2:-10}
warm_rounds=${3:-3}
# PKVM4J_BENCH_JAR: another copy of the jar; PKVM4J_BENCH_JMH_ARGS: more JMH arguments (split on spaces).
jar=${PKVM4J_BENCH_JAR:-$root/bench/target/pkvm4j-benchmarks.jar}
read -r -a extra <<< "${PKVM4J_BENCH_JMH_ARGS:-}"
[ -f "$jar" ] || { echo "boot-interleaved: $jar is missing; run ./pkvm bench -l first" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out"/*.json
: > "$out/load.txt"

run() { # $1 benchmark, $2 checks, $3 forks, $4 file stem
    echo "$4 checks=$2 start: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/load.txt"
    "$JAVA_HOME/bin/java" --sun-misc-unsafe-memory-access=allow -jar "$jar" "BootBench.$1" \
        -p checks="$2" -f "$3" ${extra[@]+"${extra[@]}"} -rf json -rff "$out/$4-$2.json" > "$out/$4-$2.log" 2>&1 \
        || { echo "boot-interleaved: $4 checks=$2 failed, see $out/$4-$2.log" >&2; exit 1; }
}

for ((i = 1; i <= cold_rounds; i++)); do
    if ((i % 2)); then order="on off"; else order="off on"; fi
    for c in $order; do run coldBoot "$c" 3 "cold-$i"; done
done
for ((i = 1; i <= warm_rounds; i++)); do
    if ((i % 2)); then order="on off"; else order="off on"; fi
    for c in $order; do run warmBoot "$c" 1 "warm-$i"; done
done
python3 "$root/bench/checks_summary.py" "$out"/*.json
