//! Stationary LIF rates and the LIF transfer function of `cortexsim::meanfield`
//! against reference values.
//!
//! Default tests: the project's own fixtures in `tests/data/fixtures/`
//! (`lif_rates.csv`, `lif_transfer_function_shift.csv`), computed by
//! `scripts/gen_fixtures.py` from the defining formulas with mpmath at 40
//! digits (no code of cortexsim or NNMT): Siegert rate (delta synapses),
//! Fourcaud–Brunel shifted rate, its first-order Taylor variant, and the
//! transfer function with shifted thresholds and synaptic low-pass at 10
//! angular frequencies incl. 0. The 37 points are NNMT's unit-test points
//! (sub/supra-threshold, weak/strong noise, varied neurons) plus Brunel 2000 and
//! PD14 neurons, reset above the mean, deep sub-threshold, strongly
//! mean-driven, no refractory period, short tau_m and a large
//! sqrt(tau_s/tau_m). The files are in the API's units (mV, ms, Hz, Hz/mV), so
//! the library gets exactly the doubles the script computed at. Relative
//! tolerances: the constants below, each about 10 times the worst error
//! measured: 1e-13 for the rates and N(0), 1e-14 for the Taylor variant,
//! `1e-13 + 50 eps/(omega tau_m)` for N(omega > 0) (ill-conditioned as omega -> 0).
//!
//! `nnmt_*` tests (`#[ignore]`d): NNMT's own test vectors (INM-6/nnmt commit
//! a5cc295, `tests/fixtures/unit/data`, as CSV in SI units; GPL-3.0, so not in
//! this repository) from `$CORTEXSIM_DATA/nnmt-lif-fixtures/`. CI runs them
//! (`.ci/run`); by hand:
//! `CORTEXSIM_DATA=/abs/path/to/shared/data cargo test --release --test meanfield -- --ignored fixtures::nnmt_`.
//! Without the data they fail and name the path (never skipped).

use cortexsim::meanfield::{LifParams, dphi_dmu, siegert, siegert_shifted, transfer_function};
use num_complex::Complex64;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Rates, delta and shifted: worst measured 1.3e-15 (delta), 9.0e-15 (shift).
const TOL_RATE: f64 = 1e-13;
/// Taylor variant built from `siegert` and `dphi_dmu` (error relative to
/// `|nu0| + |shift dnu0/dmu|`, as the variant may pass through 0): worst measured 4.1e-16.
const TOL_TAYLOR: f64 = 1e-14;
/// Transfer function at omega = 0 (`dPhi/dmu` of the shifted rate): worst measured 9.1e-15.
const TOL_TF0: f64 = 1e-13;

/// Transfer function at omega > 0: `1e-13 + 50 eps/(omega tau_m)`. The formula's
/// denominator `Psi_z(x_th) - Psi_z(x_r)` vanishes as omega -> 0 (`Psi_{-1/2} = 1`),
/// so in double precision its relative error grows like `eps/(omega tau_m)`
/// (the same holds for NNMT). Measured worst: 1.6e-10 at omega = 1e-3 rad/s
/// (7 eps/(omega tau_m)), 1.0e-13 at 1 rad/s, below 1e-14 from 100 rad/s up.
fn tol_tf(omega_rad_s: f64, tau_m_ms: f64) -> f64 {
    1e-13 + 50.0 * f64::EPSILON / (omega_rad_s * tau_m_ms * 1e-3)
}

type Row = HashMap<String, String>;

/// Rows of a fixture CSV as maps column name -> text; `#` lines are comments.
fn read_csv(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("fixture {} cannot be read: {e}", path.display()));
    let mut lines = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    let header: Vec<String> = lines
        .next()
        .unwrap_or_else(|| panic!("fixture {} has no header", path.display()))
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let rows: Vec<Row> = lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(
                cells.len(),
                header.len(),
                "{}: ragged row {l}",
                path.display()
            );
            header
                .iter()
                .cloned()
                .zip(cells.iter().map(|c| c.trim().to_string()))
                .collect()
        })
        .collect();
    assert!(
        !rows.is_empty(),
        "fixture {} has no data rows",
        path.display()
    );
    rows
}

fn num(row: &Row, key: &str) -> f64 {
    let s = row
        .get(key)
        .unwrap_or_else(|| panic!("column {key} missing"));
    s.parse()
        .unwrap_or_else(|e| panic!("column {key}: {s:?}: {e}"))
}

fn rel_err(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    }
}

// ---------------------------------------------------------------------------
// The project's fixtures (scripts/gen_fixtures.py)
// ---------------------------------------------------------------------------

fn own_fixture(name: &str) -> Vec<Row> {
    read_csv(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/fixtures")
            .join(name),
    )
}

/// LIF parameters and (mu, sigma) of a row of the own fixtures (mV, ms).
fn own_params(row: &Row) -> (LifParams, f64, f64) {
    let p = LifParams {
        tau_m_ms: num(row, "tau_m_ms"),
        t_ref_ms: num(row, "t_ref_ms"),
        v_th_mv: num(row, "v_th_mv"),
        v_reset_mv: num(row, "v_reset_mv"),
        tau_s_ms: num(row, "tau_s_ms"),
    };
    (p, num(row, "mu_mv"), num(row, "sigma_mv"))
}

/// The same neuron with delta synapses.
fn delta(p: &LifParams) -> LifParams {
    LifParams {
        tau_s_ms: 0.0,
        ..*p
    }
}

/// Checks `got(row)` against column `col` of `lif_rates.csv`; returns the worst error.
fn check_rates(col: &str, tol: f64, got: impl Fn(&LifParams, f64, f64) -> f64) -> f64 {
    let rows = own_fixture("lif_rates.csv");
    let mut worst: f64 = 0.0;
    for row in &rows {
        let (p, mu, sigma) = own_params(row);
        let (g, want) = (got(&p, mu, sigma), num(row, col));
        let e = rel_err(g, want);
        assert!(
            e < tol,
            "{}: mu={mu} mV sigma={sigma} mV: {g} Hz vs {want} Hz (rel {e:e}, tol {tol:e})",
            row["case"]
        );
        worst = worst.max(e);
    }
    println!(
        "lif_rates.csv {col}: {} rows, max rel err {worst:e}",
        rows.len()
    );
    worst
}

#[test]
fn siegert_delta_matches_reference() {
    check_rates("rate_delta_hz", TOL_RATE, |p, mu, sigma| {
        siegert(p, mu, sigma)
    });
}

#[test]
fn siegert_shift_matches_reference() {
    check_rates("rate_shift_hz", TOL_RATE, |p, mu, sigma| {
        siegert_shifted(p, mu, sigma)
    });
}

/// The library has no Taylor variant; it is `nu0 - c sigma dnu0/dmu` (NNMT
/// `_firing_rate_taylor`, c = shift factor), which checks `dphi_dmu` of the
/// delta rate at every point.
#[test]
fn siegert_taylor_from_derivative_matches_reference() {
    let rows = own_fixture("lif_rates.csv");
    let mut worst: f64 = 0.0;
    for row in &rows {
        let (p, mu, sigma) = own_params(row);
        let nu0 = siegert(&delta(&p), mu, sigma);
        let corr = p.shift_factor() * sigma * dphi_dmu(&delta(&p), mu, sigma);
        let want = num(row, "rate_taylor_hz");
        let e = ((nu0 - corr) - want).abs() / (nu0.abs() + corr.abs());
        assert!(
            e < TOL_TAYLOR,
            "{}: {} Hz vs {want} Hz (rel {e:e})",
            row["case"],
            nu0 - corr
        );
        worst = worst.max(e);
    }
    println!("lif_rates.csv rate_taylor_hz: max rel err {worst:e}");
}

/// Checks the transfer function (Hz/mV) on the rows selected by `keep(omega)`
/// with the tolerance `tol(omega, tau_m_ms)`; returns (rows, worst error).
fn check_transfer(keep: impl Fn(f64) -> bool, tol: impl Fn(f64, f64) -> f64) -> (usize, f64) {
    let rows = own_fixture("lif_transfer_function_shift.csv");
    let (mut n, mut worst) = (0, 0.0f64);
    for row in rows.iter().filter(|r| keep(num(r, "omega_rad_s"))) {
        let (p, mu, sigma) = own_params(row);
        let omega = num(row, "omega_rad_s");
        let got = transfer_function(&p, mu, sigma, omega, true)
            .unwrap_or_else(|| panic!("transfer function undefined for {row:?}"));
        let want = Complex64::new(num(row, "re_hz_per_mv"), num(row, "im_hz_per_mv"));
        let e = (got - want).norm() / want.norm();
        let tol = tol(omega, p.tau_m_ms);
        assert!(
            e < tol,
            "{} omega={omega} rad/s: {got} vs {want} Hz/mV (rel {e:e}, tol {tol:e})",
            row["case"]
        );
        worst = worst.max(e);
        n += 1;
    }
    assert!(n > 0, "no rows selected");
    (n, worst)
}

#[test]
fn transfer_function_zero_frequency_matches_reference() {
    let (n, worst) = check_transfer(|w| w == 0.0, |_, _| TOL_TF0);
    println!("lif_transfer_function_shift.csv omega=0: {n} rows, max rel err {worst:e}");
}

#[test]
fn transfer_function_positive_frequency_matches_reference() {
    let (n, worst) = check_transfer(|w| w > 0.0, tol_tf);
    println!("lif_transfer_function_shift.csv omega>0: {n} rows, max rel err {worst:e}");
}

#[test]
fn transfer_function_zero_frequency_is_dphi_dmu_of_shifted_rate() {
    // N(0) must be the derivative of the shifted Siegert rate; 4th-order
    // central differences of the library's own rate at every fixture point
    // (ties transfer_function(omega = 0) to siegert_shifted, independently
    // of the reference values).
    let rows = own_fixture("lif_rates.csv");
    let mut worst: f64 = 0.0;
    for row in &rows {
        let (p, mu, sigma) = own_params(row);
        let got = transfer_function(&p, mu, sigma, 0.0, false).unwrap().re;
        let h = 1e-3 * sigma;
        let f = |m: f64| siegert_shifted(&p, m, sigma);
        let fd = (8.0 * (f(mu + h) - f(mu - h)) - (f(mu + 2.0 * h) - f(mu - 2.0 * h))) / (12.0 * h);
        let e = rel_err(got, fd);
        assert!(
            e < 1e-7,
            "{}: {got} vs finite difference {fd} (rel {e:e})",
            row["case"]
        );
        worst = worst.max(e);
    }
    println!("omega=0 vs finite differences of siegert_shifted: max rel err {worst:e}");
}

// ---------------------------------------------------------------------------
// NNMT's test vectors (GPL-3.0, not shipped): `#[ignore]`d, run by CI
// ---------------------------------------------------------------------------

/// Tolerance against NNMT: 1e-8 relative (NNMT's own values are not more
/// accurate than that everywhere; see [`nnmt_omega0_error_estimate`]).
const NNMT_TOL: f64 = 1e-8;

/// Rows of an NNMT fixture from `$CORTEXSIM_DATA/nnmt-lif-fixtures/`; panics
/// naming what is missing.
fn nnmt_fixture(name: &str) -> Vec<Row> {
    let dir = match std::env::var_os("CORTEXSIM_DATA") {
        Some(d) if !d.is_empty() => PathBuf::from(d).join("nnmt-lif-fixtures"),
        _ => panic!(
            "NNMT fixtures (GPL-3.0, not in the repository): set CORTEXSIM_DATA to the data \
             directory that holds nnmt-lif-fixtures/ (CI: ../shared/data)"
        ),
    };
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "NNMT fixture {} not found (CORTEXSIM_DATA must hold nnmt-lif-fixtures/)",
        path.display()
    );
    read_csv(&path)
}

/// LIF parameters and (mu, sigma) in the library's units from an SI row.
fn nnmt_params(row: &Row, with_tau_s: bool) -> (LifParams, f64, f64) {
    let p = LifParams {
        tau_m_ms: num(row, "tau_m") * 1e3,
        t_ref_ms: num(row, "tau_r") * 1e3,
        v_th_mv: num(row, "V_th_rel") * 1e3,
        v_reset_mv: num(row, "V_0_rel") * 1e3,
        tau_s_ms: if with_tau_s {
            num(row, "tau_s") * 1e3
        } else {
            0.0
        },
    };
    (p, num(row, "mu") * 1e3, num(row, "sigma") * 1e3)
}

fn nnmt_rates(file: &str, with_tau_s: bool, got: impl Fn(&LifParams, f64, f64) -> f64) {
    let rows = nnmt_fixture(file);
    let mut worst: f64 = 0.0;
    for row in &rows {
        let (p, mu, sigma) = nnmt_params(row, with_tau_s);
        let (g, want) = (got(&p, mu, sigma), num(row, "rate_hz"));
        let e = rel_err(g, want);
        assert!(
            e < NNMT_TOL,
            "{}: mu={mu} mV sigma={sigma} mV: {g} Hz vs NNMT {want} Hz (rel {e:e})",
            row["regime"]
        );
        worst = worst.max(e);
    }
    println!("{file}: {} rows, max rel err {worst:e}", rows.len());
}

#[test]
#[ignore = "NNMT data (GPL) from $CORTEXSIM_DATA; run by .ci/run"]
fn nnmt_siegert_delta() {
    nnmt_rates("lif_delta_firing_rate.csv", false, |p, mu, sigma| {
        siegert(p, mu, sigma)
    });
}

#[test]
#[ignore = "NNMT data (GPL) from $CORTEXSIM_DATA; run by .ci/run"]
fn nnmt_siegert_shift() {
    nnmt_rates("lif_exp_firing_rate_shift.csv", true, |p, mu, sigma| {
        siegert_shifted(p, mu, sigma)
    });
}

#[test]
#[ignore = "NNMT data (GPL) from $CORTEXSIM_DATA; run by .ci/run"]
fn nnmt_siegert_taylor() {
    nnmt_rates("lif_exp_firing_rate_taylor.csv", true, |p, mu, sigma| {
        let d = delta(p);
        siegert(&d, mu, sigma) - p.shift_factor() * sigma * dphi_dmu(&d, mu, sigma)
    });
}

/// Relative error of NNMT's own omega = 0 value: NNMT evaluates
/// `dPhi/dmu = sqrt(pi) tau_m nu^2/sigma [e^{y_th^2}(1+erf y_th) - e^{y_r^2}(1+erf y_r)]`
/// naively, and for `y_r << 0` the `1 + erf(y_r)` cancels: its absolute
/// error is ~eps, amplified by `e^{y_r^2}`. (For the row
/// sub_threshold_weak_noise pop 2, y_r = -5.76, NNMT's value is off by 9.7e-7
/// relative; the mpmath reference of scripts/gen_fixtures.py agrees with ours
/// to 1e-15.) The tolerance of a row is max(1e-8, 10 x this estimate).
fn nnmt_omega0_error_estimate(p: &LifParams, mu: f64, sigma: f64) -> f64 {
    use errorfunctions::RealErrorFunctions;
    let shift = sigma * p.shift_factor();
    let y_th = (p.v_th_mv + shift - mu) / sigma;
    let y_r = (p.v_reset_mv + shift - mu) / sigma;
    let f = |y: f64| (-y).erfcx();
    f64::EPSILON * (y_r * y_r).exp() / (f(y_th) - f(y_r)).abs()
}

/// (rows checked, rows where NNMT's value is NaN, max relative error, max
/// relative error over rows at the base tolerance) of the transfer function for
/// the rows selected by `keep(omega)`, with per-row tolerance `tol(p, mu, sigma)`.
/// The CSV is in Hz/V, the API in Hz/mV. NaN reference rows (NNMT's
/// mpmath/numpy evaluation failed for supra_threshold_weak_noise) cannot be
/// compared; for them our value must be finite (the own fixtures cover these
/// points), and their number is reported and bounded.
fn nnmt_transfer_function_errors(
    keep: impl Fn(f64) -> bool,
    tol: impl Fn(&LifParams, f64, f64) -> f64,
) -> (usize, usize, f64, f64) {
    let rows = nnmt_fixture("lif_exp_transfer_function_shift.csv");
    let mut worst: f64 = 0.0;
    let mut worst_at_base_tol: f64 = 0.0;
    let (mut n, mut n_nan) = (0, 0);
    for row in &rows {
        let omega = num(row, "omega");
        if !keep(omega) {
            continue;
        }
        let (p, mu, sigma) = nnmt_params(row, true);
        let got = transfer_function(&p, mu, sigma, omega, true)
            .unwrap_or_else(|| panic!("transfer function undefined for {row:?}"))
            * 1e3;
        assert!(got.re.is_finite() && got.im.is_finite(), "{row:?}: {got}");
        let want = Complex64::new(num(row, "re"), num(row, "im"));
        if want.re.is_nan() || want.im.is_nan() {
            n_nan += 1;
            continue;
        }
        let e = (got - want).norm() / want.norm();
        let t = tol(&p, mu, sigma);
        assert!(
            e < t,
            "{} pop {} omega={omega} rad/s: {got} vs NNMT {want} Hz/V (rel {e:e}, tol {t:e})",
            row["regime"],
            row["pop"]
        );
        worst = worst.max(e);
        if t == NNMT_TOL {
            worst_at_base_tol = worst_at_base_tol.max(e);
        }
        n += 1;
    }
    assert!(n > 0, "no rows selected");
    assert!(
        n_nan <= n / 4,
        "{n_nan} NaN reference rows out of {}",
        n + n_nan
    );
    (n, n_nan, worst, worst_at_base_tol)
}

#[test]
#[ignore = "NNMT data (GPL) from $CORTEXSIM_DATA; run by .ci/run"]
fn nnmt_transfer_function_zero_frequency() {
    let (n, n_nan, worst, worst_base) = nnmt_transfer_function_errors(
        |w| w.abs() < 1e-15,
        |p, mu, sigma| NNMT_TOL.max(10.0 * nnmt_omega0_error_estimate(p, mu, sigma)),
    );
    println!(
        "lif_exp_transfer_function_shift.csv omega=0: {n} rows ({n_nan} NaN in NNMT), max rel err {worst:e}, \
         {worst_base:e} over the rows where NNMT's own value is well conditioned"
    );
}

#[test]
#[ignore = "NNMT data (GPL) from $CORTEXSIM_DATA; run by .ci/run"]
fn nnmt_transfer_function_positive_frequency() {
    let (n, n_nan, worst, _) =
        nnmt_transfer_function_errors(|w| w.abs() >= 1e-15, |_, _, _| NNMT_TOL);
    println!(
        "lif_exp_transfer_function_shift.csv omega>0: {n} rows ({n_nan} NaN in NNMT), max rel err {worst:e}"
    );
}
