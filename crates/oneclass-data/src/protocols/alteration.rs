//! The image-alteration setup of seed 003 (section V-A): all classes are normal. A seeded
//! share of the training split (20 %, stratified by class, as the paper's CIFAR-10 setup) is
//! set aside for validation; training uses the remaining natural images; validation and test
//! (the official test split) each hold their natural images followed by one altered
//! counterpart per natural image (y = 1), so normal and anomalous counts are equal.
//! For CIFAR-10 this gives 40,000 training, 20,000 validation and 20,000 test images.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::{rng_for, stratified_split, Features, ProtocolOutput, Purpose, SizeSpec, SplitSet};
use crate::alteration::Alteration;
use crate::error::DataError;
use crate::images::ImageSet;

#[derive(Clone, Debug, PartialEq)]
pub struct AlterationParams {
    pub alteration: Alteration,
    pub validation: SizeSpec,
    pub seed: u64,
}

/// Generator of the altered counterpart of image `index` of the official split `split_id`.
fn image_rng(seed: u64, split_id: u64, index: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((Purpose::Alteration as u64) << 40) | (split_id << 32) | index as u64);
    rng
}

fn natural_and_altered(name: &str, set: &ImageSet, split_id: u64, indices: &[usize], p: &AlterationParams) -> Result<SplitSet, DataError> {
    let mut pixels = Features::from_images(set, indices);
    let Features::Images { pixels: ref mut data, ref mut shape } = pixels else { unreachable!() };
    for &i in indices {
        let altered = p.alteration.apply(set.image(i), set.c, set.h, set.w, &mut image_rng(p.seed, split_id, i))?;
        data.extend_from_slice(&altered);
    }
    shape[0] = 2 * indices.len();
    let class: Vec<i64> = indices.iter().map(|&i| set.labels[i] as i64).collect();
    let source: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
    let mut y = vec![0u8; indices.len()];
    y.resize(2 * indices.len(), 1);
    Ok(SplitSet {
        name: name.into(),
        x: pixels,
        y,
        class: [class.clone(), class].concat(),
        semi_target: None,
        extra: vec![("source".into(), [source.clone(), source].concat())],
    })
}

pub fn build(dataset: &str, train: &ImageSet, test: &ImageSet, p: &AlterationParams) -> Result<ProtocolOutput, DataError> {
    p.alteration.check(train.h, train.w)?;
    let all: Vec<usize> = (0..train.n).collect();
    let labels: Vec<i64> = train.labels.iter().map(|&l| l as i64).collect();
    let n_val = p.validation.resolve(train.n, "validation size")?;
    let (val, fit) = stratified_split(&all, &labels, n_val, &mut rng_for(p.seed, Purpose::Validation));
    let train_split = SplitSet {
        name: "train".into(),
        x: Features::from_images(train, &fit),
        y: vec![0; fit.len()],
        class: fit.iter().map(|&i| train.labels[i] as i64).collect(),
        semi_target: None,
        extra: vec![("source".into(), fit.iter().map(|&i| i as i64).collect())],
    };
    let mut splits = vec![train_split];
    if !val.is_empty() {
        splits.push(natural_and_altered("val", train, 0, &val, p)?);
    }
    splits.push(natural_and_altered("test", test, 1, &(0..test.n).collect::<Vec<_>>(), p)?);
    Ok(ProtocolOutput {
        protocol: "alteration".into(),
        seed: p.seed,
        parameters: json!({
            "dataset": dataset,
            "alteration": p.alteration.name(),
            "validation": p.validation.to_json(),
        }),
        class_names: train.class_names.clone(),
        value_names: Default::default(),
        splits,
        notes: vec![
            "val and test: the natural images first (y = 0), then their altered counterparts in the \
             same order (y = 1); 'source' is the image index within its official split"
                .into(),
        ],
    })
}
