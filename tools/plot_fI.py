#!/usr/bin/python3
"""Firing rate against injected current (f–I curve) from a memspike run.

    plot_fI.py FILE.h5 -o fI.png [--population hh] [--settle MS]
               [--currents PA,PA,...]

Made for files written from examples/hh_fI.yaml, where unit k of one
population receives its own constant current, and usable for any run of
that shape. The current of each unit is recovered from the configuration
text the run stored in /memspike/run/config (docs/formats.md): the
population's I_e parameter plus every `currents` entry that reaches the
unit (docs/config.md), as it stands at the end of the run. The rate is the
number of spikes (/spikes/<pop>) in the sustained part of that final
constant-current interval divided by its length: by default its second half
(for hh_fI.yaml, 500–1000 ms, the measure the example documents), or from
--settle ms after its start. Files without a configuration (runs made
through the C API) need --currents, one value in pA per unit.

The plot has the current in pA below and, for the `hh` model, in µA/cm²
above: the model is stated per area with C_m = 1 µF/cm², so the patch area
is C_m / (1 µF/cm²) and 1 pA/pF is 1 µA/cm² (docs/models.md, hh). Units
that fired only before the window (a transient) are drawn hollow. The
table of currents and rates goes to standard output. Runs headless. Exit
status: 0 written, 1 bad input file or configuration, 2 bad command line.
"""

import argparse
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import h5py  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

PROG = "plot_fI.py"

# Default membrane capacitance (pF) of models stated per area at
# 1 µF/cm², from the model registry (docs/models.md): only these get the
# µA/cm² axis.
PER_AREA_C_M_PF = {"hh": 100.0}

# The quantity grammar of docs/units.md, for the two dimensions needed here.
QUANTITY = re.compile(r"^\s*([+-]?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)"
                      r"\s*([GMkmunpfµμ]?)(A|s|F)\s*$")
PREFIX = {"G": 1e9, "M": 1e6, "k": 1e3, "": 1.0, "m": 1e-3, "u": 1e-6,
          "µ": 1e-6, "μ": 1e-6, "n": 1e-9, "p": 1e-12, "f": 1e-15}
# Base units of docs/units.md: pA, ms, pF.
BASE = {"A": 1e-12, "s": 1e-3, "F": 1e-12}


class InputError(Exception):
    pass


def parse_args(argv):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    ap.add_argument("file", help="HDF5 file written by memspike run")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    ap.add_argument("--population",
                    help="population to plot (default: the only one that "
                    "receives currents)")
    ap.add_argument("--settle", type=float, metavar="MS",
                    help="count spikes from this long after the last change "
                    "of the current (default: half of the final interval)")
    ap.add_argument("--currents", metavar="PA,PA,...",
                    help="current of each unit in pA, instead of the "
                    "configuration stored in the file")
    args = ap.parse_args(argv)
    if args.settle is not None and args.settle < 0:
        ap.error("--settle must be >= 0")
    if args.currents is not None:
        try:
            args.currents = [float(s) for s in args.currents.split(",")
                             if s.strip()]
        except ValueError:
            ap.error(f"--currents: expected comma-separated numbers (pA), "
                     f"got '{args.currents}'")
    return args


def quantity(where, text, symbol):
    """Value in base units of a config quantity such as '300 pA'."""
    m = QUANTITY.match(text) if isinstance(text, str) else None
    if m is None or m.group(3) != symbol:
        raise InputError(f"{where}: expected a quantity in {symbol} "
                         f"(e.g. '300 p{symbol}'), got {text!r}")
    return float(m.group(1)) * PREFIX[m.group(2)] / BASE[symbol]


class Run:
    """What the plot needs from the file."""

    def __init__(self):
        self.t_start = self.t_stop = 0.0
        self.config = ""
        self.models = {}   # population -> model
        self.sizes = {}    # population -> n_nodes
        self.spikes = {}   # population -> (times_ms, node_ids)


def read_file(path):
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise InputError(f"{path}: not a readable HDF5 file ({e})")
    r = Run()
    with f:
        run = f.get("memspike/run")
        if not isinstance(run, h5py.Group) or "t_stop_ms" not in run.attrs:
            raise InputError(f"{path}: no /memspike/run metadata (not a "
                             f"file written by memspike run?)")
        r.t_start = float(run.attrs["t_start_ms"])
        r.t_stop = float(run.attrs["t_stop_ms"])
        if "config" in run:
            r.config = run["config"].asstr()[()]
        for name, g in f.get("memspike/populations", {}).items():
            model = g.attrs.get("model", "")
            r.models[name] = model.decode() if isinstance(model, bytes) \
                else str(model)
            r.sizes[name] = int(g.attrs["n_nodes"])
        for name, g in f.get("spikes", {}).items():
            r.spikes[name] = (g["timestamps"][()].astype(np.float64),
                              g["node_ids"][()].astype(np.int64))
    return r


def config_entries(path, text):
    """(populations, currents) lists of the stored configuration."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise InputError(f"{path}: /memspike/run/config is not valid YAML "
                         f"({e})")
    if not isinstance(doc, dict):
        raise InputError(f"{path}: /memspike/run/config is not a mapping")
    return doc.get("populations") or [], doc.get("currents") or []


def pick_population(path, r, wanted, currents):
    if wanted is not None:
        if wanted not in r.sizes:
            raise InputError(f"{path}: no population {wanted} (present: "
                             f"{', '.join(r.sizes)})")
        return wanted
    targets = sorted({c.get("target") for c in currents
                      if isinstance(c, dict)} - {None})
    if len(targets) == 1:
        return targets[0]
    if len(r.sizes) == 1:
        return next(iter(r.sizes))
    raise InputError(f"{path}: several populations "
                     f"({', '.join(targets or r.sizes)}); choose one with "
                     f"--population")


def unit_currents(path, pop, n, t_stop, populations, currents):
    """(current_pA[n], last_change_ms[n]): each unit's total injected current
    at the end of the run and when it last changed (docs/config.md: I_e plus
    the sum of the piecewise-constant entries; an entry is 0 before its
    first time, `dc` holds from 0 ms)."""
    amp = np.zeros(n)
    since = np.zeros(n)
    for p in populations:
        if isinstance(p, dict) and p.get("name") == pop:
            i_e = (p.get("params") or {}).get("I_e")
            if i_e is not None:
                amp += quantity(f"{path}: config: {pop}: params: I_e", i_e,
                                "A")
    for k, c in enumerate(currents):
        if not isinstance(c, dict) or c.get("target") != pop:
            continue
        where = f"{path}: config: currents[{k}]"
        ids = c.get("ids")
        ids = np.arange(n) if ids is None else np.asarray(ids, dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= n):
            raise InputError(f"{where}: ids outside 0..{n - 1}")
        if "dc" in c:
            amp[ids] += quantity(f"{where}: dc", c["dc"], "A")
            continue
        times = [quantity(f"{where}: times", t, "s")
                 for t in c.get("times") or []]
        amps = [quantity(f"{where}: amplitudes", a, "A")
                for a in c.get("amplitudes") or []]
        if not times or len(times) != len(amps):
            raise InputError(f"{where}: expected dc, or times and "
                             f"amplitudes of equal length")
        started = [j for j, t in enumerate(times) if t < t_stop]
        if started:
            amp[ids] += amps[started[-1]]
            since[ids] = np.maximum(since[ids], times[started[-1]])
    return amp, since


def c_m_pF(path, pop, model, populations):
    """Membrane capacitance of a per-area model (pF), or None."""
    if model not in PER_AREA_C_M_PF:
        return None
    for p in populations:
        if isinstance(p, dict) and p.get("name") == pop:
            c_m = (p.get("params") or {}).get("C_m")
            if c_m is not None:
                return quantity(f"{path}: config: {pop}: params: C_m", c_m,
                                "F")
    return PER_AREA_C_M_PF[model]


def rates(r, pop, since, settle):
    """(rate_Hz, in_window, before_window, window_start) per unit: spikes
    in [start + settle, t_stop) of its final constant-current interval."""
    n = r.sizes[pop]
    seg0 = np.maximum(since, r.t_start)
    w0 = seg0 + (settle if settle is not None else (r.t_stop - seg0) / 2)
    t, ids = r.spikes[pop]
    inside = np.zeros(n, dtype=np.int64)
    before = np.zeros(n, dtype=np.int64)
    for i in range(n):
        ti = t[ids == i]
        inside[i] = np.count_nonzero((ti >= w0[i]) & (ti < r.t_stop))
        before[i] = np.count_nonzero(ti < w0[i])
    length_s = (r.t_stop - w0) / 1000.0
    return inside / length_s, inside, before, w0


def plot(path, pop, amp, rate, before, c_m, out):
    """Rate against current. Only the firing units are joined by a line:
    a class 2 neuron jumps from 0 to a finite rate, and a line down to the
    silent units would draw rates that do not exist."""
    fig, ax = plt.subplots(figsize=(8, 5))
    firing = rate > 0
    order = np.argsort(amp[firing], kind="stable")
    ax.plot(amp[firing][order], rate[firing][order], "o-", color="C0",
            lw=1, label="firing in the window")
    kinds = ((~firing & (before > 0), "o", "transient only (spikes before "
              "the window)"),
             (~firing & (before == 0), "s", "no spike"))
    for sel, marker, label in kinds:
        if np.any(sel):
            ax.plot(amp[sel], rate[sel], marker, mfc="white", color="C0",
                    linestyle="none", clip_on=False, label=label)
    ax.set_xlabel("injected current (pA)")
    ax.set_ylabel("rate (Hz)")
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=min(0.0, float(amp.min())))
    ax.grid(alpha=0.3)
    if c_m is not None:
        top = ax.secondary_xaxis("top", functions=(lambda i: i / c_m,
                                                   lambda j: j * c_m))
        top.set_xlabel("current density (µA/cm²)")
    ax.legend(loc="lower right", fontsize="small")
    ax.set_title(f"{os.path.basename(path)}: {pop}", fontsize="medium")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main(argv):
    args = parse_args(argv)
    try:
        r = read_file(args.file)
        populations, currents = [], []
        if args.currents is None:
            if not r.config.strip():
                raise InputError(f"{args.file}: no configuration text in "
                                 f"/memspike/run/config; give the currents "
                                 f"with --currents")
            populations, currents = config_entries(args.file, r.config)
        pop = pick_population(args.file, r, args.population, currents)
        n = r.sizes[pop]
        if pop not in r.spikes:
            raise InputError(f"{args.file}: spikes of {pop} not recorded "
                             f"(no /spikes/{pop})")
        if args.currents is not None:
            if len(args.currents) != n:
                raise InputError(f"--currents: {len(args.currents)} values "
                                 f"for {n} units of {pop}")
            amp, since = np.asarray(args.currents), np.zeros(n)
        else:
            amp, since = unit_currents(args.file, pop, n, r.t_stop,
                                       populations, currents)
        rate, inside, before, w0 = rates(r, pop, since, args.settle)
        if np.any(w0 >= r.t_stop):
            raise InputError(f"{args.file}: the counting window starts at "
                             f"{w0.max():g} ms, after the end of the run "
                             f"({r.t_stop:g} ms); lower --settle")
        c_m = c_m_pF(args.file, pop, r.models.get(pop), populations)
        plot(args.file, pop, amp, rate, before, c_m, args.output)
    except InputError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"{PROG}: {args.output}: cannot write ({e.strerror or e})",
              file=sys.stderr)
        return 1
    dens = "  uA/cm2" if c_m is not None else ""
    print(f"unit   current_pA{dens}  window_ms        spikes  rate_Hz")
    for i in np.argsort(amp, kind="stable"):
        d = f"  {amp[i] / c_m:7.3f}" if c_m is not None else ""
        print(f"{i:4d}  {amp[i]:11.3f}{d}  {w0[i]:7.1f}-{r.t_stop:<7g}"
              f" {inside[i]:6d}  {rate[i]:7.2f}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
