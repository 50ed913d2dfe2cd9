//! .npy reading and writing against files written by NumPy 2.4 (scripts/make_reader_fixtures.py).

mod readers_support;

use std::io::Write;

use oneclass_data::{read_npy, read_npy_from, write_npy, DataError, NpyArray, NpyData};
use readers_support::*;

#[test]
fn every_numpy_fixture_reads_to_the_expected_values() {
    let exp = expected();
    let npy = exp["npy"].as_object().unwrap();
    assert!(npy.len() >= 20, "expected.json lists the npy fixtures");
    for (name, e) in npy {
        let a = read_npy(&fixture(&format!("{name}.npy")))
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_array_matches(&a, e, name);
    }
}

#[test]
fn fortran_order_and_big_endian_are_converted_to_c_order_native() {
    let c = read_npy(&fixture("f64_c.npy")).unwrap();
    let f = read_npy(&fixture("f64_fortran.npy")).unwrap();
    let be = read_npy(&fixture("f64_big_endian.npy")).unwrap();
    let v2 = read_npy(&fixture("f64_v2.npy")).unwrap();
    let v3 = read_npy(&fixture("f64_v3.npy")).unwrap();
    for other in [&f, &be, &v2, &v3] {
        assert_eq!(other.shape, c.shape);
        let (NpyData::F64(a), NpyData::F64(b)) = (&c.data, &other.data) else {
            panic!("expected f64 data");
        };
        assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()));
    }
}

#[test]
fn writing_numpy_c_order_arrays_reproduces_numpy_bytes_exactly() {
    // np.save output for little-endian C-order arrays: v1.0 header padded to 64 bytes.
    let dir = temp_dir("npy-bytes");
    for name in [
        "f64_c",
        "f32_c",
        "u8_c",
        "i64_c",
        "bool_1d",
        "i8_c",
        "u16_c",
        "i32_c",
        "u32_c",
        "u64_c",
        "f64_1d",
        "f64_scalar",
        "f64_empty_rows",
        "u8_images_nchw",
    ] {
        let src = fixture(&format!("{name}.npy"));
        let a = read_npy(&src).unwrap();
        let out = dir.join(format!("{name}.npy"));
        write_npy(&out, &a).unwrap();
        assert_eq!(
            std::fs::read(&out).unwrap(),
            std::fs::read(&src).unwrap(),
            "{name}: bytes differ from numpy's"
        );
    }
}

#[test]
fn round_trips_are_bit_identical() {
    let dir = temp_dir("npy-roundtrip");
    let specials = vec![
        0.0,
        -0.0,
        f64::MIN_POSITIVE / 8.0, // subnormal
        f64::MAX,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::from_bits(0x7ff8_0000_0000_1234), // NaN with a payload
        std::f64::consts::PI,
    ];
    let a = NpyArray::from_f64(vec![2, 4], specials.clone()).unwrap();
    write_npy(&dir.join("f64.npy"), &a).unwrap();
    let back = read_npy(&dir.join("f64.npy")).unwrap();
    assert_eq!(back.shape, vec![2, 4]);
    let NpyData::F64(v) = back.data else {
        panic!("dtype")
    };
    assert!(v
        .iter()
        .zip(&specials)
        .all(|(x, y)| x.to_bits() == y.to_bits()));

    let f: Vec<f32> = vec![1.5, -0.0, f32::MIN_POSITIVE / 4.0, f32::NAN, 3.0e38, -7.25];
    let a = NpyArray::from_f32(vec![3, 2], f.clone()).unwrap();
    write_npy(&dir.join("f32.npy"), &a).unwrap();
    let NpyData::F32(v) = read_npy(&dir.join("f32.npy")).unwrap().data else {
        panic!("dtype")
    };
    assert!(v.iter().zip(&f).all(|(x, y)| x.to_bits() == y.to_bits()));

    let bytes: Vec<u8> = (0..=255).collect();
    let a = NpyArray::from_u8(vec![4, 8, 8], bytes.clone()).unwrap();
    write_npy(&dir.join("u8.npy"), &a).unwrap();
    let back = read_npy(&dir.join("u8.npy")).unwrap();
    assert_eq!(back.shape, vec![4, 8, 8]);
    assert_eq!(back.data, NpyData::U8(bytes));

    let ints = vec![i64::MIN, -1, 0, 1, i64::MAX];
    let a = NpyArray::from_i64(vec![5], ints.clone()).unwrap();
    write_npy(&dir.join("i64.npy"), &a).unwrap();
    assert_eq!(
        read_npy(&dir.join("i64.npy")).unwrap().data,
        NpyData::I64(ints)
    );
}

#[test]
fn shared_ocsvm_fixture_reads() {
    // Values printed by NumPy 2.4 (float.hex) for /work/shared/fixtures/ocsvm/X_test_d2.npy.
    let a = read_npy(&shared_fixture("ocsvm/X_test_d2.npy")).unwrap();
    assert_eq!(a.shape, vec![10000, 2]);
    let v = a.to_f64();
    // Shortest round-trip decimals (Python repr) of the first and last rows: exact equality.
    assert_eq!(v[0], -4.990911498590062);
    assert_eq!(v[1], -1.4350037517255485);
    assert_eq!(v[19998], -0.7049283682107416);
    assert_eq!(v[19999], 2.6413647826288082);
    let sum: f64 = v.iter().sum();
    assert!((sum - 19965.5683112793).abs() < 1e-8, "sum {sum}");
}

#[test]
fn read_npy_from_a_reader_names_the_source_in_errors() {
    let bytes = std::fs::read(fixture("f32_c.npy")).unwrap();
    let a = read_npy_from(&bytes[..], "in-memory.npy").unwrap();
    assert_eq!(a.shape, vec![2, 5]);
    let err = read_npy_from(&bytes[..bytes.len() - 3], "in-memory.npy").unwrap_err();
    assert_message(
        &err,
        &["in-memory.npy", "expected 40 bytes of data, found 37"],
    );
}

fn write_bytes(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p
}

#[test]
fn truncated_data_is_an_error_with_byte_counts() {
    let dir = temp_dir("npy-truncated");
    let bytes = std::fs::read(fixture("f64_c.npy")).unwrap();
    let p = write_bytes(&dir, "cut.npy", &bytes[..bytes.len() - 5]);
    let err = read_npy(&p).unwrap_err();
    assert!(matches!(
        err,
        DataError::Truncated {
            expected: 96,
            found: 91,
            ..
        }
    ));
    assert_message(
        &err,
        &[
            "cut.npy",
            "npy data",
            "float64 (3, 4)",
            "expected 96 bytes of data, found 91",
        ],
    );

    // Cut inside the header.
    let p = write_bytes(&dir, "cut_header.npy", &bytes[..40]);
    let err = read_npy(&p).unwrap_err();
    assert_message(
        &err,
        &[
            "cut_header.npy",
            "npy header",
            "expected 118 bytes of data, found 30",
        ],
    );

    // Extra bytes after the data are not silently ignored.
    let mut long = bytes.clone();
    long.extend_from_slice(&[0u8; 8]);
    let p = write_bytes(&dir, "long.npy", &long);
    assert_message(
        &read_npy(&p).unwrap_err(),
        &["long.npy", "npy data", "expected 96 bytes", "found 104"],
    );
}

#[test]
fn wrong_magic_empty_file_and_bad_headers_are_errors() {
    let dir = temp_dir("npy-bad");
    let p = write_bytes(&dir, "magic.npy", b"PK\x03\x04 not an npy file at all");
    assert_message(
        &read_npy(&p).unwrap_err(),
        &["magic.npy", "npy header", "magic"],
    );

    let p = write_bytes(&dir, "empty.npy", b"");
    let err = read_npy(&p).unwrap_err();
    assert!(matches!(err, DataError::Empty { .. }));
    assert_message(&err, &["empty.npy", "empty"]);

    let header = |dict: &str| {
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        b.extend_from_slice(dict.as_bytes());
        b.extend_from_slice(&[0u8; 16]);
        b
    };
    let cases = [
        (
            "no_shape.npy",
            "{'descr': '<f8', 'fortran_order': False, }\n",
            "'shape' is missing",
        ),
        (
            "neg.npy",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }\n",
            "negative",
        ),
        (
            "extra_key.npy",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}\n",
            "unexpected key 'x'",
        ),
        ("not_dict.npy", "['descr']\n", "expected a Python dict"),
        (
            "bad_descr.npy",
            "{'descr': '<q9', 'fortran_order': False, 'shape': (2,), }\n",
            "'<q9'",
        ),
        (
            "fortran_str.npy",
            "{'descr': '<f8', 'fortran_order': 'no', 'shape': (2,), }\n",
            "fortran_order",
        ),
        (
            "trailing.npy",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), } junk\n",
            "after the header dict",
        ),
    ];
    for (name, dict, needle) in cases {
        let p = write_bytes(&dir, name, &header(dict));
        let err = read_npy(&p).unwrap_err();
        assert_message(&err, &[name, "npy header", needle]);
    }

    let mut v9 = std::fs::read(fixture("f64_c.npy")).unwrap();
    v9[6] = 9;
    let p = write_bytes(&dir, "v9.npy", &v9);
    assert_message(
        &read_npy(&p).unwrap_err(),
        &["v9.npy", "version 9.0", "1.0, 2.0 or 3.0"],
    );
}

#[test]
fn unsupported_dtypes_are_clear_errors() {
    for (name, needle) in [
        ("object_dtype.npy", "Python objects"),
        ("structured_dtype.npy", "structured"),
        ("f16.npy", "float16"),
        ("complex.npy", "complex"),
    ] {
        let err = read_npy(&fixture(name)).unwrap_err();
        assert!(
            matches!(err, DataError::Unsupported { .. }),
            "{name}: {err}"
        );
        assert_message(&err, &[name, "not supported", needle]);
    }
}

#[test]
fn constructors_check_the_shape() {
    let err = NpyArray::from_f64(vec![2, 3], vec![0.0; 5]).unwrap_err();
    assert_message(&err, &["[2, 3]", "6 values", "5 were given"]);
    let bad = NpyArray {
        shape: vec![4],
        data: NpyData::U8(vec![1, 2]),
    };
    let dir = temp_dir("npy-inconsistent");
    let out = dir.join("bad.npy");
    assert_message(
        &write_npy(&out, &bad).unwrap_err(),
        &["bad.npy", "4 values for shape (4,)"],
    );
    assert!(!out.exists());
}

#[test]
fn eight_bit_images_are_read_in_unit_range_and_tables_as_they_are() {
    let images = NpyArray::from_u8(vec![2, 1, 2, 2], vec![0, 51, 255, 102, 1, 2, 3, 4]).unwrap();
    assert!(images.is_8bit_images());
    let v = images.to_model_values();
    assert_eq!(v[..4], [0.0, 0.2, 1.0, 0.4]);
    assert_eq!(v[4], 1.0 / 255.0);
    let gray = NpyArray::from_u8(vec![1, 2, 2], vec![255, 0, 0, 255]).unwrap();
    assert_eq!(gray.to_model_values(), vec![1.0, 0.0, 0.0, 1.0]);
    // A uint8 table (2-D) holds counts or codes, not pixels.
    let table = NpyArray::from_u8(vec![2, 2], vec![0, 7, 255, 3]).unwrap();
    assert!(!table.is_8bit_images());
    assert_eq!(table.to_model_values(), vec![0.0, 7.0, 255.0, 3.0]);
    let floats = NpyArray::from_f32(vec![1, 1, 1, 2], vec![0.5, 3.0]).unwrap();
    assert_eq!(floats.to_model_values(), vec![0.5, 3.0]);
}
