//! Subject-level and voxel-level evaluation of score maps (seed 001 section V-A4 to V-A6).

use serde::Serialize;

use crate::error::{invalid, Result};
use crate::volume::{Mask, Volume};

/// Linear-interpolation percentile (NumPy's default), `q` in [0, 100].
pub fn percentile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() || !(0.0..=100.0).contains(&q) {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let pos = q / 100.0 * (values.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(values[lo] + (values[hi] - values[lo]) * (pos - lo as f64))
}

/// The subject's anomaly score from its map (higher = more anomalous).
///
/// The seed takes the 2nd percentile of the OCSVM decision map (2 % of the decisions lie
/// below it; low decision = anomalous) over the brain without the ventricles. Our maps hold
/// −decision, so the same quantity with the sign that makes higher = more anomalous is
/// −P₂(decision) = P₉₈(map): the 98th percentile of the map over `within` minus `exclude`.
pub fn subject_score(map: &Volume, within: &Mask, exclude: Option<&Mask>) -> Result<f64> {
    within.check_grid(map.dims, "subject mask")?;
    let region = match exclude {
        Some(e) => within.minus(e)?,
        None => within.clone(),
    };
    let mut v: Vec<f64> = map.data.iter().zip(&region.data).filter(|(_, &m)| m).map(|(&s, _)| s as f64).collect();
    percentile(&mut v, 98.0).ok_or_else(|| invalid("subject mask", "no voxel left after exclusion"))
}

/// Voxel-level localisation metrics of one subject.
#[derive(Clone, Debug, Serialize)]
pub struct VoxelMetrics {
    pub auroc: f64,
    pub auroc30: f64,
    pub aupr: f64,
    /// Fraction of evaluated voxels that are lesion: the AUPR of a random score.
    pub prevalence: f64,
    pub n_voxels: usize,
    pub n_lesion: usize,
}

/// AUROC, AUROC30 and AUPR of the map against `lesions`, over the voxels of `within`.
pub fn voxel_metrics(map: &Volume, lesions: &Mask, within: &Mask) -> Result<VoxelMetrics> {
    lesions.check_grid(map.dims, "lesion mask")?;
    within.check_grid(map.dims, "evaluation mask")?;
    let mut scores = Vec::new();
    let mut labels = Vec::new();
    for i in 0..map.data.len() {
        if within.data[i] {
            scores.push(map.data[i] as f64);
            labels.push(lesions.data[i] as u8);
        }
    }
    let n_lesion = labels.iter().filter(|&&l| l == 1).count();
    Ok(VoxelMetrics {
        auroc: oneclass_metrics::auroc(&scores, &labels)?,
        auroc30: oneclass_metrics::auroc30(&scores, &labels)?,
        aupr: oneclass_metrics::average_precision(&scores, &labels)?,
        prevalence: n_lesion as f64 / labels.len() as f64,
        n_voxels: labels.len(),
        n_lesion,
    })
}
