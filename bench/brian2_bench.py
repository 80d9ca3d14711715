#!/usr/bin/python3
"""Brian2 reference runs of the two benchmark networks memspike is judged on.

    brian2_bench.py --model cuba|bench4 --mode standalone|cython
                    [--duration-s 1] [--seed 1] [--repeat 1]

Prints one line, for example

    bench=cuba sim=brian2_standalone bio_s=1 wall_s=0.31 total_s=0.52
    spikes=12345 rate_hz=3.09 rate_exc_hz=3.1 rate_inh_hz=3.0 dt_ms=0.1 seed=1

(on one line). wall_s is the time Brian2 itself reports for the simulation
loop (compilation, code generation and network construction excluded);
total_s is the whole timed step: the compiled binary from start to exit
(standalone) or the Network.run() call (cython). See bench/README.md.

The networks (Brette et al. 2007, J Comput Neurosci 23:349, benchmarks 2 and
4; parameters of Brian2's CUBA example):
  4000 LIF neurons, 3200 excitatory and 800 inhibitory, every ordered pair
  connected with p = 0.02 (self-connections allowed, as in Brian2's example),
  tau_m = 20 ms, V_t = -50 mV, V_r = -60 mV, E_l = -49 mV, refractory 5 ms,
  V(0) uniform in [V_r, V_t), no synaptic delay (Brian2 delivers in the next
  time step), dt = 0.1 ms.
  cuba:   dv/dt = (ge + gi - (v - E_l)) / tau_m, dge/dt = -ge/5 ms,
          dgi/dt = -gi/10 ms; a spike adds 1.62 mV to ge (exc) or -9 mV to
          gi (inh).
  bench4: dv/dt = -(v - E_l) / tau_m; a spike makes v jump by +0.25 mV (exc)
          or -2.25 mV (inh); during the first 50 ms every neuron also gets
          its own 100 Hz Poisson input of +10 mV jumps.
A voltage jump onto a refractory neuron is lost: Brian2 2.5.1 holds a
variable marked (unless refractory) at its reset value, synaptic jumps
included (checked here: +2 mV onto a refractory neuron leaves v at V_r), as
memspike's lif_delta and NEST's iaf_psc_delta do.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings

N_EXC = 3200
N_INH = 800
N = N_EXC + N_INH


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=("cuba", "bench4"), required=True)
    ap.add_argument("--mode", choices=("standalone", "cython"),
                    required=True)
    ap.add_argument("--duration-s", type=float, default=1.0,
                    help="biological time in seconds (default 1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1,
                    help="timed runs; the median is reported (default 1)")
    ap.add_argument("--build-dir",
                    help="standalone project directory (default: a "
                    "temporary directory, removed afterwards)")
    return ap.parse_args()


def build_network(b2, model, seed):
    """Create the network objects of one benchmark; returns (objects,
    spike monitor). Uses Brian2's random seed, so two calls with the same
    seed give the same network and initial state."""
    ms, mV = b2.ms, b2.mV
    b2.seed(seed)
    params = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV,
                  Vr=-60 * mV, El=-49 * mV)
    if model == "cuba":
        eqs = """
        dv/dt = (ge + gi - (v - El)) / taum : volt (unless refractory)
        dge/dt = -ge / taue : volt
        dgi/dt = -gi / taui : volt
        """
        on_exc, on_inh = "ge_post += 1.62*mV", "gi_post += -9*mV"
    else:
        eqs = "dv/dt = -(v - El) / taum : volt (unless refractory)"
        on_exc, on_inh = "v_post += 0.25*mV", "v_post += -2.25*mV"
    P = b2.NeuronGroup(N, eqs, threshold="v > Vt", reset="v = Vr",
                       refractory=5 * ms, method="exact", namespace=params,
                       name="neurons")
    P.v = "Vr + rand() * (Vt - Vr)"
    Ce = b2.Synapses(P, P, on_pre=on_exc, name="exc_syn")
    Ce.connect("i < N_EXC", p=0.02, namespace={"N_EXC": N_EXC})
    Ci = b2.Synapses(P, P, on_pre=on_inh, name="inh_syn")
    Ci.connect("i >= N_EXC", p=0.02, namespace={"N_EXC": N_EXC})
    objs = [P, Ce, Ci]
    if model == "bench4":
        objs += poisson_kick(b2, P, seed)
    mon = b2.SpikeMonitor(P, name="spikes")
    objs.append(mon)
    return objs, mon


def poisson_kick(b2, P, seed):
    """The initial drive of benchmark 4: independent 100 Hz Poisson trains,
    one per neuron, for 50 ms, each spike a +10 mV jump. Drawn here as one
    Bernoulli trial per time step with p = rate * dt (exactly what Brian2's
    PoissonGroup does) and played back with a SpikeGeneratorGroup, so the
    drive costs nothing once it is over. Drawn with numpy from seed, as
    b2.seed() does not seed numpy in standalone mode."""
    import numpy as np

    dt_s = float(b2.defaultclock.dt)
    n_steps = int(round(0.050 / dt_s))
    rng = np.random.default_rng(seed)
    hits = rng.random((n_steps, N)) < 100.0 * dt_s
    steps, ids = np.nonzero(hits)
    G = b2.SpikeGeneratorGroup(N, ids, steps * dt_s * b2.second,
                               name="kick")
    S = b2.Synapses(G, P, on_pre="v_post += 10*mV", name="kick_syn")
    S.connect(j="i")
    return [G, S]


def report(args, sim, walls, totals, mon, b2):
    import numpy as np

    wall_s, total_s = float(np.median(walls)), float(np.median(totals))
    idx = np.asarray(mon.i[:])
    n_exc = int(np.count_nonzero(idx < N_EXC))
    n_inh = int(idx.size - n_exc)
    d = args.duration_s
    bio = f"{d:g}"
    print(f"bench={args.model} sim={sim} bio_s={bio} wall_s={wall_s:.3f} "
          f"total_s={total_s:.3f} spikes={idx.size} "
          f"rate_hz={idx.size / (N * d):.3f} "
          f"rate_exc_hz={n_exc / (N_EXC * d):.3f} "
          f"rate_inh_hz={n_inh / (N_INH * d):.3f} "
          f"dt_ms={float(b2.defaultclock.dt) * 1e3:g} seed={args.seed} "
          f"reps={len(walls)} wall_min_s={min(walls):.3f}", flush=True)


def run_standalone(args, b2):
    """Generate and compile once, then run the binary --repeat times; only
    the runs are timed (Brian2's own timers)."""
    own_dir = args.build_dir is None
    directory = args.build_dir or tempfile.mkdtemp(prefix="b2_bench_")
    try:
        b2.set_device("cpp_standalone", build_on_run=False)
        objs, mon = build_network(b2, args.model, args.seed)
        net = b2.Network(objs)
        net.run(args.duration_s * b2.second)
        b2.device.build(directory=directory, compile=True, run=False,
                        with_output=False)
        walls, totals = [], []
        for _ in range(args.repeat):
            b2.device.run(directory, False, [])
            walls.append(b2.device._last_run_time)
            totals.append(b2.device.timers["run_binary"])
        report(args, "brian2_standalone", walls, totals, mon, b2)
    finally:
        if own_dir:
            shutil.rmtree(directory, ignore_errors=True)


def run_cython(args, b2):
    """Warm the Cython cache with a short run of an identical network, then
    time the full run of a fresh network, --repeat times."""
    b2.prefs.codegen.target = "cython"
    objs, _ = build_network(b2, args.model, args.seed)
    b2.Network(objs).run(10 * b2.ms)
    del objs
    walls, totals = [], []
    for _ in range(args.repeat):
        objs, mon = build_network(b2, args.model, args.seed)
        net = b2.Network(objs)
        t0 = time.perf_counter()
        net.run(args.duration_s * b2.second)
        totals.append(time.perf_counter() - t0)
        walls.append(b2.device._last_run_time)
        del net, objs
    report(args, "brian2_cython", walls, totals, mon, b2)


def main():
    args = parse_args()
    if args.duration_s <= 0:
        sys.exit("brian2_bench.py: --duration-s must be > 0")
    if args.repeat < 1:
        sys.exit("brian2_bench.py: --repeat must be >= 1")
    # Debian's pythran and Brian2 print deprecation noise on import.
    warnings.simplefilter("ignore")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    import brian2 as b2

    b2.BrianLogger.log_level_warn()
    b2.prefs.logging.file_log = False
    b2.prefs.logging.delete_log_on_exit = True
    if args.mode == "standalone":
        run_standalone(args, b2)
    else:
        run_cython(args, b2)


if __name__ == "__main__":
    main()
