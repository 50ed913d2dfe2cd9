//! MATLAB v5 .mat files: SciPy-written fixtures, hand-made edge cases and the ODDS files.

mod readers_support;

use oneclass_data::mat::MAT_V73_MESSAGE;
use oneclass_data::{
    read_labels, read_mat, read_mat_array, read_mat_contents, read_table, DataError, NpyData,
    TableOptions,
};
use readers_support::*;

#[test]
fn scipy_savemat_plain_and_compressed_read_to_the_expected_values() {
    let exp = expected();
    let mat = exp["mat"].as_object().unwrap();
    for file in ["v5_plain.mat", "v5_compressed.mat"] {
        let contents = read_mat_contents(&fixture(file)).unwrap_or_else(|e| panic!("{e}"));
        for (name, e) in mat {
            if name.starts_with("double_as_uint8") {
                continue;
            }
            let a = &contents
                .arrays
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("{file}: variable {name} not read"))
                .1;
            assert_array_matches(a, e, &format!("{file}:{name}"));
        }
        let mut skipped: Vec<(String, String)> = contents.skipped.clone();
        skipped.sort();
        assert_eq!(
            skipped,
            [
                ("cellvar", "a cell array"),
                ("charvar", "a char array"),
                ("complexvar", "a complex array"),
                ("sparsevar", "a sparse matrix"),
                ("structvar", "a struct"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
    }
}

#[test]
fn asking_for_a_skipped_or_absent_variable_says_why() {
    let p = fixture("v5_compressed.mat");
    let err = read_mat_array(&p, "cellvar").unwrap_err();
    assert!(matches!(err, DataError::Unsupported { .. }));
    assert_message(
        &err,
        &[
            "v5_compressed.mat",
            "variable 'cellvar' is a cell array",
            "numeric",
        ],
    );
    let err = read_mat_array(&p, "sparsevar").unwrap_err();
    assert_message(&err, &["variable 'sparsevar' is a sparse matrix"]);
    let err = read_mat_array(&p, "X").unwrap_err();
    assert_message(
        &err,
        &[
            "v5_compressed.mat",
            "array 'X' not found",
            "'d2'",
            "cellvar (a cell array)",
        ],
    );
    let err = read_table(&p, &TableOptions::default()).unwrap_err();
    assert_message(&err, &["v5_compressed.mat", "'X' not found"]);
}

#[test]
fn doubles_stored_as_uint8_and_big_endian_files_read() {
    // MATLAB stores integer-valued doubles in the smallest integer type; the class stays double.
    let want = NpyData::F64(vec![1.0, 2.0, 250.0, 4.0, 5.0, 6.0]);
    for file in ["double_as_uint8.mat", "big_endian.mat"] {
        let a = read_mat_array(&fixture(file), "X").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.shape, vec![2, 3], "{file}");
        assert_eq!(a.data, want, "{file}");
    }
}

#[test]
fn v73_and_v4_files_are_refused_clearly() {
    let smtp = shared_data("odds/smtp.mat");
    let err = read_mat(&smtp).unwrap_err();
    assert!(matches!(err, DataError::Unsupported { .. }));
    assert_message(&err, &["smtp.mat", MAT_V73_MESSAGE]);
    assert_message(
        &read_table(&smtp, &TableOptions::default()).unwrap_err(),
        &[
            "smtp.mat",
            "MATLAB v7.3 (HDF5) files are not supported; re-save with -v7 or export to .npz",
        ],
    );
    let err = read_mat(&fixture("v4.mat")).unwrap_err();
    assert_message(&err, &["v4.mat", "not a MATLAB v5 MAT-file", "v4"]);
}

#[test]
fn odds_files_load_with_shape_labels_and_values() {
    // Reference numbers from scipy.io.loadmat (SciPy 1.17): arrhythmia 452x274 with 66
    // anomalies, thyroid 3772x6 with 93, breastw 683x9 (X uint8) with 239, shuttle 49097x9
    // (X int16) with 3511.
    check_real("odds/arrhythmia.mat");
    check_real("odds/thyroid.mat");
    check_real("odds/breastw.mat");
    check_real("odds/shuttle.mat");
    let y = read_labels(
        &shared_data("odds/arrhythmia.mat"),
        &TableOptions::default(),
    )
    .unwrap();
    assert_eq!((y.len(), y.iter().filter(|&&v| v == 1).count()), (452, 66));
}

#[test]
fn damaged_files_are_errors() {
    let dir = temp_dir("mat-damaged");
    let bytes = std::fs::read(shared_data("odds/arrhythmia.mat")).unwrap();

    let p = dir.join("cut.mat");
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_mat(&p).unwrap_err();
    assert!(matches!(err, DataError::Truncated { .. }), "{err}");
    assert_message(&err, &["cut.mat", "data element at byte 128", "expected"]);

    let mut bad = bytes.clone();
    for b in &mut bad[200..260] {
        *b = 0xff;
    }
    let p = dir.join("garbled.mat");
    std::fs::write(&p, &bad).unwrap();
    assert_message(
        &read_mat(&p).unwrap_err(),
        &["garbled.mat", "data element at byte 128", "decompress"],
    );

    let p = dir.join("empty.mat");
    std::fs::write(&p, b"").unwrap();
    assert_message(&read_mat(&p).unwrap_err(), &["empty.mat", "empty"]);

    let p = dir.join("short.mat");
    std::fs::write(&p, &bytes[..100]).unwrap();
    assert_message(
        &read_mat(&p).unwrap_err(),
        &[
            "short.mat",
            "MAT-file header",
            "expected 128 bytes of data, found 100",
        ],
    );
}

#[test]
fn xy_mat_gives_table_and_labels() {
    let exp = expected();
    let t = read_table(&fixture("xy.mat"), &TableOptions::default()).unwrap();
    let want = expected_f64(&exp["npz"]["X"]);
    assert_eq!(t.x.dim(), (6, 3));
    assert!(t
        .x
        .iter()
        .zip(&want)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
    assert_eq!(t.y, Some(vec![0, 0, 1, 0, 1, 0]));
}
