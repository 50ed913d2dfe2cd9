//! 2-D patches around voxels of axial slices, streamed in bounded batches.
//!
//! The patch of voxel (x, y, z) with side `p` (odd) is the p × p square of slice z centred on
//! (x, y): entry (row i, column j) is voxel (x − h + j, y − h + i, z) with h = p/2, so rows run
//! along y and columns along x. Positions outside the volume read 0 (zero padding): after the
//! brain mask is applied and intensities are min–max normalised, 0 is the background value, so
//! a patch near the border looks like one that reaches into the background.

use crate::error::{invalid, Result, VolumeError};
use crate::volume::{Mask, Volume};

/// Something that maps patches to latent codes (the CLI passes the trained encoder).
pub trait PatchEncoder {
    /// `patches`: `n` patches of side p, row-major, concatenated; returns `n × code_dim` values.
    fn encode(&mut self, patches: &[f32], n: usize) -> Result<Vec<f32>>;
}

impl<F: FnMut(&[f32], usize) -> Result<Vec<f32>>> PatchEncoder for F {
    fn encode(&mut self, patches: &[f32], n: usize) -> Result<Vec<f32>> {
        self(patches, n)
    }
}

/// Checks the patch side.
pub fn check_patch_size(size: usize) -> Result<()> {
    if size == 0 || size.is_multiple_of(2) {
        return Err(invalid("patch size", format!("{size}: must be odd so that the patch has a centre voxel")));
    }
    Ok(())
}

/// The masked voxels (x, y) of axial slice z, y outer, x inner.
pub fn slice_locations(mask: &Mask, z: usize) -> Vec<(usize, usize)> {
    let [nx, ny, _] = mask.dims;
    let base = nx * ny * z;
    let mut out = Vec::new();
    for y in 0..ny {
        for x in 0..nx {
            if mask.data[base + x + nx * y] {
                out.push((x, y));
            }
        }
    }
    out
}

/// Writes the patch of (x, y, z) into `out` (length size²), zero padded.
pub fn extract_patch(vol: &Volume, x: usize, y: usize, z: usize, size: usize, out: &mut [f32]) {
    let [nx, ny, _] = vol.dims;
    let h = (size / 2) as isize;
    let base = nx * ny * z;
    for i in 0..size {
        let yy = y as isize - h + i as isize;
        let row = &mut out[i * size..(i + 1) * size];
        if yy < 0 || yy >= ny as isize {
            row.fill(0.0);
            continue;
        }
        for (j, o) in row.iter_mut().enumerate() {
            let xx = x as isize - h + j as isize;
            *o = if xx < 0 || xx >= nx as isize { 0.0 } else { vol.data[base + xx as usize + nx * yy as usize] };
        }
    }
}

/// Patches of `locations` in slice z, concatenated.
pub fn extract_patches(vol: &Volume, locations: &[(usize, usize)], z: usize, size: usize) -> Vec<f32> {
    let p2 = size * size;
    let mut out = vec![0.0f32; locations.len() * p2];
    for (k, &(x, y)) in locations.iter().enumerate() {
        extract_patch(vol, x, y, z, size, &mut out[k * p2..(k + 1) * p2]);
    }
    out
}

/// Runs `encoder` over the patches of `locations` in slice z, at most `batch` patches at a time;
/// returns the codes (`locations.len() × code_dim`) and `code_dim`.
pub fn encode_locations(vol: &Volume, locations: &[(usize, usize)], z: usize, size: usize, batch: usize, encoder: &mut dyn PatchEncoder) -> Result<(Vec<f32>, usize)> {
    let mut codes = Vec::new();
    let mut dim = 0usize;
    for chunk in locations.chunks(batch.max(1)) {
        let patches = extract_patches(vol, chunk, z, size);
        let c = encoder.encode(&patches, chunk.len())?;
        if c.is_empty() || c.len() % chunk.len() != 0 {
            return Err(VolumeError::Encoder(format!("returned {} values for {} patches", c.len(), chunk.len())));
        }
        let d = c.len() / chunk.len();
        if dim != 0 && d != dim {
            return Err(VolumeError::Encoder(format!("code size changed from {dim} to {d}")));
        }
        dim = d;
        codes.extend_from_slice(&c);
    }
    Ok((codes, dim))
}

/// One batch of a [`PatchStream`]: linear voxel indices and their patches.
pub struct PatchBatch {
    pub voxels: Vec<usize>,
    pub patches: Vec<f32>,
}

/// Every masked voxel's patch, slice by slice, `batch` at a time: memory is one batch of
/// patches whatever the volume size.
pub struct PatchStream<'a> {
    vol: &'a Volume,
    size: usize,
    batch: usize,
    z: usize,
    locations: Vec<(usize, usize)>,
    pos: usize,
    mask: &'a Mask,
}

impl<'a> PatchStream<'a> {
    pub fn new(vol: &'a Volume, mask: &'a Mask, size: usize, batch: usize) -> Result<PatchStream<'a>> {
        check_patch_size(size)?;
        mask.check_grid(vol.dims, "patch mask")?;
        if batch == 0 {
            return Err(invalid("batch", "must be ≥ 1"));
        }
        Ok(PatchStream { vol, size, batch, z: 0, locations: slice_locations(mask, 0), pos: 0, mask })
    }
}

impl Iterator for PatchStream<'_> {
    type Item = PatchBatch;
    fn next(&mut self) -> Option<PatchBatch> {
        let nz = self.vol.dims[2];
        while self.pos >= self.locations.len() {
            self.z += 1;
            if self.z >= nz {
                return None;
            }
            self.locations = slice_locations(self.mask, self.z);
            self.pos = 0;
        }
        let end = (self.pos + self.batch).min(self.locations.len());
        let chunk = &self.locations[self.pos..end];
        self.pos = end;
        let voxels = chunk.iter().map(|&(x, y)| self.vol.index(x, y, self.z)).collect();
        Some(PatchBatch { voxels, patches: extract_patches(self.vol, chunk, self.z, self.size) })
    }
}
