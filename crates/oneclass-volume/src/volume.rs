//! 3-D scalar volumes and masks in voxel space (Fortran order: x fastest, then y, then z — the
//! NIfTI storage order), with their NIfTI conversions and S-F's min–max normalisation.

use std::path::Path;

use crate::error::{invalid, Result, VolumeError};
use crate::nifti::{NiftiImage, VoxelData};

/// Identity voxel-to-world matrix with 1 mm voxels.
pub const IDENTITY_AFFINE: [[f64; 4]; 4] = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]];

/// A scalar volume `dims = [nx, ny, nz]`; voxel (x, y, z) is `data[x + nx·(y + ny·z)]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Volume {
    pub dims: [usize; 3],
    pub data: Vec<f32>,
    pub affine: [[f64; 4]; 4],
}

/// A binary mask on the same grid as a volume.
#[derive(Clone, Debug, PartialEq)]
pub struct Mask {
    pub dims: [usize; 3],
    pub data: Vec<bool>,
}

fn three_d(img: &NiftiImage, path: &Path) -> Result<[usize; 3]> {
    let shape = img.shape();
    // Trailing singleton dimensions (e.g. a 4-D file with one frame) are accepted.
    let (lead, rest) = shape.split_at(shape.len().min(3));
    if rest.iter().any(|&d| d != 1) || lead.is_empty() {
        return Err(VolumeError::Nifti { path: path.into(), field: "dim".into(), detail: format!("{shape:?}: expected a 3-D volume") });
    }
    let mut dims = [1usize; 3];
    dims[..lead.len()].copy_from_slice(lead);
    Ok(dims)
}

impl Volume {
    pub fn new(dims: [usize; 3], data: Vec<f32>, affine: [[f64; 4]; 4]) -> Result<Volume> {
        if data.len() != dims.iter().product::<usize>() {
            return Err(invalid("volume", format!("{} values for dims {dims:?}", data.len())));
        }
        Ok(Volume { dims, data, affine })
    }

    pub fn zeros(dims: [usize; 3], affine: [[f64; 4]; 4]) -> Volume {
        Volume { dims, data: vec![0.0; dims.iter().product()], affine }
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    #[inline]
    pub fn index(&self, x: usize, y: usize, z: usize) -> usize {
        x + self.dims[0] * (y + self.dims[1] * z)
    }

    #[inline]
    pub fn get(&self, x: usize, y: usize, z: usize) -> f32 {
        self.data[self.index(x, y, z)]
    }

    /// Reads a 3-D NIfTI file; values are scaled by `scl_slope` / `scl_inter`.
    pub fn read(path: &Path) -> Result<Volume> {
        let img = NiftiImage::read(path)?;
        let dims = three_d(&img, path)?;
        let data: Vec<f32> = img.scaled().into_iter().map(|v| v as f32).collect();
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(VolumeError::Nifti { path: path.into(), field: "data".into(), detail: format!("voxel {i} is not finite") });
        }
        Ok(Volume { dims, data, affine: img.affine() })
    }

    /// As a float32 NIfTI image on the same affine.
    pub fn to_nifti(&self) -> Result<NiftiImage> {
        NiftiImage::new(&self.dims, VoxelData::F32(self.data.clone()), &self.affine)
    }

    /// Writes a float32 NIfTI file (`.nii.gz` compressed), atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        self.to_nifti()?.write(path)
    }

    /// Min–max normalisation to [0, 1] (seed 001 S-F: X_norm = (X − min X)/(max X − min X)),
    /// with min and max taken over `within` when given (e.g. the brain mask), over the whole
    /// volume otherwise. A constant volume is an error.
    pub fn min_max_normalise(&mut self, within: Option<&Mask>) -> Result<()> {
        if let Some(m) = within {
            m.check_grid(self.dims, "normalisation mask")?;
        }
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for (i, &v) in self.data.iter().enumerate() {
            if within.is_none_or(|m| m.data[i]) {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if hi <= lo {
            return Err(invalid("min-max normalisation", format!("the volume is constant ({lo}) where it is normalised")));
        }
        let scale = 1.0 / (hi - lo);
        self.data.iter_mut().for_each(|v| *v = (*v - lo) * scale);
        Ok(())
    }

    /// Sets every voxel outside `mask` to `value`.
    pub fn apply_mask(&mut self, mask: &Mask, value: f32) -> Result<()> {
        mask.check_grid(self.dims, "mask")?;
        for (v, &m) in self.data.iter_mut().zip(&mask.data) {
            if !m {
                *v = value;
            }
        }
        Ok(())
    }
}

impl Mask {
    pub fn new(dims: [usize; 3], data: Vec<bool>) -> Result<Mask> {
        if data.len() != dims.iter().product::<usize>() {
            return Err(invalid("mask", format!("{} values for dims {dims:?}", data.len())));
        }
        Ok(Mask { dims, data })
    }

    pub fn full(dims: [usize; 3]) -> Mask {
        Mask { dims, data: vec![true; dims.iter().product()] }
    }

    /// Reads a 3-D NIfTI mask: voxels whose scaled value is non-zero are inside.
    pub fn read(path: &Path) -> Result<Mask> {
        let img = NiftiImage::read(path)?;
        let dims = three_d(&img, path)?;
        Ok(Mask { dims, data: img.scaled().into_iter().map(|v| v != 0.0).collect() })
    }

    /// Writes a uint8 0/1 NIfTI mask.
    pub fn write(&self, path: &Path, affine: &[[f64; 4]; 4]) -> Result<()> {
        NiftiImage::new(&self.dims, VoxelData::U8(self.data.iter().map(|&b| b as u8).collect()), affine)?.write(path)
    }

    pub fn count(&self) -> usize {
        self.data.iter().filter(|&&b| b).count()
    }

    pub fn check_grid(&self, dims: [usize; 3], what: &str) -> Result<()> {
        if self.dims != dims {
            return Err(invalid(what, format!("mask dims {:?} differ from the volume's {dims:?}", self.dims)));
        }
        Ok(())
    }

    /// Voxels in `self` and not in `other`.
    pub fn minus(&self, other: &Mask) -> Result<Mask> {
        other.check_grid(self.dims, "excluded mask")?;
        Ok(Mask { dims: self.dims, data: self.data.iter().zip(&other.data).map(|(&a, &b)| a && !b).collect() })
    }

    pub fn and(&self, other: &Mask) -> Result<Mask> {
        other.check_grid(self.dims, "mask")?;
        Ok(Mask { dims: self.dims, data: self.data.iter().zip(&other.data).map(|(&a, &b)| a && b).collect() })
    }
}
