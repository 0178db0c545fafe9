//! Stationary mean-field state of a network file, and its comparison with a
//! spiking simulation of the same file.
//!
//! # Primary stationary state
//!
//! [`cortexsim_theory::meanfield::stationary`] (theory layer): the stable, converged
//! fixed point with the lowest mean rate.
//!
//! # Spiking estimate ([`compare`])
//!
//! The network is simulated to its `t_stop` (no output file, no rate recorder).
//! The first `warmup_ms` are discarded: after them the per-neuron ISI
//! statistics are reset, so the ISI CV only uses intervals that lie entirely
//! after the warm-up. The rest is run in `blocks` chunks of equal whole-step
//! length (the remainder of the division, less than one block, is not
//! simulated); each chunk gives a population rate `r_i = spikes_i / (N T_block)`.
//! Reported: `rate = mean(r_i)`, standard error `SE = sd(r_i) / sqrt(blocks)`
//! (sample sd, `n - 1`), `rel_error = (rate - nu_MF) / nu_MF` (none when
//! `nu_MF = 0`), and the population ISI CV (mean over neurons with >= 2 ISIs of
//! `sd(ISI)/mean(ISI)`, as in `cortexsim run`). Running in chunks does not
//! change the dynamics (the engine is chunk-invariant).
//!
//! # Rate models ([`rate_models`], always part of [`compare`])
//!
//! Both rate models of [`cortexsim_theory::meanfield::rate_model`] are built for the primary state
//! and run by [`cortexsim_theory::rate::run`] (exponential Euler, the network's `dt`) over
//! `[0, t_stop)` with a current step into every neuron from `t_step` on
//! ([`StepOptions`]; default `t_step = (warmup + t_stop)/2` and, per population,
//! 5% of the rest-to-threshold distance, `0.05 (V_th - E_L) C_m / tau_m` pA,
//! i.e. `mu` rises by `0.05 (V_th - E_L)`). The nonlinear (Siegert) model, with
//! `tau` = the largest `tau_m` unless set, is first relaxed from 0 Hz by the
//! integrator until it is stationary ([`rate_models`]); that state is
//! `rate_model_rate_hz` and the start of the recorded run (a warning says when
//! it did not settle, e.g. at an unstable state). The linearised model starts
//! at the fixed point, with `tau_eff` from the fit of `|N(omega)|`.
//!
//! # Step response ([`step_response`], for `cortexsim compare --plot`)
//!
//! A second spiking simulation of the file with the same step added as `dc`
//! stimuli `[t_step, t_stop)`; population rates in 1 ms bins (or `dt` if
//! larger) lightly smoothed by a centred 5-bin moving average. It also reports
//! the mean rate before the step (from the warm-up on) and over the last half
//! of the stepped interval.

use cortexsim_core::error::SpecError;
use cortexsim_engine::record::{NeuronStats, summarize};
use cortexsim_engine::{BuildError, BuildOptions, SimError, Simulation};
use cortexsim_spec::Network;
use cortexsim_spec::{Stimulus, StimulusKind};
use cortexsim_theory::meanfield::rate_model::{
    LinearisedModel, linearised_rate_network, mu_step_mv, to_rate_network,
};
pub use cortexsim_theory::meanfield::stationary::{StationaryReport, StationaryState, stationary};
use cortexsim_theory::rate::{self, Epoch, Method, RateNetwork, RateRun, RunOpts};
use serde::Serialize;
use thiserror::Error;

/// Options of [`compare`].
#[derive(Clone, Debug, PartialEq)]
pub struct CompareOptions {
    /// Worker threads (0: the network's `simulation.threads`, then all cores).
    pub threads: usize,
    /// Discarded initial transient, ms.
    pub warmup_ms: f64,
    /// Number of blocks the analysed time is split into (>= 10).
    pub blocks: usize,
    /// Refuse to build above this many bytes (None: available memory).
    pub max_memory: Option<u64>,
    /// Step input of the rate models and of [`step_response`] ([`StepOptions`]).
    pub step: StepOptions,
}

/// The current step of the rate-model comparison (module docs, "Rate models").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepOptions {
    /// Current step into every neuron, pA (None: per population 5% of the
    /// rest-to-threshold distance, `0.05 (V_th - E_L) C_m / tau_m`).
    pub step_pa: Option<f64>,
    /// Step onset, ms (None: middle of the analysed time, `(warmup + t_stop)/2`).
    pub t_step_ms: Option<f64>,
    /// Time constant of the nonlinear rate model, ms (None: the largest `tau_m`).
    pub rate_tau_ms: Option<f64>,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            threads: 0,
            warmup_ms: 100.0,
            blocks: 20,
            max_memory: None,
            step: StepOptions::default(),
        }
    }
}

/// Spiking vs mean-field statistics of one population.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PopulationComparison {
    pub name: String,
    pub size: u32,
    /// Mean of the block rates, Hz.
    pub spiking_rate_hz: f64,
    /// Standard error of the block mean, Hz.
    pub spiking_rate_se_hz: f64,
    /// Rate of the primary mean-field state, Hz.
    pub meanfield_rate_hz: f64,
    /// `(spiking - meanfield) / meanfield`; `None` when the mean-field rate is 0.
    pub rel_error: Option<f64>,
    /// Population ISI CV after the warm-up (`None`: no neuron with 2 ISIs).
    pub spiking_cv_isi: Option<f64>,
    /// ISI CV of the primary mean-field state.
    pub meanfield_cv_isi: Option<f64>,
    /// Neurons that contributed to `spiking_cv_isi`.
    pub spiking_cv_neurons: u64,
    /// Mean input of the primary mean-field state, mV (relative to E_L).
    pub meanfield_mu_mv: f64,
    /// Input std of the primary mean-field state, mV.
    pub meanfield_sigma_mv: f64,
    /// The block rates, Hz.
    pub block_rates_hz: Vec<f64>,
    /// Nonlinear (Siegert) rate model, run from 0 Hz, just before the step, Hz.
    pub rate_model_rate_hz: f64,
    /// `tau_eff` of the linearised model, ms (`None`: no fit, silent population).
    pub tau_eff_ms: Option<f64>,
    /// `H0` of the linearised model, Hz/mV (0 without a fit).
    pub h0_hz_per_mv: f64,
}

/// Result of [`compare`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub populations: Vec<PopulationComparison>,
    /// Largest `|rel_error|` (`None` if no population has one).
    pub max_abs_rel_error: Option<f64>,
    /// Largest `|rate - nu_MF| / SE` (how many standard errors apart; `None` if
    /// no population has a positive SE).
    pub max_abs_z: Option<f64>,
    pub warmup_ms: f64,
    /// Simulated time after the warm-up that was analysed, ms.
    pub analysed_ms: f64,
    pub block_ms: f64,
    pub blocks: usize,
    pub threads: usize,
    /// Whether the primary mean-field state is linearly stable.
    pub meanfield_stable: bool,
    /// Wall-clock seconds: building and simulating.
    pub build_s: f64,
    pub simulate_s: f64,
    pub warnings: Vec<String>,
    /// Both rate models with the step input.
    #[serde(skip)]
    pub rate_models: RateModels,
}

#[derive(Debug, Error)]
pub enum CompareError {
    /// The network is not covered by the mean-field reduction.
    #[error("{0}")]
    Spec(#[from] SpecError),
    /// Inconsistent options (warm-up longer than the run, too few blocks, ...).
    #[error("{0}")]
    Options(String),
    #[error("{0}")]
    Build(#[from] BuildError),
    #[error("{0}")]
    Sim(#[from] SimError),
}

/// Sample mean and standard error of the mean (`sd / sqrt(n)`, `n - 1` in the sd).
pub fn mean_and_se(x: &[f64]) -> (f64, f64) {
    let n = x.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let m = x.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (m, f64::NAN);
    }
    let var = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64;
    (m, (var / n as f64).sqrt())
}

/// Solve the mean field, then simulate the spiking network and compare
/// (module docs). The mean field is solved first, so a network outside the
/// theory fails before any simulation.
pub fn compare(
    net: &Network,
    opts: &CompareOptions,
) -> Result<(StationaryReport, Comparison), CompareError> {
    let report = stationary(net)?;
    let mut model_warnings = Vec::new();
    let models = rate_models(net, &report, opts, &mut model_warnings)?;
    let dt = net.simulation.dt;
    let total = net.simulation.steps;
    if opts.blocks < 10 {
        return Err(CompareError::Options(format!(
            "at least 10 blocks are needed for a standard error, got {}",
            opts.blocks
        )));
    }
    if !(opts.warmup_ms.is_finite() && opts.warmup_ms >= 0.0) {
        return Err(CompareError::Options(format!(
            "warm-up must be >= 0 ms, got {}",
            opts.warmup_ms
        )));
    }
    let warm = (opts.warmup_ms / dt).round() as u64;
    let block_steps = total.saturating_sub(warm) / opts.blocks as u64;
    if block_steps == 0 {
        return Err(CompareError::Options(format!(
            "the warm-up ({} ms) leaves less than {} steps of the {} ms run to analyse; raise simulation.t_stop or lower the warm-up",
            opts.warmup_ms, opts.blocks, net.simulation.t_stop
        )));
    }
    let mut sim_net = net.clone();
    sim_net.recorders.rate_bin = 0.0;
    let t0 = std::time::Instant::now();
    let mut sim = Simulation::build(
        &sim_net,
        &BuildOptions {
            threads: opts.threads,
            max_memory: opts.max_memory,
            keep_spikes: false,
            ..Default::default()
        },
    )?;
    let build_s = t0.elapsed().as_secs_f64();
    let t1 = std::time::Instant::now();
    sim.run_for(warm, |_| {})?;
    sim.recording
        .stats
        .iter_mut()
        .for_each(|s| *s = NeuronStats::default());
    let npop = net.populations.len();
    sim.recording.pop_spikes.iter_mut().for_each(|c| *c = 0);
    let block_s = block_steps as f64 * dt * 1e-3;
    let mut block_rates = vec![Vec::with_capacity(opts.blocks); npop];
    for _ in 0..opts.blocks {
        let before = sim.recording.pop_spikes.clone();
        sim.run_for(block_steps, |_| {})?;
        for (p, rates) in block_rates.iter_mut().enumerate() {
            let c = sim.recording.pop_spikes[p] - before[p];
            rates.push(c as f64 / (net.populations[p].size as f64 * block_s));
        }
    }
    let simulate_s = t1.elapsed().as_secs_f64();
    let analysed_ms = (block_steps * opts.blocks as u64) as f64 * dt;
    let summary = summarize(&sim.recording, net, analysed_ms);
    let fp = &report.primary().fixed_point;
    let mut populations = Vec::with_capacity(npop);
    for (p, pop) in net.populations.iter().enumerate() {
        let (rate, se) = mean_and_se(&block_rates[p]);
        let mf_rate = fp.rates_hz[p];
        populations.push(PopulationComparison {
            name: pop.name.clone(),
            size: pop.size,
            spiking_rate_hz: rate,
            spiking_rate_se_hz: se,
            meanfield_rate_hz: mf_rate,
            rel_error: (mf_rate > 0.0).then(|| (rate - mf_rate) / mf_rate),
            spiking_cv_isi: summary[p].1.cv_isi,
            meanfield_cv_isi: fp.cv_isi[p],
            spiking_cv_neurons: summary[p].1.cv_neurons,
            meanfield_mu_mv: fp.mu_mv[p],
            meanfield_sigma_mv: fp.sigma_mv[p],
            block_rates_hz: std::mem::take(&mut block_rates[p]),
            rate_model_rate_hz: models.rate_model_rate_hz[p],
            tau_eff_ms: models.linearised.fits[p].map(|f| f.tau_ms),
            h0_hz_per_mv: models.linearised.h0_hz_per_mv[p],
        });
    }
    let max_abs = |f: &dyn Fn(&PopulationComparison) -> Option<f64>| {
        populations
            .iter()
            .filter_map(f)
            .map(f64::abs)
            .reduce(f64::max)
    };
    let max_abs_rel_error = max_abs(&|c| c.rel_error);
    let max_abs_z = max_abs(&|c| {
        (c.spiking_rate_se_hz > 0.0)
            .then(|| (c.spiking_rate_hz - c.meanfield_rate_hz) / c.spiking_rate_se_hz)
    });
    let mut warnings = sim.warnings.clone();
    warnings.extend(report.warnings.iter().cloned());
    warnings.extend(model_warnings);
    let cmp = Comparison {
        populations,
        max_abs_rel_error,
        max_abs_z,
        warmup_ms: warm as f64 * dt,
        analysed_ms,
        block_ms: block_steps as f64 * dt,
        blocks: opts.blocks,
        threads: sim.threads,
        meanfield_stable: report.primary().stability.stable,
        build_s,
        simulate_s,
        warnings,
        rate_models: models,
    };
    Ok((report, cmp))
}

/// Both rate models of the primary state, run with the step input over the
/// whole `t_stop` (module docs, "Rate models").
#[derive(Clone, Debug, PartialEq)]
pub struct RateModels {
    /// Step onset, ms.
    pub t_step_ms: f64,
    /// Current step per population, pA.
    pub step_pa: Vec<f64>,
    /// The same step as a change of `mu`, mV.
    pub step_mu_mv: Vec<f64>,
    /// Time constant of the nonlinear model, ms.
    pub rate_tau_ms: f64,
    /// Nonlinear Siegert model: network and run (from its relaxed state).
    pub nonlinear: RateNetwork,
    pub nonlinear_run: RateRun,
    /// Its stationary rate before the step (relaxed from 0 Hz), Hz.
    pub rate_model_rate_hz: Vec<f64>,
    /// Linearised threshold-linear model (started at the fixed point) and its run.
    pub linearised: LinearisedModel,
    pub linearised_run: RateRun,
}

fn options_error(m: String) -> CompareError {
    CompareError::Options(m)
}

/// The Siegert model is relaxed in chunks of this many time constants ...
pub const RELAX_CHUNK_TAU: f64 = 10.0;
/// ... for at most this many time constants.
pub const RELAX_MAX_TAU: f64 = 2000.0;

/// Run `net` (no schedules) from its initial rates with the integrator in
/// chunks of [`RELAX_CHUNK_TAU`] until no rate changes by more than
/// `1e-12 (1 + rate)` over a chunk; returns the rates and whether it settled.
fn relax(
    net: &RateNetwork,
    dt: f64,
) -> Result<(Vec<f64>, bool), cortexsim_theory::rate::RateError> {
    let tau = net.pops.iter().map(|p| p.tau_ms).fold(0.0, f64::max);
    let steps = (RELAX_CHUNK_TAU * tau / dt).ceil().max(1.0) as usize;
    let o = RunOpts {
        dt_ms: dt,
        t_stop_ms: steps as f64 * dt,
        seed: 0,
        record_every: steps,
        method: Method::Exponential,
    };
    let mut net = net.clone();
    let mut r: Vec<f64> = net.pops.iter().map(|p| p.r0_hz).collect();
    for _ in 0..(RELAX_MAX_TAU / RELAX_CHUNK_TAU) as usize {
        let run = rate::run(&net, &o)?;
        let next: Vec<f64> = run
            .rates
            .iter()
            .map(|x| *x.last().unwrap_or(&0.0))
            .collect();
        let done = r
            .iter()
            .zip(&next)
            .all(|(a, b)| (a - b).abs() <= 1e-12 * (1.0 + b.abs()));
        r = next;
        if done {
            return Ok((r, true));
        }
        for (p, v) in net.pops.iter_mut().zip(&r) {
            p.r0_hz = *v;
        }
    }
    Ok((r, false))
}

/// Build and run both rate models of `report`'s primary state with the step
/// of `opts.step` (module docs). Integration: exponential Euler with the
/// network's `dt`, every step recorded. The Siegert model is first relaxed
/// from 0 Hz by the same integrator (in chunks of [`RELAX_CHUNK_TAU`] time
/// constants until no rate changes by more than `1e-12 (1 + rate)`, at most
/// [`RELAX_MAX_TAU`]) and the recorded run starts from that stationary state;
/// warnings are appended to `warnings`.
pub fn rate_models(
    net: &Network,
    report: &StationaryReport,
    opts: &CompareOptions,
    warnings: &mut Vec<String>,
) -> Result<RateModels, CompareError> {
    let mf = &report.network;
    let fp = &report.primary().fixed_point;
    let t_stop = net.simulation.t_stop;
    let t_step_ms = opts
        .step
        .t_step_ms
        .unwrap_or(0.5 * (opts.warmup_ms.min(t_stop) + t_stop));
    if !(t_step_ms.is_finite() && t_step_ms >= 0.0 && t_step_ms < t_stop) {
        return Err(options_error(format!(
            "step onset must be in [0, t_stop = {t_stop}) ms, got {t_step_ms}"
        )));
    }
    let step_pa: Vec<f64> = match opts.step.step_pa {
        Some(x) if x.is_finite() => vec![x; mf.len()],
        Some(x) => return Err(options_error(format!("step must be finite, got {x} pA"))),
        None => mf
            .pops
            .iter()
            .map(|p| 0.05 * p.lif.v_th_mv * p.c_m_pf / p.lif.tau_m_ms)
            .collect(),
    };
    let step_mu_mv = mu_step_mv(mf, &step_pa);
    let rate_tau_ms = opts.step.rate_tau_ms.unwrap_or_else(|| {
        mf.pops
            .iter()
            .map(|p| p.lif.tau_m_ms)
            .fold(f64::NAN, f64::max)
    });
    if !(rate_tau_ms.is_finite() && rate_tau_ms > 0.0) {
        return Err(options_error(format!(
            "rate-model time constant must be > 0 ms, got {rate_tau_ms}"
        )));
    }
    let dt = net.simulation.dt;
    let run_opts = RunOpts {
        dt_ms: dt,
        t_stop_ms: t_stop,
        seed: 0,
        record_every: 1,
        method: Method::Exponential,
    };
    let epoch = |amplitude: Vec<f64>| Epoch {
        start_ms: t_step_ms,
        stop_ms: f64::INFINITY,
        amplitude,
    };
    let mut nonlinear = to_rate_network(mf, rate_tau_ms);
    let rate_err = |e: cortexsim_theory::rate::RateError| options_error(format!("rate model: {e}"));
    let (rate_model_rate_hz, relaxed) = relax(&nonlinear, dt).map_err(rate_err)?;
    if !relaxed {
        warnings.push(format!(
            "the Siegert rate model did not settle within {RELAX_MAX_TAU} time constants from 0 Hz; rate_model_rate_hz is its last value"
        ));
    }
    for (p, r) in nonlinear.pops.iter_mut().zip(&rate_model_rate_hz) {
        p.r0_hz = *r;
    }
    nonlinear.schedules.push(epoch(step_mu_mv.clone()));
    let nonlinear_run = rate::run(&nonlinear, &run_opts).map_err(rate_err)?;
    let mut linearised = linearised_rate_network(mf, fp);
    let amp = linearised.input_of_mu_step(&step_mu_mv);
    linearised.network.schedules.push(epoch(amp));
    let linearised_run = rate::run(&linearised.network, &run_opts).map_err(rate_err)?;
    Ok(RateModels {
        t_step_ms,
        step_pa,
        step_mu_mv,
        rate_tau_ms,
        nonlinear,
        nonlinear_run,
        rate_model_rate_hz,
        linearised,
        linearised_run,
    })
}

/// Spiking population rates around the step (module docs, "Step response").
#[derive(Clone, Debug, PartialEq)]
pub struct StepResponse {
    /// Bin centres, ms.
    pub t_ms: Vec<f64>,
    /// Bin width, ms.
    pub bin_ms: f64,
    /// Half-width of the centred moving average, bins.
    pub smooth_bins: usize,
    /// Smoothed population rates, Hz, `[pop][bin]`.
    pub rates_hz: Vec<Vec<f64>>,
    /// Mean spiking rate in `[warmup, t_step)` and in the last half of
    /// `[t_step, t_stop)`, Hz.
    pub before_hz: Vec<f64>,
    pub after_hz: Vec<f64>,
}

/// Simulate `net` with the step of `models` added as `dc` stimuli to every
/// population from `t_step` to `t_stop` and return binned (1 ms, or `dt` if
/// larger) population rates, smoothed by a centred 5-bin moving average.
pub fn step_response(
    net: &Network,
    models: &RateModels,
    opts: &CompareOptions,
) -> Result<StepResponse, CompareError> {
    let mut sim_net = net.clone();
    let dt = net.simulation.dt;
    let bin_steps = (1.0 / dt).round().max(1.0);
    let bin_ms = bin_steps * dt;
    sim_net.recorders.rate_bin = bin_ms;
    sim_net.recorders.spikes.clear();
    sim_net.recorders.clear_analog();
    for (p, &amp) in models.step_pa.iter().enumerate() {
        sim_net.stimuli.push(Stimulus {
            target: p,
            kind: StimulusKind::Dc { amplitude: amp },
            start: models.t_step_ms,
            stop: net.simulation.t_stop,
            receptor: None,
        });
    }
    let mut sim = Simulation::build(
        &sim_net,
        &BuildOptions {
            threads: opts.threads,
            max_memory: opts.max_memory,
            keep_spikes: false,
            ..Default::default()
        },
    )?;
    sim.run_for(net.simulation.steps, |_| {})?;
    let smooth_bins = 2usize;
    let warm = opts.warmup_ms;
    let mut t_ms = Vec::new();
    let mut rates_hz = Vec::new();
    let (mut before_hz, mut after_hz) = (Vec::new(), Vec::new());
    for (p, bins) in sim.recording.rate_bins.iter().enumerate() {
        let n = net.populations[p].size as f64;
        let raw: Vec<f64> = bins
            .iter()
            .map(|&c| c as f64 / (n * bin_ms * 1e-3))
            .collect();
        let smooth = crate::analysis::moving_average(&raw, smooth_bins);
        let centre = |k: usize| (k as f64 + 0.5) * bin_ms;
        let mean_in = |a: f64, b: f64| {
            let v: Vec<f64> = (0..raw.len())
                .filter(|&k| centre(k) >= a && centre(k) < b)
                .map(|k| raw[k])
                .collect();
            v.iter().sum::<f64>() / v.len().max(1) as f64
        };
        let t_end = net.simulation.t_stop;
        before_hz.push(mean_in(warm.min(models.t_step_ms), models.t_step_ms));
        after_hz.push(mean_in(0.5 * (models.t_step_ms + t_end), t_end));
        if p == 0 {
            t_ms = (0..raw.len()).map(centre).collect();
        }
        rates_hz.push(smooth);
    }
    Ok(StepResponse {
        t_ms,
        bin_ms,
        smooth_bins,
        rates_hz,
        before_hz,
        after_hz,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_error_of_the_mean() {
        let (m, se) = mean_and_se(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        // sd = sqrt(5/3), se = sd / 2
        assert!((se - (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-15);
        assert!(mean_and_se(&[1.0]).1.is_nan());
    }

    fn one_pop(t_stop: f64, ext: &str) -> Network {
        Network::from_toml_str(&format!(
            r#"
[simulation]
t_stop = {t_stop:?}
[[populations]]
name = "P"
size = 20
model = "iaf_psc_delta"
params = {{ tau_m = 20.0, V_th = -50.0, E_L = -70.0, V_reset = -70.0 }}
{ext}
"#
        ))
        .unwrap()
    }

    #[test]
    fn options_are_checked_before_simulating() {
        let net = one_pop(50.0, "");
        let few = CompareOptions {
            blocks: 5,
            ..Default::default()
        };
        assert!(matches!(compare(&net, &few), Err(CompareError::Options(_))));
        let long = CompareOptions {
            warmup_ms: 49.5,
            ..Default::default()
        };
        let e = compare(&net, &long).unwrap_err();
        assert!(e.to_string().contains("warm-up"), "{e}");
    }

    #[test]
    fn silent_population_has_no_relative_error() {
        let net = one_pop(50.0, "");
        let (rep, cmp) = compare(
            &net,
            &CompareOptions {
                warmup_ms: 10.0,
                threads: 1,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(rep.primary().fixed_point.rates_hz, vec![0.0]);
        let p = &cmp.populations[0];
        assert_eq!(p.spiking_rate_hz, 0.0);
        assert_eq!(p.rel_error, None);
        assert_eq!(cmp.max_abs_rel_error, None);
        assert_eq!(p.block_rates_hz.len(), 20);
        assert!((cmp.analysed_ms - 40.0).abs() < 1e-9);
    }

    /// Suprathreshold DC: the neuron fires regularly; rate = 1/(t_ref + tau ln(mu/(mu - theta)))
    /// on the grid, CV = 0 in both.
    #[test]
    fn regular_firing_under_dc() {
        let net = one_pop(
            2100.0,
            "[[stimuli]]\nkind = \"dc\"\ntarget = \"P\"\namplitude = 300.0\n",
        );
        let (_, cmp) = compare(
            &net,
            &CompareOptions {
                threads: 1,
                ..Default::default()
            },
        )
        .unwrap();
        let p = &cmp.populations[0];
        // mu = 300 pA * 20 ms / 250 pF = 24 mV; 1/(2 + 20 ln 6) ms = 26.2 Hz
        let nu = 1e3 / (2.0 + 20.0 * (24.0f64 / 4.0).ln());
        assert!((p.meanfield_rate_hz - nu).abs() < 1e-9 * nu);
        // spiking: the identical neurons fire in sync, so the count over the analysed
        // 2 s is quantised to whole spikes (0.5 Hz); the ISI is on the 0.1 ms grid.
        let quantum = 1.0 / (cmp.analysed_ms * 1e-3);
        assert!(
            (p.spiking_rate_hz - nu).abs() <= quantum + 0.005 * nu,
            "{p:?}"
        );
        assert!(p.spiking_cv_isi.unwrap() < 0.01);
        assert_eq!(p.meanfield_cv_isi, Some(0.0));
    }
}
