#!/usr/bin/python3
"""Spike counts and rates of a memspike output file, as one key=value line.

    h5_summary.py FILE.h5
    -> spikes=23078 rate_hz=5.770 rate_exc_hz=5.796 rate_inh_hz=5.662
       sim_wall_s=0.231 bio_s=1                              (one line)

Counts and sizes come from /memspike/populations/<pop> (n_spikes, n_nodes)
and the simulated interval and wall time from /memspike/run
(docs/formats.md). Generator populations (poisson, spike_source) are left
out of spikes and rate_hz, which cover the neurons only.
"""

import sys

import h5py

GENERATORS = {"poisson", "spike_source"}


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def main(argv):
    if len(argv) != 1:
        print("usage: h5_summary.py FILE.h5", file=sys.stderr)
        return 2
    path = argv[0]
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        print(f"h5_summary.py: {path}: {e}", file=sys.stderr)
        return 1
    with f:
        run = f.get("memspike/run")
        pops = f.get("memspike/populations")
        if run is None or pops is None:
            print(f"h5_summary.py: {path}: no /memspike/run or "
                  f"/memspike/populations (not a memspike file?)",
                  file=sys.stderr)
            return 1
        bio_s = (float(run.attrs["t_stop_ms"]) -
                 float(run.attrs["t_start_ms"])) / 1000.0
        if bio_s <= 0:
            print(f"h5_summary.py: {path}: empty run interval",
                  file=sys.stderr)
            return 1
        fields, total, nodes = [], 0, 0
        for name, g in pops.items():
            if text(g.attrs["model"]) in GENERATORS:
                continue
            n_sp, n = int(g.attrs["n_spikes"]), int(g.attrs["n_nodes"])
            total += n_sp
            nodes += n
            fields.append(f"rate_{name}_hz={n_sp / n / bio_s:.3f}")
        rate = total / nodes / bio_s if nodes else 0.0
        print(f"spikes={total} rate_hz={rate:.3f} {' '.join(fields)} "
              f"sim_wall_s={float(run.attrs['wall_time_s']):.3f} "
              f"bio_s={bio_s:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
