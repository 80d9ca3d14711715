#!/usr/bin/python3
"""End to end: the spike files `memspike run` writes are reproducible and
readable by other tools.

usage: e2e_seed_files.py PATH/TO/memspike

- the same config and seed give byte-identical /spikes datasets (every
  population, timestamps and node_ids), a different seed different spikes;
- every file passes tests/verify_format.py (docs/formats.md);
- h5py reads the spikes, and bmtk's SpikeTrains reader (python3-bmtk) loads
  the same spikes (tests/check_bmtk.py).
The network is examples/cuba.yaml shortened to 200 ms.
"""
import os
import subprocess
import sys
import tempfile

import h5py

EXE = os.path.abspath(sys.argv[1])
ROOT = os.environ.get('MS_SOURCE_ROOT',
                      os.path.dirname(os.path.dirname(
                          os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, 'examples', 'cuba.yaml')
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print('  FAIL: ' + what)
    return cond


def run(out, seed):
    r = subprocess.run([EXE, 'run', CONFIG, '-o', out, '--seed', str(seed),
                        '--duration', '200 ms'], capture_output=True,
                       text=True)
    check(r.returncode == 0, 'memspike run seed %d: %s' % (seed, r.stderr))


def spike_bytes(path):
    """{population: (timestamps bytes, node_ids bytes, count)}"""
    out = {}
    with h5py.File(path, 'r') as f:
        for pop, g in f['spikes'].items():
            ts = g['timestamps'][()]
            ids = g['node_ids'][()]
            out[pop] = (ts.tobytes(), ids.tobytes(), len(ts))
    return out


def tool(script, path):
    r = subprocess.run([sys.executable, os.path.join(ROOT, 'tests', script),
                        path], capture_output=True, text=True)
    check(r.returncode == 0, '%s %s: %s%s' % (script, path, r.stdout,
                                              r.stderr))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        a, b, c = (os.path.join(tmp, n) for n in ('a.h5', 'b.h5', 'c.h5'))
        run(a, 3)
        run(b, 3)
        run(c, 4)
        sa, sb, sc = spike_bytes(a), spike_bytes(b), spike_bytes(c)
        check(set(sa) == {'exc', 'inh'}, 'populations: %s' % sorted(sa))
        check(all(sa[p][2] > 100 for p in sa), 'enough spikes to compare')
        check(sa == sb, 'same seed: byte-identical spike datasets')
        check(any(sa[p][:2] != sc[p][:2] for p in sa),
              'different seed: different spikes')
        for path in (a, b, c):
            tool('verify_format.py', path)
            tool('check_bmtk.py', path)
    print('%d failures' % len(failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
