#!/usr/bin/python3
"""End-to-end tests of the memspike command line (docs/cli.md).

usage: e2e_cli.py PATH/TO/memspike

Runs the program on small configs written here, checks exit codes, messages
and the HDF5 files it writes (with tests/verify_format.py and h5py), and
interrupts long runs with SIGINT/SIGTERM through a pseudo-terminal, so the
progress line is exercised too. Exit status 0 when every check passes.
"""
import os
import signal
import subprocess
import sys
import tempfile
import threading

import h5py
import numpy as np

EXE = os.path.abspath(sys.argv[1])
ROOT = os.environ.get('MS_SOURCE_ROOT',
                      os.path.dirname(os.path.dirname(
                          os.path.abspath(__file__))))
VERIFY = os.path.join(ROOT, 'tests', 'verify_format.py')

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print('  FAIL: ' + what)
    return cond


def memspike(args, cwd):
    return subprocess.run([EXE] + args, cwd=cwd, capture_output=True,
                          text=True)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def verify(path):
    r = subprocess.run([sys.executable, VERIFY, path], capture_output=True,
                       text=True)
    return check(r.returncode == 0,
                 'verify_format %s: %s' % (path, r.stderr.strip()))


# A spike source fires at 1 and 6 ms; each spike reaches unit 1 of a
# lif_delta population 1 ms later with a 20 mV jump from rest (-70 mV) over
# threshold (-55 mV), so n[1] fires at exactly 2 and 7 ms and n[0] never.
TINY = """\
name: tiny
seed: 5
duration: 10 ms
populations:
  - {name: src, model: spike_source, size: 1, spikes: {file: spikes.csv}}
  - {name: n, model: lif_delta, size: 2, params: {E_L: -70 mV, V_th: -55 mV},
     init: {V_m: -70 mV}}
projections:
  - {pre: src, post: n, connector: {rule: list, file: conn.csv},
     synapse: {weight: 20 mV, delay: 1 ms}}
record:
  spikes: all
  state: [{population: n, variable: V_m, interval: 0.5 ms}]
"""


def tiny(tmp):
    cfg = os.path.join(tmp, 'cfg', 'tiny.yaml')
    write(cfg, TINY)
    write(os.path.join(tmp, 'cfg', 'spikes.csv'), 'id,time_ms\n0,1\n0,6\n')
    write(os.path.join(tmp, 'cfg', 'conn.csv'), 'pre,post\n0,1\n')
    return cfg


def test_help_and_version(tmp):
    r = memspike(['--version'], tmp)
    check(r.returncode == 0 and r.stdout == 'memspike 0.1.0\n',
          '--version: %r' % r.stdout)
    r = memspike(['--help'], tmp)
    check(r.returncode == 0, '--help exit %d' % r.returncode)
    for verb in ('run', 'info'):
        check(('  %s ' % verb) in r.stdout, '--help lists %s' % verb)
    r = memspike(['run', '--help'], tmp)
    check(r.returncode == 0 and 'usage: memspike run NET.yaml' in r.stdout
          and '--duration' in r.stdout, 'run --help: %r' % r.stdout)
    r = memspike(['help', 'info'], tmp)
    check(r.returncode == 0 and 'usage: memspike info' in r.stdout,
          'help info: %r' % r.stdout)
    for args in ([], ['frobnicate'], ['run'], ['run', 'a.yaml', '--fast'],
                 ['run', 'a.yaml', 'b.yaml'], ['run', 'a.yaml', '-o'],
                 ['run', 'a.yaml', '--seed', '-1'],
                 ['run', 'a.yaml', '--duration', '2'],
                 ['run', 'a.yaml', '--duration', '0 s'],
                 ['info'], ['help', 'nope']):
        r = memspike(args, tmp)
        check(r.returncode == 2 and r.stderr,
              'usage error %s: exit %d, stderr %r' % (args, r.returncode,
                                                     r.stderr))


def test_run_writes_what_the_config_says(tmp):
    cfg = tiny(tmp)
    r = memspike(['run', cfg], tmp)
    if not check(r.returncode == 0, 'run exit %d: %s' % (r.returncode,
                                                         r.stderr)):
        return
    check(r.stderr == '', 'no progress or noise without a TTY: %r' %
          r.stderr)
    # The output name comes from the config, relative to the working
    # directory; data files were found next to the config.
    out = os.path.join(tmp, 'tiny.h5')
    if not check(os.path.exists(out), 'tiny.h5 written in the cwd'):
        return
    verify(out)
    with h5py.File(out, 'r') as f:
        t = f['spikes/n/timestamps'][()]
        ids = f['spikes/n/node_ids'][()]
        check(np.allclose(t, [2.0, 7.0], rtol=0, atol=1e-9) and
              list(ids) == [1, 1], 'spikes of n: %s %s' % (t, ids))
        check(list(f['spikes/src/timestamps'][()]) == [1.0, 6.0],
              'spikes of src')
        run = f['memspike/run']
        check(int(run.attrs['seed']) == 5, 'seed in metadata')
        check(float(run.attrs['t_stop_ms']) == 10.0, 't_stop_ms')
        check(int(run.attrs['interrupted']) == 0, 'not interrupted')
        check(run['config'].asstr()[()] == TINY, 'config text stored')
        check(f['report/n/data'].shape == (20, 2),
              'V_m trace shape %s' % (f['report/n/data'].shape,))
    # Summary: n fired 2 spikes in 2 units over 10 ms = 100 Hz.
    check('tiny.yaml: 10 ms simulated' in r.stdout, 'summary head: %r' %
          r.stdout)
    rows = {line.split()[0]: line.split() for line in
            r.stdout.splitlines()[2:] if line.startswith('  ')}
    check('n' in rows and rows['n'][3] == '2' and
          abs(float(rows['n'][4]) - 100.0) < 1e-9,
          'summary row of n: %s' % rows.get('n'))
    check('output: tiny.h5' in r.stdout, 'summary names the output')

    r = memspike(['info', 'tiny.h5'], tmp)
    rows = [line.split() for line in r.stdout.splitlines()]
    check(r.returncode == 0 and ['n', 'lif_delta', '2', '2'] in
          [row[:4] for row in rows],
          'info: exit %d, %r %r' % (r.returncode, r.stdout, r.stderr))
    r = memspike(['info', 'missing.h5'], tmp)
    check(r.returncode == 1 and 'missing.h5' in r.stderr,
          'info on a missing file: exit %d, %r' % (r.returncode, r.stderr))


def test_overrides(tmp):
    cfg = tiny(tmp)
    r = memspike(['run', cfg, '-o', 'o.h5', '--seed', '9', '--duration',
                  '5ms'], tmp)
    if not check(r.returncode == 0, 'run with overrides: %s' % r.stderr):
        return
    out = os.path.join(tmp, 'o.h5')
    verify(out)
    check(not os.path.exists(os.path.join(tmp, 'tiny.h5')),
          '-o replaces the config output')
    with h5py.File(out, 'r') as f:
        run = f['memspike/run']
        check(int(run.attrs['seed']) == 9, '--seed reaches the file')
        check(float(run.attrs['t_stop_ms']) == 5.0, '--duration 5ms')
        check(list(f['spikes/n/timestamps'][()]) == [2.0],
              'only the spike before 5 ms')
    r = memspike(['run', cfg, '--output=p.h5', '--duration=0.006 s'], tmp)
    check(r.returncode == 0 and os.path.exists(os.path.join(tmp, 'p.h5')),
          '--output=FILE and --duration=T forms: %s' % r.stderr)


POPS = """\
duration: 10 ms
populations:
  - {name: a, model: lif_delta, size: 4}
  - {name: s, model: spike_source, size: 2, spikes: {ids: [0], times: [1 ms]}}
"""
PROJ = ("projections:\n  - {pre: s, post: a, connector: {rule: "
        "all_to_all}, synapse: {weight: 1 mV, delay: 1 ms}}\n")

# name, config text, expected exit status, substrings of stderr.
BAD = [
    ('malformed YAML', 'duration: 10 ms\npopulations: [\n  {name: a\n', 2,
     ['bad.yaml:4:1: malformed YAML']),
    ('unknown model', POPS.replace('lif_delta', 'lif_foo'), 2,
     ['bad.yaml:3:22: populations[0].model: unknown model "lif_foo"',
      'lif_delta, lif_exp']),
    ('unknown top-level field', POPS + 'durations: 5 ms\n', 2,
     ['bad.yaml:5:1: durations: unknown field; allowed fields: name, seed, '
      'duration']),
    ('unknown population field', POPS.replace('size: 4', 'size: 4, sze: 1'),
     2, ['populations[0].sze: unknown field; allowed fields: name, model, '
         'size, params, waveform, init']),
    ('unknown parameter', POPS.replace('size: 4', 'size: 4, params: '
                                       '{tau: 1 ms}'), 2,
     ['populations[0].params.tau: unknown field; allowed fields: tau_m, '
      'C_m']),
    ('unknown connector field', POPS + PROJ.replace('all_to_all',
                                                    'all_to_all, p: 1'), 2,
     ['projections[0].connector.p: unknown field; allowed fields: rule, '
      'allow_self']),
    ('unknown synapse field', POPS + PROJ.replace('delay: 1 ms',
                                                  'delay: 1 ms, w: 2'), 2,
     ['projections[0].synapse.w: unknown field; allowed fields: weight, '
      'delay, receptor']),
    ('unknown record field', POPS + 'record: {spike: all}\n', 2,
     ['record.spike: unknown field; allowed fields: spikes, state']),
    ('wrong unit', POPS.replace('size: 4', 'size: 4, params: {tau_m: 20 '
                                'mV}'), 2,
     ['bad.yaml:3:58: populations[0].params.tau_m: expected a time (e.g. '
      '"20 ms"), got "20 mV"']),
    ('negative delay', POPS + PROJ.replace('delay: 1 ms', 'delay: -1 ms'),
     2, ['projections[0].synapse.delay: expected a time > 0 ms, got '
         '"-1 ms"']),
    ('zero delay', POPS + PROJ.replace('delay: 1 ms', 'delay: 0 ms'), 2,
     ['projections[0].synapse.delay: expected a time > 0 ms, got "0 ms"']),
    ('probability above 1', POPS + PROJ.replace(
        'all_to_all', 'fixed_probability, p: 1.01'), 2,
     ['projections[0].connector.p: expected a plain number in [0, 1], got '
      '"1.01"']),
    ('probability below 0', POPS + PROJ.replace(
        'all_to_all', 'fixed_probability, p: -0.5'), 2,
     ['projections[0].connector.p: expected a plain number in [0, 1]']),
    ('missing spike file', POPS.replace('ids: [0], times: [1 ms]',
                                        'file: nope.csv'), 2,
     ['bad.yaml:4:60: populations[1].spikes.file: cannot open',
      'nope.csv', 'No such file']),
    ('missing list file', POPS + PROJ.replace('all_to_all',
                                              'list, file: pairs.csv'), 2,
     ['projections[0].connector.file: cannot open', 'pairs.csv',
      'No such file']),
]


def test_bad_configs(tmp):
    for name, text, status, parts in BAD:
        d = tempfile.mkdtemp(dir=tmp)
        write(os.path.join(d, 'bad.yaml'), text)
        r = memspike(['run', 'bad.yaml', '-o', 'out.h5'], d)
        check(r.returncode == status, '%s: exit %d, expected %d (%s)' %
              (name, r.returncode, status, r.stderr.strip()))
        for p in parts:
            check(p in r.stderr, '%s: stderr %r lacks %r' %
                  (name, r.stderr, p))
        check(r.stdout == '', '%s: nothing on stdout' % name)
        check(sorted(os.listdir(d)) == ['bad.yaml'],
              '%s: left files %s' % (name, os.listdir(d)))

    # Checked by the model when the run starts, reported the same way.
    d = tempfile.mkdtemp(dir=tmp)
    write(os.path.join(d, 'vr.yaml'), POPS.replace(
        'size: 4', 'size: 4, params: {V_reset: -40 mV}'))
    r = memspike(['run', 'vr.yaml', '-o', 'out.h5'], d)
    check(r.returncode == 2 and 'vr.yaml: population a: V_reset' in
          r.stderr and r.stdout == '',
          'V_reset above V_th: exit %d, %r' % (r.returncode, r.stderr))
    check(sorted(os.listdir(d)) == ['vr.yaml'],
          'V_reset above V_th: left files %s' % os.listdir(d))

    r = memspike(['run', 'absent.yaml'], tmp)
    check(r.returncode == 2 and 'absent.yaml: cannot open the '
          'configuration: No such file or directory' in r.stderr,
          'missing config: exit %d, %r' % (r.returncode, r.stderr))


def test_unwritable_output(tmp):
    cfg = tiny(tmp)
    before = sorted(os.listdir(tmp))
    r = memspike(['run', cfg, '-o', '/nonexistent/dir/out.h5'], tmp)
    check(r.returncode == 1, 'unwritable output: exit %d' % r.returncode)
    check('/nonexistent/dir/out.h5' in r.stderr, 'message names the path: '
          '%r' % r.stderr)
    check(r.stdout == '', 'no summary for a run that did not start')
    check(not os.path.exists('/nonexistent/dir/out.h5'), 'no file')
    check(sorted(os.listdir(tmp)) == before, 'nothing else written')


# Enough work to last many seconds: it is always interrupted.
LONG = """\
name: long
duration: 100000 s
populations:
  - {name: drive, model: poisson, size: 1000, rate: 1000 Hz}
  - {name: n, model: lif_delta, size: 1000, params: {V_th: -55 mV}}
projections:
  - {pre: drive, post: n, connector: {rule: one_to_one},
     synapse: {weight: 2 mV, delay: 1 ms}}
record: {spikes: [n]}
"""


def interrupt(tmp, sig, name):
    """Run LONG with stderr on a pseudo-terminal, wait for the progress
    line, send sig; the file must be valid and marked interrupted."""
    cfg = os.path.join(tmp, 'long.yaml')
    out = os.path.join(tmp, name + '.h5')
    write(cfg, LONG)
    master, slave = os.openpty()
    p = subprocess.Popen([EXE, 'run', cfg, '-o', out], cwd=tmp,
                         stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    seen = bytearray()
    progress = threading.Event()

    def drain():
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                chunk = b''
            if not chunk:
                progress.set()
                return
            seen.extend(chunk)
            if b'\r' in seen and b'spikes' in seen:
                progress.set()

    reader = threading.Thread(target=drain)
    reader.start()
    progress.wait()
    p.send_signal(sig)
    stdout, _ = p.communicate()
    reader.join()
    os.close(master)
    text = seen.decode(errors='replace')
    check(b'\r' in seen and ' ms (' in text and 'spikes' in text,
          '%s: progress line on the terminal: %r' % (name, text[:200]))
    check(p.returncode == 128 + sig, '%s: exit %d, expected %d' %
          (name, p.returncode, 128 + sig))
    check('interrupted by %s' % name in stdout, '%s: summary says so: %r' %
          (name, stdout))
    if not check(os.path.exists(out), '%s: output exists' % name):
        return
    verify(out)
    with h5py.File(out, 'r') as f:
        run = f['memspike/run']
        t_stop = float(run.attrs['t_stop_ms'])
        check(int(run.attrs['interrupted']) == 1, '%s: marked interrupted'
              % name)
        check(0 < t_stop < 1e8, '%s: stopped at %g ms' % (name, t_stop))
        n = f['spikes/n/timestamps']
        check(n.shape[0] == int(f['memspike/populations/n'].attrs[
            'n_spikes']), '%s: all spikes written' % name)


def test_sigint(tmp):
    interrupt(tmp, signal.SIGINT, 'SIGINT')


def test_sigterm(tmp):
    interrupt(tmp, signal.SIGTERM, 'SIGTERM')


def test_examples_run(tmp):
    """The shipped examples run (shortened) and write valid files."""
    for ex, dur in (('brette_bench4.yaml', '200 ms'), ('cuba.yaml',
                                                       '100 ms')):
        out = os.path.join(tmp, ex + '.h5')
        r = memspike(['run', os.path.join(ROOT, 'examples', ex), '-o', out,
                      '--duration', dur], tmp)
        if check(r.returncode == 0, '%s: exit %d %s' % (ex, r.returncode,
                                                         r.stderr)):
            verify(out)
            with h5py.File(out, 'r') as f:
                check(f['spikes/exc/timestamps'].shape[0] > 0,
                      '%s: excitatory neurons fire' % ex)


def test_learning_example(tmp):
    """examples/stdp_learning.yaml records the device states of its plastic
    synapses: 10 frames of 2000 synapses over 1 s, valid per
    docs/formats.md, starting at w_init = 0.5 and then learning."""
    out = os.path.join(tmp, 'learn.h5')
    r = memspike(['run', os.path.join(ROOT, 'examples', 'stdp_learning.yaml'),
                  '-o', out, '--duration', '1 s'], tmp)
    if not check(r.returncode == 0, 'stdp_learning: exit %d %s'
                 % (r.returncode, r.stderr)):
        return
    verify(out)
    with h5py.File(out, 'r') as f:
        g = f['memspike/synapses/input__neurons/w']
        w = g['data'][()]
        check(w.shape == (10, 2000), 'synapse frames %s, expected (10, 2000)'
              % (w.shape,))
        check(np.all(w[0] == np.float32(0.5)), 'first frame is w_init')
        check(np.all((w >= 0) & (w <= 1)), 'states within [0, 1]')
        check(np.count_nonzero(w[-1] != w[0]) > 1000,
              'most synapses changed in 1 s')
        src = g['mapping/src_ids'][()]
        trg = g['mapping/trg_ids'][()]
        check(src.max() == 199 and trg.max() == 9,
              'mapping names the 200 sources and 10 targets')


def main():
    tests = [(k, v) for k, v in globals().items() if k.startswith('test_')]
    for name, fn in tests:
        print(name)
        with tempfile.TemporaryDirectory(prefix='e2e_cli.') as tmp:
            fn(tmp)
    print('%d failure(s)' % len(failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
