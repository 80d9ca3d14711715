#!/usr/bin/python3
"""Brian2 side of the classic pair-STDP sweep (issue 4, Speed).

    brian2_stdp_sweep.py [--pairings 60] [--frequency-hz 1] [--repeat 1]
                         [--build-dir DIR]

Prints one line, for example

    bench=stdp_sweep sim=brian2_standalone points=201 pairings=60
    bio_s=59.203 sim_s=0.91 run_s=1.05 process_s=16.2 process_cpu_s=14.1
    compile_s=11.3
    dw_err_max=1.1e-16 dt_ms=0.1 reps=1

(on one line). sim_s is the simulation loop as Brian2 reports it; run_s
the compiled binary from start to exit (compilation excluded); process_s
this whole process from its start to the end of the first run: importing
Brian2, generating and compiling the C++ project, and running it
(compilation included), process_cpu_s the CPU time (user + system) of
this process and its children (the compiler, the binary) by then;
compile_s the 'make' step alone. With --repeat N
the binary runs N times and sim_s and run_s are medians. dw_err_max is the
largest difference from the closed form below over the points.

The protocol is that of `memspike stdp-curve` on examples/stdp_pair.yaml
(engine/config.c, stdp_spikes): 201 points, delta_t = t_post - t_pre from
-100 to +100 ms in steps of 1 ms, one synapse per point between its own pre
and post spike generators, pairings at the given frequency; pairing m of
every point has its pre spike reach the synapse at t_m = 101 ms + m /
frequency and the post spike at t_m + delta_t. The rule is the classic
trace form of pair STDP of Brian2's documentation (Song, Miller & Abbott
2000), all-to-all traces, additive, w clipped to [0, 1]:
    tau_pre = tau_post = 20 ms, A_pre = 0.01, A_post = -0.0105,
    on pre:  a_pre += A_pre;  w = clip(w + a_post, 0, 1)
    on post: a_post += A_post; w = clip(w + a_pre, 0, 1)
from w = 0.5, dt = 0.1 ms (every spike time is on the grid). Brian2 runs
the pre pathway first within a step, so delta_t = 0 potentiates, as in
memspike. Pairings 1 s apart interact by e^{-45} or less, so every pairing
adds A e^{-|delta_t|/20 ms} and the closed form is
    w_end = clip(0.5 + n A_pre e^{-delta_t/20}, 0, 1)       (delta_t >= 0)
    w_end = clip(0.5 + n A_post e^{delta_t/20}, 0, 1)       (delta_t < 0)
(60 pairings take the weights near delta_t = 0 to the bounds).
"""

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import warnings  # noqa: E402

TAU_MS = 20.0
A_PRE, A_POST = 0.01, -0.0105
W0 = 0.5
FIRST_MS = 101.0  # the first pairing's arrival time (memspike's start)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairings", type=int, default=60)
    ap.add_argument("--frequency-hz", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=1,
                    help="timed runs of the binary; medians reported")
    ap.add_argument("--build-dir",
                    help="standalone project directory (default: a "
                    "temporary directory, removed afterwards)")
    args = ap.parse_args()
    if args.pairings < 1 or args.repeat < 1:
        sys.exit("brian2_stdp_sweep.py: --pairings and --repeat must be "
                 ">= 1")
    if not 0 < args.frequency_hz <= 5:
        sys.exit("brian2_stdp_sweep.py: --frequency-hz must be in (0, 5] "
                 "(pairings must not overlap a 100 ms delta_t)")
    return args


def spikes(np, args):
    """Delta_t (ms) of the points and the spike times (ms) of the pre and
    post generators, unit k being point k."""
    dts = np.arange(-100, 101, dtype=float)
    period = 1000.0 / args.frequency_hz
    t_m = FIRST_MS + period * np.arange(args.pairings)
    ids = np.tile(np.arange(dts.size), args.pairings)
    pre_t = np.repeat(t_m, dts.size)
    post_t = pre_t + np.tile(dts, args.pairings)
    return dts, ids, pre_t, post_t


def cpu_s():
    """User + system time of this process and its waited-for children."""
    t = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        t += r.ru_utime + r.ru_stime
    return t


def closed_form(np, dts, n):
    dw = np.where(dts >= 0, n * A_PRE * np.exp(-dts / TAU_MS),
                  n * A_POST * np.exp(dts / TAU_MS))
    return np.clip(W0 + dw, 0.0, 1.0) - W0


def main():
    args = parse_args()
    warnings.simplefilter("ignore")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    import numpy as np
    import brian2 as b2

    b2.BrianLogger.log_level_warn()
    b2.prefs.logging.file_log = False
    b2.prefs.logging.delete_log_on_exit = True
    own_dir = args.build_dir is None
    directory = args.build_dir or tempfile.mkdtemp(prefix="b2_stdp_")
    try:
        b2.set_device("cpp_standalone", build_on_run=False)
        ms = b2.ms
        dts, ids, pre_t, post_t = spikes(np, args)
        n = dts.size
        pre = b2.SpikeGeneratorGroup(n, ids, pre_t * ms, name="pre")
        post = b2.SpikeGeneratorGroup(n, ids, post_t * ms, name="post")
        S = b2.Synapses(
            pre, post,
            model="""w : 1
                     dapre/dt = -apre / taupre : 1 (event-driven)
                     dapost/dt = -apost / taupost : 1 (event-driven)""",
            on_pre="""apre += Apre
                      w = clip(w + apost, 0, 1)""",
            on_post="""apost += Apost
                       w = clip(w + apre, 0, 1)""",
            namespace=dict(taupre=TAU_MS * ms, taupost=TAU_MS * ms,
                           Apre=A_PRE, Apost=A_POST),
            name="stdp")
        S.connect(j="i")
        S.w = W0
        bio_ms = float(max(pre_t.max(), post_t.max())) + 2.0
        net = b2.Network(pre, post, S)
        net.run(bio_ms * ms)
        b2.device.build(directory=directory, compile=True, run=False,
                        with_output=False)
        sims, runs = [], []
        process_s = process_cpu_s = None
        for _ in range(args.repeat):
            b2.device.run(directory, False, [])
            sims.append(b2.device._last_run_time)
            runs.append(b2.device.timers["run_binary"])
            if process_s is None:
                process_s = time.perf_counter() - T_START
                process_cpu_s = cpu_s()
        compile_s = b2.device.timers["compile"].get("make", float("nan"))
        w = np.asarray(S.w[:])
        err = float(np.max(np.abs((w - W0) - closed_form(np, dts,
                                                          args.pairings))))
        print(f"bench=stdp_sweep sim=brian2_standalone points={n} "
              f"pairings={args.pairings} bio_s={bio_ms / 1000:g} "
              f"sim_s={float(np.median(sims)):.4f} "
              f"run_s={float(np.median(runs)):.4f} "
              f"process_s={process_s:.3f} "
              f"process_cpu_s={process_cpu_s:.3f} compile_s={compile_s:.3f} "
              f"dw_err_max={err:.3g} "
              f"dt_ms={float(b2.defaultclock.dt / ms):g} "
              f"reps={args.repeat}", flush=True)
    finally:
        if own_dir:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
