//! Preprocessing used by the seeds, fitted on training data and serialisable so a saved
//! model applies the same transform when scoring.
//!
//! - [`ImagePreprocess::GcnL1MinMax`] (Deep SVDD): per image, subtract its mean and divide by
//!   its mean absolute deviation (global contrast normalisation, L1); then min-max scale with
//!   the minimum and maximum of the normalised training images.
//! - [`ImagePreprocess::MeanStd`] (Toll): per channel, (x − mean) / std of the training pixels.
//! - [`TablePreprocess::StandardMinMax`] (Deep SAD, tabular): per feature, standardise (mean,
//!   population std) then min-max scale to [0, 1], both fitted on train; constant features get
//!   scale 1, as scikit-learn's StandardScaler and MinMaxScaler.

use ndarray::{Array2, Array4, Axis};
use serde::{Deserialize, Serialize};

use crate::error::DataError;

fn empty_error(what: &str) -> DataError {
    DataError::InvalidArgument { field: "preprocessing".into(), detail: format!("cannot fit {what} on no data") }
}

/// Global contrast normalisation (L1) of one image in place; a constant image becomes 0.
pub fn gcn_l1(values: &mut [f32]) {
    let n = values.len() as f64;
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
    let scale = values.iter().map(|&v| (v as f64 - mean).abs()).sum::<f64>() / n;
    for v in values.iter_mut() {
        let centred = *v as f64 - mean;
        *v = if scale > 0.0 { (centred / scale) as f32 } else { 0.0 };
    }
}

/// Image preprocessing on N×C×H×W tensors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ImagePreprocess {
    /// Pixels as they are (p / 255).
    Identity,
    GcnL1MinMax { min: f64, max: f64 },
    MeanStd { mean: Vec<f64>, std: Vec<f64> },
}

impl ImagePreprocess {
    /// GCN (L1) + min-max fitted on `train`.
    pub fn fit_gcn_l1_minmax(train: &Array4<f32>) -> Result<ImagePreprocess, DataError> {
        if train.is_empty() {
            return Err(empty_error("GCN + min-max"));
        }
        let mut normalised = train.to_owned();
        for mut image in normalised.axis_iter_mut(Axis(0)) {
            gcn_l1(image.as_slice_mut().expect("contiguous image"));
        }
        let min = normalised.iter().fold(f64::INFINITY, |m, &v| m.min(v as f64));
        let max = normalised.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
        Ok(ImagePreprocess::GcnL1MinMax { min, max })
    }

    /// Per-channel mean and population standard deviation of `train`.
    pub fn fit_mean_std(train: &Array4<f32>) -> Result<ImagePreprocess, DataError> {
        if train.is_empty() {
            return Err(empty_error("mean/std"));
        }
        let (mut mean, mut std) = (Vec::new(), Vec::new());
        for channel in train.axis_iter(Axis(1)) {
            let n = channel.len() as f64;
            let m = channel.iter().map(|&v| v as f64).sum::<f64>() / n;
            let var = channel.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / n;
            mean.push(m);
            std.push(if var > 0.0 { var.sqrt() } else { 1.0 });
        }
        Ok(ImagePreprocess::MeanStd { mean, std })
    }

    /// Applies the transform in place. Errors if the channel count differs from the fit.
    pub fn apply(&self, images: &mut Array4<f32>) -> Result<(), DataError> {
        match self {
            ImagePreprocess::Identity => {}
            ImagePreprocess::GcnL1MinMax { min, max } => {
                let range = if max > min { max - min } else { 1.0 };
                for mut image in images.axis_iter_mut(Axis(0)) {
                    let values = image.as_slice_mut().expect("contiguous image");
                    gcn_l1(values);
                    values.iter_mut().for_each(|v| *v = ((*v as f64 - min) / range) as f32);
                }
            }
            ImagePreprocess::MeanStd { mean, std } => {
                if images.shape()[1] != mean.len() {
                    return Err(DataError::InvalidArgument {
                        field: "preprocessing".into(),
                        detail: format!("fitted on {} channel(s), given {}", mean.len(), images.shape()[1]),
                    });
                }
                for (k, mut channel) in images.axis_iter_mut(Axis(1)).enumerate() {
                    channel.mapv_inplace(|v| ((v as f64 - mean[k]) / std[k]) as f32);
                }
            }
        }
        Ok(())
    }
}

/// Table preprocessing on n×d matrices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TablePreprocess {
    Identity,
    /// z-scores with the training mean and standard deviation (constant columns: scale 1).
    Standard { mean: Vec<f64>, scale: Vec<f64> },
    StandardMinMax { mean: Vec<f64>, scale: Vec<f64>, min: Vec<f64>, range: Vec<f64> },
}

impl TablePreprocess {
    /// Standard scaling then min-max scaling, both fitted on `train`.
    pub fn fit_standard_minmax(train: &Array2<f64>) -> Result<TablePreprocess, DataError> {
        let (mean, scale) = column_mean_scale(train, "standard + min-max scaling")?;
        let (mut min, mut range) = (Vec::new(), Vec::new());
        for (j, column) in train.axis_iter(Axis(1)).enumerate() {
            let standardised = column.mapv(|v| (v - mean[j]) / scale[j]);
            let lo = standardised.fold(f64::INFINITY, |a, &b| a.min(b));
            let hi = standardised.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            min.push(lo);
            range.push(if hi > lo { hi - lo } else { 1.0 });
        }
        Ok(TablePreprocess::StandardMinMax { mean, scale, min, range })
    }

    /// Standard scaling (z-scores) fitted on `train`.
    pub fn fit_standard(train: &Array2<f64>) -> Result<TablePreprocess, DataError> {
        let (mean, scale) = column_mean_scale(train, "standard scaling")?;
        Ok(TablePreprocess::Standard { mean, scale })
    }

    /// Applies the transform in place. Errors if the column count differs from the fit.
    pub fn apply(&self, x: &mut Array2<f64>) -> Result<(), DataError> {
        let (mean, scale, minmax) = match self {
            TablePreprocess::Identity => return Ok(()),
            TablePreprocess::Standard { mean, scale } => (mean, scale, None),
            TablePreprocess::StandardMinMax { mean, scale, min, range } => (mean, scale, Some((min, range))),
        };
        if x.ncols() != mean.len() {
            return Err(DataError::InvalidArgument {
                field: "preprocessing".into(),
                detail: format!("fitted on {} feature(s), given {}", mean.len(), x.ncols()),
            });
        }
        for (j, mut column) in x.axis_iter_mut(Axis(1)).enumerate() {
            match minmax {
                None => column.mapv_inplace(|v| (v - mean[j]) / scale[j]),
                Some((min, range)) => column.mapv_inplace(|v| ((v - mean[j]) / scale[j] - min[j]) / range[j]),
            }
        }
        Ok(())
    }
}

/// Per-column mean and population standard deviation of `train` (1 for a constant column).
fn column_mean_scale(train: &Array2<f64>, what: &str) -> Result<(Vec<f64>, Vec<f64>), DataError> {
    let n = train.nrows();
    if n == 0 {
        return Err(empty_error(what));
    }
    let (mut mean, mut scale) = (Vec::new(), Vec::new());
    for column in train.axis_iter(Axis(1)) {
        let m = column.sum() / n as f64;
        let var = column.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n as f64;
        mean.push(m);
        scale.push(if var > 0.0 { var.sqrt() } else { 1.0 });
    }
    Ok((mean, scale))
}
