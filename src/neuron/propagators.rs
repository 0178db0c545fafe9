//! Exact-integration propagators (Rotter & Diesmann 1999) for current-based LIF
//! neurons, with NEST's treatment of the singular case `tau_m ≈ tau_syn`
//! (`libnestutil/propagator_stability.cpp`, NEST ≥ 2.16).
//!
//! For `tau_m dV/dt = -V + tau_m/C I(t)` with an exponential current
//! `I(t) = I0 e^{-t/tau_s}`, the contribution of the current to `V` after one step `h` is
//! `P32 I0` with
//!
//! ```text
//! P32 = tau_s tau_m / (C (tau_m - tau_s)) (e^{-h/tau_m} - e^{-h/tau_s})
//! ```
//!
//! which is 0/0 for `tau_m = tau_s`. Its limit is `h/C e^{-h/tau_m}`. NEST evaluates the
//! regular form with `expm1` and falls back to the limit when the regular form deviates
//! from it by more than twice the first-order correction (i.e. where cancellation has
//! destroyed it). We reproduce exactly that rule so that traces agree with NEST to
//! rounding. `P31` is the same for the alpha-function's second state variable.

/// Contribution of an exponential current (amplitude 1 pA at the start of the step) to V after `h` (mV).
pub fn propagator_32(tau_syn: f64, tau: f64, c: f64, h: f64) -> f64 {
    let p32_linear = 1.0 / (2.0 * c * tau * tau) * h * h * (tau_syn - tau) * (-h / tau).exp();
    let p32_singular = h / c * (-h / tau).exp();
    let p32 = -tau / (c * (1.0 - tau / tau_syn))
        * (-h / tau_syn).exp()
        * (h * (1.0 / tau_syn - 1.0 / tau)).exp_m1();
    let dev_p32 = (p32 - p32_singular).abs();
    if tau == tau_syn || ((tau - tau_syn).abs() < 0.1 && dev_p32 > 2.0 * p32_linear.abs()) {
        p32_singular
    } else {
        p32
    }
}

/// Contribution of the derivative state `dI` of an alpha current to V after `h` (mV per pA/ms).
pub fn propagator_31(tau_syn: f64, tau: f64, c: f64, h: f64) -> f64 {
    let p31_linear = 1.0 / (3.0 * c * tau * tau) * h * h * h * (tau_syn - tau) * (-h / tau).exp();
    let p31 = 1.0 / c
        * ((-h / tau_syn).exp() * (-h / tau + h / tau_syn).exp_m1() / (tau / tau_syn - 1.0) * tau
            - h * (-h / tau_syn).exp())
        / (-1.0 / tau - -1.0 / tau_syn)
        * tau;
    let p31_singular = h * h / 2.0 / c * (-h / tau).exp();
    let dev_p31 = (p31 - p31_singular).abs();
    if tau == tau_syn || ((tau - tau_syn).abs() < 0.1 && dev_p31 > 2.0 * p31_linear.abs()) {
        p31_singular
    } else {
        p31
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The regular form against the closed form where it is well conditioned.
    #[test]
    fn p32_regular_matches_closed_form() {
        let (ts, tm, c, h): (f64, f64, f64, f64) = (2.0, 10.0, 250.0, 0.1);
        let closed = ts * tm / (c * (tm - ts)) * ((-h / tm).exp() - (-h / ts).exp());
        assert!((propagator_32(ts, tm, c, h) - closed).abs() / closed < 1e-13);
    }

    /// Continuity through the singularity (NEST test_iaf_singularity).
    #[test]
    fn p32_p31_continuous_through_singularity() {
        let (tm, c, h) = (10.0, 250.0, 0.1);
        let s32 = propagator_32(tm, tm, c, h);
        let s31 = propagator_31(tm, tm, c, h);
        for d in [1e-12, 1e-9, 1e-6, 1e-3] {
            for ts in [tm + d, tm - d] {
                let p32 = propagator_32(ts, tm, c, h);
                let p31 = propagator_31(ts, tm, c, h);
                assert!(p32.is_finite() && p31.is_finite());
                assert!(
                    (p32 - s32).abs() / s32 < 10.0 * d + 1e-9,
                    "p32 at d={d}: {p32} vs {s32}"
                );
                assert!(
                    (p31 - s31).abs() / s31 < 10.0 * d + 1e-9,
                    "p31 at d={d}: {p31} vs {s31}"
                );
            }
        }
    }
}
