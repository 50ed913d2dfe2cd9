//! Delimited text tables: the shared fixtures, UCI Arrhythmia, and every malformed-input path.

mod readers_support;

use std::path::PathBuf;

use oneclass_data::{
    read_csv, read_npy, read_table, CsvOptions, DataError, HeaderMode, LabelRule, NpyData,
    TableOptions,
};
use readers_support::*;

fn write(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn csv_opts(csv: CsvOptions) -> TableOptions {
    TableOptions {
        csv,
        ..TableOptions::default()
    }
}

#[test]
fn shared_fixture_matches_numpy_loadtxt_bit_for_bit() {
    let t = read_table(
        &shared_fixture("ocsvm/X_train_d2_n50.csv"),
        &TableOptions::default(),
    )
    .unwrap();
    assert_eq!(t.x.dim(), (50, 2));
    assert!(t.y.is_none());
    let NpyData::F64(want) = read_npy(&fixture("X_train_d2_n50_numpy.npy")).unwrap().data else {
        panic!("dtype")
    };
    assert!(t
        .x
        .iter()
        .zip(&want)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
}

#[test]
fn headers_delimiters_comments_bom_and_crlf() {
    let dir = temp_dir("csv-formats");
    let want = [1.0, 2.5, -3.0, 4e-3, 5.0, 6.0];
    let cases = [
        ("header.csv", "a,b,c\n1,2.5,-3\n0.004,5,6\n"),
        ("quoted.csv", "\"a\",\"b\",\"c\"\n\"1\",2.5,-3\n4e-3,5,6\n"),
        ("semicolon.csv", "1;2.5;-3\n0.004;5;6\n"),
        ("tab.tsv", "x\ty\tz\n1\t2.5\t-3\n0.004\t5\t6\n"),
        (
            "spaces.txt",
            "# written by numpy.savetxt\n 1  2.5 -3\n0.004 5 6\n\n",
        ),
        ("crlf_bom.csv", "\u{feff}1,2.5,-3\r\n\r\n0.004,5,6\r\n"),
        ("blank_lines.csv", "\n\n1, 2.5, -3\n\n  0.004 ,5,6  \n\n"),
    ];
    for (name, text) in cases {
        let p = write(&dir, name, text);
        let t = read_table(&p, &TableOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.x.dim(), (2, 3), "{name}");
        assert_eq!(t.x.iter().copied().collect::<Vec<_>>(), want, "{name}");
    }
    let t = read_csv(&dir.join("header.csv"), &CsvOptions::default()).unwrap();
    assert_eq!(t.header, Some(vec!["a".into(), "b".into(), "c".into()]));

    // A numeric header is only a header when asked.
    let p = write(&dir, "numeric_header.csv", "10,20,30\n1,2,3\n");
    let auto = read_table(&p, &TableOptions::default()).unwrap();
    assert_eq!(auto.x.nrows(), 2);
    let present = read_table(
        &p,
        &csv_opts(CsvOptions {
            header: HeaderMode::Present,
            ..Default::default()
        }),
    )
    .unwrap();
    assert_eq!(present.x.nrows(), 1);
    // And a text first line with HeaderMode::Absent is an error naming it.
    let err = read_table(
        &dir.join("header.csv"),
        &csv_opts(CsvOptions {
            header: HeaderMode::Absent,
            ..Default::default()
        }),
    )
    .unwrap_err();
    assert_message(
        &err,
        &[
            "header.csv",
            "line 1, column 1 (1-based)",
            "cannot read \"a\" as a number",
        ],
    );

    // Explicit delimiter.
    let p = write(&dir, "pipe.txt", "1|2\n3|4\n");
    let t = read_table(
        &p,
        &csv_opts(CsvOptions {
            delimiter: Some(b'|'),
            ..Default::default()
        }),
    )
    .unwrap();
    assert_eq!(t.x.dim(), (2, 2));
}

#[test]
fn missing_values_are_errors_unless_rows_are_dropped() {
    let dir = temp_dir("csv-missing");
    let p = write(
        &dir,
        "missing.csv",
        "a,b,c\n1,2,3\n4,?,6\n\n7,8,9\n10,11,\nNaN,1,2\n",
    );
    let err = read_table(&p, &TableOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::MissingValue {
                line: 3,
                column: 2,
                ..
            }
        ),
        "{err}"
    );
    assert_message(
        &err,
        &[
            "missing.csv",
            "line 3, column 2 ('b') (1-based)",
            "missing value \"?\"",
        ],
    );

    let t = read_table(
        &p,
        &csv_opts(CsvOptions {
            drop_missing_rows: true,
            ..Default::default()
        }),
    )
    .unwrap();
    assert_eq!(t.x.dim(), (2, 3));
    assert_eq!(t.x.row(1).to_vec(), [7.0, 8.0, 9.0]);
    // Data rows 1, 3 and 4 (0-based; header and blank lines not counted) were dropped.
    assert_eq!(t.dropped_rows, [1, 3, 4]);

    // Empty last field: reported with its column.
    let p = write(&dir, "empty_field.csv", "1,2,3\n4,5,\n");
    assert_message(
        &read_table(&p, &TableOptions::default()).unwrap_err(),
        &[
            "empty_field.csv",
            "line 2, column 3 (1-based)",
            "missing value \"\"",
        ],
    );

    // Every row dropped.
    let p = write(&dir, "all_missing.csv", "1,?\n?,2\n");
    let err = read_table(
        &p,
        &csv_opts(CsvOptions {
            drop_missing_rows: true,
            ..Default::default()
        }),
    )
    .unwrap_err();
    assert_message(
        &err,
        &["all_missing.csv", "all 2 data rows have missing values"],
    );
}

#[test]
fn ragged_rows_empty_files_and_bad_numbers_are_errors() {
    let dir = temp_dir("csv-bad");
    let p = write(&dir, "ragged.csv", "1,2,3\n4,5,6\n\n7,8\n");
    let err = read_table(&p, &TableOptions::default()).unwrap_err();
    assert!(matches!(
        err,
        DataError::Ragged {
            line: 4,
            expected: 3,
            found: 2,
            ..
        }
    ));
    assert_message(
        &err,
        &[
            "ragged.csv",
            "line 4: expected 3 fields (as on line 1), found 2",
        ],
    );

    let p = write(&dir, "ragged_header.csv", "a,b\n1,2\n3,4,5\n");
    assert_message(
        &read_table(&p, &TableOptions::default()).unwrap_err(),
        &[
            "ragged_header.csv",
            "line 3: expected 2 fields (as on line 1), found 3",
        ],
    );

    for (name, text, needle) in [
        ("empty.csv", "", "the file is empty"),
        ("blank.csv", "\n  \n# only a comment\n", "no data lines"),
        ("header_only.csv", "a,b,c\n", "only a header on line 1"),
    ] {
        let p = write(&dir, name, text);
        let err = read_table(&p, &TableOptions::default()).unwrap_err();
        assert!(matches!(err, DataError::Empty { .. }), "{name}: {err}");
        assert_message(&err, &[name, needle]);
    }

    let p = write(&dir, "word.csv", "1,2\n3,abc\n");
    assert_message(
        &read_table(&p, &TableOptions::default()).unwrap_err(),
        &[
            "word.csv",
            "line 2, column 2 (1-based)",
            "cannot read \"abc\" as a number",
        ],
    );

    let p = write(&dir, "inf.csv", "x,y\n1,2\n-inf,4\n");
    assert_message(
        &read_table(&p, &TableOptions::default()).unwrap_err(),
        &["inf.csv", "line 3, column 1 ('x') (1-based)", "infinite"],
    );

    let mut bytes = b"1,2\n3,".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    let p = dir.join("binary.csv");
    std::fs::write(&p, bytes).unwrap();
    assert_message(
        &read_table(&p, &TableOptions::default()).unwrap_err(),
        &["binary.csv", "line 2", "UTF-8"],
    );
}

#[test]
fn label_columns() {
    let dir = temp_dir("csv-labels");
    let p = write(&dir, "labelled.csv", "f1,f2,label\n1,2,0\n3,4,1\n5,6,0\n");
    let t = read_table(
        &p,
        &csv_opts(CsvOptions {
            label_column: Some(-1),
            ..Default::default()
        }),
    )
    .unwrap();
    assert_eq!(t.x.dim(), (3, 2));
    assert_eq!(t.y, Some(vec![0, 1, 0]));
    let t = read_table(
        &p,
        &csv_opts(CsvOptions {
            label_column: Some(2),
            ..Default::default()
        }),
    )
    .unwrap();
    assert_eq!(t.y, Some(vec![0, 1, 0]));
    let t = read_table(
        &p,
        &csv_opts(CsvOptions {
            label_column: Some(0),
            ..Default::default()
        }),
    );
    assert_message(
        &t.unwrap_err(),
        &[
            "labelled.csv",
            "label column",
            "entry 1 (0-based) is 3",
            "0 (normal) or 1 (anomaly)",
        ],
    );
    let err = read_table(
        &p,
        &csv_opts(CsvOptions {
            label_column: Some(5),
            ..Default::default()
        }),
    )
    .unwrap_err();
    assert_message(
        &err,
        &[
            "labelled.csv",
            "label column",
            "the file has 3 columns",
            "found 5",
        ],
    );
    let err = read_table(
        &p,
        &csv_opts(CsvOptions {
            label_column: Some(-4),
            ..Default::default()
        }),
    )
    .unwrap_err();
    assert_message(&err, &["label column", "found -4"]);
}

fn arrhythmia() -> PathBuf {
    shared_data("uci_arrhythmia/arrhythmia.data")
}

#[test]
fn uci_arrhythmia_without_dropping_names_the_first_missing_value() {
    let p = arrhythmia();
    let err = read_table(
        &p,
        &csv_opts(CsvOptions {
            label_column: Some(-1),
            ..Default::default()
        }),
    )
    .unwrap_err();
    // Line 1, field 14 (1-based) is the first '?' in the file.
    assert!(
        matches!(
            err,
            DataError::MissingValue {
                line: 1,
                column: 14,
                ..
            }
        ),
        "{err}"
    );
    assert_message(
        &err,
        &[
            "arrhythmia.data",
            "line 1, column 14 (1-based)",
            "missing value \"?\"",
        ],
    );
}

#[test]
fn uci_arrhythmia_drops_rows_with_missing_values() {
    let p = arrhythmia();
    let opts = TableOptions {
        csv: CsvOptions {
            drop_missing_rows: true,
            label_column: Some(-1),
            ..Default::default()
        },
        labels: LabelRule::NormalClasses(vec![1]),
        ..TableOptions::default()
    };
    let t = read_table(&p, &opts).unwrap();
    // 452 rows, 384 of them with a '?' (counted with awk); 280 fields minus the label.
    assert_eq!(t.x.dim(), (68, 279));
    assert_eq!(t.dropped_rows.len(), 384);
    assert_eq!(t.y.as_ref().unwrap().len(), 68);

    // Class codes 1..16 are not 0/1 labels: the default rule says so, naming the entry.
    let strict = TableOptions {
        labels: LabelRule::Binary,
        ..opts
    };
    let err = read_table(&p, &strict).unwrap_err();
    assert_message(
        &err,
        &[
            "arrhythmia.data",
            "label column",
            "(0-based) is",
            "0 (normal) or 1 (anomaly)",
        ],
    );
}

#[test]
fn uci_arrhythmia_with_missing_columns_dropped_equals_the_odds_file() {
    // ODDS built arrhythmia.mat from this file by removing the 5 columns with missing values
    // and marking classes 3,4,5,7,8,9,14,15 as anomalies (shared/data/README.md).
    let p = arrhythmia();
    let opts = TableOptions {
        csv: CsvOptions {
            drop_missing_columns: true,
            label_column: Some(-1),
            ..Default::default()
        },
        labels: LabelRule::AnomalyClasses(vec![3, 4, 5, 7, 8, 9, 14, 15]),
        ..TableOptions::default()
    };
    let t = read_table(&p, &opts).unwrap();
    assert_eq!(t.dropped_columns, [10, 11, 12, 13, 14]);
    let odds = read_table(
        &shared_data("odds/arrhythmia.mat"),
        &TableOptions::default(),
    )
    .unwrap();
    assert_eq!(t.x.dim(), (452, 274));
    assert!(t
        .x
        .iter()
        .zip(odds.x.iter())
        .all(|(a, b)| a.to_bits() == b.to_bits()));
    assert_eq!(t.y, odds.y);
    assert_eq!(t.y.unwrap().iter().filter(|&&v| v == 1).count(), 66);
}
