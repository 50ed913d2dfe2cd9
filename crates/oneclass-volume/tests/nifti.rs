//! NIfTI-1 against files written by nibabel 5.4 (`scripts/nifti_fixtures.py`): data, affine and
//! every header field read exactly; a re-written file is byte-identical; a new image gets the
//! header nibabel writes; round trips (.nii, .nii.gz, big-endian) are bit-exact; malformed files
//! give errors naming the file and the field.

use std::path::{Path, PathBuf};

use oneclass_volume::nifti::{NiftiHeader, NiftiImage, VoxelData, HEADER_SIZE};
use oneclass_volume::{Mask, Volume, VolumeError};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn expected() -> Value {
    let path = fixtures().join("nibabel.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn decompressed(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let raw = std::fs::read(path).unwrap();
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out).unwrap();
        out
    } else {
        raw
    }
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// The header fields as nibabel stored them, compared one by one (exactly).
fn check_header(name: &str, h: &NiftiHeader, want: &Value) {
    let f = |k: &str| want["header"][k].clone();
    let num = |k: &str| f(k).as_f64().unwrap_or_else(|| panic!("{name}: field {k}"));
    assert_eq!(h.sizeof_hdr as f64, num("sizeof_hdr"), "{name}");
    assert_eq!(h.dim.iter().map(|&d| d as f64).collect::<Vec<_>>(), f64s(&f("dim")), "{name}: dim");
    assert_eq!(h.datatype as f64, num("datatype"), "{name}: datatype");
    assert_eq!(h.bitpix as f64, num("bitpix"), "{name}: bitpix");
    assert_eq!(h.pixdim.iter().map(|&d| d as f64).collect::<Vec<_>>(), f64s(&f("pixdim")), "{name}: pixdim");
    for (k, v) in [
        ("vox_offset", h.vox_offset),
        ("scl_slope", h.scl_slope),
        ("scl_inter", h.scl_inter),
        ("quatern_b", h.quatern_b),
        ("quatern_c", h.quatern_c),
        ("quatern_d", h.quatern_d),
        ("qoffset_x", h.qoffset_x),
        ("qoffset_y", h.qoffset_y),
        ("qoffset_z", h.qoffset_z),
        ("cal_max", h.cal_max),
        ("cal_min", h.cal_min),
    ] {
        assert_eq!(v as f64, num(k), "{name}: {k}");
    }
    for (k, v) in [("qform_code", h.qform_code), ("sform_code", h.sform_code), ("intent_code", h.intent_code), ("slice_start", h.slice_start), ("slice_end", h.slice_end)] {
        assert_eq!(v as f64, num(k), "{name}: {k}");
    }
    assert_eq!(h.xyzt_units as f64, num("xyzt_units"), "{name}: xyzt_units");
    for (k, row) in [("srow_x", h.srow_x), ("srow_y", h.srow_y), ("srow_z", h.srow_z)] {
        assert_eq!(row.iter().map(|&d| d as f64).collect::<Vec<_>>(), f64s(&f(k)), "{name}: {k}");
    }
    assert_eq!(h.magic.iter().map(|&b| b as f64).collect::<Vec<_>>(), f64s(&f("magic")), "{name}: magic");
}

#[test]
fn reads_nibabel_files_exactly() {
    let exp = expected();
    let cases = exp.as_object().unwrap();
    assert_eq!(cases.len(), 4, "fixture set changed");
    for (name, want) in cases {
        let path = fixtures().join(name);
        let img = NiftiImage::read(&path).unwrap();
        check_header(name, &img.header, want);
        let shape: Vec<usize> = want["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        assert_eq!(img.shape(), shape, "{name}");
        assert_eq!(img.data.raw_f64(), f64s(&want["raw"]), "{name}: raw voxels");
        // nibabel scales in float64: slope · raw + intercept, the same operations.
        assert_eq!(img.scaled(), f64s(&want["scaled"]), "{name}: scaled voxels");
        let affine: Vec<f64> = img.affine().iter().flatten().copied().collect();
        let want_affine: Vec<f64> = want["affine"].as_array().unwrap().iter().flat_map(f64s).collect();
        assert_eq!(affine, want_affine, "{name}: affine");
        // Writing back what was read reproduces the file byte for byte.
        let bytes = decompressed(&path);
        assert_eq!(bytes.len() as u64, want["file_bytes"].as_u64().unwrap());
        assert_eq!(img.to_bytes().unwrap(), bytes, "{name}: re-written bytes differ");
    }
}

/// A new image from (data, affine) gets the header nibabel wrote for the same input: every
/// byte equal except the quaternion, computed by a different route (equal to 1e-6).
#[test]
fn new_images_get_nibabels_header() {
    let exp = expected();
    for (name, want) in exp.as_object().unwrap() {
        let nib = NiftiImage::read(&fixtures().join(name)).unwrap();
        let affine: Vec<f64> = want["affine"].as_array().unwrap().iter().flat_map(f64s).collect();
        let affine: [[f64; 4]; 4] = std::array::from_fn(|i| std::array::from_fn(|j| affine[4 * i + j]));
        let mut ours = NiftiImage::new(&nib.shape(), nib.data.clone(), &affine).unwrap();
        if nib.header.scaling().is_some() {
            ours = ours.with_scaling(nib.header.scl_slope, nib.header.scl_inter);
        }
        let (a, b) = (ours.to_bytes().unwrap(), nib.to_bytes().unwrap());
        assert_eq!(a.len(), b.len(), "{name}");
        for i in 0..a.len() {
            if (256..268).contains(&i) {
                continue;
            }
            assert_eq!(a[i], b[i], "{name}: byte {i} differs from nibabel's header");
        }
        for (q, r) in [(ours.header.quatern_b, nib.header.quatern_b), (ours.header.quatern_c, nib.header.quatern_c), (ours.header.quatern_d, nib.header.quatern_d)] {
            assert!((q - r).abs() <= 1e-6, "{name}: quaternion {q} vs nibabel {r}");
        }
    }
}

#[test]
fn round_trips_are_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    // Entries exact in f32 (the header stores the sform as float32).
    let affine = [[-0.875, 0.0, 0.125, 90.0], [0.0, 1.125, 0.0, -126.0], [0.0625, 0.0, 1.0, -72.0], [0.0, 0.0, 0.0, 1.0]];
    let n = 7 * 5 * 3;
    let datas = [
        VoxelData::U8((0..n).map(|i| (i * 37 % 256) as u8).collect()),
        VoxelData::I16((0..n).map(|i| (i as i16 - 50) * 611).collect()),
        VoxelData::F32((0..n).map(|i| (i as f32 * 0.37).sin() * 1e3 + f32::EPSILON).collect()),
        VoxelData::F64((0..n).map(|i| (i as f64 * 0.37).cos() / 3.0).collect()),
    ];
    for data in datas {
        for (file, big) in [("a.nii", false), ("b.nii.gz", false), ("c.nii", true), ("d.nii.gz", true)] {
            let mut img = NiftiImage::new(&[7, 5, 3], data.clone(), &affine).unwrap().with_scaling(2.5, -1.0);
            img.header.big_endian = big;
            let path = dir.path().join(file);
            img.write(&path).unwrap();
            let back = NiftiImage::read(&path).unwrap();
            assert_eq!(back, img, "{file} {:?}", data.data_type());
            let bytes = decompressed(&path);
            assert_eq!(&bytes[..4], if big { &[0, 0, 1, 92][..] } else { &[92, 1, 0, 0][..] }, "sizeof_hdr byte order");
        }
    }
    // Volumes and masks through files.
    let vol = Volume::new([4, 3, 2], (0..24).map(|i| i as f32 * 0.25 - 1.0).collect(), affine).unwrap();
    let p = dir.path().join("v.nii.gz");
    vol.write(&p).unwrap();
    assert_eq!(Volume::read(&p).unwrap(), vol);
    let mask = Mask::new([4, 3, 2], (0..24).map(|i| i % 3 == 0).collect()).unwrap();
    let p = dir.path().join("m.nii");
    mask.write(&p, &affine).unwrap();
    assert_eq!(Mask::read(&p).unwrap(), mask);
}

fn error_of(bytes: &[u8], file: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    std::fs::write(&path, bytes).unwrap();
    let err = NiftiImage::read(&path).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(file), "error does not name the file: {text}");
    assert!(matches!(err, VolumeError::Nifti { .. }), "{err:?}");
    text
}

#[test]
fn malformed_files_name_the_file_and_field() {
    let good = NiftiImage::new(&[3, 2, 2], VoxelData::I16(vec![1; 12]), &oneclass_volume::IDENTITY_AFFINE).unwrap().to_bytes().unwrap();
    let edit = |at: usize, with: &[u8]| {
        let mut b = good.clone();
        b[at..at + with.len()].copy_from_slice(with);
        b
    };
    assert!(error_of(&good[..100], "short.nii").contains("`sizeof_hdr`"));
    assert!(error_of(&edit(0, &123i32.to_le_bytes()), "size.nii").contains("`sizeof_hdr`: 123"));
    assert!(error_of(&edit(0, &540i32.to_le_bytes()), "v2.nii").contains("NIfTI-2"));
    assert!(error_of(&edit(344, b"ni1\0"), "pair.nii").contains("`magic`"));
    assert!(error_of(&edit(344, b"abcd"), "magic.nii").contains("`magic`"));
    assert!(error_of(&edit(70, &8i16.to_le_bytes()), "int32.nii").contains("`datatype`: code 8"));
    assert!(error_of(&edit(72, &32i16.to_le_bytes()), "bitpix.nii").contains("`bitpix`"));
    assert!(error_of(&edit(40, &0i16.to_le_bytes()), "rank.nii").contains("`dim`"));
    assert!(error_of(&edit(42, &(-3i16).to_le_bytes()), "negdim.nii").contains("`dim`"));
    assert!(error_of(&edit(108, &100f32.to_le_bytes()), "offset.nii").contains("`vox_offset`"));
    assert!(error_of(&good[..good.len() - 1], "truncated.nii").contains("`data`"));
    assert!(error_of(&[0x1f, 0x8b, 8, 0, 1, 2, 3], "broken.nii.gz").contains("`gzip stream`"));
    // A 4-D series is not a volume.
    let series = NiftiImage::new(&[3, 2, 2, 2], VoxelData::U8(vec![0; 24]), &oneclass_volume::IDENTITY_AFFINE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("series.nii");
    series.write(&p).unwrap();
    let e = Volume::read(&p).unwrap_err().to_string();
    assert!(e.contains("series.nii") && e.contains("`dim`"), "{e}");
    assert_eq!(HEADER_SIZE, 348);
}
