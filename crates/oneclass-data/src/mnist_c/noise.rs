//! Pixel noise: shot (Poisson) and impulse (salt and pepper).

use rand::Rng;
use rand_distr::{Distribution, Poisson};

use super::{Image, PIXELS};

/// Photon count rate of `shot_noise` at the release severity.
const SHOT_RATE: f64 = 3.0;
/// Fraction of pixels replaced by `impulse_noise`.
const IMPULSE_AMOUNT: f64 = 0.17;

/// y = clip(Poisson(3x) / 3, 0, 1).
pub fn shot_noise(x: &Image, rng: &mut impl Rng) -> Image {
    let mut out = [0.0; PIXELS];
    for (o, &v) in out.iter_mut().zip(x) {
        let rate = v * SHOT_RATE;
        // Poisson(0) is always 0; rand_distr rejects a zero rate.
        let count = if rate > 0.0 {
            Poisson::new(rate).expect("positive finite rate").sample(rng)
        } else {
            0.0
        };
        *o = (count / SHOT_RATE).clamp(0.0, 1.0);
    }
    out
}

/// Each pixel, with probability 0.17, becomes 0 or 1 with equal odds (skimage "s&p").
pub fn impulse_noise(x: &Image, rng: &mut impl Rng) -> Image {
    let mut out = *x;
    for o in out.iter_mut() {
        let flipped = rng.random_bool(IMPULSE_AMOUNT);
        let salt = rng.random_bool(0.5);
        if flipped {
            *o = if salt { 1.0 } else { 0.0 };
        }
    }
    out
}
