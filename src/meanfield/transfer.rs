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
//! (shifted) Siegert rate. **Caveat:** with the shift the omega -> 0 limit of
//! the formula above differs from dPhi/dmu (by ~7% for NNMT's first fixture
//! point), i.e. the approximation is not continuous at omega = 0.
//!
//! Units: mu, sigma in mV, omega in rad/s, result in Hz/mV (complex).

use super::pcf::scaled_v;
use super::siegert::{LifParams, dphi_dmu, siegert_shifted};
use num_complex::Complex64;

/// Complex transfer function N(omega) in Hz/mV (module docs) for mean `mu_mv`
/// and noise `sigma_mv` (mV, relative to E_L) at angular frequency
/// `omega_rad_s`. `synaptic_filter` multiplies by `1/(1 + i omega tau_s)`
/// (perturbation of the input current; no effect for delta synapses).
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
/// exactly.
pub fn transfer_function_complex(
    p: &LifParams,
    mu_mv: f64,
    sigma_mv: f64,
    omega_rad_s: Complex64,
    synaptic_filter: bool,
) -> Option<Complex64> {
    let tau_m = p.tau_m_ms * 1e-3;
    let tau_s = p.tau_s_ms * 1e-3;
    let i = Complex64::new(0.0, 1.0);
    let filter = if synaptic_filter && tau_s > 0.0 {
        (1.0 + i * omega_rad_s * tau_s).inv()
    } else {
        Complex64::new(1.0, 0.0)
    };
    if omega_rad_s.norm() < 1e-15 {
        return Some(Complex64::new(dphi_dmu(p, mu_mv, sigma_mv), 0.0) * filter);
    }
    if sigma_mv.is_nan() || sigma_mv <= 0.0 || !sigma_mv.is_finite() {
        return None;
    }
    let nu = siegert_shifted(p, mu_mv, sigma_mv);
    if nu == 0.0 {
        return Some(Complex64::new(0.0, 0.0));
    }
    let shift = sigma_mv * p.shift_factor();
    let sq2 = std::f64::consts::SQRT_2;
    let x_t = sq2 * (p.v_th_mv + shift - mu_mv) / sigma_mv;
    let x_r = sq2 * (p.v_reset_mv + shift - mu_mv) / sigma_mv;
    let z = -0.5 + i * omega_rad_s * tau_m;
    let vals = scaled_v(z, &[-x_t, -x_r]);
    let (t, r) = (vals[0], vals[1]);
    let l = t.log_scale.max(r.log_scale);
    let (ft, fr) = ((t.log_scale - l).exp(), (r.log_scale - l).exp());
    // Psi = V(z, -x), Psi' = -V'(z, -x)
    let num = -t.dv * ft + r.dv * fr;
    let den = t.v * ft - r.v * fr;
    let n =
        Complex64::new(sq2 / sigma_mv * nu, 0.0) / (1.0 + i * omega_rad_s * tau_m) * (num / den);
    Some(n * filter)
}
