//! Supervised deep binary classifier baseline (seed 004, appendix C): unlabeled samples count
//! as normal, labeled anomalies as anomalous; binary cross-entropy on a logit head over the
//! representation. Score = the logit (higher = more anomalous).

use burn::tensor::activation::log_sigmoid;
use burn::tensor::{Tensor, TensorData};

use crate::data::SemiLabel;
use crate::nn::Network;
use crate::train::Loss;

pub(crate) struct ClassifierLoss;

pub(crate) fn logit(net: &Network, x: Tensor<2>) -> (Tensor<1>, Tensor<2>) {
    let z = net.encode(x);
    let n = z.dims()[0];
    let head = net.head.as_ref().expect("classifier network has a head");
    (head.forward(z.clone()).reshape([n]), z)
}

impl Loss for ClassifierLoss {
    fn loss(&mut self, net: &Network, x: Tensor<2>, labels: &[SemiLabel], _epoch: usize, _training: bool) -> (Tensor<1>, Tensor<2>) {
        let device = x.device();
        let n = labels.len();
        let (s, z) = logit(net, x);
        let t: Vec<f32> = labels.iter().map(|&y| if y == -1 { 1.0 } else { 0.0 }).collect();
        let t = Tensor::<1>::from_data(TensorData::new(t, [n]), &device);
        // BCE with logits: −[t·log σ(s) + (1 − t)·log σ(−s)].
        let bce = (t.clone() * log_sigmoid(s.clone()) + (t.neg().add_scalar(1.0)) * log_sigmoid(s.neg())).neg();
        (bce.mean(), z)
    }
}
