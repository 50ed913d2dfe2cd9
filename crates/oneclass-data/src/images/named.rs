//! Datasets by name, resolved under a data folder (`--data-dir DIR` or `ONECLASS_DATA`).
//!
//! | name | files looked for (first found wins; `.gz` accepted everywhere) |
//! |---|---|
//! | `mnist`, `fashion-mnist` | `DIR/<name>/{train,t10k}-images-idx3-ubyte`, `…-labels-idx1-ubyte` |
//! | `cifar10` | `DIR/cifar10[/cifar-10-batches-bin]/data_batch_{1..5}.bin`, `test_batch.bin` |
//! | `cifar10-lossy` | `DIR/cifar10-lossy/test_lossy.bin` (test split only; JPEG-decoded copy) |
//! | `cifar100`, `cifar100-coarse` | `DIR/cifar100[/cifar-100-binary]/{train,test}.bin` (fine / 20 superclass labels) |
//! | `folder:PATH` | PNG folders `PATH/train/<class>/*.png`, `PATH/test/<class>/*.png` |
//! | `odds/<name>` | `DIR/odds/<name>.mat` |
//! | `adbench/<name>` | `DIR/adbench/<name>.npz`, or the file whose name is `<number>_<name>.npz` |
//!
//! To use the lossy CIFAR-10 test set where `cifar10` is expected, link it as the test batch:
//! `mkdir -p D/cifar10 && ln -s …/cifar10-lossy/test_lossy.bin.gz D/cifar10/test_batch.bin.gz`.

use std::path::{Path, PathBuf};

use ndarray::Array2;

use super::cifar::{concat, read_cifar100, read_cifar10_batch, Cifar100Labels};
use super::idx::read_idx_images;
use super::png_folder::read_png_folder;
use super::ImageSet;
use crate::error::DataError;
use crate::table::{read_table, TableOptions};

/// Environment variable naming the default data folder.
pub const DATA_ENV: &str = "ONECLASS_DATA";

pub const MNIST_CLASSES: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
    "Ankle boot",
];

/// A dataset name as accepted on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatasetName {
    Mnist,
    FashionMnist,
    Cifar10,
    Cifar10Lossy,
    Cifar100(Cifar100Labels),
    /// PNG folders with `train/` and `test/` subfolders, one folder per class.
    Folder(PathBuf),
    Odds(String),
    Adbench(String),
}

/// The official split of an image dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    Train,
    Test,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

impl DatasetName {
    /// Parses `mnist`, `fashion-mnist`, `cifar10`, `cifar10-lossy`, `cifar100`,
    /// `cifar100-coarse`, `folder:PATH`, `odds/<name>`, `adbench/<name>`.
    pub fn parse(name: &str) -> Result<DatasetName, DataError> {
        let lower = name.trim().to_ascii_lowercase();
        if let Some(path) = name.trim().strip_prefix("folder:") {
            return Ok(DatasetName::Folder(PathBuf::from(path)));
        }
        if let Some(rest) = lower.strip_prefix("odds/") {
            return DatasetName::Odds(name.trim()[5..].to_string()).non_empty(rest);
        }
        if let Some(rest) = lower.strip_prefix("adbench/") {
            return DatasetName::Adbench(name.trim()[8..].to_string()).non_empty(rest);
        }
        Ok(match lower.replace('_', "-").as_str() {
            "mnist" => DatasetName::Mnist,
            "fashion-mnist" | "fmnist" => DatasetName::FashionMnist,
            "cifar10" | "cifar-10" => DatasetName::Cifar10,
            "cifar10-lossy" => DatasetName::Cifar10Lossy,
            "cifar100" | "cifar-100" => DatasetName::Cifar100(Cifar100Labels::Fine),
            "cifar100-coarse" | "cifar100-20" => DatasetName::Cifar100(Cifar100Labels::Coarse),
            _ => {
                return Err(DataError::InvalidArgument {
                    field: "dataset".into(),
                    detail: format!(
                        "unknown dataset {name:?}; expected mnist, fashion-mnist, cifar10, \
                         cifar10-lossy, cifar100, cifar100-coarse, folder:PATH, odds/<name> \
                         or adbench/<name>"
                    ),
                })
            }
        })
    }

    fn non_empty(self, rest: &str) -> Result<DatasetName, DataError> {
        if rest.is_empty() {
            return Err(DataError::InvalidArgument {
                field: "dataset".into(),
                detail: "odds/ and adbench/ need a dataset name after the slash".into(),
            });
        }
        Ok(self)
    }

    /// Whether this is a table (ODDS, ADBench) rather than images.
    pub fn is_tabular(&self) -> bool {
        matches!(self, DatasetName::Odds(_) | DatasetName::Adbench(_))
    }

    /// The name as written on the command line.
    pub fn label(&self) -> String {
        match self {
            DatasetName::Mnist => "mnist".into(),
            DatasetName::FashionMnist => "fashion-mnist".into(),
            DatasetName::Cifar10 => "cifar10".into(),
            DatasetName::Cifar10Lossy => "cifar10-lossy".into(),
            DatasetName::Cifar100(Cifar100Labels::Fine) => "cifar100".into(),
            DatasetName::Cifar100(Cifar100Labels::Coarse) => "cifar100-coarse".into(),
            DatasetName::Folder(p) => format!("folder:{}", p.display()),
            DatasetName::Odds(n) => format!("odds/{n}"),
            DatasetName::Adbench(n) => format!("adbench/{n}"),
        }
    }
}

/// The data folder: `given`, else `$ONECLASS_DATA`.
pub fn data_dir(given: Option<&Path>) -> Result<PathBuf, DataError> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    match std::env::var_os(DATA_ENV) {
        Some(v) if !v.is_empty() => Ok(PathBuf::from(v)),
        _ => Err(DataError::InvalidArgument {
            field: "data folder".into(),
            detail: format!("no data folder given: pass --data-dir DIR or set {DATA_ENV}"),
        }),
    }
}

/// The first existing file among `names` (each also tried with `.gz`) in `folders`.
fn find_file(what: &str, folders: &[PathBuf], names: &[String]) -> Result<PathBuf, DataError> {
    let mut looked = Vec::new();
    for folder in folders {
        for name in names {
            for candidate in [folder.join(name), folder.join(format!("{name}.gz"))] {
                if candidate.is_file() {
                    return Ok(candidate);
                }
                looked.push(candidate);
            }
        }
    }
    Err(DataError::DatasetNotFound { what: what.to_string(), looked, hint: String::new() })
}

/// Loads the `split` of an image dataset.
pub fn load_images(name: &DatasetName, dir: &Path, split: Split) -> Result<ImageSet, DataError> {
    match name {
        DatasetName::Mnist | DatasetName::FashionMnist => {
            let (folder, classes) = if *name == DatasetName::Mnist {
                ("mnist", &MNIST_CLASSES)
            } else {
                ("fashion-mnist", &FASHION_MNIST_CLASSES)
            };
            let prefix = if split == Split::Train { "train" } else { "t10k" };
            let folders = [dir.join(folder)];
            let what = |kind: &str| format!("{} {} {kind}", name.label(), split.name());
            let images = find_file(&what("images"), &folders, &[
                format!("{prefix}-images-idx3-ubyte"),
                format!("{prefix}-images.idx3-ubyte"),
            ])?;
            let labels = find_file(&what("labels"), &folders, &[
                format!("{prefix}-labels-idx1-ubyte"),
                format!("{prefix}-labels.idx1-ubyte"),
            ])?;
            read_idx_images(&images, &labels, classes)
        }
        DatasetName::Cifar10 => {
            let folders = [dir.join("cifar10").join("cifar-10-batches-bin"), dir.join("cifar10")];
            let batches: Vec<String> = match split {
                Split::Train => (1..=5).map(|i| format!("data_batch_{i}.bin")).collect(),
                Split::Test => vec!["test_batch.bin".into()],
            };
            let sets = batches
                .iter()
                .map(|b| {
                    let path = find_file(&format!("cifar10 {}", b), &folders, std::slice::from_ref(b))
                        .map_err(|e| with_hint(e, cifar10_hint(split)))?;
                    read_cifar10_batch(&path)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(concat(sets))
        }
        DatasetName::Cifar10Lossy => {
            if split == Split::Train {
                return Err(DataError::InvalidArgument {
                    field: "dataset".into(),
                    detail: "cifar10-lossy has only a test split (the 10,000 CIFAR-10 test images)".into(),
                });
            }
            let path = find_file("cifar10-lossy test", &[dir.join("cifar10-lossy")], &[
                "test_lossy.bin".into(),
                "test_batch.bin".into(),
            ])?;
            read_cifar10_batch(&path)
        }
        DatasetName::Cifar100(labels) => {
            let folders = [dir.join("cifar100").join("cifar-100-binary"), dir.join("cifar100")];
            let file = format!("{}.bin", split.name());
            let path = find_file(&format!("cifar100 {}", split.name()), &folders, &[file])?;
            read_cifar100(&path, *labels)
        }
        DatasetName::Folder(root) => read_png_folder(&root.join(split.name())),
        DatasetName::Odds(_) | DatasetName::Adbench(_) => Err(DataError::InvalidArgument {
            field: "dataset".into(),
            detail: format!("{} is a table, not an image dataset", name.label()),
        }),
    }
}

fn cifar10_hint(split: Split) -> String {
    if split == Split::Test {
        "; to use the lossy copy, link cifar10-lossy/test_lossy.bin.gz as cifar10/test_batch.bin.gz \
         or use the dataset name cifar10-lossy"
            .into()
    } else {
        String::new()
    }
}

fn with_hint(e: DataError, extra: String) -> DataError {
    match e {
        DataError::DatasetNotFound { what, looked, hint } => {
            DataError::DatasetNotFound { what, looked, hint: hint + &extra }
        }
        other => other,
    }
}

/// A tabular dataset: features and 0/1 labels (1 = anomaly).
#[derive(Clone, Debug)]
pub struct TabularSet {
    pub x: Array2<f64>,
    pub y: Vec<u8>,
    pub source: PathBuf,
}

/// The file of an ODDS or ADBench dataset.
pub fn table_path(name: &DatasetName, dir: &Path) -> Result<PathBuf, DataError> {
    match name {
        DatasetName::Odds(n) => find_plain(&format!("odds/{n}"), &dir.join("odds").join(format!("{n}.mat"))),
        DatasetName::Adbench(n) => {
            let folder = dir.join("adbench");
            let direct = folder.join(format!("{n}.npz"));
            if direct.is_file() {
                return Ok(direct);
            }
            // ADBench files are numbered, e.g. 16_http.npz: accept the name without the number.
            let suffix = format!("_{}.npz", n.to_ascii_lowercase());
            let mut matches: Vec<PathBuf> = std::fs::read_dir(&folder)
                .map(|entries| {
                    entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| {
                            p.file_name().and_then(|f| f.to_str()).is_some_and(|f| {
                                let f = f.to_ascii_lowercase();
                                f.ends_with(&suffix)
                                    && f[..f.len() - suffix.len()].chars().all(|c| c.is_ascii_digit())
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            matches.sort();
            match matches.len() {
                1 => Ok(matches.remove(0)),
                0 => Err(DataError::DatasetNotFound {
                    what: format!("adbench/{n}"),
                    looked: vec![direct, folder.join(format!("<number>_{n}.npz"))],
                    hint: String::new(),
                }),
                _ => Err(DataError::InvalidArgument {
                    field: "dataset".into(),
                    detail: format!("adbench/{n} is ambiguous: {matches:?}"),
                }),
            }
        }
        _ => Err(DataError::InvalidArgument {
            field: "dataset".into(),
            detail: format!("{} is an image dataset, not a table", name.label()),
        }),
    }
}

fn find_plain(what: &str, path: &Path) -> Result<PathBuf, DataError> {
    if path.is_file() {
        Ok(path.to_path_buf())
    } else {
        Err(DataError::DatasetNotFound { what: what.into(), looked: vec![path.into()], hint: String::new() })
    }
}

/// Loads an ODDS (`X`, `y` in a .mat) or ADBench (`X`, `y` in a .npz) dataset.
pub fn load_table(name: &DatasetName, dir: &Path) -> Result<TabularSet, DataError> {
    let path = table_path(name, dir)?;
    let table = read_table(&path, &TableOptions::default())?;
    let y = table.y.ok_or_else(|| DataError::MissingArray {
        path: path.clone(),
        name: "y".into(),
        available: vec![],
    })?;
    Ok(TabularSet { x: table.x, y, source: path })
}
