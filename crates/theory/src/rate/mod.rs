//! Rate-network integrator: one code path for every firing-rate model.
//!
//! A [`RateNetwork`] is a set of populations `i = 0..n`, each with a time constant
//! `τ_i` (ms), a transfer function `f_i` ([`Transfer`]), an optional lower clamp and an
//! initial rate, coupled by a dense matrix `W` stored row-major as `w[target * n + source]`
//! (row = receiving population, as everywhere in cortexsim). External drive is the sum of
//! a constant `bias`, step/pulse [`Epoch`]s and optional Ornstein–Uhlenbeck [`OuNoise`].
//!
//! The dynamics are the leaky-RNN form `τ_i da_i/dt = −a_i + f_i(Σ_j W_ij a_j + I_i(t))`.
//! One step of length `Δt` (the drive is held at its value at the start of the step):
//!
//! ```text
//! I_i   = bias_i + Σ_{epochs active at t} amplitude_i + ξ_i(t)        (this summation order)
//! x_i   = (Σ_j W_ij a_j(t)) + I_i                                      (sum over j in source order)
//! a_i  ← (1 − α_i) a_i + α_i f_i(x_i),   α_i = Δt/τ_i        (Method::Euler)
//!                                        α_i = 1 − e^{−Δt/τ_i} (Method::Exponential)
//! a_i  ← max(a_i, lower_clamp_i)                                       (if a clamp is set)
//! ```
//!
//! Populations with [`Transfer::Siegert`] (the LIF rate model derived from a spiking
//! network, NEST's `siegert_neuron`) also take a variance part
//! `σ²_i = Σ_j W2_ij a_j + bias2_i` ([`VarianceInput`], optional) and use
//! `f_i = Φ(x_i, σ_i)`; [`Transfer::Dendrite`] populations (the dendrites of
//! Froudist-Walsh et al. 2021) take the same second part as the size of their
//! inhibitory input; every other transfer ignores it, and networks without it behave
//! exactly as before.
//!
//! **Gating populations.** A population may instead have [`Kinetics::Gating`]: its state
//! is a synaptic gating variable `S_i` (dimensionless, e.g. the NMDA or GABA gating of the
//! Wong–Wang reduced models) driven by the rate `f_i(x_i)` of its input, usually a copy of
//! one rate population through a weight of 1 and [`Transfer::Linear`]:
//!
//! ```text
//! dS_i/dt = −S_i/τ_i + γ'_i (1 − S_i) f_i(x_i)     (saturating, NMDA)
//! dS_i/dt = −S_i/τ_i + γ'_i f_i(x_i)               (non-saturating, GABA)
//! γ'_i = 10⁻³ γ_i  (γ in the papers' units, rates in Hz and time in s; here t is in ms)
//! ```
//!
//! Both are linear in `S_i` for the input held over the step, `dS/dt = −k S + g`, with
//! `k = 1/τ + γ' f` (saturating) or `1/τ`, and `g = γ' f`, and use the same update form:
//!
//! ```text
//! S_i ← S_i + h (g − k S_i),   h = Δt              (Method::Euler)
//!                              h = (1 − e^{−k Δt})/k  (Method::Exponential; exact for a held input)
//! ```
//!
//! For a leaky population the same formula with `k = 1/τ`, `g = f/τ` is the update above, so
//! rate and gating populations share one network, one coupling matrix and one step loop
//! (the leaky path is kept literally as written above, so existing results are unchanged).
//! `r0` is the initial `S`, `lower_clamp` applies as for rates.
//!
//! All `x_i` are computed from the old state before any `a_i` changes. With `α = 1`
//! (`Δt = τ`, Euler) the update is exactly the Elman network `h_t = f(W h_{t−1} + I_t)`;
//! for `Δt → 0` it converges at first order to the ODE. The exponential variant is exact
//! for an uncoupled linear population with piecewise-constant input.
//!
//! An epoch is active at the start time `t = k Δt` of a step when `start_ms ≤ t < stop_ms`.
//! OU noise uses the exact update `ξ ← ξ e^{−Δt/τ} + σ √(1 − e^{−2Δt/τ}) N(0,1)`, starts in
//! its stationary distribution and is drawn from a Xoshiro256++ stream seeded with
//! `RunOpts::seed`, one draw per population per step in population order.
//!
//! Units are those of the model: rates in Hz, times in ms; `W`, `bias` and amplitudes are
//! in whatever unit the transfer function takes (pA for a gain in Hz/pA, Hz for "rate
//! units" where the gain is folded into `W`, as in Chaudhuri 2015 and Joglekar 2018).
//!
//! Coupling is stored dense (the user-facing shape) but the step loop walks a CSR copy of
//! its non-zero entries, built once per run; nothing is allocated inside the loop.

pub mod analysis;

use crate::meanfield::{LifParams, phi};
use cortexsim_core::error::SpecError;
use rand::RngExt;
use rand::SeedableRng;
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Transfer function `f(x)` mapping the total input of a population to a rate (Hz).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Transfer {
    /// `gain · max(x − threshold, 0)`; `gain` in Hz per input unit.
    ThresholdLinear { gain: f64, threshold: f64 },
    /// Abbott–Chance fit of the LIF transfer function, `(a x − b) / (1 − exp(−d (a x − b)))`;
    /// `a` in Hz/nA, `b` in Hz, `d` in s (input `x` in nA).
    AbbottChance { a: f64, b: f64, d: f64 },
    /// `max_rate / (1 + exp(−gain (x − threshold)))`.
    Sigmoid {
        max_rate: f64,
        gain: f64,
        threshold: f64,
    },
    /// `tanh(x)`.
    Tanh,
    /// `max(x, 0)`.
    Relu,
    /// `x`.
    Linear,
    /// Stationary rate of a LIF population in the diffusion approximation,
    /// `Phi(mu, sigma)` of [`crate::meanfield::phi`] (Siegert formula with the
    /// Fourcaud–Brunel shift for exponential synapses): the input `x` is the mean
    /// `mu` (mV relative to E_L) and the variance part of the network
    /// ([`RateNetwork::variance`]) gives `sigma²` (mV²); without a variance part
    /// `sigma = 0` (noiseless LIF rate). This is NEST's `siegert_neuron` transfer.
    Siegert { lif: LifParams },
    /// Dendritic input–output function of Yang, Murray & Wang (2016), the dendrite of
    /// Froudist-Walsh et al. (2021): `c1 tanh((x − c3 y + c4)/(c5 e^{y/c6})) + c2`, with
    /// `x` the excitatory input and `y ≥ 0` the size of the inhibitory input, which the
    /// network gives as the second input part ([`RateNetwork::variance`], whose `w2` then
    /// holds the inhibitory weights' sizes); the output is a current (pA), fed to the soma.
    Dendrite {
        c1: f64,
        c2: f64,
        c3: f64,
        c4: f64,
        c5: f64,
        c6: f64,
    },
}

impl Transfer {
    /// Evaluate `f(x)` (for [`Transfer::Siegert`] with `sigma = 0`; see
    /// [`Transfer::apply_with_variance`]).
    #[inline]
    pub fn apply(&self, x: f64) -> f64 {
        self.apply_with_variance(x, 0.0)
    }

    /// Evaluate `f(x)` when the population also receives the second input part `var`:
    /// the input variance of [`Transfer::Siegert`] (as `sigma = sqrt(max(var, 0))`), the
    /// inhibitory input of [`Transfer::Dendrite`]; every other transfer ignores it.
    #[inline]
    pub fn apply_with_variance(&self, x: f64, var: f64) -> f64 {
        match *self {
            Transfer::Siegert { lif } => phi(&lif, x, var.max(0.0).sqrt()),
            Transfer::ThresholdLinear { gain, threshold } => gain * (x - threshold).max(0.0),
            Transfer::AbbottChance { a, b, d } => {
                let z = a * x - b;
                let dz = d * z;
                if dz.abs() < 1e-9 {
                    // z / (1 − e^{−dz}) = 1/d + z/2 + O(d z²)
                    1.0 / d + 0.5 * z
                } else {
                    z / (1.0 - (-dz).exp())
                }
            }
            Transfer::Sigmoid {
                max_rate,
                gain,
                threshold,
            } => max_rate / (1.0 + (-gain * (x - threshold)).exp()),
            Transfer::Tanh => x.tanh(),
            Transfer::Dendrite {
                c1,
                c2,
                c3,
                c4,
                c5,
                c6,
            } => c1 * ((x - c3 * var + c4) / (c5 * (var / c6).exp())).tanh() + c2,
            Transfer::Relu => x.max(0.0),
            Transfer::Linear => x,
        }
    }

    fn validate(&self, path: &str) -> Result<(), SpecError> {
        let finite = |name: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(SpecError::new(format!("{path}.{name}"), "must be finite"))
            }
        };
        match *self {
            Transfer::ThresholdLinear { gain, threshold } => {
                finite("gain", gain)?;
                finite("threshold", threshold)
            }
            Transfer::AbbottChance { a, b, d } => {
                finite("a", a)?;
                finite("b", b)?;
                finite("d", d)?;
                if d <= 0.0 {
                    return Err(SpecError::new(format!("{path}.d"), "must be > 0"));
                }
                Ok(())
            }
            Transfer::Sigmoid {
                max_rate,
                gain,
                threshold,
            } => {
                finite("max_rate", max_rate)?;
                finite("gain", gain)?;
                finite("threshold", threshold)
            }
            Transfer::Tanh | Transfer::Relu | Transfer::Linear => Ok(()),
            Transfer::Dendrite {
                c1,
                c2,
                c3,
                c4,
                c5,
                c6,
            } => {
                for (k, v) in [
                    ("c1", c1),
                    ("c2", c2),
                    ("c3", c3),
                    ("c4", c4),
                    ("c5", c5),
                    ("c6", c6),
                ] {
                    finite(k, v)?;
                }
                if c5 <= 0.0 || c6 <= 0.0 {
                    return Err(SpecError::new(
                        format!("{path}.c5"),
                        "c5 and c6 must be > 0",
                    ));
                }
                Ok(())
            }
            Transfer::Siegert { lif } => lif
                .validate()
                .map_err(|e| SpecError::new(format!("{path}.lif"), e)),
        }
    }
}

/// How a population's state follows its input (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Kinetics {
    /// `τ da/dt = −a + f(x)`: a firing rate (the default).
    #[default]
    Leaky,
    /// `dS/dt = −S/τ + 10⁻³ γ (1 − S) f(x)` (`saturating`) or `−S/τ + 10⁻³ γ f(x)`:
    /// a synaptic gating variable; `γ` in the papers' units (rates in Hz, time in s).
    Gating { gamma: f64, saturating: bool },
}

/// One rate population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatePop {
    /// Unique name, e.g. `V1.E`.
    pub name: String,
    /// Time constant (ms), > 0.
    pub tau_ms: f64,
    /// Transfer function.
    pub transfer: Transfer,
    /// Rates are clamped from below at this value (Hz) after every step.
    pub lower_clamp_hz: Option<f64>,
    /// Initial rate (Hz).
    pub r0_hz: f64,
}

/// A step/pulse epoch: `amplitude[i]` is added to the drive of population `i` while
/// `start_ms ≤ t < stop_ms` (use `f64::INFINITY` for a step that never ends).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Epoch {
    /// Start time (ms), inclusive.
    pub start_ms: f64,
    /// Stop time (ms), exclusive.
    pub stop_ms: f64,
    /// Added drive per population (input units), length `n`.
    pub amplitude: Vec<f64>,
}

/// Ornstein–Uhlenbeck noise added to the drive; independent per population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OuNoise {
    /// Correlation time (ms), > 0.
    pub tau_ms: f64,
    /// Stationary standard deviation per population (input units), length `n`.
    pub sigma: Vec<f64>,
}

/// A rate network (see the module docs for the dynamics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateNetwork {
    pub pops: Vec<RatePop>,
    /// Coupling, row-major `[target * n + source]`, length `n²`.
    pub w: Vec<f64>,
    /// Constant drive per population (input units), length `n`.
    pub bias: Vec<f64>,
    /// Step/pulse epochs.
    pub schedules: Vec<Epoch>,
    /// Optional OU noise.
    pub noise: Option<OuNoise>,
    /// Optional second input part (the variance of [`Transfer::Siegert`], the inhibition
    /// of [`Transfer::Dendrite`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variance: Option<VarianceInput>,
    /// Optional kinetics per population (length `n`); `None`: every population is
    /// [`Kinetics::Leaky`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kinetics: Option<Vec<Kinetics>>,
}

/// Variance part of the input of every population: `sigma²_i = Σ_j W2_ij a_j + bias2_i`
/// (evaluated, like the mean part, from the state at the start of the step). Only
/// [`Transfer::Siegert`] populations consume it as a variance, and
/// [`Transfer::Dendrite`] populations as the size of their inhibitory input; epochs and
/// noise act on the mean only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VarianceInput {
    /// Variance coupling, row-major `[target * n + source]`, length `n²`, >= 0.
    pub w2: Vec<f64>,
    /// Constant variance per population, length `n`, >= 0.
    pub bias2: Vec<f64>,
}

impl RateNetwork {
    /// A network of `pops` with zero coupling, zero bias, no schedules and no noise.
    pub fn new(pops: Vec<RatePop>) -> Self {
        let n = pops.len();
        RateNetwork {
            pops,
            w: vec![0.0; n * n],
            bias: vec![0.0; n],
            schedules: Vec::new(),
            noise: None,
            variance: None,
            kinetics: None,
        }
    }

    /// Kinetics of population `i`.
    pub fn kinetics_of(&self, i: usize) -> Kinetics {
        self.kinetics
            .as_ref()
            .and_then(|k| k.get(i).copied())
            .unwrap_or_default()
    }

    /// Set the kinetics of population `i` (allocating the per-population list).
    pub fn set_kinetics(&mut self, i: usize, k: Kinetics) {
        let n = self.n();
        self.kinetics
            .get_or_insert_with(|| vec![Kinetics::Leaky; n])[i] = k;
    }

    /// Number of populations.
    pub fn n(&self) -> usize {
        self.pops.len()
    }

    /// Index of the population called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.pops.iter().position(|p| p.name == name)
    }

    /// Coupling from `source` onto `target`.
    pub fn weight(&self, target: usize, source: usize) -> f64 {
        self.w[target * self.n() + source]
    }

    /// Set the coupling from `source` onto `target`.
    pub fn set_weight(&mut self, target: usize, source: usize, value: f64) {
        let n = self.n();
        self.w[target * n + source] = value;
    }

    /// Check shapes and values; errors name the offending field.
    pub fn validate(&self) -> Result<(), SpecError> {
        let n = self.n();
        if n == 0 {
            return Err(SpecError::new(
                "rate_populations",
                "network has no populations",
            ));
        }
        for (i, p) in self.pops.iter().enumerate() {
            let path = format!("rate_populations[{i}]");
            if !(p.tau_ms > 0.0 && p.tau_ms.is_finite()) {
                return Err(SpecError::new(
                    format!("{path}.tau"),
                    format!("must be a finite number > 0 ms, got {}", p.tau_ms),
                ));
            }
            if !p.r0_hz.is_finite() {
                return Err(SpecError::new(format!("{path}.r0"), "must be finite"));
            }
            if let Some(c) = p.lower_clamp_hz
                && !c.is_finite()
            {
                return Err(SpecError::new(
                    format!("{path}.lower_clamp"),
                    "must be finite",
                ));
            }
            p.transfer.validate(&format!("{path}.transfer"))?;
            if self.pops[..i].iter().any(|q| q.name == p.name) {
                return Err(SpecError::new(
                    format!("{path}.name"),
                    format!("duplicate population name `{}`", p.name),
                ));
            }
        }
        if self.w.len() != n * n {
            return Err(SpecError::new(
                "rate_projections",
                format!("coupling has {} entries, expected {}", self.w.len(), n * n),
            ));
        }
        if let Some(k) = self.w.iter().position(|v| !v.is_finite()) {
            return Err(SpecError::new(
                "rate_projections",
                format!(
                    "weight {} <- {} is not finite",
                    self.pops[k / n].name,
                    self.pops[k % n].name
                ),
            ));
        }
        if self.bias.len() != n || self.bias.iter().any(|v| !v.is_finite()) {
            return Err(SpecError::new(
                "bias",
                format!("need {n} finite values, got {:?}", self.bias),
            ));
        }
        for (k, e) in self.schedules.iter().enumerate() {
            let path = format!("stimuli[{k}]");
            if e.amplitude.len() != n || e.amplitude.iter().any(|v| !v.is_finite()) {
                return Err(SpecError::new(
                    format!("{path}.amplitude"),
                    format!("need {n} finite values"),
                ));
            }
            if e.start_ms.is_nan() || e.stop_ms.is_nan() || e.stop_ms < e.start_ms {
                return Err(SpecError::new(
                    format!("{path}.stop"),
                    format!("stop ({}) must be >= start ({})", e.stop_ms, e.start_ms),
                ));
            }
        }
        if let Some(v) = &self.variance {
            if v.w2.len() != n * n || v.w2.iter().any(|x| !(x.is_finite() && *x >= 0.0)) {
                return Err(SpecError::new(
                    "variance.w2",
                    format!("need {} finite values >= 0", n * n),
                ));
            }
            if v.bias2.len() != n || v.bias2.iter().any(|x| !(x.is_finite() && *x >= 0.0)) {
                return Err(SpecError::new(
                    "variance.bias2",
                    format!("need {n} finite values >= 0"),
                ));
            }
        }
        if let Some(ks) = &self.kinetics {
            if ks.len() != n {
                return Err(SpecError::new(
                    "kinetics",
                    format!("need {n} entries, got {}", ks.len()),
                ));
            }
            for (i, k) in ks.iter().enumerate() {
                if let Kinetics::Gating { gamma, .. } = k
                    && !gamma.is_finite()
                {
                    return Err(SpecError::new(
                        format!("rate_populations[{i}].kinetics.gamma"),
                        "must be finite",
                    ));
                }
            }
        }
        if let Some(ou) = &self.noise {
            if !(ou.tau_ms > 0.0 && ou.tau_ms.is_finite()) {
                return Err(SpecError::new(
                    "noise.tau",
                    "must be a finite number > 0 ms",
                ));
            }
            if ou.sigma.len() != n || ou.sigma.iter().any(|s| !(s.is_finite() && *s >= 0.0)) {
                return Err(SpecError::new(
                    "noise.sigma",
                    format!("need {n} finite values >= 0"),
                ));
            }
        }
        Ok(())
    }
}

/// Integration method (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Forward Euler, `α = Δt/τ` (the leaky-RNN discretisation).
    #[default]
    Euler,
    /// Exponential Euler, `α = 1 − e^{−Δt/τ}`.
    Exponential,
}

/// Run settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOpts {
    /// Step (ms), > 0.
    pub dt_ms: f64,
    /// Duration (ms); the run makes `round(t_stop_ms / dt_ms)` steps.
    pub t_stop_ms: f64,
    /// Seed of the noise stream.
    pub seed: u64,
    /// Record every this many steps (≥ 1); sample 0 is the initial state.
    pub record_every: usize,
    /// Integration method.
    pub method: Method,
}

impl RunOpts {
    /// Euler, seed 0, every step recorded.
    pub fn new(dt_ms: f64, t_stop_ms: f64) -> Self {
        RunOpts {
            dt_ms,
            t_stop_ms,
            seed: 0,
            record_every: 1,
            method: Method::Euler,
        }
    }

    /// Number of steps the run makes.
    pub fn n_steps(&self) -> u64 {
        (self.t_stop_ms / self.dt_ms).round() as u64
    }

    /// Smallest time step, ms (the spiking engine's bound too): below it a typo (`1e-9`)
    /// asks for 10^12 steps of a one-second run.
    pub const MIN_DT_MS: f64 = 1e-6;

    /// Bytes a run of `n` populations holds: the recorded samples (time and one rate per
    /// population, 8 bytes each) plus the couplings (dense and CSR, 8 + 16 bytes per pair)
    /// and 1 MiB of fixed costs. Checked against the available memory before allocating
    /// (`cortexsim run` on a rate file, `--max-memory`).
    pub fn memory_bytes(&self, n: usize) -> u64 {
        let samples = self.n_steps() / self.record_every.max(1) as u64 + 1;
        let n = n as u64;
        samples
            .saturating_mul(n + 1)
            .saturating_mul(8)
            .saturating_add(n.saturating_mul(n).saturating_mul(24))
            .saturating_add(1 << 20)
    }

    fn validate(&self) -> Result<(), SpecError> {
        if !(self.dt_ms > 0.0 && self.dt_ms.is_finite()) {
            return Err(SpecError::new(
                "simulation.dt",
                "must be a finite number > 0 ms",
            ));
        }
        if self.dt_ms < Self::MIN_DT_MS {
            return Err(SpecError::new(
                "simulation.dt",
                format!(
                    "time step {} ms is below the supported {} ms",
                    cortexsim_core::fmt::num(self.dt_ms),
                    cortexsim_core::fmt::num(Self::MIN_DT_MS)
                ),
            ));
        }
        if !(self.t_stop_ms >= 0.0 && self.t_stop_ms.is_finite()) {
            return Err(SpecError::new(
                "simulation.t_stop",
                "must be a finite number >= 0 ms",
            ));
        }
        if self.record_every == 0 {
            return Err(SpecError::new("simulation.record_every", "must be >= 1"));
        }
        if (self.t_stop_ms / self.dt_ms) >= 2f64.powi(53) {
            return Err(SpecError::new(
                "simulation.t_stop",
                format!(
                    "{} ms is {} steps of dt = {} ms: too many",
                    cortexsim_core::fmt::num(self.t_stop_ms),
                    cortexsim_core::fmt::num(self.t_stop_ms / self.dt_ms),
                    cortexsim_core::fmt::num(self.dt_ms)
                ),
            ));
        }
        Ok(())
    }
}

/// Errors of a rate run.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum RateError {
    /// Invalid network or run settings.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A rate became NaN or infinite.
    #[error(
        "rate of population `{population}` is not finite at t = {t_ms} ms (unstable network or step too large)"
    )]
    Diverged { population: String, t_ms: f64 },
}

/// Per-population summary of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopSummary {
    pub name: String,
    /// Mean over recorded samples (Hz).
    pub mean_hz: f64,
    /// Minimum over recorded samples (Hz).
    pub min_hz: f64,
    /// Maximum over recorded samples (Hz).
    pub max_hz: f64,
}

/// Recorded rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateRun {
    /// Population names, in network order.
    pub pop_names: Vec<String>,
    /// Integration step (ms).
    pub dt_ms: f64,
    /// Sample times (ms).
    pub t_ms: Vec<f64>,
    /// Rates (Hz), `[pop][sample]`.
    pub rates: Vec<Vec<f64>>,
}

impl RateRun {
    /// Index of population `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.pop_names.iter().position(|p| p == name)
    }

    /// Recorded rates of population `name`.
    pub fn series(&self, name: &str) -> Option<&[f64]> {
        self.index_of(name).map(|i| self.rates[i].as_slice())
    }

    /// Sampling interval (ms) of the recording.
    pub fn sample_interval_ms(&self) -> f64 {
        if self.t_ms.len() >= 2 {
            self.t_ms[1] - self.t_ms[0]
        } else {
            self.dt_ms
        }
    }

    /// Mean, min and max of every population over all samples.
    pub fn summary(&self) -> Vec<PopSummary> {
        self.pop_names
            .iter()
            .zip(&self.rates)
            .map(|(name, r)| {
                let (mut lo, mut hi, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
                for &v in r {
                    lo = lo.min(v);
                    hi = hi.max(v);
                    sum += v;
                }
                PopSummary {
                    name: name.clone(),
                    mean_hz: sum / r.len().max(1) as f64,
                    min_hz: lo,
                    max_hz: hi,
                }
            })
            .collect()
    }
}

/// Integrate `net` with `opts` (see the module docs for the exact update) and record
/// every `record_every`-th state.
pub fn run(net: &RateNetwork, opts: &RunOpts) -> Result<RateRun, RateError> {
    net.validate()?;
    opts.validate()?;
    let n = net.n();
    let n_steps = opts.n_steps();
    let n_samples = (n_steps / opts.record_every as u64) as usize + 1;
    // Reserved, not assumed: a run too long for memory is an error, not an abort.
    let too_big = || {
        SpecError::new(
            "simulation.t_stop",
            format!(
                "recording {n_samples} samples of {n} populations needs about {} MiB of memory, more than can be allocated (raise simulation.dt or record_every, or shorten t_stop)",
                opts.memory_bytes(n) >> 20
            ),
        )
    };
    let mut t_ms = Vec::new();
    t_ms.try_reserve_exact(n_samples).map_err(|_| too_big())?;
    let mut rates: Vec<Vec<f64>> = Vec::with_capacity(n);
    for _ in 0..n {
        let mut r = Vec::new();
        r.try_reserve_exact(n_samples).map_err(|_| too_big())?;
        rates.push(r);
    }
    let record = |t: f64, a: &[f64], t_ms: &mut Vec<f64>, rates: &mut Vec<Vec<f64>>| {
        t_ms.push(t);
        for (r, &v) in rates.iter_mut().zip(a) {
            r.push(v);
        }
    };
    let a0: Vec<f64> = net.pops.iter().map(|p| p.r0_hz).collect();
    record(0.0, &a0, &mut t_ms, &mut rates);
    let dt = opts.dt_ms;
    let every = opts.record_every as u64;
    integrate(net, opts, |step, a, _| {
        if (step + 1) % every == 0 {
            record((step + 1) as f64 * dt, a, &mut t_ms, &mut rates);
        }
    })?;
    Ok(RateRun {
        pop_names: net.pops.iter().map(|p| p.name.clone()).collect(),
        dt_ms: dt,
        t_ms,
        rates,
    })
}

/// Pool rate of population `i` in one step of [`integrate`]: the state of a leaky
/// population (a rate), the transfer output `f_i(x_i)` of a gating population (the firing
/// rate of the pool whose synapses it gates, e.g. `r_i = H(x_i)` of Wong–Wang 2006).
pub fn pool_rate(net: &RateNetwork, i: usize, state: &[f64], output: &[f64]) -> f64 {
    match net.kinetics_of(i) {
        Kinetics::Leaky => state[i],
        Kinetics::Gating { .. } => output[i],
    }
}

/// The integrator itself: makes `opts.n_steps()` steps of `net` from its initial state
/// and calls `on_step(k, state, output)` after step `k` (0-based), with `state` the state
/// at `t = (k + 1) Δt` and `output[i] = f_i(x_i)` the transfer output used by step `k`
/// (from the state, drive and noise at `t = k Δt`). [`run`] records through it; protocols
/// that need no full recording (many trials) read the steps as they come.
pub fn integrate(
    net: &RateNetwork,
    opts: &RunOpts,
    mut on_step: impl FnMut(u64, &[f64], &[f64]),
) -> Result<(), RateError> {
    net.validate()?;
    opts.validate()?;
    let n = net.n();
    let dt = opts.dt_ms;
    let n_steps = opts.n_steps();

    // CSR copy of the non-zero couplings, rows = targets, sources in increasing order.
    let mut row_ptr = Vec::with_capacity(n + 1);
    let mut cols: Vec<usize> = Vec::new();
    let mut vals: Vec<f64> = Vec::new();
    row_ptr.push(0);
    for i in 0..n {
        for j in 0..n {
            let v = net.w[i * n + j];
            if v != 0.0 {
                cols.push(j);
                vals.push(v);
            }
        }
        row_ptr.push(cols.len());
    }

    let alpha: Vec<f64> = net
        .pops
        .iter()
        .map(|p| match opts.method {
            Method::Euler => dt / p.tau_ms,
            Method::Exponential => -(-dt / p.tau_ms).exp_m1(),
        })
        .collect();
    // Gating populations: (1/τ, 10⁻³ γ, saturating); `None` for leaky ones.
    let gating: Vec<Option<(f64, f64, bool)>> = (0..n)
        .map(|i| match net.kinetics_of(i) {
            Kinetics::Leaky => None,
            Kinetics::Gating { gamma, saturating } => {
                Some((1.0 / net.pops[i].tau_ms, 1e-3 * gamma, saturating))
            }
        })
        .collect();
    let method = opts.method;

    let mut rng = Xoshiro256PlusPlus::seed_from_u64(opts.seed);
    let (ou_decay, ou_kick) = match &net.noise {
        Some(ou) => {
            let e = (-dt / ou.tau_ms).exp();
            (e, (1.0 - e * e).sqrt())
        }
        None => (0.0, 0.0),
    };
    let mut xi: Vec<f64> = match &net.noise {
        Some(ou) => ou
            .sigma
            .iter()
            .map(|s| s * rng.sample::<f64, _>(StandardNormal))
            .collect(),
        None => Vec::new(),
    };

    let mut a: Vec<f64> = net.pops.iter().map(|p| p.r0_hz).collect();
    let mut drive = vec![0.0; n];
    let mut x = vec![0.0; n];
    let mut var = vec![0.0; n];
    let mut out = vec![0.0; n];
    // Variance part: CSR copy like the coupling.
    let var_csr = net.variance.as_ref().map(|v| {
        let mut ptr = vec![0];
        let (mut c, mut w) = (Vec::new(), Vec::new());
        for i in 0..n {
            for j in 0..n {
                if v.w2[i * n + j] != 0.0 {
                    c.push(j);
                    w.push(v.w2[i * n + j]);
                }
            }
            ptr.push(c.len());
        }
        (ptr, c, w, v.bias2.clone())
    });

    for step in 0..n_steps {
        let t = step as f64 * dt;
        drive.copy_from_slice(&net.bias);
        for e in &net.schedules {
            if e.start_ms <= t && t < e.stop_ms {
                for (d, amp) in drive.iter_mut().zip(&e.amplitude) {
                    *d += amp;
                }
            }
        }
        if let Some(ou) = &net.noise {
            for ((d, x), s) in drive.iter_mut().zip(xi.iter_mut()).zip(&ou.sigma) {
                *d += *x;
                *x = *x * ou_decay + s * ou_kick * rng.sample::<f64, _>(StandardNormal);
            }
        }
        for i in 0..n {
            let mut s = 0.0;
            for k in row_ptr[i]..row_ptr[i + 1] {
                s += vals[k] * a[cols[k]];
            }
            x[i] = s + drive[i];
        }
        if let Some((ptr, c, w, b2)) = &var_csr {
            for i in 0..n {
                let mut s = 0.0;
                for k in ptr[i]..ptr[i + 1] {
                    s += w[k] * a[c[k]];
                }
                var[i] = s + b2[i];
            }
        }
        for i in 0..n {
            let p = &net.pops[i];
            let f = p.transfer.apply_with_variance(x[i], var[i]);
            out[i] = f;
            let mut v = match gating[i] {
                None => (1.0 - alpha[i]) * a[i] + alpha[i] * f,
                Some((inv_tau, g, saturating)) => {
                    let k = if saturating { inv_tau + g * f } else { inv_tau };
                    let h = match method {
                        Method::Euler => dt,
                        Method::Exponential if (k * dt).abs() > 1e-12 => -(-k * dt).exp_m1() / k,
                        Method::Exponential => dt,
                    };
                    a[i] + h * (g * f - k * a[i])
                }
            };
            if let Some(c) = p.lower_clamp_hz {
                v = v.max(c);
            }
            if !v.is_finite() {
                return Err(RateError::Diverged {
                    population: p.name.clone(),
                    t_ms: t + dt,
                });
            }
            a[i] = v;
        }
        on_step(step, &a, &out);
    }
    Ok(())
}

impl RateNetwork {
    /// The noise-free transfer outputs `f_i(x_i)` at time `t_ms` and state `a`: the drive
    /// is `bias` plus the epochs active at `t_ms` (no noise), `x_i = Σ_j W_ij a_j + drive_i`.
    /// For a gating population this is the rate of its pool ([`pool_rate`]).
    pub fn transfer_outputs(&self, t_ms: f64, a: &[f64], out: &mut [f64]) {
        let n = self.n();
        let dot = |row: &[f64]| row.iter().zip(a).fold(0.0, |s, (w, x)| s + w * x);
        for (i, o) in out.iter_mut().enumerate().take(n) {
            let mut d = self.bias[i];
            for e in &self.schedules {
                if e.start_ms <= t_ms && t_ms < e.stop_ms {
                    d += e.amplitude[i];
                }
            }
            let x = dot(&self.w[i * n..(i + 1) * n]);
            let var = self
                .variance
                .as_ref()
                .map_or(0.0, |v| dot(&v.w2[i * n..(i + 1) * n]) + v.bias2[i]);
            *o = self.pops[i].transfer.apply_with_variance(x + d, var);
        }
    }

    /// The noise-free right-hand side of the dynamics at time `t_ms` and state `a`:
    /// `da_i/dt` per ms, written to `da` (same length as `a`). Leaky: `(f_i(x_i) − a_i)/τ_i`;
    /// gating: `−S_i/τ_i + 10⁻³ γ_i (1 − S_i) f_i(x_i)` (or without the `(1 − S_i)` factor),
    /// with `f_i(x_i)` from [`RateNetwork::transfer_outputs`]. The lower clamp is not part
    /// of it. This is the ODE the integrator discretises ([`integrate`] converges to it as
    /// `Δt → 0`); phase planes and fixed points are computed from it.
    pub fn vector_field(&self, t_ms: f64, a: &[f64], da: &mut [f64]) {
        self.transfer_outputs(t_ms, a, da);
        for i in 0..self.n() {
            let f = da[i];
            let tau = self.pops[i].tau_ms;
            da[i] = match self.kinetics_of(i) {
                Kinetics::Leaky => (f - a[i]) / tau,
                Kinetics::Gating { gamma, saturating } => {
                    let g = 1e-3 * gamma * f;
                    -a[i] / tau + if saturating { (1.0 - a[i]) * g } else { g }
                }
            };
        }
    }
}
