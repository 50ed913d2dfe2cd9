//! NIfTI-1 single-file images (`.nii`, and `.nii.gz` recognised by its gzip magic): the whole
//! 348-byte header kept field by field (so a read-then-write is byte-identical), extension
//! bytes, voxel types u8 / i16 / f32 / f64, scaling `scl_slope`, `scl_inter`, and the affine
//! (sform when `sform_code` > 0, else qform when `qform_code` > 0, else the pixdim diagonal —
//! the NIfTI-1 standard's methods 3, 2, 1).
//!
//! New images get the header nibabel writes for `Nifti1Image(data, affine)`: sform_code 2
//! (aligned), qform_code 0 with the quaternion of the nearest rotation filled in, pixdim[0] =
//! qfac, pixdim[1..4] = the affine's column norms, vox_offset 352, scl_slope 1, scl_inter 0.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Result, VolumeError};

/// Size of the NIfTI-1 header.
pub const HEADER_SIZE: usize = 348;

/// Voxel types this reader accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DataType {
    U8,
    I16,
    F32,
    F64,
}

impl DataType {
    pub fn code(self) -> i16 {
        match self {
            DataType::U8 => 2,
            DataType::I16 => 4,
            DataType::F32 => 16,
            DataType::F64 => 64,
        }
    }
    pub fn bits(self) -> i16 {
        match self {
            DataType::U8 => 8,
            DataType::I16 => 16,
            DataType::F32 => 32,
            DataType::F64 => 64,
        }
    }
    pub fn from_code(code: i16) -> Option<DataType> {
        [DataType::U8, DataType::I16, DataType::F32, DataType::F64].into_iter().find(|t| t.code() == code)
    }
}

/// Stored voxel values, Fortran order (x fastest), before scaling.
#[derive(Clone, Debug, PartialEq)]
pub enum VoxelData {
    U8(Vec<u8>),
    I16(Vec<i16>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl VoxelData {
    pub fn len(&self) -> usize {
        match self {
            VoxelData::U8(v) => v.len(),
            VoxelData::I16(v) => v.len(),
            VoxelData::F32(v) => v.len(),
            VoxelData::F64(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn data_type(&self) -> DataType {
        match self {
            VoxelData::U8(_) => DataType::U8,
            VoxelData::I16(_) => DataType::I16,
            VoxelData::F32(_) => DataType::F32,
            VoxelData::F64(_) => DataType::F64,
        }
    }
    /// The stored values as f64 (no scaling).
    pub fn raw_f64(&self) -> Vec<f64> {
        match self {
            VoxelData::U8(v) => v.iter().map(|&x| x as f64).collect(),
            VoxelData::I16(v) => v.iter().map(|&x| x as f64).collect(),
            VoxelData::F32(v) => v.iter().map(|&x| x as f64).collect(),
            VoxelData::F64(v) => v.clone(),
        }
    }
}

/// Every field of the NIfTI-1 header, in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct NiftiHeader {
    pub sizeof_hdr: i32,
    pub data_type: [u8; 10],
    pub db_name: [u8; 18],
    pub extents: i32,
    pub session_error: i16,
    pub regular: u8,
    pub dim_info: u8,
    pub dim: [i16; 8],
    pub intent_p1: f32,
    pub intent_p2: f32,
    pub intent_p3: f32,
    pub intent_code: i16,
    pub datatype: i16,
    pub bitpix: i16,
    pub slice_start: i16,
    pub pixdim: [f32; 8],
    pub vox_offset: f32,
    pub scl_slope: f32,
    pub scl_inter: f32,
    pub slice_end: i16,
    pub slice_code: u8,
    pub xyzt_units: u8,
    pub cal_max: f32,
    pub cal_min: f32,
    pub slice_duration: f32,
    pub toffset: f32,
    pub glmax: i32,
    pub glmin: i32,
    pub descrip: [u8; 80],
    pub aux_file: [u8; 24],
    pub qform_code: i16,
    pub sform_code: i16,
    pub quatern_b: f32,
    pub quatern_c: f32,
    pub quatern_d: f32,
    pub qoffset_x: f32,
    pub qoffset_y: f32,
    pub qoffset_z: f32,
    pub srow_x: [f32; 4],
    pub srow_y: [f32; 4],
    pub srow_z: [f32; 4],
    pub intent_name: [u8; 16],
    pub magic: [u8; 4],
    /// Byte order of the file (written back the same way).
    pub big_endian: bool,
}

/// Little helper that reads fields in order with the file's byte order.
struct FieldReader<'a> {
    bytes: &'a [u8],
    pos: usize,
    big: bool,
}

impl FieldReader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&self.bytes[self.pos..self.pos + N]);
        self.pos += N;
        a
    }
    fn ordered<const N: usize>(&mut self) -> [u8; N] {
        let mut a = self.take::<N>();
        if self.big {
            a.reverse();
        }
        a
    }
    fn i16(&mut self) -> i16 {
        i16::from_le_bytes(self.ordered())
    }
    fn i32(&mut self) -> i32 {
        i32::from_le_bytes(self.ordered())
    }
    fn f32(&mut self) -> f32 {
        f32::from_le_bytes(self.ordered())
    }
    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    fn i16s<const N: usize>(&mut self) -> [i16; N] {
        std::array::from_fn(|_| self.i16())
    }
    fn f32s<const N: usize>(&mut self) -> [f32; N] {
        std::array::from_fn(|_| self.f32())
    }
}

struct FieldWriter {
    out: Vec<u8>,
    big: bool,
}

impl FieldWriter {
    fn put<const N: usize>(&mut self, mut a: [u8; N]) {
        if self.big {
            a.reverse();
        }
        self.out.extend_from_slice(&a);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }
    fn i16(&mut self, v: i16) {
        self.put(v.to_le_bytes())
    }
    fn i32(&mut self, v: i32) {
        self.put(v.to_le_bytes())
    }
    fn f32(&mut self, v: f32) {
        self.put(v.to_le_bytes())
    }
}

impl NiftiHeader {
    /// Parses the first 348 bytes; `path` only names the file in errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<NiftiHeader> {
        let bad = |field: &str, detail: String| VolumeError::Nifti { path: path.to_path_buf(), field: field.into(), detail };
        if bytes.len() < HEADER_SIZE {
            return Err(bad("sizeof_hdr", format!("the file has {} bytes, a NIfTI-1 header needs {HEADER_SIZE}", bytes.len())));
        }
        let le = i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let be = i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let big = match (le, be) {
            (348, _) => false,
            (_, 348) => true,
            (540, _) | (_, 540) => return Err(bad("sizeof_hdr", "540: a NIfTI-2 file; only NIfTI-1 (348) is supported".into())),
            _ => return Err(bad("sizeof_hdr", format!("{le} (little-endian) / {be} (big-endian), expected 348"))),
        };
        let mut r = FieldReader { bytes, pos: 0, big };
        let h = NiftiHeader {
            sizeof_hdr: r.i32(),
            data_type: r.take(),
            db_name: r.take(),
            extents: r.i32(),
            session_error: r.i16(),
            regular: r.u8(),
            dim_info: r.u8(),
            dim: r.i16s(),
            intent_p1: r.f32(),
            intent_p2: r.f32(),
            intent_p3: r.f32(),
            intent_code: r.i16(),
            datatype: r.i16(),
            bitpix: r.i16(),
            slice_start: r.i16(),
            pixdim: r.f32s(),
            vox_offset: r.f32(),
            scl_slope: r.f32(),
            scl_inter: r.f32(),
            slice_end: r.i16(),
            slice_code: r.u8(),
            xyzt_units: r.u8(),
            cal_max: r.f32(),
            cal_min: r.f32(),
            slice_duration: r.f32(),
            toffset: r.f32(),
            glmax: r.i32(),
            glmin: r.i32(),
            descrip: r.take(),
            aux_file: r.take(),
            qform_code: r.i16(),
            sform_code: r.i16(),
            quatern_b: r.f32(),
            quatern_c: r.f32(),
            quatern_d: r.f32(),
            qoffset_x: r.f32(),
            qoffset_y: r.f32(),
            qoffset_z: r.f32(),
            srow_x: r.f32s(),
            srow_y: r.f32s(),
            srow_z: r.f32s(),
            intent_name: r.take(),
            magic: r.take(),
            big_endian: big,
        };
        debug_assert_eq!(r.pos, HEADER_SIZE);
        h.check(path)?;
        Ok(h)
    }

    fn check(&self, path: &Path) -> Result<()> {
        let bad = |field: &str, detail: String| VolumeError::Nifti { path: path.to_path_buf(), field: field.into(), detail };
        match &self.magic {
            b"n+1\0" => {}
            b"ni1\0" => return Err(bad("magic", "\"ni1\": a two-file (.hdr/.img) NIfTI pair; only single .nii / .nii.gz files are supported".into())),
            m => return Err(bad("magic", format!("{m:?}, expected \"n+1\\0\" (single-file NIfTI-1)"))),
        }
        let rank = self.dim[0];
        if !(1..=7).contains(&rank) {
            return Err(bad("dim", format!("dim[0] = {rank}, expected 1 to 7 dimensions")));
        }
        for i in 1..=rank as usize {
            if self.dim[i] < 1 {
                return Err(bad("dim", format!("dim[{i}] = {}, every used dimension must be ≥ 1", self.dim[i])));
            }
        }
        let Some(t) = DataType::from_code(self.datatype) else {
            return Err(bad("datatype", format!("code {}, expected 2 (uint8), 4 (int16), 16 (float32) or 64 (float64)", self.datatype)));
        };
        if self.bitpix != t.bits() {
            return Err(bad("bitpix", format!("{} for datatype {} ({t:?}), expected {}", self.bitpix, self.datatype, t.bits())));
        }
        if !(self.vox_offset >= HEADER_SIZE as f32 + 4.0 && self.vox_offset.fract() == 0.0 && self.vox_offset < 1e9) {
            return Err(bad("vox_offset", format!("{}, expected a whole number ≥ 352 for a single-file NIfTI", self.vox_offset)));
        }
        if !(self.scl_slope.is_finite() || self.scl_slope.is_nan()) || !(self.scl_inter.is_finite() || self.scl_inter.is_nan()) {
            return Err(bad("scl_slope", format!("slope {} and intercept {} must be finite", self.scl_slope, self.scl_inter)));
        }
        Ok(())
    }

    /// The 348 header bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = FieldWriter { out: Vec::with_capacity(HEADER_SIZE), big: self.big_endian };
        w.i32(self.sizeof_hdr);
        w.bytes(&self.data_type);
        w.bytes(&self.db_name);
        w.i32(self.extents);
        w.i16(self.session_error);
        w.bytes(&[self.regular, self.dim_info]);
        self.dim.iter().for_each(|&v| w.i16(v));
        for v in [self.intent_p1, self.intent_p2, self.intent_p3] {
            w.f32(v);
        }
        for v in [self.intent_code, self.datatype, self.bitpix, self.slice_start] {
            w.i16(v);
        }
        self.pixdim.iter().for_each(|&v| w.f32(v));
        for v in [self.vox_offset, self.scl_slope, self.scl_inter] {
            w.f32(v);
        }
        w.i16(self.slice_end);
        w.bytes(&[self.slice_code, self.xyzt_units]);
        for v in [self.cal_max, self.cal_min, self.slice_duration, self.toffset] {
            w.f32(v);
        }
        w.i32(self.glmax);
        w.i32(self.glmin);
        w.bytes(&self.descrip);
        w.bytes(&self.aux_file);
        w.i16(self.qform_code);
        w.i16(self.sform_code);
        for v in [self.quatern_b, self.quatern_c, self.quatern_d, self.qoffset_x, self.qoffset_y, self.qoffset_z] {
            w.f32(v);
        }
        for row in [self.srow_x, self.srow_y, self.srow_z] {
            row.iter().for_each(|&v| w.f32(v));
        }
        w.bytes(&self.intent_name);
        w.bytes(&self.magic);
        debug_assert_eq!(w.out.len(), HEADER_SIZE);
        w.out
    }

    /// The used dimensions `dim[1..=dim[0]]`.
    pub fn shape(&self) -> Vec<usize> {
        (1..=self.dim[0].clamp(0, 7) as usize).map(|i| self.dim[i].max(0) as usize).collect()
    }

    pub fn data_type(&self) -> Option<DataType> {
        DataType::from_code(self.datatype)
    }

    /// The scaling that applies: `None` when `scl_slope` is 0 or NaN (the standard's "no
    /// scaling") or exactly (1, 0).
    pub fn scaling(&self) -> Option<(f64, f64)> {
        let (s, i) = (self.scl_slope as f64, self.scl_inter as f64);
        if s == 0.0 || s.is_nan() {
            return None;
        }
        let i = if i.is_nan() { 0.0 } else { i };
        (s != 1.0 || i != 0.0).then_some((s, i))
    }

    /// Voxel (i, j, k) → world (x, y, z): sform if `sform_code` > 0, else qform if
    /// `qform_code` > 0, else the pixdim diagonal.
    pub fn affine(&self) -> [[f64; 4]; 4] {
        if self.sform_code > 0 {
            let r = |row: [f32; 4]| row.map(|v| v as f64);
            return [r(self.srow_x), r(self.srow_y), r(self.srow_z), [0.0, 0.0, 0.0, 1.0]];
        }
        let zoom = |i: usize| if self.pixdim[i] > 0.0 { self.pixdim[i] as f64 } else { 1.0 };
        if self.qform_code > 0 {
            let (b, c, d) = (self.quatern_b as f64, self.quatern_c as f64, self.quatern_d as f64);
            let a = (1.0 - (b * b + c * c + d * d)).max(0.0).sqrt();
            let r = [
                [a * a + b * b - c * c - d * d, 2.0 * (b * c - a * d), 2.0 * (b * d + a * c)],
                [2.0 * (b * c + a * d), a * a + c * c - b * b - d * d, 2.0 * (c * d - a * b)],
                [2.0 * (b * d - a * c), 2.0 * (c * d + a * b), a * a + d * d - c * c - b * b],
            ];
            let qfac = if self.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
            let z = [zoom(1), zoom(2), zoom(3) * qfac];
            let off = [self.qoffset_x as f64, self.qoffset_y as f64, self.qoffset_z as f64];
            let mut m = [[0.0; 4]; 4];
            for i in 0..3 {
                for j in 0..3 {
                    m[i][j] = r[i][j] * z[j];
                }
                m[i][3] = off[i];
            }
            m[3][3] = 1.0;
            return m;
        }
        [[zoom(1), 0.0, 0.0, 0.0], [0.0, zoom(2), 0.0, 0.0], [0.0, 0.0, zoom(3), 0.0], [0.0, 0.0, 0.0, 1.0]]
    }

    /// The header nibabel writes for `Nifti1Image(data, affine)` of this shape and type.
    pub fn new(shape: &[usize], data_type: DataType, affine: &[[f64; 4]; 4]) -> Result<NiftiHeader> {
        if shape.is_empty() || shape.len() > 7 || shape.iter().any(|&d| d == 0 || d > i16::MAX as usize) {
            return Err(crate::error::invalid("shape", format!("{shape:?}: NIfTI-1 needs 1 to 7 dimensions of 1 to 32767 voxels")));
        }
        if affine.iter().flatten().any(|v| !v.is_finite()) {
            return Err(crate::error::invalid("affine", "has a non-finite entry"));
        }
        let mut dim = [1i16; 8];
        dim[0] = shape.len() as i16;
        for (i, &d) in shape.iter().enumerate() {
            dim[i + 1] = d as i16;
        }
        let q = quaternion_of(affine);
        let mut pixdim = [1.0f32; 8];
        pixdim[0] = q.qfac as f32;
        for i in 0..3 {
            pixdim[i + 1] = q.zooms[i] as f32;
        }
        let row = |i: usize| affine[i].map(|v| v as f32);
        Ok(NiftiHeader {
            sizeof_hdr: HEADER_SIZE as i32,
            data_type: [0; 10],
            db_name: [0; 18],
            extents: 0,
            session_error: 0,
            regular: 0,
            dim_info: 0,
            dim,
            intent_p1: 0.0,
            intent_p2: 0.0,
            intent_p3: 0.0,
            intent_code: 0,
            datatype: data_type.code(),
            bitpix: data_type.bits(),
            slice_start: 0,
            pixdim,
            vox_offset: 352.0,
            scl_slope: 1.0,
            scl_inter: 0.0,
            slice_end: 0,
            slice_code: 0,
            xyzt_units: 0,
            cal_max: 0.0,
            cal_min: 0.0,
            slice_duration: 0.0,
            toffset: 0.0,
            glmax: 0,
            glmin: 0,
            descrip: [0; 80],
            aux_file: [0; 24],
            qform_code: 0,
            sform_code: 2,
            quatern_b: q.bcd[0] as f32,
            quatern_c: q.bcd[1] as f32,
            quatern_d: q.bcd[2] as f32,
            qoffset_x: affine[0][3] as f32,
            qoffset_y: affine[1][3] as f32,
            qoffset_z: affine[2][3] as f32,
            srow_x: row(0),
            srow_y: row(1),
            srow_z: row(2),
            intent_name: [0; 16],
            magic: *b"n+1\0",
            big_endian: false,
        })
    }
}

/// Quaternion (b, c, d), qfac and zooms of an affine's linear part, as the NIfTI-1 reference
/// (`nifti_mat44_to_quatern`) defines them; shears are removed by taking the nearest rotation
/// (polar decomposition), as nibabel does.
pub struct QformParts {
    pub bcd: [f64; 3],
    pub qfac: f64,
    pub zooms: [f64; 3],
}

pub fn quaternion_of(affine: &[[f64; 4]; 4]) -> QformParts {
    let mut r = [[0.0f64; 3]; 3];
    let mut zooms = [1.0f64; 3];
    for j in 0..3 {
        let norm = (0..3).map(|i| affine[i][j] * affine[i][j]).sum::<f64>().sqrt();
        zooms[j] = if norm > 0.0 { norm } else { 1.0 };
        for i in 0..3 {
            r[i][j] = if norm > 0.0 { affine[i][j] / norm } else if i == j { 1.0 } else { 0.0 };
        }
    }
    let mut qfac = 1.0;
    if det3(&r) < 0.0 {
        qfac = -1.0;
        for row in r.iter_mut() {
            row[2] = -row[2];
        }
    }
    // Newton iteration for the orthogonal polar factor: R ← (R + R⁻ᵀ)/2.
    for _ in 0..100 {
        let Some(inv) = inverse3(&r) else { break };
        let mut next = r;
        let mut change: f64 = 0.0;
        for i in 0..3 {
            for j in 0..3 {
                next[i][j] = 0.5 * (r[i][j] + inv[j][i]);
                change = change.max((next[i][j] - r[i][j]).abs());
            }
        }
        r = next;
        if change < 1e-15 {
            break;
        }
    }
    let trace1 = r[0][0] + r[1][1] + r[2][2] + 1.0;
    let (a, mut b, mut c, mut d): (f64, f64, f64, f64);
    if trace1 > 0.5 {
        a = 0.5 * trace1.sqrt();
        b = 0.25 * (r[2][1] - r[1][2]) / a;
        c = 0.25 * (r[0][2] - r[2][0]) / a;
        d = 0.25 * (r[1][0] - r[0][1]) / a;
    } else {
        let xd = 1.0 + r[0][0] - (r[1][1] + r[2][2]);
        let yd = 1.0 + r[1][1] - (r[0][0] + r[2][2]);
        let zd = 1.0 + r[2][2] - (r[0][0] + r[1][1]);
        if xd > 1.0 {
            b = 0.5 * xd.sqrt();
            c = 0.25 * (r[0][1] + r[1][0]) / b;
            d = 0.25 * (r[0][2] + r[2][0]) / b;
            a = 0.25 * (r[2][1] - r[1][2]) / b;
        } else if yd > 1.0 {
            c = 0.5 * yd.sqrt();
            b = 0.25 * (r[0][1] + r[1][0]) / c;
            d = 0.25 * (r[1][2] + r[2][1]) / c;
            a = 0.25 * (r[0][2] - r[2][0]) / c;
        } else {
            d = 0.5 * zd.sqrt();
            b = 0.25 * (r[0][2] + r[2][0]) / d;
            c = 0.25 * (r[1][2] + r[2][1]) / d;
            a = 0.25 * (r[1][0] - r[0][1]) / d;
        }
    }
    if a < 0.0 {
        (b, c, d) = (-b, -c, -d);
    }
    QformParts { bcd: [b, c, d], qfac, zooms }
}

fn det3(m: &[[f64; 3]; 3]) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

#[allow(clippy::needless_range_loop)]
fn inverse3(m: &[[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let det = det3(m);
    if det.abs() < 1e-300 {
        return None;
    }
    let mut inv = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            let (r1, r2) = ((j + 1) % 3, (j + 2) % 3);
            let (c1, c2) = ((i + 1) % 3, (i + 2) % 3);
            inv[i][j] = (m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]) / det;
        }
    }
    Some(inv)
}

/// A single-file NIfTI-1 image: header, extension bytes (348 .. vox_offset) and voxels.
#[derive(Clone, Debug, PartialEq)]
pub struct NiftiImage {
    pub header: NiftiHeader,
    /// Bytes between the header and the voxels (the 4-byte extension flag and any extensions).
    pub extension: Vec<u8>,
    pub data: VoxelData,
}

impl NiftiImage {
    /// An image with nibabel's default header (see the module documentation).
    pub fn new(shape: &[usize], data: VoxelData, affine: &[[f64; 4]; 4]) -> Result<NiftiImage> {
        let header = NiftiHeader::new(shape, data.data_type(), affine)?;
        let n: usize = shape.iter().product();
        if data.len() != n {
            return Err(crate::error::invalid("data", format!("{} voxels for shape {shape:?} ({n})", data.len())));
        }
        Ok(NiftiImage { header, extension: vec![0; 4], data })
    }

    /// Sets `scl_slope` / `scl_inter` (world value = slope · stored + intercept).
    pub fn with_scaling(mut self, slope: f32, intercept: f32) -> NiftiImage {
        self.header.scl_slope = slope;
        self.header.scl_inter = intercept;
        self
    }

    pub fn shape(&self) -> Vec<usize> {
        self.header.shape()
    }

    pub fn affine(&self) -> [[f64; 4]; 4] {
        self.header.affine()
    }

    /// Voxel values after scaling, as f64.
    pub fn scaled(&self) -> Vec<f64> {
        let mut v = self.data.raw_f64();
        if let Some((s, i)) = self.header.scaling() {
            v.iter_mut().for_each(|x| *x = *x * s + i);
        }
        v
    }

    /// Reads a `.nii` or gzipped `.nii.gz` file (recognised by its content, not its name).
    pub fn read(path: &Path) -> Result<NiftiImage> {
        let raw = std::fs::read(path).map_err(|source| VolumeError::Io { path: path.to_path_buf(), action: "read the NIfTI file", source })?;
        let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out).map_err(|e| VolumeError::Nifti {
                path: path.to_path_buf(),
                field: "gzip stream".into(),
                detail: format!("cannot decompress: {e}"),
            })?;
            out
        } else {
            raw
        };
        Self::from_bytes(&bytes, path)
    }

    /// Parses an uncompressed single-file image; `path` only names it in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<NiftiImage> {
        let header = NiftiHeader::parse(bytes, path)?;
        let t = header.data_type().expect("checked by parse");
        let n = header.shape().iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).unwrap_or(usize::MAX);
        let offset = header.vox_offset as usize;
        let width = t.bits() as usize / 8;
        let need = n.checked_mul(width).and_then(|b| b.checked_add(offset));
        if need.is_none_or(|need| bytes.len() < need) {
            return Err(VolumeError::Nifti {
                path: path.to_path_buf(),
                field: "data".into(),
                detail: format!("dim {:?} of {t:?} needs {} bytes from vox_offset {offset}, the file has {} bytes", header.shape(), n.saturating_mul(width), bytes.len()),
            });
        }
        let body = &bytes[offset..offset + n * width];
        let big = header.big_endian;
        macro_rules! decode {
            ($ty:ty, $w:expr) => {
                body.chunks_exact($w)
                    .map(|c| {
                        let mut a = [0u8; $w];
                        a.copy_from_slice(c);
                        if big {
                            a.reverse();
                        }
                        <$ty>::from_le_bytes(a)
                    })
                    .collect()
            };
        }
        let data = match t {
            DataType::U8 => VoxelData::U8(body.to_vec()),
            DataType::I16 => VoxelData::I16(decode!(i16, 2)),
            DataType::F32 => VoxelData::F32(decode!(f32, 4)),
            DataType::F64 => VoxelData::F64(decode!(f64, 8)),
        };
        Ok(NiftiImage { extension: bytes[HEADER_SIZE..offset].to_vec(), header, data })
    }

    /// The uncompressed file content.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let h = &self.header;
        let n: usize = h.shape().iter().product();
        if self.data.len() != n || h.data_type() != Some(self.data.data_type()) || h.bitpix != self.data.data_type().bits() {
            return Err(crate::error::invalid("data", format!("{} voxels of {:?} do not match the header (dim {:?}, datatype {})", self.data.len(), self.data.data_type(), h.shape(), h.datatype)));
        }
        if h.vox_offset as usize != HEADER_SIZE + self.extension.len() {
            return Err(crate::error::invalid("vox_offset", format!("{} does not equal 348 + {} extension bytes", h.vox_offset, self.extension.len())));
        }
        let width = self.data.data_type().bits() as usize / 8;
        let mut out = h.to_bytes();
        out.extend_from_slice(&self.extension);
        out.reserve(n * width);
        let big = h.big_endian;
        macro_rules! encode {
            ($v:expr) => {
                for x in $v {
                    let mut b = x.to_le_bytes();
                    if big {
                        b.reverse();
                    }
                    out.extend_from_slice(&b);
                }
            };
        }
        match &self.data {
            VoxelData::U8(v) => out.extend_from_slice(v),
            VoxelData::I16(v) => encode!(v),
            VoxelData::F32(v) => encode!(v),
            VoxelData::F64(v) => encode!(v),
        }
        Ok(out)
    }

    /// Writes atomically; a name ending in `.gz` is gzip-compressed.
    pub fn write(&self, path: &Path) -> Result<()> {
        let bytes = self.to_bytes()?;
        let gz = path.extension().is_some_and(|e| e == "gz");
        oneclass_data::write_atomic(path, |w| {
            if gz {
                let mut enc = flate2::write::GzEncoder::new(w, flate2::Compression::new(6));
                enc.write_all(&bytes)?;
                enc.finish()?;
                Ok(())
            } else {
                w.write_all(&bytes)
            }
        })?;
        Ok(())
    }
}

/// `path` with its NIfTI suffix (`.nii` or `.nii.gz`) replaced by `suffix`.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = name.strip_suffix(".nii.gz").or_else(|| name.strip_suffix(".nii")).unwrap_or(&name);
    path.with_file_name(format!("{stem}{suffix}"))
}
