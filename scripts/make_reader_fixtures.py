"""Generates the reference files for crates/oneclass-data/tests/readers_*.rs.

Run with the reference venv (numpy, scipy):
    /work/pyref/bin/python scripts/make_reader_fixtures.py
Writes small .npy/.npz/.mat files written by NumPy/SciPy themselves, plus expected.json with
the values they hold (and reference numbers for the shared real datasets), so the Rust tests
need no Python.
"""
import json
import os
import sys

import numpy as np
import scipy.io as sio
import scipy.sparse as sp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "oneclass-data", "tests", "fixtures", "readers")
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")
os.makedirs(OUT, exist_ok=True)

expected = {"npy": {}, "npz": {}, "mat": {}, "real": {}}


def flat(a):
    a = np.asarray(a)
    if a.dtype == np.bool_:
        return [bool(v) for v in a.ravel(order="C")]
    if a.dtype.kind == "f":
        # Bit patterns as hex, so the Rust side can compare exactly (no decimal round trip).
        a = a.astype(a.dtype.newbyteorder("<"))
        bits = np.ascontiguousarray(a).view("<u%d" % a.dtype.itemsize)
        return ["%x" % int(v) for v in bits.ravel(order="C")]
    return [int(v) for v in a.ravel(order="C")]


def record(section, name, a, dtype_name=None):
    a = np.asarray(a)
    expected[section][name] = {
        "shape": list(a.shape),
        "dtype": dtype_name or a.dtype.name,
        "values": flat(a),
    }


# --- .npy files -------------------------------------------------------------------------
rng = np.random.default_rng(20240611)
f64 = rng.normal(size=(3, 4))
f64[0, 0] = 1e-310  # a subnormal, to check bit-exact decoding
f64[1, 1] = -0.0
arrays = {
    "f64_c": f64,
    "f32_c": rng.normal(size=(2, 5)).astype(np.float32),
    "u8_c": rng.integers(0, 256, size=(4, 3), dtype=np.uint8),
    "i64_c": rng.integers(-(2**62), 2**62, size=(2, 3), dtype=np.int64),
    "bool_1d": np.array([True, False, True, True]),
    "i8_c": np.array([[-128, 127], [0, -1]], dtype=np.int8),
    "u16_c": np.array([[0, 65535, 1234]], dtype=np.uint16),
    "i32_c": np.array([[-2147483648, 2147483647], [5, -6]], dtype=np.int32),
    "u32_c": np.array([4294967295, 0, 7], dtype=np.uint32),
    "u64_c": np.array([[2**64 - 1, 0]], dtype=np.uint64),
    "f64_fortran": np.asfortranarray(f64),
    "f32_fortran_3d": np.asfortranarray(rng.normal(size=(2, 3, 4)).astype(np.float32)),
    "f64_big_endian": f64.astype(">f8"),
    "i16_big_endian": np.array([[1, -2, 300], [-32768, 32767, 0]], dtype=">i2"),
    "f64_1d": np.arange(5, dtype=np.float64) * 0.5,
    "f64_scalar": np.array(3.25),
    "f64_empty_rows": np.zeros((0, 3)),
    "u8_images_nchw": rng.integers(0, 256, size=(3, 2, 2, 2), dtype=np.uint8),
}
for name, a in arrays.items():
    np.save(os.path.join(OUT, name + ".npy"), a)
    record("npy", name, a, dtype_name=a.dtype.newbyteorder("=").name)

# Same f64 array, header versions 2.0 and 3.0.
for version in [(2, 0), (3, 0)]:
    name = "f64_v%d" % version[0]
    with open(os.path.join(OUT, name + ".npy"), "wb") as fh:
        np.lib.format.write_array(fh, f64, version=version)
    record("npy", name, f64)

# NaN / Inf inside a table: row 2, column 1 (0-based) is NaN; Inf at row 3, column 0.
with_nan = rng.normal(size=(4, 3))
with_nan[2, 1] = np.nan
np.save(os.path.join(OUT, "f64_nan_r2_c1.npy"), with_nan)
with_inf = rng.normal(size=(4, 3))
with_inf[3, 0] = -np.inf
np.save(os.path.join(OUT, "f64_inf_r3_c0.npy"), with_inf)

# Unsupported dtypes.
np.save(os.path.join(OUT, "object_dtype.npy"), np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
np.save(os.path.join(OUT, "structured_dtype.npy"), np.zeros(3, dtype=[("a", "<f8"), ("b", "<i4")]))
np.save(os.path.join(OUT, "f16.npy"), np.ones((2, 2), dtype=np.float16))
np.save(os.path.join(OUT, "complex.npy"), np.ones((2, 2), dtype=np.complex128))

# Labels.
np.save(os.path.join(OUT, "labels_ok_i64.npy"), np.array([0, 1, 1, 0, 0], dtype=np.int64))
np.save(os.path.join(OUT, "labels_ok_f64_col.npy"), np.array([[0.0], [1.0], [0.0]]))
np.save(os.path.join(OUT, "labels_bad_2_at_3.npy"), np.array([0, 1, 0, 2, 1], dtype=np.int32))
np.save(os.path.join(OUT, "labels_bad_half_at_1.npy"), np.array([0.0, 0.5, 1.0]))
np.save(os.path.join(OUT, "labels_2d.npy"), np.zeros((3, 2)))

# --- .npz -------------------------------------------------------------------------------
x_small = rng.normal(size=(6, 3))
y_small = np.array([0, 0, 1, 0, 1, 0], dtype=np.int64)
np.savez(os.path.join(OUT, "stored.npz"), X=x_small, y=y_small)
np.savez_compressed(os.path.join(OUT, "deflated.npz"), X=x_small, y=y_small)
np.savez_compressed(os.path.join(OUT, "no_x.npz"), data=x_small, y=y_small)
np.savez_compressed(os.path.join(OUT, "y_wrong_length.npz"), X=x_small, y=y_small[:5])
np.savez_compressed(os.path.join(OUT, "y_bad_values.npz"), X=x_small, y=np.array([0, 0, 3, 0, 1, 0]))
record("npz", "X", x_small)
record("npz", "y", y_small)

# --- .mat -------------------------------------------------------------------------------
mat_vars = {
    "d2": rng.normal(size=(3, 4)),
    "s2": rng.normal(size=(2, 3)).astype(np.float32),
    "i8": np.array([[-5, 6, 7]], dtype=np.int8),
    "u16": np.array([[1], [65535]], dtype=np.uint16),
    "i32": np.array([[-7, 8], [9, 2147483647]], dtype=np.int32),
    "i64": np.array([[-(2**40), 2**41]], dtype=np.int64),
    "u8": np.array([[0, 255, 3]], dtype=np.uint8),
    "logical": np.array([[True, False, True]]),
    "d3": rng.normal(size=(2, 3, 4)),
    "intvalued_double": np.array([[1.0, 2.0], [3.0, 250.0]]),  # MATLAB-style: may be stored as miUINT8
}
others = {
    "cellvar": np.array([[np.array([[1.0]]), np.array([[2.0]])]], dtype=object),
    "structvar": {"a": np.array([[1.0]])},
    "charvar": "hello",
    "sparsevar": sp.csc_matrix(np.eye(3)),
    "complexvar": np.array([[1 + 2j, 3 - 1j]]),
}
for compress in (False, True):
    name = "v5_compressed.mat" if compress else "v5_plain.mat"
    sio.savemat(os.path.join(OUT, name), {**mat_vars, **others}, do_compression=compress)
for k, v in mat_vars.items():
    a = np.asarray(v)
    if a.ndim == 1:
        a = a.reshape(1, -1)
    record("mat", k, a)
sio.savemat(os.path.join(OUT, "v4.mat"), {"X": np.eye(2)}, format="4")
sio.savemat(os.path.join(OUT, "xy.mat"), {"X": x_small, "y": y_small.reshape(-1, 1).astype(np.uint8)})

# A MATLAB-stored double with integer values: write the element by hand (miDOUBLE class,
# miUINT8 storage), as MATLAB does to save space. scipy never writes this form.
def small_tag(dtype, payload):
    return np.array([dtype | (len(payload) << 16)], "<u4").tobytes() + payload.ljust(4, b"\0")


def tag(dtype, payload):
    pad = (-len(payload)) % 8
    return np.array([dtype, len(payload)], "<u4").tobytes() + payload + b"\0" * pad


vals = np.array([[1, 2, 250], [4, 5, 6]], dtype=np.float64)  # 2x3
body = tag(6, np.array([6, 0], "<u4").tobytes())  # flags: class mxDOUBLE
body += tag(5, np.array([2, 3], "<i4").tobytes())
body += small_tag(1, b"X")
body += tag(2, vals.ravel(order="F").astype(np.uint8).tobytes())
header = b"MATLAB 5.0 MAT-file, hand-made test for miUINT8-stored doubles".ljust(116, b" ")
header += b"\0" * 8 + np.array([0x0100], "<u2").tobytes() + b"IM"
with open(os.path.join(OUT, "double_as_uint8.mat"), "wb") as fh:
    fh.write(header + tag(14, body))
record("mat", "double_as_uint8_X", vals)

# The same, big-endian ("MI"), to check byte-order handling.
def btag(dtype, payload):
    pad = (-len(payload)) % 8
    return np.array([dtype, len(payload)], ">u4").tobytes() + payload + b"\0" * pad


def bsmall_tag(dtype, payload):
    return np.array([dtype | (len(payload) << 16)], ">u4").tobytes() + payload.ljust(4, b"\0")


body = btag(6, np.array([6, 0], ">u4").tobytes())
body += btag(5, np.array([2, 3], ">i4").tobytes())
body += bsmall_tag(1, b"X")
body += btag(9, vals.ravel(order="F").astype(">f8").tobytes())
header = b"MATLAB 5.0 MAT-file, hand-made big-endian test".ljust(116, b" ")
header += b"\0" * 8 + np.array([0x0100], ">u2").tobytes() + b"MI"
with open(os.path.join(OUT, "big_endian.mat"), "wb") as fh:
    fh.write(header + btag(14, body))

# --- real datasets (read-only shared copies) --------------------------------------------
def summary(X, y):
    X = np.asarray(X, dtype=np.float64)
    return {
        "shape": list(X.shape),
        "anomalies": int(np.asarray(y).sum()),
        "x_sum": float(X.sum()),
        "x_first_row": [float(v) for v in X[0]],
        "x_last": float(X[-1, -1]),
    }


for name in ["arrhythmia", "thyroid", "breastw", "shuttle"]:
    m = sio.loadmat(os.path.join(DATA, "odds", name + ".mat"))
    expected["real"]["odds/" + name + ".mat"] = summary(m["X"], m["y"])
for name in ["14_glass", "29_Pima", "42_WBC"]:
    d = np.load(os.path.join(DATA, "adbench", name + ".npz"))
    expected["real"]["adbench/" + name + ".npz"] = summary(d["X"], d["y"])

with open(os.path.join(OUT, "expected.json"), "w") as fh:
    json.dump(expected, fh, indent=1, sort_keys=True)
print("wrote", OUT, "numpy", np.__version__, "scipy", __import__("scipy").__version__, file=sys.stderr)

# The shared OCSVM fixture CSV parsed by NumPy, to check the Rust CSV reader bit for bit.
FIX = os.path.join(os.path.dirname(ROOT), "shared", "fixtures", "ocsvm")
np.save(os.path.join(OUT, "X_train_d2_n50_numpy.npy"),
        np.loadtxt(os.path.join(FIX, "X_train_d2_n50.csv"), delimiter=","))
