//! What the conductance-based models (`iaf_cond_exp`, `iaf_cond_alpha`, `iaf_bw_2001`)
//! share: the membrane integrator and the parsing of their parameters.
//!
//! **Integration.** Between two steps the synaptic conductances are closed-form
//! functions of time (exponentials; `(g + t·dg)·e^{-t/τ}` for alpha), evaluated exactly
//! wherever the membrane equation needs them. The membrane equation
//! `C_m dV/dt = -g_L (V - E_L) - Σ g_x(t) (V - E_x) [· B(V)] + I_e + I_stim`
//! is linear in `V` with time-dependent coefficients (nonlinear through the Mg²⁺ block
//! `B(V)` for NMDA) and is integrated per neuron over each step with the embedded
//! Dormand–Prince 5(4) pair, local extrapolation (the 5th-order solution is kept),
//! adaptive substeps: a substep is accepted when the embedded error estimate is at most
//! [`ATOL`] = 1e-7 mV, and each neuron keeps its last substep length for the next step
//! (as NEST keeps `IntegrationStep_`). Measured against an independent reference (RK4
//! on the whole system with 2·10³ fixed substeps per 0.1 ms step;
//! `tests/reference/conductance.rs`): |ΔV| ≤ 1.2e-7 mV, including 1 s of irregular
//! bombardment at COBA parameters (the test bound is 1e-6 mV). At this tolerance most
//! steps are one substep (1.3 substeps per step in the COBA network), whose stage
//! values of the conductance decays are precomputed ([`stage_decays`]). NEST integrates
//! the same equations with GSL's RKF45 at an absolute tolerance of 1e-3 (on `V` and the
//! conductances alike); its traces agree with ours to 2.4e-7 relative (measured).
//!
//! **Tolerance as a parameter.** Each model takes `ode_tolerance` (mV, default
//! [`ATOL`]): NEST's 1e-3 makes every COBA step one substep (7 evaluations of the right-
//! hand side instead of about 8.4) — faster, no longer reference quality; the shipped
//! networks keep the default.

/// Absolute tolerance of the embedded error estimate per accepted substep, mV: the
/// default of the models' `ode_tolerance` parameter.
pub const ATOL: f64 = 1e-7;

/// The `ode_tolerance` parameter (mV per substep, default [`ATOL`]): must be finite
/// and > 0.
pub(crate) fn ode_tolerance(p: Option<&Obj>) -> Result<f64, SpecError> {
    let tol = get(p, "ode_tolerance", "ode_tolerance", ATOL)?;
    if !(tol.is_finite() && tol > 0.0) {
        return Err(bad(
            p,
            "ode_tolerance",
            "ode_tolerance",
            format!("integration tolerance must be finite and > 0 mV, got {tol}"),
        ));
    }
    Ok(tol)
}

// Dormand–Prince 5(4) coefficients (Hairer, Nørsett & Wanner, Table II.5.2).
const C2: f64 = 1.0 / 5.0;
const C3: f64 = 3.0 / 10.0;
const C4: f64 = 4.0 / 5.0;
const C5: f64 = 8.0 / 9.0;
const A21: f64 = 1.0 / 5.0;
const A31: f64 = 3.0 / 40.0;
const A32: f64 = 9.0 / 40.0;
const A41: f64 = 44.0 / 45.0;
const A42: f64 = -56.0 / 15.0;
const A43: f64 = 32.0 / 9.0;
const A51: f64 = 19372.0 / 6561.0;
const A52: f64 = -25360.0 / 2187.0;
const A53: f64 = 64448.0 / 6561.0;
const A54: f64 = -212.0 / 729.0;
const A61: f64 = 9017.0 / 3168.0;
const A62: f64 = -355.0 / 33.0;
const A63: f64 = 46732.0 / 5247.0;
const A64: f64 = 49.0 / 176.0;
const A65: f64 = -5103.0 / 18656.0;
const B1: f64 = 35.0 / 384.0;
const B3: f64 = 500.0 / 1113.0;
const B4: f64 = 125.0 / 192.0;
const B5: f64 = -2187.0 / 6784.0;
const B6: f64 = 11.0 / 84.0;
// Error weights: 5th-order minus 4th-order solution.
const E1: f64 = 71.0 / 57600.0;
const E3: f64 = -71.0 / 16695.0;
const E4: f64 = 71.0 / 1920.0;
const E5: f64 = -17253.0 / 339200.0;
const E6: f64 = 22.0 / 525.0;
const E7: f64 = -1.0 / 40.0;

/// Stage times of a substep, as fractions of its length (stage index 0..=5).
const STAGE_FRACTIONS: [f64; 6] = [0.0, C2, C3, C4, C5, 1.0];

/// `e^{-t/tau}` at the stage times of a first substep that spans the whole step `h`
/// (the common case): the same expressions as evaluated inline, so the values are
/// bit-identical to the uncached ones.
pub(crate) fn stage_decays(h: f64, inv_tau: f64) -> [f64; 6] {
    STAGE_FRACTIONS.map(|c| (-(0.0 + c * h) * inv_tau).exp())
}

/// `e^{-t·inv_tau}`, from `table` when `stage` is a stage of a whole-step substep.
#[inline(always)]
pub(crate) fn decay(t: f64, stage: usize, inv_tau: f64, table: &[f64; 6]) -> f64 {
    if stage < 6 {
        table[stage]
    } else {
        (-t * inv_tau).exp()
    }
}

/// Integrate `dv/dt = f(t, stage, v)` from `t = 0` to `t = h` starting at `v`, with
/// adaptive Dormand–Prince 5(4) substeps at absolute tolerance `atol` (mV); `hs` is the neuron's substep length (read as
/// the first trial, written back as the proposal for the next step). `stage` is the
/// stage index (0..=5, see [`stage_decays`]) while the substep is the whole step, else
/// `usize::MAX`. A non-finite state ends the step at once (the engine reports
/// non-finite state).
#[inline(always)]
pub(crate) fn integrate<F: Fn(f64, usize, f64) -> f64>(
    f: F,
    mut v: f64,
    h: f64,
    hs: &mut f64,
    atol: f64,
) -> f64 {
    let mut t = 0.0;
    let mut dt = hs.clamp(h * 1e-9, h);
    let mut k1 = f(0.0, 0, v);
    loop {
        let last = t + dt >= h;
        let d = if last { h - t } else { dt };
        let whole = t == 0.0 && d == h;
        let st = |i: usize| if whole { i } else { usize::MAX };
        let k2 = f(t + C2 * d, st(1), v + d * A21 * k1);
        let k3 = f(t + C3 * d, st(2), v + d * (A31 * k1 + A32 * k2));
        let k4 = f(t + C4 * d, st(3), v + d * (A41 * k1 + A42 * k2 + A43 * k3));
        let k5 = f(
            t + C5 * d,
            st(4),
            v + d * (A51 * k1 + A52 * k2 + A53 * k3 + A54 * k4),
        );
        let k6 = f(
            t + d,
            st(5),
            v + d * (A61 * k1 + A62 * k2 + A63 * k3 + A64 * k4 + A65 * k5),
        );
        let v5 = v + d * (B1 * k1 + B3 * k3 + B4 * k4 + B5 * k5 + B6 * k6);
        let k7 = f(t + d, st(5), v5);
        let err = (d * (E1 * k1 + E3 * k3 + E4 * k4 + E5 * k5 + E6 * k6 + E7 * k7)).abs();
        if !err.is_finite() {
            return v5;
        }
        // Standard step-size rule: safety 0.9, growth at most 5, shrink at most 1/5.
        let factor = if err == 0.0 {
            5.0
        } else {
            (0.9 * (atol / err).powf(0.2)).clamp(0.2, 5.0)
        };
        if err <= atol || d <= h * 1e-9 {
            t += d;
            v = v5;
            k1 = k7;
            if !last {
                dt = (d * factor).min(h);
            } else {
                // Keep the last unclipped proposal for the next step.
                *hs = if d < dt { dt } else { (d * factor).min(h) };
                return v;
            }
        } else {
            dt = d * factor;
        }
    }
}

/// Mg²⁺ block of the NMDA conductance at absolute potential `v` (mV), Jahr & Stevens
/// 1990 as in Wang 2002 and NEST `iaf_bw_2001`: `1 / (1 + [Mg²⁺] e^{-0.062 V} / 3.57)`.
#[inline(always)]
pub(crate) fn mg_block(v: f64, conc_mg2: f64) -> f64 {
    1.0 / (1.0 + conc_mg2 * (-0.062 * v).exp() / 3.57)
}

/// Lower incomplete gamma function `γ(s, x) = ∫_0^x t^{s-1} e^{-t} dt` for `s > 0`,
/// `0 <= x <= 700`, by its power series (`x^s e^{-x} Σ x^n / (s (s+1) … (s+n))`),
/// summed until the terms no longer change the sum.
pub(crate) fn gamma_lower(s: f64, x: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    let mut term = 1.0 / s;
    let mut sum = term;
    let mut n = 1.0;
    while n < 100_000.0 {
        term *= x / (s + n);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
        n += 1.0;
    }
    sum * (s * x.ln() - x).exp()
}

use super::{LifCore, key_used, param};
use cortexsim_core::error::SpecError;
use cortexsim_core::reader::Obj;

/// Read one parameter (snake or NEST spelling) with its default.
pub(crate) fn get(
    p: Option<&Obj>,
    snake: &str,
    nest: &str,
    default: f64,
) -> Result<f64, SpecError> {
    match p {
        Some(p) => param(p, snake, nest, default),
        None => Ok(default),
    }
}

/// Error on the key (as spelled in the file) of a parameter.
pub(crate) fn bad(p: Option<&Obj>, snake: &str, nest: &str, msg: String) -> SpecError {
    match p {
        Some(p) => p.err(key_used(p, snake, nest), msg),
        None => SpecError::new("params", msg),
    }
}

/// A parameter that must be > 0 (`what`, `unit` for the message).
pub(crate) fn positive(
    p: Option<&Obj>,
    snake: &str,
    nest: &str,
    default: f64,
    what: &str,
    unit: &str,
) -> Result<f64, SpecError> {
    let x = get(p, snake, nest, default)?;
    if x <= 0.0 {
        return Err(bad(
            p,
            snake,
            nest,
            format!("{what} must be > 0 {unit}, got {x}"),
        ));
    }
    Ok(x)
}

/// The membrane parameters of a conductance-based model: `C_m`, `g_L`, `t_ref`,
/// `E_L`, `V_th`, `V_reset`, `I_e` (when `with_i_e`; `iaf_bw_2001` has none), with
/// the model's defaults in `d` (`d.tau_m` is ignored: `tau_m = C_m / g_L`).
/// Returns the core and `g_L`.
pub(crate) fn parse_membrane(
    p: Option<&Obj>,
    d: LifCore,
    g_l_default: f64,
    with_i_e: bool,
) -> Result<(LifCore, f64), SpecError> {
    let c_m = positive(p, "c_m", "C_m", d.c_m, "membrane capacitance", "pF")?;
    let g_l = positive(p, "g_l", "g_L", g_l_default, "leak conductance", "nS")?;
    let t_ref = get(p, "t_ref", "t_ref", d.t_ref)?;
    if t_ref < 0.0 {
        return Err(bad(
            p,
            "t_ref",
            "t_ref",
            format!("refractory period must be >= 0 ms, got {t_ref}"),
        ));
    }
    let e_l = get(p, "e_l", "E_L", d.e_l)?;
    let v_th = get(p, "v_th", "V_th", d.v_th)?;
    let v_reset = get(p, "v_reset", "V_reset", d.v_reset)?;
    if v_reset >= v_th {
        return Err(bad(
            p,
            "v_reset",
            "V_reset",
            format!("V_reset ({v_reset} mV) must be below V_th ({v_th} mV)"),
        ));
    }
    let i_e = if with_i_e {
        get(p, "i_e", "I_e", d.i_e)?
    } else {
        0.0
    };
    Ok((
        LifCore {
            c_m,
            tau_m: c_m / g_l,
            t_ref,
            e_l,
            v_th,
            v_reset,
            i_e,
        },
        g_l,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrate_matches_closed_form_of_a_linear_equation() {
        // dv/dt = -v/10 + 2 e^{-t/3}: v(t) closed form.
        let (a, b, tau) = (0.1, 2.0, 3.0);
        let f = |t: f64, _: usize, v: f64| -a * v + b * (-t / tau).exp();
        let exact = |t: f64, v0: f64| {
            let k = 1.0 / tau;
            v0 * (-a * t).exp() + b / (a - k) * ((-k * t).exp() - (-a * t).exp())
        };
        let mut hs = 0.1;
        let v = integrate(f, 1.0, 0.1, &mut hs, ATOL);
        assert!((v - exact(0.1, 1.0)).abs() < 1e-11, "{v}");
        let mut hs = 0.1;
        let v = integrate(f, 1.0, 20.0, &mut hs, ATOL);
        assert!(
            (v - exact(20.0, 1.0)).abs() < 1e-7,
            "{v} vs {}",
            exact(20.0, 1.0)
        );
    }

    #[test]
    fn a_looser_tolerance_takes_fewer_substeps_and_keeps_its_error_bound() {
        // dv/dt = -v/10 + 2 e^{-t/3} over 20 ms: count the evaluations of f.
        let (a, b, tau) = (0.1, 2.0, 3.0);
        let exact = {
            let k = 1.0 / tau;
            (-a * 20.0f64).exp() + b / (a - k) * ((-k * 20.0f64).exp() - (-a * 20.0f64).exp())
        };
        let run = |atol: f64| {
            let calls = std::cell::Cell::new(0u32);
            let f = |t: f64, _: usize, v: f64| {
                calls.set(calls.get() + 1);
                -a * v + b * (-t / tau).exp()
            };
            let mut hs = 0.1;
            let v = integrate(f, 1.0, 20.0, &mut hs, atol);
            (v, calls.get())
        };
        let (v_tight, n_tight) = run(ATOL);
        let (v_loose, n_loose) = run(1e-3);
        assert!(n_loose < n_tight, "{n_loose} vs {n_tight} evaluations");
        assert!((v_tight - exact).abs() < 1e-7, "{v_tight}");
        // The per-substep bound summed over the substeps taken (at most n/6 of them).
        let err = (v_loose - exact).abs();
        assert!(err > 1e-9 && err < 1e-3 * f64::from(n_loose) / 6.0, "{err}");
    }

    #[test]
    fn gamma_lower_matches_known_values() {
        // γ(1, x) = 1 - e^{-x}; γ(0.5, x) = sqrt(pi) erf(sqrt x); erf(1) = 0.8427007929497149.
        assert!((gamma_lower(1.0, 2.0) - (1.0 - (-2.0f64).exp())).abs() < 1e-15);
        let g = gamma_lower(0.5, 1.0);
        assert!(
            (g - std::f64::consts::PI.sqrt() * 0.842_700_792_949_714_9).abs() < 1e-14,
            "{g}"
        );
        // scipy: gammainc(0.98, 1) * gamma(0.98) = 0.6484167391163257.
        let g = gamma_lower(0.98, 1.0);
        assert!((g - 0.648_416_739_116_325_7).abs() < 1e-14, "{g}");
    }

    #[test]
    fn integrate_survives_non_finite_input() {
        let mut hs = 0.1;
        let v = integrate(|_, _, v| v * f64::NAN, 1.0, 0.1, &mut hs, ATOL);
        assert!(v.is_nan());
    }
}
