//! NumPy `.npz` archives: a zip file of `.npy` members (stored or deflated), as written by
//! `numpy.savez` / `numpy.savez_compressed` and shipped by ADBench.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::atomic::write_atomic;
use crate::error::DataError;
use crate::npy::{check_consistent, parse_npy, write_npy_to, NpyArray};

/// Reads every `.npy` member of an `.npz` archive, in archive order. Names are returned
/// without the `.npy` suffix (as `numpy.load(...).files` shows them). Members that are not
/// `.npy` files (directories, other files) are skipped.
pub fn read_npz(path: &Path) -> Result<Vec<(String, NpyArray)>, DataError> {
    read_npz_filtered(path, |_| true)
}

/// Reads only the named array from an `.npz` archive, without decoding the others.
pub fn read_npz_array(path: &Path, name: &str) -> Result<NpyArray, DataError> {
    let mut found = read_npz_filtered(path, |n| n == name)?;
    match found.pop() {
        Some((_, a)) => Ok(a),
        None => Err(DataError::MissingArray {
            path: path.to_path_buf(),
            name: name.to_string(),
            available: npz_names(path)?,
        }),
    }
}

/// The names of the arrays in an `.npz` archive (without `.npy`).
pub fn npz_names(path: &Path) -> Result<Vec<String>, DataError> {
    let mut archive = open_archive(path)?;
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let member = archive.by_index(i).map_err(|e| zip_error(path, i, e))?;
        let raw = member
            .name()
            .map_err(|e| zip_error(path, i, e))?
            .into_owned();
        if let Some(stem) = raw.strip_suffix(".npy") {
            if !member.is_dir() {
                names.push(stem.to_string());
            }
        }
    }
    Ok(names)
}

fn open_archive(path: &Path) -> Result<ZipArchive<BufReader<File>>, DataError> {
    let file = File::open(path).map_err(|e| DataError::io(path, "open for reading", e))?;
    let len = file
        .metadata()
        .map_err(|e| DataError::io(path, "read metadata of", e))?
        .len();
    if len == 0 {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            detail: "the file is empty; expected a NumPy .npz (zip) archive".into(),
        });
    }
    ZipArchive::new(BufReader::new(file)).map_err(|e| {
        DataError::format(
            path,
            "zip archive",
            format!("not a readable .npz (zip) archive: {e}"),
        )
    })
}

fn zip_error(path: &Path, index: usize, e: zip::result::ZipError) -> DataError {
    DataError::format(
        path,
        format!("zip member #{index}"),
        format!("cannot read: {e}"),
    )
}

fn read_npz_filtered(
    path: &Path,
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<(String, NpyArray)>, DataError> {
    let mut archive = open_archive(path)?;
    let mut arrays = Vec::new();
    for i in 0..archive.len() {
        let member = archive.by_index(i).map_err(|e| zip_error(path, i, e))?;
        let raw = member
            .name()
            .map_err(|e| zip_error(path, i, e))?
            .into_owned();
        let Some(stem) = raw.strip_suffix(".npy") else {
            continue;
        };
        if member.is_dir() || !wanted(stem) {
            continue;
        }
        let context = format!("member '{raw}': ");
        // Member data is checked against its CRC only once fully read; a corrupt member
        // surfaces as an I/O error from the decompressor or the CRC check.
        let array = parse_npy(member, path, &context)?;
        arrays.push((stem.to_string(), array));
    }
    if arrays.is_empty() && archive.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            detail: "the .npz archive contains no arrays".into(),
        });
    }
    Ok(arrays)
}

/// Writes arrays into an `.npz` archive (deflate-compressed members `<name>.npy`),
/// atomically. Timestamps and permissions are fixed, so equal content gives byte-identical
/// files. `numpy.load` reads the result.
pub fn write_npz(path: &Path, arrays: &[(&str, &NpyArray)]) -> Result<(), DataError> {
    for (i, (name, a)) in arrays.iter().enumerate() {
        if name.is_empty() || name.contains('/') || name.contains('\\') {
            return Err(DataError::BadValue {
                path: path.to_path_buf(),
                field: format!("array name #{i}"),
                detail: format!(
                    "{name:?} is not usable; expected a non-empty name without slashes"
                ),
            });
        }
        if arrays[..i].iter().any(|(other, _)| other == name) {
            return Err(DataError::BadValue {
                path: path.to_path_buf(),
                field: format!("array name '{name}'"),
                detail: "appears twice; expected unique names".into(),
            });
        }
        check_consistent(path, a)?;
    }
    write_atomic(path, |w| {
        let mut zip = ZipWriter::new(w);
        for (name, a) in arrays {
            let approx_size = a.len() as u64 * a.dtype().size() as u64 + 256;
            let options = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .last_modified_time(DateTime::default())
                .unix_permissions(0o644)
                .large_file(approx_size >= u32::MAX as u64);
            zip.start_file(format!("{name}.npy"), options)
                .map_err(std::io::Error::other)?;
            write_npy_to(&mut zip, a)?;
        }
        zip.finish().map_err(std::io::Error::other)?;
        Ok(())
    })
}
