#!/usr/bin/env python3
"""NIfTI-1 reference files written by nibabel, for the tests of crates/oneclass-volume.

    /work/pyref/bin/python scripts/nifti_fixtures.py            # (re)writes the fixtures
    /work/pyref/bin/python scripts/nifti_fixtures.py check F...  # opens project-written files

The first form writes small .nii / .nii.gz files (u8, i16 with scl_slope/scl_inter, f32, f64,
an oblique and a sheared affine) into crates/oneclass-volume/tests/fixtures/ and `nibabel.json`
with, per file, every header field as stored in the file (read back from the raw 348 bytes), the
affine nibabel reports, the raw (unscaled) voxel values and the scaled values (get_fdata).

The second form loads files written by the project (e.g. the score maps of
`oneclass bench volumes`) with nibabel and checks what a standard reader relies on: magic,
sizeof_hdr, vox_offset, a datatype nibabel understands, dims matching the data, a finite affine.
"""
import json
import math
import sys
from pathlib import Path

import nibabel as nib
import numpy as np

OUT = Path(__file__).resolve().parent.parent / "crates" / "oneclass-volume" / "tests" / "fixtures"


def rotation_z(deg):
    t = math.radians(deg)
    return np.array([[math.cos(t), -math.sin(t), 0.0], [math.sin(t), math.cos(t), 0.0], [0.0, 0.0, 1.0]])


def affine(linear, offset):
    a = np.eye(4)
    a[:3, :3] = linear
    a[:3, 3] = offset
    return a


def header_fields(raw):
    """Every field of the stored header, as plain JSON values (bytes as lists of ints)."""
    hdr = nib.Nifti1Header(binaryblock=raw[:348])
    fields = {}
    for name in hdr.keys():
        v = hdr[name]
        if isinstance(v, np.ndarray) and v.dtype.kind == "S":
            fields[name] = list(bytes(v.tobytes()))
        elif isinstance(v, np.ndarray):
            vals = v.tolist()
            fields[name] = [None if isinstance(x, float) and math.isnan(x) else x for x in vals] if isinstance(vals, list) else (None if isinstance(vals, float) and math.isnan(vals) else vals)
        else:
            fields[name] = v
    return fields


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20240801)
    oblique = affine(rotation_z(12.0) @ np.diag([-1.0, 1.0, 1.2]), [91.0, -126.0, -72.0])
    sheared = affine([[0.9, 0.1, 0.0], [-0.1, 0.95, 0.05], [0.0, 0.0, 1.2]], [-90.0, -126.0, -72.0])
    cases = [
        ("u8_oblique.nii", rng.integers(0, 256, size=(5, 4, 3)).astype(np.uint8), oblique, None),
        ("i16_scaled.nii.gz", rng.integers(-3000, 3000, size=(4, 6, 3)).astype(np.int16), oblique, (0.5, -3.0)),
        ("f32_plain.nii.gz", rng.normal(size=(6, 5, 4)).astype(np.float32), np.diag([1.0, 1.0, 1.0, 1.0]), None),
        ("f64_sheared.nii", rng.normal(size=(3, 4, 5)).astype(np.float64), sheared, None),
    ]
    expected = {}
    for name, data, aff, scaling in cases:
        img = nib.Nifti1Image(data, aff)
        if scaling is not None:
            img.header.set_slope_inter(*scaling)
        path = OUT / name
        nib.save(img, str(path))
        raw = nib.openers.ImageOpener(str(path)).read()
        back = nib.load(str(path))
        expected[name] = {
            "shape": list(data.shape),
            "dtype": str(data.dtype),
            "header": header_fields(raw),
            "affine": back.affine.tolist(),
            # Fortran (x fastest) order, as stored in the file.
            "raw": np.asarray(back.dataobj.get_unscaled()).ravel(order="F").tolist(),
            "scaled": back.get_fdata(dtype=np.float64).ravel(order="F").tolist(),
            "file_bytes": len(raw),
        }
    (OUT / "nibabel.json").write_text(json.dumps(expected, indent=1) + "\n")
    print(f"wrote {len(cases)} files and nibabel.json into {OUT}")


def check(paths):
    bad = 0
    for p in paths:
        img = nib.load(p)
        h = img.header
        raw = nib.openers.ImageOpener(p).read()
        ok = (
            raw[344:348] == b"n+1\x00"
            and int.from_bytes(raw[0:4], "little") == 348
            and float(np.frombuffer(raw[108:112], "<f4")[0]) >= 352
            and tuple(int(d) for d in h["dim"][1 : 1 + h["dim"][0]]) == img.shape
            and np.all(np.isfinite(img.affine))
        )
        data = img.get_fdata()
        print(f"{p}: shape {img.shape} dtype {img.get_data_dtype()} sform_code {int(h['sform_code'])} "
              f"qform_code {int(h['qform_code'])} zooms {tuple(round(float(z), 4) for z in h.get_zooms())} "
              f"min {data.min():.4g} max {data.max():.4g} {'OK' if ok else 'NOT OK'}")
        bad += not ok
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "check":
        check(sys.argv[2:])
    else:
        main()
