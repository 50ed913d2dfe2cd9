use oneclass_svm::diff::{DecisionScale, GradientPath, OcsvmLayer, SmallOcsvm};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
fn main() {
    let n: usize = std::env::args().nth(1).map(|a| a.parse().unwrap()).unwrap_or(50);
    let reps: usize = std::env::args().nth(2).map(|a| a.parse().unwrap()).unwrap_or(2000);
    let d = 32;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut gen = |m: usize| -> Vec<f64> { (0..m).map(|_| { let e: f64 = StandardNormal.sample(&mut rng); e }).collect() };
    let sets: Vec<(Vec<f64>, Vec<f64>, Vec<f64>)> = (0..16).map(|_| (gen(n * d), gen(n * d), gen(n))).collect();
    let layer = OcsvmLayer::new(SmallOcsvm::new(0.1), DecisionScale::Libsvm).unwrap();
    let mut sink = 0.0;
    let t = std::time::Instant::now();
    for r in 0..reps {
        let (a, b, g) = &sets[r % 16];
        let (f, tape) = layer.forward(a, n, b, n, d).unwrap();
        let gr = tape.backward(g, GradientPath::Both).unwrap();
        sink += f[0] + gr.z_svm[0] + gr.z_l[0];
    }
    println!("{:.2} us/iter sink {sink}", t.elapsed().as_secs_f64() * 1e6 / reps as f64);
}
