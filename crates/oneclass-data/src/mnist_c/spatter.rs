//! Spatter ("mud" variant): blobs from thresholded smoothed Gaussian noise, painted grey 63.

use rand::Rng;
use rand_distr::{Distribution, Normal};

use super::filters::{gaussian_2d, Border};
use super::{Image, PIXELS, SIDE};

const LIQUID_MEAN: f64 = 0.65;
const LIQUID_STD: f64 = 0.3;
const LIQUID_SIGMA: f64 = 1.0;
const THRESHOLD: f64 = 0.65;
const MUD_SIGMA: f64 = 1.5;
const MUD_CUTOFF: f64 = 0.8;
const MUD_GREY: f64 = 63.0 / 255.0;

pub fn spatter(x: &Image, rng: &mut impl Rng) -> Image {
    let normal = Normal::new(LIQUID_MEAN, LIQUID_STD).expect("valid normal");
    let liquid: Vec<f64> = (0..PIXELS).map(|_| normal.sample(rng)).collect();
    let mut liquid = gaussian_2d(&liquid, SIDE, SIDE, LIQUID_SIGMA, Border::Nearest);
    liquid.iter_mut().filter(|v| **v < THRESHOLD).for_each(|v| *v = 0.0);
    let mask: Vec<f64> = liquid.iter().map(|&v| if v > THRESHOLD { 1.0 } else { 0.0 }).collect();
    let mut mud = gaussian_2d(&mask, SIDE, SIDE, MUD_SIGMA, Border::Nearest);
    mud.iter_mut().filter(|v| **v < MUD_CUTOFF).for_each(|v| *v = 0.0);
    let mut out = [0.0; PIXELS];
    for i in 0..PIXELS {
        out[i] = (x[i] * (1.0 - mud[i]) + MUD_GREY * mud[i]).clamp(0.0, 1.0);
    }
    out
}
