//! CIFAR binary batches. CIFAR-10 records are 1 label byte + 3072 pixel bytes (1024 red,
//! 1024 green, 1024 blue, each 32×32 row-major); CIFAR-100 records have a coarse (superclass)
//! and a fine label byte before the pixels. Files may be gzipped.

use std::path::Path;

use super::{read_maybe_gz, ImageSet};
use crate::error::DataError;

const SIDE: usize = 32;
const PIXELS: usize = 3 * SIDE * SIDE;

pub const CIFAR10_CLASSES: [&str; 10] = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
];

/// The 20 CIFAR-100 superclasses (coarse labels), used by seed 002.
pub const CIFAR100_SUPERCLASSES: [&str; 20] = [
    "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
    "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
    "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people",
    "reptiles", "small_mammals", "trees", "vehicles_1", "vehicles_2",
];

/// Which CIFAR-100 label to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cifar100Labels {
    /// 100 classes.
    Fine,
    /// 20 superclasses.
    Coarse,
}

fn read_records(
    path: &Path,
    label_bytes: usize,
    label_index: usize,
    n_classes: usize,
    class_names: Vec<String>,
) -> Result<ImageSet, DataError> {
    let bytes = read_maybe_gz(path)?;
    let record = label_bytes + PIXELS;
    if bytes.is_empty() || bytes.len() % record != 0 {
        let whole = bytes.len() / record;
        return Err(DataError::Truncated {
            path: path.into(),
            field: format!("CIFAR record {} ({record} bytes per record)", whole),
            expected: ((whole + 1) * record) as u64,
            found: bytes.len() as u64,
        });
    }
    let n = bytes.len() / record;
    let mut pixels = Vec::with_capacity(n * PIXELS);
    let mut labels = Vec::with_capacity(n);
    for (i, rec) in bytes.chunks_exact(record).enumerate() {
        let label = rec[label_index];
        if label as usize >= n_classes {
            return Err(DataError::BadLabel {
                path: path.into(),
                field: format!("label byte {label_index} of record"),
                index: i,
                value: label.to_string(),
                expected: format!("a class index below {n_classes}"),
            });
        }
        labels.push(label as u16);
        pixels.extend_from_slice(&rec[label_bytes..]);
    }
    Ok(ImageSet { n, c: 3, h: SIDE, w: SIDE, pixels, labels, class_names })
}

/// Reads one CIFAR-10 binary batch.
pub fn read_cifar10_batch(path: &Path) -> Result<ImageSet, DataError> {
    let names = CIFAR10_CLASSES.iter().map(|s| s.to_string()).collect();
    read_records(path, 1, 0, 10, names)
}

/// Reads a CIFAR-100 binary file (`train.bin` or `test.bin`).
pub fn read_cifar100(path: &Path, labels: Cifar100Labels) -> Result<ImageSet, DataError> {
    match labels {
        Cifar100Labels::Coarse => {
            let names = CIFAR100_SUPERCLASSES.iter().map(|s| s.to_string()).collect();
            read_records(path, 2, 0, 20, names)
        }
        Cifar100Labels::Fine => {
            let names = (0..100).map(|i| i.to_string()).collect();
            read_records(path, 2, 1, 100, names)
        }
    }
}

/// Concatenates image sets with the same geometry and classes (e.g. the 5 CIFAR-10 batches).
pub fn concat(sets: Vec<ImageSet>) -> ImageSet {
    let mut iter = sets.into_iter();
    let mut first = iter.next().expect("at least one set");
    for s in iter {
        assert_eq!((s.c, s.h, s.w), (first.c, first.h, first.w), "image geometry differs");
        first.n += s.n;
        first.pixels.extend_from_slice(&s.pixels);
        first.labels.extend_from_slice(&s.labels);
    }
    first
}
