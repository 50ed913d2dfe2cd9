//! Deep SAD semi-supervised scenarios (seed 004, section 3.2).
//!
//! The training set mixes labeled normals (target +1), unlabeled normals (0), unlabeled
//! anomalies that pollute the unlabeled part (0) and labeled anomalies (−1). From the number
//! N of normal training samples and the ratios
//! - γ_n = known normals / all training samples,
//! - γ_l = known anomalies / all training samples,
//! - γ_p = unlabeled anomalies / all unlabeled samples,
//!
//! the counts solve kn + un = N, kn = γ_n T, ko = γ_l T, uo = γ_p (un + uo) with
//! T = kn + un + uo + ko, i.e. T = N / ((1 − γ_p)(1 − γ_l) + γ_n γ_p); each count is then
//! rounded down (as the reference's `int()`), after a 1e-9 tolerance so exact integers stay.
//! Known anomalies come from `n_known_classes` anomaly classes drawn with the seed; the
//! pollution comes from all anomaly classes **excluding the images already drawn as known
//! anomalies** (the reference can draw the same image twice).

use serde_json::json;

use super::one_vs_rest::labelled;
use super::{invalid, rng_for, shuffled, Features, ProtocolOutput, Purpose, SplitSet};
use crate::error::DataError;
use crate::images::ImageSet;

/// Numbers of training samples of each kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemiSupervisedCounts {
    pub known_normal: usize,
    pub unlabeled_normal: usize,
    pub unlabeled_anomaly: usize,
    pub known_anomaly: usize,
}

/// Solves the counts from `n_normal` and the three ratios (see the module docs).
pub fn solve_counts(
    n_normal: usize,
    ratio_known_normal: f64,
    ratio_known_anomaly: f64,
    ratio_pollution: f64,
) -> Result<SemiSupervisedCounts, DataError> {
    for (name, r) in [
        ("ratio of known normals", ratio_known_normal),
        ("ratio of known anomalies", ratio_known_anomaly),
        ("pollution ratio", ratio_pollution),
    ] {
        if !(0.0..1.0).contains(&r) {
            return Err(invalid(name, format!("{r} is outside [0, 1)")));
        }
    }
    if ratio_known_normal + ratio_known_anomaly >= 1.0 {
        return Err(invalid("ratios", "known normals and known anomalies cannot make up the whole training set"));
    }
    let (a, b, p) = (ratio_known_normal, ratio_known_anomaly, ratio_pollution);
    let total = n_normal as f64 / ((1.0 - p) * (1.0 - b) + a * p);
    let known_normal = a * total;
    let unlabeled_normal = n_normal as f64 - known_normal;
    let down = |v: f64| (v + 1e-9).floor().max(0.0) as usize;
    Ok(SemiSupervisedCounts {
        known_normal: down(known_normal),
        unlabeled_normal: down(unlabeled_normal),
        unlabeled_anomaly: down(p / (1.0 - p) * unlabeled_normal),
        known_anomaly: down(b * total),
    })
}

/// Draws the semi-supervised training set: returns (index, target) pairs in index order.
/// `labels[i]` is the class of sample i; `known_classes` ⊆ `anomaly_classes`.
pub fn draw_semi_supervised(
    labels: &[u16],
    normal_classes: &[u16],
    anomaly_classes: &[u16],
    known_classes: &[u16],
    counts: SemiSupervisedCounts,
    seed: u64,
) -> Result<Vec<(usize, i8)>, DataError> {
    let of = |classes: &[u16]| -> Vec<usize> { (0..labels.len()).filter(|&i| classes.contains(&labels[i])).collect() };
    let normals = shuffled(&of(normal_classes), &mut rng_for(seed, Purpose::Normals));
    let candidates = shuffled(&of(known_classes), &mut rng_for(seed, Purpose::KnownAnomalies));
    if counts.known_anomaly > candidates.len() {
        return Err(invalid(
            "ratio of known anomalies",
            format!("needs {} known anomalies but the known classes have {}", counts.known_anomaly, candidates.len()),
        ));
    }
    let known: Vec<usize> = candidates[..counts.known_anomaly].to_vec();
    let pool: Vec<usize> = of(anomaly_classes).into_iter().filter(|i| !known.contains(i)).collect();
    let pool = shuffled(&pool, &mut rng_for(seed, Purpose::Pollution));
    if counts.unlabeled_anomaly > pool.len() {
        return Err(invalid(
            "pollution ratio",
            format!("needs {} unlabeled anomalies but only {} remain", counts.unlabeled_anomaly, pool.len()),
        ));
    }
    let n_normal = counts.known_normal + counts.unlabeled_normal;
    if n_normal > normals.len() {
        return Err(invalid("normal class", format!("needs {n_normal} normals, found {}", normals.len())));
    }
    let mut out: Vec<(usize, i8)> = Vec::new();
    out.extend(normals[..counts.known_normal].iter().map(|&i| (i, 1)));
    out.extend(normals[counts.known_normal..n_normal].iter().map(|&i| (i, 0)));
    out.extend(pool[..counts.unlabeled_anomaly].iter().map(|&i| (i, 0)));
    out.extend(known.iter().map(|&i| (i, -1)));
    out.sort_unstable();
    Ok(out)
}

#[derive(Clone, Debug, PartialEq)]
pub struct DeepSadParams {
    pub normal_class: u16,
    pub ratio_known_normal: f64,
    /// γ_l.
    pub ratio_known_anomaly: f64,
    /// γ_p.
    pub ratio_pollution: f64,
    /// Number of anomaly classes the labeled anomalies come from (0 when γ_l = 0).
    pub n_known_classes: usize,
    pub seed: u64,
}

pub fn build(dataset: &str, train: &ImageSet, test: &ImageSet, p: &DeepSadParams) -> Result<ProtocolOutput, DataError> {
    let n_classes = train.class_names.len() as u16;
    if p.normal_class >= n_classes {
        return Err(invalid("normal class", format!("{} is not a class of {dataset}", p.normal_class)));
    }
    let anomaly_classes: Vec<u16> = (0..n_classes).filter(|&c| c != p.normal_class).collect();
    if p.n_known_classes > anomaly_classes.len() {
        return Err(invalid("known classes", format!("at most {} anomaly classes exist", anomaly_classes.len())));
    }
    if p.ratio_known_anomaly > 0.0 && p.n_known_classes == 0 {
        return Err(invalid("known classes", "labeled anomalies need at least one known anomaly class"));
    }
    let mut known_classes: Vec<u16> =
        shuffled(&anomaly_classes.iter().map(|&c| c as usize).collect::<Vec<_>>(), &mut rng_for(p.seed, Purpose::KnownClasses))
            [..p.n_known_classes]
            .iter()
            .map(|&c| c as u16)
            .collect();
    known_classes.sort_unstable();
    let n_normal = train.indices_of_class(p.normal_class).len();
    let counts = solve_counts(n_normal, p.ratio_known_normal, p.ratio_known_anomaly, p.ratio_pollution)?;
    let drawn = draw_semi_supervised(&train.labels, &[p.normal_class], &anomaly_classes, &known_classes, counts, p.seed)?;
    let indices: Vec<usize> = drawn.iter().map(|&(i, _)| i).collect();
    let train_split = SplitSet {
        name: "train".into(),
        x: Features::from_images(train, &indices),
        y: indices.iter().map(|&i| u8::from(train.labels[i] != p.normal_class)).collect(),
        class: indices.iter().map(|&i| train.labels[i] as i64).collect(),
        semi_target: Some(drawn.iter().map(|&(_, t)| t).collect()),
        extra: vec![("source".into(), indices.iter().map(|&i| i as i64).collect())],
    };
    let test_split = labelled("test", test, &(0..test.n).collect::<Vec<_>>(), &[p.normal_class]);
    Ok(ProtocolOutput {
        protocol: "deep-sad".into(),
        seed: p.seed,
        parameters: json!({
            "dataset": dataset,
            "normal_class": p.normal_class,
            "ratio_known_normal": p.ratio_known_normal,
            "ratio_known_anomaly": p.ratio_known_anomaly,
            "ratio_pollution": p.ratio_pollution,
            "n_known_classes": p.n_known_classes,
            "known_classes": known_classes,
            "counts": {
                "known_normal": counts.known_normal,
                "unlabeled_normal": counts.unlabeled_normal,
                "unlabeled_anomaly": counts.unlabeled_anomaly,
                "known_anomaly": counts.known_anomaly,
            },
        }),
        class_names: train.class_names.clone(),
        value_names: Default::default(),
        splits: vec![train_split, test_split],
        notes: vec![
            "train: official training split, semi_target +1 labeled normal, 0 unlabeled (normal or \
             pollution), -1 labeled anomaly; y is the true anomaly label; test: the official test split"
                .into(),
            "known and unlabeled anomalies never share an image".into(),
        ],
    })
}
