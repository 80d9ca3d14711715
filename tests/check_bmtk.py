#!/usr/bin/python3
"""Check that bmtk reads the spikes of a memspike file as h5py does.

usage: check_bmtk.py FILE

Loads FILE with bmtk.utils.reports.spike_trains.SpikeTrains (Debian package
python3-bmtk) and compares what bmtk reports with the raw datasets: the
population names, the number of spikes of each, their units, every
(time, node id) pair in file order, and the spike times of single nodes.
Exit status 0 if everything matches, 1 if not (reasons on stderr), 2 on
bad usage.
"""
import sys
import warnings

import h5py
import numpy as np


def main(argv):
    if len(argv) != 2:
        print('usage: check_bmtk.py FILE', file=sys.stderr)
        return 2
    path = argv[1]
    with h5py.File(path, 'r') as f:
        if 'spikes' not in f:
            print('%s: no /spikes group' % path, file=sys.stderr)
            return 1
        expect = {name: (g['timestamps'][()], g['node_ids'][()])
                  for name, g in f['spikes'].items()}

    # bmtk warns about things it does not use (NWB, MPI); they are not
    # what this test is about.
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        from bmtk.utils.reports.spike_trains import SpikeTrains
        st = SpikeTrains.load(path, file_type='sonata')

    errors = []
    if sorted(st.populations) != sorted(expect):
        errors.append('bmtk sees populations %s, h5py %s'
                      % (sorted(st.populations), sorted(expect)))
    for pop, (ts, ids) in sorted(expect.items()):
        if pop not in st.populations:
            continue
        n = st.n_spikes(population=pop)
        if n != len(ts):
            errors.append('%s: bmtk counts %d spikes, the file has %d'
                          % (pop, n, len(ts)))
        if st.units(population=pop) != 'ms':
            errors.append('%s: bmtk reads units %r, expected "ms"'
                          % (pop, st.units(population=pop)))
        df = st.to_dataframe(populations=pop, with_population_col=False)
        if len(df) != len(ts) \
                or not np.array_equal(df['timestamps'].to_numpy(), ts) \
                or not np.array_equal(df['node_ids'].to_numpy(), ids):
            errors.append('%s: bmtk returns different spikes' % pop)
        for node in np.unique(ids)[:5]:
            got = np.asarray(st.get_times(int(node), population=pop))
            if not np.array_equal(got, ts[ids == node]):
                errors.append('%s: bmtk returns different times for node %d'
                              % (pop, node))
    for e in errors:
        print('%s: %s' % (path, e), file=sys.stderr)
    if errors:
        return 1
    print('%s: bmtk reads %d populations, %d spikes, as h5py does'
          % (path, len(expect), sum(len(t) for t, _ in expect.values())))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
