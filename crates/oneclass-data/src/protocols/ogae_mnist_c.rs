//! The OgAE domain-shift task on MNIST-C (seed 001, section IV and appendix S-D).
//!
//! - train / early_stop: the MNIST *train* images of the normal digit under the training
//!   corruptions (identity, motion_blur, translate): 6131 × 3 = 18,393 images for digit 3,
//!   split 90 / 10 **per source image** (all corrupted versions of one MNIST image fall on
//!   the same side, so early stopping never sees a near-copy of a training image); the
//!   source images for early stopping are a seeded random 10 % (rounded) of the sources.
//! - val: the MNIST *test* images of both digits under the test corruptions (stripe,
//!   canny_edges, brightness): (1010 + 974) × 3 = 5952 for 3-vs-8.
//! - test: the MNIST *train* images of both digits under the test corruptions:
//!   (6131 + 5851) × 3 = 35,946 for 3-vs-8.
//!
//! Each split is one block per corruption, in the order given, images in MNIST order.

use serde_json::json;

use super::{invalid, rng_for, shuffled, Features, ProtocolOutput, Purpose, SplitSet};
use crate::error::DataError;
use crate::images::ImageSet;
use crate::mnist_c::{corrupt_images, Corruption, SourceSplit, PIXELS, SIDE};

/// Settings of the task; [`OgaeParams::new`] gives the paper's.
#[derive(Clone, Debug, PartialEq)]
pub struct OgaeParams {
    pub normal_digit: u16,
    pub anomaly_digit: u16,
    pub train_corruptions: Vec<Corruption>,
    pub test_corruptions: Vec<Corruption>,
    /// Share of the normal training sources held out for early stopping.
    pub early_stop_fraction: f64,
    pub seed: u64,
}

impl OgaeParams {
    /// The checks `build` makes on the parameters alone, callable before any data is loaded.
    pub fn check(&self) -> Result<(), DataError> {
        if self.normal_digit == self.anomaly_digit || self.normal_digit > 9 || self.anomaly_digit > 9 {
            return Err(invalid("pair", "expected two different digits 0-9, normal first"));
        }
        if !(0.0..1.0).contains(&self.early_stop_fraction) {
            return Err(invalid("early-stop fraction", "expected a value in [0, 1)"));
        }
        if self.train_corruptions.is_empty() || self.test_corruptions.is_empty() {
            return Err(invalid("corruptions", "the training and test corruption lists must not be empty"));
        }
        Ok(())
    }

    /// The paper's task for the pair (normal, anomaly), e.g. (3, 8) or (3, 4).
    pub fn new(normal_digit: u16, anomaly_digit: u16, seed: u64) -> OgaeParams {
        OgaeParams {
            normal_digit,
            anomaly_digit,
            train_corruptions: vec![Corruption::Identity, Corruption::MotionBlur, Corruption::Translate],
            test_corruptions: vec![Corruption::Stripe, Corruption::CannyEdges, Corruption::Brightness],
            early_stop_fraction: 0.1,
            seed,
        }
    }
}

fn check_mnist(set: &ImageSet, which: &str) -> Result<(), DataError> {
    if (set.c, set.h, set.w) != (1, SIDE, SIDE) {
        return Err(invalid(
            which,
            format!("MNIST-C needs 1x28x28 images, found {}x{}x{}", set.c, set.h, set.w),
        ));
    }
    Ok(())
}

/// Corrupts `sources` (indices into `set`) under each corruption, block after block.
fn corrupted_split(
    name: &str,
    set: &ImageSet,
    split: SourceSplit,
    sources: &[usize],
    corruptions: &[Corruption],
    p: &OgaeParams,
    progress: &(dyn Fn(usize) + Sync),
) -> SplitSet {
    let mut pixels = Vec::with_capacity(sources.len() * corruptions.len() * PIXELS);
    let (mut y, mut class, mut corruption, mut source) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for &c in corruptions {
        pixels.extend(corrupt_images(&set.pixels, sources, c, split, p.seed, progress));
        for &s in sources {
            let label = set.labels[s];
            y.push(u8::from(label != p.normal_digit));
            class.push(label as i64);
            corruption.push(c as i64);
            source.push(s as i64);
        }
    }
    SplitSet {
        name: name.into(),
        x: Features::Images { pixels, shape: [y.len(), 1, SIDE, SIDE] },
        y,
        class,
        semi_target: None,
        extra: vec![("corruption".into(), corruption), ("source".into(), source)],
    }
}

/// Number of images the task will corrupt (for progress bars).
pub fn total_images(train: &ImageSet, test: &ImageSet, p: &OgaeParams) -> usize {
    let count = |s: &ImageSet, d: u16| s.labels.iter().filter(|&&l| l == d).count();
    let normals = count(train, p.normal_digit);
    normals * p.train_corruptions.len()
        + (count(test, p.normal_digit) + count(test, p.anomaly_digit)) * p.test_corruptions.len()
        + (normals + count(train, p.anomaly_digit)) * p.test_corruptions.len()
}

/// Builds the task from the MNIST train and test sets.
pub fn build(
    train: &ImageSet,
    test: &ImageSet,
    p: &OgaeParams,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<ProtocolOutput, DataError> {
    check_mnist(train, "MNIST train set")?;
    check_mnist(test, "MNIST test set")?;
    p.check()?;
    let pair = |set: &ImageSet| -> Vec<usize> {
        (0..set.n)
            .filter(|&i| set.labels[i] == p.normal_digit || set.labels[i] == p.anomaly_digit)
            .collect()
    };
    let normal_sources = train.indices_of_class(p.normal_digit);
    let n_early = (p.early_stop_fraction * normal_sources.len() as f64).round() as usize;
    let mut rng = rng_for(p.seed, Purpose::EarlyStop);
    let mut early: Vec<usize> = shuffled(&normal_sources, &mut rng)[..n_early].to_vec();
    early.sort_unstable();
    let fit: Vec<usize> = normal_sources.iter().copied().filter(|i| early.binary_search(i).is_err()).collect();

    let tr = SourceSplit::Train;
    let splits = vec![
        corrupted_split("train", train, tr, &fit, &p.train_corruptions, p, progress),
        corrupted_split("early_stop", train, tr, &early, &p.train_corruptions, p, progress),
        corrupted_split("val", test, SourceSplit::Test, &pair(test), &p.test_corruptions, p, progress),
        corrupted_split("test", train, tr, &pair(train), &p.test_corruptions, p, progress),
    ];
    let names = |v: &[Corruption]| v.iter().map(|c| c.name()).collect::<Vec<_>>();
    Ok(ProtocolOutput {
        protocol: "ogae-mnist-c".into(),
        seed: p.seed,
        parameters: json!({
            "dataset": "mnist",
            "pair": [p.normal_digit, p.anomaly_digit],
            "train_corruptions": names(&p.train_corruptions),
            "test_corruptions": names(&p.test_corruptions),
            "early_stop_fraction": p.early_stop_fraction,
        }),
        class_names: train.class_names.clone(),
        value_names: [("corruption".to_string(), Corruption::ALL.iter().map(|c| c.name().to_string()).collect())]
            .into_iter()
            .collect(),
        splits,
        notes: vec![
            "train and early_stop come from the MNIST train split (normal digit only); val from the \
             MNIST test split; test from the MNIST train split (seed 001, S-D)"
                .into(),
            "early_stop holds a seeded random share of the normal source images, with all of their \
             corrupted versions; 'source' is the image index within its MNIST split"
                .into(),
            "random corruptions draw from ChaCha8(seed) on a stream made of (corruption, MNIST split, \
             image index), so an image's corruption does not depend on which split it lands in"
                .into(),
        ],
    })
}
