#!/usr/bin/env python3
"""Writes the protocol-4 label files under tests/data/numpy2/ (TestGroundTruth).

NumPy 2.x's np.save pickles object arrays with protocol 4 (FRAME, MEMOIZE,
SHORT_BINUNICODE, STACK_GLOBAL) and names numpy._core.multiarray._reconstruct;
NumPy 1.x writes protocol 3 and numpy.core. Debian 12 has NumPy 1.24, so the
NumPy 2 files are made here with Python's own pickler (valid framing) and a
reducer that gives ndarrays NumPy 2's module name. np2_seglab_0.02.npy is
byte-identical to what Debian 13's NumPy 2.2.4 writes with
np.save(path, labels, allow_pickle=True) for the same dict (checked in a trixie
chroot). Run with Debian's python3 (numpy 1.x):
  python3 tests/support/make_numpy2_pickles.py
"""
import io
import os
import pickle
import pickletools
import struct
import sys
import types

import numpy as np

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data', 'numpy2')
os.makedirs(out, exist_ok=True)

# numpy._core.multiarray._reconstruct, as NumPy 2 names it (a stand-in module for the pickler's lookup).
core = types.ModuleType('numpy._core')
multiarray = types.ModuleType('numpy._core.multiarray')
def _reconstruct(*args):
    return np.core.multiarray._reconstruct(*args)
_reconstruct.__module__ = 'numpy._core.multiarray'
_reconstruct.__qualname__ = '_reconstruct'
multiarray._reconstruct = _reconstruct
def scalar(*args):
    return np.core.multiarray.scalar(*args)
scalar.__module__ = 'numpy._core.multiarray'
scalar.__qualname__ = 'scalar'
multiarray.scalar = scalar
sys.modules.setdefault('numpy._core', core)
sys.modules.setdefault('numpy._core.multiarray', multiarray)


class Numpy2Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if type(obj) is np.ndarray:
            f, args, state = obj.__reduce__()
            assert f is np.core.multiarray._reconstruct
            return (_reconstruct, args, state)
        if isinstance(obj, np.generic):
            f, args = obj.__reduce__()
            assert f is np.core.multiarray.scalar
            return (scalar, args)
        return NotImplemented


def header(f):
    np.lib.format.write_array_header_1_0(f, {'descr': '|O', 'fortran_order': False, 'shape': ()})


def save(name, obj, pickler=Numpy2Pickler):
    """np.save(name, obj, allow_pickle=True) as NumPy 2 writes it (protocol 4)."""
    a = np.empty((), dtype=object)
    a[()] = obj
    buf = io.BytesIO()
    pickler(buf, protocol=4).dump(a)
    data = buf.getvalue()
    assert data[:2] == b'\x80\x04'
    with open(os.path.join(out, name), 'wb') as f:
        header(f)
        f.write(data)
    return data


labels = {'CON_E_0000001': np.array(['1', '1', '0', '0', '1', '0']),
          'CON_E_0000002': np.array(['1', '1', '1']),
          'CON_E_0000003': np.array([b'0', b'1'], dtype='S1'),
          'CON_E_0000004': np.array(['0', '1'], dtype=object)}

# 1. NumPy 2's spelling: protocol 4 and numpy._core.
data = save('np2_seglab_0.02.npy', labels)
assert b'numpy._core.multiarray' in data and b'numpy.core' not in data
# 2. Protocol 4 with NumPy 1's module names (np.save's pickle_kwargs / pickle.dump(protocol=4) on NumPy 1).
data = save('p4core_seglab_0.02.npy', labels, pickle.Pickler)
assert b'numpy.core.multiarray' in data
# 3. A NumPy scalar (numpy._core.multiarray.scalar) is not on the list, under either name.
save('np2scalar_seglab_0.02.npy', {'CON_E_1': np.array(['0', '1']), 'x': np.float64(0.5)})

# 4. Malicious: STACK_GLOBAL naming os.system, in a valid protocol-4 frame.
#    PROTO 4, FRAME n, 'os' MEMOIZE 'system' MEMOIZE STACK_GLOBAL MEMOIZE 'touch ...' TUPLE1 REDUCE STOP.
def short_unicode(s):
    b = s.encode()
    return b'\x8c' + bytes([len(b)]) + b + b'\x94'
body = (short_unicode('os') + short_unicode('system') + b'\x93\x94' +
        short_unicode('touch spooflens_pwned_p4') + b'\x85\x94R\x94.')
evil = b'\x80\x04\x95' + struct.pack('<Q', len(body)) + body
pickletools.dis(evil, out=io.StringIO())   # a well-formed pickle
with open(os.path.join(out, 'evil_p4_seglab_0.02.npy'), 'wb') as f:
    header(f)
    f.write(evil)

for name in sorted(os.listdir(out)):
    print(name, os.path.getsize(os.path.join(out, name)))
