//! Image-alteration anomalies (seed 003, section V-A): every natural image gets an altered
//! counterpart by block permutation or by random strokes.
//!
//! The paper fixes only the kind of alteration and N / M. The remaining choices, made here:
//! - block permutation: the image is cut into N×N equal blocks (H and W must be divisible by
//!   N) which are put back in a uniformly random order other than the identity;
//! - strokes: 1 to 4 straight strokes (uniform), each from a uniform random start point in a
//!   uniform random direction, of length uniform in [0.25, 0.75]·min(H, W); a pixel is painted
//!   when its centre lies within M/2 of the stroke; one uniform random colour per image
//!   (one value per channel), shared by its strokes.

use rand::seq::SliceRandom;
use rand::Rng;

use crate::error::DataError;

/// An alteration method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alteration {
    /// Permute N×N blocks.
    BlockPermutation(usize),
    /// Strokes of thickness M pixels.
    Strokes(usize),
}

impl Alteration {
    /// Parses `block-N` / `blocks-N` or `strokes-M`.
    pub fn parse(s: &str) -> Result<Alteration, DataError> {
        let bad = || DataError::InvalidArgument {
            field: "alteration".into(),
            detail: format!("{s:?}: expected block-N (e.g. block-2, block-8) or strokes-M (e.g. strokes-1, strokes-5)"),
        };
        let (kind, n) = s.trim().rsplit_once('-').ok_or_else(bad)?;
        let n: usize = n.parse().map_err(|_| bad())?;
        if n == 0 {
            return Err(bad());
        }
        match kind.to_ascii_lowercase().as_str() {
            "block" | "blocks" => Ok(Alteration::BlockPermutation(n)),
            "stroke" | "strokes" => Ok(Alteration::Strokes(n)),
            _ => Err(bad()),
        }
    }

    pub fn name(self) -> String {
        match self {
            Alteration::BlockPermutation(n) => format!("block-{n}"),
            Alteration::Strokes(m) => format!("strokes-{m}"),
        }
    }

    /// Checks that the method applies to C×H×W images.
    pub fn check(self, h: usize, w: usize) -> Result<(), DataError> {
        if let Alteration::BlockPermutation(n) = self {
            if n < 2 || (h / n) * n != h || (w / n) * n != w {
                return Err(DataError::InvalidArgument {
                    field: "alteration".into(),
                    detail: format!("block-{n} needs N >= 2 dividing the image size {h}x{w}"),
                });
            }
        }
        Ok(())
    }

    /// The altered counterpart of one C×H×W image (channel planes).
    pub fn apply(self, image: &[u8], c: usize, h: usize, w: usize, rng: &mut impl Rng) -> Result<Vec<u8>, DataError> {
        self.check(h, w)?;
        Ok(match self {
            Alteration::BlockPermutation(n) => block_permutation(image, c, h, w, n, rng),
            Alteration::Strokes(m) => strokes(image, c, h, w, m, rng),
        })
    }
}

/// Cuts the image into n×n blocks and reassembles them in a random non-identity order.
/// Requires h and w divisible by n and n ≥ 2.
pub fn block_permutation(image: &[u8], c: usize, h: usize, w: usize, n: usize, rng: &mut impl Rng) -> Vec<u8> {
    let (bh, bw) = (h / n, w / n);
    let identity: Vec<usize> = (0..n * n).collect();
    let mut order = identity.clone();
    while order == identity {
        order.shuffle(rng);
    }
    let mut out = vec![0u8; image.len()];
    // Target block t shows source block order[t].
    for (target, &source) in order.iter().enumerate() {
        let (tr, tc) = (target / n * bh, target % n * bw);
        let (sr, sc) = (source / n * bh, source % n * bw);
        for ch in 0..c {
            let plane = ch * h * w;
            for r in 0..bh {
                let dst = plane + (tr + r) * w + tc;
                let src = plane + (sr + r) * w + sc;
                out[dst..dst + bw].copy_from_slice(&image[src..src + bw]);
            }
        }
    }
    out
}

/// Distance from point p to the segment a–b.
fn segment_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 { 0.0 } else { (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0) };
    let (qx, qy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - qx).powi(2) + (p.1 - qy).powi(2)).sqrt()
}

/// Draws 1–4 random strokes of thickness `thickness` in one random colour (see module docs).
pub fn strokes(image: &[u8], c: usize, h: usize, w: usize, thickness: usize, rng: &mut impl Rng) -> Vec<u8> {
    let colour: Vec<u8> = (0..c).map(|_| rng.random::<u8>()).collect();
    let n_strokes = rng.random_range(1..=4);
    let side = h.min(w) as f64;
    let half = thickness as f64 / 2.0;
    let mut out = image.to_vec();
    for _ in 0..n_strokes {
        let start = (rng.random_range(0.0..h as f64), rng.random_range(0.0..w as f64));
        let angle = rng.random_range(0.0..std::f64::consts::TAU);
        let length = rng.random_range(0.25..0.75) * side;
        let end = (start.0 + length * angle.sin(), start.1 + length * angle.cos());
        for r in 0..h {
            for col in 0..w {
                let centre = (r as f64 + 0.5, col as f64 + 0.5);
                if segment_distance(centre, start, end) <= half {
                    for (ch, &v) in colour.iter().enumerate() {
                        out[ch * h * w + r * w + col] = v;
                    }
                }
            }
        }
    }
    out
}
