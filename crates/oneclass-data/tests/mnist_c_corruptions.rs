//! MNIST-C corruptions: deterministic ones against independent computations, random ones
//! against the distributions of the specification (shared/docs/mnist-c.md).

use std::path::PathBuf;

use oneclass_data::images::idx::read_idx;
use oneclass_data::mnist_c::canny::{canny, gradient_magnitude};
use oneclass_data::mnist_c::fog::plasma_fractal;
use oneclass_data::mnist_c::geometric::{warp, Affine};
use oneclass_data::mnist_c::{corrupt_images, image_rng, Corruption, SourceSplit, PIXELS, SIDE};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn shared(rel: &str) -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/")).join(rel);
    assert!(p.exists(), "test data missing: {} (the shared data folder is required)", p.display());
    p
}

fn mnist_test_images(n: usize) -> Vec<[u8; PIXELS]> {
    let (_, values) = read_idx(&shared("data/mnist/t10k-images-idx3-ubyte.gz")).unwrap();
    (0..n).map(|i| values[i * PIXELS..(i + 1) * PIXELS].try_into().unwrap()).collect()
}

/// Images whose pixels run through all 256 grey values (4 images of 784 pixels).
fn all_grey_values() -> Vec<[u8; PIXELS]> {
    (0..2).map(|k| std::array::from_fn(|i| ((i + k * PIXELS) % 256) as u8)).collect()
}

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

#[test]
fn brightness_matches_formula_for_every_grey_value() {
    // y = min(v + 127.5, 255) rounded half to even: v + 127 + (1 if v even) below 128, else 255.
    for img in all_grey_values() {
        let out = Corruption::Brightness.apply(&img, &mut rng(0));
        for (&v, &o) in img.iter().zip(&out) {
            let expected = if v >= 128 { 255 } else { v as u32 + 127 + u32::from(v % 2 == 0) };
            assert_eq!(o as u32, expected, "grey value {v}");
        }
    }
}

#[test]
fn stripe_matches_formula_for_every_grey_value() {
    for img in all_grey_values() {
        let out = Corruption::Stripe.apply(&img, &mut rng(0));
        for i in 0..PIXELS {
            let c = i % SIDE;
            let expected = if (7..=20).contains(&c) { img[i] } else { 255 - img[i] };
            assert_eq!(out[i], expected, "pixel {i} (column {c})");
        }
    }
}

#[test]
fn identity_and_scale_are_deterministic() {
    let images = mnist_test_images(3);
    for img in &images {
        assert_eq!(&Corruption::Identity.apply(img, &mut rng(1)), img);
        assert_eq!(Corruption::Scale.apply(img, &mut rng(1)), Corruption::Scale.apply(img, &mut rng(2)));
    }
}

#[test]
fn canny_thin_vertical_line_hand_checked() {
    // A 1-pixel line in column 4 of a 9x9 image: the smoothed profile peaks at column 4, so the
    // gradient magnitude (about 4 * (0.399 - 0.054) = 1.38) peaks at columns 3 and 5 and is ~0
    // at column 4; the 1-pixel border is excluded. Edges: columns 3 and 5, rows 1..=7.
    let (h, w) = (9, 9);
    let image: Vec<f64> = (0..h * w).map(|i| if i % w == 4 { 1.0 } else { 0.0 }).collect();
    let edges = canny(&image, h, w, 1.0, 0.1, 0.2);
    for r in 0..h {
        for c in 0..w {
            let expected = (1..=7).contains(&r) && (c == 3 || c == 5);
            assert_eq!(edges[r * w + c], expected, "row {r}, column {c}");
        }
    }
    let m = gradient_magnitude(&image, h, w, 1.0);
    assert!((m[4 * w + 3] - 1.38).abs() < 0.02, "magnitude {}", m[4 * w + 3]);
}

#[test]
fn canny_flat_and_faint_images_have_no_edges() {
    let flat = vec![0.7; 100];
    assert!(canny(&flat, 10, 10, 1.0, 0.1, 0.2).iter().all(|&e| !e));
    // A step of 0.02 gives magnitudes far below the low threshold 0.1.
    let faint: Vec<f64> = (0..100).map(|i| if i % 10 >= 5 { 0.02 } else { 0.0 }).collect();
    assert!(canny(&faint, 10, 10, 1.0, 0.1, 0.2).iter().all(|&e| !e));
}

#[test]
fn canny_hysteresis_keeps_only_components_with_a_strong_pixel() {
    // Two separate vertical lines of 1 pixel: a strong one (1.0, magnitude ~1.38) and a weak
    // one (0.1, magnitude ~0.138: above low 0.1, below high 0.2). Only the strong one's edges
    // survive.
    let (h, w) = (9, 16);
    let image: Vec<f64> = (0..h * w)
        .map(|i| match i % w {
            4 => 1.0,
            11 => 0.1,
            _ => 0.0,
        })
        .collect();
    let m = gradient_magnitude(&image, h, w, 1.0);
    assert!(m[4 * w + 10] > 0.1 && m[4 * w + 10] < 0.2, "weak magnitude {}", m[4 * w + 10]);
    let edges = canny(&image, h, w, 1.0, 0.1, 0.2);
    for r in 1..h - 1 {
        assert!(edges[r * w + 3] && edges[r * w + 5]);
        assert!(!edges[r * w + 10] && !edges[r * w + 12]);
    }
}

#[derive(serde::Deserialize)]
struct CannyFixture {
    mnist_test_images: usize,
    synthetic_images: Vec<String>,
    edges: Vec<String>,
    magnitude: Vec<Vec<f64>>,
}

#[test]
fn canny_matches_scikit_image_reference() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mnist_c_canny.json");
    let fx: CannyFixture = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut images = mnist_test_images(fx.mnist_test_images);
    for hex in &fx.synthetic_images {
        let bytes: Vec<u8> = (0..PIXELS).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).collect();
        images.push(bytes.try_into().unwrap());
    }
    assert_eq!(images.len(), fx.edges.len());
    // Intermediate: gradient magnitude to 1e-12 (different summation orders only).
    for (img, reference) in images.iter().zip(&fx.magnitude) {
        let x: Vec<f64> = img.iter().map(|&v| v as f64 / 255.0).collect();
        let m = gradient_magnitude(&x, SIDE, SIDE, 1.0);
        for (a, b) in m.iter().zip(reference) {
            assert!((a - b).abs() <= 1e-12, "magnitude {a} vs {b}");
        }
    }
    // Whole edge maps, pixel for pixel, through the corruption itself.
    for (k, (img, expected)) in images.iter().zip(&fx.edges).enumerate() {
        let out = Corruption::CannyEdges.apply(img, &mut rng(0));
        let got: String = out.iter().map(|&v| if v == 255 { '1' } else { assert_eq!(v, 0); '0' }).collect();
        assert_eq!(&got, expected, "image {k}");
    }
}

#[test]
fn random_corruptions_are_seeded() {
    let images = mnist_test_images(4);
    for c in Corruption::ALL.into_iter().filter(|c| c.is_random()) {
        let mut differs = false;
        for (k, img) in images.iter().enumerate() {
            for seed in [7 + 10 * k as u64, 8 + 10 * k as u64] {
                let a = c.apply(img, &mut rng(seed));
                assert_eq!(a, c.apply(img, &mut rng(seed)), "{c}: same seed must give the same image");
                differs |= a != c.apply(img, &mut rng(seed + 1000));
            }
        }
        assert!(differs, "{c}: different seeds never changed the output");
    }
}

#[test]
fn shot_noise_follows_poisson() {
    // Mid grey x = 128/255: y*3 ~ Poisson(3x), so mean(y) = x and var(y) = x/3.
    let img = [128u8; PIXELS];
    let x: f64 = 128.0 / 255.0;
    let mut values = Vec::new();
    for seed in 0..50 {
        let out = Corruption::ShotNoise.apply_unrounded(&img, &mut rng(seed));
        values.extend(out.iter().map(|v| v / 255.0));
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    // Clipping at 1 (counts >= 3) lowers the mean slightly: E[min(K,3)]/3 for K ~ Poisson(1.506).
    let lambda: f64 = 3.0 * x;
    let p = |k: i32| (-lambda).exp() * lambda.powi(k) / (1..=k).map(|i| i as f64).product::<f64>();
    let clipped_mean = (p(1) + 2.0 * p(2) + 3.0 * (1.0 - p(0) - p(1) - p(2))) / 3.0;
    let se = (var / n).sqrt();
    assert!((mean - clipped_mean).abs() < 5.0 * se, "mean {mean} vs {clipped_mean} (se {se})");
    assert!(values.iter().all(|&v| [0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0].iter().any(|&a| (v - a).abs() < 1e-12)));
}

#[test]
fn impulse_noise_flips_17_percent() {
    let img = [128u8; PIXELS];
    let (mut flipped, mut salt, mut total) = (0usize, 0usize, 0usize);
    for seed in 0..50 {
        let out = Corruption::ImpulseNoise.apply(&img, &mut rng(seed));
        for &v in &out {
            total += 1;
            assert!(v == 0 || v == 128 || v == 255);
            flipped += usize::from(v != 128);
            salt += usize::from(v == 255);
        }
    }
    let rate = flipped as f64 / total as f64;
    let se = (0.17 * 0.83 / total as f64).sqrt();
    assert!((rate - 0.17).abs() < 5.0 * se, "flip rate {rate}");
    let salt_rate = salt as f64 / flipped as f64;
    assert!((salt_rate - 0.5).abs() < 5.0 * (0.25 / flipped as f64).sqrt(), "salt share {salt_rate}");
}

#[test]
fn translate_is_one_of_the_four_3_pixel_shifts() {
    let img = mnist_test_images(1)[0];
    let x: [f64; PIXELS] = std::array::from_fn(|i| img[i] as f64 / 255.0);
    let shifts: Vec<[u8; PIXELS]> = [(-3.0, -3.0), (-3.0, 3.0), (3.0, -3.0), (3.0, 3.0)]
        .iter()
        .map(|&(dx, dy)| {
            let y = warp(&x, Affine::translation(dx, dy));
            std::array::from_fn(|i| (y[i] * 255.0).round_ties_even() as u8)
        })
        .collect();
    let mut seen = [false; 4];
    for seed in 0..40 {
        let out = Corruption::Translate.apply(&img, &mut rng(seed));
        let k = shifts.iter().position(|s| *s == out).expect("translate gave an unexpected image");
        seen[k] = true;
    }
    assert!(seen.iter().all(|&s| s), "all four directions occur over 40 seeds");
}

#[test]
fn rotate_and_shear_use_angle_plus_or_minus_0_4() {
    let img = mnist_test_images(2)[1];
    let x: [f64; PIXELS] = std::array::from_fn(|i| img[i] as f64 / 255.0);
    let round = |y: [f64; PIXELS]| -> [u8; PIXELS] { std::array::from_fn(|i| (y[i] * 255.0).round_ties_even() as u8) };
    for (corruption, make) in [
        (Corruption::Rotate, (|s: f64| Affine::centred(1.0, s, 0.0)) as fn(f64) -> Affine),
        (Corruption::Shear, |s: f64| Affine::centred(1.0, 0.0, s)),
    ] {
        let options = [round(warp(&x, make(0.4))), round(warp(&x, make(-0.4)))];
        let mut seen = [false; 2];
        for seed in 0..20 {
            let out = corruption.apply(&img, &mut rng(seed));
            let k = options.iter().position(|o| *o == out).expect("unexpected warp");
            seen[k] = true;
        }
        assert!(seen[0] && seen[1], "{corruption}: both signs occur over 20 seeds");
    }
}

#[test]
fn motion_blur_keeps_a_flat_image_flat() {
    // The kernel sums to 1 and edges are clamped, so a constant image is unchanged.
    let img = [90u8; PIXELS];
    for seed in 0..5 {
        assert_eq!(Corruption::MotionBlur.apply(&img, &mut rng(seed)), img);
    }
}

#[test]
fn fog_plasma_spans_0_to_1_and_black_stays_black() {
    let plasma = plasma_fractal(&mut rng(3));
    assert_eq!(plasma.len(), 256 * 256);
    let min = plasma.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = plasma.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    assert_eq!((min, max), (0.0, 1.0));
    // m = max(x) = 0 scales the fog away.
    assert_eq!(Corruption::Fog.apply(&[0u8; PIXELS], &mut rng(3)), [0u8; PIXELS]);
    // Otherwise y = clip((x + 3F) m / (m + 3)) ≤ (1 + 3) m / (m + 3) and ≥ x m / (m + 3).
    let img = mnist_test_images(1)[0];
    let out = Corruption::Fog.apply_unrounded(&img, &mut rng(4));
    for (&v, &o) in img.iter().zip(&out) {
        assert!(o + 1e-9 >= v as f64 / 4.0 && o <= 255.0);
    }
}

#[test]
fn spatter_only_moves_pixels_towards_mud_grey() {
    let img = mnist_test_images(3)[2];
    for seed in 0..10 {
        let out = Corruption::Spatter.apply_unrounded(&img, &mut rng(seed));
        for (&v, &o) in img.iter().zip(&out) {
            let v = v as f64;
            let (lo, hi) = (v.min(63.0), v.max(63.0));
            assert!(o >= lo - 1e-9 && o <= hi + 1e-9, "pixel {v} became {o}");
        }
    }
}

#[test]
fn dotted_line_and_zigzag_only_brighten() {
    let img = mnist_test_images(1)[0];
    for seed in 0..20 {
        let dotted = Corruption::DottedLine.apply(&img, &mut rng(seed));
        let zig = Corruption::Zigzag.apply(&img, &mut rng(seed));
        for i in 0..PIXELS {
            assert!(dotted[i] >= img[i] && zig[i] >= img[i]);
            let c = i % SIDE;
            if matches!((c / 2) % 2, 0) || c == 27 {
                assert_eq!(dotted[i], img[i], "column {c} is a gap of the dotted line");
            }
        }
        assert!(dotted != img || img.iter().all(|&v| v == 255));
    }
}

#[test]
fn batch_corruption_matches_per_image_streams() {
    let (_, pixels) = read_idx(&shared("data/mnist/t10k-images-idx3-ubyte.gz")).unwrap();
    let indices = [5usize, 17, 2, 999];
    for c in [Corruption::GlassBlur, Corruption::Fog, Corruption::Stripe] {
        let batch = corrupt_images(&pixels, &indices, c, SourceSplit::Test, 11, &|_| {});
        for (k, &i) in indices.iter().enumerate() {
            let img: [u8; PIXELS] = pixels[i * PIXELS..(i + 1) * PIXELS].try_into().unwrap();
            let single = c.apply(&img, &mut image_rng(11, c, SourceSplit::Test, i));
            assert_eq!(&batch[k * PIXELS..(k + 1) * PIXELS], &single[..]);
        }
    }
}

#[test]
fn corruption_names_round_trip() {
    for c in Corruption::ALL {
        assert_eq!(Corruption::from_name(c.name()).unwrap(), c);
    }
    assert_eq!(Corruption::parse_list("stripe,canny-edges").unwrap(), vec![Corruption::Stripe, Corruption::CannyEdges]);
    let err = Corruption::from_name("sharpen").unwrap_err().to_string();
    assert!(err.contains("unknown corruption") && err.contains("zigzag"), "{err}");
}
