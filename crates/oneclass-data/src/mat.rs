//! MATLAB Level 5 MAT-files (`save -v6` / `-v7`, also written by Octave and SciPy), as the
//! ODDS benchmark ships them.
//!
//! Reads plain (`miMATRIX`) and zlib-compressed (`miCOMPRESSED`) variables of the numeric
//! classes double, single, int8..int64, uint8..uint64 and logical, of any number of
//! dimensions; MATLAB stores them column-major and they are returned in C (row-major) order
//! with MATLAB's shape (a column vector stays N×1). Cell, struct, object, char, sparse and
//! complex variables are skipped and listed in [`MatContents::skipped`], so asking for one by
//! name gives an error saying what it is. MATLAB v7.3 files are HDF5 containers and are
//! refused with an error saying so.

use std::io::Read;
use std::path::Path;

use crate::error::DataError;
use crate::npy::{decode_with_order, element_count, DType, NpyArray, NpyData};

/// The message for v7.3 files, which are HDF5 and need a different reader.
pub const MAT_V73_MESSAGE: &str =
    "MATLAB v7.3 (HDF5) files are not supported; re-save with -v7 or export to .npz";

const HDF5_SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

// Data element types (MAT-file format, table 1-1).
const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_INT16: u32 = 3;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_SINGLE: u32 = 7;
const MI_DOUBLE: u32 = 9;
const MI_INT64: u32 = 12;
const MI_UINT64: u32 = 13;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;
const MI_UTF8: u32 = 16;

// Array flag bits (in the second byte of the flags word).
const FLAG_COMPLEX: u32 = 0x0800;
const FLAG_LOGICAL: u32 = 0x0200;

/// Everything read from a MAT-file.
#[derive(Debug, Clone)]
pub struct MatContents {
    /// Numeric variables, in file order.
    pub arrays: Vec<(String, NpyArray)>,
    /// Variables that were not read, with what they are (e.g. "a cell array").
    pub skipped: Vec<(String, String)>,
}

/// Reads the numeric variables of a MATLAB v5 MAT-file (see the module docs).
pub fn read_mat(path: &Path) -> Result<Vec<(String, NpyArray)>, DataError> {
    Ok(read_mat_contents(path)?.arrays)
}

/// Reads one named numeric variable; a missing or non-numeric variable is an error that
/// says which variables exist.
pub fn read_mat_array(path: &Path, name: &str) -> Result<NpyArray, DataError> {
    let contents = read_mat_contents(path)?;
    find_mat_array(path, &contents, name).cloned()
}

/// Looks up a numeric variable; the error says what the variable is if it was skipped, or
/// which variables exist if it is absent.
pub(crate) fn find_mat_array<'a>(
    path: &Path,
    contents: &'a MatContents,
    name: &str,
) -> Result<&'a NpyArray, DataError> {
    if let Some((_, a)) = contents.arrays.iter().find(|(n, _)| n == name) {
        return Ok(a);
    }
    if let Some((_, what)) = contents.skipped.iter().find(|(n, _)| n == name) {
        return Err(DataError::Unsupported {
            path: path.to_path_buf(),
            detail: format!(
                "variable '{name}' is {what}; expected a real numeric (double, single, integer or logical) array"
            ),
        });
    }
    let mut available: Vec<String> = contents.arrays.iter().map(|(n, _)| n.clone()).collect();
    available.extend(contents.skipped.iter().map(|(n, w)| format!("{n} ({w})")));
    Err(DataError::MissingArray {
        path: path.to_path_buf(),
        name: name.to_string(),
        available,
    })
}

/// Reads a MAT-file, keeping the list of skipped variables.
pub fn read_mat_contents(path: &Path) -> Result<MatContents, DataError> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| DataError::io(path, "read", e))?;
    parse_mat(&bytes, path)
}

/// Parses MAT-file bytes held in memory; `path` only names them in errors.
pub fn parse_mat_bytes(bytes: &[u8], path: &Path) -> Result<MatContents, DataError> {
    parse_mat(bytes, path)
}

fn parse_mat(bytes: &[u8], path: &Path) -> Result<MatContents, DataError> {
    if bytes.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            detail: "the file is empty; expected a MATLAB .mat file".into(),
        });
    }
    let is_v73 = bytes.starts_with(b"MATLAB 7.3")
        || bytes.starts_with(HDF5_SIGNATURE)
        || (bytes.len() >= 520 && &bytes[512..520] == HDF5_SIGNATURE);
    if is_v73 {
        return Err(DataError::Unsupported {
            path: path.to_path_buf(),
            detail: MAT_V73_MESSAGE.to_string(),
        });
    }
    let not_v5 = || {
        DataError::format(
            path,
            "MAT-file header",
            "no 'MATLAB 5.0' header with an 'IM'/'MI' endian indicator: not a MATLAB v5 MAT-file \
             (MATLAB v4 files are not supported; re-save with -v7 or export to .npz)",
        )
    };
    // Level 5 files start with descriptive text; v4 files start with a binary header whose
    // first bytes include zeros.
    if bytes.len() < 4 || bytes[..4].contains(&0) {
        return Err(not_v5());
    }
    if bytes.len() < 128 {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            field: "MAT-file header".into(),
            expected: 128,
            found: bytes.len() as u64,
        });
    }
    let big_endian = match &bytes[126..128] {
        b"IM" => false,
        b"MI" => true,
        _ => return Err(not_v5()),
    };
    let reader = ByteReader { big_endian };
    let version = reader.u16(&bytes[124..126]);
    if version == 0x0200 {
        return Err(DataError::Unsupported {
            path: path.to_path_buf(),
            detail: MAT_V73_MESSAGE.to_string(),
        });
    }
    if version != 0x0100 {
        return Err(DataError::format(
            path,
            "MAT-file header",
            format!("version field is 0x{version:04x}; expected 0x0100 (MATLAB v5/v7)"),
        ));
    }

    let mut contents = MatContents {
        arrays: Vec::new(),
        skipped: Vec::new(),
    };
    let mut pos = 128;
    while pos < bytes.len() {
        let remaining = &bytes[pos..];
        if remaining.len() < 8 {
            // Some writers pad the file end; anything else is a cut-off tag.
            if remaining.iter().all(|&b| b == 0) {
                break;
            }
            return Err(DataError::Truncated {
                path: path.to_path_buf(),
                field: format!("data element tag at byte {pos}"),
                expected: 8,
                found: remaining.len() as u64,
            });
        }
        let data_type = reader.u32(&remaining[0..4]);
        let nbytes = reader.u32(&remaining[4..8]) as usize;
        let body_start = pos + 8;
        let available = bytes.len() - body_start;
        if nbytes > available {
            return Err(DataError::Truncated {
                path: path.to_path_buf(),
                field: format!("data element at byte {pos}"),
                expected: nbytes as u64,
                found: available as u64,
            });
        }
        let body = &bytes[body_start..body_start + nbytes];
        let place = format!("data element at byte {pos}");
        match data_type {
            MI_COMPRESSED => {
                let mut inflated = Vec::new();
                flate2::read::ZlibDecoder::new(body)
                    .read_to_end(&mut inflated)
                    .map_err(|e| {
                        DataError::format(
                            path,
                            &place,
                            format!("compressed variable cannot be decompressed: {e}"),
                        )
                    })?;
                // The inflated stream holds one (or more) complete data elements.
                let mut inner = 0;
                while inner + 8 <= inflated.len() {
                    let t = reader.u32(&inflated[inner..inner + 4]);
                    let n = reader.u32(&inflated[inner + 4..inner + 8]) as usize;
                    let start = inner + 8;
                    if n > inflated.len() - start {
                        return Err(DataError::Truncated {
                            path: path.to_path_buf(),
                            field: format!("{place} (decompressed)"),
                            expected: n as u64,
                            found: (inflated.len() - start) as u64,
                        });
                    }
                    if t == MI_MATRIX {
                        parse_matrix(
                            &inflated[start..start + n],
                            &reader,
                            path,
                            &place,
                            &mut contents,
                        )?;
                    }
                    inner = start + pad8(n);
                }
            }
            MI_MATRIX => parse_matrix(body, &reader, path, &place, &mut contents)?,
            _ => {}
        }
        // Compressed elements are not padded; matrix elements are a multiple of 8 already.
        pos = body_start + nbytes;
        if data_type != MI_COMPRESSED {
            pos = body_start + pad8(nbytes).min(available);
        }
    }
    Ok(contents)
}

fn pad8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

struct ByteReader {
    big_endian: bool,
}

impl ByteReader {
    fn u16(&self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }

    fn u32(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }

    fn i32(&self, b: &[u8]) -> i32 {
        self.u32(b) as i32
    }
}

/// One sub-element of a matrix: its data type and bytes.
struct SubElement<'a> {
    data_type: u32,
    data: &'a [u8],
}

/// Reads the sub-element at `*pos`, handling the "small data element" format (data of at
/// most 4 bytes packed into the tag).
fn next_subelement<'a>(
    buf: &'a [u8],
    pos: &mut usize,
    reader: &ByteReader,
    path: &Path,
    place: &str,
    what: &str,
) -> Result<SubElement<'a>, DataError> {
    let truncated = |expected: usize, found: usize| DataError::Truncated {
        path: path.to_path_buf(),
        field: format!("{place}: {what}"),
        expected: expected as u64,
        found: found as u64,
    };
    if buf.len() < *pos + 8 {
        return Err(truncated(8, buf.len().saturating_sub(*pos)));
    }
    let word = reader.u32(&buf[*pos..*pos + 4]);
    if word >> 16 != 0 {
        let data_type = word & 0xffff;
        let nbytes = (word >> 16) as usize;
        if nbytes > 4 {
            return Err(DataError::format(
                path,
                format!("{place}: {what}"),
                format!("small data element claims {nbytes} bytes; expected at most 4"),
            ));
        }
        let data = &buf[*pos + 4..*pos + 4 + nbytes];
        *pos += 8;
        return Ok(SubElement { data_type, data });
    }
    let nbytes = reader.u32(&buf[*pos + 4..*pos + 8]) as usize;
    let start = *pos + 8;
    if buf.len() - start < nbytes {
        return Err(truncated(nbytes, buf.len() - start));
    }
    let data = &buf[start..start + nbytes];
    *pos = (start + pad8(nbytes)).min(buf.len());
    Ok(SubElement {
        data_type: word,
        data,
    })
}

fn mi_dtype(data_type: u32) -> Option<DType> {
    Some(match data_type {
        MI_INT8 => DType::I8,
        MI_UINT8 => DType::U8,
        MI_INT16 => DType::I16,
        MI_UINT16 => DType::U16,
        MI_INT32 => DType::I32,
        MI_UINT32 => DType::U32,
        MI_SINGLE => DType::F32,
        MI_DOUBLE => DType::F64,
        MI_INT64 => DType::I64,
        MI_UINT64 => DType::U64,
        _ => return None,
    })
}

/// Array classes (MAT-file format, table 1-3); numeric ones map to an element type.
enum ClassKind {
    Numeric(DType),
    Other(&'static str),
}

fn class_kind(class: u32) -> ClassKind {
    match class {
        1 => ClassKind::Other("a cell array"),
        2 => ClassKind::Other("a struct"),
        3 => ClassKind::Other("an object"),
        4 => ClassKind::Other("a char array"),
        5 => ClassKind::Other("a sparse matrix"),
        6 => ClassKind::Numeric(DType::F64),
        7 => ClassKind::Numeric(DType::F32),
        8 => ClassKind::Numeric(DType::I8),
        9 => ClassKind::Numeric(DType::U8),
        10 => ClassKind::Numeric(DType::I16),
        11 => ClassKind::Numeric(DType::U16),
        12 => ClassKind::Numeric(DType::I32),
        13 => ClassKind::Numeric(DType::U32),
        14 => ClassKind::Numeric(DType::I64),
        15 => ClassKind::Numeric(DType::U64),
        16 => ClassKind::Other("a function handle"),
        17 => ClassKind::Other("an opaque object"),
        _ => ClassKind::Other("an unknown class"),
    }
}

fn parse_matrix(
    body: &[u8],
    reader: &ByteReader,
    path: &Path,
    place: &str,
    contents: &mut MatContents,
) -> Result<(), DataError> {
    if body.is_empty() {
        // An empty miMATRIX element is valid and holds nothing.
        return Ok(());
    }
    let mut pos = 0;
    let flags = next_subelement(body, &mut pos, reader, path, place, "array flags")?;
    if flags.data_type != MI_UINT32 || flags.data.len() != 8 {
        return Err(DataError::format(
            path,
            format!("{place}: array flags"),
            "expected an 8-byte miUINT32 element",
        ));
    }
    let flag_word = reader.u32(&flags.data[0..4]);
    let class = flag_word & 0xff;

    let dims_el = next_subelement(body, &mut pos, reader, path, place, "dimensions")?;
    if dims_el.data_type != MI_INT32 || dims_el.data.len() % 4 != 0 || dims_el.data.len() < 8 {
        return Err(DataError::format(
            path,
            format!("{place}: dimensions"),
            "expected at least two miINT32 values",
        ));
    }
    let mut shape = Vec::with_capacity(dims_el.data.len() / 4);
    for chunk in dims_el.data.chunks_exact(4) {
        let d = reader.i32(chunk);
        if d < 0 {
            return Err(DataError::format(
                path,
                format!("{place}: dimensions"),
                format!("dimension {d} is negative"),
            ));
        }
        shape.push(d as usize);
    }

    let name_el = next_subelement(body, &mut pos, reader, path, place, "array name")?;
    if name_el.data_type != MI_INT8 && name_el.data_type != MI_UTF8 && name_el.data_type != MI_UINT8
    {
        return Err(DataError::format(
            path,
            format!("{place}: array name"),
            format!("element type {} ; expected miINT8 text", name_el.data_type),
        ));
    }
    let name = String::from_utf8_lossy(name_el.data).into_owned();
    let field = format!("variable '{name}'");

    let element_type = match class_kind(class) {
        ClassKind::Other(what) => {
            contents.skipped.push((name, what.to_string()));
            return Ok(());
        }
        ClassKind::Numeric(t) => t,
    };
    if flag_word & FLAG_COMPLEX != 0 {
        contents.skipped.push((name, "a complex array".to_string()));
        return Ok(());
    }
    let target = if flag_word & FLAG_LOGICAL != 0 {
        DType::Bool
    } else {
        element_type
    };

    let real = next_subelement(
        body,
        &mut pos,
        reader,
        path,
        place,
        &format!("{field} data"),
    )?;
    // MATLAB stores values in the smallest type that holds them (e.g. doubles as miUINT8),
    // so the storage type may differ from the class.
    let stored = mi_dtype(real.data_type).ok_or_else(|| {
        DataError::format(
            path,
            format!("{field} data"),
            format!("storage type {} is not a numeric MAT type", real.data_type),
        )
    })?;
    if real.data.len() % stored.size() != 0 {
        return Err(DataError::format(
            path,
            format!("{field} data"),
            format!(
                "{} bytes is not a whole number of {}-byte values",
                real.data.len(),
                stored.size()
            ),
        ));
    }
    let count = element_count(&shape).ok_or_else(|| {
        DataError::format(
            path,
            format!("{field} dimensions"),
            format!("{shape:?} is too large"),
        )
    })?;
    let n_values = real.data.len() / stored.size();
    if n_values != count {
        return Err(DataError::Shape {
            path: path.to_path_buf(),
            field: format!("{field} data"),
            expected: format!("{count} values for dimensions {shape:?}"),
            found: format!("{n_values} values"),
        });
    }
    let raw = decode_with_order(real.data, stored, reader.big_endian);
    let data: NpyData = if raw.dtype() == target {
        raw
    } else {
        raw.cast(target)
    };
    let data = data.fortran_to_c(&shape);
    contents.arrays.push((name, NpyArray { shape, data }));
    Ok(())
}
