//! Psychometric functions of two-choice tasks: the Weibull function of Quick (1974) as
//! used by Wang (2002) and Wong & Wang (2006),
//!
//! ```text
//! P(c) = 1 − ½ exp(−(c/α)^β)        (c: coherence in %, P: probability correct)
//! ```
//!
//! and its maximum-likelihood fit to binomial counts (`correct` of `n` trials at each
//! coherence): maximise `Σ_c k ln P(c) + (n − k) ln(1 − P(c))` over `α > 0, β > 0`.
//! Points at `c = 0` have `P = ½` whatever the parameters and add only a constant.
//! The fit is a Nelder–Mead search in `(ln α, ln β)` (started from a grid of 9 × 7 points,
//! the best three polished), bounded to `α ∈ [10⁻³, 10⁴] %`, `β ∈ [0.05, 50]`.

use serde::{Deserialize, Serialize};

/// `P(c) = 1 − ½ exp(−(c/α)^β)`; `c ≤ 0` gives ½.
pub fn weibull(c: f64, alpha: f64, beta: f64) -> f64 {
    if c <= 0.0 {
        0.5
    } else {
        1.0 - 0.5 * (-(c / alpha).powf(beta)).exp()
    }
}

/// A fitted Weibull function.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WeibullFit {
    /// Threshold (coherence % at which `P = 1 − ½e⁻¹ ≈ 0.816`).
    pub alpha: f64,
    /// Slope.
    pub beta: f64,
    /// Log-likelihood at the optimum.
    pub log_likelihood: f64,
}

/// Binomial log-likelihood of `(c, correct, n)` points under `(α, β)`.
pub fn log_likelihood(points: &[(f64, u64, u64)], alpha: f64, beta: f64) -> f64 {
    points
        .iter()
        .map(|&(c, k, n)| {
            let p = weibull(c, alpha, beta).clamp(1e-15, 1.0 - 1e-15);
            k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()
        })
        .sum()
}

const LN_ALPHA: (f64, f64) = (-6.907_755_278_982_137, 9.210_340_371_976_184); // 1e-3 .. 1e4
const LN_BETA: (f64, f64) = (-2.995_732_273_553_991, 3.912_023_005_428_146); // 0.05 .. 50

/// Maximum-likelihood Weibull fit of `(coherence %, correct, trials)` points. `None`
/// when no point with `c > 0` has trials (nothing to fit).
pub fn fit_weibull(points: &[(f64, u64, u64)]) -> Option<WeibullFit> {
    if !points.iter().any(|&(c, _, n)| c > 0.0 && n > 0) {
        return None;
    }
    let clamp = |x: [f64; 2]| {
        [
            x[0].clamp(LN_ALPHA.0, LN_ALPHA.1),
            x[1].clamp(LN_BETA.0, LN_BETA.1),
        ]
    };
    let cost = |x: [f64; 2]| {
        let x = clamp(x);
        -log_likelihood(points, x[0].exp(), x[1].exp())
    };
    // Coarse grid, then Nelder–Mead from the best three grid points.
    let mut starts: Vec<(f64, [f64; 2])> = Vec::new();
    for i in 0..9 {
        let la = (0.1f64).ln() + i as f64 * (1000.0f64 / 0.1).ln() / 8.0;
        for j in 0..7 {
            let lb = (0.3f64).ln() + j as f64 * (10.0f64 / 0.3).ln() / 6.0;
            let x = [la, lb];
            starts.push((cost(x), x));
        }
    }
    starts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let best = starts
        .iter()
        .take(3)
        .map(|&(_, x)| nelder_mead(&cost, x))
        .min_by(|a, b| a.0.total_cmp(&b.0))?;
    let x = clamp(best.1);
    Some(WeibullFit {
        alpha: x[0].exp(),
        beta: x[1].exp(),
        log_likelihood: -best.0,
    })
}

/// Nelder–Mead minimisation in two dimensions (standard coefficients 1, 2, ½, ½); stops
/// when the simplex spans < 1e-10 in both coordinates and in cost, or after 2,000
/// iterations. Returns (cost, point).
fn nelder_mead(f: &impl Fn([f64; 2]) -> f64, x0: [f64; 2]) -> (f64, [f64; 2]) {
    let mut s: Vec<(f64, [f64; 2])> = [x0, [x0[0] + 0.3, x0[1]], [x0[0], x0[1] + 0.3]]
        .into_iter()
        .map(|x| (f(x), x))
        .collect();
    for _ in 0..2000 {
        s.sort_by(|a, b| a.0.total_cmp(&b.0));
        let spread = (0..2)
            .map(|d| {
                (s[1].1[d] - s[0].1[d])
                    .abs()
                    .max((s[2].1[d] - s[0].1[d]).abs())
            })
            .fold(0.0, f64::max);
        if spread < 1e-10 && (s[2].0 - s[0].0).abs() < 1e-10 {
            break;
        }
        let c = [(s[0].1[0] + s[1].1[0]) / 2.0, (s[0].1[1] + s[1].1[1]) / 2.0];
        let at = |t: f64| [c[0] + t * (s[2].1[0] - c[0]), c[1] + t * (s[2].1[1] - c[1])];
        let xr = at(-1.0);
        let fr = f(xr);
        if fr < s[0].0 {
            let xe = at(-2.0);
            let fe = f(xe);
            s[2] = if fe < fr { (fe, xe) } else { (fr, xr) };
        } else if fr < s[1].0 {
            s[2] = (fr, xr);
        } else {
            let xc = if fr < s[2].0 { at(-0.5) } else { at(0.5) };
            let fc = f(xc);
            if fc < s[2].0.min(fr) {
                s[2] = (fc, xc);
            } else {
                let b = s[0].1;
                for v in &mut s[1..] {
                    let x = [(v.1[0] + b[0]) / 2.0, (v.1[1] + b[1]) / 2.0];
                    *v = (f(x), x);
                }
            }
        }
    }
    s.sort_by(|a, b| a.0.total_cmp(&b.0));
    s[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    const COH: [f64; 6] = [0.0, 3.2, 6.4, 12.8, 25.6, 51.2];

    #[test]
    fn weibull_passes_its_threshold_point() {
        assert_eq!(weibull(0.0, 9.0, 1.5), 0.5);
        let at_alpha = 1.0 - 0.5 * (-1.0f64).exp();
        assert!((weibull(9.0, 9.0, 1.5) - at_alpha).abs() < 1e-15);
        assert!(weibull(100.0, 9.0, 1.5) > 0.999_99);
    }

    /// With counts equal to their expectations (in real numbers) the likelihood is
    /// maximal exactly at the generating parameters; with integer counts of 10⁶ trials
    /// the optimum is within rounding of them.
    #[test]
    fn recovers_the_parameters_of_exact_counts() {
        for (alpha, beta) in [(9.2, 1.5), (7.2, 1.25), (20.0, 3.0)] {
            let n = 1_000_000u64;
            let pts: Vec<(f64, u64, u64)> = COH
                .iter()
                .map(|&c| (c, (weibull(c, alpha, beta) * n as f64).round() as u64, n))
                .collect();
            let fit = fit_weibull(&pts).unwrap();
            assert!((fit.alpha / alpha - 1.0).abs() < 1e-3, "{fit:?} vs {alpha}");
            assert!((fit.beta / beta - 1.0).abs() < 1e-3, "{fit:?} vs {beta}");
            // It is a maximum: every neighbour is less likely.
            for (da, db) in [(1.01, 1.0), (0.99, 1.0), (1.0, 1.01), (1.0, 0.99)] {
                assert!(log_likelihood(&pts, fit.alpha * da, fit.beta * db) < fit.log_likelihood);
            }
        }
    }

    /// Binomial samples of 500 trials per coherence: the fit lands near the truth
    /// (the standard error of α is about 4 % here).
    #[test]
    fn fits_sampled_counts_near_the_truth() {
        use rand::RngExt;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let (alpha, beta) = (9.2, 1.5);
        let pts: Vec<(f64, u64, u64)> = COH
            .iter()
            .map(|&c| {
                let p = weibull(c, alpha, beta);
                let k = (0..500).filter(|_| rng.random::<f64>() < p).count() as u64;
                (c, k, 500)
            })
            .collect();
        let fit = fit_weibull(&pts).unwrap();
        assert!((fit.alpha / alpha - 1.0).abs() < 0.15, "{fit:?}");
        assert!((fit.beta / beta - 1.0).abs() < 0.35, "{fit:?}");
    }

    #[test]
    fn nothing_to_fit_without_positive_coherence() {
        assert_eq!(fit_weibull(&[(0.0, 50, 100)]), None);
        assert_eq!(fit_weibull(&[(6.4, 0, 0)]), None);
    }
}
