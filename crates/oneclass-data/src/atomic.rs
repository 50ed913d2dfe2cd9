//! Atomic file writing: a reader of `path` sees either the old file or the complete new one,
//! never a half-written file, and a failed write leaves nothing behind.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::DataError;

/// Distinguishes temporary files of concurrent writes within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Removes the temporary file when dropped, unless the write succeeded. Dropping also runs
/// when the closure panics, so a panic leaves no temporary file either.
struct TempGuard {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes `path` atomically: `f` writes into a temporary file in the same directory
/// (named `.<name>.tmp-<pid>-<counter>`), which is flushed, fsynced and renamed over `path`.
/// If `f` or any step fails, the temporary file is removed and `path` is untouched.
pub fn write_atomic<F>(path: &Path, f: F) -> Result<(), DataError>
where
    F: FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
{
    let file_name = path.file_name().ok_or_else(|| {
        DataError::format(
            path,
            "output path",
            "names a directory, expected a file name",
        )
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let counter = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(".tmp-{}-{}", std::process::id(), counter));
    let temp_path = dir.join(temp_name);

    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp_path)
        .map_err(|e| DataError::io(path, "create a temporary file next to it", e))?;
    let mut guard = TempGuard {
        path: temp_path,
        keep: false,
    };
    let mut writer = BufWriter::new(file);
    f(&mut writer).map_err(|e| DataError::io(path, "write", e))?;
    writer
        .flush()
        .map_err(|e| DataError::io(path, "write", e))?;
    let file = writer
        .into_inner()
        .map_err(|e| DataError::io(path, "write", e.into_error()))?;
    file.sync_all()
        .map_err(|e| DataError::io(path, "sync to disk", e))?;
    drop(file);
    std::fs::rename(&guard.path, path)
        .map_err(|e| DataError::io(path, "rename the temporary file onto", e))?;
    guard.keep = true;
    // Make the rename itself durable; not every platform can open a directory, so best effort.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
