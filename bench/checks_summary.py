#!/usr/bin/env python3
"""Summarise JMH JSON results of ModuleChecksBench, ColdChecksBench and BootBench (docs/benchmarks.md).

Usage: python3 bench/checks_summary.py RESULT.json [RESULT.json ...]

Several files (for example those of bench/boot-interleaved.sh) are pooled: the forks of the same
benchmark with the same parameters count as one sample.

BenchMain's own summary keys rows by benchmark name, so it does not tell @Param values apart;
this reads the raw data of JMH's JSON result file instead (-rf json -rff FILE) and prints, as
Markdown: medians per module and the check/define ratios; the cold (first call) figures; boot
medians with checks on and off, the growth in percent with a bootstrap 95% interval, and the
boot-step secondary results per boot.
"""
import json
import random
import statistics
import sys

BOOT_TARGET = 0.30


def load(paths):
    """Every run of every file; runs of the same benchmark and parameters are merged (their forks pooled)."""
    merged = {}
    for path in paths:
        with open(path) as f:
            for r in json.load(f):
                key = (r["benchmark"], tuple(sorted(r.get("params", {}).items())))
                if key not in merged:
                    merged[key] = r
                    continue
                into = merged[key]
                into["primaryMetric"]["rawData"].extend(r["primaryMetric"]["rawData"])
                for name, metric in r.get("secondaryMetrics", {}).items():
                    if name in into["secondaryMetrics"]:
                        into["secondaryMetrics"][name]["rawData"].extend(metric["rawData"])
    return list(merged.values())


def short(benchmark):
    cls, method = benchmark.rsplit(".", 1)
    return cls.rsplit(".", 1)[1], method


def flat(raw):
    return [v for fork in raw for v in fork]


def fmt(v):
    a = abs(v)
    return "%.1f" % v if a >= 100 else "%.2f" % v if a >= 10 else "%.3f" % v


def boot_growth_ci(on, off, rounds=2000, seed=4):
    """Bootstrap 95% interval of median(on)/median(off) - 1, resampling the samples of each side."""
    rnd = random.Random(seed)
    growth = []
    for _ in range(rounds):
        a = [rnd.choice(on) for _ in on]
        b = [rnd.choice(off) for _ in off]
        growth.append(statistics.median(a) / statistics.median(b) - 1)
    growth.sort()
    return growth[int(0.025 * rounds)], growth[int(0.975 * rounds) - 1]


def main(paths):
    runs = load(paths)
    checks = {}   # (method, module) -> (median, values, unit)
    cold = {}
    boots = {}    # (method, checks) -> run
    for r in runs:
        cls, method = short(r["benchmark"])
        params = r.get("params", {})
        pm = r["primaryMetric"]
        values = flat(pm["rawData"])
        entry = (statistics.median(values), values, pm["scoreUnit"], r)
        if cls == "ModuleChecksBench":
            checks[(method, params.get("module", "-"))] = entry
        elif cls == "ColdChecksBench":
            cold[(method, params.get("module", "-"))] = entry
        elif cls == "BootBench":
            boots[(method, params.get("checks"))] = entry

    if checks:
        modules = sorted({m for (_, m) in checks if m != "-"})
        print("### ModuleChecksBench (average time per op, median over all iterations of all forks, us)\n")
        print("| Module | el2Verify | abiCheck | defineEl2Layer | defineEl1Layer"
              " | el2Verify / defineEl2Layer | abiCheck / (EL1+EL2 define) | both checks / both defines |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for m in modules:
            try:
                v, a, d2, d1 = (checks[(op, m)][0] for op in ("el2Verify", "abiCheck", "defineEl2Layer", "defineEl1Layer"))
            except KeyError:
                continue
            print("| %s | %s | %s | %s | %s | %.2fx | %.2fx | %.2fx |" % (m, fmt(v), fmt(a), fmt(d2), fmt(d1),
                                                                    v / d2, a / (d1 + d2), (v + a) / (d1 + d2)))
        if ("runningApiRead", "-") in checks:
            med, values, unit, _ = checks[("runningApiRead", "-")]
            print("\nrunningApiRead: median %s %s (min %s, max %s, n = %d)" % (fmt(med), unit, fmt(min(values)),
                                                                          fmt(max(values)), len(values)))
        print("\nAll rows (median, min .. max, n):\n")
        print("| Benchmark | Module | Median | Min .. max | Unit | n |")
        print("|---|---|---:|---:|---|---:|")
        for (op, m), (med, values, unit, _) in sorted(checks.items()):
            print("| %s | %s | %s | %s .. %s | %s | %d |" % (op, m, fmt(med), fmt(min(values)), fmt(max(values)),
                                                          unit, len(values)))
        print()

    if cold:
        print("### ColdChecksBench (first call in a fresh JVM, one shot per fork)\n")
        print("| Benchmark | Module | Median | Min .. max | Unit | forks |")
        print("|---|---|---:|---:|---|---:|")
        for (op, m), (med, values, unit, _) in sorted(cold.items()):
            print("| %s | %s | %s | %s .. %s | %s | %d |" % (op, m, fmt(med), fmt(min(values)), fmt(max(values)),
                                                          unit, len(values)))
        print()

    for method in ("coldBoot", "warmBoot"):
        on, off = boots.get((method, "on")), boots.get((method, "off"))
        if not on or not off:
            continue
        print("### BootBench.%s\n" % method)
        print("| Checks | Median | Min .. max | Unit | n |")
        print("|---|---:|---:|---|---:|")
        for name, e in (("on", on), ("off", off)):
            print("| %s | %s | %s .. %s | %s | %d |" % (name, fmt(e[0]), fmt(min(e[1])), fmt(max(e[1])), e[2], len(e[1])))
        growth = on[0] / off[0] - 1
        lo, hi = boot_growth_ci(on[1], off[1])
        print("\nGrowth with every check on: **%+.1f%%** (medians; bootstrap 95%% interval %+.1f%% .. %+.1f%%);"
              " target < %d%%: %s\n" % (100 * growth, 100 * lo, 100 * hi, 100 * BOOT_TARGET,
                                        "met" if growth < BOOT_TARGET else "MISSED"))
        print("Secondary results, ms per boot (median over %s):\n" % ("forks" if method == "coldBoot" else "iterations"))
        print("| Result | on | off | on - off |")
        print("|---|---:|---:|---:|")
        for key in ("step2HypervisorMs", "step4LoadModulesMs", "loadPkvmDriverMs", "loadKvstoreMs"):
            per = {}
            for name, e in (("on", on), ("off", off)):
                sec = e[3]["secondaryMetrics"]
                if key not in sec or "boots" not in sec:
                    break
                totals = flat(sec[key]["rawData"])
                counts = flat(sec["boots"]["rawData"])
                per[name] = statistics.median(t / c for t, c in zip(totals, counts) if c)
            if len(per) == 2:
                print("| %s | %s | %s | %s |" % (key, fmt(per["on"]), fmt(per["off"]), fmt(per["on"] - per["off"])))
        print()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
