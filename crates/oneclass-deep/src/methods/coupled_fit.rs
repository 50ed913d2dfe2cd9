//! Fitting and scoring of the coupled methods of seed 001's table I (`ogae`, `dspsvdd`,
//! `dvaesvdd`), called from [`crate::model::DeepModel`].

use burn::tensor::{Device, Tensor};
use rand_chacha::ChaCha8Rng;

use super::{ae, deep_svdd, dspsvdd, dvaesvdd, ogae, vae};
use crate::coupled::OgaeInfo;
use crate::data::{to_host1, Samples, SemiLabel};
use crate::error::{invalid, Result};
use crate::model::{build, codes, ModelMeta};
use crate::nn::{NetConfig, Network};
use crate::params::{Hyper, Method};
use crate::train::{train_phase, EpochRecord, PhaseConfig, TrainOptions};

/// What a coupled fit leaves in the model file.
pub(crate) struct CoupledFit {
    pub net: Network,
    pub history: Vec<EpochRecord>,
    pub center: Option<Vec<f32>>,
    pub vae_latent: Option<usize>,
    pub ocsvm: Option<oneclass_svm::OcsvmModel>,
    pub ogae: Option<OgaeInfo>,
}

/// Training inputs shared by the three methods.
pub(crate) struct CoupledData<'a> {
    pub train: &'a Samples,
    pub labels: &'a [SemiLabel],
    pub val: Option<(&'a Samples, &'a [SemiLabel])>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn fit(
    method: Method,
    hyper: &Hyper,
    net_cfg: &NetConfig,
    data: CoupledData<'_>,
    main_phase: &PhaseConfig,
    pre_phase: &PhaseConfig,
    opts: &TrainOptions,
    device: &Device,
    rng: &mut ChaCha8Rng,
    seed: u64,
) -> Result<CoupledFit> {
    let inner = device.clone().without_autodiff();
    let rep = net_cfg.rep_dim();
    let (train, labels, val) = (data.train, data.labels, data.val);
    let empty = |net, history| CoupledFit { net, history, center: None, vae_latent: None, ocsvm: None, ogae: None };
    Ok(match method {
        Method::Ogae => {
            let net = build(net_cfg, net_cfg, Some(rep), false, rng, device);
            let mut loss = ogae::OgaeLoss::new(hyper)?;
            loss.verbose = opts.progress;
            let (net, history) = train_phase(net, &mut loss, train, labels, val, main_phase, opts, device)?;
            loss.finish_epoch();
            // S-A, second part: the final OCSVM on the codes of the whole training set; and the
            // reference's alternative, minibatch OCSVMs whose decisions are averaged.
            let train_codes = codes(&net, train, hyper.score_batch, &inner);
            let batch_ocsvms = ogae::fit_batch_ocsvms(&train_codes, rep, hyper, seed)?;
            let (m, scaler) = ogae::fit_final_ocsvm(train_codes, rep, hyper)?;
            CoupledFit { ocsvm: Some(m), ogae: Some(OgaeInfo { scaler, epochs: loss.logs, batch_ocsvms }), ..empty(net, history) }
        }
        Method::Dspsvdd => {
            let mut net = build(net_cfg, net_cfg, Some(rep), false, rng, device);
            let mut history = Vec::new();
            if hyper.pretrain {
                let (trained, h) = train_phase(net, &mut ae::AeLoss, train, labels, val, pre_phase, opts, device)?;
                history.extend(h);
                net = trained;
            }
            let c = deep_svdd::center_from_codes(&codes(&net, train, hyper.score_batch, &inner), rep, 0.1);
            let mut loss = dspsvdd::DspsvddLoss { center: c, gamma: hyper.coupled.svdd_gamma };
            let (net, h) = train_phase(net, &mut loss, train, labels, val, main_phase, opts, device)?;
            history.extend(h);
            CoupledFit { center: Some(loss.center), ..empty(net, history) }
        }
        Method::Dvaesvdd => {
            let mut enc_cfg = net_cfg.clone();
            enc_cfg.set_rep_dim(2 * rep);
            let net = build(net_cfg, &enc_cfg, Some(rep), false, rng, device);
            let mut loss = dvaesvdd::DvaesvddLoss { vae: vae::VaeLoss::new(hyper.beta, rep, seed.wrapping_add(3)), alpha: hyper.coupled.svdd_alpha };
            let (net, history) = train_phase(net, &mut loss, train, labels, val, main_phase, opts, device)?;
            let center = dvaesvdd::mean_mu(&codes(&net, train, hyper.score_batch, &inner), rep);
            CoupledFit { center: Some(center), vae_latent: Some(rep), ..empty(net, history) }
        }
        other => unreachable!("{} is not a coupled method", other.name()),
    })
}

/// Scores of one batch (higher = more anomalous).
pub(crate) fn score(meta: &ModelMeta, net: &Network, x: Tensor<2>) -> Result<Vec<f64>> {
    let centre = || meta.center.as_deref().ok_or_else(|| invalid("center", "model has no centre"));
    match meta.method {
        Method::Ogae => ogae::score(net, x, &meta.hyper, meta.ocsvm.as_ref(), meta.ogae.as_ref()),
        Method::Dspsvdd => Ok(to_host1(deep_svdd::score(net, x, centre()?, None))),
        Method::Dvaesvdd => Ok(to_host1(dvaesvdd::score(net, x, meta.vae_latent.unwrap_or(1), centre()?))),
        other => unreachable!("{} is not a coupled method", other.name()),
    }
}
