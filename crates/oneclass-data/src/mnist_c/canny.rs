//! Canny edge detector with the behaviour of scikit-image 0.15 (`skimage.feature.canny`),
//! which MNIST-C's `canny_edges` used: masked Gaussian smoothing, Sobel gradients,
//! octant-wise non-maximum suppression with linear interpolation, 8-connected hysteresis.

use super::filters::{gaussian_2d, sobel, Border};

/// Edge map (`true` = edge) of an `h`×`w` row-major image with values on the [0, 1] scale.
pub fn canny(image: &[f64], h: usize, w: usize, sigma: f64, low: f64, high: f64) -> Vec<bool> {
    let (gi, gj, magnitude) = gradients(image, h, w, sigma);
    let local_max = non_maximum_suppression(&gi, &gj, &magnitude, h, w);
    let low_mask: Vec<bool> = (0..h * w).map(|i| local_max[i] && magnitude[i] >= low).collect();
    let high_mask: Vec<bool> = (0..h * w).map(|i| local_max[i] && magnitude[i] >= high).collect();
    hysteresis(&low_mask, &high_mask, h, w)
}

/// Gradient magnitude hypot(gi, gj) of the smoothed image (an intermediate of [`canny`]).
pub fn gradient_magnitude(image: &[f64], h: usize, w: usize, sigma: f64) -> Vec<f64> {
    gradients(image, h, w, sigma).2
}

/// Sobel gradients along axis 0 and 1 of the masked-smoothed image, and their magnitude.
fn gradients(image: &[f64], h: usize, w: usize, sigma: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    assert_eq!(image.len(), h * w, "canny: image length must be h*w");
    // Zero-padded smoothing divided by the smoothed all-ones mask, so the border is not
    // darkened; skimage adds machine epsilon to the divisor.
    let ones = vec![1.0; h * w];
    let bleed = gaussian_2d(&ones, h, w, sigma, Border::Zero);
    let blurred = gaussian_2d(image, h, w, sigma, Border::Zero);
    let smoothed: Vec<f64> = blurred
        .iter()
        .zip(&bleed)
        .map(|(v, b)| v / (b + f64::EPSILON))
        .collect();
    let gi = sobel(&smoothed, h, w, 0);
    let gj = sobel(&smoothed, h, w, 1);
    let magnitude: Vec<f64> = gi.iter().zip(&gj).map(|(a, b)| a.hypot(*b)).collect();
    (gi, gj, magnitude)
}

/// One of the four octant tests of skimage: which pixels it covers, the interpolation
/// weight and the two neighbour pairs (offsets (dr, dc) of c1 and c2 on each side).
struct Octant {
    covers: fn(f64, f64) -> bool,
    /// true: w = |gj|/|gi|; false: w = |gi|/|gj|.
    weight_j_over_i: bool,
    plus: [(isize, isize); 2],
    minus: [(isize, isize); 2],
}

const OCTANTS: [Octant; 4] = [
    // 0–45°: gi, gj same sign, |gi| ≥ |gj|
    Octant {
        covers: |i, j| ((i >= 0.0 && j >= 0.0) || (i <= 0.0 && j <= 0.0)) && i.abs() >= j.abs(),
        weight_j_over_i: true,
        plus: [(1, 0), (1, 1)],
        minus: [(-1, 0), (-1, -1)],
    },
    // 45–90°: same sign, |gi| ≤ |gj|
    Octant {
        covers: |i, j| ((i >= 0.0 && j >= 0.0) || (i <= 0.0 && j <= 0.0)) && i.abs() <= j.abs(),
        weight_j_over_i: false,
        plus: [(0, 1), (1, 1)],
        minus: [(0, -1), (-1, -1)],
    },
    // 90–135°: opposite signs, |gi| ≤ |gj|
    Octant {
        covers: |i, j| ((i <= 0.0 && j >= 0.0) || (i >= 0.0 && j <= 0.0)) && i.abs() <= j.abs(),
        weight_j_over_i: false,
        plus: [(0, 1), (-1, 1)],
        minus: [(0, -1), (1, -1)],
    },
    // 135–180°: opposite signs, |gi| ≥ |gj|
    Octant {
        covers: |i, j| ((i <= 0.0 && j >= 0.0) || (i >= 0.0 && j <= 0.0)) && i.abs() >= j.abs(),
        weight_j_over_i: true,
        plus: [(-1, 0), (-1, 1)],
        minus: [(1, 0), (1, -1)],
    },
];

/// Pixels (excluding the 1-pixel border and zero-gradient pixels) whose magnitude is at least
/// both interpolated neighbours along the gradient. As in skimage, a pixel on an octant
/// boundary takes the verdict of the last octant that covers it.
fn non_maximum_suppression(gi: &[f64], gj: &[f64], magnitude: &[f64], h: usize, w: usize) -> Vec<bool> {
    let mut keep = vec![false; h * w];
    if h < 3 || w < 3 {
        return keep;
    }
    let at = |r: usize, c: usize, (dr, dc): (isize, isize)| {
        magnitude[(r as isize + dr) as usize * w + (c as isize + dc) as usize]
    };
    for r in 1..h - 1 {
        for c in 1..w - 1 {
            let k = r * w + c;
            let m = magnitude[k];
            if m <= 0.0 {
                continue;
            }
            for oct in &OCTANTS {
                if !(oct.covers)(gi[k], gj[k]) {
                    continue;
                }
                let weight = if oct.weight_j_over_i {
                    gj[k].abs() / gi[k].abs()
                } else {
                    gi[k].abs() / gj[k].abs()
                };
                let side = |pair: [(isize, isize); 2]| {
                    at(r, c, pair[1]) * weight + at(r, c, pair[0]) * (1.0 - weight) <= m
                };
                keep[k] = side(oct.plus) && side(oct.minus);
            }
        }
    }
    keep
}

/// Keeps the 8-connected components of `low` that contain at least one `high` pixel.
fn hysteresis(low: &[bool], high: &[bool], h: usize, w: usize) -> Vec<bool> {
    let mut out = vec![false; h * w];
    let mut seen = vec![false; h * w];
    let mut stack = Vec::new();
    let mut component = Vec::new();
    for start in 0..h * w {
        if !low[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        component.clear();
        let mut has_high = false;
        while let Some(k) = stack.pop() {
            component.push(k);
            has_high |= high[k];
            let (r, c) = ((k / w) as isize, (k % w) as isize);
            for dr in -1..=1 {
                for dc in -1..=1 {
                    let (rr, cc) = (r + dr, c + dc);
                    if rr < 0 || cc < 0 || rr >= h as isize || cc >= w as isize {
                        continue;
                    }
                    let n = rr as usize * w + cc as usize;
                    if low[n] && !seen[n] {
                        seen[n] = true;
                        stack.push(n);
                    }
                }
            }
        }
        if has_high {
            for &k in &component {
                out[k] = true;
            }
        }
    }
    out
}
