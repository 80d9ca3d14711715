#!/usr/bin/python3
"""memspike side of the classic pair-STDP sweep (bench/brian2_stdp_sweep.py).

    ms_stdp_sweep.py [--memspike PATH] [--config FILE.yaml] [--pairings 60]
                     [--repeat 1]

Runs `memspike stdp-curve` on the config (default examples/stdp_pair.yaml:
201 points, delta_t from -100 to +100 ms in steps of 1 ms) with its number
of pairings set to --pairings, and prints one line, for example

    bench=stdp_sweep sim=memspike config=examples/stdp_pair.yaml
    points=201 pairings=60 bio_s=59.203 sim_s=0.006 run_s=0.15
    process_s=0.15 process_cpu_s=0.14 dw_err_max=1.1e-16 rule=stdp_pair
    device=ideal reps=1

(on one line), with the keys of brian2_stdp_sweep.py: sim_s is the engine's
wall time as the curve file records it (/memspike/run, wall_time_s); run_s
the memspike process from start to exit (reading the config, the run,
writing the file), process_cpu_s its CPU time (user + system). memspike is
compiled ahead of time, so process_s (compilation included) is run_s. With
--repeat N the medians of N runs are reported. For the default config,
dw_err_max is the largest difference of delta_w from the closed form of
brian2_stdp_sweep.py; for other configs it is nan.
"""

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_CONFIG = os.path.join(ROOT, "examples", "stdp_pair.yaml")
TAU_MS, A_PRE, A_POST, W0 = 20.0, 0.01, -0.0105, 0.5


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--memspike",
                    default=os.path.join(ROOT, "build-bench", "tools",
                                         "memspike"))
    ap.add_argument("--config", default=DEFAULT_CONFIG)
    ap.add_argument("--pairings", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    if args.pairings < 1 or args.repeat < 1:
        sys.exit("ms_stdp_sweep.py: --pairings and --repeat must be >= 1")
    if not os.access(args.memspike, os.X_OK):
        sys.exit(f"ms_stdp_sweep.py: {args.memspike} is not an executable "
                 "(build memspike or pass --memspike)")
    return args


def adapted_config(path, pairings, out_dir):
    """The config with its stdp_curve pairings replaced."""
    with open(path) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^(\s*pairings:\s*)\d+", rf"\g<1>{pairings}",
                      text)
    if n != 1:
        sys.exit(f"ms_stdp_sweep.py: {path}: expected one 'pairings:' "
                 f"line in stdp_curve, found {n}")
    dst = os.path.join(out_dir, "sweep.yaml")
    with open(dst, "w") as f:
        f.write(text)
    return dst


def children_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def closed_form_err(dts, dw, pairings):
    """Largest |delta_w - closed form| (brian2_stdp_sweep.py)."""
    import math

    err = 0.0
    for x, y in zip(dts, dw):
        a = (pairings * A_PRE * math.exp(-x / TAU_MS) if x >= 0 else
             pairings * A_POST * math.exp(x / TAU_MS))
        ref = min(1.0, max(0.0, W0 + a)) - W0
        err = max(err, abs(y - ref))
    return err


def main():
    args = parse_args()
    import h5py

    tmp = tempfile.mkdtemp(prefix="ms_stdp_")
    try:
        cfg = adapted_config(args.config, args.pairings, tmp)
        out = os.path.join(tmp, "curve.h5")
        sims, runs, cpus = [], [], []
        for _ in range(args.repeat):
            c0 = children_cpu_s()
            t0 = time.perf_counter()
            r = subprocess.run([args.memspike, "stdp-curve", cfg, "-o", out],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
            runs.append(time.perf_counter() - t0)
            cpus.append(children_cpu_s() - c0)
            if r.returncode != 0:
                sys.exit(f"ms_stdp_sweep.py: memspike stdp-curve failed "
                         f"({r.returncode}): {r.stderr.strip()}")
            with h5py.File(out, "r") as f:
                run = f["memspike/run"].attrs
                sims.append(float(run["wall_time_s"]))
                bio_s = (float(run["t_stop_ms"]) -
                         float(run["t_start_ms"])) / 1000.0
                st = f["stdp"]
                dts = st["delta_t_ms"][:].tolist()
                dw = st["delta_w"][:].tolist()
                rule = st.attrs["rule"]
                device = st.attrs["device"]
        same = os.path.realpath(args.config) == os.path.realpath(
            DEFAULT_CONFIG)
        err = closed_form_err(dts, dw, args.pairings) if same else \
            float("nan")
        run_s = statistics.median(runs)
        name = os.path.relpath(args.config, ROOT)
        print(f"bench=stdp_sweep sim=memspike config={name} "
              f"points={len(dts)} pairings={args.pairings} bio_s={bio_s:g} "
              f"sim_s={statistics.median(sims):.4f} run_s={run_s:.4f} "
              f"process_s={run_s:.4f} "
              f"process_cpu_s={statistics.median(cpus):.4f} "
              f"dw_err_max={err:.3g} rule={rule} device={device} "
              f"reps={args.repeat}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
