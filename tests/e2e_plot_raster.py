#!/usr/bin/python3
"""End-to-end test of tools/plot_raster.py.

Writes small spike files in the SONATA layout (docs/formats.md) with h5py,
runs the script on them and checks what a user would see: a PNG of the
expected size in which each population's colour actually appears, the
window options honoured, a file written by `memspike run` plotted, and a
clear message with exit status 1 for a missing file, a file without
/spikes and an unknown population. The rate strip's numbers are checked
directly against hand-computed rates.
"""

import os
import subprocess
import sys
import tempfile

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402

SRC = os.environ.get("MS_SOURCE_ROOT",
                     os.path.join(os.path.dirname(__file__), ".."))
SCRIPT = os.path.join(SRC, "tools", "plot_raster.py")
PY = "/usr/bin/python3"
# First two colours of matplotlib's default cycle (tab:blue, tab:orange).
C0 = np.array([0x1F, 0x77, 0xB4]) / 255.0
C1 = np.array([0xFF, 0x7F, 0x0E]) / 255.0

failures = 0


def check(cond, what):
    global failures
    print(("ok     " if cond else "FAILED ") + what)
    if not cond:
        failures += 1


def write_spikes(path, pops):
    """pops: {name: (times_ms, node_ids)} -> SONATA spike file."""
    with h5py.File(path, "w") as f:
        f.attrs["magic"] = np.uint32(0x0A7A)
        f.attrs["version"] = np.array([0, 1], dtype=np.uint32)
        for name, (t, ids) in pops.items():
            g = f.create_group(f"spikes/{name}")
            ts = g.create_dataset("timestamps",
                                  data=np.asarray(t, dtype=np.float64))
            ts.attrs["units"] = "ms"
            g.create_dataset("node_ids", data=np.asarray(ids, dtype=np.uint64))
            g.attrs["sorting"] = "by_time"


def run(*args):
    p = subprocess.run([PY, SCRIPT, *args], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def pixels_near(img, colour, tol=0.08):
    """Number of pixels within tol (per channel) of colour."""
    rgb = img[:, :, :3]
    return int(np.count_nonzero(np.all(np.abs(rgb - colour) < tol, axis=2)))


def check_rate_histogram():
    """The rate strip's numbers against hand-computed values: 10 units,
    bins of 10 ms over [0, 25] ms, so the last bin is 5 ms wide."""
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(SCRIPT))
    import plot_raster

    t = np.array([1.0, 2.0, 3.0, 4.0, 9.9, 20.0, 21.0, 22.0, 23.0, 25.0])
    edges, rate = plot_raster.rate_histogram(t, 10, 0.0, 25.0, 10.0)
    check(np.allclose(edges, [0, 10, 20, 25], rtol=0, atol=1e-12),
          f"rate bins end at t1 ({edges})")
    # 5 spikes / (10 units * 0.010 s) = 50 Hz; 5 / (10 * 0.005 s) = 100 Hz.
    check(np.allclose(rate, [50.0, 0.0, 100.0], rtol=1e-12, atol=0),
          f"rates per unit in Hz ({rate})")


def check_memspike_file(tmp):
    """A file written by `memspike run` (examples/cuba.yaml, 200 ms) plots
    with both populations, which exercises the /memspike metadata path."""
    exe = os.path.join(os.environ.get("MS_BUILD_ROOT", "build"), "tools",
                       "memspike")
    h5 = os.path.join(tmp, "cuba.h5")
    p = subprocess.run([exe, "run", os.path.join(SRC, "examples", "cuba.yaml"),
                        "--duration", "200ms", "-o", h5],
                       capture_output=True, text=True)
    check(p.returncode == 0, f"memspike run examples/cuba.yaml "
          f"({p.returncode}: {p.stderr.strip()})")
    if p.returncode:
        return
    png = os.path.join(tmp, "cuba.png")
    rc, out = run(h5, "-o", png)
    check(rc == 0, f"memspike file plotted ({rc}: {out.strip()})")
    if rc == 0:
        img = mpimg.imread(png)
        a, b = pixels_near(img, C0), pixels_near(img, C1)
        check(a > 500 and b > 100, f"exc and inh drawn ({a}, {b} px)")


def main():
    check_rate_histogram()
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory(prefix="ms_raster_") as tmp:
        h5 = os.path.join(tmp, "two.h5")
        n_a, n_b = 400, 100
        ta = np.sort(rng.uniform(0, 500, n_a * 5))
        tb = np.sort(rng.uniform(0, 500, n_b * 20))
        write_spikes(h5, {
            "exc": (ta, rng.integers(0, n_a, ta.size)),
            "inh": (tb, rng.integers(0, n_b, tb.size)),
        })

        png = os.path.join(tmp, "raster.png")
        rc, out = run(h5, "-o", png)
        check(rc == 0, f"two populations: exit 0 (got {rc}: {out.strip()})")
        check(os.path.isfile(png) and os.path.getsize(png) > 10000,
              "PNG written and larger than 10 kB")
        if os.path.isfile(png):
            img = mpimg.imread(png)
            check(img.shape[:2] == (600, 1000),
                  f"PNG is 1000x600 pixels (got {img.shape[1]}x"
                  f"{img.shape[0]})")
            a, b = pixels_near(img, C0), pixels_near(img, C1)
            check(a > 500, f"first population's colour drawn ({a} px)")
            check(b > 500, f"second population's colour drawn ({b} px)")
            inked = img.shape[0] * img.shape[1] - pixels_near(
                img, np.ones(3), 0.02)
            check(inked > 10000, f"image is not blank ({inked} inked px)")

        only = os.path.join(tmp, "inh.png")
        rc, out = run(h5, "-o", only, "--populations", "inh",
                      "--t0", "100", "--t1", "200")
        check(rc == 0, f"--populations inh --t0/--t1: exit 0 ({rc})")
        if rc == 0:
            img = mpimg.imread(only)
            check(pixels_near(img, C0) > 200 and pixels_near(img, C1) == 0,
                  "only the selected population is drawn")

        check_memspike_file(tmp)

        rc, out = run(os.path.join(tmp, "absent.h5"), "-o", png)
        check(rc == 1 and "no such file" in out,
              f"missing file: exit 1 and says so ({rc}: {out.strip()})")

        bare = os.path.join(tmp, "bare.h5")
        with h5py.File(bare, "w") as f:
            f.create_group("report")
        rc, out = run(bare, "-o", png)
        check(rc == 1 and "no /spikes group" in out,
              f"no /spikes: exit 1 and says so ({rc}: {out.strip()})")

        rc, out = run(h5, "-o", png, "--populations", "nope")
        check(rc == 1 and "nope" in out and "exc" in out,
              f"unknown population named with the ones present "
              f"({rc}: {out.strip()})")

        rc, out = run(h5, "-o", png, "--t0", "5", "--t1", "1")
        check(rc == 2, f"--t1 before --t0 is a usage error ({rc})")

    print(f"{failures} check(s) failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
