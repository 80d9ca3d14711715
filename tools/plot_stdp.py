#!/usr/bin/python3
"""STDP window from a curve file of `memspike stdp-curve`.

    plot_stdp.py CURVE.h5 -o stdp.png [--fit] [--bi-poo]

Plots the change of the device state, delta_w, against delta_t = t_post -
t_pre measured at the synapse (/stdp/delta_t_ms and /stdp/delta_w,
docs/cli.md, "stdp-curve"). Options:

  --fit     the exponentials `memspike stdp-curve` fitted, from the
            attributes A_plus, tau_plus_ms (drawn for delta_t > 0) and
            A_minus, tau_minus_ms (delta_t < 0); a side whose fit is NaN
            is left out, and said so on stderr.
  --bi-poo  reference exponentials with the time constants fitted to the
            hippocampal data of Bi & Poo 1998 (J. Neurosci. 18:10464):
            tau+ = 16.8 ms, tau- = 33.7 ms (the values of Bi & Poo 2001,
            Annu. Rev. Neurosci. 24:139, and of many modelling papers).
            Their amplitudes are scaled to the curve's largest and smallest
            delta_w, since the biological data are percent changes of EPSC
            amplitude, not device states: only the shapes compare.

Runs headless (matplotlib's Agg backend). Exit status: 0 written, 1 bad
input file (no /stdp, missing datasets) or unwritable output, 2 bad command
line.
"""

import argparse
import sys

import matplotlib

matplotlib.use("Agg")
import h5py  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

PROG = "plot_stdp.py"

# Bi & Poo 1998 window as usually fitted (docstring).
BI_POO_TAU_PLUS_MS = 16.8
BI_POO_TAU_MINUS_MS = 33.7


class InputError(Exception):
    pass


def parse_args(argv):
    ap = argparse.ArgumentParser(prog=PROG,
                                 description=__doc__.split("\n")[0])
    ap.add_argument("file", help="HDF5 file written by memspike stdp-curve")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    ap.add_argument("--fit", action="store_true",
                    help="draw the fitted exponentials of the file")
    ap.add_argument("--bi-poo", action="store_true",
                    help="draw Bi & Poo 1998 exponentials (tau+ = 16.8 ms, "
                    "tau- = 33.7 ms) scaled to the curve's peaks")
    return ap.parse_args(argv)


def read_curve(path):
    """delta_t, delta_w and the attributes of /stdp."""
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise InputError(f"{path}: cannot open as HDF5 ({e})")
    with f:
        if "stdp" not in f:
            raise InputError(f"{path}: no /stdp group: not a curve file of "
                             f"memspike stdp-curve (memspike run files "
                             f"hold spikes; plot them with plot_raster.py)")
        g = f["stdp"]
        for name in ("delta_t_ms", "delta_w"):
            if name not in g:
                raise InputError(f"{path}: /stdp/{name} is missing")
        dt = np.asarray(g["delta_t_ms"][()], dtype=float)
        dw = np.asarray(g["delta_w"][()], dtype=float)
        if dt.ndim != 1 or dt.shape != dw.shape:
            raise InputError(f"{path}: /stdp/delta_t_ms and /stdp/delta_w "
                             f"must be 1-D of one length, got {dt.shape} "
                             f"and {dw.shape}")
        attrs = {k: g.attrs[k] for k in g.attrs}
    return dt, dw, attrs


def text_attr(attrs, name):
    v = attrs.get(name, "?")
    return v.decode() if isinstance(v, bytes) else str(v)


def draw_fit(ax, attrs, dt):
    """The file's fitted exponentials, each on its own side."""
    sides = (("A_plus", "tau_plus_ms", 1, "LTP"),
             ("A_minus", "tau_minus_ms", -1, "LTD"))
    for a_name, tau_name, sign, what in sides:
        a = float(attrs.get(a_name, np.nan))
        tau = float(attrs.get(tau_name, np.nan))
        side = dt[dt * sign > 0]
        if not (np.isfinite(a) and np.isfinite(tau)) or side.size == 0:
            print(f"{PROG}: no fitted {what} exponential in the file "
                  f"({a_name} = {a:g}, {tau_name} = {tau:g}); not drawn",
                  file=sys.stderr)
            continue
        x = np.linspace(0, np.abs(side).max(), 400)
        label = (f"fit {'A+' if sign > 0 else 'A-'} = {a:.3g}, "
                 f"τ{'+' if sign > 0 else '-'} = {tau:.3g} ms")
        ax.plot(sign * x, a * np.exp(-x / tau), "-", color="C1", lw=1.2,
                label=label)


def draw_bi_poo(ax, dt, dw):
    """Bi & Poo exponentials through the curve's extrema."""
    span = np.abs(dt).max() if dt.size else 0.0
    x = np.linspace(0, span, 400)
    first = True
    for sign, tau, peak in ((1, BI_POO_TAU_PLUS_MS, dw[dt > 0].max(
            initial=0.0)), (-1, BI_POO_TAU_MINUS_MS,
                            dw[dt < 0].min(initial=0.0))):
        if peak == 0 or not np.isfinite(peak):
            continue
        ax.plot(sign * x, peak * np.exp(-x / tau), "--", color="0.45",
                lw=1.0, label="Bi & Poo 1998 shape (τ+ = 16.8, τ− = 33.7 "
                "ms), scaled" if first else None)
        first = False


def plot(dt, dw, attrs, fit, bi_poo, out):
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    ax.plot(dt, dw, "o", ms=2.5, color="C0", label="memspike")
    if bi_poo:
        draw_bi_poo(ax, dt, dw)
    if fit:
        draw_fit(ax, attrs, dt)
    ax.set_xlabel("Δt = t_post − t_pre at the synapse (ms)")
    ax.set_ylabel("Δw (device state)")
    ax.set_title(f"{text_attr(attrs, 'rule')}, device "
                 f"{text_attr(attrs, 'device')}: "
                 f"{int(attrs.get('pairings', 0))} pairings at "
                 f"{float(attrs.get('frequency_Hz', np.nan)):g} Hz",
                 fontsize=10)
    if fit or bi_poo:
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main(argv):
    args = parse_args(argv)
    try:
        dt, dw, attrs = read_curve(args.file)
        plot(dt, dw, attrs, args.fit, args.bi_poo, args.output)
    except InputError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"{PROG}: {args.output}: cannot write ({e.strerror or e})",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
