//! read_table / read_labels / write_scores / write_atomic behaviour on edge cases.

mod readers_support;

use std::io::Write;
use std::path::{Path, PathBuf};

use oneclass_data::{
    read_labels, read_npy, read_table, read_table_with_labels, write_atomic, write_scores,
    CsvOptions, DataError, LabelRule, NpyData, TableOptions,
};
use readers_support::*;

fn opts() -> TableOptions {
    TableOptions::default()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn npy_tables_need_two_or_more_dimensions_rows_and_columns() {
    let err = read_table(&fixture("f64_1d.npy"), &opts()).unwrap_err();
    assert!(matches!(err, DataError::Shape { .. }));
    assert_message(
        &err,
        &[
            "f64_1d.npy",
            "expected a 2-D array",
            "shape (5,)",
            "reshape it to (n, 1)",
        ],
    );
    assert_message(
        &read_table(&fixture("f64_scalar.npy"), &opts()).unwrap_err(),
        &["f64_scalar.npy", "expected a 2-D array", "shape ()"],
    );
    let err = read_table(&fixture("f64_empty_rows.npy"), &opts()).unwrap_err();
    assert!(matches!(err, DataError::Empty { .. }));
    assert_message(&err, &["f64_empty_rows.npy", "(0, 3) has no rows"]);

    let t = read_table(&fixture("f32_c.npy"), &opts()).unwrap();
    assert_eq!(t.x.dim(), (2, 5));
    assert_eq!(t.source, fixture("f32_c.npy"));
}

#[test]
fn image_arrays_are_flattened_per_row() {
    // N×C×H×W = 3×2×2×2 → 3×8 in C order; uint8 pixels read in [0, 1].
    let raw = read_npy(&fixture("u8_images_nchw.npy")).unwrap();
    let NpyData::U8(bytes) = &raw.data else {
        panic!("dtype")
    };
    let t = read_table(&fixture("u8_images_nchw.npy"), &opts()).unwrap();
    assert_eq!(t.x.dim(), (3, 8));
    for (i, v) in t.x.iter().enumerate() {
        assert_eq!(*v, f64::from(bytes[i]) / 255.0);
    }
}

#[test]
fn nan_and_inf_are_reported_with_row_and_column() {
    let err = read_table(&fixture("f64_nan_r2_c1.npy"), &opts()).unwrap_err();
    assert!(matches!(
        err,
        DataError::NonFinite {
            row: 2,
            column: 1,
            ..
        }
    ));
    assert_message(
        &err,
        &[
            "f64_nan_r2_c1.npy",
            "row 2, column 1 (0-based) is NaN",
            "finite",
        ],
    );
    let err = read_table(&fixture("f64_inf_r3_c0.npy"), &opts()).unwrap_err();
    assert_message(
        &err,
        &["f64_inf_r3_c0.npy", "row 3, column 0 (0-based) is -inf"],
    );
}

#[test]
fn unknown_extensions_are_errors() {
    let err = read_table(Path::new("/tmp/data.xlsx"), &opts()).unwrap_err();
    assert_message(
        &err,
        &[
            "data.xlsx",
            "unknown file extension \".xlsx\"",
            ".npy, .npz, .mat, .csv",
        ],
    );
    let err = read_table(Path::new("/tmp/noext"), &opts()).unwrap_err();
    assert_message(&err, &["noext", "(none)"]);
    let err = read_table(Path::new("/nonexistent/dir/x.npy"), &opts()).unwrap_err();
    assert_message(&err, &["/nonexistent/dir/x.npy", "cannot open for reading"]);
}

#[test]
fn labels_from_every_format() {
    assert_eq!(
        read_labels(&fixture("labels_ok_i64.npy"), &opts()).unwrap(),
        [0, 1, 1, 0, 0]
    );
    assert_eq!(
        read_labels(&fixture("labels_ok_f64_col.npy"), &opts()).unwrap(),
        [0, 1, 0]
    );
    assert_eq!(
        read_labels(&fixture("bool_1d.npy"), &opts()).unwrap(),
        [1, 0, 1, 1]
    );
    assert_eq!(
        read_labels(&fixture("deflated.npz"), &opts()).unwrap(),
        [0, 0, 1, 0, 1, 0]
    );
    assert_eq!(
        read_labels(&fixture("xy.mat"), &opts()).unwrap(),
        [0, 0, 1, 0, 1, 0]
    );

    let dir = temp_dir("labels-text");
    let p = write(&dir, "labels.csv", "label\n0\n1\n1.0\n0.0\n");
    assert_eq!(read_labels(&p, &opts()).unwrap(), [0, 1, 1, 0]);
    let p = write(&dir, "two.csv", "1,0\n2,1\n");
    assert_message(
        &read_labels(&p, &opts()).unwrap_err(),
        &["two.csv", "one column of labels", "found 2 columns"],
    );
    let with_col = TableOptions {
        csv: CsvOptions {
            label_column: Some(-1),
            ..Default::default()
        },
        ..opts()
    };
    assert_eq!(read_labels(&p, &with_col).unwrap(), [0, 1]);
    // Missing labels are never dropped (that would misalign them with the data).
    let p = write(&dir, "gap.csv", "0\n?\n1\n");
    let dropping = TableOptions {
        csv: CsvOptions {
            drop_missing_rows: true,
            ..Default::default()
        },
        ..opts()
    };
    assert_message(
        &read_labels(&p, &dropping).unwrap_err(),
        &["gap.csv", "line 2, column 1", "missing value"],
    );
    // Class codes with a rule.
    let p = write(&dir, "classes.csv", "1\n3\n2\n3\n");
    let rule = TableOptions {
        labels: LabelRule::AnomalyClasses(vec![3]),
        ..opts()
    };
    assert_eq!(read_labels(&p, &rule).unwrap(), [0, 1, 0, 1]);
    let rule = TableOptions {
        labels: LabelRule::NormalClasses(vec![1, 2]),
        ..opts()
    };
    assert_eq!(read_labels(&p, &rule).unwrap(), [0, 1, 0, 1]);
}

#[test]
fn bad_labels_name_the_index_and_value() {
    let err = read_labels(&fixture("labels_bad_2_at_3.npy"), &opts()).unwrap_err();
    assert!(matches!(err, DataError::BadLabel { index: 3, .. }));
    assert_message(
        &err,
        &[
            "labels_bad_2_at_3.npy",
            "entry 3 (0-based) is 2",
            "0 (normal) or 1 (anomaly)",
        ],
    );
    let err = read_labels(&fixture("labels_bad_half_at_1.npy"), &opts()).unwrap_err();
    assert_message(
        &err,
        &["labels_bad_half_at_1.npy", "entry 1 (0-based) is 0.5"],
    );
    let err = read_labels(&fixture("labels_2d.npy"), &opts()).unwrap_err();
    assert_message(&err, &["labels_2d.npy", "1-D label array", "shape (3, 2)"]);
    let err = read_labels(
        &fixture("no_x.npz"),
        &TableOptions {
            y_name: "target".into(),
            ..opts()
        },
    )
    .unwrap_err();
    assert_message(&err, &["no_x.npz", "'target' not found"]);
    let rule = TableOptions {
        labels: LabelRule::AnomalyClasses(vec![1]),
        ..opts()
    };
    let err = read_labels(&fixture("labels_bad_half_at_1.npy"), &rule).unwrap_err();
    assert_message(&err, &["entry 1 (0-based) is 0.5", "an integer class code"]);
}

#[test]
fn separate_label_files_are_aligned_with_dropped_rows() {
    let dir = temp_dir("labels-align");
    let data = write(&dir, "data.csv", "1,2\n?,3\n4,5\n6,7\n");
    let labels = write(&dir, "labels.csv", "0\n1\n1\n0\n");
    let dropping = TableOptions {
        csv: CsvOptions {
            drop_missing_rows: true,
            ..Default::default()
        },
        ..opts()
    };
    let t = read_table_with_labels(&data, Some(&labels), &dropping).unwrap();
    assert_eq!(t.x.nrows(), 3);
    assert_eq!(t.dropped_rows, [1]);
    assert_eq!(t.y, Some(vec![0, 1, 0]));

    let short = write(&dir, "short.csv", "0\n1\n");
    let err = read_table_with_labels(&data, Some(&short), &dropping).unwrap_err();
    assert_message(
        &err,
        &[
            "short.csv",
            "labels",
            "4 labels, one per data row of",
            "data.csv",
            "found 2 labels",
        ],
    );

    // A label file overrides the container's y.
    let ones = write(&dir, "ones.csv", "1\n1\n1\n1\n1\n1\n");
    let t = read_table_with_labels(&fixture("deflated.npz"), Some(&ones), &opts()).unwrap();
    assert_eq!(t.y, Some(vec![1; 6]));
}

#[test]
fn scores_round_trip_exactly_in_both_formats() {
    let dir = temp_dir("scores");
    let scores = [
        0.1,
        1e-7,
        -3.0,
        1.0 / 3.0,
        1e300,
        5e-324,
        -0.0,
        123_456_789.123_456_79,
    ];
    write_scores(&dir.join("s.csv"), &scores).unwrap();
    let text = std::fs::read_to_string(dir.join("s.csv")).unwrap();
    let back: Vec<f64> = text.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(back.len(), scores.len());
    assert!(back
        .iter()
        .zip(&scores)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
    assert_eq!(text.lines().next(), Some("0.1"));

    write_scores(&dir.join("s.npy"), &scores).unwrap();
    let a = read_npy(&dir.join("s.npy")).unwrap();
    assert_eq!(a.shape, vec![scores.len()]);
    assert!(a
        .to_f64()
        .iter()
        .zip(&scores)
        .all(|(a, b)| a.to_bits() == b.to_bits()));

    let err = write_scores(&dir.join("nan.csv"), &[1.0, f64::NAN]).unwrap_err();
    assert_message(&err, &["nan.csv", "score 1 (0-based) is NaN"]);
    assert_message(
        &write_scores(&dir.join("empty.npy"), &[]).unwrap_err(),
        &["empty.npy", "no scores"],
    );
    assert_message(
        &write_scores(&dir.join("s.npz"), &[1.0]).unwrap_err(),
        &["s.npz", "unknown file extension", ".npy, .csv, .txt"],
    );
    assert_eq!(files_in(&dir), ["s.csv", "s.npy"]);
}

#[test]
fn write_atomic_leaves_nothing_behind_on_failure() {
    let dir = temp_dir("atomic");
    let target = dir.join("out.bin");
    let err = write_atomic(&target, |w| {
        w.write_all(b"partial")?;
        Err(std::io::Error::other("disk on fire"))
    })
    .unwrap_err();
    assert_message(&err, &["out.bin", "cannot write", "disk on fire"]);
    assert!(files_in(&dir).is_empty(), "left: {:?}", files_in(&dir));

    // An existing file is untouched by a failed write and replaced by a successful one.
    std::fs::write(&target, b"old").unwrap();
    let _ = write_atomic(&target, |w| {
        w.write_all(b"new but broken")?;
        Err(std::io::Error::other("fail"))
    });
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    write_atomic(&target, |w| w.write_all(b"new")).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"new");
    assert_eq!(files_in(&dir), ["out.bin"]);

    // A panic inside the closure also removes the temporary file.
    let panicked = std::panic::catch_unwind(|| {
        let _ = write_atomic(&dir.join("p.bin"), |w| {
            w.write_all(b"x")?;
            panic!("boom");
        });
    });
    assert!(panicked.is_err());
    assert_eq!(files_in(&dir), ["out.bin"]);

    let err = write_atomic(&dir.join("no/such/dir/f.bin"), |w| w.write_all(b"x")).unwrap_err();
    assert_message(&err, &["f.bin", "cannot create a temporary file"]);
}
