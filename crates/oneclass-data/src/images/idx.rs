//! The idx format of MNIST and Fashion-MNIST: a 4-byte magic (0, 0, type, number of
//! dimensions), big-endian u32 dimensions, then the values. Only unsigned bytes (type 0x08)
//! occur in these datasets.

use std::path::Path;

use super::{read_maybe_gz, ImageSet};
use crate::error::DataError;

const UBYTE: u8 = 0x08;

/// Dimensions and values of an idx file of unsigned bytes (gzipped or not).
pub fn read_idx(path: &Path) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    let bytes = read_maybe_gz(path)?;
    if bytes.len() < 4 {
        return Err(DataError::Truncated {
            path: path.into(),
            field: "idx magic number".into(),
            expected: 4,
            found: bytes.len() as u64,
        });
    }
    if bytes[0] != 0 || bytes[1] != 0 || bytes[2] != UBYTE || bytes[3] == 0 {
        return Err(DataError::format(
            path,
            "idx magic number",
            format!(
                "expected 00 00 08 <dims> (unsigned bytes), found {:02x} {:02x} {:02x} {:02x}",
                bytes[0], bytes[1], bytes[2], bytes[3]
            ),
        ));
    }
    let ndims = bytes[3] as usize;
    let header = 4 + 4 * ndims;
    if bytes.len() < header {
        return Err(DataError::Truncated {
            path: path.into(),
            field: "idx dimensions".into(),
            expected: header as u64,
            found: bytes.len() as u64,
        });
    }
    let dims: Vec<usize> = (0..ndims)
        .map(|d| u32::from_be_bytes(bytes[4 + 4 * d..8 + 4 * d].try_into().unwrap()) as usize)
        .collect();
    let count: usize = dims.iter().product();
    let found = bytes.len() - header;
    if found < count {
        return Err(DataError::Truncated {
            path: path.into(),
            field: format!("idx data for dimensions {dims:?}"),
            expected: count as u64,
            found: found as u64,
        });
    }
    if found > count {
        return Err(DataError::format(
            path,
            "idx data",
            format!("dimensions {dims:?} need {count} bytes after the header, found {found} (trailing data)"),
        ));
    }
    let mut values = bytes;
    values.drain(..header);
    Ok((dims, values))
}

/// Reads an idx3 image file and its idx1 label file into an [`ImageSet`] (N×1×H×W).
/// `class_names` gives the names of the label values; labels beyond it are an error.
pub fn read_idx_images(
    images_path: &Path,
    labels_path: &Path,
    class_names: &[&str],
) -> Result<ImageSet, DataError> {
    let (dims, pixels) = read_idx(images_path)?;
    if dims.len() != 3 {
        return Err(DataError::Shape {
            path: images_path.into(),
            field: "idx image dimensions".into(),
            expected: "3 dimensions (count, rows, columns)".into(),
            found: format!("{dims:?}"),
        });
    }
    let (label_dims, labels) = read_idx(labels_path)?;
    if label_dims.len() != 1 {
        return Err(DataError::Shape {
            path: labels_path.into(),
            field: "idx label dimensions".into(),
            expected: "1 dimension (count)".into(),
            found: format!("{label_dims:?}"),
        });
    }
    if label_dims[0] != dims[0] {
        return Err(DataError::Shape {
            path: labels_path.into(),
            field: "label count".into(),
            expected: format!("{} labels, as images in {}", dims[0], images_path.display()),
            found: format!("{}", label_dims[0]),
        });
    }
    if let Some(index) = labels.iter().position(|&l| l as usize >= class_names.len()) {
        return Err(DataError::BadLabel {
            path: labels_path.into(),
            field: "label".into(),
            index,
            value: labels[index].to_string(),
            expected: format!("a class index below {}", class_names.len()),
        });
    }
    Ok(ImageSet {
        n: dims[0],
        c: 1,
        h: dims[1],
        w: dims[2],
        pixels,
        labels: labels.into_iter().map(u16::from).collect(),
        class_names: class_names.iter().map(|s| s.to_string()).collect(),
    })
}

/// Encodes values as an uncompressed idx file of unsigned bytes (for tests and exports).
pub fn encode_idx(dims: &[usize], values: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, UBYTE, dims.len() as u8];
    for &d in dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(values);
    out
}
