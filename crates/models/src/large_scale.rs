//! 29-area macaque rate model of Chaudhuri et al. 2015 (Neuron 88:419) and its weak/strong
//! global-balanced-amplification variants of Joglekar et al. 2018 (Neuron 98:222).
//!
//! Per area `i` an excitatory (`<area>.E`) and an inhibitory (`<area>.I`) population,
//! interleaved (`2i`, `2i+1`), with threshold-linear transfer:
//!
//! ```text
//! τ_E dv_E^i/dt = −v_E^i + β_E [ (1+η h_i)(w_EE v_E^i + μ_EE Σ_j FLN_ij v_E^j) − w_EI v_I^i + I_E^i ]_+
//! τ_I dv_I^i/dt = −v_I^i + β_I [ (1+η h_i)(w_IE v_E^i + μ_IE Σ_j FLN_ij v_E^j) − w_II v_I^i + I_I^i ]_+
//! ```
//!
//! The network is built in *rate units*, like the published code (Chaudhuri's Python in
//! xjwanglab/book, Joglekar's Matlab): the gains β are folded into `W` (`W = β w`, Hz/Hz),
//! the transfer is `max(x, 0)`, and inputs (background, pulses, noise) are in Hz, i.e.
//! β × current. The background is solved so the baseline `(r_E, r_I)` (10, 35 Hz) is a fixed
//! point: `bias = r0 − W r0`, and the rates start there. Joglekar's rate model additionally
//! clamps rates from below at the baseline (ReScience eq. 27, in the Matlab).
//!
//! Parameter names follow the paper: `w_IE` is E→I, `w_EI` is I→E.

use super::markov::MacaqueData;
use cortexsim_theory::rate::{RateNetwork, RatePop, Transfer};
use serde::{Deserialize, Serialize};

/// Parameters of the 29-area model (units as in Chaudhuri 2015).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LargeScaleParams {
    /// Strength of the hierarchy gradient η.
    pub eta: f64,
    /// Long-range E→E and E→I scales (pA/Hz).
    pub mu_ee: f64,
    pub mu_ie: f64,
    /// Local weights (pA/Hz): E→E, E→I, I→E, I→I.
    pub w_ee: f64,
    pub w_ie: f64,
    pub w_ei: f64,
    pub w_ii: f64,
    /// Gains (Hz/pA).
    pub beta_e: f64,
    pub beta_i: f64,
    /// Time constants (ms).
    pub tau_e: f64,
    pub tau_i: f64,
    /// Baseline rates (Hz) the background is solved for.
    pub r_e: f64,
    pub r_i: f64,
    /// Clamp rates from below at the baseline (Joglekar 2018 rate model).
    pub clamp_at_baseline: bool,
}

/// Joglekar 2018 regimes of global balanced amplification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gba {
    Weak,
    Strong,
}

impl LargeScaleParams {
    /// Chaudhuri 2015 (Chaudhuri et al. 2015, Neuron 88:419).
    pub fn chaudhuri2015() -> Self {
        LargeScaleParams {
            eta: 0.68,
            mu_ee: 33.7,
            mu_ie: 25.3,
            w_ee: 24.3,
            w_ie: 12.2,
            w_ei: 19.7,
            w_ii: 12.5,
            beta_e: 0.066,
            beta_i: 0.351,
            tau_e: 20.0,
            tau_i: 10.0,
            r_e: 10.0,
            r_i: 35.0,
            clamp_at_baseline: false,
        }
    }

    /// Joglekar 2018 rate model: weak GBA = Chaudhuri's `w_EI` 19.7, `μ_EE` 33.7; strong GBA
    /// `w_EI` 25.2, `μ_EE` 51.5; rates clamped at baseline (Joglekar et al. 2018, Neuron 98:222).
    pub fn joglekar2018(gba: Gba) -> Self {
        let mut p = Self::chaudhuri2015();
        p.clamp_at_baseline = true;
        if gba == Gba::Strong {
            p.w_ei = 25.2;
            p.mu_ee = 51.5;
        }
        p
    }
}

/// V1 pulse amplitude (rate units, Hz) of Joglekar's Matlab that drives V1 to ~100 Hz.
pub fn joglekar2018_pulse_hz(gba: Gba) -> f64 {
    match gba {
        Gba::Weak => 22.05 * 1.9,
        Gba::Strong => 11.54 * 1.9,
    }
}

/// Name of the E population of `area`.
pub fn e_pop(area: &str) -> String {
    format!("{area}.E")
}

/// Name of the I population of `area`.
pub fn i_pop(area: &str) -> String {
    format!("{area}.I")
}

/// Build the network (see the module docs).
pub fn build(data: &MacaqueData, p: &LargeScaleParams) -> RateNetwork {
    let n_areas = data.n();
    let relu = Transfer::ThresholdLinear {
        gain: 1.0,
        threshold: 0.0,
    };
    let clamp = |r: f64| p.clamp_at_baseline.then_some(r);
    let mut pops = Vec::with_capacity(2 * n_areas);
    for area in &data.areas {
        pops.push(RatePop {
            name: e_pop(area),
            tau_ms: p.tau_e,
            transfer: relu,
            lower_clamp_hz: clamp(p.r_e),
            r0_hz: p.r_e,
        });
        pops.push(RatePop {
            name: i_pop(area),
            tau_ms: p.tau_i,
            transfer: relu,
            lower_clamp_hz: clamp(p.r_i),
            r0_hz: p.r_i,
        });
    }
    let mut net = RateNetwork::new(pops);
    for i in 0..n_areas {
        let scale = 1.0 + p.eta * data.hier_norm[i];
        let (e, inh) = (2 * i, 2 * i + 1);
        net.set_weight(e, e, p.beta_e * p.w_ee * scale);
        net.set_weight(e, inh, -p.beta_e * p.w_ei);
        net.set_weight(inh, e, p.beta_i * p.w_ie * scale);
        net.set_weight(inh, inh, -p.beta_i * p.w_ii);
        for j in 0..n_areas {
            let fln = data.fln(i, j);
            if j != i && fln != 0.0 {
                net.set_weight(e, 2 * j, p.beta_e * p.mu_ee * scale * fln);
                net.set_weight(inh, 2 * j, p.beta_i * p.mu_ie * scale * fln);
            }
        }
    }
    let n = net.n();
    let r0: Vec<f64> = net.pops.iter().map(|q| q.r0_hz).collect();
    for t in 0..n {
        let wr: f64 = (0..n).map(|s| net.weight(t, s) * r0[s]).sum();
        net.bias[t] = r0[t] - wr;
    }
    net
}
