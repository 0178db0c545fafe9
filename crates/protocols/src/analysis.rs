//! Small signal-analysis helpers for recorded population activity.
//!
//! [`power_spectrum`]: Welch's averaged periodogram (Welch 1967) of a uniformly
//! sampled signal, e.g. the binned population rate `Recording::rate_bins`:
//! the signal (mean removed per segment) is cut into segments of `seg` samples
//! overlapping by half, each multiplied by a Hann window
//! `w_n = sin^2(pi n / seg)`, and
//! ```text
//! P(f_k) = mean_segments |sum_n w_n x_n e^{-2 pi i k n / seg}|^2 / (fs sum_n w_n^2),
//! f_k = k fs / seg,  k = 0 .. seg/2
//! ```
//! (one-sided density up to a constant factor 2, irrelevant for peak finding
//! and ratios). A direct O(seg^2) DFT per segment: intended for the short
//! segments (hundreds of bins) used in tests and reports.

use std::f64::consts::PI;

/// Welch power spectrum of `x` sampled at `fs_hz`: `(frequencies Hz, power)`
/// for `k = 0 .. seg/2` (module docs). Empty if `x` is shorter than `seg` or
/// `seg < 4`.
pub fn power_spectrum(x: &[f64], fs_hz: f64, seg: usize) -> (Vec<f64>, Vec<f64>) {
    if seg < 4 || x.len() < seg {
        return (Vec::new(), Vec::new());
    }
    let w: Vec<f64> = (0..seg)
        .map(|n| (PI * n as f64 / seg as f64).sin().powi(2))
        .collect();
    let norm: f64 = fs_hz * w.iter().map(|v| v * v).sum::<f64>();
    let nk = seg / 2 + 1;
    let mut p = vec![0.0; nk];
    let hop = (seg / 2).max(1);
    let mut count = 0usize;
    let mut start = 0;
    while start + seg <= x.len() {
        let s = &x[start..start + seg];
        let mean = s.iter().sum::<f64>() / seg as f64;
        for (k, pk) in p.iter_mut().enumerate() {
            let (mut re, mut im) = (0.0, 0.0);
            for (n, (&v, &wn)) in s.iter().zip(&w).enumerate() {
                let ph = -2.0 * PI * (k * n % seg) as f64 / seg as f64;
                let y = (v - mean) * wn;
                re += y * ph.cos();
                im += y * ph.sin();
            }
            *pk += (re * re + im * im) / norm;
        }
        count += 1;
        start += hop;
    }
    p.iter_mut().for_each(|v| *v /= count as f64);
    let f = (0..nk).map(|k| k as f64 * fs_hz / seg as f64).collect();
    (f, p)
}

/// Index of the largest value of `p` among indices with `f >= f_min`.
pub fn peak(f: &[f64], p: &[f64], f_min: f64) -> Option<usize> {
    (0..p.len())
        .filter(|&k| f[k] >= f_min)
        .max_by(|&a, &b| p[a].total_cmp(&p[b]))
}

/// Centred moving average over `2 h + 1` samples (fewer at the ends).
pub fn moving_average(x: &[f64], h: usize) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let (a, b) = (i.saturating_sub(h), (i + h + 1).min(x.len()));
            x[a..b].iter().sum::<f64>() / (b - a) as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_sinusoid_and_its_power() {
        let fs = 2000.0;
        let x: Vec<f64> = (0..4000)
            .map(|n| 5.0 + (2.0 * PI * 250.0 * n as f64 / fs).sin())
            .collect();
        let (f, p) = power_spectrum(&x, fs, 200);
        let k = peak(&f, &p, 1.0).unwrap();
        assert_eq!(f[k], 250.0);
        // the mean is removed; everything away from the line is tiny
        assert!(p[0] < 1e-20 && p[k] > 1e6 * p[k + 5]);
        // Parseval: sum_k P df over the one-sided range = var/2 = 1/4
        let df = fs / 200.0;
        let total: f64 = p.iter().sum::<f64>() * df;
        assert!((total - 0.25).abs() < 0.01, "{total}");
    }
}
