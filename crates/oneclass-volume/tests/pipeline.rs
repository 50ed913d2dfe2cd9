//! Patches, phantoms, the localized OCSVM against the exact solver, and the evaluation helpers.

use oneclass_svm::{Gamma, OcsvmParams};
use oneclass_volume::{
    atlas_mask, atlas_ventricles, extract_patch, generate, percentile, score_maps, subject_score, voxel_metrics, LocalizedConfig, Mask, PatchStream,
    PatientSpecificConfig, PhantomConfig, Volume, IDENTITY_AFFINE,
};

fn ramp(dims: [usize; 3]) -> Volume {
    let [nx, ny, nz] = dims;
    let data = (0..nx * ny * nz).map(|i| {
        let (x, y, z) = (i % nx, (i / nx) % ny, i / (nx * ny));
        (1 + x + 10 * y + 100 * z) as f32
    });
    Volume::new(dims, data.collect(), IDENTITY_AFFINE).unwrap()
}

#[test]
fn patches_are_centred_and_zero_padded() {
    let vol = ramp([5, 4, 3]);
    let mut p = vec![0.0; 9];
    extract_patch(&vol, 2, 1, 1, 3, &mut p);
    // Row i ↔ y − 1 + i, column j ↔ x − 1 + j, slice fixed.
    assert_eq!(p, vec![102., 103., 104., 112., 113., 114., 122., 123., 124.]);
    extract_patch(&vol, 0, 0, 2, 3, &mut p);
    assert_eq!(p, vec![0., 0., 0., 0., 201., 202., 0., 211., 212.]);
    let mut big = vec![0.0; 25];
    extract_patch(&vol, 4, 3, 0, 5, &mut big);
    assert_eq!(big[12], vol.get(4, 3, 0));
    assert_eq!(big.iter().filter(|&&v| v != 0.0).count(), 9, "only the 3×3 inside corner is in the volume");

    // The stream visits every masked voxel once, in bounded batches, with its own patch.
    let mask = Mask::new(vol.dims, (0..60).map(|i| i % 7 != 0).collect()).unwrap();
    let mut seen = Vec::new();
    for batch in PatchStream::new(&vol, &mask, 3, 4).unwrap() {
        assert!(batch.voxels.len() <= 4 && batch.patches.len() == 9 * batch.voxels.len());
        for (k, &v) in batch.voxels.iter().enumerate() {
            assert_eq!(batch.patches[9 * k + 4], vol.data[v], "centre of the patch of voxel {v}");
        }
        seen.extend(batch.voxels);
    }
    let want: Vec<usize> = (0..60).filter(|i| i % 7 != 0).collect();
    assert_eq!(seen, want);
    assert!(PatchStream::new(&vol, &mask, 4, 4).is_err(), "even patch sides are refused");
}

#[test]
fn phantoms_are_reproducible() {
    let cfg = PhantomConfig::new([32, 36, 10]);
    let a = generate(&cfg, 7, 0.4, true).unwrap();
    let b = generate(&cfg, 7, 0.4, true).unwrap();
    let bits = |v: &Volume| v.data.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.image), bits(&b.image));
    assert_eq!(a.lesions, b.lesions);
    assert_eq!(a.brain, b.brain);
    let c = generate(&cfg, 8, 0.4, true).unwrap();
    assert_ne!(bits(&a.image), bits(&c.image));
}

#[test]
fn lesions_are_subtle_in_range_and_in_white_matter() {
    let cfg = PhantomConfig::new([40, 48, 12]);
    for seed in 0..12 {
        let patient = generate(&cfg, seed, 0.8, true).unwrap();
        let twin = generate(&cfg, seed, 0.8, false).unwrap();
        assert_eq!(twin.lesions.count(), 0);
        assert_eq!(patient.brain, twin.brain, "the lesions do not change the anatomy");
        let n_lesion = patient.lesions.count();
        assert!(n_lesion > 0);
        assert!((0.8..=200.0).contains(&patient.lesion_cm3), "seed {seed}: {} cm³", patient.lesion_cm3);
        assert!(patient.lesions.data.iter().zip(&patient.white_matter.data).all(|(&l, &w)| !l || w), "lesions lie in white matter");
        // Not hyperintense: never brighter than the lesion-free twin, darker on average inside.
        for (i, (&p, &t)) in patient.image.data.iter().zip(&twin.image.data).enumerate() {
            assert!(p <= t, "seed {seed}: voxel {i} brighter with lesions ({p} > {t})");
        }
        let mean = |v: &Volume, m: &Mask| v.data.iter().zip(&m.data).filter(|(_, &b)| b).map(|(&x, _)| x as f64).sum::<f64>() / m.count() as f64;
        let (inside, before) = (mean(&patient.image, &patient.lesions), mean(&twin.image, &patient.lesions));
        assert!(inside < before - 0.02, "seed {seed}: lesion mean {inside} vs {before} without lesions");
        let wm_only = patient.white_matter.minus(&patient.lesions).unwrap();
        assert!(inside < mean(&patient.image, &wm_only), "lesions darker than the remaining white matter");
    }
    assert!(generate(&PhantomConfig::new([2, 2, 1]), 0, 0.5, true).is_err(), "no white matter: an error, not a panic");
    // Ageing: ventricles grow and the brain shrinks from the young to the old cohort.
    let young = generate(&cfg, 3, 0.0, false).unwrap();
    let old = generate(&cfg, 3, 1.0, false).unwrap();
    assert!(old.ventricles.count() as f64 > 1.3 * young.ventricles.count() as f64);
    assert!(old.brain.count() < young.brain.count());
    assert!(atlas_ventricles(&cfg).and(&old.ventricles).unwrap().count() as f64 >= 0.95 * old.ventricles.count() as f64);
}

/// The localized map at a location equals −f/(νn)-scaled decisions of the exact solver fitted
/// on the same training codes (here the raw 5×5 patches as codes).
#[test]
fn localized_ocsvm_matches_the_exact_solver() {
    let cfg = PhantomConfig::new([20, 22, 5]);
    let mask = atlas_mask(&cfg);
    let train: Vec<Volume> = (0..3).map(|s| generate(&cfg, 100 + s, 0.1, false).unwrap().image).collect();
    let test: Vec<Volume> = (0..2).map(|s| generate(&cfg, 200 + s, 0.9, s == 1).unwrap().image).collect();
    let mut identity = |p: &[f32], _n: usize| -> oneclass_volume::Result<Vec<f32>> { Ok(p.to_vec()) };
    let loc = LocalizedConfig { nu: 0.1, radius: 1, patch: 5, encode_batch: 7, chunk: 5, slices: None };
    let ps = PatientSpecificConfig { nu: 0.2, max_points: 300, seed: 1 };
    let out = score_maps(&train, &test, &mask, &mut identity, &loc, Some(&ps)).unwrap();
    assert_eq!(out.stats.localized_fits, mask.count());
    assert_eq!(out.stats.code_dim, 25);
    let size = 5;
    for &(x, y, z) in &[(10usize, 11usize, 2usize), (6, 9, 1), (13, 5, 3)] {
        assert!(mask.data[train[0].index(x, y, z)]);
        let mut rows = Vec::new();
        for zz in z - 1..=z + 1 {
            for yy in y - 1..=y + 1 {
                for xx in x - 1..=x + 1 {
                    if !mask.data[train[0].index(xx, yy, zz)] {
                        continue;
                    }
                    for t in &train {
                        let mut p = vec![0.0f32; size * size];
                        extract_patch(t, xx, yy, zz, size, &mut p);
                        rows.extend(p.iter().map(|&v| v as f64));
                    }
                }
            }
        }
        let n = rows.len() / 25;
        let xtr = ndarray::Array2::from_shape_vec((n, 25), rows).unwrap();
        let m = OcsvmParams::new().nu(0.1).gamma(Gamma::Scale).tol(1e-10).shrinking(false).fit(xtr.view()).unwrap();
        for (k, t) in test.iter().enumerate() {
            let mut p = vec![0.0f32; size * size];
            extract_patch(t, x, y, z, size, &mut p);
            let q = ndarray::Array2::from_shape_vec((1, 25), p.iter().map(|&v| v as f64).collect()).unwrap();
            let want = -m.decision_function(q.view()).unwrap()[0] / (0.1 * n as f64);
            let got = out.localized[k].get(x, y, z) as f64;
            assert!((got - want).abs() <= 1e-5 * want.abs().max(1e-2), "({x},{y},{z}) subject {k}: map {got} vs exact {want}");
        }
    }
    let ps_maps = out.patient_specific.unwrap();
    assert_eq!(out.stats.patient_specific_fits, 2);
    assert!(ps_maps[0].data.iter().zip(&mask.data).all(|(&s, &m)| m || s == 0.0));
    assert!(ps_maps[0].data.iter().zip(&mask.data).filter(|(_, &m)| m).any(|(&s, _)| s != 0.0));
}

#[test]
fn evaluation_helpers() {
    // NumPy: np.percentile([3, 1, 4, 1, 5, 9, 2, 6], [2, 50, 98]) = [1, 3.5, 8.58].
    let v = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
    for (q, want) in [(2.0, 1.0), (50.0, 3.5), (98.0, 8.58)] {
        assert!((percentile(&mut v.to_vec(), q).unwrap() - want).abs() < 1e-12, "q = {q}");
    }
    let dims = [10, 10, 2];
    let mut map = Volume::zeros(dims, IDENTITY_AFFINE);
    let lesion = Mask::new(dims, (0..200).map(|i| (i % 10) < 2 && i < 100).collect()).unwrap();
    for (s, &l) in map.data.iter_mut().zip(&lesion.data) {
        *s = if l { 2.0 } else { 0.1 };
    }
    let all = Mask::full(dims);
    let vm = voxel_metrics(&map, &lesion, &all).unwrap();
    assert_eq!((vm.auroc, vm.aupr, vm.n_lesion, vm.n_voxels), (1.0, 1.0, 20, 200));
    assert!((vm.prevalence - 0.1).abs() < 1e-15);
    // A hot region raises the subject score unless it is excluded.
    assert!(subject_score(&map, &all, None).unwrap() > 1.0);
    assert!((subject_score(&map, &all, Some(&lesion)).unwrap() - 0.1).abs() < 1e-7);
}
