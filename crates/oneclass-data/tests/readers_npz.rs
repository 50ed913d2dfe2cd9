//! .npz archives: NumPy-written (stored and deflated), ADBench files, and our own writer.

mod readers_support;

use oneclass_data::{
    npz_names, read_npz, read_npz_array, read_table, write_npz, DataError, NpyArray, NpyData,
    TableOptions,
};
use readers_support::*;

#[test]
fn numpy_savez_and_savez_compressed_both_read() {
    let exp = expected();
    for name in ["stored.npz", "deflated.npz"] {
        let arrays = read_npz(&fixture(name)).unwrap();
        let names: Vec<&str> = arrays.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["X", "y"], "{name}");
        assert_array_matches(&arrays[0].1, &exp["npz"]["X"], name);
        assert_array_matches(&arrays[1].1, &exp["npz"]["y"], name);
    }
    assert_eq!(npz_names(&fixture("deflated.npz")).unwrap(), ["X", "y"]);
    let y = read_npz_array(&fixture("deflated.npz"), "y").unwrap();
    assert_eq!(y.data, NpyData::I64(vec![0, 0, 1, 0, 1, 0]));
}

#[test]
fn adbench_files_load_with_their_labels() {
    // Reference: 14_glass 214x7 with 9 anomalies, 42_WBC 223x9 with 10, 29_Pima 768x8 with 268
    // (NumPy 2.4 np.load; y is int32 there).
    check_real("adbench/14_glass.npz");
    check_real("adbench/42_WBC.npz");
    check_real("adbench/29_Pima.npz");
}

#[test]
fn write_then_read_round_trips_every_dtype() {
    let dir = temp_dir("npz-roundtrip");
    let x = NpyArray::from_f64(vec![3, 2], vec![1.0, -2.5, 1e-300, f64::MAX, -0.0, 7.0]).unwrap();
    let y = NpyArray::from_u8(vec![3], vec![0, 1, 0]).unwrap();
    let img =
        NpyArray::from_f32(vec![2, 1, 2, 2], (0..8).map(|i| i as f32 * 0.25).collect()).unwrap();
    let mask = NpyArray::from_bool(vec![2], vec![true, false]).unwrap();
    let ids = NpyArray::from_i64(vec![2, 1], vec![i64::MIN, 42]).unwrap();
    let arrays = [
        ("X", &x),
        ("y", &y),
        ("images", &img),
        ("mask", &mask),
        ("ids", &ids),
    ];
    let out = dir.join("out.npz");
    write_npz(&out, &arrays).unwrap();
    let back = read_npz(&out).unwrap();
    assert_eq!(back.len(), arrays.len());
    for ((name, a), (bname, b)) in arrays.iter().zip(&back) {
        assert_eq!(name, bname);
        assert_eq!(&a.shape, &b.shape);
        match (&a.data, &b.data) {
            (NpyData::F64(u), NpyData::F64(v)) => {
                assert!(u.iter().zip(v).all(|(p, q)| p.to_bits() == q.to_bits()))
            }
            (u, v) => assert_eq!(u, v),
        }
    }
}

#[test]
fn writing_is_deterministic() {
    let dir = temp_dir("npz-deterministic");
    let x = NpyArray::from_f64(vec![50, 4], (0..200).map(|i| (i as f64).sin()).collect()).unwrap();
    let y = NpyArray::from_u8(vec![50], (0..50).map(|i| (i % 7 == 0) as u8).collect()).unwrap();
    write_npz(&dir.join("a.npz"), &[("X", &x), ("y", &y)]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100)); // a later wall-clock second
    write_npz(&dir.join("b.npz"), &[("X", &x), ("y", &y)]).unwrap();
    assert_eq!(
        std::fs::read(dir.join("a.npz")).unwrap(),
        std::fs::read(dir.join("b.npz")).unwrap()
    );
}

#[test]
fn bad_names_are_refused_and_leave_no_file() {
    let dir = temp_dir("npz-badnames");
    let x = NpyArray::from_u8(vec![1], vec![1]).unwrap();
    let out = dir.join("dup.npz");
    let err = write_npz(&out, &[("X", &x), ("X", &x)]).unwrap_err();
    assert_message(&err, &["dup.npz", "array name 'X'", "twice"]);
    let err = write_npz(&out, &[("a/b", &x)]).unwrap_err();
    assert_message(&err, &["dup.npz", "array name #0", "slashes"]);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "no file or temp left"
    );
}

#[test]
fn missing_array_names_the_file_the_array_and_what_exists() {
    let p = fixture("no_x.npz");
    let err = read_table(&p, &TableOptions::default()).unwrap_err();
    assert!(matches!(err, DataError::MissingArray { .. }));
    assert_message(&err, &["no_x.npz", "array 'X' not found", "'data', 'y'"]);
    let err = read_npz_array(&p, "labels").unwrap_err();
    assert_message(&err, &["no_x.npz", "'labels' not found"]);
    // Another name for X works.
    let opts = TableOptions {
        x_name: "data".into(),
        ..TableOptions::default()
    };
    let t = read_table(&p, &opts).unwrap();
    assert_eq!(t.x.dim(), (6, 3));
}

#[test]
fn labels_in_the_container_are_checked() {
    let err = read_table(&fixture("y_wrong_length.npz"), &TableOptions::default()).unwrap_err();
    assert_message(
        &err,
        &[
            "y_wrong_length.npz",
            "array 'y'",
            "6 labels",
            "found 5 labels",
        ],
    );
    let err = read_table(&fixture("y_bad_values.npz"), &TableOptions::default()).unwrap_err();
    assert!(matches!(err, DataError::BadLabel { index: 2, .. }));
    assert_message(
        &err,
        &[
            "y_bad_values.npz",
            "array 'y'",
            "entry 2 (0-based) is 3",
            "0 (normal) or 1 (anomaly)",
        ],
    );
}

#[test]
fn corrupt_archives_are_errors() {
    let dir = temp_dir("npz-corrupt");
    let good = std::fs::read(fixture("deflated.npz")).unwrap();

    let p = dir.join("cut.npz");
    std::fs::write(&p, &good[..good.len() / 2]).unwrap();
    assert_message(&read_npz(&p).unwrap_err(), &["cut.npz", "zip archive"]);

    let p = dir.join("text.npz");
    std::fs::write(&p, b"hello, this is not a zip file").unwrap();
    assert_message(
        &read_npz(&p).unwrap_err(),
        &["text.npz", "not a readable .npz"],
    );

    let p = dir.join("empty.npz");
    std::fs::write(&p, b"").unwrap();
    assert_message(&read_npz(&p).unwrap_err(), &["empty.npz", "empty"]);

    // Damage the compressed bytes of the first member (they start after the 30-byte local
    // header and the 5-byte name "X.npy"); inflate or the CRC check must fail.
    let mut bad = good.clone();
    for b in &mut bad[40..60] {
        *b ^= 0x5a;
    }
    let p = dir.join("damaged.npz");
    std::fs::write(&p, &bad).unwrap();
    let err = read_npz(&p).unwrap_err();
    assert_message(&err, &["damaged.npz", "member 'X.npy'", "cannot read"]);

    let p = dir.join("missing.npz");
    assert_message(
        &read_npz(&p).unwrap_err(),
        &["missing.npz", "cannot open for reading"],
    );
}
