//! Isolation Forest (Liu, Ting & Zhou, ICDM 2008), following scikit-learn 1.9's `IsolationForest`.
//!
//! Each tree is grown on a random subsample of ψ rows: at every node a feature is drawn uniformly
//! among those not constant in the node, and the split threshold uniformly between the feature's
//! minimum and maximum there; growth stops at one row, at all-constant rows, or at depth
//! ⌈log₂ ψ⌉. A point's path length in a tree is the depth of its leaf plus c(leaf size), the
//! expected depth of an unbuilt subtree, and its score is 2^(−E[h(x)] / c(ψ)) — scikit-learn's
//! `-score_samples`, so higher = more anomalous and scores lie in (0, 1].
//!
//! Differences from scikit-learn: it casts data to float32 and treats a feature as constant when
//! its range in a node is at most 1e-7; this crate works in f64 and only skips exactly constant
//! features. Its random streams differ too, so equal seeds do not give equal trees; the tests
//! compare AUROC averaged over seeds.

use crate::error::{invalid, ShallowError};
use crate::{check_input, check_matrix, row_major};
use ndarray::{Array1, ArrayView2};
use rand::seq::index;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// c(n): the average path length of an unsuccessful search in a binary search tree of n keys,
/// 2·H(n−1) − 2(n−1)/n with H(i) ≈ ln i + γ; c(2) = 1 and c(0) = c(1) = 0, exactly as
/// scikit-learn's `_average_path_length`.
pub fn average_path_length(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + EULER_GAMMA) - 2.0 * (n - 1.0) / n
        }
    }
}

/// Rows drawn for each tree (ψ).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum MaxSamples {
    /// min(256, n), the paper's and scikit-learn's default.
    Auto,
    /// This many rows, or all n when fewer are available (scikit-learn warns and does the same).
    Count(usize),
    /// ⌊fraction · n⌋ rows, fraction in (0, 1].
    Fraction(f64),
}

/// Features each tree may split on (drawn without replacement per tree).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum MaxFeatures {
    /// Exactly this many; must not exceed the number of columns.
    Count(usize),
    /// max(1, ⌊fraction · d⌋), fraction in (0, 1]; 1.0 (all features) is the default.
    Fraction(f64),
}

/// Hyper-parameters; defaults are scikit-learn's (100 trees, ψ = min(256, n), all features,
/// no bootstrap) with seed 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IsolationForestParams {
    pub n_estimators: usize,
    pub max_samples: MaxSamples,
    pub max_features: MaxFeatures,
    /// Draw each tree's rows with replacement instead of without.
    pub bootstrap: bool,
    pub seed: u64,
}

impl Default for IsolationForestParams {
    fn default() -> Self {
        IsolationForestParams {
            n_estimators: 100,
            max_samples: MaxSamples::Auto,
            max_features: MaxFeatures::Fraction(1.0),
            bootstrap: false,
            seed: 0,
        }
    }
}

impl IsolationForestParams {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn n_estimators(mut self, n_estimators: usize) -> Self {
        self.n_estimators = n_estimators;
        self
    }
    pub fn max_samples(mut self, max_samples: MaxSamples) -> Self {
        self.max_samples = max_samples;
        self
    }
    pub fn max_features(mut self, max_features: MaxFeatures) -> Self {
        self.max_features = max_features;
        self
    }
    pub fn bootstrap(mut self, bootstrap: bool) -> Self {
        self.bootstrap = bootstrap;
        self
    }
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Rejects values that cannot be honoured, before any work is done.
    pub fn check(&self) -> Result<(), ShallowError> {
        if self.n_estimators == 0 {
            return Err(invalid("n_estimators", 0, "a positive number of trees"));
        }
        match self.max_samples {
            MaxSamples::Count(0) => {
                return Err(invalid(
                    "max_samples",
                    0,
                    "a positive number of rows, a fraction in (0, 1] or \"auto\"",
                ))
            }
            MaxSamples::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                return Err(invalid(
                    "max_samples",
                    f,
                    "a fraction in (0, 1], a positive number of rows or \"auto\"",
                ))
            }
            _ => {}
        }
        match self.max_features {
            MaxFeatures::Count(0) => {
                return Err(invalid(
                    "max_features",
                    0,
                    "a positive number of features or a fraction in (0, 1]",
                ))
            }
            MaxFeatures::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                return Err(invalid(
                    "max_features",
                    f,
                    "a fraction in (0, 1] or a positive number of features",
                ))
            }
            _ => {}
        }
        Ok(())
    }

    /// ψ for n training rows.
    fn subsample_size(&self, n: usize) -> Result<usize, ShallowError> {
        let size = match self.max_samples {
            MaxSamples::Auto => n.min(256),
            MaxSamples::Count(k) => k.min(n),
            MaxSamples::Fraction(f) => (f * n as f64).floor() as usize,
        };
        if size == 0 {
            let value = match self.max_samples {
                MaxSamples::Fraction(f) => f.to_string(),
                other => format!("{other:?}"),
            };
            return Err(invalid(
                "max_samples",
                value,
                format!("a fraction that keeps at least one of the {n} training rows"),
            ));
        }
        Ok(size)
    }

    /// Features per tree for d columns.
    fn features_per_tree(&self, d: usize) -> Result<usize, ShallowError> {
        match self.max_features {
            MaxFeatures::Count(k) if k > d => Err(invalid(
                "max_features",
                k,
                format!("at most the {d} columns of the training data"),
            )),
            MaxFeatures::Count(k) => Ok(k),
            MaxFeatures::Fraction(f) => Ok(((f * d as f64).floor() as usize).max(1)),
        }
    }

    /// Grows the forest on the rows of `x` (n × d, finite). Trees are built in parallel, each
    /// from its own seed drawn from the master seed, so results do not depend on thread count.
    pub fn fit(&self, x: ArrayView2<f64>) -> Result<IsolationForest, ShallowError> {
        self.check()?;
        check_matrix(&x, "training data", 1)?;
        let (n, d) = x.dim();
        let subsample_size = self.subsample_size(n)?;
        let n_tree_features = self.features_per_tree(d)?;
        let max_depth = (subsample_size.max(2) as f64).log2().ceil() as usize;
        let data = row_major(&x);

        let mut master = ChaCha8Rng::seed_from_u64(self.seed);
        let tree_seeds: Vec<u64> = (0..self.n_estimators).map(|_| master.random()).collect();
        let trees = tree_seeds
            .par_iter()
            .map(|&tree_seed| {
                let mut rng = ChaCha8Rng::seed_from_u64(tree_seed);
                let mut rows: Vec<usize> = if self.bootstrap {
                    (0..subsample_size)
                        .map(|_| rng.random_range(0..n))
                        .collect()
                } else {
                    index::sample(&mut rng, n, subsample_size).into_vec()
                };
                let features: Vec<usize> = if n_tree_features == d {
                    (0..d).collect()
                } else {
                    index::sample(&mut rng, d, n_tree_features).into_vec()
                };
                grow_tree(&data, d, &mut rows, &features, max_depth, &mut rng)
            })
            .collect::<Vec<Tree>>();
        let scoring = trees.iter().map(ScoringTree::new).collect();
        Ok(IsolationForest {
            params: self.clone(),
            n_features: d,
            subsample_size,
            trees,
            scoring,
        })
    }
}

/// One isolation tree as parallel arrays. Node 0 is the root; `left[i] == 0` marks a leaf
/// (the root is nobody's child), whose `value` is its path length depth + c(size). Otherwise
/// `value` is the threshold: rows with `x[feature] <= value` go to `left[i]`, others to
/// `left[i] + 1`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Tree {
    feature: Vec<u32>,
    left: Vec<u32>,
    value: Vec<f64>,
}

impl Tree {
    /// Structural checks for trees read from a file: children after their parent (so every
    /// walk ends), inside the arrays, features inside the model's width, finite values.
    fn validate(&self, n_features: usize) -> Result<(), String> {
        let len = self.left.len();
        if len == 0 || self.feature.len() != len || self.value.len() != len {
            return Err(format!(
                "tree arrays must be non-empty and of equal length (feature {}, left {}, value {})",
                self.feature.len(),
                len,
                self.value.len()
            ));
        }
        for i in 0..len {
            let left = self.left[i] as usize;
            if !self.value[i].is_finite() {
                return Err(format!("node {i} has non-finite value {}", self.value[i]));
            }
            if left != 0 && (left <= i || left + 1 >= len || self.feature[i] as usize >= n_features)
            {
                return Err(format!(
                    "node {i} points to children {left}, {} and feature {}: expected children after it within {len} nodes and a feature below {n_features}",
                    left + 1,
                    self.feature[i]
                ));
            }
        }
        Ok(())
    }
}

/// A tree laid out for scoring: one 16-byte record per node, and leaves that point to themselves
/// with threshold +∞ (finite inputs always stay put), so a row descends with a fixed number of
/// branch-free steps equal to the tree's depth.
#[derive(Clone, Debug)]
struct ScoringTree {
    nodes: Vec<ScoringNode>,
    /// Path length of each node when it is a leaf (0 for split nodes, never read).
    path: Vec<f64>,
    depth: usize,
}

#[derive(Clone, Copy, Debug)]
struct ScoringNode {
    threshold: f64,
    feature: u32,
    left: u32,
}

impl ScoringTree {
    /// Expects a validated tree (children after their parent).
    fn new(tree: &Tree) -> Self {
        let len = tree.left.len();
        let mut nodes = Vec::with_capacity(len);
        let mut path = vec![0.0; len];
        let mut node_depth = vec![0usize; len];
        for i in 0..len {
            let left = tree.left[i];
            if left == 0 {
                nodes.push(ScoringNode {
                    threshold: f64::INFINITY,
                    feature: 0,
                    left: i as u32,
                });
                path[i] = tree.value[i];
            } else {
                nodes.push(ScoringNode {
                    threshold: tree.value[i],
                    feature: tree.feature[i],
                    left,
                });
                node_depth[left as usize] = node_depth[i] + 1;
                node_depth[left as usize + 1] = node_depth[i] + 1;
            }
        }
        let depth = node_depth.into_iter().max().unwrap_or(0);
        ScoringTree { nodes, path, depth }
    }

    /// Adds this tree's path length for each row of `rows` (row-major, d columns) to `sums`,
    /// walking all rows one level at a time.
    fn add_path_lengths(&self, rows: &[f64], d: usize, position: &mut [u32], sums: &mut [f64]) {
        position.fill(0);
        for _ in 0..self.depth {
            for (pos, row) in position.iter_mut().zip(rows.chunks_exact(d)) {
                let node = self.nodes[*pos as usize];
                *pos = node.left + u32::from(row[node.feature as usize] > node.threshold);
            }
        }
        for (sum, &pos) in sums.iter_mut().zip(position.iter()) {
            *sum += self.path[pos as usize];
        }
    }
}

/// Grows one tree over `rows` (indices into the row-major `data`), partitioning them in place.
fn grow_tree(
    data: &[f64],
    d: usize,
    rows: &mut [usize],
    features: &[usize],
    max_depth: usize,
    rng: &mut ChaCha8Rng,
) -> Tree {
    let mut tree = Tree {
        feature: vec![0],
        left: vec![0],
        value: vec![0.0],
    };
    // (node, start, end, depth) still to be split or closed as a leaf.
    let mut pending = vec![(0usize, 0usize, rows.len(), 0usize)];
    let mut candidates = Vec::with_capacity(features.len());
    while let Some((node, start, end, depth)) = pending.pop() {
        let size = end - start;
        let split = if size >= 2 && depth < max_depth {
            draw_split(data, d, &rows[start..end], features, &mut candidates, rng)
        } else {
            None
        };
        let Some((feature, threshold)) = split else {
            tree.value[node] = depth as f64 + average_path_length(size);
            continue;
        };
        // Partition rows[start..end] into `<= threshold` then `> threshold`.
        let node_rows = &mut rows[start..end];
        let mut boundary = 0;
        for k in 0..node_rows.len() {
            if data[node_rows[k] * d + feature] <= threshold {
                node_rows.swap(boundary, k);
                boundary += 1;
            }
        }
        let left = tree.left.len();
        tree.feature[node] = feature as u32;
        tree.left[node] = left as u32;
        tree.value[node] = threshold;
        tree.feature.extend([0, 0]);
        tree.left.extend([0, 0]);
        tree.value.extend([0.0, 0.0]);
        pending.push((left + 1, start + boundary, end, depth + 1));
        pending.push((left, start, start + boundary, depth + 1));
    }
    tree
}

/// A uniformly drawn non-constant feature and a uniform threshold in [min, max) that leaves rows
/// on both sides; None when every allowed feature is constant on these rows.
fn draw_split(
    data: &[f64],
    d: usize,
    rows: &[usize],
    features: &[usize],
    candidates: &mut Vec<usize>,
    rng: &mut ChaCha8Rng,
) -> Option<(usize, f64)> {
    candidates.clear();
    candidates.extend_from_slice(features);
    while !candidates.is_empty() {
        let pick = rng.random_range(0..candidates.len());
        let feature = candidates[pick];
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for &r in rows {
            let v = data[r * d + feature];
            min = min.min(v);
            max = max.max(v);
        }
        if max > min {
            let mut threshold = min + (max - min) * rng.random::<f64>();
            // Rounding can land on max, which would leave the right side empty.
            if threshold >= max {
                threshold = min;
            }
            return Some((feature, threshold));
        }
        candidates.swap_remove(pick);
    }
    None
}

/// A fitted Isolation Forest.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "IsolationForestFile")]
pub struct IsolationForest {
    params: IsolationForestParams,
    n_features: usize,
    subsample_size: usize,
    trees: Vec<Tree>,
    /// Derived from `trees`; rebuilt when a model is read.
    #[serde(skip_serializing)]
    scoring: Vec<ScoringTree>,
}

/// The serialized form, checked before it becomes a model.
#[derive(Deserialize)]
struct IsolationForestFile {
    params: IsolationForestParams,
    n_features: usize,
    subsample_size: usize,
    trees: Vec<Tree>,
}

impl TryFrom<IsolationForestFile> for IsolationForest {
    type Error = String;
    fn try_from(file: IsolationForestFile) -> Result<Self, String> {
        file.params.check().map_err(|e| e.to_string())?;
        if file.n_features == 0 || file.subsample_size == 0 {
            return Err(format!(
                "n_features = {} and subsample_size = {} must be positive",
                file.n_features, file.subsample_size
            ));
        }
        if file.trees.len() != file.params.n_estimators {
            return Err(format!(
                "{} trees stored but n_estimators = {}",
                file.trees.len(),
                file.params.n_estimators
            ));
        }
        for (t, tree) in file.trees.iter().enumerate() {
            tree.validate(file.n_features)
                .map_err(|e| format!("tree {t}: {e}"))?;
        }
        let scoring = file.trees.iter().map(ScoringTree::new).collect();
        Ok(IsolationForest {
            params: file.params,
            n_features: file.n_features,
            subsample_size: file.subsample_size,
            trees: file.trees,
            scoring,
        })
    }
}

/// Rows scored together: each tree is walked for a whole block while it is in cache.
const SCORE_BLOCK: usize = 256;

impl IsolationForest {
    /// Default hyper-parameters, to adjust with the builder methods.
    pub fn params() -> IsolationForestParams {
        IsolationForestParams::default()
    }

    /// Anomaly scores 2^(−E[h(x)] / c(ψ)) in (0, 1]; higher = more anomalous (scikit-learn's
    /// `-score_samples`). With ψ = 1 every score is 1, as in scikit-learn.
    pub fn score(&self, x: ArrayView2<f64>) -> Result<Array1<f64>, ShallowError> {
        check_input(&x, "data to score", self.n_features)?;
        let d = self.n_features;
        let data = row_major(&x);
        let mut total_path = vec![0.0; x.nrows()];
        total_path
            .par_chunks_mut(SCORE_BLOCK)
            .enumerate()
            .for_each(|(block, sums)| {
                let first = block * SCORE_BLOCK;
                let rows = &data[first * d..(first + sums.len()) * d];
                let mut position = vec![0u32; sums.len()];
                // Trees in a fixed order per row, so sums do not depend on thread scheduling.
                for tree in &self.scoring {
                    tree.add_path_lengths(rows, d, &mut position, sums);
                }
            });
        let denominator = self.trees.len() as f64 * average_path_length(self.subsample_size);
        Ok(total_path
            .into_iter()
            .map(|h| {
                if denominator == 0.0 {
                    1.0
                } else {
                    2f64.powf(-h / denominator)
                }
            })
            .collect())
    }

    pub fn hyper_params(&self) -> &IsolationForestParams {
        &self.params
    }
    pub fn n_features(&self) -> usize {
        self.n_features
    }
    /// ψ, the rows each tree was grown on.
    pub fn subsample_size(&self) -> usize {
        self.subsample_size
    }
    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }

    pub fn to_json(&self) -> String {
        crate::to_json(self)
    }
    /// Reads a model written by `to_json`, rejecting inconsistent trees.
    pub fn from_json(text: &str) -> Result<Self, ShallowError> {
        crate::from_json(text)
    }
}
