#!/usr/bin/python3
"""Spike raster of a SONATA/HDF5 spike file, with a population-rate strip.

    plot_raster.py FILE.h5 -o raster.png [--t0 MS] [--t1 MS]
                   [--populations a,b] [--bin MS]

Reads /spikes/<population>/{timestamps,node_ids} (docs/formats.md). Each
population gets its own band of rows, stacked from the bottom in file order
(or in the order given by --populations), its own colour and a legend entry.
The strip below shows each population's mean firing rate per neuron in bins
of --bin ms. Runs headless. Exit status: 0 written, 1 bad input file or
population, 2 bad command line.
"""

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import h5py  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

PROG = "plot_raster.py"

# Seconds are the only other time unit SONATA writers use for spikes.
TIME_SCALE_TO_MS = {"ms": 1.0, "s": 1000.0}


class InputError(Exception):
    pass


def parse_args(argv):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    ap.add_argument("file", help="HDF5 file with a /spikes group")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    ap.add_argument("--t0", type=float, help="start of the window (ms)")
    ap.add_argument("--t1", type=float, help="end of the window (ms)")
    ap.add_argument("--populations",
                    help="comma-separated populations (default: all)")
    ap.add_argument("--bin", type=float, dest="bin_ms",
                    help="rate-strip bin width in ms (default: window/100)")
    args = ap.parse_args(argv)
    if args.t0 is not None and args.t1 is not None and args.t1 <= args.t0:
        ap.error(f"--t1 ({args.t1:g}) must be greater than --t0 "
                 f"({args.t0:g})")
    if args.bin_ms is not None and args.bin_ms <= 0:
        ap.error("--bin must be > 0")
    return args


def time_scale(path, name, ds):
    """Factor that turns the timestamps of ds into ms."""
    units = ds.attrs.get("units", b"ms")
    if isinstance(units, bytes):
        units = units.decode()
    units = str(units).strip()
    if units not in TIME_SCALE_TO_MS:
        raise InputError(f"{path}: /spikes/{name}/timestamps: units "
                         f"'{units}' not understood (expected ms or s)")
    return TIME_SCALE_TO_MS[units]


def read_population(path, f, name):
    """(times_ms, node_ids) of one population, checked for shape."""
    grp = f["spikes"][name]
    if not isinstance(grp, h5py.Group):
        raise InputError(f"{path}: /spikes/{name} is not a group")
    for key in ("timestamps", "node_ids"):
        if key not in grp:
            raise InputError(f"{path}: /spikes/{name}/{key} is missing")
    ts, ids = grp["timestamps"], grp["node_ids"]
    if ts.shape != ids.shape or len(ts.shape) != 1:
        raise InputError(f"{path}: /spikes/{name}: timestamps {ts.shape} "
                         f"and node_ids {ids.shape} must be 1-D and of "
                         f"equal length")
    t = ts[()].astype(np.float64) * time_scale(path, name, ts)
    return t, ids[()].astype(np.int64)


def n_nodes(f, name, ids):
    """Population size: memspike's /memspike/populations/<pop>@n_nodes when
    the file has it (docs/formats.md), else highest spiking id + 1."""
    grp = f.get(f"memspike/populations/{name}")
    if grp is not None and "n_nodes" in grp.attrs:
        return int(grp.attrs["n_nodes"])
    return int(ids.max()) + 1 if ids.size else 1


def run_interval(f):
    """(t_start_ms, t_stop_ms) of a memspike run, or (None, None)."""
    run = f.get("memspike/run")
    if run is None or "t_stop_ms" not in run.attrs:
        return None, None
    return float(run.attrs["t_start_ms"]), float(run.attrs["t_stop_ms"])


def load(path, wanted):
    """({population: (times_ms, node_ids)} in display order,
    {population: size}, (t_start_ms, t_stop_ms) or (None, None))."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise InputError(f"{path}: not a readable HDF5 file ({e})")
    with f:
        if "spikes" not in f or not isinstance(f["spikes"], h5py.Group):
            raise InputError(f"{path}: no /spikes group (expected "
                             f"/spikes/<population>/timestamps and "
                             f"node_ids)")
        present = list(f["spikes"].keys())
        if not present:
            raise InputError(f"{path}: /spikes has no population")
        names = present
        if wanted:
            names = [p.strip() for p in wanted.split(",") if p.strip()]
            missing = [p for p in names if p not in present]
            if missing:
                raise InputError(f"{path}: no population {', '.join(missing)}"
                                 f" under /spikes (present: "
                                 f"{', '.join(present)})")
        pops = {p: read_population(path, f, p) for p in names}
        sizes = {p: n_nodes(f, p, ids) for p, (_, ids) in pops.items()}
        return pops, sizes, run_interval(f)


def rate_histogram(t, n, t0, t1, bin_ms):
    """Mean firing rate per unit (Hz) of n units whose spike times (ms) are
    t, in consecutive bins of bin_ms from t0; the last bin ends at t1 and
    may be shorter. Returns (edges, rate) with len(edges) = len(rate) + 1."""
    n_bins = max(1, int(np.ceil((t1 - t0) / bin_ms - 1e-9)))
    edges = np.minimum(t0 + bin_ms * np.arange(n_bins + 1), t1)
    counts, _ = np.histogram(t, bins=edges)
    return edges, counts / (np.diff(edges) * 1e-3 * n)


def plot(path, pops, sizes, interval, t0, t1, bin_ms, out):
    all_t = [t for t, _ in pops.values() if t.size]
    if t0 is None:
        t0 = interval[0] if interval[0] is not None else min(
            (float(t.min()) for t in all_t), default=0.0)
    if t1 is None:
        t1 = interval[1] if interval[1] is not None else max(
            (float(t.max()) for t in all_t), default=t0 + 1.0)
    if t1 <= t0:
        t1 = t0 + 1.0
    if bin_ms is None:
        bin_ms = (t1 - t0) / 100.0

    fig, (ax, axr) = plt.subplots(2, 1, sharex=True, figsize=(10, 6),
                                  gridspec_kw={"height_ratios": [4, 1]})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    n_shown = sum(int(np.count_nonzero((t >= t0) & (t <= t1)))
                  for t, _ in pops.values())
    # Ticks stay readable up to a few tens of thousands of spikes; beyond,
    # single pixels, so that dense populations do not turn into solid ink.
    marker = {"marker": "|", "markersize": 3, "markeredgewidth": 0.6} \
        if n_shown <= 30000 else {"marker": ",", "markersize": 1}
    base = 0
    for k, (name, (t, ids)) in enumerate(pops.items()):
        colour = colours[k % len(colours)]
        n_rows = sizes[name]
        sel = (t >= t0) & (t <= t1)
        ts, ys = t[sel], ids[sel] + base
        ax.plot(ts, ys, linestyle="none", color=colour, rasterized=True,
                label=f"{name} ({ts.size} spikes)", **marker)
        edges, rate = rate_histogram(ts, n_rows, t0, t1, bin_ms)
        axr.stairs(rate, edges, color=colour, lw=1)
        base += n_rows
    ax.set_ylim(-0.5, base - 0.5)
    ax.set_xlim(t0, t1)
    ax.set_ylabel("neuron (stacked by population)")
    ax.set_title(os.path.basename(path))
    # Legend from top to bottom in the order the bands are stacked.
    handles, labels = ax.get_legend_handles_labels()
    leg = ax.legend(handles[::-1], labels[::-1], loc="upper right",
                    fontsize="small")
    for handle in leg.legend_handles if hasattr(leg, "legend_handles") \
            else leg.legendHandles:
        handle.set_marker("s")
        handle.set_markersize(6)
    axr.set_xlabel("time (ms)")
    axr.set_ylabel("rate (Hz)")
    axr.set_ylim(bottom=0)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main(argv):
    args = parse_args(argv)
    try:
        pops, sizes, interval = load(args.file, args.populations)
        plot(args.file, pops, sizes, interval, args.t0, args.t1, args.bin_ms,
             args.output)
    except InputError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"{PROG}: {args.output}: cannot write ({e.strerror or e})",
              file=sys.stderr)
        return 1
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
