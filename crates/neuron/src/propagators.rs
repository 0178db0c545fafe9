//! Exact-integration propagators (Rotter & Diesmann 1999) for current-based LIF
//! neurons, accurate for every `tau_m`, `tau_syn` — including `tau_m = tau_syn`.
//!
//! With `a = 1/tau_s - 1/tau_m`, an exponential current `I(t) = e^{-t/tau_s}` (1 pA at
//! the start of the step) moves `V` by
//!
//! ```text
//! P32 = 1/C ∫_0^h e^{-u/tau_s} e^{-(h-u)/tau_m} du = h/C e^{-h/tau_m} φ1(-a h),   φ1(z) = (e^z - 1)/z
//! ```
//!
//! and the alpha-current state `dI` (current `t e^{-t/tau_s}`) by
//!
//! ```text
//! P31 = 1/C ∫_0^h u e^{-u/tau_s} e^{-(h-u)/tau_m} du = h²/C e^{-h/tau_m} g(a h),  g(x) = (1 - e^{-x}(1 + x))/x²
//! ```
//!
//! The textbook form `tau_s tau_m/(C (tau_m - tau_s)) (e^{-h/tau_m} - e^{-h/tau_s})` is 0/0 at
//! `tau_m = tau_s` and loses digits near it. NEST (`propagator_stability.cpp`) evaluates it
//! and falls back to the limit `h/C e^{-h/tau_m}` when it looks damaged, which leaves errors
//! up to ~1e-6 relative for `|tau_m - tau_s| ~ 1e-3 ms` (measured against the matrix
//! exponential). Here `φ1` is evaluated with `expm1` and `g` by its power series for
//! `|x| < 1`, so both propagators are accurate to rounding everywhere and continuous
//! through the singular point; where NEST's form is accurate the two agree to rounding
//! (the single-neuron tests against NEST 3.10 pass at 1e-9).

/// `(e^z - 1)/z`, 1 at z = 0.
fn phi1(z: f64) -> f64 {
    if z == 0.0 { 1.0 } else { z.exp_m1() / z }
}

/// `(1 - e^{-x}(1 + x))/x² = Σ_k (-x)^k / (k! (k + 2))`, 1/2 at x = 0.
fn g2(x: f64) -> f64 {
    if x.abs() < 1.0 {
        let mut term = 1.0; // (-x)^k / k!
        let mut sum = 0.0;
        for k in 0..30 {
            sum += term / (k as f64 + 2.0);
            term *= -x / (k as f64 + 1.0);
            if term.abs() < 1e-18 * sum.abs() {
                break;
            }
        }
        sum
    } else {
        (1.0 - (-x).exp() * (1.0 + x)) / (x * x)
    }
}

/// Contribution of an exponential current (1 pA at the start of the step) to V after `h` (mV).
pub fn propagator_32(tau_syn: f64, tau: f64, c: f64, h: f64) -> f64 {
    let a = 1.0 / tau_syn - 1.0 / tau;
    h / c * (-h / tau).exp() * phi1(-a * h)
}

/// Contribution of the derivative state `dI` (pA/ms) of an alpha current to V after `h` (mV).
pub fn propagator_31(tau_syn: f64, tau: f64, c: f64, h: f64) -> f64 {
    let a = 1.0 / tau_syn - 1.0 / tau;
    h * h / c * (-h / tau).exp() * g2(a * h)
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

    /// Against the matrix exponential (scipy.linalg.expm) where NEST's form loses digits:
    /// ts = 10.001, tm = 10, C = 250, h = 0.1.
    #[test]
    fn accurate_near_singularity() {
        let p31 = propagator_31(10.001, 10.0, 250.0, 0.1);
        assert!(
            (p31 - 1.980100987433282e-05).abs() / 1.980100987433282e-05 < 1e-12,
            "{p31}"
        );
    }

    /// Continuity through the singularity (NEST test_iaf_singularity).
    /// Both propagators against the matrix exponential of the alpha system
    /// (dI' = -dI/ts, I' = dI - I/ts, V' = -V/tm + I/C), computed with scipy.linalg.expm
    /// for ts = 2, tm = 10, C = 250, h = 0.1.
    #[test]
    fn p31_p32_match_matrix_exponential() {
        let (p31, p32) = (
            propagator_31(2.0, 10.0, 250.0, 0.1),
            propagator_32(2.0, 10.0, 250.0, 0.1),
        );
        assert!(
            (p31 - 1.9280806710637105e-05).abs() / 1.9280806710637105e-05 < 1e-12,
            "{p31}"
        );
        assert!(
            (p32 - 0.0003882040924845405).abs() / 0.0003882040924845405 < 1e-12,
            "{p32}"
        );
    }

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
