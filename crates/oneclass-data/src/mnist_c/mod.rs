//! MNIST-C corruptions (Mu & Gilmer, 2019), re-implemented from the specification in
//! `shared/docs/mnist-c.md` at the severities of the public release.
//!
//! Each corruption is a pure function of a 28×28 uint8 image and a random generator. The
//! arithmetic is done in f64 on the [0, 1] scale and the result is rounded half to even onto
//! uint8, as the release did. For data sets, [`corrupt_images`] gives every image its own
//! random stream derived from (seed, corruption, split, image index), so a set can be rebuilt
//! exactly, in any order and in parallel.

pub mod blur;
pub mod canny;
pub mod filters;
pub mod fog;
pub mod geometric;
pub mod lines;
pub mod noise;
pub mod spatter;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::DataError;

/// Side of an MNIST image.
pub const SIDE: usize = 28;
/// Pixels in an MNIST image.
pub const PIXELS: usize = SIDE * SIDE;

/// A 28×28 image on the [0, 1] scale, row-major.
pub type Image = [f64; PIXELS];

/// The 15 MNIST-C corruptions plus `identity`, in the release's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Corruption {
    Identity,
    ShotNoise,
    ImpulseNoise,
    GlassBlur,
    MotionBlur,
    Shear,
    Scale,
    Rotate,
    Brightness,
    Translate,
    Stripe,
    Fog,
    Spatter,
    DottedLine,
    Zigzag,
    CannyEdges,
}

impl Corruption {
    /// All corruptions in the release's order.
    pub const ALL: [Corruption; 16] = [
        Corruption::Identity,
        Corruption::ShotNoise,
        Corruption::ImpulseNoise,
        Corruption::GlassBlur,
        Corruption::MotionBlur,
        Corruption::Shear,
        Corruption::Scale,
        Corruption::Rotate,
        Corruption::Brightness,
        Corruption::Translate,
        Corruption::Stripe,
        Corruption::Fog,
        Corruption::Spatter,
        Corruption::DottedLine,
        Corruption::Zigzag,
        Corruption::CannyEdges,
    ];

    /// The release's name, e.g. `motion_blur`.
    pub fn name(self) -> &'static str {
        match self {
            Corruption::Identity => "identity",
            Corruption::ShotNoise => "shot_noise",
            Corruption::ImpulseNoise => "impulse_noise",
            Corruption::GlassBlur => "glass_blur",
            Corruption::MotionBlur => "motion_blur",
            Corruption::Shear => "shear",
            Corruption::Scale => "scale",
            Corruption::Rotate => "rotate",
            Corruption::Brightness => "brightness",
            Corruption::Translate => "translate",
            Corruption::Stripe => "stripe",
            Corruption::Fog => "fog",
            Corruption::Spatter => "spatter",
            Corruption::DottedLine => "dotted_line",
            Corruption::Zigzag => "zigzag",
            Corruption::CannyEdges => "canny_edges",
        }
    }

    /// Parses a release name (`-` accepted for `_`).
    pub fn from_name(name: &str) -> Result<Corruption, DataError> {
        let wanted = name.trim().replace('-', "_");
        Corruption::ALL
            .into_iter()
            .find(|c| c.name() == wanted)
            .ok_or_else(|| DataError::InvalidArgument {
                field: "corruption".into(),
                detail: format!(
                    "unknown corruption {name:?}; expected one of {}",
                    Corruption::ALL.map(|c| c.name()).join(", ")
                ),
            })
    }

    /// Parses a comma-separated list of names, keeping the order given.
    pub fn parse_list(list: &str) -> Result<Vec<Corruption>, DataError> {
        list.split(',').filter(|s| !s.trim().is_empty()).map(Corruption::from_name).collect()
    }

    /// Whether the output depends on the random generator.
    pub fn is_random(self) -> bool {
        !matches!(
            self,
            Corruption::Identity
                | Corruption::Scale
                | Corruption::Brightness
                | Corruption::Stripe
                | Corruption::CannyEdges
        )
    }

    /// The corrupted image on the 0..=255 scale, before the final rounding.
    pub fn apply_unrounded(self, image: &[u8; PIXELS], rng: &mut impl Rng) -> [f64; PIXELS] {
        let x: Image = std::array::from_fn(|i| image[i] as f64 / 255.0);
        let mut y = match self {
            Corruption::Identity => x,
            Corruption::ShotNoise => noise::shot_noise(&x, rng),
            Corruption::ImpulseNoise => noise::impulse_noise(&x, rng),
            Corruption::GlassBlur => blur::glass_blur(&x, rng),
            Corruption::MotionBlur => blur::motion_blur(&x, rng),
            Corruption::Shear => geometric::shear(&x, rng),
            Corruption::Scale => geometric::scale(&x),
            Corruption::Rotate => geometric::rotate(&x, rng),
            Corruption::Translate => geometric::translate(&x, rng),
            Corruption::Fog => fog::fog(&x, rng),
            Corruption::Spatter => spatter::spatter(&x, rng),
            Corruption::DottedLine => lines::dotted_line(&x, rng),
            Corruption::Zigzag => lines::zigzag(&x, rng),
            // Exact integer forms; see the functions.
            Corruption::Brightness => return brightness(image),
            Corruption::Stripe => return stripe(image),
            Corruption::CannyEdges => {
                let edges = canny::canny(&x, SIDE, SIDE, 1.0, 0.1, 0.2);
                std::array::from_fn(|i| if edges[i] { 1.0 } else { 0.0 })
            }
        };
        y.iter_mut().for_each(|v| *v *= 255.0);
        y
    }

    /// The corrupted image as uint8, rounded half to even like the release.
    pub fn apply(self, image: &[u8; PIXELS], rng: &mut impl Rng) -> [u8; PIXELS] {
        let y = self.apply_unrounded(image, rng);
        std::array::from_fn(|i| round_to_u8(y[i]))
    }
}

impl std::fmt::Display for Corruption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Rounds half to even and saturates to 0..=255.
pub fn round_to_u8(v: f64) -> u8 {
    v.round_ties_even().clamp(0.0, 255.0) as u8
}

/// +0.5 in HSV value; for grey pixels this is exactly min(v + 127.5, 255) on the 0..255 scale.
fn brightness(image: &[u8; PIXELS]) -> [f64; PIXELS] {
    std::array::from_fn(|i| (image[i] as f64 + 127.5).min(255.0))
}

/// Columns 0–6 and 21–27 inverted (255 − v), columns 7–20 unchanged.
fn stripe(image: &[u8; PIXELS]) -> [f64; PIXELS] {
    std::array::from_fn(|i| {
        let c = i % SIDE;
        let v = image[i] as f64;
        if (7..21).contains(&c) {
            v
        } else {
            255.0 - v
        }
    })
}

/// Which MNIST split a set of images comes from; part of the random stream id so the same
/// image index in train and test gets independent draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceSplit {
    Train = 0,
    Test = 1,
}

/// The generator for one image: seeded by `seed`, on a stream that encodes the corruption,
/// the split and the image's index within its split.
pub fn image_rng(seed: u64, corruption: Corruption, split: SourceSplit, index: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let stream = ((corruption as u64) << 40) | ((split as u64) << 32) | index as u64;
    rng.set_stream(stream);
    rng
}

/// Corrupts the images `indices` (indices into `pixels`, which holds 28×28 images
/// back to back, taken from `split`) and returns their uint8 pixels in the same order.
/// Runs on all available cores; the result does not depend on the number of threads.
/// `progress` is called with the number of images finished since the last call.
pub fn corrupt_images(
    pixels: &[u8],
    indices: &[usize],
    corruption: Corruption,
    split: SourceSplit,
    seed: u64,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<u8> {
    let mut out = vec![0u8; indices.len() * PIXELS];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).max(1);
    let chunk = indices.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for (index_chunk, out_chunk) in indices.chunks(chunk).zip(out.chunks_mut(chunk * PIXELS)) {
            scope.spawn(move || {
                for (k, (&index, dst)) in index_chunk.iter().zip(out_chunk.chunks_mut(PIXELS)).enumerate() {
                    let src: &[u8; PIXELS] =
                        pixels[index * PIXELS..(index + 1) * PIXELS].try_into().expect("28x28 image");
                    let mut rng = image_rng(seed, corruption, split, index);
                    dst.copy_from_slice(&corruption.apply(src, &mut rng));
                    if k % 256 == 255 {
                        progress(256);
                    }
                }
                progress(index_chunk.len() % 256);
            });
        }
    });
    out
}
