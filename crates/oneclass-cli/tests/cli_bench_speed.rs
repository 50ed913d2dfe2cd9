//! `oneclass bench train-speed` runs the real training loop of each network and reports
//! consistent numbers (no timing is asserted: speed is measured by the benchmark, not tested).

mod common;

use std::process::Command;

#[test]
fn train_speed_reports_both_networks_consistently() {
    let data = common::shared_data("mnist");
    let o = Command::new(env!("CARGO_BIN_EXE_oneclass"))
        .args(["bench", "train-speed", "--ae-epochs", "1", "--cifar-batches", "1", "--toll-batches", "1", "--data-dir", data.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let rows = json["rows"].as_array().unwrap();
    let names: Vec<(&str, &str)> = rows.iter().map(|r| (r["network"].as_str().unwrap(), r["method"].as_str().unwrap())).collect();
    assert_eq!(names, [("ogae-mnist", "ae"), ("cifar10-lenet", "deep-svdd"), ("cifar10-lenet", "ae"), ("toll-mnist", "toll")]);
    for r in rows {
        let (per_batch, per_image) = (r["seconds_per_batch"].as_f64().unwrap(), 1.0 / r["images_per_second"].as_f64().unwrap());
        assert!(per_batch > 0.0 && per_image > 0.0, "{r}");
        // Batches of 100: s/batch = 100 × s/image, and s/epoch = epoch images × s/image.
        assert!((per_batch - 100.0 * per_image).abs() < 1e-9 * per_batch.max(1.0), "{r}");
        let epoch = r["epoch_images"].as_f64().unwrap() * per_image;
        assert!((r["seconds_per_epoch"].as_f64().unwrap() - epoch).abs() < 1e-6 * epoch, "{r}");
    }
    assert_eq!((&rows[0]["images"], &rows[3]["images"]), (&serde_json::json!(18000), &serde_json::json!(100)));
}
