//! Fog: a diamond-square plasma fractal added to the image.

use rand::Rng;

use super::{Image, PIXELS, SIDE};

const MAP_SIZE: usize = 256;
const FOG_SCALE: f64 = 3.0;
const WIBBLE_DECAY: f64 = 1.4;

/// Diamond-square plasma on a `MAP_SIZE`² torus, normalised to [0, 1]. At each level the
/// square centres, then the top-edge midpoints, then the left-edge midpoints get the mean of
/// their four neighbours plus w·U(−w, w), drawn in row-major order within each group.
pub fn plasma_fractal(rng: &mut impl Rng) -> Vec<f64> {
    let n = MAP_SIZE;
    let mut map = vec![0.0f64; n * n];
    let mut step = n;
    let mut wibble = 100.0f64;
    let at = |map: &Vec<f64>, r: usize, c: usize| map[(r % n) * n + (c % n)];
    while step >= 2 {
        let half = step / 2;
        let noisy_mean = |sum: f64, rng: &mut dyn rand::RngCore| {
            sum / 4.0 + wibble * rng.random_range(-wibble..wibble)
        };
        // Squares: centre = mean of the 4 corners.
        for r in (0..n).step_by(step) {
            for c in (0..n).step_by(step) {
                let sum = at(&map, r, c) + at(&map, r + step, c) + at(&map, r, c + step)
                    + at(&map, r + step, c + step);
                map[(r + half) * n + c + half] = noisy_mean(sum, rng);
            }
        }
        // Diamonds on top edges (r, c + half): centres above and below, corners left and right.
        for r in (0..n).step_by(step) {
            for c in (0..n).step_by(step) {
                let sum = at(&map, r + half, c + half) + at(&map, r + n - half, c + half)
                    + at(&map, r, c) + at(&map, r, c + step);
                map[r * n + c + half] = noisy_mean(sum, rng);
            }
        }
        // Diamonds on left edges (r + half, c): centres right and left, corners above and below.
        for r in (0..n).step_by(step) {
            for c in (0..n).step_by(step) {
                let sum = at(&map, r + half, c + half) + at(&map, r + half, c + n - half)
                    + at(&map, r, c) + at(&map, r + step, c);
                map[(r + half) * n + c] = noisy_mean(sum, rng);
            }
        }
        step /= 2;
        wibble /= WIBBLE_DECAY;
    }
    let min = map.iter().cloned().fold(f64::INFINITY, f64::min);
    map.iter_mut().for_each(|v| *v -= min);
    let max = map.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    map.iter_mut().for_each(|v| *v /= max);
    map
}

/// y = clip((x + 3F)·m/(m + 3), 0, 1), F = the top-left 28×28 of the plasma, m = max(x).
pub fn fog(x: &Image, rng: &mut impl Rng) -> Image {
    let plasma = plasma_fractal(rng);
    let max = x.iter().cloned().fold(0.0f64, f64::max);
    let mut out = [0.0; PIXELS];
    for r in 0..SIDE {
        for c in 0..SIDE {
            let i = r * SIDE + c;
            let v = x[i] + FOG_SCALE * plasma[r * MAP_SIZE + c];
            out[i] = (v * max / (max + FOG_SCALE)).clamp(0.0, 1.0);
        }
    }
    out
}
