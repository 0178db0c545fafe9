//! Parameter scan of a rate model (`cortexsim scan`): sweep one parameter up, then back
//! down, each run starting from the rates at the end of the previous one, and report
//! where the two branches differ (hysteresis, i.e. bistability).
//!
//! The steady rate of a run is the mean over the last `tail` fraction of it. Two
//! branches differ at a value when some reported population's steady rates differ by
//! more than 1e-3 Hz + 1 % of the larger; the onset of bistability is the first such value
//! after one where all branches agree. A run has settled when no rate moved by more than
//! 1e-3 Hz + 0.1 % of the largest rate over its tail.

use crate::error::ProtocolError;
use cortexsim_models::{Loaded, RateNetworkFile};
use cortexsim_theory::rate;
use serde_json::{Map, Value as Json, json};
use std::path::Path;
use std::time::Instant;
use toml::Table;

/// What to sweep and what to report.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// The parameter, as an override path (e.g. `model.mu_ee`, `rate_populations.E.bias`).
    pub param: String,
    /// The values, in sweep order (at least 2; see [`even_values`]).
    pub values: Vec<f64>,
    /// Fraction of each run at its end whose mean is the steady rate, in (0, 1].
    pub tail: f64,
    /// Populations reported; empty: all ([`RateNetworkFile::report_order`]).
    pub pops: Vec<String>,
}

/// `steps` values evenly spaced from `from` to `to` (both included; `steps >= 2`).
pub fn even_values(from: f64, to: f64, steps: usize) -> Vec<f64> {
    (0..steps)
        .map(|k| from + (to - from) * k as f64 / (steps - 1) as f64)
        .collect()
}

/// One step of a sweep: the parameter value and the steady rate of every population.
#[derive(Debug, Clone)]
pub struct ScanStep {
    pub value: f64,
    pub rates: Vec<f64>,
    /// Largest change of any rate over the averaged tail (Hz): small when settled.
    pub tail_range_hz: f64,
}

impl ScanStep {
    /// No rate moved by more than 1e-3 Hz + 0.1 % of the largest rate over the tail.
    pub fn settled(&self) -> bool {
        let top = self.rates.iter().fold(0.0f64, |m, r| m.max(r.abs()));
        self.tail_range_hz.is_finite() && self.tail_range_hz <= 1e-3 + 1e-3 * top
    }
}

/// Result of a hysteresis sweep.
#[derive(Debug, Clone)]
pub struct Scan {
    pub pop_names: Vec<String>,
    pub up: Vec<ScanStep>,
    pub down: Vec<ScanStep>,
    /// Only for files with pulse stimuli: each value run from the file's initial state with
    /// the pulses removed (the state the network settles in without a stimulus).
    pub spontaneous: Option<Vec<ScanStep>>,
}

/// A scan with its reading: the reported populations, where the branches differ.
#[derive(Debug, Clone)]
pub struct ScanReport {
    pub param: String,
    pub values: Vec<f64>,
    pub tail: f64,
    /// Reported populations, in report order.
    pub order: Vec<String>,
    /// Index in `scan.pop_names` of each reported population.
    pub shown: Vec<usize>,
    pub scan: Scan,
    /// Values at which two branches differ.
    pub bistable_values: Vec<f64>,
    /// (last monostable value, first bistable value) of the first onset, if any.
    pub onset: Option<(f64, f64)>,
    /// Wall time of the sweep (s).
    pub elapsed_s: f64,
}

/// Scan the rate file `doc` (overrides applied) as `opts` says.
pub fn scan(
    doc: &Table,
    data: Option<&Path>,
    opts: &ScanOptions,
) -> Result<ScanReport, ProtocolError> {
    // Validate the file and the population selection once before sweeping.
    let f = rate_file(doc, data)?;
    for p in &opts.pops {
        if f.net.index_of(p).is_none() {
            return Err(ProtocolError::UnknownPopulation {
                option: "--pop",
                name: p.clone(),
            });
        }
    }
    let order = if opts.pops.is_empty() {
        f.report_order()
    } else {
        opts.pops.clone()
    };
    let t0 = Instant::now();
    let scan = sweep(doc, data, &opts.param, &opts.values, opts.tail)?;
    let elapsed_s = t0.elapsed().as_secs_f64();
    let shown: Vec<usize> = order
        .iter()
        .filter_map(|p| scan.pop_names.iter().position(|n| n == p))
        .collect();
    let gaps: Vec<f64> = (0..opts.values.len())
        .map(|k| branch_gap(&scan, &shown, k))
        .collect();
    let bistable_values = (0..opts.values.len())
        .filter(|&k| gaps[k] > 0.0)
        .map(|k| opts.values[k])
        .collect();
    let onset = (1..opts.values.len())
        .find(|&k| gaps[k] > 0.0 && gaps[k - 1] == 0.0)
        .map(|k| (opts.values[k - 1], opts.values[k]));
    Ok(ScanReport {
        param: opts.param.clone(),
        values: opts.values.clone(),
        tail: opts.tail,
        order,
        shown,
        scan,
        bistable_values,
        onset,
        elapsed_s,
    })
}

fn rate_file(doc: &Table, data: Option<&Path>) -> Result<RateNetworkFile, ProtocolError> {
    match cortexsim_models::load::load_table(doc, data)? {
        Loaded::Rate(f) => Ok(*f),
        Loaded::Spiking(_) => Err(ProtocolError::Invalid(
            "not a rate file (no [model] or [[rate_populations]])".into(),
        )),
    }
}

/// Largest difference between two branches at value `k` over the `shown` populations
/// that counts as a difference (module docs); 0 when all branches agree.
fn branch_gap(scan: &Scan, shown: &[usize], k: usize) -> f64 {
    let branches: Vec<&[ScanStep]> = [Some(&scan.up), Some(&scan.down), scan.spontaneous.as_ref()]
        .into_iter()
        .flatten()
        .map(Vec::as_slice)
        .collect();
    let mut g = 0.0f64;
    for (m, b1) in branches.iter().enumerate() {
        for b2 in &branches[m + 1..] {
            for &i in shown {
                let (u, d) = (b1[k].rates[i], b2[k].rates[i]);
                let diff = (u - d).abs();
                if diff > 1e-3 + 0.01 * u.abs().max(d.abs()) {
                    g = g.max(diff);
                }
            }
        }
    }
    g
}

/// Sweep `param` over `values` upwards, then back down; each run starts from the rates
/// at the end of the previous one (the first from the file's initial rates). If the file
/// has pulse stimuli (finite `stop`), every value is also run from the file's initial
/// state without them ([`Scan::spontaneous`]): a pulse that switches a bistable network
/// into its other state then shows as a difference between that branch and `up`/`down`.
pub fn sweep(
    doc: &Table,
    data: Option<&Path>,
    param: &str,
    values: &[f64],
    tail: f64,
) -> Result<Scan, ProtocolError> {
    let mut state: Option<Vec<f64>> = None;
    let mut names = Vec::new();
    let has_pulses = std::cell::Cell::new(false);
    let mut one = |v: f64,
                   state: &mut Option<Vec<f64>>,
                   no_pulses: bool|
     -> Result<ScanStep, ProtocolError> {
        let mut d = doc.clone();
        cortexsim_spec::overrides::apply(&mut d, &format!("{param}={v:?}"))?;
        let mut f = rate_file(&d, data)?;
        let is_pulse = |e: &rate::Epoch| e.stop_ms.is_finite();
        if f.net.schedules.iter().any(is_pulse) {
            has_pulses.set(true);
        }
        if no_pulses {
            f.net.schedules.retain(|e| !is_pulse(e));
        }
        if let Some(s) = state.as_ref() {
            for (p, r) in f.net.pops.iter_mut().zip(s) {
                p.r0_hz = *r;
            }
        }
        let run = rate::run(&f.net, &f.sim.run_opts())
            .map_err(|e| ProtocolError::from(e).context(format!("{param} = {v}")))?;
        let n = run.t_ms.len();
        let k0 = ((1.0 - tail) * n as f64).floor().clamp(0.0, (n - 1) as f64) as usize;
        let mut range = 0.0f64;
        let rates = run
            .rates
            .iter()
            .map(|r| {
                let seg = &r[k0..];
                let (lo, hi) = seg
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                        (l.min(x), h.max(x))
                    });
                range = range.max(hi - lo);
                seg.iter().sum::<f64>() / seg.len() as f64
            })
            .collect();
        *state = Some(run.rates.iter().map(|r| r[n - 1]).collect());
        names = run.pop_names.clone();
        Ok(ScanStep {
            value: v,
            rates,
            tail_range_hz: range,
        })
    };
    let mut up = Vec::with_capacity(values.len());
    for &v in values {
        up.push(one(v, &mut state, false)?);
    }
    let mut down = Vec::with_capacity(values.len());
    for &v in values.iter().rev() {
        down.push(one(v, &mut state, false)?);
    }
    down.reverse();
    let spontaneous = if has_pulses.get() {
        let mut sp = Vec::with_capacity(values.len());
        for &v in values {
            sp.push(one(v, &mut None, true)?);
        }
        Some(sp)
    } else {
        None
    };
    Ok(Scan {
        pop_names: names,
        up,
        down,
        spontaneous,
    })
}

impl ScanReport {
    /// The reported populations' steady rates of one branch, per value.
    fn branch_json(&self, steps: &[ScanStep]) -> Json {
        steps
            .iter()
            .map(|s| {
                let r: Map<String, Json> = self
                    .shown
                    .iter()
                    .map(|&i| (self.scan.pop_names[i].clone(), json!(s.rates[i])))
                    .collect();
                json!({"value": s.value, "rates_hz": r, "tail_range_hz": s.tail_range_hz,
                       "settled": s.settled()})
            })
            .collect::<Vec<_>>()
            .into()
    }

    /// The report as one JSON object (`cortexsim scan --json`, less its `plot` key).
    pub fn to_json(&self, network: &str) -> Json {
        json!({
            "kind": "scan",
            "network": network,
            "param": self.param,
            "values": self.values,
            "tail": self.tail,
            "order": self.order,
            "up": self.branch_json(&self.scan.up),
            "down": self.branch_json(&self.scan.down),
            "spontaneous": self.scan.spontaneous.as_deref().map(|s| self.branch_json(s)),
            "bistable_values": self.bistable_values,
            "onset": self.onset.map(|(lo, hi)| json!({"last_monostable": lo, "first_bistable": hi})),
            "timings_s": {"scan": self.elapsed_s},
        })
    }

    /// Per reported population: (name, up branch, down branch), and the no-pulse branch
    /// of each reported population if there is one (the bifurcation diagram's data).
    #[allow(clippy::type_complexity)]
    pub fn series(&self) -> (Vec<(String, Vec<f64>, Vec<f64>)>, Option<Vec<Vec<f64>>>) {
        let series = self
            .shown
            .iter()
            .map(|&i| {
                (
                    self.scan.pop_names[i].clone(),
                    self.scan.up.iter().map(|s| s.rates[i]).collect(),
                    self.scan.down.iter().map(|s| s.rates[i]).collect(),
                )
            })
            .collect();
        let spont = self.scan.spontaneous.as_ref().map(|sp| {
            self.shown
                .iter()
                .map(|&i| sp.iter().map(|s| s.rates[i]).collect())
                .collect()
        });
        (series, spont)
    }

    /// Whether every run of every branch settled.
    pub fn all_settled(&self) -> bool {
        self.scan
            .up
            .iter()
            .chain(&self.scan.down)
            .chain(self.scan.spontaneous.iter().flatten())
            .all(ScanStep::settled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(value: f64, rates: &[f64], tail_range_hz: f64) -> ScanStep {
        ScanStep {
            value,
            rates: rates.to_vec(),
            tail_range_hz,
        }
    }

    #[test]
    fn even_values_include_both_ends() {
        assert_eq!(even_values(-10.0, 35.0, 4), vec![-10.0, 5.0, 20.0, 35.0]);
    }

    #[test]
    fn settled_allows_a_small_relative_drift() {
        assert!(step(0.0, &[100.0], 0.1).settled());
        assert!(!step(0.0, &[100.0], 0.2).settled());
        assert!(!step(0.0, &[1.0], f64::NAN).settled());
    }

    #[test]
    fn branches_differ_only_beyond_the_tolerance() {
        let scan = Scan {
            pop_names: vec!["E".into(), "I".into()],
            up: vec![step(0.0, &[1.0, 5.0], 0.0), step(1.0, &[1.0, 5.0], 0.0)],
            down: vec![step(0.0, &[1.005, 5.0], 0.0), step(1.0, &[30.0, 5.0], 0.0)],
            spontaneous: None,
        };
        assert_eq!(branch_gap(&scan, &[0, 1], 0), 0.0);
        assert_eq!(branch_gap(&scan, &[0, 1], 1), 29.0);
        // Only the populations shown count.
        assert_eq!(branch_gap(&scan, &[1], 1), 0.0);
    }
}
