//! Many trials of a two-choice decision task (`cortexsim trials`), on a rate model or a
//! spiking network alike: per coherence `c'` the choice accuracy, the decision time, the
//! pool rates, and the Weibull fit of accuracy against coherence
//! ([`cortexsim_theory::psychometric`]).
//!
//! **The task** is the file's `[trials]` table ([`cortexsim_models::task`]), each field
//! replaceable by an option: the two selective pools (choice 1 is the first, the correct
//! one for `c' > 0`), the two stimulus values scaled to `μ₀(1 + c'/100)` and
//! `μ₀(1 − c'/100)`, the stimulus onset, the threshold and the smoothing window.
//!
//! **A trial** is one run of the file (its `t_stop`, its schedule) at one coherence with
//! its own seed, `seed_k = mix(base, c', k)` (SplitMix64 over the base seed, the bits of
//! `c'` and the trial index; below 2⁶³): deterministic, independent across trials and
//! coherences, and the same whatever the thread count or the other coherences asked for.
//! Trials run in parallel on a rayon pool; each spiking trial is built and run on one
//! thread (results do not depend on threads, ARCHITECTURE contract 2) within its share of
//! the available memory (available / threads; a trial that needs more is refused before
//! it allocates).
//!
//! **Pool rates.** Rate model: the pool's rate at every step, `f(x)` of a gating
//! population (Wong–Wang's `r_i = H(x_i)`, noise included) or the state of a leaky one
//! ([`rate::pool_rate`]). Spiking network: the population's spike count in bins of
//! `bin_ms` divided by its size and the bin. Either is then averaged over the preceding
//! `window_ms` (causal moving average; 0: none).
//!
//! **The decision** is the first time at or after the onset at which a pool's (smoothed)
//! rate reaches the threshold; that pool is the choice (the higher rate if both reach it
//! in the same sample) and the time since the onset the decision time. A trial in which
//! no pool reaches it is undecided: it counts in neither accuracy nor decision time
//! (reported as `undecided`). Accuracy = correct / decided; at `c' = 0` "correct" is
//! pool 1 (so accuracy ≈ ½ is the unbiased result).
//!
//! **Reported rates**: per coherence the trial-averaged rate of the winning and of the
//! losing pool of decided trials, in consecutive bins of `trace_ms` from 0 (the
//! chronometric picture of Wang 2002, Fig. 3), and their means over the last
//! `trace_ms`-bin of the run.

use crate::error::ProtocolError;
use cortexsim_engine::{BuildOptions, Simulation};
use cortexsim_models::task::{self, TrialsSpec};
use cortexsim_models::{Loaded, RateNetworkFile};
use cortexsim_spec::Network;
use cortexsim_theory::psychometric::{WeibullFit, fit_weibull};
use cortexsim_theory::rate;
use rayon::prelude::*;
use serde_json::{Value as Json, json};
use std::path::Path;
use std::time::Instant;
use toml::Table;

/// Default smoothing window of spiking pool rates (ms).
pub const SPIKING_WINDOW_MS: f64 = 50.0;
/// Bin of spiking pool rates (ms).
pub const SPIKING_BIN_MS: f64 = 1.0;
/// Most trials per coherence.
pub const MAX_TRIALS: usize = 1_000_000;

/// Options of [`trials`]; `None` fields come from the file's `[trials]` table.
#[derive(Debug, Clone)]
pub struct TrialsOptions {
    /// Coherences (%), each in [0, 100].
    pub coherences: Vec<f64>,
    /// Trials per coherence (≥ 1).
    pub trials: usize,
    pub pools: Option<[String; 2]>,
    pub stimulus: Option<[String; 2]>,
    pub onset_ms: Option<f64>,
    pub threshold_hz: Option<f64>,
    pub window_ms: Option<f64>,
    /// Base seed; `None`: the file's `simulation.seed`.
    pub seed: Option<u64>,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Bin of the reported rate traces (ms).
    pub trace_ms: f64,
}

impl TrialsOptions {
    /// `trials` trials at each of `coherences`, everything else from the file.
    pub fn new(coherences: Vec<f64>, trials: usize) -> Self {
        TrialsOptions {
            coherences,
            trials,
            pools: None,
            stimulus: None,
            onset_ms: None,
            threshold_hz: None,
            window_ms: None,
            seed: None,
            threads: 0,
            trace_ms: 10.0,
        }
    }
}

/// The outcome of one trial.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// 0 (pool 1) or 1 (pool 2); `None`: undecided.
    pub choice: Option<usize>,
    /// Time from the onset to the threshold crossing (ms).
    pub decision_time_ms: Option<f64>,
    /// Pool rates (Hz) in bins of `trace_ms` from 0, `[pool][bin]`.
    pub traces: [Vec<f64>; 2],
}

/// Results at one coherence.
#[derive(Debug, Clone)]
pub struct CoherenceResult {
    pub coherence: f64,
    pub trials: usize,
    pub decided: usize,
    pub correct: usize,
    /// correct / decided (NaN if none decided).
    pub accuracy: f64,
    /// Mean and standard deviation of the decision time of decided trials (ms; NaN if none).
    pub decision_time_ms: f64,
    pub decision_time_sd_ms: f64,
    /// Mean decision time of correct trials (ms; NaN if none).
    pub decision_time_correct_ms: f64,
    /// Trial-averaged rate of the winning / losing pool per trace bin (Hz).
    pub winner_hz: Vec<f64>,
    pub loser_hz: Vec<f64>,
}

/// The whole experiment.
#[derive(Debug, Clone)]
pub struct TrialsReport {
    /// `"rate"` or `"spiking"`.
    pub model: &'static str,
    pub spec: TrialsSpec,
    pub window_ms: f64,
    pub base_seed: u64,
    pub trace_ms: f64,
    pub results: Vec<CoherenceResult>,
    pub weibull: Option<WeibullFit>,
    pub threads: usize,
    pub elapsed_s: f64,
}

/// SplitMix64 finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Seed of trial `k` at coherence `c` (module docs).
pub fn trial_seed(base: u64, c: f64, k: usize) -> u64 {
    mix(mix(base ^ mix(c.to_bits())) ^ k as u64) >> 1
}

/// The task of `doc` with the options applied; errors name the option or key.
fn resolve(doc: &Table, opts: &TrialsOptions) -> Result<TrialsSpec, ProtocolError> {
    let file = task::trials_spec(doc)?;
    let pools = opts
        .pools
        .clone()
        .or_else(|| file.as_ref().map(|f| f.pools.clone()))
        .ok_or_else(|| {
            ProtocolError::Invalid(
                "trials: no selective pools: give --pools A,B or a [trials] table with pools and stimulus in the file".into(),
            )
        })?;
    let stimulus = opts
        .stimulus
        .clone()
        .or_else(|| file.as_ref().map(|f| f.stimulus.clone()))
        .ok_or_else(|| {
            ProtocolError::Invalid(
                "trials: no stimulus: give --stimulus KEY1,KEY2 (the --set paths of the two stimulus strengths) or a [trials] table in the file".into(),
            )
        })?;
    if pools[0] == pools[1] {
        return Err(ProtocolError::Invalid(format!(
            "--pools: the two pools are the same (`{}`)",
            pools[0]
        )));
    }
    for (k, s) in stimulus.iter().enumerate() {
        task::number_at(doc, s)
            .map_err(|m| ProtocolError::Invalid(format!("--stimulus (entry {}): {m}", k + 1)))?;
    }
    let onset_ms = opts
        .onset_ms
        .or(file.as_ref().map(|f| f.onset_ms))
        .unwrap_or(0.0);
    if !(onset_ms >= 0.0 && onset_ms.is_finite()) {
        return Err(ProtocolError::Invalid(
            "--onset: must be a finite number >= 0 ms".into(),
        ));
    }
    let threshold_hz = opts
        .threshold_hz
        .or(file.as_ref().map(|f| f.threshold_hz))
        .unwrap_or(task::DEFAULT_THRESHOLD_HZ);
    if !(threshold_hz > 0.0 && threshold_hz.is_finite()) {
        return Err(ProtocolError::Invalid(
            "--threshold: must be a finite number > 0 Hz".into(),
        ));
    }
    let window_ms = opts.window_ms.or(file.as_ref().and_then(|f| f.window_ms));
    if let Some(w) = window_ms
        && !(w >= 0.0 && w.is_finite())
    {
        return Err(ProtocolError::Invalid(
            "--window: must be a finite number >= 0 ms".into(),
        ));
    }
    Ok(TrialsSpec {
        pools,
        stimulus,
        onset_ms,
        threshold_hz,
        window_ms,
        mu0: file.as_ref().and_then(|f| f.mu0),
    })
}

/// What one coherence runs: the loaded model and the indices of its pools.
enum Model {
    Rate(Box<RateNetworkFile>, [usize; 2]),
    Spiking(Box<Network>, [usize; 2]),
}

fn pool_indices(
    names: &[String; 2],
    find: impl Fn(&str) -> Option<usize>,
) -> Result<[usize; 2], ProtocolError> {
    let mut idx = [0; 2];
    for k in 0..2 {
        idx[k] = find(&names[k]).ok_or_else(|| ProtocolError::UnknownPopulation {
            option: "--pools",
            name: names[k].clone(),
        })?;
    }
    Ok(idx)
}

/// Load `doc` at coherence `c`.
fn model_at(
    doc: &Table,
    data: Option<&Path>,
    spec: &TrialsSpec,
    c: f64,
) -> Result<Model, ProtocolError> {
    let mut d = doc.clone();
    d.remove("trials");
    let sets = task::coherence_sets(doc, spec, c)?;
    cortexsim_spec::overrides::apply_all(&mut d, &sets)?;
    Ok(match cortexsim_models::load::load_table(&d, data)? {
        Loaded::Rate(f) => {
            let idx = pool_indices(&spec.pools, |n| f.net.index_of(n))?;
            Model::Rate(f, idx)
        }
        Loaded::Spiking(n) => {
            let idx = pool_indices(&spec.pools, |p| n.pop_index(p))?;
            Model::Spiking(n, idx)
        }
    })
}

/// Causal moving average over `w` samples (1: none), in place.
fn smooth(r: &mut [f64], w: usize) {
    if w <= 1 {
        return;
    }
    let src = r.to_vec();
    let mut sum = 0.0;
    for k in 0..src.len() {
        sum += src[k];
        if k >= w {
            sum -= src[k - w];
        }
        r[k] = sum / (k + 1).min(w) as f64;
    }
}

/// The decision in two pool-rate series sampled at `t0 + k·dt`: (choice, time since onset).
fn decide(
    r: &[Vec<f64>; 2],
    t_of: impl Fn(usize) -> f64,
    onset: f64,
    threshold: f64,
) -> (Option<usize>, Option<f64>) {
    for (k, (&a, &b)) in r[0].iter().zip(&r[1]).enumerate() {
        let t = t_of(k);
        if t < onset {
            continue;
        }
        if a >= threshold || b >= threshold {
            let choice = if a >= b { 0 } else { 1 };
            return (Some(choice), Some(t - onset));
        }
    }
    (None, None)
}

/// Mean of `r` (sampled every `dt`) in bins of `bin` (ms) over `[0, t_end)`.
fn bin_trace(r: &[f64], t_of: impl Fn(usize) -> f64, bin: f64, t_end: f64) -> Vec<f64> {
    let nb = (t_end / bin).round().max(1.0) as usize;
    let mut sum = vec![0.0; nb];
    let mut cnt = vec![0u32; nb];
    for (k, &v) in r.iter().enumerate() {
        let b = ((t_of(k) / bin).floor() as usize).min(nb - 1);
        sum[b] += v;
        cnt[b] += 1;
    }
    sum.iter()
        .zip(&cnt)
        .map(|(s, &c)| if c > 0 { s / c as f64 } else { f64::NAN })
        .collect()
}

fn run_rate(
    f: &RateNetworkFile,
    idx: [usize; 2],
    seed: u64,
    spec: &TrialsSpec,
    window_ms: f64,
    trace_ms: f64,
) -> Result<Trial, ProtocolError> {
    let mut opts = f.sim.run_opts();
    opts.seed = seed;
    let n = opts.n_steps() as usize;
    let dt = opts.dt_ms;
    let mut r = [Vec::with_capacity(n), Vec::with_capacity(n)];
    rate::integrate(&f.net, &opts, |_, a, out| {
        for p in 0..2 {
            r[p].push(rate::pool_rate(&f.net, idx[p], a, out));
        }
    })?;
    // Sample k is the rate during step k, from t = k dt.
    let t_of = |k: usize| k as f64 * dt;
    let w = (window_ms / dt).round().max(1.0) as usize;
    for s in &mut r {
        smooth(s, w);
    }
    let (choice, decision_time_ms) = decide(&r, t_of, spec.onset_ms, spec.threshold_hz);
    let t_end = n as f64 * dt;
    Ok(Trial {
        choice,
        decision_time_ms,
        traces: [0, 1].map(|p| bin_trace(&r[p], t_of, trace_ms, t_end)),
    })
}

fn run_spiking(
    net: &Network,
    idx: [usize; 2],
    seed: u64,
    spec: &TrialsSpec,
    window_ms: f64,
    trace_ms: f64,
    max_memory: u64,
) -> Result<Trial, ProtocolError> {
    let mut net = net.clone();
    net.simulation.seed = seed;
    net.simulation.threads = 1;
    let dt = net.simulation.dt;
    let bin_steps = (SPIKING_BIN_MS / dt).round().max(1.0);
    let bin = bin_steps * dt;
    net.recorders.rate_bin = bin;
    net.recorders.spikes.clear();
    net.recorders.clear_analog();
    let opts = BuildOptions {
        threads: 1,
        max_memory: Some(max_memory),
        ..Default::default()
    };
    let mut sim = Simulation::build(&net, &opts)?;
    sim.run()?;
    let t_end = sim.t as f64 * dt;
    let mut r = [0, 1].map(|p| {
        let size = net.populations[idx[p]].size.max(1) as f64;
        sim.recording.rate_bins[idx[p]]
            .iter()
            .map(|&c| c as f64 / (size * bin * 1e-3))
            .collect::<Vec<f64>>()
    });
    // Bin k covers [k bin, (k + 1) bin): its rate is known at its end.
    let t_end_of = |k: usize| (k + 1) as f64 * bin;
    let w = (window_ms / bin).round().max(1.0) as usize;
    for s in &mut r {
        smooth(s, w);
    }
    let (choice, decision_time_ms) = decide(&r, t_end_of, spec.onset_ms, spec.threshold_hz);
    let t_start_of = |k: usize| k as f64 * bin;
    Ok(Trial {
        choice,
        decision_time_ms,
        traces: [0, 1].map(|p| bin_trace(&r[p], t_start_of, trace_ms, t_end)),
    })
}

/// Run the experiment on the file `doc` (overrides applied; `data` for data-driven files).
pub fn trials(
    doc: &Table,
    data: Option<&Path>,
    opts: &TrialsOptions,
) -> Result<TrialsReport, ProtocolError> {
    if opts.coherences.is_empty() {
        return Err(ProtocolError::Invalid(
            "--coherence: need at least one value".into(),
        ));
    }
    if let Some(c) = opts
        .coherences
        .iter()
        .find(|c| !(c.is_finite() && (0.0..=100.0).contains(*c)))
    {
        return Err(ProtocolError::Invalid(format!(
            "--coherence: {c} is not in [0, 100] %"
        )));
    }
    if opts.trials == 0 || opts.trials > MAX_TRIALS {
        return Err(ProtocolError::Invalid(format!(
            "--trials: need 1 to {MAX_TRIALS}, got {}",
            opts.trials
        )));
    }
    if !(opts.trace_ms > 0.0 && opts.trace_ms.is_finite()) {
        return Err(ProtocolError::Invalid(
            "trace bin: must be a finite number > 0 ms".into(),
        ));
    }
    let spec = resolve(doc, opts)?;
    // The file at the first coherence: its kind, seed and validity before any trial.
    let first = model_at(doc, data, &spec, opts.coherences[0])?;
    let (kind, file_seed) = match &first {
        Model::Rate(f, _) => ("rate", f.sim.seed),
        Model::Spiking(n, _) => ("spiking", n.simulation.seed),
    };
    let window_ms = spec.window_ms.unwrap_or(if kind == "rate" {
        0.0
    } else {
        SPIKING_WINDOW_MS
    });
    let base_seed = opts.seed.unwrap_or(file_seed);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| ProtocolError::Runtime(format!("thread pool: {e}")))?;
    let threads = pool.current_num_threads();
    // Spiking trials run side by side: each may use its share of the memory.
    let per_trial_memory = cortexsim_engine::memory::available_bytes() / threads.max(1) as u64;
    let t0 = Instant::now();
    let mut results = Vec::with_capacity(opts.coherences.len());
    for (ci, &c) in opts.coherences.iter().enumerate() {
        let model = if ci == 0 {
            None
        } else {
            Some(model_at(doc, data, &spec, c)?)
        };
        let model = model.as_ref().unwrap_or(&first);
        let outcomes: Vec<Result<Trial, ProtocolError>> = pool.install(|| {
            (0..opts.trials)
                .into_par_iter()
                .map(|k| {
                    let seed = trial_seed(base_seed, c, k);
                    match model {
                        Model::Rate(f, idx) => {
                            run_rate(f, *idx, seed, &spec, window_ms, opts.trace_ms)
                        }
                        Model::Spiking(n, idx) => run_spiking(
                            n,
                            *idx,
                            seed,
                            &spec,
                            window_ms,
                            opts.trace_ms,
                            per_trial_memory,
                        ),
                    }
                    .map_err(|e| e.context(format!("coherence {c} %, trial {k} (seed {seed})")))
                })
                .collect()
        });
        let outcomes: Vec<Trial> = outcomes.into_iter().collect::<Result<_, _>>()?;
        results.push(summarise(c, &outcomes));
    }
    let points: Vec<(f64, u64, u64)> = results
        .iter()
        .map(|r| (r.coherence, r.correct as u64, r.decided as u64))
        .collect();
    Ok(TrialsReport {
        model: kind,
        spec,
        window_ms,
        base_seed,
        trace_ms: opts.trace_ms,
        weibull: fit_weibull(&points),
        results,
        threads,
        elapsed_s: t0.elapsed().as_secs_f64(),
    })
}

fn summarise(c: f64, outcomes: &[Trial]) -> CoherenceResult {
    let decided: Vec<&Trial> = outcomes.iter().filter(|t| t.choice.is_some()).collect();
    let correct = decided.iter().filter(|t| t.choice == Some(0)).count();
    let times: Vec<f64> = decided.iter().filter_map(|t| t.decision_time_ms).collect();
    let mean = |v: &[f64]| {
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let m = mean(&times);
    let sd = if times.len() > 1 {
        (times.iter().map(|t| (t - m).powi(2)).sum::<f64>() / (times.len() - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    let correct_times: Vec<f64> = decided
        .iter()
        .filter(|t| t.choice == Some(0))
        .filter_map(|t| t.decision_time_ms)
        .collect();
    let nb = outcomes.first().map_or(0, |t| t.traces[0].len());
    let (mut win, mut lose) = (vec![0.0; nb], vec![0.0; nb]);
    for t in &decided {
        let w = t.choice.unwrap_or(0);
        for b in 0..nb {
            win[b] += t.traces[w][b];
            lose[b] += t.traces[1 - w][b];
        }
    }
    let nd = decided.len().max(1) as f64;
    let scale = |v: Vec<f64>| -> Vec<f64> {
        if decided.is_empty() {
            vec![f64::NAN; v.len()]
        } else {
            v.into_iter().map(|x| x / nd).collect()
        }
    };
    CoherenceResult {
        coherence: c,
        trials: outcomes.len(),
        decided: decided.len(),
        correct,
        accuracy: if decided.is_empty() {
            f64::NAN
        } else {
            correct as f64 / decided.len() as f64
        },
        decision_time_ms: m,
        decision_time_sd_ms: sd,
        decision_time_correct_ms: mean(&correct_times),
        winner_hz: scale(win),
        loser_hz: scale(lose),
    }
}

/// A number, or `null` for NaN (JSON has no NaN).
fn num(v: f64) -> Json {
    if v.is_finite() { json!(v) } else { Json::Null }
}

impl TrialsReport {
    /// The report as one JSON object (`cortexsim trials --json`, less its `plot` key):
    /// per-coherence arrays in the order of `coherence`, the Weibull fit, the task.
    pub fn to_json(&self, network: &str) -> Json {
        let col = |f: &dyn Fn(&CoherenceResult) -> f64| -> Vec<Json> {
            self.results.iter().map(|r| num(f(r))).collect()
        };
        let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
        json!({
            "kind": "trials",
            "network": network,
            "model": self.model,
            "pools": self.spec.pools,
            "stimulus": self.spec.stimulus,
            "onset_ms": self.spec.onset_ms,
            "threshold_hz": self.spec.threshold_hz,
            "window_ms": self.window_ms,
            "seed": self.base_seed,
            "trials_per_coherence": self.results.first().map_or(0, |r| r.trials),
            "coherence": self.results.iter().map(|r| r.coherence).collect::<Vec<_>>(),
            "decided": self.results.iter().map(|r| r.decided).collect::<Vec<_>>(),
            "correct": self.results.iter().map(|r| r.correct).collect::<Vec<_>>(),
            "accuracy": col(&|r| r.accuracy),
            "decision_time_ms": col(&|r| r.decision_time_ms),
            "decision_time_sd_ms": col(&|r| r.decision_time_sd_ms),
            "decision_time_correct_ms": col(&|r| r.decision_time_correct_ms),
            "winner_end_hz": col(&|r| last(&r.winner_hz)),
            "loser_end_hz": col(&|r| last(&r.loser_hz)),
            "weibull": self.weibull.map(|w| json!({"alpha": w.alpha, "beta": w.beta,
                "log_likelihood": w.log_likelihood})),
            "pool_rates": {
                "bin_ms": self.trace_ms,
                "winner_hz": self.results.iter().map(|r| r.winner_hz.iter().map(|&v| num(v)).collect::<Vec<_>>()).collect::<Vec<_>>(),
                "loser_hz": self.results.iter().map(|r| r.loser_hz.iter().map(|&v| num(v)).collect::<Vec<_>>()).collect::<Vec<_>>(),
            },
            "threads": self.threads,
            "timings_s": {"trials": self.elapsed_s},
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_and_repeat() {
        let a = trial_seed(1, 3.2, 0);
        assert_eq!(a, trial_seed(1, 3.2, 0));
        assert_ne!(a, trial_seed(1, 3.2, 1));
        assert_ne!(a, trial_seed(1, 6.4, 0));
        assert_ne!(a, trial_seed(2, 3.2, 0));
        assert!(a < 1 << 63);
    }

    #[test]
    fn smoothing_is_a_causal_mean() {
        let mut r = vec![0.0, 3.0, 6.0, 9.0];
        smooth(&mut r, 2);
        assert_eq!(r, vec![0.0, 1.5, 4.5, 7.5]);
    }

    #[test]
    fn the_first_pool_over_threshold_after_onset_decides() {
        let r = [vec![20.0, 1.0, 5.0, 16.0], vec![0.0, 2.0, 15.0, 30.0]];
        // Before the onset (t < 1) the 20 Hz does not count.
        assert_eq!(decide(&r, |k| k as f64, 1.0, 15.0), (Some(1), Some(1.0)));
        assert_eq!(decide(&r, |k| k as f64, 0.0, 15.0), (Some(0), Some(0.0)));
        assert_eq!(decide(&r, |k| k as f64, 0.0, 100.0), (None, None));
    }
}
