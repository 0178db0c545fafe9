//! The two ways a self-consistent rate vector `nu = Phi(nu)` is searched, shared by the
//! current-based ([`super::network`]) and the conductance-based
//! ([`super::conductance`]) mean field: pseudo-time relaxation and Newton with
//! backtracking; rates are kept >= 0 throughout.

use super::linalg::lu_solve;

/// Relative residual `max_a |Phi_a - nu_a| / max(|nu_a|, 1)`.
pub(crate) fn residual(rates: &[f64], phi: &[f64]) -> f64 {
    rates
        .iter()
        .zip(phi)
        .map(|(&r, &f)| (f - r).abs() / r.abs().max(1.0))
        .fold(0.0, f64::max)
}

/// Pseudo-time relaxation `nu += dt (Phi(nu) - nu)` from `init`, `dt` halved (down to
/// 1e-4) when the residual grows; at most `max_steps` steps or until the residual is at
/// most `tol`. Returns the final rates.
pub(crate) fn relax(
    init: &[f64],
    dt: f64,
    max_steps: usize,
    tol: f64,
    transfer: impl Fn(&[f64]) -> Vec<f64>,
) -> Vec<f64> {
    let mut nu: Vec<f64> = init.iter().map(|&r| r.max(0.0)).collect();
    let mut dt = dt.clamp(1e-6, 1.0);
    let mut f = transfer(&nu);
    let mut res = residual(&nu, &f);
    for _ in 0..max_steps {
        if res <= tol {
            break;
        }
        let trial: Vec<f64> = nu.iter().zip(&f).map(|(&r, &p)| r + dt * (p - r)).collect();
        let f_trial = transfer(&trial);
        let res_trial = residual(&trial, &f_trial);
        if res_trial > res && dt > 1e-4 {
            dt *= 0.5;
        }
        nu = trial;
        f = f_trial;
        res = res_trial;
    }
    nu
}

/// Newton iteration on `Phi(nu) - nu = 0` with backtracking (step halved up to 30 times
/// until the residual falls); `jacobian(nu)` is `dPhi_a / dnu_b`. Stops after
/// `max_iter` iterations, at a residual of at most `tol`, or when no step improves.
pub(crate) fn newton(
    init: &[f64],
    max_iter: usize,
    tol: f64,
    transfer: impl Fn(&[f64]) -> Vec<f64>,
    jacobian: impl Fn(&[f64]) -> Vec<Vec<f64>>,
) -> Vec<f64> {
    let n = init.len();
    let mut nu: Vec<f64> = init.iter().map(|&r| r.max(0.0)).collect();
    let mut f = transfer(&nu);
    let mut res = residual(&nu, &f);
    for _ in 0..max_iter {
        if res <= tol {
            break;
        }
        let mut jac = jacobian(&nu);
        for (a, row) in jac.iter_mut().enumerate() {
            row[a] -= 1.0;
        }
        let rhs: Vec<f64> = (0..n).map(|a| nu[a] - f[a]).collect();
        let Some(step) = lu_solve(jac, rhs) else {
            break;
        };
        let mut lambda = 1.0;
        let mut improved = false;
        for _ in 0..30 {
            let trial: Vec<f64> = nu
                .iter()
                .zip(&step)
                .map(|(&r, &s)| (r + lambda * s).max(0.0))
                .collect();
            let f_trial = transfer(&trial);
            let res_trial = residual(&trial, &f_trial);
            if res_trial < res {
                nu = trial;
                f = f_trial;
                res = res_trial;
                improved = true;
                break;
            }
            lambda *= 0.5;
        }
        if !improved {
            break;
        }
    }
    nu
}
