//! Image datasets: MNIST / Fashion-MNIST idx files, CIFAR-10 / CIFAR-100 binary batches and
//! folders of PNG images, read into [`ImageSet`]s, plus named datasets under a data folder.

pub mod cifar;
pub mod idx;
pub mod named;
pub mod png_folder;

use std::io::Read;
use std::path::Path;

use ndarray::Array4;

use crate::error::DataError;

/// The value a model reads for an 8-bit pixel: p / 255, in [0, 1]. Every path from stored 8-bit
/// images to a model goes through here, so that named datasets, protocol files and benchmarks
/// agree. (Computed in f64; cast to f32 it equals the f32 quotient for every p.)
pub fn pixel_to_unit(p: u8) -> f64 {
    f64::from(p) / 255.0
}

/// N images of C×H×W 8-bit pixels (N×C×H×W, row-major) with one class label each.
///
/// Pixels are kept as the 8-bit values of the source so subsets and corruptions stay exact;
/// [`ImageSet::to_f32`] gives the N×C×H×W tensor in [0, 1] used by models.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageSet {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    /// N·C·H·W values, image after image, channel planes within an image.
    pub pixels: Vec<u8>,
    /// Class index of each image.
    pub labels: Vec<u16>,
    /// Name of each class index (e.g. "0".."9" for MNIST, "airplane".. for CIFAR-10).
    pub class_names: Vec<String>,
}

impl ImageSet {
    /// Values per image (C·H·W).
    pub fn image_len(&self) -> usize {
        self.c * self.h * self.w
    }

    /// Pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let len = self.image_len();
        &self.pixels[i * len..(i + 1) * len]
    }

    /// The images at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> ImageSet {
        let mut pixels = Vec::with_capacity(indices.len() * self.image_len());
        for &i in indices {
            pixels.extend_from_slice(self.image(i));
        }
        ImageSet {
            n: indices.len(),
            c: self.c,
            h: self.h,
            w: self.w,
            pixels,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            class_names: self.class_names.clone(),
        }
    }

    /// Indices of the images whose label is `class`, in order.
    pub fn indices_of_class(&self, class: u16) -> Vec<usize> {
        (0..self.n).filter(|&i| self.labels[i] == class).collect()
    }

    /// Number of images per class index (length = number of class names).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.class_names.len()];
        for &l in &self.labels {
            if let Some(c) = counts.get_mut(l as usize) {
                *c += 1;
            }
        }
        counts
    }

    /// N×C×H×W tensor with values p / 255 in [0, 1].
    pub fn to_f32(&self) -> Array4<f32> {
        let data: Vec<f32> = self.pixels.iter().map(|&p| pixel_to_unit(p) as f32).collect();
        Array4::from_shape_vec((self.n, self.c, self.h, self.w), data)
            .expect("pixel count matches n*c*h*w")
    }
}

/// Reads a whole file, transparently gunzipping it when it starts with the gzip magic bytes.
pub(crate) fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, "open for reading", e))?;
    if raw.len() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| DataError::format(path, "gzip stream", format!("cannot decompress: {e}")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The f32 paths cast the f64 value; for every 8-bit value that equals the f32 quotient, so
    /// f32 and f64 readers of the same file see the same pixels.
    #[test]
    fn pixel_to_unit_spans_zero_to_one_and_casts_exactly() {
        assert_eq!(pixel_to_unit(0), 0.0);
        assert_eq!(pixel_to_unit(255), 1.0);
        for p in 0..=255u8 {
            assert_eq!(pixel_to_unit(p) as f32, p as f32 / 255.0, "pixel {p}");
        }
    }
}
