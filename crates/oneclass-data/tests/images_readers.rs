//! Image readers (idx, CIFAR binary, PNG folders) and named datasets, on the real shared data
//! and on small files written here in the official formats.

use std::io::Write;
use std::path::{Path, PathBuf};

use oneclass_data::images::cifar::{read_cifar100, read_cifar10_batch, Cifar100Labels};
use oneclass_data::images::idx::{encode_idx, read_idx, read_idx_images};
use oneclass_data::images::named::{data_dir, load_images, load_table, DatasetName, Split, MNIST_CLASSES};
use oneclass_data::images::png_folder::{read_png_folder, write_png};
use oneclass_data::DataError;

fn shared_data() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    assert!(p.join("mnist").exists(), "test data missing: {} (the shared data folder is required)", p.display());
    p
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oneclass-images-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn mnist_real_files_have_the_published_counts() {
    let dir = shared_data();
    let start = std::time::Instant::now();
    let train = load_images(&DatasetName::Mnist, &dir, Split::Train).unwrap();
    let elapsed = start.elapsed();
    println!("read 60,000 MNIST training images (gzipped idx) in {:.3} s", elapsed.as_secs_f64());
    assert_eq!((train.n, train.c, train.h, train.w), (60_000, 1, 28, 28));
    assert_eq!(train.class_counts(), vec![5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    let test = load_images(&DatasetName::Mnist, &dir, Split::Test).unwrap();
    assert_eq!(test.n, 10_000);
    assert_eq!(test.class_counts()[3], 1010);
    assert_eq!(test.class_counts()[8], 974);
    assert_eq!(test.class_counts()[4], 982);
    // The first training image is a 5; the tensor view is p / 255.
    assert_eq!(train.labels[0], 5);
    let t = train.to_f32();
    assert_eq!(t.shape(), &[60_000, 1, 28, 28]);
    let max = train.pixels[..784].iter().copied().max().unwrap();
    assert_eq!(t.iter().take(784).cloned().fold(0.0f32, f32::max), max as f32 / 255.0);
}

#[test]
fn idx_gzipped_and_plain_read_the_same() {
    let dir = scratch("idx");
    let pixels: Vec<u8> = (0..3 * 4 * 5).map(|i| (i * 7 % 256) as u8).collect();
    let raw = encode_idx(&[3, 4, 5], &pixels);
    std::fs::write(dir.join("img"), &raw).unwrap();
    std::fs::write(dir.join("img.gz"), gzip(&raw)).unwrap();
    std::fs::write(dir.join("lab"), encode_idx(&[3], &[2, 0, 9])).unwrap();
    let plain = read_idx_images(&dir.join("img"), &dir.join("lab"), &MNIST_CLASSES).unwrap();
    let zipped = read_idx_images(&dir.join("img.gz"), &dir.join("lab"), &MNIST_CLASSES).unwrap();
    assert_eq!(plain, zipped);
    assert_eq!((plain.n, plain.h, plain.w), (3, 4, 5));
    assert_eq!(plain.pixels, pixels);
    assert_eq!(plain.labels, vec![2, 0, 9]);
}

fn expect_err(result: Result<impl std::fmt::Debug, DataError>, needles: &[&str]) {
    let msg = result.expect_err("expected an error").to_string();
    for n in needles {
        assert!(msg.contains(n), "error {msg:?} should mention {n:?}");
    }
}

#[test]
fn idx_errors_name_the_problem() {
    let dir = scratch("idx-errors");
    let good = encode_idx(&[2, 2, 2], &[1; 8]);
    // Wrong magic (a labels file where images are expected is fine for read_idx, but type 0x0D is not).
    let mut bad_magic = good.clone();
    bad_magic[2] = 0x0D;
    std::fs::write(dir.join("magic"), &bad_magic).unwrap();
    expect_err(read_idx(&dir.join("magic")), &["magic", "magic number", "0d"]);
    // Short read.
    std::fs::write(dir.join("short"), &good[..good.len() - 3]).unwrap();
    expect_err(read_idx(&dir.join("short")), &["short", "truncated", "expected 8 bytes", "found 5"]);
    // Truncated gzip stream.
    let z = gzip(&good);
    std::fs::write(dir.join("short.gz"), &z[..z.len() / 2]).unwrap();
    assert!(read_idx(&dir.join("short.gz")).is_err());
    // Trailing data.
    let mut long = good.clone();
    long.push(0);
    std::fs::write(dir.join("long"), &long).unwrap();
    expect_err(read_idx(&dir.join("long")), &["trailing"]);
    // Label count differs from image count.
    std::fs::write(dir.join("img"), &good).unwrap();
    std::fs::write(dir.join("lab"), encode_idx(&[3], &[0, 1, 2])).unwrap();
    expect_err(read_idx_images(&dir.join("img"), &dir.join("lab"), &MNIST_CLASSES), &["label count", "expected 2 labels", "found 3"]);
    // Images file given as labels (3 dimensions).
    expect_err(read_idx_images(&dir.join("img"), &dir.join("img"), &MNIST_CLASSES), &["label dimensions"]);
    // Label out of range.
    std::fs::write(dir.join("lab2"), encode_idx(&[2], &[0, 12])).unwrap();
    expect_err(read_idx_images(&dir.join("img"), &dir.join("lab2"), &MNIST_CLASSES), &["entry 1", "12", "below 10"]);
    // Empty file.
    std::fs::write(dir.join("empty"), b"").unwrap();
    expect_err(read_idx(&dir.join("empty")), &["truncated"]);
}

fn cifar10_record(label: u8, seed: u8) -> Vec<u8> {
    let mut r = vec![label];
    r.extend((0..3072).map(|i| (i as u8).wrapping_mul(seed).wrapping_add(label)));
    r
}

#[test]
fn cifar10_batches_read_plain_and_gzipped() {
    let dir = scratch("cifar10");
    let bytes: Vec<u8> = [cifar10_record(3, 1), cifar10_record(9, 5), cifar10_record(0, 7)].concat();
    std::fs::write(dir.join("b.bin"), &bytes).unwrap();
    std::fs::write(dir.join("b.bin.gz"), gzip(&bytes)).unwrap();
    let set = read_cifar10_batch(&dir.join("b.bin")).unwrap();
    assert_eq!(set, read_cifar10_batch(&dir.join("b.bin.gz")).unwrap());
    assert_eq!((set.n, set.c, set.h, set.w), (3, 3, 32, 32));
    assert_eq!(set.labels, vec![3, 9, 0]);
    assert_eq!(set.image(1), &cifar10_record(9, 5)[1..]);
    assert_eq!(set.class_names[3], "cat");
    // Red plane first: pixel (0, 1) of channel 1 (green) is byte 1 + 1024 + 1 of the record.
    let t = set.to_f32();
    assert_eq!(t[[0, 1, 0, 1]], cifar10_record(3, 1)[1 + 1024 + 1] as f32 / 255.0);

    std::fs::write(dir.join("short.bin"), &bytes[..bytes.len() - 10]).unwrap();
    expect_err(read_cifar10_batch(&dir.join("short.bin")), &["short.bin", "truncated", "record 2"]);
    let mut bad = bytes.clone();
    bad[3073] = 10;
    std::fs::write(dir.join("bad.bin"), &bad).unwrap();
    expect_err(read_cifar10_batch(&dir.join("bad.bin")), &["entry 1", "10", "below 10"]);
}

#[test]
fn cifar100_fine_and_coarse_labels() {
    let dir = scratch("cifar100");
    let mut bytes = Vec::new();
    for (coarse, fine) in [(4u8, 51u8), (19, 99), (0, 4)] {
        bytes.extend([coarse, fine]);
        bytes.extend(std::iter::repeat_n(fine, 3072));
    }
    std::fs::write(dir.join("train.bin"), &bytes).unwrap();
    let fine = read_cifar100(&dir.join("train.bin"), Cifar100Labels::Fine).unwrap();
    let coarse = read_cifar100(&dir.join("train.bin"), Cifar100Labels::Coarse).unwrap();
    assert_eq!(fine.labels, vec![51, 99, 4]);
    assert_eq!(coarse.labels, vec![4, 19, 0]);
    assert_eq!(coarse.class_names.len(), 20);
    assert_eq!(coarse.class_names[0], "aquatic_mammals");
    assert_eq!(fine.pixels, coarse.pixels);
    assert!(fine.image(1).iter().all(|&p| p == 99));
    // CIFAR-100 records are 3074 bytes; read as CIFAR-10 (3073) the length no longer divides.
    expect_err(read_cifar10_batch(&dir.join("train.bin")), &["truncated"]);
}

#[test]
fn png_folders_round_trip() {
    let root = scratch("png");
    let grey = |v: u8| -> Vec<u8> { (0..6).map(|i| v.wrapping_add(i)).collect() };
    for (class, values) in [("cat", vec![10u8, 20]), ("dog", vec![30])] {
        std::fs::create_dir_all(root.join(class)).unwrap();
        for (k, v) in values.iter().enumerate() {
            write_png(&root.join(class).join(format!("{k}.png")), 1, 2, 3, &grey(*v)).unwrap();
        }
    }
    std::fs::write(root.join("cat").join("notes.txt"), "ignored").unwrap();
    let set = read_png_folder(&root).unwrap();
    assert_eq!((set.n, set.c, set.h, set.w), (3, 1, 2, 3));
    assert_eq!(set.class_names, vec!["cat", "dog"]);
    assert_eq!(set.labels, vec![0, 0, 1]);
    assert_eq!(set.image(2), &grey(30)[..]);

    // Colour images keep their channel planes.
    let rgb_root = scratch("png-rgb");
    std::fs::create_dir_all(rgb_root.join("a")).unwrap();
    let planes: Vec<u8> = (0..12).collect();
    write_png(&rgb_root.join("a").join("x.png"), 3, 2, 2, &planes).unwrap();
    let rgb = read_png_folder(&rgb_root).unwrap();
    assert_eq!((rgb.c, rgb.h, rgb.w), (3, 2, 2));
    assert_eq!(rgb.pixels, planes);

    // A differently sized image is refused with both sizes named.
    write_png(&root.join("dog").join("big.png"), 1, 3, 3, &[0; 9]).unwrap();
    expect_err(read_png_folder(&root), &["big.png", "image size", "2x3", "3x3"]);
    std::fs::write(root.join("dog").join("broken.png"), b"not a png").unwrap();
    assert!(read_png_folder(&root).is_err());
}

#[test]
fn named_datasets_resolve_and_report_missing_files() {
    let dir = shared_data();
    // Missing Fashion-MNIST: the error names every path looked at.
    let err = load_images(&DatasetName::parse("fashion-mnist").unwrap(), &dir, Split::Train).unwrap_err().to_string();
    assert!(err.contains("fashion-mnist train images") && err.contains("fashion-mnist/train-images-idx3-ubyte.gz"), "{err}");
    let err = load_images(&DatasetName::Cifar10, &dir, Split::Test).unwrap_err().to_string();
    assert!(err.contains("test_batch.bin") && err.contains("cifar10-lossy"), "{err}");
    // The lossy CIFAR-10 test set: 1,000 images per class.
    let lossy = load_images(&DatasetName::parse("cifar10-lossy").unwrap(), &dir, Split::Test).unwrap();
    assert_eq!((lossy.n, lossy.c, lossy.h, lossy.w), (10_000, 3, 32, 32));
    assert_eq!(lossy.class_counts(), vec![1000; 10]);
    assert!(load_images(&DatasetName::Cifar10Lossy, &dir, Split::Train).is_err());
    // Pointing cifar10 at the lossy copy through a link, as documented.
    let linked = scratch("cifar-link");
    std::fs::create_dir_all(linked.join("cifar10")).unwrap();
    std::os::unix::fs::symlink(dir.join("cifar10-lossy/test_lossy.bin.gz"), linked.join("cifar10/test_batch.bin.gz")).unwrap();
    assert_eq!(load_images(&DatasetName::Cifar10, &linked, Split::Test).unwrap(), lossy);
    // Tables.
    let arr = load_table(&DatasetName::parse("odds/arrhythmia").unwrap(), &dir).unwrap();
    assert_eq!(arr.x.dim(), (452, 274));
    assert_eq!(arr.y.iter().filter(|&&v| v == 1).count(), 66);
    let http = load_table(&DatasetName::parse("adbench/http").unwrap(), &dir).unwrap();
    assert_eq!(http.x.dim(), (567_498, 3));
    let same = load_table(&DatasetName::parse("adbench/16_http").unwrap(), &dir).unwrap();
    assert_eq!(same.source, http.source);
    let err = load_table(&DatasetName::parse("odds/nonesuch").unwrap(), &dir).unwrap_err().to_string();
    assert!(err.contains("odds/nonesuch") && err.contains("nonesuch.mat"), "{err}");
    assert!(DatasetName::parse("imagenet").is_err());
    assert!(load_images(&DatasetName::parse("odds/arrhythmia").unwrap(), &dir, Split::Train).is_err());
    assert_eq!(data_dir(Some(Path::new("/x"))).unwrap(), PathBuf::from("/x"));
}
