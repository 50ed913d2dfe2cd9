//! `oneclass bench volumes --quick`: the report has the stable keys, the localized OCSVM maps
//! localize the phantom lesions better than chance (AUPR above the lesion prevalence), and the
//! score maps are NIfTI volumes aligned with the subjects' images.

use std::process::Command;

#[test]
fn quick_volumes_bench_writes_maps_and_a_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("volumes");
    let o = Command::new(env!("CARGO_BIN_EXE_oneclass")).args(["bench", "volumes", "--quick", "--resamples", "200", "--out", out.to_str().unwrap()]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["benchmark"], "volumes");
    let classification = report["classification"].as_array().unwrap();
    let localization = report["localization"].as_array().unwrap();
    let methods: Vec<&str> = localization.iter().map(|l| l["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["SAE+loc.OCSVM", "SAE+p.s.OCSVM", "OgAE+loc.OCSVM"]);
    assert_eq!(classification.len(), 3);
    for c in classification {
        for k in ["auroc", "auroc30", "aupr", "p_auroc", "p_auroc30", "p_aupr"] {
            let v = c[k].as_f64().unwrap_or_else(|| panic!("classification {k}: {c}"));
            assert!((0.0..=1.0).contains(&v), "{k} = {v}");
        }
    }
    for l in localization {
        let (aupr, prevalence) = (l["aupr"].as_f64().unwrap(), l["prevalence"].as_f64().unwrap());
        assert!(prevalence > 0.0 && prevalence < 0.5, "{l}");
        assert!(!l["per_patient"].as_array().unwrap().is_empty());
        if l["method"].as_str().unwrap().contains("loc.") {
            assert!(aupr > prevalence, "{}: AUPR {aupr} not above the prevalence {prevalence}", l["method"]);
        }
    }
    for key in ["auroc", "auroc30", "aupr"] {
        assert!(report["localization_tests"][key].is_object(), "{key}");
    }
    // Maps aligned with the images they score.
    let image = oneclass_volume::Volume::read(&out.join("subjects/patient_00_t1.nii.gz")).unwrap();
    let map = oneclass_volume::Volume::read(&out.join("maps/patient_00_ogae_lococsvm.nii.gz")).unwrap();
    assert_eq!((map.dims, map.affine), (image.dims, image.affine));
    assert!(out.join("table.md").exists() && out.join("results.csv").exists());
    assert!(std::fs::read_dir(out.join("overlays")).unwrap().count() > 0);
}
