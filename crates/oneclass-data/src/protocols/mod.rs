//! The seeds' data protocols: each builder returns named splits (train / val / test, and
//! `early_stop` for the OgAE task) with anomaly labels (1 = anomaly), original classes and,
//! for semi-supervised settings, targets ∈ {−1 known anomaly, 0 unlabeled, +1 known normal}.
//! [`ProtocolOutput::write`] materialises them as `<split>.npz` plus `manifest.json`.
//!
//! All random choices come from one `ChaCha8Rng` per purpose, seeded from the protocol seed
//! and a purpose-specific stream, so the same seed gives byte-identical files.

pub mod alteration;
pub mod deep_sad;
pub mod ogae_mnist_c;
pub mod one_vs_rest;
pub mod tabular;

use std::collections::BTreeMap;
use std::path::Path;

use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};

use crate::atomic::write_atomic;
use crate::error::DataError;
use crate::images::ImageSet;
use crate::npy::{NpyArray, NpyData};
use crate::npz::write_npz;

/// Features of one split.
#[derive(Clone, Debug, PartialEq)]
pub enum Features {
    /// uint8 images, N×C×H×W.
    Images { pixels: Vec<u8>, shape: [usize; 4] },
    /// Rows of a table.
    Table(Array2<f64>),
}

impl Features {
    pub fn len(&self) -> usize {
        match self {
            Features::Images { shape, .. } => shape[0],
            Features::Table(x) => x.nrows(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The images `indices` of `set`, in that order.
    pub fn from_images(set: &ImageSet, indices: &[usize]) -> Features {
        let sub = set.subset(indices);
        Features::Images { pixels: sub.pixels, shape: [sub.n, sub.c, sub.h, sub.w] }
    }
}

/// One split of a protocol.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitSet {
    /// File stem: "train", "val", "test", "early_stop".
    pub name: String,
    pub x: Features,
    /// 1 = anomaly, 0 = normal.
    pub y: Vec<u8>,
    /// Original class index (digit for MNIST).
    pub class: Vec<i64>,
    /// Semi-supervised targets: +1 labeled normal, 0 unlabeled, −1 labeled anomaly.
    pub semi_target: Option<Vec<i8>>,
    /// Further per-sample integer fields written to the .npz (e.g. "corruption", "source").
    pub extra: Vec<(String, Vec<i64>)>,
}

impl SplitSet {
    fn arrays(&self) -> Vec<(String, NpyArray)> {
        let n = self.y.len();
        let mut out = vec![(
            "X".to_string(),
            match &self.x {
                Features::Images { pixels, shape } => NpyArray { shape: shape.to_vec(), data: NpyData::U8(pixels.clone()) },
                Features::Table(x) => NpyArray::from_array2(x),
            },
        )];
        out.push(("y".into(), NpyArray { shape: vec![n], data: NpyData::U8(self.y.clone()) }));
        out.push(("class".into(), NpyArray { shape: vec![n], data: NpyData::I64(self.class.clone()) }));
        if let Some(t) = &self.semi_target {
            out.push(("semi_target".into(), NpyArray { shape: vec![n], data: NpyData::I8(t.clone()) }));
        }
        for (name, values) in &self.extra {
            out.push((name.clone(), NpyArray { shape: vec![n], data: NpyData::I64(values.clone()) }));
        }
        out
    }
}

/// The result of a protocol builder.
#[derive(Clone, Debug, PartialEq)]
pub struct ProtocolOutput {
    pub protocol: String,
    pub seed: u64,
    /// Every setting that shaped the data (dataset, classes, ratios, corruptions, ...).
    pub parameters: Value,
    /// Names of the class indices in `class`.
    pub class_names: Vec<String>,
    /// Names of the values of extra fields (e.g. "corruption" → ["stripe", ...]).
    pub value_names: BTreeMap<String, Vec<String>>,
    pub splits: Vec<SplitSet>,
    /// Free-text notes on how the protocol was built (recorded in the manifest).
    pub notes: Vec<String>,
}

fn count_by<T: Ord + Copy>(values: impl Iterator<Item = T>) -> BTreeMap<T, usize> {
    let mut m = BTreeMap::new();
    for v in values {
        *m.entry(v).or_insert(0) += 1;
    }
    m
}

impl ProtocolOutput {
    /// The split called `name`.
    pub fn split(&self, name: &str) -> Option<&SplitSet> {
        self.splits.iter().find(|s| s.name == name)
    }

    /// Counts per split, class, label, target and named extra field, plus seed and parameters.
    pub fn manifest(&self) -> Value {
        let mut splits = Map::new();
        for s in &self.splits {
            let name_of = |c: i64| {
                self.class_names.get(c as usize).cloned().unwrap_or_else(|| c.to_string())
            };
            let mut entry = Map::new();
            entry.insert("file".into(), json!(format!("{}.npz", s.name)));
            entry.insert("n".into(), json!(s.y.len()));
            entry.insert("normal".into(), json!(s.y.iter().filter(|&&v| v == 0).count()));
            entry.insert("anomalous".into(), json!(s.y.iter().filter(|&&v| v == 1).count()));
            let per_class: Map<String, Value> = count_by(s.class.iter().copied())
                .into_iter()
                .map(|(c, n)| (name_of(c), json!(n)))
                .collect();
            entry.insert("per_class".into(), Value::Object(per_class));
            if let Some(t) = &s.semi_target {
                let per: Map<String, Value> =
                    count_by(t.iter().copied()).into_iter().map(|(k, n)| (k.to_string(), json!(n))).collect();
                entry.insert("per_semi_target".into(), Value::Object(per));
            }
            for (field, values) in &s.extra {
                if let Some(names) = self.value_names.get(field) {
                    let per: Map<String, Value> = count_by(values.iter().copied())
                        .into_iter()
                        .map(|(k, n)| (names.get(k as usize).cloned().unwrap_or_else(|| k.to_string()), json!(n)))
                        .collect();
                    entry.insert(format!("per_{field}"), Value::Object(per));
                }
            }
            if let Features::Images { shape, .. } = &s.x {
                entry.insert("image_shape".into(), json!(&shape[1..]));
            } else if let Features::Table(x) = &s.x {
                entry.insert("features".into(), json!(x.ncols()));
            }
            splits.insert(s.name.clone(), Value::Object(entry));
        }
        json!({
            "protocol": self.protocol,
            "seed": self.seed,
            "parameters": self.parameters,
            "class_names": self.class_names,
            "value_names": self.value_names,
            "split_order": self.splits.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
            "splits": splits,
            "notes": self.notes,
            "arrays": "X (uint8 images N x C x H x W, or float64 rows), y (uint8, 1 = anomaly), \
                       class (int64 original class), semi_target (int8: +1 labeled normal, 0 unlabeled, \
                       -1 labeled anomaly; semi-supervised protocols only), extra int64 fields",
        })
    }

    /// Writes `<dir>/<split>.npz` for every split and `<dir>/manifest.json` (written last),
    /// each atomically. Creates `dir` if needed.
    pub fn write(&self, dir: &Path) -> Result<(), DataError> {
        std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, "create the output folder", e))?;
        for s in &self.splits {
            let arrays = s.arrays();
            let refs: Vec<(&str, &NpyArray)> = arrays.iter().map(|(n, a)| (n.as_str(), a)).collect();
            write_npz(&dir.join(format!("{}.npz", s.name)), &refs)?;
        }
        let mut text = serde_json::to_string_pretty(&self.manifest()).expect("manifest serialises");
        text.push('\n');
        write_atomic(&dir.join("manifest.json"), |w| std::io::Write::write_all(w, text.as_bytes()))
    }
}

/// Purposes of random draws; each gets its own stream of the protocol seed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Purpose {
    Validation = 1,
    EarlyStop = 2,
    KnownClasses = 3,
    Normals = 4,
    KnownAnomalies = 5,
    Pollution = 6,
    TestSplit = 7,
    Alteration = 8,
}

pub(crate) fn rng_for(seed: u64, purpose: Purpose) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(purpose as u64);
    rng
}

/// `indices` shuffled with `rng`.
pub(crate) fn shuffled(indices: &[usize], rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut v = indices.to_vec();
    v.shuffle(rng);
    v
}

/// How many of each class go into the first part when `n_first` of `labels.len()` items are
/// taken in proportion to the class sizes (largest remainder; ties to the smaller class index).
pub fn stratified_counts(class_sizes: &[usize], n_first: usize) -> Vec<usize> {
    let n: usize = class_sizes.iter().sum();
    if n == 0 {
        return vec![0; class_sizes.len()];
    }
    let mut counts: Vec<usize> = class_sizes.iter().map(|&s| n_first * s / n).collect();
    let mut remainders: Vec<(usize, usize)> =
        class_sizes.iter().enumerate().map(|(k, &s)| ((n_first * s) % n, k)).collect();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let missing = n_first - counts.iter().sum::<usize>();
    for &(_, k) in remainders.iter().take(missing) {
        counts[k] += 1;
    }
    counts
}

/// Splits `indices` (with `labels[i]` the class of `indices[i]`) into a first part of `n_first`
/// items, stratified by class and drawn at random within each class, and the rest. Both parts
/// are returned in their original order.
pub fn stratified_split(
    indices: &[usize],
    labels: &[i64],
    n_first: usize,
    rng: &mut ChaCha8Rng,
) -> (Vec<usize>, Vec<usize>) {
    assert!(n_first <= indices.len());
    let classes: Vec<i64> = count_by(labels.iter().copied()).into_keys().collect();
    let members: Vec<Vec<usize>> = classes
        .iter()
        .map(|c| (0..indices.len()).filter(|&i| labels[i] == *c).collect())
        .collect();
    let sizes: Vec<usize> = members.iter().map(Vec::len).collect();
    let take = stratified_counts(&sizes, n_first);
    let mut chosen = vec![false; indices.len()];
    for (m, &t) in members.iter().zip(&take) {
        for &pos in shuffled(m, rng).iter().take(t) {
            chosen[pos] = true;
        }
    }
    let first = (0..indices.len()).filter(|&p| chosen[p]).map(|p| indices[p]).collect();
    let rest = (0..indices.len()).filter(|&p| !chosen[p]).map(|p| indices[p]).collect();
    (first, rest)
}

/// ⌈f·n⌉ with a tolerance for binary rounding (as scikit-learn's test_size, without its
/// off-by-one when f·n is an integer that floating point puts just above).
pub fn ceil_fraction(n: usize, fraction: f64) -> usize {
    ((fraction * n as f64) - 1e-9).ceil().max(0.0) as usize
}

/// A validation set size: a fraction of the items or an exact count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SizeSpec {
    Fraction(f64),
    Count(usize),
}

impl SizeSpec {
    /// Parses "0.2" (fraction, < 1) or "10000" (count).
    pub fn parse(text: &str, field: &str) -> Result<SizeSpec, DataError> {
        let bad = || DataError::InvalidArgument {
            field: field.into(),
            detail: format!("{text:?} is neither a fraction in [0, 1) nor a whole count"),
        };
        if let Ok(n) = text.trim().parse::<usize>() {
            return Ok(SizeSpec::Count(n));
        }
        let f: f64 = text.trim().parse().map_err(|_| bad())?;
        if (0.0..1.0).contains(&f) {
            Ok(SizeSpec::Fraction(f))
        } else {
            Err(bad())
        }
    }

    /// Number of items out of `n` (fractions rounded to the nearest count).
    pub fn resolve(self, n: usize, field: &str) -> Result<usize, DataError> {
        let k = match self {
            SizeSpec::Fraction(f) => (f * n as f64).round() as usize,
            SizeSpec::Count(k) => k,
        };
        if k > n {
            return Err(DataError::InvalidArgument {
                field: field.into(),
                detail: format!("asks for {k} items but only {n} are available"),
            });
        }
        Ok(k)
    }

    pub fn to_json(self) -> Value {
        match self {
            SizeSpec::Fraction(f) => json!({ "fraction": f }),
            SizeSpec::Count(k) => json!({ "count": k }),
        }
    }
}

pub(crate) fn invalid(field: &str, detail: impl Into<String>) -> DataError {
    DataError::InvalidArgument { field: field.into(), detail: detail.into() }
}

/// Class index of `name` in `class_names` (by name or by number).
pub fn class_index(class_names: &[String], name: &str, field: &str) -> Result<u16, DataError> {
    if let Some(i) = class_names.iter().position(|c| c == name) {
        return Ok(i as u16);
    }
    match name.trim().parse::<usize>() {
        Ok(i) if i < class_names.len() => Ok(i as u16),
        _ => Err(invalid(
            field,
            format!("class {name:?} not found; expected 0..{} or one of {:?}", class_names.len().saturating_sub(1), class_names),
        )),
    }
}
