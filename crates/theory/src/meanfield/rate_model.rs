//! Rate models derived from a [`MeanFieldNetwork`], run by the one rate
//! integrator ([`crate::rate::run`]) (Schuecker et al. 2015; NEST siegert_neuron).
//!
//! # Nonlinear model ([`to_rate_network`]; NEST `siegert_neuron`)
//!
//! ```text
//! tau dnu_a/dt = -nu_a + Phi_a(mu_a(nu), sigma_a(nu))
//! mu_a      = ext_mu_a     + sum_b (tau_m,a K_ab J_ab)  nu_b     (mV; tau_m in s, nu in Hz)
//! sigma_a^2 = ext_sigma2_a + sum_b (tau_m,a K_ab J2_ab) nu_b     (mV^2)
//! ```
//! i.e. a [`RateNetwork`] with `W_ab = tau_m,a K_ab J_ab` (mV/Hz), `bias = ext_mu`,
//! the variance part `W2_ab = tau_m,a K_ab J2_ab`, `bias2 = ext_sigma2` and
//! [`Transfer::Siegert`] per population (these are NEST's `drift_factor` and
//! `diffusion_factor`). Its fixed points are exactly those of
//! [`MeanFieldNetwork::fixed_points`] and its Jacobian is `(W_eff - I)/tau`.
//! Input steps are given in mV of `mu` (a current step `dI` in pA is
//! `dI tau_m / C_m` mV, [`mu_step_mv`]).
//!
//! # Linearised model ([`linearised_rate_network`]; Senk et al. 2020 Sec. F, NNMT `_fit_transfer_function`)
//!
//! Per population the modulus of the dynamic transfer function `N_a(omega)`
//! ([`super::transfer_function`], with the synaptic low-pass for exponential
//! synapses: the perturbation is a synaptic current) at the fixed point is fitted
//! by least squares with a first-order low-pass,
//! `|N(omega)| ~ H0 / sqrt(1 + omega^2 tau_eff^2)` ([`fit_low_pass`]), over the
//! grid [`fit_omegas`]: [`FIT_POINTS`] frequencies log-spaced from
//! [`FIT_F_MIN_HZ`] to [`FIT_F_MAX_HZ`] (omega = 2 pi f; omega = 0 is excluded
//! because N is discontinuous there with the Fourcaud–Brunel shift, see
//! [`super::transfer`]). The band covers the corner frequencies of time constants
//! from ~1.6 ms to ~160 ms. Then
//! ```text
//! tau_eff,a dr_a/dt = -r_a + [ sum_b H0_a tau_m,a K_ab J_ab r_b + c_a + H0_a dmu_a(t) ]_+
//! c_a = nu*_a - sum_b H0_a tau_m,a K_ab J_ab nu*_b
//! ```
//! a [`Transfer::ThresholdLinear`] network (gain 1, threshold 0) whose offset
//! `c` reproduces the fixed point `nu*`; an input step `dmu` (mV) enters as
//! `H0 dmu` (Hz). Only the mean pathway is linearised (as in Senk 2020); the
//! variance term `J2/(2 sigma) dPhi/dsigma` of `W_eff` and delays are not in this
//! model. A population whose `|N|` vanishes on the grid (silent) gets `H0 = 0`
//! and `tau_eff = tau_m` (no fit).

use super::network::{FixedPoint, MeanFieldNetwork};
use super::transfer::transfer_function;
use crate::rate::{RateNetwork, RatePop, Transfer, VarianceInput};
use serde::Serialize;

/// Lowest frequency of the fit grid, Hz.
pub const FIT_F_MIN_HZ: f64 = 1.0;
/// Highest frequency of the fit grid, Hz.
pub const FIT_F_MAX_HZ: f64 = 100.0;
/// Number of frequencies of the fit grid.
pub const FIT_POINTS: usize = 100;

/// The fit grid in rad/s (module docs).
pub fn fit_omegas() -> Vec<f64> {
    let r = (FIT_F_MAX_HZ / FIT_F_MIN_HZ).ln();
    (0..FIT_POINTS)
        .map(|k| {
            let f = FIT_F_MIN_HZ * (r * k as f64 / (FIT_POINTS - 1) as f64).exp();
            2.0 * std::f64::consts::PI * f
        })
        .collect()
}

/// The nonlinear rate model of `mf` with time constant `tau_ms` for every
/// population (module docs). Initial rates are 0 Hz; no schedules, no noise.
pub fn to_rate_network(mf: &MeanFieldNetwork, tau_ms: f64) -> RateNetwork {
    let n = mf.len();
    let pops = mf
        .pops
        .iter()
        .map(|p| RatePop {
            name: p.name.clone(),
            tau_ms,
            transfer: Transfer::Siegert { lif: p.lif },
            lower_clamp_hz: None,
            r0_hz: 0.0,
        })
        .collect();
    let mut net = RateNetwork::new(pops);
    let mut w2 = vec![0.0; n * n];
    for a in 0..n {
        let tau_s = mf.pops[a].lif.tau_m_ms * 1e-3;
        for (b, inp) in mf.recurrent[a].iter().enumerate() {
            net.w[a * n + b] = tau_s * inp.k * inp.j_mv;
            w2[a * n + b] = tau_s * inp.k * inp.j2_mv2;
        }
    }
    net.bias = mf.ext_mu_mv.clone();
    net.variance = Some(VarianceInput {
        w2,
        bias2: mf.ext_sigma2_mv2.clone(),
    });
    net
}

/// Change of `mu` (mV) of every population for a current step of `step_pa[a]`
/// pA into every neuron of population `a`: `dI tau_m / C_m`.
pub fn mu_step_mv(mf: &MeanFieldNetwork, step_pa: &[f64]) -> Vec<f64> {
    mf.pops
        .iter()
        .zip(step_pa)
        .map(|(p, i)| i * p.lif.tau_m_ms / p.c_m_pf)
        .collect()
}

/// Result of [`fit_low_pass`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LowPassFit {
    /// Zero-frequency gain `H0` (units of the fitted data, here Hz/mV).
    pub h0: f64,
    /// Time constant, ms.
    pub tau_ms: f64,
    /// Root-mean-square residual relative to the root-mean-square data.
    pub rel_rms_residual: f64,
}

/// Least-squares fit of `y_k ~ H0 / sqrt(1 + omega_k^2 tau^2)` (`omega` in
/// rad/s, `y >= 0`). For fixed `tau` the optimal `H0 = sum y g / sum g^2`
/// (`g = 1/sqrt(1 + omega^2 tau^2)`), so the residual is minimised over `ln tau`
/// alone: a scan of 1 us..100 s (20 points per decade), then golden-section
/// search in the bracket around the best scan point. `None` when the lengths
/// differ, fewer than 2 points, any value is not finite, or `y` is all zero.
pub fn fit_low_pass(omega_rad_s: &[f64], y: &[f64]) -> Option<LowPassFit> {
    if omega_rad_s.len() != y.len()
        || y.len() < 2
        || omega_rad_s.iter().chain(y).any(|v| !v.is_finite())
        || y.iter().all(|&v| v == 0.0)
    {
        return None;
    }
    let h0_and_cost = |ln_tau: f64| {
        let tau = ln_tau.exp();
        let g: Vec<f64> = omega_rad_s
            .iter()
            .map(|w| 1.0 / (1.0 + w * w * tau * tau).sqrt())
            .collect();
        let h0 = y.iter().zip(&g).map(|(a, b)| a * b).sum::<f64>()
            / g.iter().map(|b| b * b).sum::<f64>();
        let cost = y
            .iter()
            .zip(&g)
            .map(|(a, b)| (a - h0 * b).powi(2))
            .sum::<f64>();
        (h0, cost)
    };
    let (lo, hi) = (1e-6f64.ln(), 100f64.ln());
    let n_scan = 160;
    let step = (hi - lo) / n_scan as f64;
    let best = (0..=n_scan)
        .map(|k| lo + k as f64 * step)
        .min_by(|a, b| h0_and_cost(*a).1.total_cmp(&h0_and_cost(*b).1))?;
    let (mut a, mut b) = ((best - step).max(lo), (best + step).min(hi));
    let gr = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - gr * (b - a), a + gr * (b - a));
    let (mut fc, mut fd) = (h0_and_cost(c).1, h0_and_cost(d).1);
    for _ in 0..200 {
        if (b - a).abs() < 1e-14 {
            break;
        }
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - gr * (b - a);
            fc = h0_and_cost(c).1;
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + gr * (b - a);
            fd = h0_and_cost(d).1;
        }
    }
    let ln_tau = 0.5 * (a + b);
    let (h0, cost) = h0_and_cost(ln_tau);
    let norm = y.iter().map(|v| v * v).sum::<f64>();
    Some(LowPassFit {
        h0,
        tau_ms: ln_tau.exp() * 1e3,
        rel_rms_residual: (cost / norm).sqrt(),
    })
}

/// `|N_a(omega)|` (Hz/mV) on [`fit_omegas`] at the fixed point, fitted per
/// population ([`fit_low_pass`]); `None` for a population whose transfer
/// function vanishes or is undefined (no noise) on the grid.
pub fn fit_transfer_functions(mf: &MeanFieldNetwork, fp: &FixedPoint) -> Vec<Option<LowPassFit>> {
    let omegas = fit_omegas();
    (0..mf.len())
        .map(|a| {
            let lif = &mf.pops[a].lif;
            let y: Option<Vec<f64>> = omegas
                .iter()
                .map(|&w| {
                    transfer_function(lif, fp.mu_mv[a], fp.sigma_mv[a], w, true).map(|z| z.norm())
                })
                .collect();
            fit_low_pass(&omegas, &y?)
        })
        .collect()
}

/// The linearised rate model and the fits it was built from.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearisedModel {
    /// Threshold-linear network, initial rates = the fixed point.
    pub network: RateNetwork,
    /// Per population: the low-pass fit (`None`: silent/noiseless, `H0 = 0`, `tau_eff = tau_m`).
    pub fits: Vec<Option<LowPassFit>>,
    /// `H0_a` used (Hz/mV): the input gain of an input step in mV of `mu`.
    pub h0_hz_per_mv: Vec<f64>,
}

impl LinearisedModel {
    /// `tau_eff` of every population, ms.
    pub fn tau_eff_ms(&self) -> Vec<f64> {
        self.network.pops.iter().map(|p| p.tau_ms).collect()
    }

    /// Epoch amplitudes (Hz) of this model for a step `dmu_mv` of `mu`.
    pub fn input_of_mu_step(&self, dmu_mv: &[f64]) -> Vec<f64> {
        self.h0_hz_per_mv
            .iter()
            .zip(dmu_mv)
            .map(|(h, d)| h * d)
            .collect()
    }
}

/// The linearised threshold-linear model of `mf` around `fp` (module docs).
pub fn linearised_rate_network(mf: &MeanFieldNetwork, fp: &FixedPoint) -> LinearisedModel {
    let n = mf.len();
    let fits = fit_transfer_functions(mf, fp);
    let h0: Vec<f64> = fits.iter().map(|f| f.map_or(0.0, |f| f.h0)).collect();
    let pops = (0..n)
        .map(|a| RatePop {
            name: mf.pops[a].name.clone(),
            tau_ms: fits[a].map_or(mf.pops[a].lif.tau_m_ms, |f| f.tau_ms),
            transfer: Transfer::ThresholdLinear {
                gain: 1.0,
                threshold: 0.0,
            },
            lower_clamp_hz: None,
            r0_hz: fp.rates_hz[a],
        })
        .collect();
    let mut net = RateNetwork::new(pops);
    for (a, &h) in h0.iter().enumerate() {
        let tau_s = mf.pops[a].lif.tau_m_ms * 1e-3;
        let mut drive = 0.0;
        for (b, inp) in mf.recurrent[a].iter().enumerate() {
            let w = h * tau_s * inp.k * inp.j_mv;
            net.w[a * n + b] = w;
            drive += w * fp.rates_hz[b];
        }
        net.bias[a] = fp.rates_hz[a] - drive;
    }
    LinearisedModel {
        network: net,
        fits,
        h0_hz_per_mv: h0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn low_pass(h0: f64, tau_s: f64) -> Vec<f64> {
        fit_omegas()
            .iter()
            .map(|w| h0 / (1.0 + w * w * tau_s * tau_s).sqrt())
            .collect()
    }

    #[test]
    fn fit_recovers_a_synthetic_first_order_low_pass() {
        for (h0, tau_ms) in [(3.7, 10.0), (0.02, 2.5), (150.0, 80.0), (1.0, 0.7)] {
            let f = fit_low_pass(&fit_omegas(), &low_pass(h0, tau_ms * 1e-3)).unwrap();
            assert!((f.h0 - h0).abs() < 1e-9 * h0, "{f:?} vs {h0}");
            assert!(
                (f.tau_ms - tau_ms).abs() < 1e-7 * tau_ms,
                "{f:?} vs {tau_ms}"
            );
            assert!(f.rel_rms_residual < 1e-9);
        }
    }

    #[test]
    fn fit_is_least_squares_for_data_off_the_model() {
        // Two-pole data: the fit is not exact, and perturbing either parameter
        // increases the squared residual.
        let om = fit_omegas();
        let y: Vec<f64> = om
            .iter()
            .map(|w| 5.0 / ((1.0 + (w * 0.01).powi(2)).sqrt() * (1.0 + (w * 0.002).powi(2)).sqrt()))
            .collect();
        let f = fit_low_pass(&om, &y).unwrap();
        assert!(f.rel_rms_residual > 1e-4);
        let cost = |h0: f64, tau_ms: f64| {
            om.iter()
                .zip(&y)
                .map(|(w, v)| (v - h0 / (1.0 + (w * tau_ms * 1e-3).powi(2)).sqrt()).powi(2))
                .sum::<f64>()
        };
        let c0 = cost(f.h0, f.tau_ms);
        for (dh, dt) in [(1.001, 1.0), (0.999, 1.0), (1.0, 1.001), (1.0, 0.999)] {
            assert!(cost(f.h0 * dh, f.tau_ms * dt) > c0);
        }
        assert!(f.tau_ms > 10.0 && f.tau_ms < 12.0, "{f:?}");
    }

    #[test]
    fn fit_refuses_degenerate_input() {
        let om = fit_omegas();
        assert!(fit_low_pass(&om, &vec![0.0; om.len()]).is_none());
        assert!(fit_low_pass(&om[..3], &[1.0, 2.0]).is_none());
        assert!(fit_low_pass(&[1.0], &[1.0]).is_none());
        let mut y = low_pass(1.0, 0.01);
        y[4] = f64::NAN;
        assert!(fit_low_pass(&om, &y).is_none());
    }

    #[test]
    fn fit_grid_is_log_spaced_over_the_documented_band() {
        let om = fit_omegas();
        assert_eq!(om.len(), FIT_POINTS);
        let two_pi = 2.0 * std::f64::consts::PI;
        assert!((om[0] / two_pi - FIT_F_MIN_HZ).abs() < 1e-12);
        assert!((om[FIT_POINTS - 1] / two_pi - FIT_F_MAX_HZ).abs() < 1e-9);
        let r = om[1] / om[0];
        assert!(om.windows(2).all(|w| (w[1] / w[0] - r).abs() < 1e-12));
    }
}
