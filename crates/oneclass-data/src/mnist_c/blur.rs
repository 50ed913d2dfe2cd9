//! Blurs: glass blur (Gaussian along rows + local pixel shuffling) and ImageMagick-style
//! motion blur.

use rand::Rng;

use super::filters::{correlate_symmetric, gaussian_kernel, Border};
use super::{Image, PIXELS, SIDE};

const GLASS_SIGMA: f64 = 0.7;
const GLASS_ITERATIONS: usize = 2;
const MOTION_WIDTH: usize = 21; // ImageMagick kernel width for radius 10
const MOTION_SIGMA: f64 = 3.0;

/// Gaussian blur along axis 0 only: the reference passed a 2-D image with
/// `multichannel=True`, so the last axis was treated as channels and not blurred.
fn blur_rows_only(x: &[f64]) -> Vec<f64> {
    correlate_symmetric(x, SIDE, SIDE, 0, &gaussian_kernel(GLASS_SIGMA), Border::Nearest)
}

/// Glass blur: blur, quantise to uint8 (truncating), swap each pixel (h, w), h and w from 27
/// down to 2, with a neighbour offset by (dy, dx) ∈ {−1, 0}², twice, then blur again.
pub fn glass_blur(x: &Image, rng: &mut impl Rng) -> Image {
    let mut pixels: Vec<u8> = blur_rows_only(x).iter().map(|v| (v * 255.0) as u8).collect();
    for _ in 0..GLASS_ITERATIONS {
        for h in (2..SIDE).rev() {
            for w in (2..SIDE).rev() {
                let dx = rng.random_range(-1..=0_i64) as isize;
                let dy = rng.random_range(-1..=0_i64) as isize;
                let (h2, w2) = ((h as isize + dy) as usize, (w as isize + dx) as usize);
                pixels.swap(h * SIDE + w, h2 * SIDE + w2);
            }
        }
    }
    let scaled: Vec<f64> = pixels.iter().map(|&p| p as f64 / 255.0).collect();
    let mut out = [0.0; PIXELS];
    for (o, v) in out.iter_mut().zip(blur_rows_only(&scaled)) {
        *o = v.clamp(0.0, 1.0);
    }
    out
}

/// Motion blur along a random angle a ~ U(−45°, 45°): one-sided Gaussian kernel
/// k_i ∝ exp(−i²/(2σ²)), i = 0..20, at offsets (ceil(i cos a − 0.5), ceil(i sin a − 0.5)),
/// edges clamped; the result is quantised to whole grey levels like the reference's PNG.
pub fn motion_blur(x: &Image, rng: &mut impl Rng) -> Image {
    let angle = rng.random_range(-45.0..45.0_f64).to_radians();
    let mut kernel: Vec<f64> = (0..MOTION_WIDTH)
        .map(|i| (-((i * i) as f64) / (2.0 * MOTION_SIGMA * MOTION_SIGMA)).exp())
        .collect();
    let total: f64 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= total);
    let offsets: Vec<(isize, isize)> = (0..MOTION_WIDTH)
        .map(|i| {
            let i = i as f64;
            ((i * angle.cos() - 0.5).ceil() as isize, (i * angle.sin() - 0.5).ceil() as isize)
        })
        .collect();
    let last = SIDE as isize - 1;
    let mut out = [0.0; PIXELS];
    for row in 0..SIDE as isize {
        for col in 0..SIDE as isize {
            let mut acc = 0.0;
            for (k, &(ox, oy)) in kernel.iter().zip(&offsets) {
                let c = (col + ox).clamp(0, last) as usize;
                let r = (row + oy).clamp(0, last) as usize;
                acc += k * x[r * SIDE + c] * 255.0;
            }
            out[row as usize * SIDE + col as usize] = acc.round_ties_even() / 255.0;
        }
    }
    out
}
