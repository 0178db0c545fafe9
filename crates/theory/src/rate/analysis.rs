//! Analysis of rate runs: autocorrelation timescales (Chaudhuri et al. 2015 fitting rule),
//! pulse propagation (peak above baseline, attenuation) and Spearman rank correlation.
//!
//! Timescale rule (Chaudhuri 2015, and the reference implementation in xjwanglab/book):
//! take the normalised autocorrelation function (ACF) from lag 0 up to (not including)
//! the first lag where it drops below 0.05; fit `A e^{−t/τ}` and
//! `a e^{−t/τ₁} + (1 − a) e^{−t/τ₂}` (`A, a ∈ [0, 1]`) by least squares; report `τ` if
//! `SSE₁ < 8 SSE₂`, else the amplitude-weighted `a τ₁ + (1 − a) τ₂`.
//! The fits use variable projection: amplitudes are solved in closed form for given
//! time constants, which are searched on a log grid and refined by Nelder–Mead.
//!
//! Two ways to get the ACF:
//! * [`timescales`]: from a recorded (noise-driven) run, as in the paper (stochastic);
//! * [`impulse_timescales`]: from the impulse response `g(t)` of the network to a brief
//!   kick into one population: for a linear network driven by white noise at that
//!   population the stationary ACF of population `i` is exactly
//!   `Σ_t g_i(t) g_i(t+k) / Σ_t g_i(t)²` (deterministic, no sampling error). This holds for
//!   threshold-linear models as long as no rate crosses a threshold or clamp.

use super::{Epoch, RateError, RateNetwork, RateRun, RunOpts};
use cortexsim_core::error::SpecError;
use serde::{Deserialize, Serialize};

/// ACF level at which the fitted segment ends (Chaudhuri 2015).
pub const ACF_CUTOFF: f64 = 0.05;
/// Two exponentials are used when `SSE₁ ≥ SSE_RATIO · SSE₂`.
pub const SSE_RATIO: f64 = 8.0;

/// Result of fitting one ACF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimescaleFit {
    /// Reported timescale (ms).
    pub tau_ms: f64,
    /// Single-exponential fit: amplitude and time constant (ms), squared error.
    pub single_amp: f64,
    pub single_tau_ms: f64,
    pub sse1: f64,
    /// Two-exponential fit: weight `a` of `τ₁`, the time constants (ms), squared error.
    pub double_a: f64,
    pub double_tau1_ms: f64,
    pub double_tau2_ms: f64,
    pub sse2: f64,
    /// Whether the two-exponential value was reported.
    pub used_double: bool,
    /// Number of ACF points fitted.
    pub n_points: usize,
}

// ---------------------------------------------------------------------------------------
// FFT-based correlation
// ---------------------------------------------------------------------------------------

/// In-place iterative radix-2 FFT; `re.len()` must be a power of two.
fn fft(re: &mut [f64], im: &mut [f64], inverse: bool) {
    let n = re.len();
    debug_assert!(n.is_power_of_two() && im.len() == n);
    let mut j = 0usize;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let sign = if inverse { 1.0 } else { -1.0 };
    let mut len = 2;
    while len <= n {
        let ang = sign * 2.0 * std::f64::consts::PI / len as f64;
        for start in (0..n).step_by(len) {
            for k in 0..len / 2 {
                let (s, c) = (ang * k as f64).sin_cos();
                let (a, b) = (start + k, start + k + len / 2);
                let tr = re[b] * c - im[b] * s;
                let ti = re[b] * s + im[b] * c;
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
            }
        }
        len <<= 1;
    }
    if inverse {
        let inv = 1.0 / n as f64;
        re.iter_mut().for_each(|v| *v *= inv);
        im.iter_mut().for_each(|v| *v *= inv);
    }
}

/// Raw correlation sums `c[k] = Σ_t x[t] x[t+k]`, `k = 0..=max_lag` (zero-padded FFT).
pub fn correlation_sums(x: &[f64], max_lag: usize) -> Vec<f64> {
    let n = x.len();
    if n == 0 {
        return Vec::new();
    }
    let max_lag = max_lag.min(n - 1);
    let size = (n + max_lag + 1).next_power_of_two();
    let mut re = vec![0.0; size];
    let mut im = vec![0.0; size];
    re[..n].copy_from_slice(x);
    fft(&mut re, &mut im, false);
    for k in 0..size {
        re[k] = re[k] * re[k] + im[k] * im[k];
        im[k] = 0.0;
    }
    fft(&mut re, &mut im, true);
    re.truncate(max_lag + 1);
    re
}

/// Normalised ACF of a stationary signal: mean removed, each lag divided by its number of
/// pairs `N − k`, then by lag 0. Returns lags `0..=max_lag` (in samples).
pub fn autocorrelation(x: &[f64], max_lag: usize) -> Vec<f64> {
    let n = x.len();
    if n < 2 {
        return vec![1.0; n];
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    let centred: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let mut c = correlation_sums(&centred, max_lag);
    for (k, v) in c.iter_mut().enumerate() {
        *v /= (n - k) as f64;
    }
    let c0 = c[0];
    if c0 > 0.0 {
        c.iter_mut().for_each(|v| *v /= c0);
    }
    c
}

// ---------------------------------------------------------------------------------------
// Exponential fits
// ---------------------------------------------------------------------------------------

/// `e[k] = exp(−k Δ/τ)` for `k < n`, by repeated multiplication.
fn exp_series(n: usize, dt: f64, tau: f64, out: &mut [f64]) {
    let r = (-dt / tau).exp();
    let mut v = 1.0;
    for o in out.iter_mut().take(n) {
        *o = v;
        v *= r;
    }
}

struct Fitter<'a> {
    y: &'a [f64],
    dt: f64,
    e1: Vec<f64>,
    e2: Vec<f64>,
}

impl<'a> Fitter<'a> {
    fn new(y: &'a [f64], dt: f64) -> Self {
        let n = y.len();
        Fitter {
            y,
            dt,
            e1: vec![0.0; n],
            e2: vec![0.0; n],
        }
    }

    /// Best amplitude in [0, 1] and SSE of `A e^{−t/τ}`.
    fn single(&mut self, tau: f64) -> (f64, f64) {
        let n = self.y.len();
        exp_series(n, self.dt, tau, &mut self.e1);
        let (mut ye, mut ee) = (0.0, 0.0);
        for k in 0..n {
            ye += self.y[k] * self.e1[k];
            ee += self.e1[k] * self.e1[k];
        }
        let a = (ye / ee).clamp(0.0, 1.0);
        let sse = (0..n).map(|k| (self.y[k] - a * self.e1[k]).powi(2)).sum();
        (a, sse)
    }

    /// Best weight `a ∈ [0, 1]` and SSE of `a e^{−t/τ₁} + (1 − a) e^{−t/τ₂}`.
    fn double(&mut self, tau1: f64, tau2: f64) -> (f64, f64) {
        let n = self.y.len();
        exp_series(n, self.dt, tau1, &mut self.e1);
        exp_series(n, self.dt, tau2, &mut self.e2);
        let (mut num, mut den) = (0.0, 0.0);
        for k in 0..n {
            let d = self.e1[k] - self.e2[k];
            num += (self.y[k] - self.e2[k]) * d;
            den += d * d;
        }
        let a = if den > 0.0 {
            (num / den).clamp(0.0, 1.0)
        } else {
            0.5
        };
        let sse = (0..n)
            .map(|k| (self.y[k] - a * self.e1[k] - (1.0 - a) * self.e2[k]).powi(2))
            .sum();
        (a, sse)
    }
}

/// Minimise `f` over `R²` by Nelder–Mead from `x0` with initial step `step`.
fn nelder_mead(mut f: impl FnMut([f64; 2]) -> f64, x0: [f64; 2], step: f64) -> [f64; 2] {
    let mut s = [x0, [x0[0] + step, x0[1]], [x0[0], x0[1] + step]];
    let mut v = [f(s[0]), f(s[1]), f(s[2])];
    for _ in 0..400 {
        let mut idx = [0, 1, 2];
        idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        s = [s[idx[0]], s[idx[1]], s[idx[2]]];
        v = [v[idx[0]], v[idx[1]], v[idx[2]]];
        let spread = (s[1][0] - s[0][0])
            .abs()
            .max((s[1][1] - s[0][1]).abs())
            .max((s[2][0] - s[0][0]).abs().max((s[2][1] - s[0][1]).abs()));
        if spread < 1e-9 {
            break;
        }
        let c = [(s[0][0] + s[1][0]) / 2.0, (s[0][1] + s[1][1]) / 2.0];
        let at = |t: f64| [c[0] + t * (s[2][0] - c[0]), c[1] + t * (s[2][1] - c[1])];
        let xr = at(-1.0);
        let fr = f(xr);
        if fr < v[0] {
            let xe = at(-2.0);
            let fe = f(xe);
            if fe < fr {
                s[2] = xe;
                v[2] = fe;
            } else {
                s[2] = xr;
                v[2] = fr;
            }
        } else if fr < v[1] {
            s[2] = xr;
            v[2] = fr;
        } else {
            let xc = if fr < v[2] { at(-0.5) } else { at(0.5) };
            let fc = f(xc);
            if fc < v[2].min(fr) {
                s[2] = xc;
                v[2] = fc;
            } else {
                for k in 1..3 {
                    s[k] = [(s[0][0] + s[k][0]) / 2.0, (s[0][1] + s[k][1]) / 2.0];
                    v[k] = f(s[k]);
                }
            }
        }
    }
    let best = (0..3).min_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap_or(0);
    s[best]
}

/// Length of the fitted segment: lags before the first one with `acf < ACF_CUTOFF`.
pub fn fit_segment_len(acf: &[f64]) -> usize {
    acf.iter()
        .position(|&v| v < ACF_CUTOFF)
        .unwrap_or(acf.len())
}

/// Fit one normalised ACF sampled every `dt_ms` by the Chaudhuri rule. Returns `None`
/// when fewer than 3 points lie above the cutoff (timescale shorter than the sampling).
pub fn fit_timescale(acf: &[f64], dt_ms: f64) -> Option<TimescaleFit> {
    let m = fit_segment_len(acf);
    if m < 3 {
        return None;
    }
    let y = &acf[..m];
    let mut fit = Fitter::new(y, dt_ms);
    // Time constants searched in log space between a tenth of a sample and 100 segments.
    let lo = (0.1 * dt_ms).ln();
    let hi = (100.0 * m as f64 * dt_ms).ln();
    let grid = 48;
    let g = |k: usize| lo + (hi - lo) * k as f64 / (grid - 1) as f64;
    let clamp_ln = |v: f64| v.clamp(lo, hi);

    // Single exponential: grid, then golden-section refinement around the best node.
    let mut best = (f64::INFINITY, 0usize);
    for k in 0..grid {
        let sse = fit.single(g(k).exp()).1;
        if sse < best.0 {
            best = (sse, k);
        }
    }
    let (mut a, mut b) = (g(best.1.saturating_sub(1)), g((best.1 + 1).min(grid - 1)));
    let phi = 0.5 * (5f64.sqrt() - 1.0);
    for _ in 0..80 {
        let c = b - phi * (b - a);
        let d = a + phi * (b - a);
        if fit.single(c.exp()).1 < fit.single(d.exp()).1 {
            b = d;
        } else {
            a = c;
        }
    }
    let tau_s = (0.5 * (a + b)).exp();
    let (amp_s, sse1) = fit.single(tau_s);

    // Two exponentials: grid over τ₁ ≤ τ₂, then Nelder–Mead in (ln τ₁, ln τ₂).
    let mut best2 = (f64::INFINITY, [g(0), g(0)]);
    for i in 0..grid {
        for j in i..grid {
            let sse = fit.double(g(i).exp(), g(j).exp()).1;
            if sse < best2.0 {
                best2 = (sse, [g(i), g(j)]);
            }
        }
    }
    let x = nelder_mead(
        |p| fit.double(clamp_ln(p[0]).exp(), clamp_ln(p[1]).exp()).1,
        best2.1,
        (hi - lo) / (grid - 1) as f64,
    );
    let (t1, t2) = (clamp_ln(x[0]).exp(), clamp_ln(x[1]).exp());
    let (a2, sse2) = fit.double(t1, t2);
    // A single exponential fitted to rounding precision is taken as it is (the ratio of two
    // vanishing errors carries no information).
    let negligible = 1e-20 * y.iter().map(|v| v * v).sum::<f64>();
    let used_double = sse1 > negligible && sse1 >= SSE_RATIO * sse2;
    let tau_ms = if used_double {
        a2 * t1 + (1.0 - a2) * t2
    } else {
        tau_s
    };
    Some(TimescaleFit {
        tau_ms,
        single_amp: amp_s,
        single_tau_ms: tau_s,
        sse1,
        double_a: a2,
        double_tau1_ms: t1,
        double_tau2_ms: t2,
        sse2,
        used_double,
        n_points: m,
    })
}

// ---------------------------------------------------------------------------------------
// Timescales from runs
// ---------------------------------------------------------------------------------------

fn lookup(run: &RateRun, name: &str, path: &str) -> Result<usize, SpecError> {
    run.index_of(name).ok_or_else(|| {
        SpecError::new(
            path,
            format!(
                "no population `{name}` in the run ({} populations)",
                run.pop_names.len()
            ),
        )
    })
}

/// Timescale (ms) of each population in `pops`, from the ACF of its recorded rate after
/// `t_from_ms` (a noise-driven run, as in Chaudhuri 2015 Fig. 3B–D). The ACF is estimated
/// up to half the analysed length; `NaN` when it does not even reach 3 points above 0.05.
pub fn timescales(
    run: &RateRun,
    pops: &[&str],
    t_from_ms: f64,
) -> Result<Vec<(String, f64)>, SpecError> {
    let dt = run.sample_interval_ms();
    let k0 = run
        .t_ms
        .iter()
        .position(|&t| t >= t_from_ms)
        .unwrap_or(run.t_ms.len());
    pops.iter()
        .map(|&name| {
            let i = lookup(run, name, "timescales.populations")?;
            let x = &run.rates[i][k0..];
            let acf = autocorrelation(x, x.len() / 2);
            let tau = fit_timescale(&acf, dt).map_or(f64::NAN, |f| f.tau_ms);
            Ok((name.to_string(), tau))
        })
        .collect()
}

/// Settings of [`impulse_timescales`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImpulseOpts {
    /// Integration step (ms).
    pub dt_ms: f64,
    /// Length of the recorded impulse response (ms); must cover the slowest decay.
    pub t_max_ms: f64,
    /// ACF sampling interval (ms), a multiple of `dt_ms`.
    pub sample_ms: f64,
    /// Integral of the kick (input units × ms), delivered in one step.
    pub kick: f64,
}

impl Default for ImpulseOpts {
    fn default() -> Self {
        ImpulseOpts {
            dt_ms: 0.2,
            t_max_ms: 20_000.0,
            sample_ms: 1.0,
            kick: 10.0,
        }
    }
}

/// Full result of [`impulse_timescale_fits`] for one population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopTimescale {
    pub name: String,
    /// ACF sampled every `sample_ms`, lag 0 first.
    pub acf: Vec<f64>,
    /// `None` if the ACF falls below 0.05 within 3 samples.
    pub fit: Option<TimescaleFit>,
}

/// Impulse-response ACFs and fits (see the module docs) for `pops`, for white noise
/// entering `source`. The network's own schedules and noise are ignored; it starts from
/// the initial rates `r0`, which should be a fixed point (the baseline run is subtracted).
pub fn impulse_timescale_fits(
    net: &RateNetwork,
    source: &str,
    pops: &[&str],
    opts: &ImpulseOpts,
) -> Result<Vec<PopTimescale>, RateError> {
    let src = net
        .index_of(source)
        .ok_or_else(|| SpecError::new("timescales.source", format!("no population `{source}`")))?;
    let record_every = (opts.sample_ms / opts.dt_ms).round().max(1.0) as usize;
    let run_opts = RunOpts {
        record_every,
        ..RunOpts::new(opts.dt_ms, opts.t_max_ms)
    };
    let mut quiet = net.clone();
    quiet.schedules.clear();
    quiet.noise = None;
    let base = super::run(&quiet, &run_opts)?;
    let mut kicked = quiet.clone();
    let mut amp = vec![0.0; net.n()];
    amp[src] = opts.kick / opts.dt_ms;
    kicked.schedules.push(Epoch {
        start_ms: 0.0,
        stop_ms: 0.5 * opts.dt_ms,
        amplitude: amp,
    });
    let resp = super::run(&kicked, &run_opts)?;
    let dt = base.sample_interval_ms();
    pops.iter()
        .map(|&name| {
            let i = lookup(&base, name, "timescales.populations")?;
            // Sample 0 is the initial state (before the kick acts): start at sample 1.
            let g: Vec<f64> = resp.rates[i][1..]
                .iter()
                .zip(&base.rates[i][1..])
                .map(|(r, b)| r - b)
                .collect();
            let mut acf = correlation_sums(&g, g.len().saturating_sub(1));
            let c0 = acf.first().copied().unwrap_or(0.0);
            if c0 > 0.0 {
                acf.iter_mut().for_each(|v| *v /= c0);
            }
            let m = (fit_segment_len(&acf) + 1).min(acf.len());
            acf.truncate(m);
            let fit = fit_timescale(&acf, dt);
            Ok(PopTimescale {
                name: name.to_string(),
                acf,
                fit,
            })
        })
        .collect::<Result<Vec<_>, SpecError>>()
        .map_err(RateError::from)
}

/// Timescale (ms) per population of `pops` for white noise entering `source`, from the
/// impulse response (see [`impulse_timescale_fits`]); `NaN` where no fit was possible.
pub fn impulse_timescales(
    net: &RateNetwork,
    source: &str,
    pops: &[&str],
    opts: &ImpulseOpts,
) -> Result<Vec<(String, f64)>, RateError> {
    Ok(impulse_timescale_fits(net, source, pops, opts)?
        .into_iter()
        .map(|p| (p.name, p.fit.map_or(f64::NAN, |f| f.tau_ms)))
        .collect())
}

// ---------------------------------------------------------------------------------------
// Pulse propagation
// ---------------------------------------------------------------------------------------

/// Largest rise of population `pop` above its rate at `t_baseline_ms` (first sample at or
/// after that time), over the samples after it (Hz).
pub fn peak_above_baseline(run: &RateRun, pop: &str, t_baseline_ms: f64) -> Result<f64, SpecError> {
    let i = lookup(run, pop, "attenuation.population")?;
    let k0 = run
        .t_ms
        .iter()
        .position(|&t| t >= t_baseline_ms)
        .ok_or_else(|| {
            SpecError::new(
                "attenuation.t_baseline",
                "baseline time is after the end of the run",
            )
        })?;
    let r = &run.rates[i];
    Ok(r[k0..]
        .iter()
        .fold(f64::NEG_INFINITY, |m, &v| m.max(v - r[k0])))
}

/// Attenuation `peak(from) / peak(to)` of the rise above baseline (see
/// [`peak_above_baseline`]); infinite if `to` does not rise at all.
pub fn attenuation(
    run: &RateRun,
    from: &str,
    to: &str,
    t_baseline_ms: f64,
) -> Result<f64, SpecError> {
    Ok(peak_above_baseline(run, from, t_baseline_ms)?
        / peak_above_baseline(run, to, t_baseline_ms)?)
}

// ---------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------

/// Ranks (1-based, ties get their average rank).
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Spearman rank correlation of `x` and `y` (Pearson correlation of their ranks).
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "spearman: slices of different length");
    let (rx, ry) = (ranks(x), ranks(y));
    let n = rx.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft_correlation_matches_direct_sum() {
        // Lengths 1, a prime and a power of two ± 1.
        for n in [1usize, 2, 7, 15, 16, 17, 61] {
            let x: Vec<f64> = (0..n).map(|k| ((k * 7 + 3) % 11) as f64 - 4.5).collect();
            let c = correlation_sums(&x, n - 1);
            for lag in 0..n {
                let direct: f64 = (0..n - lag).map(|t| x[t] * x[t + lag]).sum();
                assert!(
                    (c[lag] - direct).abs() < 1e-9 * (1.0 + direct.abs()),
                    "n={n} lag={lag}"
                );
            }
        }
    }

    #[test]
    fn single_exponential_acf_is_recovered() {
        let acf: Vec<f64> = (0..2000).map(|k| (-(k as f64) / 137.0).exp()).collect();
        let f = fit_timescale(&acf, 1.0).unwrap();
        assert!(!f.used_double);
        assert!((f.tau_ms - 137.0).abs() < 1e-3, "{f:?}");
    }

    #[test]
    fn double_exponential_acf_gives_weighted_sum() {
        let acf: Vec<f64> = (0..5000)
            .map(|k| {
                let t = k as f64 * 0.5;
                0.6 * (-t / 20.0).exp() + 0.4 * (-t / 400.0).exp()
            })
            .collect();
        let f = fit_timescale(&acf, 0.5).unwrap();
        assert!(f.used_double, "{f:?}");
        let want = 0.6 * 20.0 + 0.4 * 400.0;
        assert!((f.tau_ms - want).abs() < 1e-2 * want, "{f:?}");
    }

    #[test]
    fn spearman_of_monotone_and_reversed() {
        let x = [1.0, 2.0, 3.0, 4.0, 10.0];
        let y = [0.1, 0.5, 0.6, 7.0, 8.0];
        assert!((spearman(&x, &y) - 1.0).abs() < 1e-12);
        let z: Vec<f64> = y.iter().map(|v| -v).collect();
        assert!((spearman(&x, &z) + 1.0).abs() < 1e-12);
        // Ties: x = [1,1,2], y = [1,2,3] -> ranks [1.5,1.5,3] vs [1,2,3], r = 0.866...
        let r = spearman(&[1.0, 1.0, 2.0], &[1.0, 2.0, 3.0]);
        assert!((r - 3f64.sqrt() / 2.0).abs() < 1e-12);
    }
}
