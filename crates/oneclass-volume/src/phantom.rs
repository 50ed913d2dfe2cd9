//! Seeded brain-like phantoms standing in for registered T1 MRI (seed 001 section V: CERMEP
//! training controls, IXI test controls, WMH patients — none of which can be had here).
//!
//! A phantom is a skull-stripped brain in a common space: an ellipsoid (per-subject radii and a
//! low-frequency surface wobble) with a folded grey-matter ribbon, two deep grey nuclei, two
//! lateral ventricles (CSF) and white matter; T1-like intensities (WM 1.0, GM ≈ 0.62,
//! CSF 0.25), partial-volume smoothing, a smooth multiplicative bias field and Gaussian noise.
//!
//! **Age** in [0, 1] shifts the whole anatomy as normal ageing does: ventricles grow (up to
//! 1.6×), the brain shrinks (up to 4 %), the cortex thins and the grey/white contrast drops.
//! The training cohort is young, both test cohorts old and age-matched (section V-A2).
//!
//! **Lesions** (patients only) lie in white matter and are **never hyperintense**: each blob
//! multiplies the tissue intensity by a factor ≤ 1 before smoothing, either a uniform
//! darkening (0.80–0.90) or a texture (a plane wave between 1 − 2d and 1, d in 0.10–0.20). Because smoothing
//! and the bias field are positive linear maps and the noise is drawn from its own stream, a
//! patient is voxel-wise ≤ the same subject generated without lesions. The total lesion volume
//! is drawn log-uniformly in the WMH range 0.8–200 cm³, with the phantom's brain standing for
//! a 1,400 cm³ brain (one voxel = 1400 / brain voxels cm³).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

use crate::error::{invalid, Result};
use crate::volume::{Mask, Volume, IDENTITY_AFFINE};

/// Phantom geometry and imaging settings.
#[derive(Clone, Debug, Serialize)]
pub struct PhantomConfig {
    pub dims: [usize; 3],
    /// Standard deviation of the additive noise (WM intensity = 1).
    pub noise_sigma: f32,
    /// Amplitude of the multiplicative bias field.
    pub bias_amplitude: f32,
    /// Partial-volume smoothing (Gaussian σ in voxels).
    pub smoothing: f32,
    /// Total lesion volume range in cm³ (log-uniform).
    pub lesion_cm3: (f64, f64),
    /// The real brain volume (cm³) the phantom's brain stands for.
    pub brain_cm3: f64,
}

impl PhantomConfig {
    pub fn new(dims: [usize; 3]) -> PhantomConfig {
        PhantomConfig { dims, noise_sigma: 0.03, bias_amplitude: 0.08, smoothing: 0.7, lesion_cm3: (0.8, 200.0), brain_cm3: 1400.0 }
    }
}

/// One generated subject.
#[derive(Clone, Debug)]
pub struct Phantom {
    pub image: Volume,
    pub brain: Mask,
    pub white_matter: Mask,
    pub ventricles: Mask,
    pub lesions: Mask,
    /// Total lesion volume in (scaled) cm³.
    pub lesion_cm3: f64,
    pub age: f64,
}

/// Seeds of independent streams of one subject.
fn stream(seed: u64, k: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(k.wrapping_mul(0xD1B5_4A32_D192_ED03)))
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

/// Tissue classes before intensities.
const BACKGROUND: u8 = 0;
const CSF: u8 = 1;
const GREY: u8 = 2;
const WHITE: u8 = 3;

/// Shape parameters of one subject.
struct Anatomy {
    radii: [f64; 3],
    wobble: (f64, f64, f64),
    cortex: f64,
    fold_phase: f64,
    ventricle_scale: f64,
}

impl Anatomy {
    fn draw(rng: &mut ChaCha8Rng, age: f64) -> Anatomy {
        let shrink = 1.0 - 0.04 * age;
        let radii = [0.42, 0.42, 0.42].map(|r: f64| r * shrink * (1.0 + 0.015 * normal(rng)));
        Anatomy {
            radii,
            wobble: (0.02 * (1.0 + 0.3 * normal(rng)), rng.random_range(0.0..std::f64::consts::TAU), rng.random_range(0.0..std::f64::consts::TAU)),
            cortex: 0.17 * (1.0 - 0.15 * age) * (1.0 + 0.05 * normal(rng)),
            fold_phase: rng.random_range(0.0..std::f64::consts::TAU),
            ventricle_scale: (1.0 + 0.6 * age) * (1.0 + 0.05 * normal(rng)),
        }
    }

    /// Mean anatomy (the "atlas").
    fn template(age: f64) -> Anatomy {
        Anatomy { radii: [0.42 * (1.0 - 0.04 * age); 3], wobble: (0.0, 0.0, 0.0), cortex: 0.17, fold_phase: 0.0, ventricle_scale: 1.0 + 0.6 * age }
    }

    /// Normalised coordinates of voxel (x, y, z): the brain is the unit ball (before wobble).
    fn coords(&self, dims: [usize; 3], x: usize, y: usize, z: usize) -> [f64; 3] {
        let c = |i: usize, v: usize| ((v as f64 + 0.5) / dims[i] as f64 - 0.5) / self.radii[i];
        [c(0, x), c(1, y), c(2, z)]
    }

    fn tissue(&self, p: [f64; 3]) -> u8 {
        let [u, v, w] = p;
        let r = (u * u + v * v + w * w).sqrt();
        let theta = v.atan2(u);
        let boundary = 1.0 + self.wobble.0 * (3.0 * theta + self.wobble.1).sin() * (2.0 * w + self.wobble.2).cos();
        if r > boundary {
            return BACKGROUND;
        }
        let in_ellipsoid = |c: [f64; 3], s: [f64; 3]| ((u - c[0]) / s[0]).powi(2) + ((v - c[1]) / s[1]).powi(2) + ((w - c[2]) / s[2]).powi(2) <= 1.0;
        let vs = self.ventricle_scale;
        for side in [-1.0, 1.0] {
            if in_ellipsoid([0.16 * side, 0.05, 0.1], [0.07 * vs, 0.32 * vs.sqrt(), 0.18 * vs.sqrt()]) {
                return CSF;
            }
        }
        // Folded cortex: thickness modulated along the surface (gyri and sulci).
        let fold = 1.0 + 0.35 * (7.0 * theta + self.fold_phase).sin() * (5.0 * w).cos();
        if r > boundary - self.cortex * fold {
            return GREY;
        }
        for side in [-1.0, 1.0] {
            if in_ellipsoid([0.33 * side, -0.05, -0.05], [0.11, 0.15, 0.14]) {
                return GREY;
            }
        }
        WHITE
    }
}

fn tissue_map(anat: &Anatomy, dims: [usize; 3]) -> Vec<u8> {
    let [nx, ny, nz] = dims;
    let mut out = vec![BACKGROUND; nx * ny * nz];
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                out[x + nx * (y + ny * z)] = anat.tissue(anat.coords(dims, x, y, z));
            }
        }
    }
    out
}

/// Separable Gaussian smoothing with zero padding.
fn smooth(data: &mut [f32], dims: [usize; 3], sigma: f32) {
    if sigma <= 0.0 {
        return;
    }
    let half = (3.0 * sigma).ceil() as isize;
    let kernel: Vec<f32> = (-half..=half).map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp()).collect();
    let total: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / total).collect();
    let strides = [1, dims[0], dims[0] * dims[1]];
    let mut tmp = vec![0.0f32; data.len()];
    for axis in 0..3 {
        let (n, s) = (dims[axis] as isize, strides[axis]);
        for (i, t) in tmp.iter_mut().enumerate() {
            let pos = ((i / s) % dims[axis]) as isize;
            let mut acc = 0.0;
            for (k, &w) in kernel.iter().enumerate() {
                let q = pos + k as isize - half;
                if q >= 0 && q < n {
                    acc += w * data[(i as isize + (q - pos) * s as isize) as usize];
                }
            }
            *t = acc;
        }
        data.copy_from_slice(&tmp);
    }
}

/// The analysis mask of the common space: the mean brain at mid age, its outer 3 % trimmed
/// (as an atlas brain mask is).
pub fn atlas_mask(cfg: &PhantomConfig) -> Mask {
    let anat = Anatomy::template(0.5);
    let [nx, ny, nz] = cfg.dims;
    let mut data = vec![false; nx * ny * nz];
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let [u, v, w] = anat.coords(cfg.dims, x, y, z);
                data[x + nx * (y + ny * z)] = (u * u + v * v + w * w).sqrt() <= 0.97;
            }
        }
    }
    Mask { dims: cfg.dims, data }
}

/// An atlas ventricle mask covering the ventricles of every age (for excluding them from the
/// subject score, as section V-A4 does).
pub fn atlas_ventricles(cfg: &PhantomConfig) -> Mask {
    let anat = Anatomy::template(1.0);
    let t = tissue_map(&anat, cfg.dims);
    Mask { dims: cfg.dims, data: t.iter().map(|&c| c == CSF).collect() }
}

/// Generates one subject. `lesions` = false gives a control; the anatomy, bias and noise
/// streams do not depend on it, so a patient and its lesion-free twin differ only by lesions.
/// Errors when the grid is too small to hold white matter (and so lesions) or the lesion
/// volume range cannot be met on it.
pub fn generate(cfg: &PhantomConfig, seed: u64, age: f64, lesions: bool) -> Result<Phantom> {
    let dims = cfg.dims;
    let [nx, ny, nz] = dims;
    let n = nx * ny * nz;
    let mut rng = stream(seed, 1);
    let anat = Anatomy::draw(&mut rng, age);
    let tissue = tissue_map(&anat, dims);
    let brain: Vec<bool> = tissue.iter().map(|&t| t != BACKGROUND).collect();
    let brain_voxels = brain.iter().filter(|&&b| b).count().max(1);
    let cm3_per_voxel = cfg.brain_cm3 / brain_voxels as f64;

    let contrast = 1.0 + 0.03 * normal(&mut rng);
    let grey = (0.62 + 0.06 * age) * contrast;
    let mut values: Vec<f32> = tissue
        .iter()
        .map(|&t| match t {
            CSF => 0.25,
            GREY => grey as f32,
            WHITE => 1.0,
            _ => 0.0,
        })
        .collect();

    // Lesions: their own stream, drawn identically for a patient and (unused) for its twin.
    let mut lrng = stream(seed, 2);
    let mut lesion = vec![false; n];
    let mut lesion_cm3 = 0.0;
    if lesions {
        let (lo, hi) = cfg.lesion_cm3;
        let wm: Vec<usize> = (0..n).filter(|&i| tissue[i] == WHITE).collect();
        if wm.is_empty() {
            return Err(invalid("phantom dims", format!("{dims:?} leaves no white matter for lesions")));
        }
        for _attempt in 0..50 {
            lesion.iter_mut().for_each(|l| *l = false);
            let target_cm3 = (lrng.random_range(lo.ln()..hi.ln())).exp();
            let blobs = lrng.random_range(1..=4usize);
            let weights: Vec<f64> = (0..blobs).map(|_| lrng.random_range(0.3..1.0)).collect();
            let wsum: f64 = weights.iter().sum();
            let mut factors = vec![1.0f32; n];
            for w in &weights {
                let target = (target_cm3 * w / wsum / cm3_per_voxel).max(1.0);
                let centre = wm[lrng.random_range(0..wm.len())];
                let c = [centre % nx, (centre / nx) % ny, centre / (nx * ny)].map(|v| v as f64);
                let aniso = [lrng.random_range(0.7..1.4), lrng.random_range(0.7..1.4), lrng.random_range(0.5..1.0)];
                let textured = lrng.random_bool(0.5);
                let depth = lrng.random_range(0.10..0.20) as f32;
                let wave = [lrng.random_range(0.8..1.6), lrng.random_range(0.8..1.6), lrng.random_range(0.3..0.8)];
                // Grow the blob until it holds the target number of white-matter voxels.
                let mut radius = (3.0 * target / (4.0 * std::f64::consts::PI)).cbrt();
                let mut members = Vec::new();
                for _ in 0..40 {
                    members.clear();
                    let reach = [0, 1, 2].map(|i| (radius * aniso[i]).ceil() as isize + 1);
                    for dz in -reach[2]..=reach[2] {
                        for dy in -reach[1]..=reach[1] {
                            for dx in -reach[0]..=reach[0] {
                                let p = [c[0] as isize + dx, c[1] as isize + dy, c[2] as isize + dz];
                                if p.iter().zip(dims).any(|(&q, d)| q < 0 || q >= d as isize) {
                                    continue;
                                }
                                let e = (dx as f64 / aniso[0]).powi(2) + (dy as f64 / aniso[1]).powi(2) + (dz as f64 / aniso[2]).powi(2);
                                let i = p[0] as usize + nx * (p[1] as usize + ny * p[2] as usize);
                                if e <= radius * radius && tissue[i] == WHITE {
                                    members.push((i, p));
                                }
                            }
                        }
                    }
                    if members.len() as f64 >= target {
                        break;
                    }
                    radius *= 1.1;
                }
                for &(i, p) in &members {
                    lesion[i] = true;
                    let f = if textured {
                        let phase = wave[0] * p[0] as f64 + wave[1] * p[1] as f64 + wave[2] * p[2] as f64;
                        1.0 - depth * (0.5 + 0.5 * phase.sin() as f32) * 2.0
                    } else {
                        1.0 - depth
                    };
                    factors[i] = factors[i].min(f.clamp(0.6, 1.0));
                }
            }
            lesion_cm3 = lesion.iter().filter(|&&l| l).count() as f64 * cm3_per_voxel;
            if lesion_cm3 >= lo && lesion_cm3 <= hi {
                for (v, f) in values.iter_mut().zip(&factors) {
                    *v *= f;
                }
                break;
            }
        }
        if !(lesion_cm3 >= lo && lesion_cm3 <= hi) {
            return Err(invalid("lesion_cm3", format!("{lo}–{hi} cm³ not reached in 50 draws on dims {dims:?}")));
        }
    }

    smooth(&mut values, dims, cfg.smoothing);
    let mut brng = stream(seed, 3);
    let coef: Vec<f64> = (0..4).map(|_| 0.5 * normal(&mut brng)).collect();
    let mut nrng = stream(seed, 4);
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let i = x + nx * (y + ny * z);
                let noise: f64 = normal(&mut nrng);
                if !brain[i] {
                    values[i] = 0.0;
                    continue;
                }
                let [u, v, w] = [(x as f64 / nx as f64 - 0.5) * 2.0, (y as f64 / ny as f64 - 0.5) * 2.0, (z as f64 / nz as f64 - 0.5) * 2.0];
                let bias = 1.0 + cfg.bias_amplitude as f64 * (coef[0] * u + coef[1] * v + coef[2] * w + coef[3] * u * v);
                values[i] = ((values[i] as f64 * bias.max(0.5)) as f32 + cfg.noise_sigma * noise as f32).max(0.0);
            }
        }
    }
    let mask = |f: &dyn Fn(usize) -> bool| Mask { dims, data: (0..n).map(f).collect() };
    Ok(Phantom {
        image: Volume { dims, data: values, affine: IDENTITY_AFFINE },
        brain: mask(&|i| brain[i]),
        white_matter: mask(&|i| tissue[i] == WHITE),
        ventricles: mask(&|i| tissue[i] == CSF),
        lesions: mask(&|i| lesion[i]),
        lesion_cm3,
        age,
    })
}
