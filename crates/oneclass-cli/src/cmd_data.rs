//! `oneclass data`: MNIST-C corruptions and the seeds' data protocols, written as `.npz`.
//!
//! These command lines are stable; scripts depend on them:
//! - `oneclass data mnist-c --corruption NAME[,NAME…] --split train|test [--digits 3,8]
//!   --seed S --data-dir DIR --out FILE.npz`
//! - `oneclass data protocol NAME [options] --data-dir DIR --out DIR2`, NAME one of
//!   `ogae-mnist-c`, `one-vs-rest`, `deep-sad`, `tabular`, `alteration`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use oneclass_data::alteration::Alteration;
use oneclass_data::images::named::{data_dir, load_images, load_table, DatasetName, Split};
use oneclass_data::images::ImageSet;
use oneclass_data::mnist_c::{corrupt_images, Corruption, SourceSplit, PIXELS};
use oneclass_data::protocols::{
    alteration as alteration_protocol, class_index, deep_sad, ogae_mnist_c, one_vs_rest, tabular, ProtocolOutput,
    SizeSpec,
};
use oneclass_data::{write_npz, NpyArray, NpyData};

#[derive(clap::Subcommand, Debug)]
pub enum DataCommand {
    /// Corrupt MNIST digits with MNIST-C corruptions; writes X (uint8, N x 1 x 28 x 28) and y
    /// (digit), one block per corruption in the order given.
    MnistC(MnistCArgs),
    /// Build a protocol's splits as <split>.npz files plus manifest.json.
    Protocol(ProtocolArgs),
}

#[derive(clap::Args, Debug)]
pub struct MnistCArgs {
    /// Comma-separated corruption names (identity, shot_noise, impulse_noise, glass_blur,
    /// motion_blur, shear, scale, rotate, brightness, translate, stripe, fog, spatter,
    /// dotted_line, zigzag, canny_edges).
    #[arg(long)]
    corruption: String,
    /// MNIST split to corrupt.
    #[arg(long, value_enum, default_value = "test")]
    split: SplitArg,
    /// Comma-separated digits to keep (default: all).
    #[arg(long)]
    digits: Option<String>,
    /// Seed of the random corruptions.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Dataset with 28x28 grey images (mnist or fashion-mnist).
    #[arg(long, default_value = "mnist")]
    dataset: String,
    /// Data folder (default: $ONECLASS_DATA).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Output .npz file.
    #[arg(long)]
    out: PathBuf,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum SplitArg {
    Train,
    Test,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ProtocolName {
    /// Seed 001: MNIST-C domain shift, normal vs anomalous digit (--pair).
    OgaeMnistC,
    /// Class --normal-class vs the rest; validation carved from the training split (--val).
    OneVsRest,
    /// Seed 004: semi-supervised Deep SAD training set (--ratio-* , --known-classes).
    DeepSad,
    /// ODDS / ADBench splits (--split deep-sad|toll).
    Tabular,
    /// Seed 003: natural images vs altered counterparts (--alteration).
    Alteration,
}

#[derive(clap::Args, Debug)]
pub struct ProtocolArgs {
    #[arg(value_enum)]
    name: ProtocolName,
    /// Dataset: mnist, fashion-mnist, cifar10, cifar10-lossy, cifar100, cifar100-coarse,
    /// folder:PATH, odds/<name>, adbench/<name> (ogae-mnist-c: mnist).
    #[arg(long)]
    dataset: Option<String>,
    /// ogae-mnist-c: normal and anomalous digit.
    #[arg(long, default_value = "3,8")]
    pair: String,
    /// one-vs-rest, deep-sad: the normal class (index or name).
    #[arg(long)]
    normal_class: Option<String>,
    /// one-vs-rest, alteration: validation size taken from the training split, a fraction
    /// (0.2) or a count (10000); default 0.1 (one-vs-rest), 0.2 (alteration).
    #[arg(long)]
    val: Option<String>,
    /// deep-sad, tabular: ratio of labeled normals in the training set.
    #[arg(long, default_value_t = 0.0)]
    ratio_known_normal: f64,
    /// deep-sad, tabular: ratio of labeled anomalies in the training set (gamma_l).
    #[arg(long, default_value_t = 0.0)]
    ratio_known_anomaly: f64,
    /// deep-sad, tabular: ratio of unknown anomalies in the unlabeled part (gamma_p).
    #[arg(long, default_value_t = 0.0)]
    ratio_pollution: f64,
    /// deep-sad: number of anomaly classes the labeled anomalies come from.
    #[arg(long, default_value_t = 1)]
    known_classes: usize,
    /// tabular: deep-sad (60/40 stratified) or toll (20 % test, 30 % validation).
    #[arg(long, default_value = "deep-sad")]
    split: String,
    /// alteration: block-N (N x N block permutation) or strokes-M (strokes of thickness M).
    #[arg(long)]
    alteration: Option<String>,
    /// ogae-mnist-c: share of the normal training images held out for early stopping.
    #[arg(long, default_value_t = 0.1)]
    early_stop_fraction: f64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Data folder (default: $ONECLASS_DATA).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Output folder for <split>.npz and manifest.json.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(cmd: DataCommand) -> Result<()> {
    match cmd {
        DataCommand::MnistC(a) => run_mnist_c(a),
        DataCommand::Protocol(a) => run_protocol(a),
    }
}

fn progress_bar(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} images ({eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

fn parse_list<T: std::str::FromStr>(text: &str, what: &str) -> Result<Vec<T>> {
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<T>().map_err(|_| anyhow::anyhow!("{what}: {s:?} is not a valid value")))
        .collect()
}

fn run_mnist_c(a: MnistCArgs) -> Result<()> {
    let corruptions = Corruption::parse_list(&a.corruption)?;
    if corruptions.is_empty() {
        bail!("--corruption: give at least one corruption name");
    }
    let dir = data_dir(a.data_dir.as_deref())?;
    let dataset = DatasetName::parse(&a.dataset)?;
    let (split, source) = match a.split {
        SplitArg::Train => (Split::Train, SourceSplit::Train),
        SplitArg::Test => (Split::Test, SourceSplit::Test),
    };
    let set = load_images(&dataset, &dir, split)?;
    if (set.c, set.h, set.w) != (1, 28, 28) {
        bail!("--dataset {}: MNIST-C needs 1x28x28 images, found {}x{}x{}", a.dataset, set.c, set.h, set.w);
    }
    let indices: Vec<usize> = match &a.digits {
        None => (0..set.n).collect(),
        Some(d) => {
            let digits: Vec<u16> = parse_list(d, "--digits")?;
            if let Some(bad) = digits.iter().find(|&&d| d as usize >= set.class_names.len()) {
                bail!("--digits: {bad} is not a class of {}", a.dataset);
            }
            (0..set.n).filter(|&i| digits.contains(&set.labels[i])).collect()
        }
    };
    let bar = progress_bar(indices.len() * corruptions.len(), "corrupting");
    let mut pixels = Vec::with_capacity(indices.len() * corruptions.len() * PIXELS);
    let (mut y, mut corruption, mut source_index) = (Vec::new(), Vec::new(), Vec::new());
    for &c in &corruptions {
        pixels.extend(corrupt_images(&set.pixels, &indices, c, source, a.seed, &|k| bar.inc(k as u64)));
        y.extend(indices.iter().map(|&i| set.labels[i] as u8));
        corruption.extend(std::iter::repeat_n(c as i64, indices.len()));
        source_index.extend(indices.iter().map(|&i| i as i64));
    }
    bar.finish_and_clear();
    let n = y.len();
    let arrays = [
        ("X", NpyArray { shape: vec![n, 1, 28, 28], data: NpyData::U8(pixels) }),
        ("y", NpyArray { shape: vec![n], data: NpyData::U8(y) }),
        ("corruption", NpyArray { shape: vec![n], data: NpyData::I64(corruption) }),
        ("source", NpyArray { shape: vec![n], data: NpyData::I64(source_index) }),
    ];
    let refs: Vec<(&str, &NpyArray)> = arrays.iter().map(|(k, v)| (*k, v)).collect();
    write_npz(&a.out, &refs).with_context(|| format!("writing {}", a.out.display()))?;
    let names: Vec<&str> = corruptions.iter().map(|c| c.name()).collect();
    println!("wrote {} images ({} per corruption: {}) to {}", n, indices.len(), names.join(", "), a.out.display());
    Ok(())
}

fn images(name: &DatasetName, dir: &std::path::Path) -> Result<(ImageSet, ImageSet)> {
    Ok((load_images(name, dir, Split::Train)?, load_images(name, dir, Split::Test)?))
}

fn require<'a>(value: &'a Option<String>, flag: &str, protocol: &str) -> Result<&'a str> {
    value.as_deref().with_context(|| format!("{protocol} needs {flag}"))
}

fn run_protocol(a: ProtocolArgs) -> Result<()> {
    let dir = data_dir(a.data_dir.as_deref())?;
    let dataset_text = match (&a.dataset, a.name) {
        (Some(d), _) => d.clone(),
        (None, ProtocolName::OgaeMnistC) => "mnist".into(),
        (None, _) => bail!("--dataset is required for this protocol"),
    };
    let dataset = DatasetName::parse(&dataset_text)?;
    let label = dataset.label();
    if a.name == ProtocolName::Tabular && !dataset.is_tabular() {
        bail!("tabular needs --dataset odds/<name> or adbench/<name>");
    }
    if a.name != ProtocolName::Tabular && dataset.is_tabular() {
        bail!("{label} is a table: use the tabular protocol");
    }
    let output: ProtocolOutput = match a.name {
        ProtocolName::OgaeMnistC => {
            let pair: Vec<u16> = parse_list(&a.pair, "--pair")?;
            if pair.len() != 2 {
                bail!("--pair: expected two digits, normal first (e.g. 3,8)");
            }
            let (train, test) = images(&dataset, &dir)?;
            let mut p = ogae_mnist_c::OgaeParams::new(pair[0], pair[1], a.seed);
            p.early_stop_fraction = a.early_stop_fraction;
            let bar = progress_bar(ogae_mnist_c::total_images(&train, &test, &p), "corrupting");
            let out = ogae_mnist_c::build(&train, &test, &p, &|k| bar.inc(k as u64))?;
            bar.finish_and_clear();
            out
        }
        ProtocolName::OneVsRest => {
            let (train, test) = images(&dataset, &dir)?;
            let normal = class_index(&train.class_names, require(&a.normal_class, "--normal-class", "one-vs-rest")?, "--normal-class")?;
            let validation = SizeSpec::parse(a.val.as_deref().unwrap_or("0.1"), "--val")?;
            one_vs_rest::build(&label, &train, &test, &one_vs_rest::OneVsRestParams { normal_class: normal, validation, seed: a.seed })?
        }
        ProtocolName::DeepSad => {
            let (train, test) = images(&dataset, &dir)?;
            let normal = class_index(&train.class_names, require(&a.normal_class, "--normal-class", "deep-sad")?, "--normal-class")?;
            let p = deep_sad::DeepSadParams {
                normal_class: normal,
                ratio_known_normal: a.ratio_known_normal,
                ratio_known_anomaly: a.ratio_known_anomaly,
                ratio_pollution: a.ratio_pollution,
                n_known_classes: if a.ratio_known_anomaly > 0.0 { a.known_classes } else { 0 },
                seed: a.seed,
            };
            deep_sad::build(&label, &train, &test, &p)?
        }
        ProtocolName::Tabular => {
            let set = load_table(&dataset, &dir)?;
            let p = tabular::TabularParams {
                split: tabular::TabularSplit::parse(&a.split)?,
                ratio_known_normal: a.ratio_known_normal,
                ratio_known_anomaly: a.ratio_known_anomaly,
                ratio_pollution: a.ratio_pollution,
                seed: a.seed,
            };
            tabular::build(&label, &set, &p)?
        }
        ProtocolName::Alteration => {
            let alteration = Alteration::parse(require(&a.alteration, "--alteration", "alteration")?)?;
            let validation = SizeSpec::parse(a.val.as_deref().unwrap_or("0.2"), "--val")?;
            let (train, test) = images(&dataset, &dir)?;
            let p = alteration_protocol::AlterationParams { alteration, validation, seed: a.seed };
            alteration_protocol::build(&label, &train, &test, &p)?
        }
    };
    output.write(&a.out).with_context(|| format!("writing the protocol to {}", a.out.display()))?;
    for s in &output.splits {
        let anomalies = s.y.iter().filter(|&&v| v == 1).count();
        println!("{:>10}: {:>6} samples ({} normal, {} anomalous)", s.name, s.y.len(), s.y.len() - anomalies, anomalies);
    }
    println!("wrote {} to {}", output.protocol, a.out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Harness {
        #[command(subcommand)]
        command: DataCommand,
    }

    fn shared_data() -> PathBuf {
        let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
        assert!(p.join("mnist").exists(), "test data missing: {} (the shared data folder is required)", p.display());
        p
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("oneclass-cli-data-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn run_args(args: &[&str]) -> Result<()> {
        run(Harness::try_parse_from(std::iter::once("data").chain(args.iter().copied()))?.command)
    }

    #[test]
    fn mnist_c_command_writes_blocks_in_the_order_given() {
        let data = shared_data();
        let out = scratch("mnist-c").join("c.npz");
        run_args(&[
            "mnist-c", "--corruption", "stripe,brightness", "--split", "test", "--digits", "3,8", "--seed", "2",
            "--data-dir", data.to_str().unwrap(), "--out", out.to_str().unwrap(),
        ])
        .unwrap();
        let arrays = oneclass_data::read_npz(&out).unwrap();
        let get = |n: &str| &arrays.iter().find(|(k, _)| k == n).unwrap().1;
        assert_eq!(get("X").shape, vec![2 * 1984, 1, 28, 28]);
        let NpyData::U8(y) = &get("y").data else { panic!("y must be uint8") };
        assert_eq!(y.iter().filter(|&&d| d == 3).count(), 2 * 1010);
        let NpyData::I64(c) = &get("corruption").data else { panic!() };
        assert!(c[..1984].iter().all(|&v| v == Corruption::Stripe as i64));
        assert!(c[1984..].iter().all(|&v| v == Corruption::Brightness as i64));
        assert!(run_args(&["mnist-c", "--corruption", "blur", "--data-dir", "/nonexistent", "--out", "x.npz"]).is_err());
    }

    #[test]
    fn protocol_command_writes_manifest_and_splits() {
        let data = shared_data();
        let out = scratch("tabular");
        run_args(&[
            "protocol", "tabular", "--dataset", "odds/arrhythmia", "--split", "toll", "--seed", "1",
            "--data-dir", data.to_str().unwrap(), "--out", out.to_str().unwrap(),
        ])
        .unwrap();
        let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest["splits"]["test"]["n"], 91);
        assert_eq!(manifest["splits"]["val"]["anomalous"], 20);
        assert_eq!(manifest["seed"], 1);
        for f in ["train.npz", "val.npz", "test.npz"] {
            assert!(out.join(f).is_file(), "{f}");
        }
        let err = run_args(&["protocol", "one-vs-rest", "--dataset", "mnist", "--data-dir", data.to_str().unwrap(), "--out", "x"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--normal-class"), "{err}");
    }
}
