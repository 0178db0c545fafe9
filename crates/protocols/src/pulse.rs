//! Pulse propagation (`cortexsim pulse-compare`): the change of a population's rate after
//! an input pulse, relative to its baseline, in a spiking network and in a rate model.
//!
//! The baseline is the mean raw rate over `[onset - baseline_ms, onset)`; the change is
//! the (optionally smoothed) rate minus the baseline from `onset - baseline_ms` on; the peak
//! is the largest change after the onset; the noise level is the largest |change| before
//! the onset, outside the smoothing reach (so the pulse does not leak into it); the mean
//! change during the pulse uses the raw rate. Attenuation along the hierarchy is
//! `peak(first area) / peak(last area)`, the last area being
//! [`PulseOptions::attenuation_to`] (default `24c`) when both models have it.
//!
//! [`pulse_compare`] runs a spiking network and a rate model, each with its own pulse,
//! and measures the response of every area both have.

use crate::error::ProtocolError;
use crate::raster::stimulus_windows;
use cortexsim_engine::{BuildOptions, Simulation};
use cortexsim_models::RateNetworkFile;
use cortexsim_models::large_scale::e_pop;
use cortexsim_spec::Network;
use cortexsim_theory::rate;
use serde_json::{Map, Value as Json, json};
use std::time::Instant;

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

// ---------------------------------------------------------------------------------------
// pulse-compare: a spiking network and a rate model, each with an input pulse
// ---------------------------------------------------------------------------------------

/// The two models of a comparison, loaded, with the names errors and reports use.
pub struct PulseModels<'a> {
    /// A spiking network with a step stimulus and population rates recorded.
    pub spiking: &'a Network,
    pub spiking_name: &'a str,
    /// A rate model with a stimulus of non-zero amplitude.
    pub rate: &'a RateNetworkFile,
    pub rate_name: &'a str,
    /// (area, hierarchy) to order the areas by (e.g. the spiking generator's, else the
    /// rate model's); areas without one come last.
    pub hierarchy: Option<Vec<(String, f64)>>,
}

/// Options of [`pulse_compare`].
#[derive(Debug, Clone)]
pub struct PulseOptions {
    /// Baseline: the mean rate over this many ms before the onset (> 0).
    pub baseline_ms: f64,
    /// Spiking rates: centred moving average over this many ms of rate bins (0: none).
    pub smooth_ms: f64,
    /// The area attenuation is measured to, `peak(first area) / peak(this area)`; when
    /// the models do not share it, the last area by hierarchy. Default `24c`, the top
    /// of the 29-area macaque hierarchy (Markov et al. 2014) that Joglekar et al. (2018)
    /// report propagation to.
    pub attenuation_to: String,
    /// How the spiking network is built (threads, memory limit).
    pub build: BuildOptions,
}

impl Default for PulseOptions {
    fn default() -> Self {
        PulseOptions {
            baseline_ms: 200.0,
            smooth_ms: 50.0,
            attenuation_to: "24c".to_string(),
            build: BuildOptions::default(),
        }
    }
}

/// The responses of every shared area, spiking and rate, with what produced them.
#[derive(Debug, Clone)]
pub struct PulseComparison {
    /// `<area>` of the `<area>.E` populations both models have, by hierarchy.
    pub areas: Vec<String>,
    /// Index in `areas` of the attenuation's last area.
    pub to: usize,
    pub spiking: Vec<Response>,
    pub rate: Vec<Response>,
    /// The spiking pulse: (label, onset ms, end ms).
    pub spiking_pulse: (String, f64, f64),
    /// The rate model's pulse: (onset ms, end ms).
    pub rate_pulse: (f64, f64),
    pub rate_bin_ms: f64,
    /// Width of the moving average actually applied (a whole odd number of bins).
    pub smooth_ms: f64,
    pub baseline_ms: f64,
    pub spiking_neurons: u64,
    pub spiking_populations: usize,
    pub spiking_t_stop_ms: f64,
    pub rate_t_stop_ms: f64,
    pub spiking_s: f64,
    pub rate_s: f64,
    /// Build warnings of the spiking network.
    pub warnings: Vec<String>,
}

/// Run both models and measure every shared area's response to its pulse.
pub fn pulse_compare(
    m: &PulseModels,
    opts: &PulseOptions,
) -> Result<PulseComparison, ProtocolError> {
    let rate_pulse = rate_pulse(m.rate).ok_or_else(|| {
        ProtocolError::Invalid(format!(
            "{}: the rate model has no pulse (no stimulus with a non-zero amplitude)",
            m.rate_name
        ))
    })?;
    let net = m.spiking;
    let (sp_label, sp_on, sp_off) = stimulus_windows(net)
        .into_iter()
        .min_by(|x, y| x.1.total_cmp(&y.1))
        .ok_or_else(|| {
            ProtocolError::Invalid(format!(
                "{}: the spiking network has no pulse (no step stimulus; model.pulse = false?)",
                m.spiking_name
            ))
        })?;
    let bin = net.recorders.rate_bin;
    if bin <= 0.0 {
        return Err(ProtocolError::Invalid(
            "the spiking network records no population rates (recorders.rate_bin = 0)".into(),
        ));
    }
    let areas = shared_areas(net, m.rate, m.hierarchy.as_deref())?;
    // Run both.
    let t0 = Instant::now();
    let rrun = rate::run(&m.rate.net, &m.rate.sim.run_opts())?;
    let rate_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let mut sim = Simulation::build(net, &opts.build)?;
    let warnings = sim.warnings.clone();
    sim.run()?;
    let spiking_s = t0.elapsed().as_secs_f64();
    let t_stop = sim.t as f64 * net.simulation.dt;
    let nbins = (t_stop / bin).floor() as usize;
    if nbins < 2 {
        return Err(ProtocolError::Invalid(
            "the spiking run is shorter than two rate bins".into(),
        ));
    }
    let t_sp: Vec<f64> = (0..nbins).map(|k| (k as f64 + 0.5) * bin).collect();
    let h_bins = (opts.smooth_ms / bin / 2.0).round() as usize;
    let smooth_ms = (2 * h_bins + 1) as f64 * bin;
    let mut sp_resp = Vec::new();
    let mut rt_resp = Vec::new();
    for area in &areas {
        let e = e_pop(area);
        let p = net
            .pop_index(&cortexsim_models::joglekar_spiking::e_pop(area))
            .expect("area taken from the network");
        let norm = net.populations[p].size as f64 * bin * 1e-3;
        let raw: Vec<f64> = sim.recording.rate_bins[p][..nbins]
            .iter()
            .map(|&c| c as f64 / norm)
            .collect();
        let sm = moving_average(&raw, h_bins);
        let r = response(
            &t_sp,
            &raw,
            &sm,
            (sp_on, sp_off),
            opts.baseline_ms,
            smooth_ms / 2.0,
        )
        .ok_or_else(|| {
            ProtocolError::Invalid(format!(
                "spiking: the pulse at {sp_on} ms leaves no baseline or no time after it"
            ))
        })?;
        sp_resp.push(r);
        let i = rrun.index_of(&e).expect("area taken from the rate model");
        let r = response(
            &rrun.t_ms,
            &rrun.rates[i],
            &rrun.rates[i],
            rate_pulse,
            opts.baseline_ms,
            0.0,
        )
        .ok_or_else(|| {
            ProtocolError::Invalid(format!(
                "rate model: the pulse at {} ms leaves no baseline or no time after it",
                rate_pulse.0
            ))
        })?;
        rt_resp.push(r);
    }
    let to = attenuation_index(&areas, &opts.attenuation_to);
    Ok(PulseComparison {
        areas,
        to,
        spiking: sp_resp,
        rate: rt_resp,
        spiking_pulse: (sp_label, sp_on, sp_off),
        rate_pulse,
        rate_bin_ms: bin,
        smooth_ms,
        baseline_ms: opts.baseline_ms,
        spiking_neurons: net.n_neurons(),
        spiking_populations: net.populations.len(),
        spiking_t_stop_ms: t_stop,
        rate_t_stop_ms: rrun.t_ms.last().copied().unwrap_or(0.0),
        spiking_s,
        rate_s,
        warnings,
    })
}

/// The earliest stimulus of the rate model with a non-zero amplitude: (onset, end) ms.
pub fn rate_pulse(f: &RateNetworkFile) -> Option<(f64, f64)> {
    f.net
        .schedules
        .iter()
        .filter(|e| e.amplitude.iter().any(|&x| x != 0.0))
        .map(|e| (e.start_ms, e.stop_ms))
        .min_by(|x, y| x.0.total_cmp(&y.0))
}

/// Index of `to` in `areas`, else the last area (`areas` is not empty).
fn attenuation_index(areas: &[String], to: &str) -> usize {
    areas
        .iter()
        .position(|x| x == to)
        .unwrap_or(areas.len() - 1)
}

/// Areas whose E population both models have (spiking `<area>_E`, rate `<area>.E`),
/// by increasing hierarchy.
fn shared_areas(
    net: &Network,
    rf: &RateNetworkFile,
    hierarchy: Option<&[(String, f64)]>,
) -> Result<Vec<String>, ProtocolError> {
    // The spiking populations are `<area>_E` with SONATA-safe area names, the rate
    // populations `<area>.E`; `areas` holds the rate model's area names.
    let mut areas: Vec<String> = net
        .populations
        .iter()
        .filter_map(|p| {
            let area = p.name.strip_suffix("_E")?;
            rf.net.pops.iter().find_map(|r| {
                let ra = r.name.strip_suffix(".E")?;
                (cortexsim_models::joglekar_spiking::safe_area(ra) == area).then(|| ra.to_string())
            })
        })
        .collect();
    if areas.is_empty() {
        return Err(ProtocolError::Invalid(
            "the two models share no area (spiking `<area>_E`, rate `<area>.E` populations)".into(),
        ));
    }
    let h = |a: &str| {
        hierarchy
            .and_then(|h| h.iter().find(|x| x.0 == a))
            .map_or(f64::INFINITY, |x| x.1)
    };
    areas.sort_by(|x, y| h(x).total_cmp(&h(y)));
    Ok(areas)
}

impl PulseComparison {
    /// Attenuation of the peaks, spiking and rate: `peak(first area) / peak(to)`.
    pub fn attenuation(&self) -> (Option<f64>, Option<f64>) {
        let to = self.to;
        (
            attenuation(self.spiking[0].peak_hz, self.spiking[to].peak_hz),
            attenuation(self.rate[0].peak_hz, self.rate[to].peak_hz),
        )
    }

    /// Attenuation of the mean changes during the pulse, spiking and rate.
    pub fn attenuation_of_means(&self) -> (Option<f64>, Option<f64>) {
        let to = self.to;
        (
            attenuation(
                self.spiking[0].mean_pulse_hz,
                self.spiking[to].mean_pulse_hz,
            ),
            attenuation(self.rate[0].mean_pulse_hz, self.rate[to].mean_pulse_hz),
        )
    }

    /// The comparison as one JSON object (`cortexsim pulse-compare --json`, less its
    /// `plot` key).
    pub fn to_json(&self, spiking_name: &str, rate_name: &str) -> Json {
        let mut per_area = Map::new();
        let (mut pk_sp, mut pk_rt) = (Map::new(), Map::new());
        for (k, area) in self.areas.iter().enumerate() {
            per_area.insert(
                area.clone(),
                json!({"spiking": resp_json(&self.spiking[k]), "rate": resp_json(&self.rate[k])}),
            );
            pk_sp.insert(area.clone(), json!(self.spiking[k].peak_hz));
            pk_rt.insert(area.clone(), json!(self.rate[k].peak_hz));
        }
        let (sp_label, sp_on, sp_off) = &self.spiking_pulse;
        let (att_sp, att_rt) = self.attenuation();
        let (mean_sp, mean_rt) = self.attenuation_of_means();
        json!({
            "spiking": {
                "network": spiking_name,
                "neurons": self.spiking_neurons,
                "t_stop_ms": self.spiking_t_stop_ms,
                "pulse": {"input": sp_label, "start_ms": sp_on, "stop_ms": sp_off},
                "rate_bin_ms": self.rate_bin_ms,
                "smooth_ms": self.smooth_ms,
                "simulate_s": self.spiking_s,
            },
            "rate": {
                "network": rate_name,
                "t_stop_ms": self.rate_t_stop_ms,
                "pulse": {"start_ms": self.rate_pulse.0, "stop_ms": self.rate_pulse.1},
                "simulate_s": self.rate_s,
            },
            "baseline_ms": self.baseline_ms,
            "areas": self.areas,
            "peak_change_hz": {"spiking": pk_sp, "rate": pk_rt},
            "per_area": per_area,
            "attenuation": {
                "from": self.areas[0], "to": self.areas[self.to], "spiking": att_sp, "rate": att_rt,
                "spiking_mean_during_pulse": mean_sp,
                "rate_mean_during_pulse": mean_rt,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attenuation_is_measured_to_the_named_area_else_the_last() {
        let areas: Vec<String> = ["V1", "V2", "24c", "8l"].map(String::from).to_vec();
        assert_eq!(attenuation_index(&areas, "24c"), 2);
        assert_eq!(attenuation_index(&areas, "V2"), 1);
        assert_eq!(attenuation_index(&areas, "F5"), 3);
        assert_eq!(PulseOptions::default().attenuation_to, "24c");
    }

    #[test]
    fn response_measures_baseline_peak_and_noise() {
        // 1 ms samples; baseline 2 Hz before the onset at 10 ms, a bump to 7 Hz at 12 ms.
        let t: Vec<f64> = (0..20).map(f64::from).collect();
        let raw: Vec<f64> = t
            .iter()
            .map(|&x| if x == 12.0 { 7.0 } else { 2.0 })
            .collect();
        let r = response(&t, &raw, &raw, (10.0, 15.0), 5.0, 0.0).unwrap();
        assert_eq!(r.baseline_hz, 2.0);
        assert_eq!((r.peak_hz, r.t_peak_ms), (5.0, 2.0));
        assert_eq!(r.pre_max_abs_hz, 0.0);
        assert_eq!(r.mean_pulse_hz, 1.0);
        assert!(response(&t, &raw, &raw, (0.0, 5.0), 5.0, 0.0).is_none());
    }
}
