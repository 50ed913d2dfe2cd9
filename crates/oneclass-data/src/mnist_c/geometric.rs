//! Affine corruptions (shear, scale, rotate, translate): an inverse map from output to input
//! coordinates, sampled bilinearly with zeros outside, as `skimage.transform.warp`.

use rand::Rng;

use super::{Image, PIXELS, SIDE};

/// Inverse affine map (c_in, r_in) = (a1 c + a2 r + a3, b1 c + b2 r + b3), as the 2×3 top of
/// skimage's homogeneous matrix.
#[derive(Clone, Copy, Debug)]
pub struct Affine {
    pub a: [f64; 3],
    pub b: [f64; 3],
}

impl Affine {
    /// skimage's `AffineTransform(scale, rotation, shear)` (the pre-0.19 matrix, with sin and
    /// cos of rotation + shear) plus the translation that keeps the centre (13.5, 13.5) fixed.
    pub fn centred(scale: f64, rotation: f64, shear: f64) -> Affine {
        let a1 = scale * rotation.cos();
        let a2 = -scale * (rotation + shear).sin();
        let b1 = scale * rotation.sin();
        let b2 = scale * (rotation + shear).cos();
        let centre = (SIDE as f64 - 1.0) / 2.0;
        Affine {
            a: [a1, a2, centre * (1.0 - a1 - a2)],
            b: [b1, b2, centre * (1.0 - b1 - b2)],
        }
    }

    /// Pure translation: output (r, c) reads input (r + dy, c + dx).
    pub fn translation(dx: f64, dy: f64) -> Affine {
        Affine { a: [1.0, 0.0, dx], b: [0.0, 1.0, dy] }
    }
}

/// Bilinear warp of a [0, 1] image; corners outside the image count as 0.
pub fn warp(x: &Image, map: Affine) -> Image {
    let n = SIDE as isize;
    let pixel = |r: f64, c: f64| -> f64 {
        let (r, c) = (r as isize, c as isize);
        if r < 0 || c < 0 || r >= n || c >= n {
            0.0
        } else {
            x[r as usize * SIDE + c as usize]
        }
    };
    let mut out = [0.0; PIXELS];
    for r in 0..SIDE {
        for c in 0..SIDE {
            let (cf, rf) = (c as f64, r as f64);
            let c_in = map.a[0] * cf + map.a[1] * rf + map.a[2];
            let r_in = map.b[0] * cf + map.b[1] * rf + map.b[2];
            let (r0, r1) = (r_in.floor(), r_in.ceil());
            let (c0, c1) = (c_in.floor(), c_in.ceil());
            let (dr, dc) = (r_in - r0, c_in - c0);
            let top = (1.0 - dc) * pixel(r0, c0) + dc * pixel(r0, c1);
            let bottom = (1.0 - dc) * pixel(r1, c0) + dc * pixel(r1, c1);
            out[r * SIDE + c] = ((1.0 - dr) * top + dr * bottom).clamp(0.0, 1.0);
        }
    }
    out
}

fn random_sign(rng: &mut impl Rng) -> f64 {
    if rng.random_bool(0.5) {
        1.0
    } else {
        -1.0
    }
}

/// Shear by ±0.4 rad (random sign).
pub fn shear(x: &Image, rng: &mut impl Rng) -> Image {
    warp(x, Affine::centred(1.0, 0.0, 0.4 * random_sign(rng)))
}

/// Zoom out by 0.7 about the centre (deterministic).
pub fn scale(x: &Image) -> Image {
    warp(x, Affine::centred(1.0 / 0.7, 0.0, 0.0))
}

/// Rotate by ±0.4 rad (random sign).
pub fn rotate(x: &Image, rng: &mut impl Rng) -> Image {
    warp(x, Affine::centred(1.0, 0.4 * random_sign(rng), 0.0))
}

/// Shift by ±3 pixels in each direction (independent random signs).
pub fn translate(x: &Image, rng: &mut impl Rng) -> Image {
    let dx = 3.0 * random_sign(rng);
    let dy = 3.0 * random_sign(rng);
    warp(x, Affine::translation(dx, dy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shear_matrix_matches_spec() {
        // c_in = c − sin(s)(r − 13.5), r_in = 13.5 + cos(s)(r − 13.5)
        let s: f64 = 0.4;
        let m = Affine::centred(1.0, 0.0, s);
        for &(r, c) in &[(0.0, 0.0), (27.0, 5.0), (13.5, 13.5), (3.0, 20.0)] {
            let c_in = m.a[0] * c + m.a[1] * r + m.a[2];
            let r_in = m.b[0] * c + m.b[1] * r + m.b[2];
            assert!((c_in - (c - s.sin() * (r - 13.5))).abs() < 1e-12);
            assert!((r_in - (13.5 + s.cos() * (r - 13.5))).abs() < 1e-12);
        }
    }

    #[test]
    fn integer_translation_shifts_exactly() {
        let mut x = [0.0; PIXELS];
        for (i, v) in x.iter_mut().enumerate() {
            *v = (i % 97) as f64 / 97.0;
        }
        let y = warp(&x, Affine::translation(3.0, -3.0));
        for r in 0..SIDE {
            for c in 0..SIDE {
                let (rs, cs) = (r as isize - 3, c as isize + 3);
                let expected = if rs < 0 || cs >= SIDE as isize {
                    0.0
                } else {
                    x[rs as usize * SIDE + cs as usize]
                };
                assert_eq!(y[r * SIDE + c], expected);
            }
        }
    }
}
