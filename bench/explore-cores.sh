#!/usr/bin/env bash
# Boots per second of `pkvm explore` on one core and on two, in cold JVMs, interleaved (ADR 0019).
#   bench/explore-cores.sh [ROUNDS] [EXTRA EXPLORE ARGS...]
# Each round runs, one after the other: the exploration pinned to CPU 0 with --jobs 1, then on CPUs
# 0-1 with --jobs 2 (taskset). Prints each run's timing line and the medians. Needs ./pkvm built
# (run ./pkvm --help once) and taskset. Log4j and the AOT cache as ./pkvm has them.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/etc/jdk25.sh"
image="$root/dist/target/pkvm4j"
rounds=${1:-3}
shift || true
modules=pkvm_driver,kvstore,percpu_counter
# As ./pkvm runs it: from the AOT cache its build trained, if there is one (PKVM4J_AOT=0: without).
aot=()
if [ "${PKVM4J_AOT:-1}" != 0 ] && [ -f "$image/pkvm4j.aot" ]; then
    aot=(-XX:AOTCache="$image/pkvm4j.aot" -Xlog:aot=off -Xlog:cds=off)
fi
run() { # $1: CPU list; $2: jobs; the rest: explore arguments
    local cpus=$1 jobs=$2
    shift 2
    taskset -c "$cpus" "$JAVA_HOME/bin/java" \
        --illegal-native-access=deny --sun-misc-unsafe-memory-access=deny \
        ${aot[@]+"${aot[@]}"} \
        -Dlog4j.provider=org.apache.logging.log4j.simple.internal.SimpleProvider \
        -Dorg.apache.logging.log4j.simplelog.level=OFF -Dpkvm4j.log.level=off \
        -Dpkvm4j.hypervisor="$image/hyp/pkvm4j-hypervisor.jar" -Dpkvm4j.initramfs="$image/initramfs" \
        --module-path "$image/lib" --add-modules ALL-MODULE-PATH \
        -m org.pkvm4j.cli/org.pkvm4j.cli.Main explore --modules "$modules" --jobs "$jobs" --json "$@" 2>&1 >/dev/null \
        | grep 'boots in'
}
one=() two=()
for r in $(seq "$rounds"); do
    l1=$(run 0 1 "$@"); echo "round $r, 1 core:  $l1 (load $(cut -d' ' -f1 /proc/loadavg))"
    l2=$(run 0-1 2 "$@"); echo "round $r, 2 cores: $l2 (load $(cut -d' ' -f1 /proc/loadavg))"
    one+=("$(sed -E 's/.*: ([0-9.]+) boots\/s.*/\1/' <<<"$l1")")
    two+=("$(sed -E 's/.*: ([0-9.]+) boots\/s.*/\1/' <<<"$l2")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
m1=$(median "${one[@]}") m2=$(median "${two[@]}")
echo "median boots/s: 1 core $m1, 2 cores $m2 ($(awk -v a="$m1" -v b="$m2" 'BEGIN {printf "%.2f", b/a}')x)"
