#!/usr/bin/python3
"""State-variable traces of a memspike/SONATA report file, spikes marked.

    plot_traces.py FILE.h5 -o traces.png [--var V_m[,U_m]]
                   [--populations a,b] [--ids 0,3] [--t0 MS] [--t1 MS]

Reads the sampled reports (docs/formats.md): every recorded variable of a
population from /memspike/report/<pop>/<var>/, or, in a plain SONATA file,
the one variable in /report/<pop>/. Draws one panel per population and
variable, stacked with populations in name order, each one's first
recorded variable first (or in the order given by --populations and
--var), time in ms on a shared axis, the variable in the unit stored in
the file. Spikes of the plotted units (/spikes/<pop>, if recorded) are
marked with a triangle at the top of each panel of their population, in
the colour of the unit's trace. Long traces are reduced to their minimum
and maximum per pixel column, so spike peaks are kept. Runs headless.
Prints one line per panel. Exit status: 0 written, 1 bad input file,
population, variable or unit, 2 bad command line.
"""

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import h5py  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

PROG = "plot_traces.py"

# Seconds are the only other time unit SONATA writers use.
TIME_SCALE_TO_MS = {"ms": 1.0, "s": 1000.0}

# Points per line beyond which a trace is drawn as a min/max envelope: a
# 1000-pixel-wide figure cannot show more, and matplotlib slows down.
MAX_BUCKETS = 4000

# Units listed in a legend; more lines than this make it unreadable.
MAX_LEGEND = 10


class InputError(Exception):
    pass


class Panel:
    """One recorded variable of one population, restricted to the window
    and to the chosen units."""

    def __init__(self, pop, var, units, t, values, ids):
        self.pop, self.var, self.units = pop, var, units
        self.t = t            # sample times (ms), [F]
        self.values = values  # [F, len(ids)]
        self.ids = ids        # node ids, column order
        self.spikes = {}      # node id -> spike times (ms) in the window


def csv_list(text):
    return [s.strip() for s in text.split(",") if s.strip()]


def parse_args(argv):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    ap.add_argument("file", help="HDF5 file with a /report group")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    ap.add_argument("--var", help="comma-separated variables (default: all)")
    ap.add_argument("--populations",
                    help="comma-separated populations (default: all with "
                    "a report)")
    ap.add_argument("--ids", help="comma-separated unit ids (default: all "
                    "recorded)")
    ap.add_argument("--t0", type=float, help="start of the window (ms)")
    ap.add_argument("--t1", type=float, help="end of the window (ms)")
    args = ap.parse_args(argv)
    if args.t0 is not None and args.t1 is not None and args.t1 <= args.t0:
        ap.error(f"--t1 ({args.t1:g}) must be greater than --t0 "
                 f"({args.t0:g})")
    if args.ids is not None:
        try:
            args.ids = [int(s) for s in csv_list(args.ids)]
        except ValueError:
            ap.error(f"--ids: expected comma-separated whole numbers, got "
                     f"'{args.ids}'")
        if not args.ids or min(args.ids) < 0:
            ap.error("--ids: expected unit ids >= 0")
    return args


def text_attr(obj, name, default):
    v = obj.attrs.get(name, default)
    if isinstance(v, bytes):
        v = v.decode()
    return str(v).strip()


def report_groups(f):
    """{population: {variable: group path}}: populations in name order (the
    order HDF5 lists them), each one's first recorded variable (the one in
    /report/<pop>) first, then the others in name order."""
    found = {}
    plain = f.get("report")
    if isinstance(plain, h5py.Group):
        for pop, g in plain.items():
            if isinstance(g, h5py.Group):
                var = text_attr(g, "variable", "data")
                found[pop] = {var: f"/report/{pop}"}
    extra = f.get("memspike/report")
    if isinstance(extra, h5py.Group):
        for pop, g in extra.items():
            if not isinstance(g, h5py.Group):
                continue
            vars_ = found.setdefault(pop, {})
            for var, v in g.items():
                if isinstance(v, h5py.Group):
                    vars_[var] = f"/memspike/report/{pop}/{var}"
    return {p: found[p] for p in sorted(found) if found[p]}


def select(path, found, pops, vars_):
    """[(population, variable, group path)] in display order."""
    if pops:
        missing = [p for p in pops if p not in found]
        if missing:
            raise InputError(f"{path}: no report for population "
                             f"{', '.join(missing)} (reported: "
                             f"{', '.join(found)})")
    else:
        pops = list(found)
    chosen = []
    for p in pops:
        names = vars_ if vars_ else list(found[p])
        chosen += [(p, v, found[p][v]) for v in names if v in found[p]]
    if vars_:
        seen = {v for _, v, _ in chosen}
        missing = [v for v in vars_ if v not in seen]
        if missing:
            present = sorted({f"{p}/{v}" for p in pops for v in found[p]})
            raise InputError(f"{path}: variable {', '.join(missing)} not "
                             f"recorded in {', '.join(pops)} (recorded: "
                             f"{', '.join(present)})")
    return chosen


def read_panel(path, f, pop, var, gpath, t0, t1, ids):
    """The Panel of one report group, or None when it records none of ids.
    Checks the members the plot relies on."""
    g = f[gpath]
    for key in ("data", "mapping/node_ids", "mapping/time"):
        if key not in g:
            raise InputError(f"{path}: {gpath}/{key} is missing")
    data, tm = g["data"], g["mapping/time"]
    cols = g["mapping/node_ids"][()].astype(np.int64)
    if len(data.shape) != 2 or data.shape[1] != cols.size:
        raise InputError(f"{path}: {gpath}/data has shape {data.shape}, "
                         f"expected [frames, {cols.size}] (one column per "
                         f"mapping/node_ids entry)")
    if tm.shape != (3,):
        raise InputError(f"{path}: {gpath}/mapping/time has shape "
                         f"{tm.shape}, expected [start, stop, dt]")
    unit = text_attr(tm, "units", "ms")
    if unit not in TIME_SCALE_TO_MS:
        raise InputError(f"{path}: {gpath}/mapping/time: units '{unit}' "
                         f"not understood (expected ms or s)")
    start, stop, dt = tm[()].astype(np.float64) * TIME_SCALE_TO_MS[unit]
    if not dt > 0:
        raise InputError(f"{path}: {gpath}/mapping/time: dt must be > 0 "
                         f"(got {dt:g})")

    sel = np.arange(cols.size)
    if ids is not None:
        sel = np.flatnonzero(np.isin(cols, ids))
        if sel.size == 0:
            return None
    n_frames = data.shape[0]
    lo, hi = 0, n_frames
    if t0 is not None:
        lo = max(lo, int(np.ceil((t0 - start) / dt - 1e-9)))
    if t1 is not None:
        hi = min(hi, int(np.floor((t1 - start) / dt + 1e-9)) + 1)
    if hi <= lo:
        raise InputError(f"{path}: {gpath}: no sample in the window "
                         f"[{fmt(t0)}, {fmt(t1)}] ms (recorded from "
                         f"{start:g} to {start + n_frames * dt:g} ms every "
                         f"{dt:g} ms)")
    values = data[lo:hi][:, sel].astype(np.float64)
    t = start + dt * np.arange(lo, hi)
    return Panel(pop, var, text_attr(data, "units", ""), t, values, cols[sel])


def fmt(x):
    return "…" if x is None else f"{x:g}"


def attach_spikes(f, panel):
    """Spike times of the panel's units inside its time range."""
    g = f.get(f"spikes/{panel.pop}")
    if not isinstance(g, h5py.Group) or "timestamps" not in g \
            or "node_ids" not in g:
        return
    ts = g["timestamps"]
    t = ts[()].astype(np.float64) * TIME_SCALE_TO_MS.get(
        text_attr(ts, "units", "ms"), 1.0)
    nid = g["node_ids"][()].astype(np.int64)
    if t.shape != nid.shape:
        return
    inside = (t >= panel.t[0]) & (t <= panel.t[-1])
    for i in panel.ids:
        panel.spikes[int(i)] = t[inside & (nid == i)]


def load(path, pops, vars_, ids, t0, t1):
    """Panels to draw, in display order."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise InputError(f"{path}: not a readable HDF5 file ({e})")
    with f:
        found = report_groups(f)
        if not found:
            raise InputError(f"{path}: no /report group with a recorded "
                             f"variable (expected /report/<population>/data "
                             f"and mapping/, docs/formats.md)")
        panels = []
        for pop, var, gpath in select(path, found, pops, vars_):
            p = read_panel(path, f, pop, var, gpath, t0, t1, ids)
            if p is not None:
                attach_spikes(f, p)
                panels.append(p)
        if ids is not None:
            shown = {int(i) for p in panels for i in p.ids}
            missing = [str(i) for i in ids if i not in shown]
            if missing:
                recorded = "; ".join(
                    f"{p}/{v}: " + ",".join(
                        str(int(i)) for i in f[g]["mapping/node_ids"][()])
                    for p, v, g in select(path, found, pops, vars_))
                raise InputError(f"{path}: unit {', '.join(missing)} not "
                                 f"recorded (recorded: {recorded})")
        return panels


def envelope(t, y, max_buckets=MAX_BUCKETS):
    """(t, y) reduced to at most 2·max_buckets points: the minimum and the
    maximum of each run of consecutive samples, in time order within the
    run, so that narrow peaks survive. Short traces are returned as is."""
    n = t.size
    if n <= 2 * max_buckets:
        return t, y
    width = int(np.ceil(n / max_buckets))
    n_full = n // width
    tb = t[:n_full * width].reshape(n_full, width)
    yb = y[:n_full * width].reshape(n_full, width)
    rows = np.arange(n_full)
    i_min, i_max = yb.argmin(axis=1), yb.argmax(axis=1)
    first = np.minimum(i_min, i_max)
    second = np.maximum(i_min, i_max)
    t_out = np.column_stack((tb[rows, first], tb[rows, second])).ravel()
    y_out = np.column_stack((yb[rows, first], yb[rows, second])).ravel()
    return (np.concatenate((t_out, t[n_full * width:])),
            np.concatenate((y_out, y[n_full * width:])))


def plot(path, panels, t0, t1, out):
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, axes = plt.subplots(len(panels), 1, sharex=True, squeeze=False,
                             figsize=(10, max(3.5, 0.6 + 2.2 * len(panels))))
    for ax, p in zip(axes[:, 0], panels):
        for j, nid in enumerate(p.ids):
            colour = colours[j % len(colours)]
            spikes = p.spikes.get(int(nid))
            label = f"unit {nid}"
            if spikes is not None:
                label += f" ({spikes.size} spikes)"
            ax.plot(*envelope(p.t, p.values[:, j]), color=colour, lw=0.8,
                    label=label)
            if spikes is not None and spikes.size:
                # At the top edge whatever the y range: the sampled trace
                # may miss the peak of a spike shorter than dt.
                ax.plot(spikes, np.full(spikes.size, 0.97), linestyle="none",
                        marker="v", markersize=5, color=colour,
                        transform=ax.get_xaxis_transform(), clip_on=False)
        if p.spikes:
            # Head room for the spike marks above the highest sample.
            lo, hi = ax.get_ylim()
            ax.set_ylim(lo, hi + 0.12 * (hi - lo))
        ax.set_ylabel(f"{p.var} ({p.units})" if p.units else p.var)
        ax.set_title(f"{p.pop}", loc="left", fontsize="medium")
        if len(p.ids) <= MAX_LEGEND:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0),
                      fontsize="small", frameon=False)
        ax.margins(x=0)
    axes[0, 0].set_xlim(t0 if t0 is not None else min(p.t[0] for p in panels),
                        t1 if t1 is not None else max(p.t[-1]
                                                      for p in panels))
    axes[-1, 0].set_xlabel("time (ms)")
    fig.suptitle(os.path.basename(path))
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main(argv):
    args = parse_args(argv)
    pops = csv_list(args.populations) if args.populations else None
    vars_ = csv_list(args.var) if args.var else None
    try:
        panels = load(args.file, pops, vars_, args.ids, args.t0, args.t1)
        plot(args.file, panels, args.t0, args.t1, args.output)
    except InputError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"{PROG}: {args.output}: cannot write ({e.strerror or e})",
              file=sys.stderr)
        return 1
    for p in panels:
        n_sp = sum(s.size for s in p.spikes.values())
        marks = f"{n_sp} spikes marked" if p.spikes else "no spikes recorded"
        print(f"{p.pop}/{p.var} ({p.units or 'dimensionless'}): units "
              f"{','.join(str(i) for i in p.ids)}; {p.t.size} samples "
              f"{p.t[0]:g}-{p.t[-1]:g} ms; {marks}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
