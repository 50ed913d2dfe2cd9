//! PNG overlays of an axial slice: the image in grey, the score map in red (opacity rising
//! from the map's `low` to `high` value), lesion outlines in cyan. Anterior (high y) is up.

use std::path::Path;

use crate::error::Result;
use crate::volume::{Mask, Volume};

/// Writes the overlay of slice `z` (RGB, one pixel per voxel, `scale`× enlarged).
/// `range` = (low, high): the map values where the red starts and where it saturates.
pub fn write_overlay(path: &Path, image: &Volume, map: &Volume, lesions: Option<&Mask>, z: usize, range: (f32, f32), scale: usize) -> Result<()> {
    let (low, high) = range;
    let [nx, ny, nz] = image.dims;
    if z >= nz || map.dims != image.dims {
        return Err(crate::error::invalid("overlay", format!("slice {z} of dims {:?} / map dims {:?}", image.dims, map.dims)));
    }
    if let Some(l) = lesions {
        l.check_grid(image.dims, "overlay lesion mask")?;
    }
    let scale = scale.max(1);
    let (w, h) = (nx * scale, ny * scale);
    let mut planes = vec![0u8; 3 * w * h];
    let lesion = |x: usize, y: usize| lesions.is_some_and(|l| l.data[image.index(x, y, z)]);
    for y in 0..ny {
        for x in 0..nx {
            let g = image.get(x, y, z).clamp(0.0, 1.0);
            let s = map.get(x, y, z);
            let a = if high > low { ((s - low) / (high - low)).clamp(0.0, 1.0) * 0.8 } else { 0.0 };
            let mut rgb = [g * (1.0 - a) + a, g * (1.0 - a), g * (1.0 - a)];
            let edge = lesion(x, y) && [(-1i32, 0i32), (1, 0), (0, -1), (0, 1)].iter().any(|&(dx, dy)| {
                let (xx, yy) = (x as i32 + dx, y as i32 + dy);
                xx < 0 || yy < 0 || xx >= nx as i32 || yy >= ny as i32 || !lesion(xx as usize, yy as usize)
            });
            if edge {
                rgb = [0.0, 1.0, 1.0];
            }
            let row0 = (ny - 1 - y) * scale;
            for dy in 0..scale {
                for dx in 0..scale {
                    let p = (row0 + dy) * w + x * scale + dx;
                    for c in 0..3 {
                        planes[c * w * h + p] = (rgb[c] * 255.0).round() as u8;
                    }
                }
            }
        }
    }
    oneclass_data::images::png_folder::write_png(path, 3, h, w, &planes)?;
    Ok(())
}
