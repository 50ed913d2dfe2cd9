//! Splits of tabular sets (ODDS, ADBench) used by the seeds.
//!
//! - `deep-sad` (seed 004's reference): 60 / 40 split stratified by label (test = ⌈0.4 n⌉).
//!   The training set is then drawn from the 60 % with the semi-supervised ratios, exactly as
//!   for images with one anomaly class (see [`super::deep_sad`]); with all ratios 0 it is the
//!   normals of the 60 % (the reference drops the other training anomalies too).
//! - `toll` (seed 002, Arrhythmia): test = ⌈0.2 n⌉ and val = round(0.3 n), both stratified by
//!   label; training = the normals that remain (remaining anomalies are unused).
//!
//! Features are written raw: scaling (e.g. standard then min-max, fitted on train) belongs
//! to the model, see [`crate::preprocess`].

use ndarray::Axis;
use serde_json::json;

use super::deep_sad::{draw_semi_supervised, solve_counts};
use super::{ceil_fraction, invalid, rng_for, stratified_split, Features, ProtocolOutput, Purpose, SplitSet};
use crate::error::DataError;
use crate::images::named::TabularSet;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TabularSplit {
    DeepSad,
    Toll,
}

impl TabularSplit {
    pub fn parse(s: &str) -> Result<TabularSplit, DataError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "deep-sad" | "deepsad" | "deep_sad" => Ok(TabularSplit::DeepSad),
            "toll" => Ok(TabularSplit::Toll),
            _ => Err(invalid("split", format!("unknown tabular split {s:?}; expected deep-sad or toll"))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TabularSplit::DeepSad => "deep-sad",
            TabularSplit::Toll => "toll",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TabularParams {
    pub split: TabularSplit,
    /// Semi-supervised ratios (deep-sad split only): known normals, known anomalies, pollution.
    pub ratio_known_normal: f64,
    pub ratio_known_anomaly: f64,
    pub ratio_pollution: f64,
    pub seed: u64,
}

fn rows(name: &str, set: &TabularSet, indices: &[usize], semi: Option<Vec<i8>>) -> SplitSet {
    SplitSet {
        name: name.into(),
        x: Features::Table(set.x.select(Axis(0), indices)),
        y: indices.iter().map(|&i| set.y[i]).collect(),
        class: indices.iter().map(|&i| set.y[i] as i64).collect(),
        semi_target: semi,
        extra: vec![("source".into(), indices.iter().map(|&i| i as i64).collect())],
    }
}

pub fn build(dataset: &str, set: &TabularSet, p: &TabularParams) -> Result<ProtocolOutput, DataError> {
    let n = set.y.len();
    if n == 0 {
        return Err(invalid("dataset", format!("{dataset} has no rows")));
    }
    let all: Vec<usize> = (0..n).collect();
    let labels: Vec<i64> = set.y.iter().map(|&v| v as i64).collect();
    let mut rng = rng_for(p.seed, Purpose::TestSplit);
    let mut parameters = json!({ "dataset": dataset, "split": p.split.name() });
    let splits = match p.split {
        TabularSplit::DeepSad => {
            let (test, rest) = stratified_split(&all, &labels, ceil_fraction(n, 0.4), &mut rng);
            let rest_labels: Vec<u16> = rest.iter().map(|&i| set.y[i] as u16).collect();
            let n_normal = rest_labels.iter().filter(|&&l| l == 0).count();
            let counts = solve_counts(n_normal, p.ratio_known_normal, p.ratio_known_anomaly, p.ratio_pollution)?;
            let drawn = draw_semi_supervised(&rest_labels, &[0], &[1], &[1], counts, p.seed)?;
            let train: Vec<usize> = drawn.iter().map(|&(k, _)| rest[k]).collect();
            let semi: Vec<i8> = drawn.iter().map(|&(_, t)| t).collect();
            parameters["test_fraction"] = json!(0.4);
            parameters["ratio_known_normal"] = json!(p.ratio_known_normal);
            parameters["ratio_known_anomaly"] = json!(p.ratio_known_anomaly);
            parameters["ratio_pollution"] = json!(p.ratio_pollution);
            vec![rows("train", set, &train, Some(semi)), rows("test", set, &test, None)]
        }
        TabularSplit::Toll => {
            if p.ratio_known_anomaly > 0.0 || p.ratio_pollution > 0.0 || p.ratio_known_normal > 0.0 {
                return Err(invalid("ratios", "the toll split has no semi-supervised ratios"));
            }
            let (test, rest) = stratified_split(&all, &labels, ceil_fraction(n, 0.2), &mut rng);
            let rest_labels: Vec<i64> = rest.iter().map(|&i| labels[i]).collect();
            let n_val = (0.3 * n as f64).round() as usize;
            let (val, remaining) = stratified_split(&rest, &rest_labels, n_val, &mut rng_for(p.seed, Purpose::Validation));
            let train: Vec<usize> = remaining.into_iter().filter(|&i| set.y[i] == 0).collect();
            parameters["test_fraction"] = json!(0.2);
            parameters["val_fraction"] = json!(0.3);
            vec![rows("train", set, &train, None), rows("val", set, &val, None), rows("test", set, &test, None)]
        }
    };
    Ok(ProtocolOutput {
        protocol: "tabular".into(),
        seed: p.seed,
        parameters,
        class_names: vec!["normal".into(), "anomaly".into()],
        value_names: Default::default(),
        splits,
        notes: vec!["'source' is the row index in the dataset file; X is unscaled".into()],
    })
}
