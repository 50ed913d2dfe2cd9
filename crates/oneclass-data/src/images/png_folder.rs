//! Folders of PNG images, one subfolder per class (`ROOT/<class>/*.png`). Classes are the
//! subfolder names in sorted order; images within a class are read in sorted file-name order.
//! Grey images give 1 channel, colour images 3; an alpha channel is dropped; 16-bit images
//! keep their high byte. All images must share one size and channel count.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use png::{BitDepth, ColorType, Transformations};

use super::ImageSet;
use crate::atomic::write_atomic;
use crate::error::DataError;

/// Decodes one PNG file into (channels, height, width, channel-plane pixels).
pub fn read_png(path: &Path) -> Result<(usize, usize, usize, Vec<u8>), DataError> {
    let file = File::open(path).map_err(|e| DataError::io(path, "open for reading", e))?;
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_transformations(Transformations::normalize_to_color8());
    let bad = |e: png::DecodingError| DataError::format(path, "PNG data", e.to_string());
    let mut reader = decoder.read_info().map_err(bad)?;
    let size = reader.output_buffer_size().ok_or_else(|| {
        DataError::format(path, "PNG header", "image too large for memory")
    })?;
    let mut buf = vec![0u8; size];
    let info = reader.next_frame(&mut buf).map_err(bad)?;
    let (h, w) = (info.height as usize, info.width as usize);
    let (stored, kept) = match info.color_type {
        ColorType::Grayscale => (1, 1),
        ColorType::GrayscaleAlpha => (2, 1),
        ColorType::Rgb => (3, 3),
        ColorType::Rgba => (4, 3),
        ColorType::Indexed => {
            return Err(DataError::Unsupported {
                path: path.into(),
                detail: "palette PNG was not expanded to colour".into(),
            })
        }
    };
    debug_assert_eq!(info.bit_depth, BitDepth::Eight);
    // Interleaved rows (each `line_size` bytes) to channel planes.
    let mut planes = vec![0u8; kept * h * w];
    for r in 0..h {
        let row = &buf[r * info.line_size..];
        for c in 0..w {
            for ch in 0..kept {
                planes[ch * h * w + r * w + c] = row[c * stored + ch];
            }
        }
    }
    Ok((kept, h, w, planes))
}

/// Writes channel-plane pixels (1 = grey, 3 = RGB) as an 8-bit PNG, atomically.
pub fn write_png(path: &Path, channels: usize, h: usize, w: usize, planes: &[u8]) -> Result<(), DataError> {
    let color = match channels {
        1 => ColorType::Grayscale,
        3 => ColorType::Rgb,
        _ => {
            return Err(DataError::InvalidArgument {
                field: "PNG channels".into(),
                detail: format!("expected 1 or 3 channels, found {channels}"),
            })
        }
    };
    let mut interleaved = vec![0u8; planes.len()];
    for ch in 0..channels {
        for i in 0..h * w {
            interleaved[i * channels + ch] = planes[ch * h * w + i];
        }
    }
    write_atomic(path, |out| {
        let mut encoder = png::Encoder::new(out, w as u32, h as u32);
        encoder.set_color(color);
        encoder.set_depth(BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
        writer.write_image_data(&interleaved).map_err(std::io::Error::other)?;
        writer.finish().map_err(std::io::Error::other)
    })
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let entries = std::fs::read_dir(dir).map_err(|e| DataError::io(dir, "list the folder", e))?;
    let mut paths = Vec::new();
    for entry in entries {
        paths.push(entry.map_err(|e| DataError::io(dir, "list the folder", e))?.path());
    }
    paths.sort();
    Ok(paths)
}

/// Reads `root/<class>/*.png` into an [`ImageSet`].
pub fn read_png_folder(root: &Path) -> Result<ImageSet, DataError> {
    if !root.is_dir() {
        return Err(DataError::DatasetNotFound {
            what: "PNG image folder".into(),
            looked: vec![root.into()],
            hint: "; expected one subfolder of .png files per class".into(),
        });
    }
    let class_dirs: Vec<PathBuf> = sorted_entries(root)?.into_iter().filter(|p| p.is_dir()).collect();
    if class_dirs.is_empty() {
        return Err(DataError::Empty {
            path: root.into(),
            detail: "no class subfolders; expected ROOT/<class>/*.png".into(),
        });
    }
    let mut geometry: Option<(usize, usize, usize, PathBuf)> = None;
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    let mut class_names = Vec::new();
    for (class, dir) in class_dirs.iter().enumerate() {
        class_names.push(dir.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default());
        for file in sorted_entries(dir)? {
            let is_png = file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("png"));
            if !is_png || !file.is_file() {
                continue;
            }
            let (c, h, w, planes) = read_png(&file)?;
            match &geometry {
                None => geometry = Some((c, h, w, file.clone())),
                Some((c0, h0, w0, first)) if (*c0, *h0, *w0) != (c, h, w) => {
                    return Err(DataError::Shape {
                        path: file,
                        field: "image size".into(),
                        expected: format!("{c0} channel(s) of {h0}x{w0} like {}", first.display()),
                        found: format!("{c} channel(s) of {h}x{w}"),
                    })
                }
                Some(_) => {}
            }
            pixels.extend_from_slice(&planes);
            labels.push(class as u16);
        }
    }
    let Some((c, h, w, _)) = geometry else {
        return Err(DataError::Empty { path: root.into(), detail: "no .png files in the class subfolders".into() });
    };
    Ok(ImageSet { n: labels.len(), c, h, w, pixels, labels, class_names })
}
