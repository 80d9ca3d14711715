#!/usr/bin/python3
"""Check a memspike output file against docs/formats.md.

usage: verify_format.py FILE

Exit status: 0 the file follows the specification, 1 it does not (every
violation is printed on stderr as "path: what is wrong"), 2 the file cannot
be read as HDF5 or the command line is wrong.
"""
import math
import sys

import h5py
import numpy as np

MAGIC = 0x0A7A
VERSION = (0, 1)
SORTING = {'none': 0, 'by_id': 1, 'by_time': 2}
NAME_CHARS = set('abcdefghijklmnopqrstuvwxyz'
                 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-')
ROOT_MEMBERS = {'spikes', 'report', 'memspike'}
# Large datasets are read in slices of this many values so that checking a
# long run does not need its whole spike train in memory.
SLICE = 1 << 20

U8, U32, U64 = np.dtype('<u1'), np.dtype('<u4'), np.dtype('<u8')
F32, F64 = np.dtype('<f4'), np.dtype('<f8')


class Checker:
    def __init__(self, f):
        self.f = f
        self.errors = []

    def fail(self, where, what):
        self.errors.append('%s: %s' % (where, what))

    # -- helpers that report and return None when something is missing --

    def group(self, parent, name):
        where = _join(parent.name, name)
        obj = parent.get(name)
        if obj is None:
            self.fail(where, 'missing group')
            return None
        if not isinstance(obj, h5py.Group):
            self.fail(where, 'expected a group')
            return None
        return obj

    def dataset(self, parent, name, dtype, ndim):
        where = _join(parent.name, name)
        obj = parent.get(name)
        if obj is None:
            self.fail(where, 'missing dataset')
            return None
        if not isinstance(obj, h5py.Dataset):
            self.fail(where, 'expected a dataset')
            return None
        if obj.dtype != dtype:
            self.fail(where, 'type %s, expected %s' % (obj.dtype, dtype))
            return None
        if obj.ndim != ndim:
            self.fail(where, '%d dimensions, expected %d' % (obj.ndim, ndim))
            return None
        return obj

    def attr(self, obj, name, kind, shape=()):
        """Value of attribute name of obj, which must be a scalar string
        (kind 'str') or numbers of the given dtype and shape."""
        where = '%s@%s' % (obj.name, name)
        if name not in obj.attrs:
            self.fail(where, 'missing attribute')
            return None
        aid = obj.attrs.get_id(name)
        if kind == 'str':
            info = h5py.check_string_dtype(aid.dtype)
            if info is None or info.length is not None:
                self.fail(where, 'type %s, expected a variable-length '
                          'string' % aid.dtype)
                return None
            if info.encoding != 'utf-8':
                self.fail(where, 'encoding %s, expected utf-8'
                          % info.encoding)
            if aid.shape != ():
                self.fail(where, 'expected a scalar')
                return None
            value = obj.attrs[name]
            return value.decode() if isinstance(value, bytes) else value
        if aid.dtype != kind or h5py.check_enum_dtype(aid.dtype):
            self.fail(where, 'type %s, expected %s' % (aid.dtype, kind))
            return None
        if aid.shape != shape:
            self.fail(where, 'shape %s, expected %s' % (aid.shape, shape))
            return None
        return obj.attrs[name]

    def name_ok(self, where, name):
        if not (1 <= len(name) <= 63 and set(name) <= NAME_CHARS
                and name not in ('.', '..')):
            self.fail(where, 'bad name %r: expected 1-63 characters of '
                      '[A-Za-z0-9_.-]' % name)

    # -- the specification, section by section --

    def root(self):
        for name in self.f:
            if name not in ROOT_MEMBERS:
                self.fail('/' + name, 'unexpected member of the root '
                          '(extras belong under /memspike)')
        magic = self.attr(self.f, 'magic', U32)
        if magic is not None and int(magic) != MAGIC:
            self.fail('/@magic', '0x%X, expected 0x%X' % (int(magic), MAGIC))
        version = self.attr(self.f, 'version', U32, (2,))
        if version is not None and tuple(int(v) for v in version) != VERSION:
            self.fail('/@version', '%s, expected %s'
                      % (list(version), list(VERSION)))

    def run(self):
        run = self.group(self.f, 'memspike/run')
        if run is None:
            return None
        info = {}
        for name in ('memspike_version', 'config_path', 'write_error'):
            info[name] = self.attr(run, name, 'str')
        info['seed'] = self.attr(run, 'seed', U64)
        for name in ('t_start_ms', 't_stop_ms', 'wall_time_s'):
            info[name] = self.attr(run, name, F64)
        info['interrupted'] = self.attr(run, 'interrupted', U8)
        if info['interrupted'] is not None and info['interrupted'] not in (0, 1):
            self.fail(run.name + '@interrupted', 'expected 0 or 1')
        t0, t1 = info['t_start_ms'], info['t_stop_ms']
        if t0 is not None and t1 is not None:
            if not (math.isfinite(t0) and math.isfinite(t1) and t1 >= t0):
                self.fail(run.name, 't_start_ms %g, t_stop_ms %g: expected '
                          'finite times with t_stop_ms >= t_start_ms'
                          % (t0, t1))
        if info['wall_time_s'] is not None and not info['wall_time_s'] >= 0:
            self.fail(run.name + '@wall_time_s', 'expected >= 0')
        config = run.get('config')
        if config is None or not isinstance(config, h5py.Dataset):
            self.fail(run.name + '/config', 'missing dataset')
        else:
            sinfo = h5py.check_string_dtype(config.dtype)
            if sinfo is None or sinfo.length is not None or config.shape != ():
                self.fail(config.name, 'expected a scalar variable-length '
                          'string')
        return info

    def populations(self):
        pops = {}
        grp = self.f.get('memspike/populations')
        if grp is None:
            return pops
        for name, g in grp.items():
            self.name_ok(g.name, name)
            if not isinstance(g, h5py.Group):
                self.fail(g.name, 'expected a group')
                continue
            model = self.attr(g, 'model', 'str')
            n_nodes = self.attr(g, 'n_nodes', U64)
            n_spikes = self.attr(g, 'n_spikes', U64)
            if n_nodes is not None and n_nodes < 1:
                self.fail(g.name + '@n_nodes', 'expected at least 1')
            if model is not None and model == '':
                self.fail(g.name + '@model', 'expected a model name')
            pops[name] = (n_nodes, n_spikes)
        return pops

    def spikes(self, run, pops):
        if 'spikes' not in self.f:
            return
        root = self.group(self.f, 'spikes')
        if root is None:
            return
        for name, g in root.items():
            self.name_ok(g.name, name)
            if not isinstance(g, h5py.Group):
                self.fail(g.name, 'expected a population group')
                continue
            self.spike_population(name, g, run, pops)

    def sorting(self, g):
        where = g.name + '@sorting'
        if 'sorting' not in g.attrs:
            self.fail(where, 'missing attribute')
            return None
        aid = g.attrs.get_id('sorting')
        members = h5py.check_enum_dtype(aid.dtype)
        if members is None or dict(members) != SORTING \
                or aid.dtype.base != U8 or aid.shape != ():
            self.fail(where, 'expected a scalar uint8 enum %s' % SORTING)
            return None
        value = int(g.attrs['sorting'])
        for key, v in SORTING.items():
            if v == value:
                return key
        self.fail(where, 'value %d is not a member' % value)
        return None

    def spike_population(self, name, g, run, pops):
        sorting = self.sorting(g)
        ts = self.dataset(g, 'timestamps', F64, 1)
        ids = self.dataset(g, 'node_ids', U64, 1)
        if ts is not None:
            units = self.attr(ts, 'units', 'str')
            if units is not None and units != 'ms':
                self.fail(ts.name + '@units', '%r, expected "ms"' % units)
        if name not in pops:
            self.fail('/memspike/populations/' + name,
                      'missing (every spike population needs one)')
        if ts is None or ids is None:
            return
        if ts.shape != ids.shape:
            self.fail(g.name, 'timestamps has %d values, node_ids %d'
                      % (ts.shape[0], ids.shape[0]))
            return
        n = ts.shape[0]
        n_nodes, n_spikes = pops.get(name, (None, None))
        if run and run.get('write_error') == '' and n_spikes is not None \
                and n_spikes != n:
            self.fail(g.name, '%d spikes, but n_spikes of the population '
                      'is %d' % (n, n_spikes))
        t_lo = run.get('t_start_ms') if run else None
        t_hi = run.get('t_stop_ms') if run else None
        last_t, last_id = -math.inf, 0
        for lo in range(0, n, SLICE):
            t = ts[lo:lo + SLICE]
            i = ids[lo:lo + SLICE]
            if not np.all(np.isfinite(t)):
                self.fail(ts.name, 'non-finite time')
                return
            if sorting == 'by_time' and (
                    t[0] < last_t or np.any(np.diff(t) < 0)):
                self.fail(ts.name, 'not sorted by time although sorting '
                          'is by_time')
                return
            if sorting == 'by_id' and (
                    i[0] < last_id or np.any(np.diff(i) < 0)):
                self.fail(ids.name, 'not sorted by id although sorting '
                          'is by_id')
                return
            if t_lo is not None and t_hi is not None and (
                    t.min() < t_lo or t.max() > t_hi):
                self.fail(ts.name, 'time outside [t_start_ms, t_stop_ms] '
                          '= [%g, %g]' % (t_lo, t_hi))
                return
            if n_nodes is not None and i.max() >= n_nodes:
                self.fail(ids.name, 'node id %d, expected below n_nodes '
                          '= %d' % (i.max(), n_nodes))
                return
            last_t, last_id = t[-1], i[-1]

    def report_group(self, g, var):
        """Check one report group (/report/<pop> or
        /memspike/report/<pop>/<var>); var is the expected variable name or
        None."""
        variable = self.attr(g, 'variable', 'str')
        if var is not None and variable is not None and variable != var:
            self.fail(g.name + '@variable', '%r, expected %r'
                      % (variable, var))
        data = self.dataset(g, 'data', F32, 2)
        if data is not None:
            self.attr(data, 'units', 'str')
            if data.chunks is None or data.maxshape[0] is not None:
                self.fail(data.name, 'expected a chunked dataset with '
                          'unlimited frames')
        m = self.group(g, 'mapping')
        if m is None:
            return variable
        nids = self.dataset(m, 'node_ids', U64, 1)
        ip = self.dataset(m, 'index_pointers', U64, 1)
        eids = self.dataset(m, 'element_ids', U32, 1)
        epos = self.dataset(m, 'element_pos', F32, 1)
        time = self.dataset(m, 'time', F64, 1)
        if nids is None:
            return variable
        n = nids.shape[0]
        if n < 1:
            self.fail(nids.name, 'no nodes')
        if data is not None and data.shape[1] != n:
            self.fail(data.name, '%d columns, expected %d (mapping/node_ids)'
                      % (data.shape[1], n))
        if ip is not None:
            v = ip[()]
            if v.shape != (n + 1,):
                self.fail(ip.name, '%d entries, expected N+1 = %d'
                          % (v.shape[0], n + 1))
            elif v[0] != 0 or np.any(np.diff(v.astype(np.int64)) < 0) \
                    or (data is not None and v[-1] != data.shape[1]):
                self.fail(ip.name, 'expected non-decreasing from 0 to the '
                          'number of columns')
            link = m.get('index_pointer', getlink=True)
            if not isinstance(link, h5py.HardLink):
                self.fail(m.name + '/index_pointer', 'missing hard link')
            elif m['index_pointer'] != ip:
                self.fail(m.name + '/index_pointer', 'not the same dataset '
                          'as index_pointers')
        for ds in (eids, epos):
            if ds is not None:
                if ds.shape != (n,):
                    self.fail(ds.name, '%d values, expected %d'
                              % (ds.shape[0], n))
                elif np.any(ds[()] != 0):
                    self.fail(ds.name, 'expected zeros for point neurons')
        if time is not None:
            self.report_time(time, data)
        return variable

    def report_time(self, time, data):
        units = self.attr(time, 'units', 'str')
        if units is not None and units != 'ms':
            self.fail(time.name + '@units', '%r, expected "ms"' % units)
        if time.shape != (3,):
            self.fail(time.name, 'shape %s, expected (3,)' % (time.shape,))
            return
        start, stop, dt = (float(x) for x in time[()])
        if not (math.isfinite(start) and math.isfinite(stop)
                and math.isfinite(dt) and dt > 0 and stop >= start):
            self.fail(time.name, '[%g, %g, %g]: expected finite start <= '
                      'stop and dt > 0' % (start, stop, dt))
            return
        if data is None:
            return
        frames = data.shape[0]
        if round((stop - start) / dt) != frames \
                or abs(start + frames * dt - stop) > 1e-9 * max(1, abs(stop)):
            self.fail(time.name, '[%g, %g, %g] describes %g frames, data '
                      'has %d' % (start, stop, dt, (stop - start) / dt,
                                  frames))

    def reports(self):
        sonata = self.f.get('report')
        extra = self.f.get('memspike/report')
        if sonata is not None:
            for name, g in sonata.items():
                self.name_ok(g.name, name)
                if not isinstance(g, h5py.Group):
                    self.fail(g.name, 'expected a population group')
                    continue
                var = self.report_group(g, None)
                if var is None:
                    continue
                alias = '/memspike/report/%s/%s' % (name, var)
                if alias not in self.f:
                    self.fail(alias, 'missing (hard link to %s)' % g.name)
                elif self.f[alias] != g:
                    self.fail(alias, 'not the same object as %s' % g.name)
        if extra is None:
            return
        for name, pg in extra.items():
            if sonata is None or name not in sonata:
                self.fail('/report/' + name, 'missing, but %s exists'
                          % pg.name)
            if not isinstance(pg, h5py.Group):
                self.fail(pg.name, 'expected a group')
                continue
            for var, g in pg.items():
                self.name_ok(g.name, var)
                if not isinstance(g, h5py.Group):
                    self.fail(g.name, 'expected a group')
                    continue
                self.report_group(g, var)

    def synapse_reports(self):
        """/memspike/synapses/<pre>__<post>[__m]/<var>: data [F, S],
        mapping/{src_ids, trg_ids, edge_ids} [S], mapping/time."""
        top = self.f.get('memspike/synapses')
        if top is None:
            return
        for name, pg in top.items():
            self.name_ok(pg.name, name)
            if not isinstance(pg, h5py.Group):
                self.fail(pg.name, 'expected a projection group')
                continue
            for var, g in pg.items():
                if var not in ('w', 'G'):
                    self.fail(g.name, 'unknown synapse variable %r, '
                              'expected w or G' % var)
                    continue
                variable = self.attr(g, 'variable', 'str')
                if variable is not None and variable != var:
                    self.fail(g.name + '@variable', '%r, expected %r'
                              % (variable, var))
                data = self.dataset(g, 'data', F32, 2)
                if data is not None:
                    units = self.attr(data, 'units', 'str')
                    want = 'nS' if var == 'G' else ''
                    if units is not None and units != want:
                        self.fail(data.name + '@units', '%r, expected %r'
                                  % (units, want))
                m = self.group(g, 'mapping')
                if m is None:
                    continue
                n = data.shape[1] if data is not None else None
                for ds_name in ('src_ids', 'trg_ids', 'edge_ids'):
                    ds = self.dataset(m, ds_name, U64, 1)
                    if ds is not None and n is not None \
                            and ds.shape != (n,):
                        self.fail(ds.name, '%d values, expected %d (the '
                                  'columns of data)' % (ds.shape[0], n))
                    if ds_name == 'edge_ids' and ds is not None \
                            and np.any(ds[()] != np.arange(ds.shape[0])):
                        self.fail(ds.name, 'expected 0, 1, ..., S-1')
                time = self.dataset(m, 'time', F64, 1)
                if time is not None:
                    self.report_time(time, data)

    def check(self):
        self.root()
        run = self.run()
        pops = self.populations()
        self.spikes(run, pops)
        self.reports()
        self.synapse_reports()
        return self.errors


def _join(parent, name):
    return parent.rstrip('/') + '/' + name


def main(argv):
    if len(argv) != 2 or argv[1].startswith('-'):
        print('usage: verify_format.py FILE', file=sys.stderr)
        return 2
    path = argv[1]
    try:
        f = h5py.File(path, 'r')
    except OSError as e:
        print('%s: cannot read as HDF5: %s' % (path, e), file=sys.stderr)
        return 2
    with f:
        errors = Checker(f).check()
        n_spikes = sum(g['timestamps'].shape[0]
                       for g in f.get('spikes', {}).values()
                       if isinstance(g, h5py.Group) and 'timestamps' in g)
        n_reports = sum(len(g) for g in f.get('memspike/report', {}).values()
                        if isinstance(g, h5py.Group))
    for e in errors:
        print('%s: %s' % (path, e), file=sys.stderr)
    if errors:
        print('%s: %d violation(s) of docs/formats.md' % (path, len(errors)),
              file=sys.stderr)
        return 1
    print('%s: ok (%d spikes, %d traced variables)'
          % (path, n_spikes, n_reports))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
