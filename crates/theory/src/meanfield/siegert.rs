//! Stationary LIF transfer function in the diffusion approximation: the
//! Siegert formula, its Fourcaud–Brunel correction for synaptic filtering, its
//! derivatives and the ISI coefficient of variation.
//!
//! Units at the API: potentials in mV **relative to the resting potential
//! E_L**, times in ms, rates in Hz, derivatives in Hz/mV.
//!
//! # Siegert formula (Siegert 1951; Amit & Brunel 1997 eq. A7; Brunel 2000 eq. 21)
//!
//! ```text
//! 1/nu = t_ref + tau_m sqrt(pi) Int_{y_r}^{y_th} e^{u^2} (1 + erf u) du,
//! y_th = (V_th - mu)/sigma,  y_r = (V_reset - mu)/sigma
//! ```
//!
//! Evaluated without overflow or cancellation (NEST `siegert_neuron`, NNMT
//! `lif/delta.py`, docs/DEPENDENCIES.md §9) from `e^{u^2}(1+erf u) = erfcx(-u)`
//! and `Int_0^x e^{u^2} du = e^{x^2} D(x)` (Dawson D): with `m = max(y_th,0)^2`,
//!
//! ```text
//! J   = e^{-m} Int_{y_r}^{y_th} erfcx(-u) du
//!     = e^{-m} Int_{max(-y_th,0)}^{-y_r} erfcx(t) dt                 (part u < 0, if y_r < 0)
//!     + 2 [D(b) - e^{a^2-b^2} D(a)] - e^{-m} Int_a^b erfcx(u) du     (part u > 0, a = max(y_r,0), b = y_th > 0)
//! nu  = e^{-m} / (e^{-m} t_ref + tau_m sqrt(pi) J)
//! ```
//!
//! This covers the three regimes of the Siegert formula (mean-driven `y_th < 0`,
//! `y_r <= 0 <= y_th`, noise-driven `0 < y_r`) in one expression. For `m > 745`
//! `e^{-m}` underflows and the rate is exactly 0 (true value < 1e-300 Hz). The
//! erfcx integrals use Gauss–Legendre on doubling panels up to `t = 100` and the
//! integrated asymptotic series beyond,
//! `Int erfcx = (ln t + 1/(4t^2) - 3/(16t^4) + 5/(16t^6) - 105/(128 t^8))/sqrt(pi)`,
//! so arbitrarily large |y| (sigma -> 0) cost nothing extra.
//!
//! **sigma -> 0** (deterministic LIF): `sigma <= 0`, or `y` not finite, returns
//! `1/(t_ref + tau_m ln((mu - V_r)/(mu - V_th)))` for `mu > V_th`, else 0 —
//! the limit of the formula above.
//!
//! # Fourcaud–Brunel shift (Fourcaud & Brunel 2002, eq. after 4.33; NNMT `lif/exp.py::_firing_rate_shift`)
//!
//! For exponentially filtered synaptic currents with `k = sqrt(tau_s/tau_m) << 1`,
//! threshold and reset are both shifted by `sigma * alpha/2 * k`,
//! `alpha = sqrt(2) |zeta(1/2)| = 2.0652531522312172`. Valid to first order in `k`
//! (NNMT warns above k ~ 0.3).
//! **Alpha-shaped synapses** are *approximated* by the same shift with `tau_s`
//! set to the alpha time constant: the colored-noise theory behind the shift
//! assumes a first-order (exponential) filter; an alpha kernel is a second-order
//! filter of the same time constant, whose effect on the rate is also O(k) but
//! with a different coefficient that has not been derived here. Treat rates of
//! alpha-synapse models as accurate to O(k), not better.
//!
//! # Derivatives (Schuecker 2014 App. B; Helias 2013 eq. A.3; NNMT `_derivative_of_firing_rates_wrt_mean_input`)
//!
//! ```text
//! dPhi/dmu    = sqrt(pi) tau_m nu^2 / sigma * [f(y_th) - f(y_r)],           f(y) = erfcx(-y)
//! dPhi/dsigma = sqrt(pi) tau_m nu^2 / sigma * [(y_th - c) f(y_th) - (y_r - c) f(y_r)]
//! ```
//! with `c = alpha/2 sqrt(tau_s/tau_m)` the shift in units of sigma (`c = 0` for
//! delta synapses; the `-c` is the chain rule through the sigma-dependent shift,
//! so these are the exact derivatives of [`siegert_shifted`]). `nu^2 f(y)` is
//! evaluated as `nu * g(y) / den` with `g(y) = e^{-m} f(y)` bounded.
//!
//! # ISI CV (Brunel 2000 eq. 22)
//!
//! ```text
//! CV^2 = 2 pi (nu tau_m)^2 Int_{y_r}^{y_th} e^{x^2} dx Int_{-inf}^{x} e^{y^2} (1 + erf y)^2 dy
//! ```
//! With `h(x) = e^{x^2} Int_{-inf}^x e^{y^2}(1+erf y)^2 dy` the inner integral is
//! evaluated in a scaled form on each side of 0:
//! * `x <= 0`: substituting `y = x - s`, `h(x) = Int_0^inf e^{-(2|x| s + s^2)} erfcx(|x|+s)^2 ds`
//!   (bounded, ~ 1/(2 pi |x|^3) as x -> -inf);
//! * `x > 0`: `e^{-2m} h(x) = e^{x^2-2m} h(0) + e^{2(x^2-m)} Int_0^x e^{y^2-x^2} (1+erf y)^2 dy`.
//!
//! and `CV^2 = 2 pi (tau_m/den)^2 e^{-2m} Int h`, so the result stays finite even
//! when the rate itself underflows (where CV -> 1, the Poisson limit).

use super::quad::{Toward, integrate_graded};
use errorfunctions::RealErrorFunctions;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// `alpha = sqrt(2) |zeta(1/2)|` of the Fourcaud–Brunel shift (NEST `siegert_neuron`).
pub const FB_ALPHA: f64 = 2.065_253_152_231_217;

const SQRT_PI: f64 = 1.772_453_850_905_516;

/// LIF neuron parameters for mean-field theory. Potentials are relative to the
/// resting potential E_L (`v_th_mv = V_th - E_L`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LifParams {
    /// Membrane time constant, ms (> 0).
    pub tau_m_ms: f64,
    /// Absolute refractory period, ms (>= 0).
    pub t_ref_ms: f64,
    /// Threshold relative to E_L, mV (> `v_reset_mv`).
    pub v_th_mv: f64,
    /// Reset potential relative to E_L, mV.
    pub v_reset_mv: f64,
    /// Synaptic (exponential PSC) time constant, ms; 0 means delta synapses.
    pub tau_s_ms: f64,
}

impl LifParams {
    /// Checks the constraints listed on the fields; `Err` names the field.
    pub fn validate(&self) -> Result<(), String> {
        let ok = |c: bool, msg: &str| if c { Ok(()) } else { Err(msg.to_string()) };
        ok(
            self.tau_m_ms.is_finite() && self.tau_m_ms > 0.0,
            "tau_m_ms must be > 0",
        )?;
        ok(
            self.t_ref_ms.is_finite() && self.t_ref_ms >= 0.0,
            "t_ref_ms must be >= 0",
        )?;
        ok(
            self.tau_s_ms.is_finite() && self.tau_s_ms >= 0.0,
            "tau_s_ms must be >= 0",
        )?;
        ok(
            self.v_th_mv.is_finite()
                && self.v_reset_mv.is_finite()
                && self.v_th_mv > self.v_reset_mv,
            "v_th_mv must be finite and > v_reset_mv",
        )
    }

    /// Fourcaud–Brunel shift in units of sigma, `c = alpha/2 sqrt(tau_s/tau_m)`;
    /// 0 for delta synapses.
    pub fn shift_factor(&self) -> f64 {
        if self.tau_s_ms > 0.0 {
            0.5 * FB_ALPHA * (self.tau_s_ms / self.tau_m_ms).sqrt()
        } else {
            0.0
        }
    }
}

/// `Int_c^d erfcx(t) dt` for `0 <= c <= d` (d may be +inf).
pub(crate) fn int_erfcx(c: f64, d: f64) -> f64 {
    debug_assert!(c >= 0.0 && d >= c);
    const T: f64 = 100.0;
    let mut s = 0.0;
    // quadrature part on [c, min(d, T)], panels [0,0.5],[0.5,1],[1,2],[2,4],...
    let q_hi = d.min(T);
    if q_hi > c {
        let mut lo: f64 = 0.0;
        let mut hi: f64 = 0.5;
        while lo < q_hi {
            let (a, b) = (lo.max(c), hi.min(q_hi));
            if b > a {
                s += super::quad::gl_panel(&mut |t: f64| t.erfcx(), a, b);
            }
            lo = hi;
            hi = if hi < 1.0 { 1.0 } else { (2.0 * hi).min(T) };
        }
    }
    // asymptotic tail on [max(c,T), d]
    if d > T {
        let lo = c.max(T);
        if d.is_infinite() {
            return f64::INFINITY;
        }
        let g = |t: f64| {
            let r = 1.0 / (t * t);
            r * (0.25 + r * (-3.0 / 16.0 + r * (5.0 / 16.0 - r * 105.0 / 128.0)))
        };
        s += ((d / lo).ln() + g(d) - g(lo)) / SQRT_PI;
    }
    s
}

/// `1 + erf(y)` without cancellation for y < 0 and without loss for y > 0.
fn one_plus_erf(y: f64) -> f64 {
    if y < 0.0 {
        (-y * y).exp() * (-y).erfcx()
    } else {
        2.0 - (-y * y).exp() * y.erfcx()
    }
}

/// Internal result of the Siegert evaluation: `nu = e^{-m}/den` (Hz).
#[derive(Clone, Copy, Debug)]
struct Core {
    nu: f64,
    /// `max(y_th, 0)^2`
    m: f64,
    /// denominator, s
    den: f64,
    y_th: f64,
    y_r: f64,
}

/// Noiseless LIF rate (Hz) for potentials in mV and times in s.
fn deterministic_rate(tau_s: f64, t_ref_s: f64, th: f64, vr: f64, mu: f64) -> f64 {
    if mu > th {
        1.0 / (t_ref_s + tau_s * ((mu - vr) / (mu - th)).ln())
    } else {
        0.0
    }
}

/// Siegert core with thresholds `th`, `vr` (mV); `None` in the deterministic limit.
fn core(tau_m_s: f64, t_ref_s: f64, th: f64, vr: f64, mu: f64, sigma: f64) -> Option<Core> {
    if sigma.is_nan() || sigma <= 0.0 {
        return None;
    }
    let y_th = (th - mu) / sigma;
    let y_r = (vr - mu) / sigma;
    if !y_th.is_finite() || !y_r.is_finite() {
        return None;
    }
    let m = if y_th > 0.0 { y_th * y_th } else { 0.0 };
    let em = (-m).exp();
    let mut j = 0.0;
    if y_r < 0.0 {
        let lo = (-y_th).max(0.0);
        let hi = -y_r;
        if hi > lo && em > 0.0 {
            j += em * int_erfcx(lo, hi);
        }
    }
    if y_th > 0.0 {
        let a = y_r.max(0.0);
        let b = y_th;
        j += 2.0 * (b.dawson() - (a * a - b * b).exp() * a.dawson());
        if em > 0.0 {
            j -= em * int_erfcx(a, b);
        }
    }
    let den = em * t_ref_s + tau_m_s * SQRT_PI * j;
    Some(Core {
        nu: em / den,
        m,
        den,
        y_th,
        y_r,
    })
}

/// `e^{-m} erfcx(-y)` for `y <= sqrt(m)` (bounded by 2).
fn g_scaled(y: f64, m: f64) -> f64 {
    if y > 0.0 {
        (y * y - m).exp() * one_plus_erf(y)
    } else {
        (-m).exp() * (-y).erfcx()
    }
}

/// Thresholds after the Fourcaud–Brunel shift (`c = 0`: unshifted).
fn shifted(p: &LifParams, sigma: f64, c: f64) -> (f64, f64) {
    let s = if sigma > 0.0 { sigma * c } else { 0.0 };
    (p.v_th_mv + s, p.v_reset_mv + s)
}

fn rate_with_shift(p: &LifParams, mu_mv: f64, sigma_mv: f64, c: f64) -> f64 {
    let (th, vr) = shifted(p, sigma_mv, c);
    let (tau, tref) = (p.tau_m_ms * 1e-3, p.t_ref_ms * 1e-3);
    match core(tau, tref, th, vr, mu_mv, sigma_mv) {
        Some(k) => k.nu,
        None => deterministic_rate(tau, tref, th, vr, mu_mv),
    }
}

/// Stationary rate (Hz) of a LIF neuron with **delta** synapses driven by white
/// noise of mean `mu_mv` and std `sigma_mv` (mV, relative to E_L): the Siegert
/// formula in its overflow-free form (module docs). Ignores `p.tau_s_ms`.
/// Returns exactly 0 for huge thresholds, the noiseless LIF rate for
/// `sigma_mv <= 0`, never NaN for finite inputs.
pub fn siegert(p: &LifParams, mu_mv: f64, sigma_mv: f64) -> f64 {
    rate_with_shift(p, mu_mv, sigma_mv, 0.0)
}

/// Stationary rate (Hz) with the Fourcaud–Brunel threshold/reset shift for
/// exponential synapses of time constant `p.tau_s_ms` (module docs; equal to
/// [`siegert`] when `tau_s_ms == 0`). Also used, as an approximation, for alpha
/// synapses.
pub fn siegert_shifted(p: &LifParams, mu_mv: f64, sigma_mv: f64) -> f64 {
    rate_with_shift(p, mu_mv, sigma_mv, p.shift_factor())
}

/// The transfer function used by the network solver: [`siegert_shifted`]
/// (which reduces to [`siegert`] for delta synapses).
pub fn phi(p: &LifParams, mu_mv: f64, sigma_mv: f64) -> f64 {
    siegert_shifted(p, mu_mv, sigma_mv)
}

/// Both partial derivatives of [`phi`]: `(dPhi/dmu, dPhi/dsigma)` in Hz/mV.
/// In the deterministic limit (`sigma <= 0`) dPhi/dmu is the derivative of the
/// noiseless rate and dPhi/dsigma is 0 (the rate is even in sigma there).
pub fn dphi(p: &LifParams, mu_mv: f64, sigma_mv: f64) -> (f64, f64) {
    let c = p.shift_factor();
    let (th, vr) = shifted(p, sigma_mv, c);
    let (tau, tref) = (p.tau_m_ms * 1e-3, p.t_ref_ms * 1e-3);
    match core(tau, tref, th, vr, mu_mv, sigma_mv) {
        Some(k) => {
            if k.nu == 0.0 {
                return (0.0, 0.0);
            }
            let gt = g_scaled(k.y_th, k.m);
            let gr = g_scaled(k.y_r, k.m);
            let pre = SQRT_PI * tau * k.nu / (sigma_mv * k.den);
            (
                pre * (gt - gr),
                pre * ((k.y_th - c) * gt - (k.y_r - c) * gr),
            )
        }
        None => {
            let nu = deterministic_rate(tau, tref, th, vr, mu_mv);
            if nu > 0.0 {
                (
                    nu * nu * tau * (th - vr) / ((mu_mv - vr) * (mu_mv - th)),
                    0.0,
                )
            } else {
                (0.0, 0.0)
            }
        }
    }
}

/// `dPhi/dmu` of [`phi`] in Hz/mV (Schuecker 2014 App. B; module docs).
pub fn dphi_dmu(p: &LifParams, mu_mv: f64, sigma_mv: f64) -> f64 {
    dphi(p, mu_mv, sigma_mv).0
}

/// `dPhi/dsigma` of [`phi`] in Hz/mV, including the chain rule through the
/// sigma-dependent Fourcaud–Brunel shift.
pub fn dphi_dsigma(p: &LifParams, mu_mv: f64, sigma_mv: f64) -> f64 {
    dphi(p, mu_mv, sigma_mv).1
}

/// `h(x) = e^{x^2} Int_{-inf}^x e^{y^2}(1+erf y)^2 dy` for `x <= 0`.
fn h_neg(x: f64) -> f64 {
    let ax = -x;
    let s_max = -ax + (ax * ax + 80.0).sqrt();
    let w0 = 0.5 / (2.0 * ax + 1.0);
    integrate_graded(
        |s| {
            let e = (-(2.0 * ax * s + s * s)).exp();
            let r = (ax + s).erfcx();
            e * r * r
        },
        0.0,
        s_max,
        w0,
        Toward::Lower,
    )
}

/// ISI coefficient of variation of the LIF neuron under white noise (Brunel
/// 2000 eq. 22), evaluated at the same (shifted, if `tau_s_ms > 0`) thresholds
/// as [`phi`] — for synaptic filtering that is an approximation (the formula is
/// exact for white noise only). `None` when the neuron does not fire: `sigma <= 0`
/// and `mu <= V_th`. For `sigma <= 0` and `mu > V_th` (regular firing) returns 0.
pub fn cv_isi(p: &LifParams, mu_mv: f64, sigma_mv: f64) -> Option<f64> {
    let c = p.shift_factor();
    let (th, vr) = shifted(p, sigma_mv, c);
    let (tau, tref) = (p.tau_m_ms * 1e-3, p.t_ref_ms * 1e-3);
    let k = match core(tau, tref, th, vr, mu_mv, sigma_mv) {
        Some(k) => k,
        None => return if mu_mv > th { Some(0.0) } else { None },
    };
    let (y_r, y_th, m) = (k.y_r, k.y_th, k.m);
    let mut q = 0.0;
    // part x <= 0
    if y_r < 0.0 {
        let x_hi = y_th.min(0.0);
        let em2 = (-2.0 * m).exp();
        if em2 > 0.0 {
            let w0 = 0.5 * (1.0f64).max(-x_hi);
            q += em2 * integrate_graded(h_neg, y_r, x_hi, w0, Toward::Upper);
        }
    }
    // part x > 0
    if y_th > 0.0 {
        let h0 = h_neg(0.0);
        let inner = |x: f64| {
            integrate_graded(
                |y| {
                    let t = one_plus_erf(y);
                    (y * y - x * x).exp() * t * t
                },
                0.0,
                x,
                0.5 / (2.0 * x + 1.0),
                Toward::Upper,
            )
        };
        let lo = y_r.max(0.0);
        let w0 = 0.5 / (4.0 * y_th + 1.0);
        q += integrate_graded(
            |x| (x * x - 2.0 * m).exp() * h0 + (2.0 * (x * x - m)).exp() * inner(x),
            lo,
            y_th,
            w0,
            Toward::Upper,
        );
    }
    let r = tau / k.den;
    Some((2.0 * PI * r * r * q).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(tau_s: f64) -> LifParams {
        LifParams {
            tau_m_ms: 10.0,
            t_ref_ms: 2.0,
            v_th_mv: 20.0,
            v_reset_mv: 10.0,
            tau_s_ms: tau_s,
        }
    }

    #[test]
    fn int_erfcx_matches_panel_refinement_and_tail_is_continuous() {
        // reference: same integrand on 400 uniform panels
        for (c, d) in [(0.0, 0.3), (0.2, 7.0), (3.0, 99.0), (0.0, 150.0)] {
            let n = 400;
            let h = (d - c) / n as f64;
            let mut r = 0.0;
            for i in 0..n {
                r += super::super::quad::gl_panel(
                    &mut |t: f64| t.erfcx(),
                    c + i as f64 * h,
                    c + (i + 1) as f64 * h,
                );
            }
            let got = int_erfcx(c, d);
            assert!(
                (got - r).abs() <= 2e-15 * r.abs(),
                "[{c},{d}]: {got} vs {r}"
            );
        }
    }

    #[test]
    fn huge_threshold_gives_exact_zero_not_nan() {
        let r = siegert(&p(0.0), -1e4, 1.0);
        assert_eq!(r, 0.0);
        let r = siegert(&p(0.0), 0.0, 1e-3);
        assert_eq!(r, 0.0);
        assert_eq!(dphi(&p(0.0), -1e4, 1.0), (0.0, 0.0));
    }

    #[test]
    fn strongly_mean_driven_tends_to_refractory_limit() {
        let r = siegert(&p(0.0), 1e9, 1.0);
        assert!(r.is_finite() && r < 500.0 && (500.0 - r) < 1e-3, "{r}");
    }

    #[test]
    fn sigma_to_zero_is_continuous_with_deterministic_rate() {
        let q = p(0.0);
        for mu in [25.0, 40.0, 200.0] {
            let det = siegert(&q, mu, 0.0);
            let want = 1.0 / (2e-3 + 1e-2 * ((mu - 10.0) / (mu - 20.0)).ln());
            assert!((det - want).abs() < 1e-12 * want);
            for s in [1e-3, 1e-6, 1e-12, 1e-300] {
                let r = siegert(&q, mu, s);
                assert!(
                    (r - det).abs() < 1e-4 * det,
                    "mu {mu} sigma {s}: {r} vs {det}"
                );
            }
        }
        assert_eq!(siegert(&q, 15.0, 0.0), 0.0);
        assert_eq!(siegert(&q, 15.0, 1e-6), 0.0);
    }
}

#[cfg(test)]
mod cv_tests {
    use super::*;

    fn p() -> LifParams {
        LifParams {
            tau_m_ms: 10.0,
            t_ref_ms: 2.0,
            v_th_mv: 20.0,
            v_reset_mv: 10.0,
            tau_s_ms: 0.0,
        }
    }

    #[test]
    fn cv_tends_to_one_in_the_low_rate_poisson_limit() {
        // y_th = 5, 7.5, 10: rare threshold crossings are Poissonian
        let mut prev_gap = f64::INFINITY;
        for sigma in [4.0, 8.0 / 3.0, 2.0] {
            let cv = cv_isi(&p(), 0.0, sigma).unwrap();
            let gap = (cv - 1.0).abs();
            assert!(
                gap < prev_gap || gap < 1e-12,
                "sigma {sigma}: CV {cv} not approaching 1"
            );
            prev_gap = gap;
        }
        assert!(prev_gap < 1e-3, "CV at y_th = 10 is {}", 1.0 - prev_gap);
        // even where the rate underflows to 0 the CV is finite and ~1
        assert_eq!(siegert(&p(), -1e3, 1.0), 0.0);
        let cv = cv_isi(&p(), -1e3, 1.0).unwrap();
        assert!((cv - 1.0).abs() < 1e-3, "{cv}");
    }

    #[test]
    fn cv_matches_weak_noise_asymptotics_when_mean_driven() {
        // Var(T) = sigma^2 tau^2/2 (1/(mu-th)^2 - 1/(mu-vr)^2) for sigma -> 0
        // (linear-noise first-passage approximation), CV = sqrt(Var) nu.
        let q = p();
        let tau = 1e-2;
        let mu = 40.0;
        for sigma in [0.5, 0.1, 0.02] {
            let nu = siegert(&q, mu, sigma);
            let var = sigma * sigma * tau * tau / 2.0 * (1.0 / 400.0 - 1.0 / 900.0);
            let want = var.sqrt() * nu;
            let got = cv_isi(&q, mu, sigma).unwrap();
            let rel = (got - want).abs() / want;
            assert!(
                rel < 10.0 * (sigma / 20.0).powi(2) + 1e-9,
                "sigma {sigma}: CV {got} vs {want} (rel {rel:e})"
            );
        }
        assert_eq!(cv_isi(&q, mu, 0.0), Some(0.0));
        assert_eq!(cv_isi(&q, 15.0, 0.0), None);
    }

    #[test]
    fn cv_matches_brute_force_nested_integral() {
        // Naive Brunel eq. 22 on a fine grid (cumulative trapezoid), feasible for moderate y.
        let q = p();
        for (mu, sigma) in [(15.0, 5.0), (22.0, 6.0), (12.0, 10.0)] {
            let y_th: f64 = (q.v_th_mv - mu) / sigma;
            let y_r: f64 = (q.v_reset_mv - mu) / sigma;
            let h = 2e-4;
            let lo = -12.0;
            let n = ((y_th - lo) / h).ceil() as usize;
            let h = (y_th - lo) / n as f64;
            let g = |y: f64| {
                let t = 1.0 + RealErrorFunctions::erf(y);
                (y * y).exp() * t * t
            };
            let (mut inner, mut outer) = (0.0, 0.0);
            let mut prev = (lo, g(lo), 0.0);
            for i in 1..=n {
                let x = lo + i as f64 * h;
                let gx = g(x);
                inner += 0.5 * h * (gx + prev.1);
                let fx = if x > y_r { (x * x).exp() * inner } else { 0.0 };
                if x > y_r {
                    let w = if prev.0 >= y_r { h } else { x - y_r };
                    outer += 0.5 * w * (fx + if prev.0 >= y_r { prev.2 } else { fx });
                }
                prev = (x, gx, fx);
            }
            let nu = siegert(&q, mu, sigma);
            let want = (2.0 * PI * (nu * 1e-2).powi(2) * outer).sqrt();
            let got = cv_isi(&q, mu, sigma).unwrap();
            assert!(
                (got - want).abs() < 1e-5 * want,
                "mu {mu} sigma {sigma}: {got} vs brute force {want}"
            );
        }
    }
}
