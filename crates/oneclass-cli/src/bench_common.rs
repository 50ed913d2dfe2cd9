//! Pieces shared by the `oneclass bench` protocols: comma-separated lists, mean ± std, protocol
//! features as deep-model samples, a resumable file of finished units with a progress bar, and
//! Markdown / CSV writing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use oneclass_data::images::pixel_to_unit;
use oneclass_data::protocols::Features;
use oneclass_deep::Samples;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The options every resumable deep benchmark takes besides its own.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Deep hyper-parameter overrides, applied to every method of the benchmark that reads the
    /// key (e.g. `--set epochs=30 --set pretrain_epochs=30` for a shortened schedule).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// cpu, or gpu for a build with `--features wgpu`.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Folder holding the datasets (default: $ONECLASS_DATA).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Output folder: results.json (finished units), report.json, table.md, results.csv.
    #[arg(long)]
    pub out: PathBuf,
}

/// A list option without a clap default: the given list, else `quick_default` in `--quick` mode
/// and `full_default` otherwise, so that `--quick` never ignores a list the user gave.
pub fn list_or_default<T: FromStr>(given: Option<&str>, quick: bool, quick_default: &str, full_default: &str, flag: &str) -> Result<Vec<T>> {
    parse_list(given.unwrap_or(if quick { quick_default } else { full_default }), flag)
}

/// Parses `a,b,c` for the flag `flag` (empty items are skipped).
pub fn parse_list<T: FromStr>(text: &str, flag: &str) -> Result<Vec<T>> {
    let items: Vec<T> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<T>().map_err(|_| anyhow::anyhow!("{flag}: {s:?} is not a valid value")))
        .collect::<Result<_>>()?;
    if items.is_empty() {
        bail!("{flag}: the list is empty");
    }
    Ok(items)
}

/// Mean and sample standard deviation (n − 1; 0 for a single value).
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, var.sqrt())
}

/// `values` (fractions) as "95.0 ± 0.8" in percent; "–" when empty.
pub fn percent_pm(values: &[f64]) -> String {
    if values.is_empty() {
        return "–".into();
    }
    let (m, s) = mean_std(values);
    format!("{:.1} ± {:.1}", 100.0 * m, 100.0 * s)
}

/// A protocol split's features as deep-model samples: images as uint8 / 255, tables as they are.
pub fn samples_of(x: &Features) -> Result<Samples> {
    Ok(match x {
        Features::Images { pixels, shape } => Samples::new(pixels.iter().map(|&p| pixel_to_unit(p) as f32).collect(), shape[0], shape[1..].to_vec())?,
        Features::Table(t) => Samples::from_table(t.view())?,
    })
}

/// One finished piece of work of a long benchmark (a trained and scored model).
pub trait Unit {
    /// Identifies the unit within its benchmark (e.g. "thyroid/seed3/ocsvm").
    fn key(&self) -> String;
}

/// The finished units of a benchmark run, kept in `OUT/results.json` and rewritten (atomically)
/// after each unit, so an interrupted run continues where it stopped. Units from earlier runs
/// with other `--classes` / `--seeds` restrictions accumulate; a file written with other
/// settings is refused rather than overwritten.
#[derive(Serialize, Deserialize)]
pub struct UnitStore<U> {
    pub benchmark: String,
    pub settings: BTreeMap<String, String>,
    pub units: Vec<U>,
    #[serde(skip)]
    path: PathBuf,
}

impl<U: Unit + Serialize + DeserializeOwned> UnitStore<U> {
    /// Opens `out/results.json` (continuing it when its benchmark and settings match) or starts
    /// an empty store. Creates `out`.
    pub fn open(out: &Path, benchmark: &str, settings: BTreeMap<String, String>) -> Result<Self> {
        Self::open_file(out, "results.json", benchmark, settings)
    }

    /// As `open`, for a benchmark that keeps a second kind of unit in `out/file_name`.
    pub fn open_file(out: &Path, file_name: &str, benchmark: &str, settings: BTreeMap<String, String>) -> Result<Self> {
        std::fs::create_dir_all(out).with_context(|| format!("{}: cannot create the output folder", out.display()))?;
        let path = out.join(file_name);
        if !path.exists() {
            return Ok(Self { benchmark: benchmark.into(), settings, units: Vec::new(), path });
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("{}: cannot read", path.display()))?;
        let mut old: Self = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a results file of `oneclass bench {benchmark}`; remove it or choose another --out", path.display()))?;
        if old.benchmark != benchmark {
            bail!("{}: field \"benchmark\" is {:?}, expected {benchmark:?}; choose another --out", path.display(), old.benchmark);
        }
        if old.settings != settings {
            bail!("{}: field \"settings\" differs from this run ({}); choose another --out or remove the file", path.display(), settings_difference(&old.settings, "there", &settings, "now"));
        }
        eprintln!("continuing: {} units already done in {}", old.units.len(), path.display());
        old.path = path;
        Ok(old)
    }

    /// Reads a store file as it is, to merge it with others.
    fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
        let mut store: Self = serde_json::from_str(&text).with_context(|| format!("{}: not a results file of `oneclass bench`", path.display()))?;
        store.path = path.to_path_buf();
        Ok(store)
    }

    pub fn get(&self, key: &str) -> Option<&U> {
        self.units.iter().find(|u| u.key() == key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Adds a finished unit and rewrites the file.
    pub fn push(&mut self, unit: U) -> Result<()> {
        self.insert(unit);
        self.save()
    }

    /// Adds (or replaces) a finished unit without writing; `save` follows.
    pub fn insert(&mut self, unit: U) {
        self.units.retain(|u| u.key() != unit.key());
        self.units.push(unit);
    }

    /// Rewrites the file (compact JSON: stores hold score vectors).
    pub fn save(&self) -> Result<()> {
        crate::io::write_text(&self.path, &serde_json::to_string(self)?)
    }
}

/// The settings on which `a` and `b` differ, as "key: A (a_name), B (b_name)" items.
fn settings_difference(a: &BTreeMap<String, String>, a_name: &str, b: &BTreeMap<String, String>, b_name: &str) -> String {
    a.keys()
        .chain(b.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let shown = |v: Option<&String>| v.map_or("absent".to_string(), |v| format!("{v:?}"));
            format!("{k}: {} {a_name}, {} {b_name}", shown(a.get(k)), shown(b.get(k)))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Merges the store file `file_name` of a benchmark run split into parts (e.g. `--classes 0,1,2`
/// into one folder and `--classes 3,4,5` into another, run side by side) into `out/file_name`.
/// The parts must share the benchmark and its settings and no unit may be in two parts; the
/// file must not exist in `out` yet. Returns the number of units merged.
pub fn merge_parts<U: Unit + Serialize + DeserializeOwned>(out: &Path, file_name: &str, parts: &[PathBuf]) -> Result<usize> {
    let target = out.join(file_name);
    if target.exists() {
        bail!("{}: exists already; merge into a folder without a {file_name}", target.display());
    }
    let (first_part, rest) = parts.split_first().context("no parts to merge")?;
    let mut merged: UnitStore<U> = UnitStore::read(&first_part.join(file_name))?;
    let mut found_in: BTreeMap<String, PathBuf> = BTreeMap::new();
    for u in &merged.units {
        if let Some(earlier) = found_in.insert(u.key(), merged.path.clone()) {
            bail!("{}: unit {} is listed twice", earlier.display(), u.key());
        }
    }
    for part in rest {
        let store: UnitStore<U> = UnitStore::read(&part.join(file_name))?;
        if store.benchmark != merged.benchmark {
            bail!("{}: field \"benchmark\" is {:?}, but {} holds {:?}; not merging", store.path.display(), store.benchmark, merged.path.display(), merged.benchmark);
        }
        if store.settings != merged.settings {
            bail!(
                "{}: field \"settings\" differs from {} ({}); not merging",
                store.path.display(),
                merged.path.display(),
                settings_difference(&store.settings, "here", &merged.settings, "there")
            );
        }
        for u in store.units {
            if let Some(earlier) = found_in.insert(u.key(), store.path.clone()) {
                bail!("{}: unit {} is also in {}; not merging", store.path.display(), u.key(), earlier.display());
            }
            merged.units.push(u);
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("{}: cannot create the output folder", out.display()))?;
    merged.path = target;
    merged.save()?;
    Ok(merged.units.len())
}

/// A progress bar over the units of a benchmark.
pub fn unit_bar(total: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("[{elapsed_precise}] {bar:30} {pos}/{len} units (eta {eta}) {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

/// Training time of a fit and wall time of its unit. The fit's history spans every run, so a
/// unit continued from the checkpoint of an interrupted run still counts the training done
/// before the interruption: its wall time is the longer of this run's and that training time.
pub fn fit_seconds(started: std::time::Instant, history: &[oneclass_deep::EpochRecord]) -> (f64, f64) {
    let train: f64 = history.iter().map(|r| r.seconds).sum();
    (train, started.elapsed().as_secs_f64().max(train))
}

/// The closing line of a `table.md`: the run's settings and wall times.
pub fn settings_line(settings: &BTreeMap<String, String>, finished_seconds: f64, run_seconds: f64, quick: bool) -> String {
    format!(
        "Settings: {}. Wall time of the finished units {finished_seconds:.0} s (this run {run_seconds:.0} s).{}\n",
        settings.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", "),
        if quick { " Quick smoke run: not comparable to the paper." } else { "" }
    )
}

/// `--set KEY=VALUE` overrides as settings entries `<prefix>.KEY`.
pub fn record_overrides(settings: &mut BTreeMap<String, String>, prefix: &str, overrides: &[String]) -> Result<()> {
    for kv in overrides {
        let (k, v) = kv.split_once('=').with_context(|| format!("--{prefix} {kv:?}: expected KEY=VALUE"))?;
        settings.insert(format!("{prefix}.{}", k.trim()), v.trim().to_string());
    }
    Ok(())
}

/// A Markdown table.
pub fn markdown_table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut md = format!("| {} |\n|{}\n", header.join(" | "), "---|".repeat(header.len()));
    for r in rows {
        md += &format!("| {} |\n", r.join(" | "));
    }
    md
}

/// CSV text (fields containing commas or quotes are quoted).
pub fn csv_text(header: &[&str], rows: &[Vec<String>]) -> String {
    let field = |f: &str| if f.contains([',', '"', '\n']) { format!("\"{}\"", f.replace('"', "\"\"")) } else { f.to_string() };
    let mut out = header.join(",") + "\n";
    for r in rows {
        out += &r.iter().map(|f| field(f)).collect::<Vec<_>>().join(",");
        out.push('\n');
    }
    out
}

/// Writes `out/report.json`, `out/table.md` and `out/results.csv` (each atomically) and prints
/// the table.
pub fn write_report_files(out: &Path, report: &serde_json::Value, md: &str, csv: &str) -> Result<()> {
    crate::io::write_text(&out.join("report.json"), &serde_json::to_string_pretty(report)?)?;
    crate::io::write_text(&out.join("table.md"), md)?;
    crate::io::write_text(&out.join("results.csv"), csv)?;
    print!("{md}");
    Ok(())
}

/// The closing line of a benchmark table: models, their summed time and this invocation's time.
pub fn timing_line(models: usize, model_seconds: f64, run_seconds: f64) -> String {
    format!("\nModels: {models}; sum of their times {model_seconds:.0} s; this invocation {run_seconds:.0} s.\n")
}

/// Applies `--set KEY=VALUE` overrides to every method in `hypers` that reads the key; a key
/// that no method reads is an error. Returns the settings for the report.
pub fn apply_shared_settings(hypers: &mut [(oneclass_deep::Method, &mut oneclass_deep::Hyper)], settings: &[String]) -> Result<Vec<(String, String)>> {
    let mut applied = Vec::new();
    for kv in settings {
        let (k, v) = kv.split_once('=').with_context(|| format!("--set {kv:?}: expected KEY=VALUE"))?;
        let (k, v) = (k.trim(), v.trim());
        let mut used = false;
        for (method, hyper) in hypers.iter_mut() {
            if oneclass_deep::Hyper::known_keys(*method).iter().any(|(key, _)| *key == k) {
                hyper.set(*method, k, v).with_context(|| format!("--set {kv} ({})", method.name()))?;
                used = true;
            }
        }
        if !used {
            bail!("--set {kv}: no method of this benchmark reads {k:?}");
        }
        applied.push((k.to_string(), v.to_string()));
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list the user gave is used in both modes; without one, each mode has its default.
    #[test]
    fn quick_mode_keeps_a_given_list() {
        let list = |given: Option<&str>, quick: bool| list_or_default::<u64>(given, quick, "0", "0,1,2", "--seeds").unwrap();
        assert_eq!((list(None, true), list(None, false)), (vec![0], vec![0, 1, 2]));
        assert_eq!((list(Some("3,4"), true), list(Some("3,4"), false)), (vec![3, 4], vec![3, 4]));
        assert!(list_or_default::<u64>(Some("x"), true, "0", "0", "--seeds").is_err());
    }

    /// NumPy: np.mean([1, 2, 4]) = 2.333…, np.std([1, 2, 4], ddof=1) = 1.527525231651947.
    #[test]
    fn mean_and_sample_std() {
        let (m, s) = mean_std(&[1.0, 2.0, 4.0]);
        assert!((m - 7.0 / 3.0).abs() < 1e-15);
        assert!((s - 1.527525231651947).abs() < 1e-15);
        assert_eq!(mean_std(&[0.5]), (0.5, 0.0));
        assert_eq!(percent_pm(&[0.9, 0.95]), "92.5 ± 3.5");
        assert_eq!(percent_pm(&[]), "–");
    }

    #[test]
    fn lists_and_csv() {
        assert_eq!(parse_list::<u16>("0, 1,,2", "--classes").unwrap(), vec![0, 1, 2]);
        assert!(parse_list::<u16>("0,x", "--classes").unwrap_err().to_string().contains("\"x\""));
        assert!(parse_list::<u16>(" , ", "--classes").is_err());
        assert_eq!(csv_text(&["a", "b"], &[vec!["1".into(), "x,y".into()]]), "a,b\n1,\"x,y\"\n");
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct U {
        name: String,
        value: f64,
    }
    impl Unit for U {
        fn key(&self) -> String {
            self.name.clone()
        }
    }

    #[test]
    fn store_continues_and_refuses_other_settings() {
        let dir = tempfile::tempdir().unwrap();
        let settings = BTreeMap::from([("quick".to_string(), "true".to_string())]);
        let mut s: UnitStore<U> = UnitStore::open(dir.path(), "x", settings.clone()).unwrap();
        s.push(U { name: "a".into(), value: 1.0 }).unwrap();
        s.push(U { name: "a".into(), value: 2.0 }).unwrap();
        let again: UnitStore<U> = UnitStore::open(dir.path(), "x", settings).unwrap();
        assert_eq!(again.units, vec![U { name: "a".into(), value: 2.0 }]);
        let other = BTreeMap::from([("quick".to_string(), "false".to_string())]);
        let e = UnitStore::<U>::open(dir.path(), "x", other).err().unwrap().to_string();
        assert!(e.contains("results.json") && e.contains("quick"), "{e}");
        assert!(UnitStore::<U>::open(dir.path(), "y", BTreeMap::new()).is_err());
    }

    /// Writes a store with the units `names` (value 1.0 each) into `dir/part`.
    fn part(dir: &Path, part: &str, settings: &BTreeMap<String, String>, names: &[&str]) -> PathBuf {
        let folder = dir.join(part);
        let mut s: UnitStore<U> = UnitStore::open(&folder, "x", settings.clone()).unwrap();
        for n in names {
            s.push(U { name: n.to_string(), value: 1.0 }).unwrap();
        }
        folder
    }

    #[test]
    fn parts_merge_unless_they_overlap_or_differ() {
        let dir = tempfile::tempdir().unwrap();
        let settings = BTreeMap::from([("quick".to_string(), "true".to_string())]);
        let a = part(dir.path(), "a", &settings, &["a1", "a2"]);
        let b = part(dir.path(), "b", &settings, &["b1"]);
        let out = dir.path().join("merged");
        assert_eq!(merge_parts::<U>(&out, "results.json", &[a.clone(), b.clone()]).unwrap(), 3);
        let merged: UnitStore<U> = UnitStore::open(&out, "x", settings.clone()).unwrap();
        let names: Vec<&str> = merged.units.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["a1", "a2", "b1"]);

        // Merging again into the same folder would overwrite finished work.
        let e = merge_parts::<U>(&out, "results.json", &[a.clone(), b.clone()]).unwrap_err().to_string();
        assert!(e.contains("exists already"), "{e}");

        let fresh = dir.path().join("fresh");
        let overlap = part(dir.path(), "c", &settings, &["c1", "a2"]);
        let e = merge_parts::<U>(&fresh, "results.json", &[a.clone(), overlap]).unwrap_err().to_string();
        assert!(e.contains("a2") && e.contains("c/results.json") && e.contains("a/results.json"), "{e}");

        let other = BTreeMap::from([("quick".to_string(), "false".to_string())]);
        let d = part(dir.path(), "d", &other, &["d1"]);
        let e = merge_parts::<U>(&fresh, "results.json", &[a, d]).unwrap_err().to_string();
        assert!(e.contains("quick: \"false\" here, \"true\" there"), "{e}");
        let e = merge_parts::<U>(&fresh, "results.json", &[dir.path().join("missing")]).unwrap_err().to_string();
        assert!(e.contains("missing/results.json"), "{e}");
        assert!(!fresh.join("results.json").exists());
    }
}
