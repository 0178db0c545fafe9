//! Linear stability of a stationary state *with* transmission delays and the
//! frequency dependence of the neurons' response: the oscillatory (Hopf)
//! instability of Brunel & Hakim 1999 / Brunel 2000.
//!
//! # Characteristic equation (Brunel 2000 §4 and Appendix A; mean channel alone = Helias et al. 2013, NNMT `linear_stability`)
//!
//! A small perturbation `delta nu_b(t) = delta nu_b e^{i omega t}` of the
//! population rates modulates the mean input of population a by
//! `sum_b M_ab(omega) delta nu_b` and its variance by
//! `sum_b S_ab(omega) delta nu_b`, with
//! ```text
//! M_ab(omega) = tau_m,a K_ab J_ab  e^{-i omega d_ab}      (mV/Hz; d_ab = mean delay)
//! S_ab(omega) = tau_m,a K_ab J2_ab e^{-i omega d_ab}      (mV^2/Hz; J2 = second moment)
//! ```
//! (the derivatives of `mu_a` and `sigma_a^2` of [`MeanFieldNetwork::mu_sigma`]).
//! The rate responds through the transfer functions of the mean,
//! `N_a(omega)` (Hz/mV, [`super::transfer_function_mean_complex`]), and of the
//! variance, `N_s2,a(omega)` (Hz/mV^2,
//! [`super::transfer_function_variance_complex`]); both include the synaptic
//! low-pass for exponential synapses. Self-consistency gives
//! ```text
//! c(omega) = det( I - diag(N(omega)) M(omega) - diag(N_s2(omega)) S(omega) ) = 0 .
//! ```
//! For one delay `d` and identical populations this factorises into
//! `1 = (N lambda_k + N_s2 lambda2_k) e^{-i omega d}`. The roots
//! `omega = w + i g` in the complex plane are the modes of the linearised
//! delayed dynamics `~ e^{i w t} e^{-g t}`: frequency `f = w / 2 pi`, growth
//! rate `-g` (1/s). The state is stable iff every root has a negative growth
//! rate.
//!
//! Options ([`OscillationOptions`]): `variance_channel` (default on) and
//! `refractory_phase` (default on: the exact LIF response, whose omega -> 0
//! limits are `dPhi/dmu` and `dPhi/dsigma / (2 sigma)`, so the real-root
//! instability agrees with [`super::MeanFieldNetwork::stability`]).
//! [`OscillationOptions::nnmt`] switches both off: mean channel only, as NNMT.
//!
//! Measured (tests/meanfield/oscillatory.rs): Brunel 2000 point B (SI fast)
//! is predicted to oscillate at 190.2 Hz (growth 51/s) vs 170 Hz in the
//! spiking network at scale 0.2 and ~180 Hz in Brunel 2000 Fig. 8B; the mean
//! channel alone gives 261.6 Hz. The refractory phase alone moves it by < 2 Hz;
//! the variance channel is what matters (for g = 6 the variance modulation
//! `tau K J^2 (1 + g^2 gamma)` is large).
//!
//! # What is implemented
//!
//! 1. **Roots in the complex plane** (growth rates): `c` is evaluated on a grid
//!    of real frequencies `f = df, 2 df, ..., f_max`; every local minimum of
//!    `|c|` starts a damped Newton iteration on the complex frequency (numerical
//!    derivative; `N` continued to complex `omega`, exact formula). If the
//!    Nyquist count below exceeds the unstable roots found this way, Newton is
//!    also started from the local minima of `|c|` along lines of constant
//!    growth rate (50, 150, 275, 400, 650, 1000 /s; heuristic — the Nyquist
//!    count stays the authority for `stable`). Converged roots with `w >= 0`
//!    are reported, sorted by decreasing growth rate.
//! 2. **Nyquist count** (independent check that no unstable root was missed):
//!    by the argument principle, with `N` analytic in the closed right half
//!    `s = i omega` plane (the LIF's Fokker–Planck eigenvalues and the membrane
//!    pole `-1/tau_m` lie in the left half) and `c -> 1` as `|omega| -> inf`,
//!    the number of roots with positive growth rate is
//!    `Z = -(1/pi) * [arg c(inf) - arg c(0)]` (phase unwrapped along real `omega`;
//!    `c(-omega) = conj c(omega)` since `M` is real). The scan continues
//!    beyond `f_max` until an upper bound of the spectral radius of `D M`
//!    (`|(DM)^32|^(1/32)`) is below 0.9, or until 5 kHz (`nyquist_complete =
//!    false`). Beyond that point every factor `1 - mu_k` of
//!    `c = prod_k (1 - mu_k)` stays in the right half plane *provided the
//!    spectral radius of `D M` stays below 1* (`|N| ~ omega^{-1/2}` for the
//!    LIF, but `N_s2 -> nu/sigma^2` for delta synapses), so the tail
//!    contributes exactly `-sum_k Arg(1 - mu_k)`, computed along
//!    `det(I - t D M)`, `t: 0 -> 1`. Checked, not proven: the bound is < 1 at
//!    2, 4 and 8 times the last frequency, and the omega -> inf limit
//!    `rho(|diag(nu/sigma^2) tau K J2|)` is < 1 (else `nyquist_complete =
//!    false`). Brunel's point B has a limit of 0.93: close to the edge. Each complex-conjugate pair of roots counts twice (the root
//!    at `-conj(omega)` is the same real mode); `roots` lists only `w >= 0`.
//!
//! Units: Hz, 1/s, mV, ms (delays), rad/s only internally.

use super::network::{FixedPoint, MeanFieldNetwork};
use super::transfer::{transfer_function_mean_complex, transfer_function_variance_complex};
use num_complex::Complex64;
use serde::Serialize;
use std::f64::consts::PI;

/// Options of [`linear_stability_with`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OscillationOptions {
    /// Highest frequency of the root-search grid, Hz.
    pub f_max_hz: f64,
    /// Grid spacing, Hz.
    pub df_hz: f64,
    /// Newton stops when `|c| <` this.
    pub tol: f64,
    /// Maximum Newton iterations per starting point.
    pub max_iter: usize,
    /// Include the modulation of the input variance (`N_sigma2 M_sigma2`,
    /// module docs; Brunel 2000). `false` = mean channel only, as NNMT.
    pub variance_channel: bool,
    /// Include the refractory phase factor `e^{-i omega t_ref}` in the
    /// transfer functions (exact LIF response; `false` = NNMT's form).
    pub refractory_phase: bool,
}

impl OscillationOptions {
    /// NNMT's `linear_stability`: mean channel only, no refractory phase.
    pub fn nnmt() -> Self {
        OscillationOptions {
            variance_channel: false,
            refractory_phase: false,
            ..Default::default()
        }
    }
}

impl Default for OscillationOptions {
    fn default() -> Self {
        OscillationOptions {
            f_max_hz: 1000.0,
            df_hz: 2.0,
            tol: 1e-11,
            max_iter: 60,
            variance_channel: true,
            refractory_phase: true,
        }
    }
}

/// One root of the characteristic equation (one mode of the linearised dynamics).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CharacteristicRoot {
    /// Oscillation frequency `Re omega / 2 pi`, Hz (>= 0).
    pub frequency_hz: f64,
    /// Growth rate `-Im omega`, 1/s (> 0: unstable).
    pub growth_rate_per_s: f64,
    /// Whether the mode grows.
    pub unstable: bool,
    /// Relative amplitude of the mode in each population (max = 1).
    pub amplitudes: Vec<f64>,
}

/// Result of [`linear_stability`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinearStability {
    /// No root with positive growth rate found and the Nyquist count is 0.
    pub stable: bool,
    /// Frequency of the least stable (largest growth rate) root, Hz.
    pub frequency_hz: Option<f64>,
    /// Its growth rate, 1/s.
    pub growth_rate_per_s: Option<f64>,
    /// Roots found, by decreasing growth rate.
    pub roots: Vec<CharacteristicRoot>,
    /// Number of roots with positive growth rate by the argument principle.
    pub nyquist_unstable_roots: i64,
    /// Whether the Nyquist scan reached the region where the tail cannot wind.
    pub nyquist_complete: bool,
    /// Highest frequency scanned for the Nyquist count, Hz.
    pub nyquist_f_hz: f64,
    /// Eigenvalues `lambda_k` of `tau_m K J` without delays, mV/Hz (`[re, im]`).
    pub connectivity_eigenvalues: Vec<[f64; 2]>,
}

/// [`linear_stability_with`] with default options (roots up to 1 kHz, 2 Hz grid).
pub fn linear_stability(net: &MeanFieldNetwork, fp: &FixedPoint) -> LinearStability {
    linear_stability_with(net, fp, &OscillationOptions::default())
}

/// `diag(N_mu) M_mu + diag(N_sigma2) M_sigma2` at `omega` (module docs);
/// `None` if a transfer function is undefined.
// Matrix index arithmetic (rows and columns of the same matrices) reads as the formula.
#[allow(clippy::needless_range_loop)]
fn dm(
    net: &MeanFieldNetwork,
    fp: &FixedPoint,
    omega: Complex64,
    opts: &OscillationOptions,
) -> Option<Vec<Vec<Complex64>>> {
    let i = Complex64::new(0.0, 1.0);
    let zero = Complex64::new(0.0, 0.0);
    let n = net.len();
    let mut out = vec![vec![zero; n]; n];
    let mut ns: Vec<(Complex64, Complex64)> = Vec::with_capacity(n);
    for a in 0..n {
        let p = &net.pops[a].lif;
        let (mu, sigma) = (fp.mu_mv[a], fp.sigma_mv[a]);
        // identical populations in identical states share N (e.g. Brunel's E and I)
        let same =
            (0..a).find(|&b| net.pops[b].lif == *p && fp.mu_mv[b] == mu && fp.sigma_mv[b] == sigma);
        let (n_mu, n_s2) = match same {
            Some(b) => ns[b],
            None => {
                let rp = opts.refractory_phase;
                let n_mu = transfer_function_mean_complex(p, mu, sigma, omega, true, rp)?;
                let n_s2 = if opts.variance_channel {
                    transfer_function_variance_complex(p, mu, sigma, omega, true, rp)?
                } else {
                    zero
                };
                (n_mu, n_s2)
            }
        };
        ns.push((n_mu, n_s2));
        let tau = p.tau_m_ms * 1e-3;
        for (b, inp) in net.recurrent[a].iter().enumerate() {
            if inp.k == 0.0 {
                continue;
            }
            let d = inp.delay_ms * 1e-3;
            out[a][b] =
                (n_mu * inp.j_mv + n_s2 * inp.j2_mv2) * tau * inp.k * (-i * omega * d).exp();
        }
    }
    Some(out)
}

fn i_minus(m: &[Vec<Complex64>]) -> Vec<Vec<Complex64>> {
    m.iter()
        .enumerate()
        .map(|(a, row)| {
            row.iter()
                .enumerate()
                .map(|(b, &x)| if a == b { 1.0 - x } else { -x })
                .collect()
        })
        .collect()
}

/// Determinant by LU with partial pivoting.
// Matrix index arithmetic (rows and columns of the same matrices) reads as the formula.
#[allow(clippy::needless_range_loop)]
fn det(mut a: Vec<Vec<Complex64>>) -> Complex64 {
    let n = a.len();
    let mut d = Complex64::new(1.0, 0.0);
    for c in 0..n {
        let p = (c..n)
            .max_by(|&x, &y| a[x][c].norm().total_cmp(&a[y][c].norm()))
            .unwrap();
        if a[p][c].norm() == 0.0 {
            return Complex64::new(0.0, 0.0);
        }
        if p != c {
            a.swap(p, c);
            d = -d;
        }
        d *= a[c][c];
        for r in c + 1..n {
            let f = a[r][c] / a[c][c];
            for k in c..n {
                let v = a[c][k];
                a[r][k] -= f * v;
            }
        }
    }
    d
}

/// Solves `a x = b` (LU, partial pivoting); tiny pivots are replaced by 1e-300
/// (used for inverse iteration on a nearly singular matrix).
// Matrix index arithmetic (rows and columns of the same matrices) reads as the formula.
#[allow(clippy::needless_range_loop)]
fn solve(mut a: Vec<Vec<Complex64>>, mut b: Vec<Complex64>) -> Vec<Complex64> {
    let n = a.len();
    for c in 0..n {
        let p = (c..n)
            .max_by(|&x, &y| a[x][c].norm().total_cmp(&a[y][c].norm()))
            .unwrap();
        a.swap(p, c);
        b.swap(p, c);
        if a[c][c].norm() < 1e-300 {
            a[c][c] = Complex64::new(1e-300, 0.0);
        }
        for r in c + 1..n {
            let f = a[r][c] / a[c][c];
            for k in c..n {
                let v = a[c][k];
                a[r][k] -= f * v;
            }
            let v = b[c];
            b[r] -= f * v;
        }
    }
    let mut x = vec![Complex64::new(0.0, 0.0); n];
    for r in (0..n).rev() {
        let mut s = b[r];
        for k in r + 1..n {
            s -= a[r][k] * x[k];
        }
        x[r] = s / a[r][r];
    }
    x
}

fn char_fn(
    net: &MeanFieldNetwork,
    fp: &FixedPoint,
    omega: Complex64,
    opts: &OscillationOptions,
) -> Option<Complex64> {
    dm(net, fp, omega, opts).map(|m| det(i_minus(&m)))
}

/// Infinity norm (max row sum of moduli).
fn norm_inf(m: &[Vec<Complex64>]) -> f64 {
    m.iter()
        .map(|r| r.iter().map(|x| x.norm()).sum::<f64>())
        .fold(0.0, f64::max)
}

fn matmul(a: &[Vec<Complex64>], b: &[Vec<Complex64>]) -> Vec<Vec<Complex64>> {
    let n = a.len();
    (0..n)
        .map(|r| {
            (0..n)
                .map(|c| (0..n).map(|k| a[r][k] * b[k][c]).sum())
                .collect()
        })
        .collect()
}

/// Upper bound of the spectral radius: `|A^32|_inf^(1/32)` (Gelfand; any
/// power is a bound), by five squarings with rescaling.
fn spectral_radius_bound(a: &[Vec<Complex64>]) -> f64 {
    let mut m = a.to_vec();
    let mut log_scale = 0.0; // log of the factor divided out, per unit power
    let mut power = 1.0;
    for _ in 0..5 {
        let s = norm_inf(&m);
        if s == 0.0 {
            return 0.0;
        }
        m.iter_mut().flatten().for_each(|x| *x /= s);
        log_scale += s.ln() / power;
        m = matmul(&m, &m);
        power *= 2.0;
    }
    (log_scale + norm_inf(&m).ln() / power).exp()
}

/// Continuous `arg det(I - t A)` from `t = 0` (value 0) to `t = 1`; for
/// spectral radius < 1 this is `sum_k Arg(1 - mu_k)` (module docs).
fn homotopy_arg(a: &[Vec<Complex64>]) -> f64 {
    let steps = 64;
    let mut prev = Complex64::new(1.0, 0.0);
    let mut total = 0.0;
    for s in 1..=steps {
        let t = s as f64 / steps as f64;
        let scaled: Vec<Vec<Complex64>> = a
            .iter()
            .map(|r| r.iter().map(|x| x * t).collect())
            .collect();
        let c = det(i_minus(&scaled));
        total += (c / prev).arg();
        prev = c;
    }
    total
}

/// Checks of the tail assumption beyond the last scanned frequency `f` (module
/// docs): the spectral-radius bound of `D M` stays below 1 at `2f, 4f, 8f`
/// (sampled, not proven), and so does the exact bound of its `omega -> inf`
/// limit, `rho(|diag(nu/sigma^2) tau_m K J2|)` (Perron–Frobenius bounds every
/// choice of delay phases), non-zero only through the variance channel of
/// delta-synapse populations (`N_sigma2 -> nu/sigma^2`; exponential synapses
/// low-pass it to 0).
fn tail_below_one(
    net: &MeanFieldNetwork,
    fp: &FixedPoint,
    f: f64,
    opts: &OscillationOptions,
) -> bool {
    let n = net.len();
    let limit: Vec<Vec<Complex64>> = (0..n)
        .map(|a| {
            let p = &net.pops[a].lif;
            let s2 = fp.sigma_mv[a] * fp.sigma_mv[a];
            let g = if opts.variance_channel && p.tau_s_ms == 0.0 && s2 > 0.0 {
                fp.rates_hz[a] / s2
            } else {
                0.0
            };
            net.recurrent[a]
                .iter()
                .map(|x| Complex64::new(g * p.tau_m_ms * 1e-3 * x.k * x.j2_mv2.abs(), 0.0))
                .collect()
        })
        .collect();
    if spectral_radius_bound(&limit) >= 1.0 {
        return false;
    }
    [2.0, 4.0, 8.0].iter().all(|&k| {
        dm(net, fp, Complex64::new(2.0 * PI * k * f, 0.0), opts)
            .is_some_and(|m| spectral_radius_bound(&m) < 1.0)
    })
}

/// Damped Newton on `c(omega) = 0` from `omega0` (rad/s); `None` if it does
/// not converge.
fn newton(
    net: &MeanFieldNetwork,
    fp: &FixedPoint,
    omega0: Complex64,
    opts: &OscillationOptions,
) -> Option<Complex64> {
    let max_step = 2.0 * PI * 50.0;
    let mut w = omega0;
    let mut c = char_fn(net, fp, w, opts)?;
    for _ in 0..opts.max_iter {
        if c.norm() < opts.tol {
            return Some(w);
        }
        let h = 1e-4 * (1.0 + w.norm());
        let c1 = char_fn(net, fp, w + h, opts)?;
        let c2 = char_fn(net, fp, w - h, opts)?;
        let deriv = (c1 - c2) / (2.0 * h);
        if deriv.norm() == 0.0 {
            return None;
        }
        let mut step = -c / deriv;
        if step.norm() > max_step {
            step *= max_step / step.norm();
        }
        // backtracking on |c|
        let mut t = 1.0;
        loop {
            let wn = w + step * t;
            // keep the search in a region where the expansion is meaningful
            if wn.im.abs() > 2.0 * PI * 2.0 * opts.f_max_hz || wn.re < -2.0 * PI * opts.df_hz {
                return None;
            }
            let cn = char_fn(net, fp, wn, opts)?;
            if cn.norm() < c.norm() || t < 1e-3 {
                w = wn;
                c = cn;
                break;
            }
            t *= 0.5;
        }
    }
    (c.norm() < opts.tol * 1e3).then_some(w)
}

/// Frequency-resolved linear stability of the stationary state `fp` of `net`
/// (module docs): roots of `det(I - N(omega) M(omega))` and the Nyquist count.
pub fn linear_stability_with(
    net: &MeanFieldNetwork,
    fp: &FixedPoint,
    opts: &OscillationOptions,
) -> LinearStability {
    let n = net.len();
    let m0: Vec<Vec<f64>> = (0..n)
        .map(|a| {
            let tau = net.pops[a].lif.tau_m_ms * 1e-3;
            net.recurrent[a]
                .iter()
                .map(|x| tau * x.k * x.j_mv)
                .collect()
        })
        .collect();
    let connectivity_eigenvalues = super::linalg::eigenvalues(&m0)
        .iter()
        .map(|e| [e.re, e.im])
        .collect();
    let two_pi = 2.0 * PI;
    let d_max_s = net
        .recurrent
        .iter()
        .flatten()
        .map(|x| x.delay_ms * 1e-3)
        .fold(1e-6, f64::max);

    // Scan along real frequencies: phase (Nyquist) and |c| (Newton starts).
    let mut f = 0.0;
    let mut fs = Vec::new();
    let mut cs = Vec::new();
    let mut complete = false;
    let f_cap = opts.f_max_hz.max(5000.0);
    let mut tail_arg = 0.0;
    let mut ok = true;
    while f <= f_cap {
        let Some(m) = dm(net, fp, Complex64::new(two_pi * f, 0.0), opts) else {
            ok = false;
            break;
        };
        let c = det(i_minus(&m));
        fs.push(f);
        cs.push(c);
        if f >= opts.f_max_hz && spectral_radius_bound(&m) < 0.9 {
            tail_arg = homotopy_arg(&m);
            complete = tail_below_one(net, fp, f, opts);
            break;
        }
        // df steps up to f_max, then steps that keep the delay phase
        // increment 2 pi f d_max below 0.3 rad and at most 5% of f.
        f += if f < opts.f_max_hz {
            opts.df_hz
        } else {
            (0.3 / (two_pi * d_max_s)).min(0.05 * f).max(opts.df_hz)
        };
    }
    // unwrap the phase
    let mut phase = 0.0;
    for k in 1..cs.len() {
        let mut d = cs[k].arg() - cs[k - 1].arg();
        while d > PI {
            d -= 2.0 * PI;
        }
        while d < -PI {
            d += 2.0 * PI;
        }
        phase += d;
    }
    // remaining tail to c(inf) = 1 (module docs); without the bound on the
    // spectral radius the principal value is a guess (`nyquist_complete = false`)
    phase -= if complete {
        tail_arg
    } else {
        cs.last().map_or(0.0, |c| c.arg())
    };
    let nyq = if ok && !cs.is_empty() {
        (-phase / PI).round() as i64
    } else {
        0
    };

    // Newton from the local minima of |c| on the grid up to f_max.
    let mut roots: Vec<Complex64> = Vec::new();
    let kmax = fs.iter().take_while(|&&x| x <= opts.f_max_hz).count();
    let mut starts = Vec::new();
    for k in 0..kmax {
        let here = cs[k].norm();
        let left = if k > 0 {
            cs[k - 1].norm()
        } else {
            f64::INFINITY
        };
        let right = if k + 1 < cs.len() {
            cs[k + 1].norm()
        } else {
            f64::INFINITY
        };
        if here <= left && here <= right {
            starts.push(fs[k]);
        }
    }
    let try_from = |roots: &mut Vec<Complex64>, w0: Complex64| -> bool {
        if let Some(r) = newton(net, fp, w0, opts)
            && r.re >= -1e-9
            && !roots
                .iter()
                .any(|x| (x - r).norm() <= 1e-6 * (1.0 + r.norm()))
        {
            roots.push(r);
            return true;
        }
        false
    };
    for f0 in starts {
        // start slightly off the real axis (both sides)
        for g0 in [0.0, -20.0, 20.0] {
            if try_from(&mut roots, Complex64::new(two_pi * f0.max(0.1), g0)) {
                break;
            }
        }
    }
    // Unstable roots missed from the real axis (the Nyquist count says more):
    // Newton from the local minima of |c| along lines of constant growth rate.
    let unstable_found =
        |roots: &[Complex64]| 2 * roots.iter().filter(|r| r.im < 0.0).count() as i64;
    for g in [50.0, 150.0, 275.0, 400.0, 650.0, 1000.0] {
        if !ok || unstable_found(&roots) >= nyq {
            break;
        }
        let df = opts.df_hz.max(5.0);
        let line: Vec<(f64, f64)> = (1..)
            .map(|k| k as f64 * df)
            .take_while(|&f| f <= opts.f_max_hz)
            .filter_map(|f| {
                Some((
                    f,
                    char_fn(net, fp, Complex64::new(two_pi * f, -g), opts)?.norm(),
                ))
            })
            .collect();
        for k in 1..line.len().saturating_sub(1) {
            if line[k].1 <= line[k - 1].1 && line[k].1 <= line[k + 1].1 {
                try_from(&mut roots, Complex64::new(two_pi * line[k].0, -g));
            }
        }
    }
    let mut out: Vec<CharacteristicRoot> = roots
        .iter()
        .filter_map(|&r| {
            let a = i_minus(&dm(net, fp, r, opts)?);
            let x = solve(a, vec![Complex64::new(1.0, 0.0); n]);
            let mx = x.iter().map(|v| v.norm()).fold(0.0, f64::max);
            Some(CharacteristicRoot {
                frequency_hz: r.re.max(0.0) / two_pi,
                growth_rate_per_s: -r.im,
                unstable: -r.im > 0.0,
                amplitudes: x
                    .iter()
                    .map(|v| if mx > 0.0 { v.norm() / mx } else { 0.0 })
                    .collect(),
            })
        })
        .collect();
    out.sort_by(|a, b| b.growth_rate_per_s.total_cmp(&a.growth_rate_per_s));
    let stable = nyq == 0 && out.iter().all(|r| !r.unstable);
    LinearStability {
        stable,
        frequency_hz: out.first().map(|r| r.frequency_hz),
        growth_rate_per_s: out.first().map(|r| r.growth_rate_per_s),
        roots: out,
        nyquist_unstable_roots: nyq,
        nyquist_complete: ok && complete,
        nyquist_f_hz: fs.last().copied().unwrap_or(0.0),
        connectivity_eigenvalues,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn determinant_and_solve_of_a_known_matrix() {
        let c = |re: f64, im: f64| Complex64::new(re, im);
        let a = vec![
            vec![c(2.0, 1.0), c(1.0, 0.0)],
            vec![c(0.0, 1.0), c(3.0, 0.0)],
        ];
        // (2+i) 3 - 1 * i = 6 + 2i
        assert!((det(a.clone()) - c(6.0, 2.0)).norm() < 1e-14);
        let x = solve(a.clone(), vec![c(1.0, 0.0), c(0.0, 0.0)]);
        let r0 = a[0][0] * x[0] + a[0][1] * x[1];
        let r1 = a[1][0] * x[0] + a[1][1] * x[1];
        assert!((r0 - c(1.0, 0.0)).norm() < 1e-14 && r1.norm() < 1e-14);
    }
}
