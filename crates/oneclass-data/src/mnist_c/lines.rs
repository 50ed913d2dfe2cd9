//! Line corruptions: dotted_line and zigzag, drawn with MNIST-C's soft line profile.

use rand::Rng;

use super::{Image, PIXELS, SIDE};

/// Width parameter of the soft line: intensity ln(1 − D/2.3) + 1 at vertical distance D.
const LINE_REACH: f64 = 2.3;

/// Soft line layer through (c0, r0) and (c1, r1), limited to columns ⌊c0⌋ ≤ c < ⌈c1⌉.
pub fn line_layer(c0: f64, r0: f64, c1: f64, r1: f64) -> Image {
    let mut layer = [0.0; PIXELS];
    if c1 == c0 {
        return layer;
    }
    let slope = (r1 - r0) / (c1 - c0);
    let (first, end) = (c0.floor(), c1.ceil());
    for r in 0..SIDE {
        for c in 0..SIDE {
            let cf = c as f64;
            if cf < first || cf >= end {
                continue;
            }
            let distance = (r as f64 - (slope * (cf - c0) + r0)).abs().clamp(0.0, LINE_REACH - 1e-10);
            layer[r * SIDE + c] = ((1.0 - distance / LINE_REACH).ln() + 1.0).clamp(0.0, 1.0);
        }
    }
    layer
}

/// A line from column 0 to 27 between random rows, with every other pair of columns removed
/// (columns c with ⌊c/2⌋ even), added to the image.
pub fn dotted_line(x: &Image, rng: &mut impl Rng) -> Image {
    let r0 = rng.random_range(0..27) as f64;
    let r1 = rng.random_range(0..27) as f64;
    let mut layer = line_layer(0.0, r0, 27.0, r1);
    for r in 0..SIDE {
        for c in 0..SIDE {
            if (c / 2) % 2 == 0 {
                layer[r * SIDE + c] = 0.0;
            }
        }
    }
    let mut out = [0.0; PIXELS];
    for i in 0..PIXELS {
        out[i] = (x[i] + layer[i]).clamp(0.0, 1.0);
    }
    out
}

/// A zigzag (teeth 2 px long and 2 px high) along a random slightly tilted line from column
/// 2 to 25, drawn segment by segment, clipping after each.
pub fn zigzag(x: &Image, rng: &mut impl Rng) -> Image {
    const TOOTH_LENGTH: f64 = 2.0;
    const TOOTH_HEIGHT: f64 = 2.0;
    let (c0, c1) = (2.0, 25.0);
    let r0 = rng.random_range(0..27) as f64;
    let r1 = r0 + rng.random_range(-5..5) as f64;
    let theta = ((r1 - r0) / (c1 - c0)).atan();
    let length = (c1 - c0) / theta.cos();

    let mut vertices = vec![(0.0, 0.0)];
    let teeth = ((length - TOOTH_LENGTH) / (2.0 * TOOTH_LENGTH)).floor() as usize + 1;
    let mut last_r = 0.0;
    for i in 0..teeth {
        last_r = if i % 2 == 0 { TOOTH_HEIGHT } else { -TOOTH_HEIGHT };
        vertices.push(((2 * i + 1) as f64 * TOOTH_LENGTH, last_r));
    }
    let covered = 2.0 * TOOTH_LENGTH * (length / (2.0 * TOOTH_LENGTH)).floor();
    if length != covered {
        // The reference's closing point, kept as is.
        vertices.push((length, last_r / (2.0 * (length - covered))));
    }
    let (sin, cos) = theta.sin_cos();
    let points: Vec<(f64, f64)> = vertices
        .iter()
        .map(|&(c, r)| (cos * c - sin * r + c0, sin * c + cos * r + r0))
        .collect();

    let mut out = *x;
    for pair in points.windows(2) {
        let layer = line_layer(pair[0].0, pair[0].1, pair[1].0, pair[1].1);
        for i in 0..PIXELS {
            out[i] = (out[i] + layer[i]).clamp(0.0, 1.0);
        }
    }
    out
}
