#!/usr/bin/python3
"""End-to-end test of tools/plot_traces.py and tools/plot_fI.py.

usage: e2e_plot_traces.py PATH/TO/memspike

Writes small report and spike files in the layout of docs/formats.md with
h5py, runs both scripts on them and checks what a user gets: the panels and
units announced, spike marks counted and visibly drawn, PNGs of the
expected size with each unit's colour present, f–I rates and currents equal
to hand-computed values, and exit status 1 with a message naming the
problem for bad input. Then runs the CLI on examples/izhikevich_presets.yaml
and examples/hh_fI.yaml and plots the files it writes; the f–I rates must
match the table documented in the example.
"""

import os
import re
import subprocess
import sys
import tempfile

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402

EXE = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(
    os.environ.get("MS_BUILD_ROOT", "build"), "tools", "memspike")
SRC = os.environ.get("MS_SOURCE_ROOT",
                     os.path.join(os.path.dirname(__file__), ".."))
TRACES = os.path.join(SRC, "tools", "plot_traces.py")
FI = os.path.join(SRC, "tools", "plot_fI.py")
PY = "/usr/bin/python3"
# matplotlib's default colour cycle: tab:blue, tab:orange, tab:green.
C = [np.array(c) / 255.0 for c in ((0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E),
                                   (0x2C, 0xA0, 0x2C))]

failures = 0


def check(cond, what):
    global failures
    print(("ok     " if cond else "FAILED ") + what)
    if not cond:
        failures += 1
    return cond


def run(script, *args):
    p = subprocess.run([PY, script, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def pixels_near(img, colour, tol=0.08):
    rgb = img[:, :, :3]
    return int(np.count_nonzero(np.all(np.abs(rgb - colour) < tol, axis=2)))


def root(f):
    f.attrs["magic"] = np.uint32(0x0A7A)
    f.attrs["version"] = np.array([0, 1], dtype=np.uint32)


def write_report(g, var, units, start, dt, ids, data):
    g.attrs["variable"] = var
    d = g.create_dataset("data", data=np.asarray(data, dtype=np.float32))
    d.attrs["units"] = units
    m = g.create_group("mapping")
    m.create_dataset("node_ids", data=np.asarray(ids, dtype=np.uint64))
    ip = m.create_dataset("index_pointers",
                          data=np.arange(len(ids) + 1, dtype=np.uint64))
    m["index_pointer"] = ip
    m.create_dataset("element_ids", data=np.zeros(len(ids), np.uint32))
    m.create_dataset("element_pos", data=np.zeros(len(ids), np.float32))
    tm = m.create_dataset("time", data=np.array(
        [start, start + len(data) * dt, dt], dtype=np.float64))
    tm.attrs["units"] = "ms"


def write_spikes(f, pop, t, ids):
    g = f.create_group(f"spikes/{pop}")
    ts = g.create_dataset("timestamps", data=np.asarray(t, dtype=np.float64))
    ts.attrs["units"] = "ms"
    g.create_dataset("node_ids", data=np.asarray(ids, dtype=np.uint64))


# exc: V_m and U_m of units 0, 3, 5 every 0.1 ms for 100 ms (V_m also as
# the SONATA /report/exc); inh: a plain SONATA report of units 0, 1.
EXC_IDS = [0, 3, 5]
EXC_SPIKES = ([10.0, 20.0, 30.0, 40.0, 55.0, 70.0, 90.0, 15.0, 60.0, 150.0],
              [0, 0, 0, 0, 0, 0, 0, 3, 3, 0])


def write_traces(path, with_spikes=True):
    t = np.arange(1000) * 0.1
    v = np.column_stack([-65 + 10 * np.sin(2 * np.pi * t / (20 + 10 * k))
                         for k in range(3)])
    with h5py.File(path, "w") as f:
        root(f)
        write_report(f.create_group("memspike/report/exc/V_m"), "V_m", "mV",
                     0.0, 0.1, EXC_IDS, v)
        f["report/exc"] = f["memspike/report/exc/V_m"]
        write_report(f.create_group("memspike/report/exc/U_m"), "U_m", "",
                     0.0, 0.1, EXC_IDS, v / 10)
        write_report(f.create_group("report/inh"), "V_m", "mV", 0.0, 0.1,
                     [0, 1], v[:, :2] - 5)
        if with_spikes:
            write_spikes(f, "exc", *EXC_SPIKES)


def panel_lines(out):
    return [ln for ln in out.splitlines() if not ln.startswith("wrote")]


def check_envelope():
    """Long traces are reduced without losing their extremes."""
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(TRACES))
    import plot_traces

    t = np.arange(100001) * 0.01
    y = np.zeros_like(t)
    y[[12345, 67890]] = [40.0, -90.0]
    te, ye = plot_traces.envelope(t, y, 1000)
    check(te.size <= 2002, f"envelope has at most 2 points per bucket "
          f"({te.size})")
    check(ye.max() == 40.0 and ye.min() == -90.0,
          "one-sample peaks survive the envelope")
    check(np.all(np.diff(te) >= 0), "envelope stays in time order")
    check(te[0] == t[0] and te[-1] == t[-1], "envelope keeps both ends")


def check_traces(tmp):
    h5 = os.path.join(tmp, "traces.h5")
    write_traces(h5)
    png = os.path.join(tmp, "traces.png")
    rc, out, err = run(TRACES, h5, "-o", png)
    lines = panel_lines(out)
    check(rc == 0, f"traces: exit 0 ({rc}: {err.strip()})")
    check([ln.split(" ")[0] for ln in lines] ==
          ["exc/V_m", "exc/U_m", "inh/V_m"],
          f"one panel per population and variable ({lines})")
    check(len(lines) == 3 and "(mV)" in lines[0]
          and "(dimensionless)" in lines[1],
          "units read from the file")
    check(len(lines) == 3 and "9 spikes marked" in lines[0]
          and "no spikes recorded" in lines[2],
          "spikes inside the trace's range marked, none for inh")
    if rc == 0:
        img = mpimg.imread(png)
        check(img.shape[:2] == (720, 1000),
              f"3 panels: 1000x720 pixels ({img.shape[1]}x{img.shape[0]})")
        px = [pixels_near(img, c) for c in C]
        check(min(px) > 500, f"the three units' colours drawn ({px})")

    one = os.path.join(tmp, "one.png")
    rc, out, err = run(TRACES, h5, "-o", one, "--var", "V_m", "--populations",
                       "exc", "--ids", "3", "--t0", "20", "--t1", "70")
    lines = panel_lines(out)
    check(rc == 0 and len(lines) == 1 and
          "exc/V_m (mV): units 3; 501 samples 20-70 ms; 1 spikes marked"
          in lines[0], f"--var/--populations/--ids/--t0/--t1 ({lines} "
          f"{err.strip()})")
    if rc == 0:
        img = mpimg.imread(one)
        check(pixels_near(img, C[0]) > 300 and pixels_near(img, C[1]) == 0,
              "only the chosen unit is drawn")

    # The same panel with and without /spikes: the marks add ink in the
    # unit's colour (7 spikes of unit 0 in 0-100 ms, triangles of about 25
    # px each; the head room above the trace makes it slightly shorter).
    bare = os.path.join(tmp, "nospikes.h5")
    write_traces(bare, with_spikes=False)
    a, b = os.path.join(tmp, "a.png"), os.path.join(tmp, "b.png")
    rc1, _, _ = run(TRACES, h5, "-o", a, "--var", "V_m", "--ids", "0")
    rc2, _, _ = run(TRACES, bare, "-o", b, "--var", "V_m", "--ids", "0")
    if check(rc1 == 0 and rc2 == 0, "with and without /spikes: exit 0"):
        extra = pixels_near(mpimg.imread(a), C[0]) - pixels_near(
            mpimg.imread(b), C[0])
        check(extra > 60, f"spike marks drawn ({extra} more px)")

    bad = [
        ((os.path.join(tmp, "absent.h5"),), "no such file"),
        ((h5, "--var", "g_e"), "variable g_e not recorded"),
        ((h5, "--populations", "nope"), "no report for population nope"),
        ((h5, "--ids", "4"), "unit 4 not recorded (recorded: exc/V_m: "
         "0,3,5"),
        ((h5, "--t0", "500"), "no sample in the window"),
    ]
    empty = os.path.join(tmp, "empty.h5")
    with h5py.File(empty, "w") as f:
        root(f)
        write_spikes(f, "exc", *EXC_SPIKES)
    bad.append(((empty,), "no /report group"))
    for args, msg in bad:
        rc, out, err = run(TRACES, *args, "-o", png)
        what = " ".join(args[1:]) or os.path.basename(args[0])
        check(rc == 1 and msg in err, f"traces {what}: exit 1, says "
              f"'{msg}' ({rc}: {err.strip()})")
    rc, _, _ = run(TRACES, h5, "-o", png, "--t0", "5", "--t1", "1")
    check(rc == 2, f"traces --t1 before --t0: usage error ({rc})")


# Units: 0 silent; 1 dc 150 pA plus I_e 50 pA; 2-3 a step to 0.4 nA at
# 100 ms (unit 3 also +100 pA dc). Run 0-300 ms: the final interval of
# units 2-3 starts at 100 ms, so their window is 200-300 ms; units 0-1
# count from 150 ms. C_m 200 pF: 1 uA/cm2 is 200 pA.
FI_CONFIG = """name: fi
duration: 300 ms
populations:
  - {name: n, model: hh, size: 4, params: {I_e: 50 pA, C_m: 0.2 nF}}
  - {name: other, model: hh, size: 1}
currents:
  - {target: n, ids: [1, 3], dc: 150 pA}
  - {target: n, ids: [2, 3], times: [0 ms, 100 ms], amplitudes: [1 pA, 0.4nA]}
"""
FI_SPIKES = ([5.0, 120.0, 149.0, 150.0, 160.0, 299.0, 300.0, 150.0, 199.0,
              200.0, 250.0, 210.0],
             [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3])
# (current pA, spikes in window, window length s)
FI_EXPECT = [(50.0, 0, 0.15), (200.0, 3, 0.15), (450.0, 2, 0.1),
             (600.0, 1, 0.1)]


def write_fi(path, config):
    with h5py.File(path, "w") as f:
        root(f)
        run_ = f.create_group("memspike/run")
        run_.attrs["t_start_ms"] = 0.0
        run_.attrs["t_stop_ms"] = 300.0
        run_.create_dataset("config", data=config,
                            dtype=h5py.string_dtype())
        for name, n in (("n", 4), ("other", 1)):
            g = f.create_group(f"memspike/populations/{name}")
            g.attrs["model"] = "hh"
            g.attrs["n_nodes"] = np.uint64(n)
        write_spikes(f, "n", *FI_SPIKES)


def table(out):
    """{unit: (current_pA, density, spikes, rate)} from plot_fI's output."""
    rows = {}
    for ln in out.splitlines():
        m = re.match(r"\s*(\d+)\s+(\S+)\s+(\S+)\s+\S+\s+(\d+)\s+(\S+)$", ln)
        if m:
            rows[int(m.group(1))] = (float(m.group(2)), float(m.group(3)),
                                     int(m.group(4)), float(m.group(5)))
    return rows


def check_fi(tmp):
    h5 = os.path.join(tmp, "fi.h5")
    write_fi(h5, FI_CONFIG)
    png = os.path.join(tmp, "fi.png")
    rc, out, err = run(FI, h5, "-o", png, "--population", "n")
    check(rc == 0, f"f-I: exit 0 ({rc}: {err.strip()})")
    rows = table(out)
    want = {k: (i, i / 200.0, s, s / w)
            for k, (i, s, w) in enumerate(FI_EXPECT)}
    check(rows.keys() == want.keys() and all(
        np.allclose(rows[k], want[k], rtol=1e-9, atol=1e-3) for k in want),
        f"currents from I_e + dc + steps, uA/cm2 from C_m, rates over the "
        f"second half of the final interval ({rows})")
    if rc == 0:
        img = mpimg.imread(png)
        check(img.shape[:2] == (500, 800) and pixels_near(img, C[0]) > 300,
              f"f-I PNG 800x500 with points drawn ({img.shape[1]}x"
              f"{img.shape[0]})")
    rc, out, err = run(FI, h5, "-o", png, "--population", "n", "--settle",
                       "50")
    rows = table(out)
    # Windows 50-300 ms (units 0-1) and 150-300 ms (units 2-3).
    check(rc == 0 and [rows[k][2] for k in range(4)] == [2, 3, 4, 1],
          f"--settle 50 moves the windows ({rows})")

    noconf = os.path.join(tmp, "noconf.h5")
    write_fi(noconf, "")
    rc, out, err = run(FI, noconf, "-o", png, "--population", "n")
    check(rc == 1 and "--currents" in err,
          f"f-I without stored config: exit 1, points to --currents "
          f"({rc}: {err.strip()})")
    rc, out, err = run(FI, noconf, "-o", png, "--population", "n",
                       "--currents", "10,20,30,40")
    rows = table(out)
    check(rc == 0 and [rows[k][0] for k in range(4)] == [10, 20, 30, 40],
          f"--currents gives the currents ({rc}: {err.strip()})")

    bad = [
        ((os.path.join(tmp, "absent.h5"),), "no such file"),
        ((noconf, "--currents", "1,2,3,4"), "choose one with --population"),
        ((h5, "--population", "zz"), "no population zz"),
        ((h5, "--population", "other"), "no /spikes/other"),
        ((h5, "--population", "n", "--settle", "400"), "lower --settle"),
        ((noconf, "--population", "n", "--currents", "1,2"),
         "2 values for 4 units"),
    ]
    broken = os.path.join(tmp, "broken.h5")
    write_fi(broken, FI_CONFIG.replace("dc: 150 pA", "dc: 150 mV"))
    bad.append(((broken, "--population", "n"),
                "currents[0]: dc: expected a quantity in A"))
    for args, msg in bad:
        rc, out, err = run(FI, *args, "-o", png)
        what = " ".join(args[1:]) or os.path.basename(args[0])
        check(rc == 1 and msg in err, f"f-I {what}: exit 1, says '{msg}' "
              f"({rc}: {err.strip()})")


def memspike_run(tmp, example, *extra):
    h5 = os.path.join(tmp, example.replace(".yaml", ".h5"))
    p = subprocess.run([EXE, "run", os.path.join(SRC, "examples", example),
                        "-o", h5, *extra], capture_output=True, text=True)
    ok = check(p.returncode == 0, f"memspike run examples/{example} "
               f"({p.returncode}: {p.stderr.strip()})")
    return h5 if ok else None


def check_examples(tmp):
    h5 = memspike_run(tmp, "izhikevich_presets.yaml")
    if h5:
        png = os.path.join(tmp, "iz.png")
        rc, out, err = run(TRACES, h5, "-o", png)
        lines = panel_lines(out)
        with h5py.File(h5, "r") as f:
            n = {p: f[f"spikes/{p}/timestamps"].size for p in ("CH", "TC")}
        check(rc == 0 and sorted(ln.split(" ")[0] for ln in lines) ==
              ["CH/V_m", "TC/V_m"], f"presets: CH and TC traces ({lines} "
              f"{err.strip()})")
        check(all(f"{n[p]} spikes marked" in ln for p in n for ln in lines
                  if ln.startswith(p)) and min(n.values()) > 0,
              f"presets: every recorded spike marked ({n})")

    h5 = memspike_run(tmp, "hh_fI.yaml")
    if not h5:
        return
    rc, out, err = run(TRACES, h5, "-o", os.path.join(tmp, "hh.png"),
                       "--t1", "100")
    check(rc == 0 and "hh/V_m (mV): units 1,4,7" in out,
          f"hh_fI traces ({out.strip()} {err.strip()})")
    rc, out, err = run(FI, h5, "-o", os.path.join(tmp, "hh_fI.png"))
    rows = table(out)
    # examples/hh_fI.yaml's header: uA/cm2 -> rate (Hz) over 500-1000 ms.
    doc = [(3, 0), (6.0, 0), (6.2, 0), (6.3, 52), (6.5, 54), (7, 58),
           (8, 62), (10, 68), (15, 78), (20, 86), (30, 98), (40, 108),
           (50, 116), (60, 126)]
    got = [(rows[k][1], rows[k][3]) for k in sorted(rows)]
    # One spike more or less in the 0.5 s window is 2 Hz: allow that much
    # for integrator changes; currents must be exact.
    check(rc == 0 and len(got) == len(doc) and all(
        abs(j - dj) < 1e-9 and abs(r - dr) <= 2.0
        for (j, r), (dj, dr) in zip(got, doc)),
        f"hh_fI: currents and rates as documented, within 2 Hz ({got})")


def main():
    check_envelope()
    with tempfile.TemporaryDirectory(prefix="ms_traces_") as tmp:
        check_traces(tmp)
        check_fi(tmp)
        check_examples(tmp)
    print(f"{failures} check(s) failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
