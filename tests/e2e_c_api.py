#!/usr/bin/python3
"""examples/cuba_api.c: builds CUBA through the C API, runs 500 ms, writes a
file that passes tests/verify_format.py; mean rates within 3-9 Hz (Brian2
2.5.1 gives 5.5-5.9 Hz for this network, bench/RESULTS.md).

usage: e2e_c_api.py PATH/TO/cuba_api
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.environ.get('MS_SOURCE_ROOT',
                      os.path.dirname(os.path.dirname(
                          os.path.abspath(__file__))))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, 'c.h5')
        r = subprocess.run([sys.argv[1], out, '500', '2'],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print('cuba_api failed: ' + r.stderr)
            return 1
        rates = dict(line.split(': ') for line in r.stdout.splitlines())
        for pop in ('exc', 'inh'):
            hz = float(rates[pop].split()[0])
            if not 3.0 <= hz <= 9.0:
                print('%s rate %.2f Hz outside 3-9 Hz' % (pop, hz))
                return 1
        v = subprocess.run([sys.executable,
                            os.path.join(ROOT, 'tests', 'verify_format.py'),
                            out], capture_output=True, text=True)
        if v.returncode != 0:
            print('verify_format: ' + v.stdout + v.stderr)
            return 1
    print('ok: ' + ', '.join('%s %s' % kv for kv in rates.items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
