//! Dynamic (linear-response) transfer function N(omega) of the LIF neuron:
//! response of the output rate to a sinusoidal modulation of the input.
//!
//! Delta synapses (Brunel & Hakim 1999; Lindner & Schimansky-Geier 2001), in the
//! form of Schuecker et al. 2015 as implemented by NNMT
//! (`nnmt/lif/exp.py::_transfer_function_shift`, commit a5cc295):
//! ```text
//! N(omega) = sqrt(2)/sigma * nu0/(1 + i omega tau_m)
//!            * [Psi'_z(x_th) - Psi'_z(x_r)] / [Psi_z(x_th) - Psi_z(x_r)]
//! z = -1/2 + i omega tau_m,  x = sqrt(2) (V - mu)/sigma,
//! Psi_z(x) = e^{x^2/4} U(z, -x),  Psi'_z(x) = (z + 1/2) Psi_{z+1}(x)
//! ```
//! U is the parabolic cylinder function (DLMF 12.2); `super::pcf` evaluates the
//! scaled `V(z, y) = e^{y^2/4} U(z, y)` so that `Psi_z(x) = V(z, -x)` and
//! `Psi'_z(x) = -V'(z, -x)` never overflow.
//!
//! Exponential synapses (`tau_s > 0`): V_th and V_r are shifted as in the
//! Fourcaud–Brunel rate ([`super::siegert_shifted`]); when the perturbation is
//! in the input *current*, an extra synaptic low-pass `1/(1 + i omega tau_s)`
//! multiplies N (`synaptic_filter = true`, as in NNMT's fixtures). Valid for
//! `omega sqrt(tau_m tau_s) << 1`.
//!
//! omega = 0 (|omega| < 1e-15 rad/s) returns, like NNMT, `dPhi/dmu` of the
//! (shifted) Siegert rate. **Caveat:** the formula above has no refractory
//! phase factor (NNMT's form), so its omega -> 0 limit is
//! `dPhi/dmu / (1 - nu t_ref)` (delta synapses; the shift adds its own
//! difference), i.e. it is not continuous at omega = 0 when `t_ref > 0`.
//!
//! # Refractory phase (Brunel & Hakim 1999; Lindner & Schimansky-Geier 2001)
//!
//! The exact linear response of the LIF with absolute refractoriness has the
//! re-injection delayed by `t_ref`: the denominator becomes
//! `Psi_z(x_th) - e^{-i omega t_ref} Psi_z(x_r)`
//! ([`transfer_function_mean_complex`] with `refractory_phase = true`). Its
//! omega -> 0 limit is `dPhi/dmu` (checked to 1e-6, unit tests).
//!
//! # Variance channel (Lindner & Schimansky-Geier 2001, PRL 86:2934, eq. for the noise-intensity modulation; Brunel 2000 Appendix A)
//!
//! Response to `sigma^2 -> sigma^2 + delta(sigma^2) e^{i omega t}` at fixed mean,
//! in Hz per mV^2 ([`transfer_function_variance_complex`]):
//! ```text
//! N_s2(omega) = nu0/sigma^2 * i w tau (1 + i w tau)/(2 + i w tau)
//!               * [Psi_{z+2}(x_th) - Psi_{z+2}(x_r)] / [Psi_z(x_th) - e^{-i w t_ref} Psi_z(x_r)]
//! ```
//! (Lindner & Schimansky-Geier's `D_{i w tau - 2}` in NNMT's `Psi` notation, time
//! convention `e^{+i omega t}`; their relative noise modulation times
//! `1/D = 2/sigma^2`.) With the recurrences DLMF 12.8.1–2,
//! `(z + 3/2) V(z+2, y) = V(z, y) - y V(z+1, y)` and
//! `V(z+1, y) = -V'(z, y)/(z + 1/2)`, the numerator needs no extra PCF
//! evaluation:
//! ```text
//! i w tau (1 + i w tau) [Psi_{z+2}]_r^th = i w tau [Psi_z]_r^th + [x Psi'_z(x)]_{x_r}^{x_th}
//! ```
//! Checks (unit tests): omega -> 0 limit `dPhi/dsigma / (2 sigma)` to 1e-6;
//! both channels agree to 1e-6 with an independent threshold integration of
//! the linearised Fokker–Planck equation (Richardson 2007) at 10, 180 and
//! 500 Hz; the recurrence form agrees with a direct evaluation of
//! `Psi_{z+2}` to 1e-9; `N_s2 -> nu0/sigma^2` as omega -> inf (modulated
//! noise is transmitted instantaneously — Lindner & Schimansky-Geier 2001).
//!
//! **Exponential synapses** (approximation, same spirit as the mean channel):
//! threshold and reset shifted by `c sigma` (Fourcaud–Brunel), and since that
//! shift moves with sigma, a variance modulation also shifts threshold and
//! reset by `c delta(sigma^2)/(2 sigma)`, equivalent to a mean modulation of
//! `-c delta(sigma^2)/(2 sigma)`:
//! `N_s2,exp = N_s2(shifted) - c/(2 sigma) N_mu(shifted)`. This makes the
//! omega -> 0 limit `dPhi/dsigma/(2 sigma)` of the shifted Siegert rate
//! (checked). With `synaptic_filter` the low-pass is `1/(1 + i omega tau_s/2)`:
//! the variance of an exponentially filtered current relaxes with `tau_s/2`
//! (Fourcaud & Brunel 2002 treat the full problem; not implemented).
//!
//! Units: mu, sigma in mV, omega in rad/s, results in Hz/mV (mean) and
//! Hz/mV^2 (variance), complex.

use super::pcf::scaled_v;
use super::siegert::{LifParams, dphi_dmu, dphi_dsigma, siegert_shifted};
use num_complex::Complex64;

/// Complex transfer function N(omega) in Hz/mV (module docs) for mean `mu_mv`
/// and noise `sigma_mv` (mV, relative to E_L) at angular frequency
/// `omega_rad_s`. `synaptic_filter` multiplies by `1/(1 + i omega tau_s)`
/// (perturbation of the input current; no effect for delta synapses).
/// NNMT's form: no refractory phase factor (module docs).
///
/// `None` when `sigma_mv <= 0` and `omega != 0` (the diffusion-approximation
/// response is not defined without noise).
pub fn transfer_function(
    p: &LifParams,
    mu_mv: f64,
    sigma_mv: f64,
    omega_rad_s: f64,
    synaptic_filter: bool,
) -> Option<Complex64> {
    transfer_function_complex(
        p,
        mu_mv,
        sigma_mv,
        Complex64::new(omega_rad_s, 0.0),
        synaptic_filter,
    )
}

/// [`transfer_function`] continued to a complex angular frequency
/// `omega = w + i g` (rad/s): the response to an input `e^{i omega t}`, i.e. a
/// modulation at `w` that grows like `e^{-g t}`. The same formula holds
/// (the order `z = -1/2 + i omega tau_m` of the parabolic cylinder functions
/// becomes complex with real part `-1/2 - g tau_m`); used to locate the roots
/// of the characteristic equation of the delayed network
/// ([`super::oscillation`]). Real `omega` reproduces [`transfer_function`]
/// exactly. NNMT's form (`refractory_phase = false` of
/// [`transfer_function_mean_complex`]).
pub fn transfer_function_complex(
    p: &LifParams,
    mu_mv: f64,
    sigma_mv: f64,
    omega_rad_s: Complex64,
    synaptic_filter: bool,
) -> Option<Complex64> {
    transfer_function_mean_complex(p, mu_mv, sigma_mv, omega_rad_s, synaptic_filter, false)
}

/// Mean channel `N_mu(omega)`, Hz/mV, with or without the refractory phase
/// factor `e^{-i omega t_ref}` in the denominator (module docs). With it the
/// formula is the exact linear response of the LIF with delta synapses and its
/// `omega -> 0` limit is `dPhi/dmu`; without it (NNMT) the limit is
/// `dPhi/dmu / (1 - nu t_ref)`.
pub fn transfer_function_mean_complex(
    p: &LifParams,
    mu_mv: f64,
    sigma_mv: f64,
    omega_rad_s: Complex64,
    synaptic_filter: bool,
    refractory_phase: bool,
) -> Option<Complex64> {
    let filter = synaptic_low_pass(synaptic_filter, p.tau_s_ms * 1e-3, omega_rad_s);
    if omega_rad_s.norm() < 1e-15 {
        return Some(Complex64::new(dphi_dmu(p, mu_mv, sigma_mv), 0.0) * filter);
    }
    let r = response_terms(p, mu_mv, sigma_mv, omega_rad_s, refractory_phase)?;
    Some(r.mean * filter)
}

/// Variance channel `N_sigma2(omega)` (module docs): the rate response, in Hz
/// per mV^2, to a modulation `delta(sigma^2) e^{i omega t}` of the input
/// variance at fixed mean. Exact (diffusion approximation) for delta synapses
/// with `refractory_phase = true`; its `omega -> 0` limit is
/// `dPhi/dsigma / (2 sigma)` and `omega = 0` (|omega| < 1e-15) returns exactly
/// that. For exponential synapses: shifted threshold and reset, the shift's own
/// sigma dependence as an equivalent mean modulation, and (with
/// `synaptic_filter`) the low-pass `1/(1 + i omega tau_s/2)` of the variance of
/// the filtered current (module docs). `None` when `sigma_mv <= 0` and
/// `omega != 0`.
pub fn transfer_function_variance_complex(
    p: &LifParams,
    mu_mv: f64,
    sigma_mv: f64,
    omega_rad_s: Complex64,
    synaptic_filter: bool,
    refractory_phase: bool,
) -> Option<Complex64> {
    let filter = synaptic_low_pass(synaptic_filter, 0.5 * p.tau_s_ms * 1e-3, omega_rad_s);
    if omega_rad_s.norm() < 1e-15 {
        if sigma_mv.is_nan() || sigma_mv <= 0.0 || !sigma_mv.is_finite() {
            return Some(Complex64::new(0.0, 0.0));
        }
        let d = dphi_dsigma(p, mu_mv, sigma_mv) / (2.0 * sigma_mv);
        return Some(Complex64::new(d, 0.0) * filter);
    }
    let r = response_terms(p, mu_mv, sigma_mv, omega_rad_s, refractory_phase)?;
    let c = p.shift_factor();
    Some((r.variance - c / (2.0 * sigma_mv) * r.mean) * filter)
}

/// `1/(1 + i omega tau)` if `on` and `tau > 0`, else 1.
fn synaptic_low_pass(on: bool, tau_s: f64, omega: Complex64) -> Complex64 {
    if on && tau_s > 0.0 {
        (1.0 + Complex64::new(0.0, 1.0) * omega * tau_s).inv()
    } else {
        Complex64::new(1.0, 0.0)
    }
}

/// Both channels at fixed (shifted) threshold and reset, no synaptic filter.
struct Responses {
    /// Hz/mV
    mean: Complex64,
    /// Hz/mV^2
    variance: Complex64,
}

fn response_terms(
    p: &LifParams,
    mu_mv: f64,
    sigma_mv: f64,
    omega_rad_s: Complex64,
    refractory_phase: bool,
) -> Option<Responses> {
    if sigma_mv.is_nan() || sigma_mv <= 0.0 || !sigma_mv.is_finite() {
        return None;
    }
    let zero = Complex64::new(0.0, 0.0);
    let nu = siegert_shifted(p, mu_mv, sigma_mv);
    if nu == 0.0 {
        return Some(Responses {
            mean: zero,
            variance: zero,
        });
    }
    let tau_m = p.tau_m_ms * 1e-3;
    let i = Complex64::new(0.0, 1.0);
    let shift = sigma_mv * p.shift_factor();
    let sq2 = std::f64::consts::SQRT_2;
    let x_t = sq2 * (p.v_th_mv + shift - mu_mv) / sigma_mv;
    let x_r = sq2 * (p.v_reset_mv + shift - mu_mv) / sigma_mv;
    let iwt = i * omega_rad_s * tau_m;
    let z = -0.5 + iwt;
    let vals = scaled_v(z, &[-x_t, -x_r]);
    let (t, r) = (vals[0], vals[1]);
    let l = t.log_scale.max(r.log_scale);
    let (ft, fr) = ((t.log_scale - l).exp(), (r.log_scale - l).exp());
    // Psi = V(z, -x), Psi' = -V'(z, -x), all scaled by e^{-l}
    let (psi_t, psi_r) = (t.v * ft, r.v * fr);
    let (dpsi_t, dpsi_r) = (-t.dv * ft, -r.dv * fr);
    let refr = if refractory_phase {
        (-i * omega_rad_s * p.t_ref_ms * 1e-3).exp()
    } else {
        Complex64::new(1.0, 0.0)
    };
    let den = psi_t - refr * psi_r;
    let mean = Complex64::new(sq2 / sigma_mv * nu, 0.0) / (1.0 + iwt) * ((dpsi_t - dpsi_r) / den);
    // i w tau (Psi_{z+2}(x_t) - Psi_{z+2}(x_r)) (1 + i w tau) by the recurrences
    let num2 = iwt * (psi_t - psi_r) + x_t * dpsi_t - x_r * dpsi_r;
    let variance = nu / (sigma_mv * sigma_mv * (2.0 + iwt)) * (num2 / den);
    Some(Responses { mean, variance })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meanfield::siegert::siegert;
    use std::f64::consts::PI;

    /// Independent reference: the linearised Fokker–Planck equation of the LIF
    /// with delta synapses solved by threshold integration (Richardson 2007,
    /// Phys Rev E 76:021919), RK4 in V from V_th down to `min(mu, V_r) - 12 sigma`.
    /// Stationary: `P0' = (2/sigma^2)((mu - V) P0 - tau J0)`, `J0 = nu0 H(V - V_r)`.
    /// First order (`P1`, `J1` at `e^{i omega t}`), with `mu -> mu + mu1`,
    /// `sigma^2 -> sigma^2 + s1`:
    /// `P1' = (2/sigma^2)((mu - V) P1 + mu1 P0 - s1 P0'/2 - tau J1)`,
    /// `J1' = -i omega P1`, `J1(V_th) = nu1`, `P1(V_th) = 0`, a drop of
    /// `nu1 e^{-i omega t_ref}` (or `nu1` without the refractory phase) at
    /// `V_r` (reinjection), `J1(-inf) = 0` fixes `nu1`. Returns
    /// `(nu0, nu1/mu1, nu1/s1)`.
    fn threshold_integration(
        p: &LifParams,
        mu: f64,
        sigma: f64,
        omega: f64,
        refr: bool,
    ) -> (f64, Complex64, Complex64) {
        let tau = p.tau_m_ms * 1e-3;
        let g = 2.0 / (sigma * sigma);
        let iw = Complex64::new(0.0, omega);
        let one = Complex64::new(1.0, 0.0);
        let ph = if refr {
            (-iw * p.t_ref_ms * 1e-3).exp()
        } else {
            one
        };
        let n_above = 40000usize;
        let dv = (p.v_th_mv - p.v_reset_mv) / n_above as f64;
        let v_lb = mu.min(p.v_reset_mv) - 12.0 * sigma;
        let n_total = n_above + ((p.v_reset_mv - v_lb) / dv).ceil() as usize;
        type S = [Complex64; 8];
        // p0 (per unit nu0), Int p0, (P, J) for nu1 = 1, mu1 = 1, s1 = 1
        let f = |v: f64, j0: f64, y: &S| -> S {
            let dp0 = g * ((mu - v) * y[0] - tau * j0);
            [
                dp0,
                y[0],
                g * ((mu - v) * y[2] - tau * y[3]),
                -iw * y[2],
                g * ((mu - v) * y[4] + y[0] - tau * y[5]),
                -iw * y[4],
                g * ((mu - v) * y[6] - 0.5 * dp0 - tau * y[7]),
                -iw * y[6],
            ]
        };
        let axpy = |a: &S, b: &S, s: f64| -> S { std::array::from_fn(|q| a[q] + b[q] * s) };
        let mut y: S = [Complex64::new(0.0, 0.0); 8];
        y[3] = one;
        let h = -dv;
        for k in 0..n_total {
            if k == n_above {
                y[3] -= ph;
            }
            let v = p.v_th_mv + k as f64 * h;
            let j0 = if k < n_above { 1.0 } else { 0.0 };
            let k1 = f(v, j0, &y);
            let k2 = f(v + 0.5 * h, j0, &axpy(&y, &k1, 0.5 * h));
            let k3 = f(v + 0.5 * h, j0, &axpy(&y, &k2, 0.5 * h));
            let k4 = f(v + h, j0, &axpy(&y, &k3, h));
            y = std::array::from_fn(|q| {
                y[q] + (k1[q] + 2.0 * k2[q] + 2.0 * k3[q] + k4[q]) * (h / 6.0)
            });
        }
        let nu0 = 1.0 / (-y[1].re + p.t_ref_ms * 1e-3);
        (nu0, -nu0 * y[5] / y[3], -nu0 * y[7] / y[3])
    }

    fn lif(tau_s_ms: f64) -> LifParams {
        // Brunel 2000 neuron
        LifParams {
            tau_m_ms: 20.0,
            t_ref_ms: 2.0,
            v_th_mv: 20.0,
            v_reset_mv: 10.0,
            tau_s_ms,
        }
    }

    /// States: Brunel 2000 point B (mu 24.16, sigma 10.94), sub- and
    /// suprathreshold.
    const STATES: [(f64, f64); 4] = [(24.16, 10.94), (15.0, 5.0), (24.0, 3.0), (10.0, 8.0)];

    #[test]
    fn variance_channel_zero_frequency_limit_is_the_siegert_derivative() {
        let w = Complex64::new(1e-5, 0.0);
        for tau_s in [0.0, 0.5] {
            let p = lif(tau_s);
            for (mu, sigma) in STATES {
                let want = dphi_dsigma(&p, mu, sigma) / (2.0 * sigma);
                let got = transfer_function_variance_complex(&p, mu, sigma, w, true, true).unwrap();
                let err = (got - want).norm() / want.abs();
                assert!(
                    err < 1e-6,
                    "tau_s {tau_s} ({mu}, {sigma}): {got} vs {want}: {err:e}"
                );
                let exact0 =
                    transfer_function_variance_complex(&p, mu, sigma, 0.0.into(), true, true);
                assert_eq!(exact0, Some(Complex64::new(want, 0.0)));
                // mean channel with the refractory phase: dPhi/dmu
                let want = dphi_dmu(&p, mu, sigma);
                let got = transfer_function_mean_complex(&p, mu, sigma, w, true, true).unwrap();
                assert!((got - want).norm() < 1e-6 * want.abs(), "{got} vs {want}");
            }
        }
    }

    #[test]
    fn without_the_refractory_phase_the_limit_is_off_by_one_minus_nu_tref() {
        let p = lif(0.0);
        let w = Complex64::new(1e-5, 0.0);
        for (mu, sigma) in STATES {
            let k = 1.0 - siegert(&p, mu, sigma) * p.t_ref_ms * 1e-3;
            let s = transfer_function_variance_complex(&p, mu, sigma, w, false, false).unwrap();
            let m = transfer_function_complex(&p, mu, sigma, w, false).unwrap();
            let want_s = dphi_dsigma(&p, mu, sigma) / (2.0 * sigma) / k;
            let want_m = dphi_dmu(&p, mu, sigma) / k;
            assert!((s - want_s).norm() < 1e-6 * want_s.abs(), "{s} vs {want_s}");
            assert!((m - want_m).norm() < 1e-6 * want_m.abs(), "{m} vs {want_m}");
        }
    }

    #[test]
    fn both_channels_match_threshold_integration_at_finite_frequency() {
        let p = lif(0.0);
        for (mu, sigma) in STATES {
            for f in [10.0, 180.0, 500.0] {
                let w = 2.0 * PI * f;
                for refr in [true, false] {
                    let (nu0, tm, ts) = threshold_integration(&p, mu, sigma, w, refr);
                    assert!((nu0 - siegert(&p, mu, sigma)).abs() < 1e-8 * nu0);
                    let wc = Complex64::new(w, 0.0);
                    let m = transfer_function_mean_complex(&p, mu, sigma, wc, false, refr).unwrap();
                    let s =
                        transfer_function_variance_complex(&p, mu, sigma, wc, false, refr).unwrap();
                    let (em, es) = ((m - tm).norm() / tm.norm(), (s - ts).norm() / ts.norm());
                    assert!(
                        em < 1e-6 && es < 1e-6,
                        "({mu}, {sigma}) {f} Hz refr {refr}: mean {m} vs {tm} ({em:e}), \
                         variance {s} vs {ts} ({es:e})"
                    );
                }
            }
        }
    }

    #[test]
    fn variance_channel_tends_to_nu_over_sigma2_at_high_frequency() {
        // Lindner & Schimansky-Geier 2001: noise-intensity modulation is
        // transmitted instantaneously; from the formula N_sigma2 -> nu/sigma^2.
        let p = lif(0.0);
        let (mu, sigma) = STATES[0];
        let lim = siegert(&p, mu, sigma) / (sigma * sigma);
        let at = |f: f64| {
            let w = Complex64::new(2.0 * PI * f, 0.0);
            (transfer_function_variance_complex(&p, mu, sigma, w, true, true).unwrap() - lim).norm()
                / lim
        };
        let (e1, e2) = (at(1e3), at(1e4));
        assert!(e2 < 0.02 && e2 < 0.5 * e1, "{e1} {e2}");
        // with exponential synapses the variance low-pass removes it
        let p = lif(0.5);
        let w = Complex64::new(2.0 * PI * 1e4, 0.0);
        let s = transfer_function_variance_complex(&p, mu, sigma, w, true, true).unwrap();
        assert!(s.norm() < 0.1 * lim, "{s}");
    }

    #[test]
    fn variance_recurrence_matches_direct_evaluation() {
        // Psi_{z+2} from the recurrences vs a direct PCF evaluation at order z + 2
        let p = lif(0.0);
        let (mu, sigma) = STATES[1];
        let tau = p.tau_m_ms * 1e-3;
        let nu = siegert(&p, mu, sigma);
        let sq2 = std::f64::consts::SQRT_2;
        let (xt, xr) = (
            sq2 * (p.v_th_mv - mu) / sigma,
            sq2 * (p.v_reset_mv - mu) / sigma,
        );
        for w in [Complex64::new(300.0, 0.0), Complex64::new(1200.0, -150.0)] {
            let iwt = Complex64::new(0.0, 1.0) * w * tau;
            let z = -0.5 + iwt;
            let d = scaled_v(z, &[-xt, -xr]);
            let d2 = scaled_v(z + 2.0, &[-xt, -xr]);
            let sc = |s: &super::super::pcf::ScaledV| s.v * s.log_scale.exp();
            let refr = (-Complex64::new(0.0, 1.0) * w * p.t_ref_ms * 1e-3).exp();
            let direct = nu * iwt * (1.0 + iwt) / (sigma * sigma * (2.0 + iwt))
                * (sc(&d2[0]) - sc(&d2[1]))
                / (sc(&d[0]) - refr * sc(&d[1]));
            let got = transfer_function_variance_complex(&p, mu, sigma, w, false, true).unwrap();
            assert!(
                (got - direct).norm() < 1e-9 * direct.norm(),
                "{got} vs {direct}"
            );
        }
    }
}
