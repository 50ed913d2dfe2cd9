//! NumPy `.npy` files: n-dimensional arrays of booleans, integers and floats.
//!
//! Reading accepts what NumPy writes: format versions 1.0, 2.0 and 3.0, little- or big-endian
//! data, C or Fortran order. After reading, data is always in C (row-major) order and native
//! byte order. Object, string, complex and structured dtypes are refused with a clear error.
//! Writing produces version 1.0 files (2.0 only when the header would not fit), little-endian,
//! C order, with the header padded to a multiple of 64 bytes as NumPy does.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::atomic::write_atomic;
use crate::error::DataError;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Element type of an array, as NumPy names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F64,
    F32,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    Bool,
}

impl DType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::F64 | DType::I64 | DType::U64 => 8,
            DType::F32 | DType::I32 | DType::U32 => 4,
            DType::I16 | DType::U16 => 2,
            DType::I8 | DType::U8 | DType::Bool => 1,
        }
    }

    /// NumPy's name for the type, e.g. "float64".
    pub fn name(self) -> &'static str {
        match self {
            DType::F64 => "float64",
            DType::F32 => "float32",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U8 => "uint8",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
            DType::Bool => "bool",
        }
    }

    /// The little-endian `descr` string written into `.npy` headers.
    pub fn descr(self) -> &'static str {
        match self {
            DType::F64 => "<f8",
            DType::F32 => "<f4",
            DType::I8 => "|i1",
            DType::I16 => "<i2",
            DType::I32 => "<i4",
            DType::I64 => "<i8",
            DType::U8 => "|u1",
            DType::U16 => "<u2",
            DType::U32 => "<u4",
            DType::U64 => "<u8",
            DType::Bool => "|b1",
        }
    }
}

/// The values of an array, flat, in C order.
#[derive(Debug, Clone, PartialEq)]
pub enum NpyData {
    F64(Vec<f64>),
    F32(Vec<f32>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    Bool(Vec<bool>),
}

/// Applies `$body` to the vector inside any [`NpyData`] variant, binding it to `$v`.
macro_rules! with_data {
    ($data:expr, $v:ident => $body:expr) => {
        match $data {
            NpyData::F64($v) => $body,
            NpyData::F32($v) => $body,
            NpyData::I8($v) => $body,
            NpyData::I16($v) => $body,
            NpyData::I32($v) => $body,
            NpyData::I64($v) => $body,
            NpyData::U8($v) => $body,
            NpyData::U16($v) => $body,
            NpyData::U32($v) => $body,
            NpyData::U64($v) => $body,
            NpyData::Bool($v) => $body,
        }
    };
}

/// Converts every element of any variant to `$t` with `as` (booleans via u8).
macro_rules! cast_all {
    ($data:expr, $t:ty) => {
        match $data {
            NpyData::F64(v) => v.iter().map(|&x| x as $t).collect::<Vec<$t>>(),
            NpyData::F32(v) => v.iter().map(|&x| x as $t).collect(),
            NpyData::I8(v) => v.iter().map(|&x| x as $t).collect(),
            NpyData::I16(v) => v.iter().map(|&x| x as $t).collect(),
            NpyData::I32(v) => v.iter().map(|&x| x as $t).collect(),
            NpyData::I64(v) => v.iter().map(|&x| x as $t).collect(),
            NpyData::U8(v) => v.iter().map(|&x| x as $t).collect(),
            NpyData::U16(v) => v.iter().map(|&x| x as $t).collect(),
            NpyData::U32(v) => v.iter().map(|&x| x as $t).collect(),
            NpyData::U64(v) => v.iter().map(|&x| x as $t).collect(),
            NpyData::Bool(v) => v.iter().map(|&x| x as u8 as $t).collect(),
        }
    };
}

impl NpyData {
    pub fn len(&self) -> usize {
        with_data!(self, v => v.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn dtype(&self) -> DType {
        match self {
            NpyData::F64(_) => DType::F64,
            NpyData::F32(_) => DType::F32,
            NpyData::I8(_) => DType::I8,
            NpyData::I16(_) => DType::I16,
            NpyData::I32(_) => DType::I32,
            NpyData::I64(_) => DType::I64,
            NpyData::U8(_) => DType::U8,
            NpyData::U16(_) => DType::U16,
            NpyData::U32(_) => DType::U32,
            NpyData::U64(_) => DType::U64,
            NpyData::Bool(_) => DType::Bool,
        }
    }

    /// Every value as f64. 64-bit integers beyond 2^53 lose precision, as in NumPy's `astype`.
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            NpyData::F64(v) => v.clone(),
            other => cast_all!(other, f64),
        }
    }

    /// Converts to another element type with Rust `as` semantics (what MATLAB and NumPy do
    /// for values that fit; to bool: nonzero is true).
    pub fn cast(&self, target: DType) -> NpyData {
        match target {
            DType::F64 => NpyData::F64(cast_all!(self, f64)),
            DType::F32 => NpyData::F32(cast_all!(self, f32)),
            DType::I8 => NpyData::I8(cast_all!(self, i8)),
            DType::I16 => NpyData::I16(cast_all!(self, i16)),
            DType::I32 => NpyData::I32(cast_all!(self, i32)),
            DType::I64 => NpyData::I64(cast_all!(self, i64)),
            DType::U8 => NpyData::U8(cast_all!(self, u8)),
            DType::U16 => NpyData::U16(cast_all!(self, u16)),
            DType::U32 => NpyData::U32(cast_all!(self, u32)),
            DType::U64 => NpyData::U64(cast_all!(self, u64)),
            DType::Bool => NpyData::Bool(cast_all!(self, f64).iter().map(|&x| x != 0.0).collect()),
        }
    }

    /// Reorders column-major (Fortran) data of the given shape into row-major (C) order.
    pub(crate) fn fortran_to_c(self, shape: &[usize]) -> NpyData {
        if shape.len() < 2 {
            return self;
        }
        /// Walks the C-order index and follows Fortran strides into the source.
        /// Precondition (checked by every caller): `v.len()` equals the product of `shape`.
        fn reorder<T: Copy>(shape: &[usize], v: Vec<T>) -> Vec<T> {
            if element_count(shape) != Some(v.len()) || v.is_empty() {
                return v;
            }
            let ndim = shape.len();
            let mut fortran_strides = vec![1usize; ndim];
            for k in 1..ndim {
                fortran_strides[k] = fortran_strides[k - 1] * shape[k - 1];
            }
            let mut index = vec![0usize; ndim];
            let mut offset = 0usize;
            let mut out = Vec::with_capacity(v.len());
            for _ in 0..v.len() {
                out.push(v[offset]);
                for k in (0..ndim).rev() {
                    index[k] += 1;
                    offset += fortran_strides[k];
                    if index[k] < shape[k] {
                        break;
                    }
                    offset -= fortran_strides[k] * shape[k];
                    index[k] = 0;
                }
            }
            out
        }
        match self {
            NpyData::F64(v) => NpyData::F64(reorder(shape, v)),
            NpyData::F32(v) => NpyData::F32(reorder(shape, v)),
            NpyData::I8(v) => NpyData::I8(reorder(shape, v)),
            NpyData::I16(v) => NpyData::I16(reorder(shape, v)),
            NpyData::I32(v) => NpyData::I32(reorder(shape, v)),
            NpyData::I64(v) => NpyData::I64(reorder(shape, v)),
            NpyData::U8(v) => NpyData::U8(reorder(shape, v)),
            NpyData::U16(v) => NpyData::U16(reorder(shape, v)),
            NpyData::U32(v) => NpyData::U32(reorder(shape, v)),
            NpyData::U64(v) => NpyData::U64(reorder(shape, v)),
            NpyData::Bool(v) => NpyData::Bool(reorder(shape, v)),
        }
    }
}

/// An n-dimensional array: shape plus flat data in C order.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    pub data: NpyData,
}

impl NpyArray {
    /// Checks that the data length equals the product of the shape.
    pub fn new(shape: Vec<usize>, data: NpyData) -> Result<Self, DataError> {
        let expected = element_count(&shape);
        match expected {
            Some(n) if n == data.len() => Ok(NpyArray { shape, data }),
            _ => Err(DataError::ShapeMismatch {
                expected: expected.unwrap_or(usize::MAX),
                found: data.len(),
                shape,
            }),
        }
    }

    pub fn from_f64(shape: Vec<usize>, data: Vec<f64>) -> Result<Self, DataError> {
        Self::new(shape, NpyData::F64(data))
    }

    pub fn from_f32(shape: Vec<usize>, data: Vec<f32>) -> Result<Self, DataError> {
        Self::new(shape, NpyData::F32(data))
    }

    pub fn from_u8(shape: Vec<usize>, data: Vec<u8>) -> Result<Self, DataError> {
        Self::new(shape, NpyData::U8(data))
    }

    pub fn from_i64(shape: Vec<usize>, data: Vec<i64>) -> Result<Self, DataError> {
        Self::new(shape, NpyData::I64(data))
    }

    pub fn from_bool(shape: Vec<usize>, data: Vec<bool>) -> Result<Self, DataError> {
        Self::new(shape, NpyData::Bool(data))
    }

    /// A 2-D f64 array from an ndarray matrix.
    pub fn from_array2(a: &ndarray::Array2<f64>) -> Self {
        NpyArray {
            shape: a.shape().to_vec(),
            data: NpyData::F64(a.iter().copied().collect()),
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    pub fn dtype(&self) -> DType {
        self.data.dtype()
    }

    /// Every value as f64, in C order.
    pub fn to_f64(&self) -> Vec<f64> {
        self.data.to_f64()
    }

    /// Whether this is a stack of 8-bit images (uint8, N×H×W or N×C×H×W), as `oneclass data
    /// protocol` writes them.
    pub fn is_8bit_images(&self) -> bool {
        self.ndim() >= 3 && self.dtype() == DType::U8
    }

    /// The values a model reads, in C order: 8-bit image pixels 0–255 become value / 255 in
    /// [0, 1], the range of every other image path (named datasets, float image files);
    /// anything else (tables, float images) is taken as it is.
    pub fn to_model_values(&self) -> Vec<f64> {
        match &self.data {
            NpyData::U8(pixels) if self.is_8bit_images() => pixels.iter().map(|&p| crate::images::pixel_to_unit(p)).collect(),
            _ => self.to_f64(),
        }
    }
}

/// Product of the shape, `None` on overflow.
pub(crate) fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// `(3,)`, `(2, 5)`, `()` as Python prints tuples.
pub(crate) fn shape_string(shape: &[usize]) -> String {
    match shape.len() {
        0 => "()".to_string(),
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Reads a `.npy` file.
pub fn read_npy(path: &Path) -> Result<NpyArray, DataError> {
    let file = File::open(path).map_err(|e| DataError::io(path, "open for reading", e))?;
    parse_npy(BufReader::new(file), path, "")
}

/// Reads `.npy` content from any reader; `name_for_errors` is used as the file name in errors.
pub fn read_npy_from<R: Read>(reader: R, name_for_errors: &str) -> Result<NpyArray, DataError> {
    parse_npy(reader, Path::new(name_for_errors), "")
}

/// Parses `.npy` content. `context` prefixes field names in errors (e.g. "member 'X.npy' ")
/// so that arrays inside `.npz` archives are located precisely.
pub(crate) fn parse_npy<R: Read>(
    mut r: R,
    path: &Path,
    context: &str,
) -> Result<NpyArray, DataError> {
    let header_field = format!("{context}npy header");
    let data_field = format!("{context}npy data");
    // Inside an archive, read errors come from decompression or the CRC check: name the member.
    let read_err = |e: std::io::Error| {
        if context.is_empty() {
            DataError::io(path, "read", e)
        } else {
            DataError::format(
                path,
                context.trim_end_matches([' ', ':']),
                format!("cannot read: {e}"),
            )
        }
    };

    let mut prefix = [0u8; 8];
    let got = read_up_to(&mut r, &mut prefix).map_err(read_err)?;
    if got == 0 {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            detail: format!("{header_field}: the file is empty; expected a NumPy .npy array"),
        });
    }
    if got < 8 || &prefix[..6] != MAGIC {
        return Err(DataError::format(
            path,
            header_field,
            "wrong magic bytes: expected a NumPy .npy file starting with \\x93NUMPY",
        ));
    }
    let (major, minor) = (prefix[6], prefix[7]);
    let header_len = match (major, minor) {
        (1, 0) => {
            let mut b = [0u8; 2];
            read_exact_or_truncated(&mut r, &mut b, path, &header_field)?;
            u16::from_le_bytes(b) as usize
        }
        (2, 0) | (3, 0) => {
            let mut b = [0u8; 4];
            read_exact_or_truncated(&mut r, &mut b, path, &header_field)?;
            u32::from_le_bytes(b) as usize
        }
        _ => {
            return Err(DataError::Unsupported {
                path: path.to_path_buf(),
                detail: format!(
                    "{header_field}: format version {major}.{minor} is not supported; expected 1.0, 2.0 or 3.0"
                ),
            })
        }
    };
    if header_len > 1 << 24 {
        return Err(DataError::format(
            path,
            header_field,
            format!("header length {header_len} bytes is implausible (corrupt file?)"),
        ));
    }
    let mut header_bytes = vec![0u8; header_len];
    read_exact_or_truncated(&mut r, &mut header_bytes, path, &header_field)?;
    let header_text = String::from_utf8(header_bytes).map_err(|_| {
        DataError::format(
            path,
            &header_field,
            "header is not valid text (UTF-8/ASCII)",
        )
    })?;
    let header =
        parse_header(&header_text).map_err(|msg| DataError::format(path, &header_field, msg))?;
    let dtype = match &header.descr {
        Descr::Simple(s) => parse_descr(s).map_err(|d| match d {
            DescrError::Unsupported(m) => DataError::Unsupported {
                path: path.to_path_buf(),
                detail: format!("{header_field}: {m}"),
            },
            DescrError::Invalid(m) => DataError::format(path, &header_field, m),
        })?,
        Descr::Structured(n_fields) => {
            return Err(DataError::Unsupported {
                path: path.to_path_buf(),
                detail: format!(
                    "{header_field}: structured (record) dtypes ({n_fields} fields) are not supported; \
                     expected a plain numeric array"
                ),
            })
        }
    };
    let count = element_count(&header.shape).ok_or_else(|| {
        DataError::format(
            path,
            &header_field,
            format!("shape {} is too large", shape_string(&header.shape)),
        )
    })?;
    let nbytes = count.checked_mul(dtype.0.size()).ok_or_else(|| {
        DataError::format(
            path,
            &header_field,
            format!("shape {} is too large", shape_string(&header.shape)),
        )
    })?;

    // Cap the up-front allocation so a lying header cannot exhaust memory before we
    // discover the file is short.
    let mut bytes = Vec::with_capacity(nbytes.min(1 << 26));
    (&mut r)
        .take(nbytes as u64)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() < nbytes {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            field: format!(
                "{data_field} ({} {})",
                dtype.0.name(),
                shape_string(&header.shape)
            ),
            expected: nbytes as u64,
            found: bytes.len() as u64,
        });
    }
    let extra = std::io::copy(&mut r, &mut std::io::sink()).map_err(read_err)?;
    if extra > 0 {
        return Err(DataError::format(
            path,
            data_field,
            format!(
                "expected {nbytes} bytes of data for shape {}, found {} (extra bytes after the array)",
                shape_string(&header.shape),
                nbytes as u64 + extra
            ),
        ));
    }
    let data = decode(&bytes, dtype.0, dtype.1);
    let data = if header.fortran_order {
        data.fortran_to_c(&header.shape)
    } else {
        data
    };
    Ok(NpyArray {
        shape: header.shape,
        data,
    })
}

/// Fills `buf` as far as the reader allows; returns the number of bytes read.
fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn read_exact_or_truncated<R: Read>(
    r: &mut R,
    buf: &mut [u8],
    path: &Path,
    field: &str,
) -> Result<(), DataError> {
    let got = read_up_to(r, buf)
        .map_err(|e| DataError::format(path, field, format!("cannot read: {e}")))?;
    if got < buf.len() {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            field: field.to_string(),
            expected: buf.len() as u64,
            found: got as u64,
        });
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ByteOrder {
    Little,
    Big,
}

const NATIVE: ByteOrder = if cfg!(target_endian = "big") {
    ByteOrder::Big
} else {
    ByteOrder::Little
};

fn decode(bytes: &[u8], dtype: DType, order: ByteOrder) -> NpyData {
    macro_rules! dec {
        ($t:ty, $n:expr) => {
            bytes
                .chunks_exact($n)
                .map(|c| {
                    let mut a = [0u8; $n];
                    a.copy_from_slice(c);
                    match order {
                        ByteOrder::Little => <$t>::from_le_bytes(a),
                        ByteOrder::Big => <$t>::from_be_bytes(a),
                    }
                })
                .collect()
        };
    }
    match dtype {
        DType::F64 => NpyData::F64(dec!(f64, 8)),
        DType::F32 => NpyData::F32(dec!(f32, 4)),
        DType::I8 => NpyData::I8(bytes.iter().map(|&b| b as i8).collect()),
        DType::I16 => NpyData::I16(dec!(i16, 2)),
        DType::I32 => NpyData::I32(dec!(i32, 4)),
        DType::I64 => NpyData::I64(dec!(i64, 8)),
        DType::U8 => NpyData::U8(bytes.to_vec()),
        DType::U16 => NpyData::U16(dec!(u16, 2)),
        DType::U32 => NpyData::U32(dec!(u32, 4)),
        DType::U64 => NpyData::U64(dec!(u64, 8)),
        DType::Bool => NpyData::Bool(bytes.iter().map(|&b| b != 0).collect()),
    }
}

pub(crate) fn decode_with_order(bytes: &[u8], dtype: DType, big_endian: bool) -> NpyData {
    decode(
        bytes,
        dtype,
        if big_endian {
            ByteOrder::Big
        } else {
            ByteOrder::Little
        },
    )
}

enum DescrError {
    Unsupported(String),
    Invalid(String),
}

/// Parses a dtype string such as `<f8`, `>i4`, `|u1`, `|b1`.
fn parse_descr(s: &str) -> Result<(DType, ByteOrder), DescrError> {
    let (order_char, rest) = match s.chars().next() {
        Some(c @ ('<' | '>' | '|' | '=')) => (c, &s[1..]),
        _ => ('=', s),
    };
    let order = match order_char {
        '<' => ByteOrder::Little,
        '>' => ByteOrder::Big,
        _ => NATIVE,
    };
    let mut chars = rest.chars();
    let kind = chars.next().ok_or_else(|| {
        DescrError::Invalid(format!("'descr' is '{s}'; expected a dtype such as '<f8'"))
    })?;
    let size_text = chars.as_str();
    let unsupported = |what: &str| {
        DescrError::Unsupported(format!(
            "dtype '{s}' ({what}) is not supported; expected bool, integer, float32 or float64 data"
        ))
    };
    match kind {
        'O' => return Err(unsupported("Python objects")),
        'U' | 'S' | 'a' => return Err(unsupported("strings")),
        'V' => return Err(unsupported("raw bytes / records")),
        'c' => return Err(unsupported("complex numbers")),
        'M' | 'm' => return Err(unsupported("dates / time deltas")),
        _ => {}
    }
    let size: usize = size_text.parse().map_err(|_| {
        DescrError::Invalid(format!("'descr' is '{s}'; expected a dtype such as '<f8'"))
    })?;
    let dtype = match (kind, size) {
        ('f', 8) => DType::F64,
        ('f', 4) => DType::F32,
        ('f', 2) => return Err(unsupported("float16")),
        ('i', 1) => DType::I8,
        ('i', 2) => DType::I16,
        ('i', 4) => DType::I32,
        ('i', 8) => DType::I64,
        ('u', 1) => DType::U8,
        ('u', 2) => DType::U16,
        ('u', 4) => DType::U32,
        ('u', 8) => DType::U64,
        ('b', 1) => DType::Bool,
        ('f' | 'i' | 'u' | 'b', _) => return Err(unsupported("unusual item size")),
        _ => {
            return Err(DescrError::Invalid(format!(
                "'descr' is '{s}'; expected a dtype such as '<f8'"
            )))
        }
    };
    Ok((dtype, order))
}

enum Descr {
    Simple(String),
    /// A record dtype, with its number of fields.
    Structured(usize),
}

struct Header {
    descr: Descr,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// A Python literal as it appears in `.npy` headers.
#[derive(Debug)]
enum Literal {
    Str(String),
    Int(u64),
    Bool(bool),
    None,
    Tuple(Vec<Literal>),
    List(Vec<Literal>),
}

struct LiteralParser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> LiteralParser<'a> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && (self.s[self.pos] as char).is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.pos).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        match self.peek() {
            Some(x) if x == c => {
                self.pos += 1;
                Ok(())
            }
            Some(x) => Err(format!(
                "expected '{}' at offset {}, found '{}'",
                c as char, self.pos, x as char
            )),
            None => Err(format!("expected '{}', found end of header", c as char)),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self
            .peek()
            .ok_or("expected a string, found end of header")?;
        if quote != b'\'' && quote != b'"' {
            return Err(format!("expected a quoted string at offset {}", self.pos));
        }
        self.pos += 1;
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos] != quote {
            if self.s[self.pos] == b'\\' {
                return Err("escape sequences in header strings are not supported".into());
            }
            self.pos += 1;
        }
        if self.pos >= self.s.len() {
            return Err("unterminated string".into());
        }
        let text = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
        self.pos += 1;
        Ok(text)
    }

    fn sequence(&mut self, close: u8) -> Result<Vec<Literal>, String> {
        let mut items = Vec::new();
        loop {
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(items);
            }
            items.push(self.value()?);
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {}
                _ => {
                    return Err(format!(
                        "expected ',' or '{}' at offset {}",
                        close as char, self.pos
                    ))
                }
            }
        }
    }

    fn value(&mut self) -> Result<Literal, String> {
        match self.peek() {
            Some(b'\'') | Some(b'"') => Ok(Literal::Str(self.string()?)),
            Some(b'(') => {
                self.pos += 1;
                Ok(Literal::Tuple(self.sequence(b')')?))
            }
            Some(b'[') => {
                self.pos += 1;
                Ok(Literal::List(self.sequence(b']')?))
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
                    self.pos += 1;
                }
                // Python 2 era files may write long integers as `10L`.
                let text = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("");
                let n: u64 = text
                    .parse()
                    .map_err(|_| format!("integer {text} is too large"))?;
                if self.pos < self.s.len() && self.s[self.pos] == b'L' {
                    self.pos += 1;
                }
                Ok(Literal::Int(n))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos].is_ascii_alphanumeric() {
                    self.pos += 1;
                }
                match &self.s[start..self.pos] {
                    b"True" => Ok(Literal::Bool(true)),
                    b"False" => Ok(Literal::Bool(false)),
                    b"None" => Ok(Literal::None),
                    other => Err(format!(
                        "unexpected word '{}' in header",
                        String::from_utf8_lossy(other)
                    )),
                }
            }
            Some(b'-') => Err("negative numbers are not valid in an npy shape".into()),
            Some(c) => Err(format!(
                "unexpected character '{}' at offset {}",
                c as char, self.pos
            )),
            None => Err("unexpected end of header".into()),
        }
    }
}

/// Parses the header dictionary, e.g. `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }`.
fn parse_header(text: &str) -> Result<Header, String> {
    let mut p = LiteralParser {
        s: text.as_bytes(),
        pos: 0,
    };
    p.expect(b'{')
        .map_err(|e| format!("expected a Python dict: {e}"))?;
    let mut descr = None;
    let mut fortran_order = None;
    let mut shape = None;
    loop {
        if p.peek() == Some(b'}') {
            p.pos += 1;
            break;
        }
        let key = p.string()?;
        p.expect(b':')?;
        let value = p.value()?;
        match key.as_str() {
            "descr" => {
                descr = Some(match value {
                    Literal::Str(s) => Descr::Simple(s),
                    Literal::List(fields) => Descr::Structured(fields.len()),
                    other => return Err(format!("'descr' is {other:?}; expected a dtype string")),
                })
            }
            "fortran_order" => {
                fortran_order = Some(match value {
                    Literal::Bool(b) => b,
                    other => {
                        return Err(format!(
                            "'fortran_order' is {other:?}; expected True or False"
                        ))
                    }
                })
            }
            "shape" => {
                let items = match value {
                    Literal::Tuple(items) => items,
                    other => {
                        return Err(format!(
                            "'shape' is {other:?}; expected a tuple of integers"
                        ))
                    }
                };
                let mut dims = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Literal::Int(n) => dims.push(usize::try_from(n).map_err(|_| {
                            format!("'shape' entry {n} is too large for this machine")
                        })?),
                        other => {
                            return Err(format!(
                                "'shape' contains {other:?}; expected non-negative integers"
                            ))
                        }
                    }
                }
                shape = Some(dims);
            }
            other => {
                return Err(format!(
                    "unexpected key '{other}'; expected only 'descr', 'fortran_order' and 'shape'"
                ))
            }
        }
        match p.peek() {
            Some(b',') => p.pos += 1,
            Some(b'}') => {}
            _ => return Err(format!("expected ',' or '}}' at offset {}", p.pos)),
        }
    }
    p.skip_ws();
    if p.pos != p.s.len() {
        return Err(format!(
            "unexpected text after the header dict at offset {}",
            p.pos
        ));
    }
    Ok(Header {
        descr: descr.ok_or("key 'descr' is missing")?,
        fortran_order: fortran_order.ok_or("key 'fortran_order' is missing")?,
        shape: shape.ok_or("key 'shape' is missing")?,
    })
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Writes `a` as a `.npy` file, atomically (temporary file + rename).
pub fn write_npy(path: &Path, a: &NpyArray) -> Result<(), DataError> {
    check_consistent(path, a)?;
    write_atomic(path, |w| write_npy_to(w, a))
}

pub(crate) fn check_consistent(path: &Path, a: &NpyArray) -> Result<(), DataError> {
    match element_count(&a.shape) {
        Some(n) if n == a.data.len() => Ok(()),
        _ => Err(DataError::Shape {
            path: PathBuf::from(path),
            field: "array to write".into(),
            expected: format!(
                "{} values for shape {}",
                element_count(&a.shape).unwrap_or(usize::MAX),
                shape_string(&a.shape)
            ),
            found: format!("{} values", a.data.len()),
        }),
    }
}

/// Writes `.npy` bytes (header and little-endian data) to any writer.
pub fn write_npy_to<W: Write>(w: &mut W, a: &NpyArray) -> std::io::Result<()> {
    let dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        a.dtype().descr(),
        shape_string(&a.shape)
    );
    // Version 1.0 stores the header length in 2 bytes; NumPy pads magic + length + header + '\n'
    // to a multiple of 64 bytes so the data is aligned.
    let (version, prefix_len) = if dict.len() + 1 + 10 + 63 <= u16::MAX as usize {
        (1u8, 10usize)
    } else {
        (2u8, 12usize)
    };
    let unpadded = prefix_len + dict.len() + 1;
    let padding = (64 - unpadded % 64) % 64;
    let header_len = dict.len() + padding + 1;
    w.write_all(MAGIC)?;
    w.write_all(&[version, 0])?;
    if version == 1 {
        w.write_all(&(header_len as u16).to_le_bytes())?;
    } else {
        w.write_all(&(header_len as u32).to_le_bytes())?;
    }
    w.write_all(dict.as_bytes())?;
    w.write_all(&vec![b' '; padding])?;
    w.write_all(b"\n")?;
    write_le_data(w, &a.data)
}

/// Writes the values little-endian, in chunks to keep the number of write calls small.
fn write_le_data<W: Write>(w: &mut W, data: &NpyData) -> std::io::Result<()> {
    const CHUNK: usize = 8192;
    macro_rules! put {
        ($v:expr) => {{
            let mut buf = Vec::with_capacity(CHUNK * 8);
            for chunk in $v.chunks(CHUNK) {
                buf.clear();
                for x in chunk {
                    buf.extend_from_slice(&x.to_le_bytes());
                }
                w.write_all(&buf)?;
            }
            Ok(())
        }};
    }
    match data {
        NpyData::F64(v) => put!(v),
        NpyData::F32(v) => put!(v),
        NpyData::I8(v) => put!(v),
        NpyData::I16(v) => put!(v),
        NpyData::I32(v) => put!(v),
        NpyData::I64(v) => put!(v),
        NpyData::U8(v) => w.write_all(v),
        NpyData::U16(v) => put!(v),
        NpyData::U32(v) => put!(v),
        NpyData::U64(v) => put!(v),
        NpyData::Bool(v) => {
            let bytes: Vec<u8> = v.iter().map(|&b| b as u8).collect();
            w.write_all(&bytes)
        }
    }
}
