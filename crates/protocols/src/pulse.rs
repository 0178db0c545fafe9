//! Pulse propagation (`cortexsim pulse-compare`): the change of a population's rate after
//! an input pulse, relative to its baseline, in a spiking network and in a rate model.
//!
//! The baseline is the mean raw rate over `[onset - baseline_ms, onset)`; the change is
//! the (optionally smoothed) rate minus the baseline from `onset - baseline_ms` on; the peak
//! is the largest change after the onset; the noise level is the largest |change| before
//! the onset, outside the smoothing reach (so the pulse does not leak into it); the mean
//! change during the pulse uses the raw rate. Attenuation along the hierarchy is
//! `peak(first area) / peak(last area)`.

use serde_json::{Value as Json, json};

/// Response of one population to the pulse.
#[derive(Debug, Clone)]
pub struct Response {
    /// Sample times relative to the onset, from `-baseline` on (ms).
    pub t_rel: Vec<f64>,
    /// Rate minus baseline at those times (Hz).
    pub change: Vec<f64>,
    pub baseline_hz: f64,
    pub peak_hz: f64,
    pub t_peak_ms: f64,
    /// Largest |change| before the onset (outside the smoothing reach): the noise level.
    pub pre_max_abs_hz: f64,
    /// Mean change (unsmoothed) while the pulse is on.
    pub mean_pulse_hz: f64,
}

/// `raw` gives the baseline (mean over `[onset - baseline_ms, onset)`), `smooth` the change.
pub fn response(
    t: &[f64],
    raw: &[f64],
    smooth: &[f64],
    (onset, stop): (f64, f64),
    baseline_ms: f64,
    reach_ms: f64,
) -> Option<Response> {
    let from = onset - baseline_ms;
    let base: Vec<f64> = t
        .iter()
        .zip(raw)
        .filter(|(t, _)| **t >= from && **t < onset)
        .map(|(_, &v)| v)
        .collect();
    if base.is_empty() {
        return None;
    }
    let baseline_hz = base.iter().sum::<f64>() / base.len() as f64;
    let (mut t_rel, mut change) = (Vec::new(), Vec::new());
    let (mut peak, mut t_peak, mut pre) = (f64::NEG_INFINITY, f64::NAN, 0.0f64);
    for (&ti, &v) in t.iter().zip(smooth) {
        if ti < from {
            continue;
        }
        let c = v - baseline_hz;
        t_rel.push(ti - onset);
        change.push(c);
        if ti >= onset {
            if c > peak {
                peak = c;
                t_peak = ti - onset;
            }
        } else if ti < onset - reach_ms {
            pre = pre.max(c.abs());
        }
    }
    if !peak.is_finite() {
        return None;
    }
    let on: Vec<f64> = t
        .iter()
        .zip(raw)
        .filter(|(t, _)| **t >= onset && **t < stop)
        .map(|(_, &v)| v - baseline_hz)
        .collect();
    let mean_pulse_hz = on.iter().sum::<f64>() / on.len().max(1) as f64;
    Some(Response {
        t_rel,
        change,
        baseline_hz,
        peak_hz: peak,
        t_peak_ms: t_peak,
        pre_max_abs_hz: pre,
        mean_pulse_hz,
    })
}

pub use crate::analysis::moving_average;

/// The JSON object of one response (`pulse-compare --json`).
pub fn resp_json(r: &Response) -> Json {
    json!({
        "baseline_hz": r.baseline_hz,
        "peak_change_hz": r.peak_hz,
        "t_peak_ms": r.t_peak_ms,
        "pre_pulse_max_abs_change_hz": r.pre_max_abs_hz,
        "above_noise": r.peak_hz > r.pre_max_abs_hz,
        "mean_change_during_pulse_hz": r.mean_pulse_hz,
    })
}

/// Attenuation `peak(from) / peak(to)`; `None` (JSON null) if `to` does not rise.
pub fn attenuation(from: f64, to: f64) -> Option<f64> {
    (to > 0.0).then(|| from / to)
}
