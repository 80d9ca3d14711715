#!/usr/bin/python3
"""Paired, alternated timing of memspike against Brian2 standalone.

    alternate.py [--model cuba|bench4|coba|cobahh|hh1] [--duration-s 1]
                 [--rounds 9] [--seed 1]
                 [--ms-bench build-bench/bench/ms_bench]

On a shared machine the time of one command drifts by 10-20 % within
minutes, so timing one simulator after the other compares the machine's
moods as much as the simulators. Here Brian2's project is generated and
compiled once (brian2_bench.py --build-dir), then each round runs its binary
and then ms_bench, so that both see the same conditions; the ratio is
taken per round and over the medians.

Brian2's time is that of its compiled binary from start to exit, measured
around the process as Brian2 itself does (device.timers['run_binary']);
memspike's is ms_bench's total_s (creating the network to closing the
output file, spikes recorded). One line per round, then a summary line:

    bench=cuba mode=alternated bio_s=1 rounds=9 brian2_s=0.152
    memspike_s=0.072 ratio=2.11 ratio_round_median=2.12 ratio_q1=2.08
    ratio_q3=2.15 ratio_min=2.05 ratio_max=2.20 seed=1

(each on one line), with medians of the rounds; ratio is Brian2's median
time over memspike's; the others describe the per-round ratios (median,
quartiles, extremes), which a drift of the machine during the series
disturbs less.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="cuba",
                    choices=["cuba", "bench4", "coba", "cobahh", "hh1"])
    ap.add_argument("--duration-s", default="1")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--ms-bench", default=os.path.join(
        HERE, "..", "build-bench", "bench", "ms_bench"))
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if not os.access(args.ms_bench, os.X_OK):
        ap.error(f"{args.ms_bench}: not an executable (build it with "
                 "bench/run.sh or meson compile)")

    tmp = tempfile.mkdtemp(prefix="ms_alternate_")
    try:
        project = os.path.join(tmp, "b2")
        # Generate and compile once (this also runs the binary once).
        subprocess.run([sys.executable, os.path.join(HERE, "brian2_bench.py"),
                        "--model", args.model, "--mode", "standalone",
                        "--duration-s", args.duration_s, "--seed", args.seed,
                        "--build-dir", project],
                       check=True, stdout=subprocess.DEVNULL)
        out_h5 = os.path.join(tmp, "ms.h5")
        b2, ms, ratios = [], [], []
        for r in range(args.rounds):
            t0 = time.perf_counter()
            subprocess.run(["./main"], cwd=project, check=True,
                           stdout=subprocess.DEVNULL)
            tb = time.perf_counter() - t0
            line = subprocess.run(
                [args.ms_bench, args.model, "--duration-s", args.duration_s,
                 "--seed", args.seed, "-o", out_h5],
                check=True, capture_output=True, text=True).stdout
            tm = float(re.search(r"total_s=([0-9.]+)", line).group(1))
            b2.append(tb)
            ms.append(tm)
            ratios.append(tb / tm)
            print(f"bench={args.model} mode=alternated bio_s={args.duration_s}"
                  f" round={r + 1} brian2_s={tb:.4f} memspike_s={tm:.4f}"
                  f" ratio={tb / tm:.3f}", flush=True)
        mb, mm = statistics.median(b2), statistics.median(ms)
        # Quartiles of the per-round ratios (one round: that ratio).
        q1, q3 = (statistics.quantiles(ratios, n=4)[0::2]
                  if len(ratios) > 1 else (ratios[0], ratios[0]))
        print(f"bench={args.model} mode=alternated bio_s={args.duration_s}"
              f" rounds={args.rounds} brian2_s={mb:.4f} memspike_s={mm:.4f}"
              f" ratio={mb / mm:.3f} ratio_round_median="
              f"{statistics.median(ratios):.3f} ratio_q1={q1:.3f}"
              f" ratio_q3={q3:.3f} ratio_min={min(ratios):.3f}"
              f" ratio_max={max(ratios):.3f} seed={args.seed}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
