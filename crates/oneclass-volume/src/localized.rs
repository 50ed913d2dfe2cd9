//! Localized and patient-specific one-class SVMs on patch codes, producing 3-D score maps.
//!
//! **Localized OCSVM** (seed 001 ref. [45]): for every voxel location v of the analysis mask,
//! one small ν-OCSVM (rbf, γ = "scale" of its own points) is fitted on the codes of the
//! training subjects' patches at the masked locations of the (2r+1)³ cube around v; the test
//! subjects' patches at v are scored with it. All subjects are in a common space (registered),
//! so "the same location" means the same voxel index.
//!
//! **Patient-specific OCSVM** (ref. [46]): one exact ν-OCSVM per test subject, fitted on the
//! codes of (a seeded random subset of) that subject's own patches, scoring all of them.
//!
//! Scores are −f in Schölkopf's scale (f = Σα k − ρ with Σα = 1, so values are comparable
//! between locations with different point counts): higher = more anomalous. Voxels outside the
//! mask get 0.
//!
//! Memory is bounded by the slab of 2r+1 axial slices: codes of the training subjects are
//! computed slice by slice and kept only while a slice is inside the slab, test subjects'
//! codes one slice at a time, and the small problems are solved `chunk` locations at a time on
//! the rayon pool ([`SmallOcsvm::solve_batch`]).

use std::collections::VecDeque;
use std::time::Instant;

use oneclass_svm::diff::SmallOcsvm;
use oneclass_svm::{Gamma, OcsvmParams};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::error::{invalid, Result, VolumeError};
use crate::patches::{check_patch_size, encode_locations, slice_locations, PatchEncoder};
use crate::volume::{Mask, Volume};

/// Settings of the localized OCSVM maps.
#[derive(Clone, Debug, Serialize)]
pub struct LocalizedConfig {
    /// ν of every small OCSVM.
    pub nu: f64,
    /// Half-width r of the cube of locations pooled per OCSVM (0 = the voxel alone).
    pub radius: usize,
    /// Patch side (odd).
    pub patch: usize,
    /// Patches per encoder call.
    pub encode_batch: usize,
    /// Locations whose OCSVMs are built and solved together.
    pub chunk: usize,
    /// Only these axial slices get scores (all when `None`); for benchmarks on part of a
    /// large volume.
    pub slices: Option<std::ops::Range<usize>>,
}

impl Default for LocalizedConfig {
    fn default() -> Self {
        LocalizedConfig { nu: 0.03, radius: 1, patch: 15, encode_batch: 1024, chunk: 64, slices: None }
    }
}

/// Settings of the patient-specific OCSVM.
#[derive(Clone, Debug, Serialize)]
pub struct PatientSpecificConfig {
    pub nu: f64,
    /// At most this many of the subject's patches (seeded random subset) train its OCSVM.
    pub max_points: usize,
    pub seed: u64,
}

/// Counters and timings of one [`score_maps`] run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MapStats {
    pub patches_encoded: usize,
    pub encode_seconds: f64,
    pub code_dim: usize,
    pub localized_fits: usize,
    pub localized_seconds: f64,
    /// Mean number of points per localized problem.
    pub mean_points: f64,
    /// Problems with no free support vector or another flagged special case.
    pub degenerate_fits: usize,
    pub patient_specific_fits: usize,
    pub patient_specific_seconds: f64,
    pub total_seconds: f64,
}

/// Score maps of every test subject.
pub struct MapsOutput {
    pub localized: Vec<Volume>,
    pub patient_specific: Option<Vec<Volume>>,
    pub stats: MapStats,
}

/// Codes of one slice for every training subject; `rows[x + nx·y]` is the row of (x, y).
struct SliceCodes {
    z: usize,
    rows: Vec<u32>,
    codes: Vec<Vec<f32>>,
}

const NOT_MASKED: u32 = u32::MAX;

/// Gathers the training points of location (x, y, z) from the slab.
#[allow(clippy::too_many_arguments)]
fn gather(slab: &VecDeque<SliceCodes>, dims: [usize; 3], x: usize, y: usize, z: usize, r: usize, d: usize, out: &mut Vec<f64>) -> usize {
    let [nx, ny, _] = dims;
    let mut n = 0;
    for s in slab.iter().filter(|s| s.z + r >= z && s.z <= z + r) {
        for yy in y.saturating_sub(r)..=(y + r).min(ny - 1) {
            for xx in x.saturating_sub(r)..=(x + r).min(nx - 1) {
                let row = s.rows[xx + nx * yy];
                if row == NOT_MASKED {
                    continue;
                }
                for subject in &s.codes {
                    out.extend(subject[row as usize * d..(row as usize + 1) * d].iter().map(|&v| v as f64));
                    n += 1;
                }
            }
        }
    }
    n
}

fn check_subjects(what: &str, vols: &[Volume], dims: [usize; 3]) -> Result<()> {
    if let Some((i, v)) = vols.iter().enumerate().find(|(_, v)| v.dims != dims) {
        return Err(invalid(what, format!("subject {i} has dims {:?}, the mask {dims:?}", v.dims)));
    }
    Ok(())
}

/// Fits the patient-specific OCSVM of `vol` on a seeded subset of its masked patches.
fn fit_patient_specific(vol: &Volume, mask: &Mask, cfg: &LocalizedConfig, ps: &PatientSpecificConfig, seed: u64, encoder: &mut dyn PatchEncoder, stats: &mut MapStats) -> Result<oneclass_svm::OcsvmModel> {
    let mut voxels: Vec<usize> = (0..mask.data.len()).filter(|&i| mask.data[i]).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    voxels.shuffle(&mut rng);
    voxels.truncate(ps.max_points.max(1));
    voxels.sort_unstable();
    let [nx, ny, _] = vol.dims;
    let mut codes = Vec::new();
    let mut dim = 0;
    let mut start = 0;
    while start < voxels.len() {
        let z = voxels[start] / (nx * ny);
        let end = start + voxels[start..].iter().take_while(|&&v| v / (nx * ny) == z).count();
        let locs: Vec<(usize, usize)> = voxels[start..end].iter().map(|&v| (v % nx, (v / nx) % ny)).collect();
        let t = Instant::now();
        let (c, d) = encode_locations(vol, &locs, z, cfg.patch, cfg.encode_batch, encoder)?;
        stats.encode_seconds += t.elapsed().as_secs_f64();
        stats.patches_encoded += locs.len();
        dim = d;
        codes.extend(c.into_iter().map(|v| v as f64));
        start = end;
    }
    let x = ndarray::Array2::from_shape_vec((voxels.len(), dim), codes).expect("n × d codes");
    let t = Instant::now();
    let m = OcsvmParams::new().nu(ps.nu).gamma(Gamma::Scale).fit(x.view()).map_err(|e| VolumeError::Svm(format!("patient-specific OCSVM: {e}")))?;
    stats.patient_specific_seconds += t.elapsed().as_secs_f64();
    stats.patient_specific_fits += 1;
    Ok(m)
}

/// Localized (and optionally patient-specific) score maps of the `test` subjects, the
/// localized OCSVMs trained on the `train` subjects; every volume on the grid of `mask`.
pub fn score_maps(train: &[Volume], test: &[Volume], mask: &Mask, encoder: &mut dyn PatchEncoder, cfg: &LocalizedConfig, ps: Option<&PatientSpecificConfig>) -> Result<MapsOutput> {
    let started = Instant::now();
    check_patch_size(cfg.patch)?;
    if train.is_empty() || test.is_empty() {
        return Err(invalid("subjects", format!("{} training and {} test subjects; need at least one of each", train.len(), test.len())));
    }
    if !(cfg.nu > 0.0 && cfg.nu <= 1.0) {
        return Err(invalid("nu", format!("{}: must be in (0, 1]", cfg.nu)));
    }
    let dims = mask.dims;
    check_subjects("training subjects", train, dims)?;
    check_subjects("test subjects", test, dims)?;
    let [nx, ny, nz] = dims;
    let mut stats = MapStats::default();
    let solver = SmallOcsvm::new(cfg.nu);

    let ps_models = match ps {
        Some(p) => Some(
            test.iter()
                .enumerate()
                .map(|(t, v)| fit_patient_specific(v, mask, cfg, p, p.seed.wrapping_add(t as u64), encoder, &mut stats))
                .collect::<Result<Vec<_>>>()?,
        ),
        None => None,
    };

    let mut localized: Vec<Volume> = test.iter().map(|v| Volume::zeros(dims, v.affine)).collect();
    let mut patient: Option<Vec<Volume>> = ps.map(|_| test.iter().map(|v| Volume::zeros(dims, v.affine)).collect());
    let mut slab: VecDeque<SliceCodes> = VecDeque::new();
    let mut dim = 0usize;
    let mut points_total = 0usize;
    let r = cfg.radius;

    let z_range = cfg.slices.clone().unwrap_or(0..nz);
    if z_range.start >= z_range.end || z_range.end > nz {
        return Err(invalid("slices", format!("{z_range:?} is not a non-empty range of the {nz} slices")));
    }
    let mut next_slice = z_range.start.saturating_sub(r);
    for z in z_range {
        // Keep slices z − r ..= z + r of the training codes.
        while slab.front().is_some_and(|s| s.z + r < z) {
            slab.pop_front();
        }
        while next_slice <= (z + r).min(nz - 1) {
            let locs = slice_locations(mask, next_slice);
            let mut rows = vec![NOT_MASKED; nx * ny];
            for (k, &(x, y)) in locs.iter().enumerate() {
                rows[x + nx * y] = k as u32;
            }
            let mut codes = Vec::with_capacity(train.len());
            for v in train {
                let t = Instant::now();
                let (c, d) = if locs.is_empty() { (Vec::new(), dim) } else { encode_locations(v, &locs, next_slice, cfg.patch, cfg.encode_batch, encoder)? };
                stats.encode_seconds += t.elapsed().as_secs_f64();
                stats.patches_encoded += locs.len();
                dim = d;
                codes.push(c);
            }
            slab.push_back(SliceCodes { z: next_slice, rows, codes });
            next_slice += 1;
        }
        let locs = slice_locations(mask, z);
        if locs.is_empty() {
            continue;
        }
        // Test codes of this slice, one block per subject.
        let mut test_codes = Vec::with_capacity(test.len());
        for v in test {
            let t = Instant::now();
            let (c, d) = encode_locations(v, &locs, z, cfg.patch, cfg.encode_batch, encoder)?;
            stats.encode_seconds += t.elapsed().as_secs_f64();
            stats.patches_encoded += locs.len();
            dim = d;
            test_codes.push(c);
        }
        if let (Some(models), Some(maps)) = (&ps_models, patient.as_mut()) {
            for (t, m) in models.iter().enumerate() {
                let x = ndarray::Array2::from_shape_vec((locs.len(), dim), test_codes[t].iter().map(|&v| v as f64).collect()).expect("codes");
                let s = m.score(x.view()).map_err(|e| VolumeError::Svm(e.to_string()))?;
                let scale = m.params.nu * m.report.n_samples as f64;
                for (k, &(x, y)) in locs.iter().enumerate() {
                    let i = maps[t].index(x, y, z);
                    maps[t].data[i] = (s[k] / scale) as f32;
                }
            }
        }
        let t_fit = Instant::now();
        for (c0, chunk) in locs.chunks(cfg.chunk.max(1)).enumerate() {
            let mut points: Vec<(Vec<f64>, usize)> = Vec::with_capacity(chunk.len());
            for &(x, y) in chunk {
                let mut buf = Vec::new();
                let n = gather(&slab, dims, x, y, z, r, dim, &mut buf);
                points.push((buf, n));
            }
            let problems: Vec<(&[f64], usize, usize)> = points.iter().map(|(b, n)| (b.as_slice(), *n, dim)).collect();
            let solutions = solver.solve_batch(&problems);
            for (k, sol) in solutions.into_iter().enumerate() {
                let (x, y) = chunk[k];
                let sol = sol.map_err(|e| VolumeError::Svm(format!("localized OCSVM at voxel ({x}, {y}, {z}): {e}")))?;
                if sol.degeneracy().no_free_support_vector || sol.degeneracy().identical_points || sol.degeneracy().singular_kkt || sol.degeneracy().inexact {
                    stats.degenerate_fits += 1;
                }
                let row = c0 * cfg.chunk.max(1) + k;
                let query: Vec<f64> = test_codes.iter().flat_map(|c| c[row * dim..(row + 1) * dim].iter().map(|&v| v as f64)).collect();
                let f = sol.decision(&query, test.len()).map_err(|e| VolumeError::Svm(e.to_string()))?;
                let i = localized[0].index(x, y, z);
                for (t, map) in localized.iter_mut().enumerate() {
                    map.data[i] = -f[t] as f32;
                }
                points_total += points[k].1;
                stats.localized_fits += 1;
            }
        }
        stats.localized_seconds += t_fit.elapsed().as_secs_f64();
    }
    stats.code_dim = dim;
    stats.mean_points = points_total as f64 / stats.localized_fits.max(1) as f64;
    stats.total_seconds = started.elapsed().as_secs_f64();
    Ok(MapsOutput { localized, patient_specific: patient, stats })
}
