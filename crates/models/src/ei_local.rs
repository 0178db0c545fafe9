//! Local excitatory–inhibitory rate circuit (balanced-amplification demo of Joglekar 2018,
//! parameters from the ReScience replication, Table 2 — partly guessed there, see
//! Joglekar et al. 2018, Neuron 98:222).
//!
//! ```text
//! τ_E dr_E/dt = −r_E + β [ w_EE r_E − w_EI r_I + I_E ]_+
//! τ_I dr_I/dt = −r_I + β [ w_IE r_E − w_II r_I + I_I ]_+
//! ```
//!
//! Started from `r_E(0) = 1 Hz`, `r_I(0) = 0` without background, the response is a
//! transient: strong local balanced amplification (larger `w_EE`, `w_EI`) amplifies more
//! (E peaks at 5.5 Hz vs 2.2 Hz for weak). ReScience also reports a longer transient; with
//! these parameters the strong circuit has complex eigenvalues (decay time 56 ms vs a slow
//! real mode of 88 ms for weak), so here E returns below 10% of its peak sooner
//! (182 ms vs 232 ms).

use cortexsim_theory::rate::{RateNetwork, RatePop, Transfer};
use serde::{Deserialize, Serialize};

/// Parameters (weights dimensionless with β = 1, times in ms, rates in Hz).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EiLocalParams {
    pub tau_e: f64,
    pub tau_i: f64,
    /// E→E, E→I, I→E, I→I (magnitudes; I→E and I→I enter negatively).
    pub w_ee: f64,
    pub w_ie: f64,
    pub w_ei: f64,
    pub w_ii: f64,
    /// Gain β of the threshold-linear transfer.
    pub beta: f64,
    /// Background inputs.
    pub i_e: f64,
    pub i_i: f64,
    /// Initial rates (Hz).
    pub r0_e: f64,
    pub r0_i: f64,
}

/// Local balanced amplification regime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lba {
    Weak,
    Strong,
}

impl EiLocalParams {
    /// ReScience Table 2: weak LBA `w_EE` 4.45, `w_EI` 4.70; strong 6.0, 6.7;
    /// `w_IE` 4.29, `w_II` 4.71; β = 1, τ = 20 ms, `r_E(0)` = 1 Hz, `r_I(0)` = 0.
    pub fn joglekar2018(lba: Lba) -> Self {
        let (w_ee, w_ei) = match lba {
            Lba::Weak => (4.45, 4.70),
            Lba::Strong => (6.0, 6.7),
        };
        EiLocalParams {
            tau_e: 20.0,
            tau_i: 20.0,
            w_ee,
            w_ie: 4.29,
            w_ei,
            w_ii: 4.71,
            beta: 1.0,
            i_e: 0.0,
            i_i: 0.0,
            r0_e: 1.0,
            r0_i: 0.0,
        }
    }
}

/// Build the two-population network `E`, `I`.
pub fn build(p: &EiLocalParams) -> RateNetwork {
    let f = Transfer::ThresholdLinear {
        gain: p.beta,
        threshold: 0.0,
    };
    let pop = |name: &str, tau_ms: f64, r0_hz: f64| RatePop {
        name: name.into(),
        tau_ms,
        transfer: f,
        lower_clamp_hz: None,
        r0_hz,
    };
    let mut net = RateNetwork::new(vec![pop("E", p.tau_e, p.r0_e), pop("I", p.tau_i, p.r0_i)]);
    net.w = vec![p.w_ee, -p.w_ei, p.w_ie, -p.w_ii];
    net.bias = vec![p.i_e, p.i_i];
    net
}
