//! One-vs-rest on an image dataset (seeds 002, 003, 004): class k is normal, every other class
//! anomalous. Training uses the normal-class images of the official training split; the
//! validation set is carved out of the training split first, stratified by class, and keeps
//! images of every class with their anomaly labels (seed 002 sets aside 10,000 training
//! images; use `SizeSpec::Count(0)` for none, as Deep SVDD). The test set is the official test
//! split. For CIFAR-100 use the 20 superclasses (`cifar100-coarse`), as seed 002.

use serde_json::json;

use super::{invalid, rng_for, stratified_split, Features, ProtocolOutput, Purpose, SizeSpec, SplitSet};
use crate::error::DataError;
use crate::images::ImageSet;

#[derive(Clone, Debug, PartialEq)]
pub struct OneVsRestParams {
    pub normal_class: u16,
    pub validation: SizeSpec,
    pub seed: u64,
}

/// A split of `set` restricted to `indices`, labelled against `normal`.
pub(crate) fn labelled(name: &str, set: &ImageSet, indices: &[usize], normal: &[u16]) -> SplitSet {
    SplitSet {
        name: name.into(),
        x: Features::from_images(set, indices),
        y: indices.iter().map(|&i| u8::from(!normal.contains(&set.labels[i]))).collect(),
        class: indices.iter().map(|&i| set.labels[i] as i64).collect(),
        semi_target: None,
        extra: vec![("source".into(), indices.iter().map(|&i| i as i64).collect())],
    }
}

pub fn build(dataset: &str, train: &ImageSet, test: &ImageSet, p: &OneVsRestParams) -> Result<ProtocolOutput, DataError> {
    if p.normal_class as usize >= train.class_names.len() {
        return Err(invalid("normal class", format!("{} is not a class of {dataset}", p.normal_class)));
    }
    let all: Vec<usize> = (0..train.n).collect();
    let labels: Vec<i64> = train.labels.iter().map(|&l| l as i64).collect();
    let n_val = p.validation.resolve(train.n, "validation size")?;
    let mut rng = rng_for(p.seed, Purpose::Validation);
    let (val, rest) = stratified_split(&all, &labels, n_val, &mut rng);
    let fit: Vec<usize> = rest.into_iter().filter(|&i| train.labels[i] == p.normal_class).collect();
    if fit.is_empty() {
        return Err(invalid("normal class", "no training images of the normal class remain"));
    }
    let normal = [p.normal_class];
    let mut splits = vec![labelled("train", train, &fit, &normal)];
    if !val.is_empty() {
        splits.push(labelled("val", train, &val, &normal));
    }
    splits.push(labelled("test", test, &(0..test.n).collect::<Vec<_>>(), &normal));
    Ok(ProtocolOutput {
        protocol: "one-vs-rest".into(),
        seed: p.seed,
        parameters: json!({
            "dataset": dataset,
            "normal_class": p.normal_class,
            "normal_class_name": train.class_names[p.normal_class as usize],
            "validation": p.validation.to_json(),
        }),
        class_names: train.class_names.clone(),
        value_names: Default::default(),
        splits,
        notes: vec![
            "val is drawn from the official training split, stratified by class, before the training \
             set is taken from the remaining normal-class images; test is the official test split; \
             'source' is the image index within its official split"
                .into(),
        ],
    })
}
