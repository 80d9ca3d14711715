#!/usr/bin/python3
"""Brian2 reference runs of the two benchmark networks memspike is judged on.

    brian2_bench.py --model cuba|bench4|coba|cobahh|hh1
                    --mode standalone|cython
                    [--duration-s 1] [--seed 1] [--repeat 1]
                    [--reference FILE.csv]

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

The conductance-based networks (benchmarks 1 and 3), 4000 neurons, 3200 exc
/ 800 inh, p = 0.02 (self-connections allowed), conductance jumps of 6 nS
(exc) and 67 nS (inh), E_e = 0, E_i = -80 mV, tau_e = 5, tau_i = 10 ms, no
external input; the initial state is that of examples/coba.yaml and
cobahh.yaml: V uniform in [-74, -56) mV, g_e in [14, 66) nS, g_i in
[0, 400) nS (Brian2's COBAHH example draws normals with about these means
and spreads, --normal-init).
  coba:   LIF, C = 200 pF, g_L = 10 nS, E_L = -60, V_t = -50, V_r = -60 mV,
          refractory 5 ms (v held), forward Euler at dt = 0.1 ms (Brian2's
          choice for these non-linear equations).
  cobahh: Brian2's COBAHH example (Traub-Miles HH, 20000 um^2), threshold
          v > -20 mV, refractory 3 ms (threshold only), exponential Euler at
          dt = 0.1 ms.
The single-neuron benchmark:
  hh1:    one Hodgkin-Huxley neuron (modern convention, 6.3 degrees C,
          /work/shared/reference/README.md) from rest under 10 uA/cm^2,
          classical RK4 at dt = 0.01 ms, spike = first step with v > 0 mV
          (refractory while v > 0 mV). spike_err_ms is the largest
          |spike time - reference| over the reference's spikes (--reference,
          default ../shared/reference/hh_I10_spikes.csv); spike_err_interp_ms
          the same with the crossing interpolated linearly between the last
          two steps (v at both recorded by the SpikeMonitor).
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
MODELS = ("cuba", "bench4", "coba", "cobahh", "hh1")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=MODELS, required=True)
    ap.add_argument("--mode", choices=("standalone", "cython"),
                    required=True)
    ap.add_argument("--duration-s", type=float, default=1.0,
                    help="biological time in seconds (default 1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1,
                    help="timed runs; the median is reported (default 1)")
    ap.add_argument("--normal-init", action="store_true",
                    help="coba/cobahh: Brian2 COBAHH's normal initial "
                    "state instead of the uniform one")
    ap.add_argument("--reference", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
        "reference", "hh_I10_spikes.csv"),
        help="hh1: reference spike times (one per line, # comments)")
    ap.add_argument("--build-dir",
                    help="standalone project directory (default: a "
                    "temporary directory, removed afterwards)")
    return ap.parse_args()


def build_network(b2, model, seed, normal_init=False):
    """Create the network objects of one benchmark; returns (objects,
    spike monitor). Uses Brian2's random seed, so two calls with the same
    seed give the same network and initial state."""
    ms, mV = b2.ms, b2.mV
    b2.seed(seed)
    if model in ("coba", "cobahh"):
        return build_cond_network(b2, model, normal_init)
    if model == "hh1":
        return build_hh1(b2)
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


def build_cond_network(b2, model, normal_init):
    """COBA (benchmark 1) or COBAHH (benchmark 3) with conductance jumps
    of 6 nS and 67 nS; see the module docstring."""
    ms, mV, nS, pF = b2.ms, b2.mV, b2.nS, b2.pF
    params = dict(El=-60 * mV, Ee=0 * mV, Ei=-80 * mV, taue=5 * ms,
                  taui=10 * ms, Cm=200 * pF, gl=10 * nS, Vt=-50 * mV,
                  Vr=-60 * mV, EK=-90 * mV, ENa=50 * mV, VT=-63 * mV,
                  g_na=20000 * nS, g_kd=6000 * nS)
    syn = """
    dge/dt = -ge / taue : siemens
    dgi/dt = -gi / taui : siemens
    """
    if model == "coba":
        eqs = """
        dv/dt = (gl*(El-v) + ge*(Ee-v) + gi*(Ei-v)) / Cm
                : volt (unless refractory)
        """ + syn
        P = b2.NeuronGroup(N, eqs, threshold="v > Vt", reset="v = Vr",
                           refractory=5 * ms, method="euler",
                           namespace=params, name="neurons")
    else:
        eqs = """
        dv/dt = (gl*(El-v) + ge*(Ee-v) + gi*(Ei-v)
                 - g_na*(m*m*m)*h*(v-ENa) - g_kd*(n*n*n*n)*(v-EK)) / Cm
                : volt
        dm/dt = alpha_m*(1-m) - beta_m*m : 1
        dn/dt = alpha_n*(1-n) - beta_n*n : 1
        dh/dt = alpha_h*(1-h) - beta_h*h : 1
        alpha_m = 0.32*(mV**-1)*(13*mV-v+VT)/
                  (exp((13*mV-v+VT)/(4*mV))-1.)/ms : Hz
        beta_m = 0.28*(mV**-1)*(v-VT-40*mV)/
                 (exp((v-VT-40*mV)/(5*mV))-1)/ms : Hz
        alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
        beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
        alpha_n = 0.032*(mV**-1)*(15*mV-v+VT)/
                  (exp((15*mV-v+VT)/(5*mV))-1.)/ms : Hz
        beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
        """ + syn
        P = b2.NeuronGroup(N, eqs, threshold="v > -20*mV",
                           refractory=3 * ms, method="exponential_euler",
                           namespace=params, name="neurons")
    if normal_init:
        P.v = "El + (randn() * 5 - 5)*mV"
        P.ge = "(randn() * 1.5 + 4) * 10.*nS"
        P.gi = "(randn() * 12 + 20) * 10.*nS"
    else:
        P.v = "-74*mV + rand() * 18*mV"
        P.ge = "14*nS + rand() * 52*nS"
        P.gi = "rand() * 400*nS"
    # cobahh: the gates start at 0, as in Brian2's example (and in
    # examples/cobahh.yaml).
    Ce = b2.Synapses(P, P, on_pre="ge_post += 6*nS", name="exc_syn")
    Ce.connect("i < N_EXC", p=0.02, namespace={"N_EXC": N_EXC})
    Ci = b2.Synapses(P, P, on_pre="gi_post += 67*nS", name="inh_syn")
    Ci.connect("i >= N_EXC", p=0.02, namespace={"N_EXC": N_EXC})
    mon = b2.SpikeMonitor(P, name="spikes")
    return [P, Ce, Ci, mon], mon


def build_hh1(b2):
    """One HH neuron (modern convention, per cm^2) under 10 uA/cm^2 from
    rest, RK4 at dt = 0.01 ms; the monitor keeps v and its value one step
    earlier at each spike, for the interpolated crossing."""
    ms, mV = b2.ms, b2.mV
    b2.defaultclock.dt = 0.01 * ms
    params = dict(Cm=1 * b2.ufarad / b2.cm ** 2, gna=120 * b2.msiemens /
                  b2.cm ** 2, gk=36 * b2.msiemens / b2.cm ** 2,
                  gl=0.3 * b2.msiemens / b2.cm ** 2, ENa=50 * mV,
                  EK=-77 * mV, El=-54.387 * mV,
                  I=10 * b2.uamp / b2.cm ** 2)
    eqs = """
    dv/dt = (I - gna*m**3*h*(v-ENa) - gk*n**4*(v-EK) - gl*(v-El)) / Cm
            : volt
    dm/dt = alpha_m*(1-m) - beta_m*m : 1
    dh/dt = alpha_h*(1-h) - beta_h*h : 1
    dn/dt = alpha_n*(1-n) - beta_n*n : 1
    alpha_m = 0.1/mV*(v+40*mV)/(1-exp(-(v+40*mV)/(10*mV)))/ms : Hz
    beta_m = 4*exp(-(v+65*mV)/(18*mV))/ms : Hz
    alpha_h = 0.07*exp(-(v+65*mV)/(20*mV))/ms : Hz
    beta_h = 1/(1+exp(-(v+35*mV)/(10*mV)))/ms : Hz
    alpha_n = 0.01/mV*(v+55*mV)/(1-exp(-(v+55*mV)/(10*mV)))/ms : Hz
    beta_n = 0.125*exp(-(v+65*mV)/(80*mV))/ms : Hz
    vlast : volt
    """
    P = b2.NeuronGroup(1, eqs, threshold="v > 0*mV", refractory="v > 0*mV",
                       method="rk4", namespace=params, name="neurons")
    P.v = -65 * mV
    P.m = "alpha_m / (alpha_m + beta_m)"
    P.h = "alpha_h / (alpha_h + beta_h)"
    P.n = "alpha_n / (alpha_n + beta_n)"
    P.vlast = -65 * mV
    P.run_regularly("vlast = v", when="end", name="keep_v")
    mon = b2.SpikeMonitor(P, variables=["v", "vlast"], name="spikes")
    return [P, mon], mon


def read_reference(path):
    """Spike times (ms) from a reference CSV: numbers, one per line."""
    out = []
    with open(path) as f:
        for line in f:
            try:
                out.append(float(line.split(",")[0]))
            except ValueError:
                pass
    return out


def hh1_errors(args, mon, b2):
    """Largest |t - reference| over the reference's spikes: raw (grid)
    and linearly interpolated between the last two steps."""
    import numpy as np

    ref = np.asarray(read_reference(args.reference))
    t = np.asarray(mon.t[:] / b2.ms)
    v = np.asarray(mon.v[:] / b2.mV)
    v0 = np.asarray(mon.vlast[:] / b2.mV)
    dt = float(b2.defaultclock.dt / b2.ms)
    # The spike of the step from t to t + dt is recorded at t; v0 is V(t),
    # v is V(t + dt).
    ti = t + dt * (0.0 - v0) / (v - v0)
    n = min(len(ref), len(t))
    if n == 0:
        return float("nan"), float("nan"), 0
    return (float(np.max(np.abs(t[:n] - ref[:n]))),
            float(np.max(np.abs(ti[:n] - ref[:n]))), n)


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
    if args.model == "hh1":
        e_raw, e_int, n_ref = hh1_errors(args, mon, b2)
        d = args.duration_s
        print(f"bench=hh1 sim={sim} bio_s={d:g} wall_s={wall_s:.4f} "
              f"total_s={total_s:.4f} spikes={idx.size} "
              f"rate_hz={idx.size / d:.3f} spike_err_ms={e_raw:.3g} "
              f"spike_err_interp_ms={e_int:.3g} ref_spikes={n_ref} "
              f"method=rk4 dt_ms={float(b2.defaultclock.dt) * 1e3:g} "
              f"reps={len(walls)} wall_min_s={min(walls):.4f}", flush=True)
        return
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
        objs, mon = build_network(b2, args.model, args.seed,
                                  args.normal_init)
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
    objs, _ = build_network(b2, args.model, args.seed,
                            args.normal_init)
    b2.Network(objs).run(10 * b2.ms)
    del objs
    walls, totals = [], []
    for _ in range(args.repeat):
        objs, mon = build_network(b2, args.model, args.seed,
                                  args.normal_init)
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
