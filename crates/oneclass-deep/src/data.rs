//! Training / scoring data held on the host as f32 rows.

use burn::tensor::{Device, Tensor, TensorData};

use crate::error::{DeepError, Result};

/// Semi-supervised label of a training sample (seed 004): 0 unlabeled, +1 known normal,
/// −1 known anomaly.
pub type SemiLabel = i8;

/// `n` samples of shape `sample_shape` (`[C, H, W]` images or `[D]` table rows), row-major.
#[derive(Clone, Debug)]
pub struct Samples {
    pub values: Vec<f32>,
    pub n: usize,
    pub sample_shape: Vec<usize>,
}

impl Samples {
    /// Checks the length and that every value is finite.
    pub fn new(values: Vec<f32>, n: usize, sample_shape: Vec<usize>) -> Result<Self> {
        let d: usize = sample_shape.iter().product();
        if d == 0 || values.len() != n * d {
            let mut got = vec![n];
            got.extend(&sample_shape);
            return Err(DeepError::Shape { got, reason: format!("{} values given for {n} samples of {d} values", values.len()) });
        }
        if let Some(index) = values.iter().position(|v| !v.is_finite()) {
            return Err(DeepError::NonFinite { index });
        }
        Ok(Self { values, n, sample_shape })
    }

    /// From a table (rows = samples).
    pub fn from_table(x: ndarray::ArrayView2<f64>) -> Result<Self> {
        let (n, d) = x.dim();
        Self::new(x.iter().map(|&v| v as f32).collect(), n, vec![d])
    }

    /// From an `N×C×H×W` image array.
    pub fn from_images(x: ndarray::ArrayView4<f32>) -> Result<Self> {
        let (n, c, h, w) = x.dim();
        Self::new(x.iter().copied().collect(), n, vec![c, h, w])
    }

    pub fn dim(&self) -> usize {
        self.sample_shape.iter().product()
    }

    pub fn row(&self, i: usize) -> &[f32] {
        let d = self.dim();
        &self.values[i * d..(i + 1) * d]
    }

    /// The rows `indices` as a `[len, dim]` tensor on `device`.
    pub fn batch(&self, indices: &[usize], device: &Device) -> Tensor<2> {
        let d = self.dim();
        let mut buf = Vec::with_capacity(indices.len() * d);
        for &i in indices {
            buf.extend_from_slice(self.row(i));
        }
        Tensor::from_data(TensorData::new(buf, [indices.len(), d]), device)
    }

    pub fn subset(&self, indices: &[usize]) -> Samples {
        let d = self.dim();
        let mut values = Vec::with_capacity(indices.len() * d);
        for &i in indices {
            values.extend_from_slice(self.row(i));
        }
        Samples { values, n: indices.len(), sample_shape: self.sample_shape.clone() }
    }
}

/// Reads a `[n, k]` tensor back to the host as f64 rows.
pub(crate) fn to_host(t: Tensor<2>) -> Vec<f64> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().expect("an f32 tensor").into_iter().map(f64::from).collect()
}

pub(crate) fn to_host1(t: Tensor<1>) -> Vec<f64> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().expect("an f32 tensor").into_iter().map(f64::from).collect()
}
