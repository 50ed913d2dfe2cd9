//! 3-D volumes for oneclass (seed 001 section V): NIfTI-1 reading and writing, masks and
//! min–max normalisation, 2-D patches of every masked voxel streamed in bounded batches,
//! seeded brain phantoms with subtle (not hyperintense) lesions, localized and
//! patient-specific one-class SVMs on patch codes giving 3-D score maps, PNG overlays, and the
//! subject- and voxel-level evaluation of the maps.
//!
//! The patch encoder is passed in ([`patches::PatchEncoder`]), so this crate does not depend
//! on the deep-learning engine; the CLI glues the two (`oneclass bench volumes`).

pub mod error;
pub mod evaluate;
pub mod localized;
pub mod nifti;
pub mod overlay;
pub mod patches;
pub mod phantom;
pub mod volume;

pub use error::{Result, VolumeError};
pub use evaluate::{percentile, subject_score, voxel_metrics, VoxelMetrics};
pub use localized::{score_maps, LocalizedConfig, MapStats, MapsOutput, PatientSpecificConfig};
pub use nifti::{DataType, NiftiHeader, NiftiImage, VoxelData};
pub use patches::{encode_locations, extract_patch, extract_patches, slice_locations, PatchBatch, PatchEncoder, PatchStream};
pub use phantom::{atlas_mask, atlas_ventricles, generate, Phantom, PhantomConfig};
pub use volume::{Mask, Volume, IDENTITY_AFFINE};
