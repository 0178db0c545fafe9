//! Neuron models: parameters (NEST names and units), precomputed exact propagators,
//! state as structure-of-arrays, and the per-step update of a contiguous block of
//! neurons.
//!
//! Every model has four parts, as in NEST: parameters (`*Params`, user units), the
//! propagators computed once from the parameters and `dt` ([`Kernel`]), the state
//! ([`State`], potentials relative to `E_L`), and the input buffers, which live in
//! the engine's ring buffer (one channel for `iaf_psc_delta`, two — excitatory and
//! inhibitory, chosen by the sign of the weight — for the current-based models).
//!
//! Update order within one step `(t, t+h]`, identical to NEST 3:
//! 1. if not refractory, propagate `V` exactly over `h` using the currents of the
//!    previous state (and add the voltage jumps arriving in this step, `iaf_psc_delta`);
//!    else count the refractory step down;
//! 2. propagate the synaptic currents and add the weights of the spikes arriving in this
//!    step (they act on `V` from the next step on);
//! 3. if `V >= V_th`: spike stamped `t+h`, `V = V_reset`, refractory for
//!    `ceil(t_ref/h)` steps (NEST rounds an off-grid `t_ref` up).
//!
//! The three models are documented in their own files.

pub mod iaf_psc_alpha;
pub mod iaf_psc_delta;
pub mod iaf_psc_exp;
pub mod propagators;

use cortexsim_core::error::SpecError;
use cortexsim_core::reader::Obj;
use serde::Serialize;

pub use iaf_psc_alpha::AlphaParams;
pub use iaf_psc_delta::DeltaParams;
pub use iaf_psc_exp::ExpParams;

/// Names of the neuron models the engine integrates.
pub const MODEL_NAMES: &[&str] = &["iaf_psc_delta", "iaf_psc_exp", "iaf_psc_alpha"];

/// A neuron model with its parameters (NEST names, ms, mV, pF, pA).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "model", content = "params")]
pub enum NeuronModel {
    #[serde(rename = "iaf_psc_delta")]
    IafPscDelta(DeltaParams),
    #[serde(rename = "iaf_psc_exp")]
    IafPscExp(ExpParams),
    #[serde(rename = "iaf_psc_alpha")]
    IafPscAlpha(AlphaParams),
}

/// Parameters shared by all three LIF models (for the mean-field reduction and summaries).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LifCore {
    pub c_m: f64,
    pub tau_m: f64,
    pub t_ref: f64,
    pub e_l: f64,
    pub v_th: f64,
    pub v_reset: f64,
    pub i_e: f64,
}

impl NeuronModel {
    pub fn name(&self) -> &'static str {
        match self {
            NeuronModel::IafPscDelta(_) => "iaf_psc_delta",
            NeuronModel::IafPscExp(_) => "iaf_psc_exp",
            NeuronModel::IafPscAlpha(_) => "iaf_psc_alpha",
        }
    }

    /// Parse `model` + `params` (the table may be absent: NEST defaults).
    pub fn parse(model: &str, params: Option<&Obj>, path: &str) -> Result<NeuronModel, SpecError> {
        match model {
            "iaf_psc_delta" => Ok(NeuronModel::IafPscDelta(DeltaParams::parse(params)?)),
            "iaf_psc_exp" => Ok(NeuronModel::IafPscExp(ExpParams::parse(params)?)),
            "iaf_psc_alpha" => Ok(NeuronModel::IafPscAlpha(AlphaParams::parse(params)?)),
            other => {
                let hint = cortexsim_core::reader::did_you_mean(other, MODEL_NAMES.iter().copied())
                    .map(|h| format!("; did you mean \"{h}\"?"))
                    .unwrap_or_default();
                Err(SpecError::new(
                    path,
                    format!(
                        "unknown neuron model \"{other}\" (known: {}){hint}",
                        MODEL_NAMES.join(", ")
                    ),
                ))
            }
        }
    }

    pub fn core(&self) -> LifCore {
        match self {
            NeuronModel::IafPscDelta(p) => p.core,
            NeuronModel::IafPscExp(p) => p.core,
            NeuronModel::IafPscAlpha(p) => p.core,
        }
    }

    /// Number of input channels in the ring buffer (1: voltage jumps; 2: ex/in currents).
    pub fn channels(&self) -> usize {
        match self {
            NeuronModel::IafPscDelta(_) => 1,
            _ => 2,
        }
    }

    /// Unit of a synaptic weight onto this model.
    pub fn weight_unit(&self) -> &'static str {
        match self {
            NeuronModel::IafPscDelta(_) => "mV",
            _ => "pA",
        }
    }

    /// Synaptic time constants (ex, in) in ms; 0 for delta synapses.
    pub fn tau_syn(&self) -> (f64, f64) {
        match self {
            NeuronModel::IafPscDelta(_) => (0.0, 0.0),
            NeuronModel::IafPscExp(p) => (p.tau_syn_ex, p.tau_syn_in),
            NeuronModel::IafPscAlpha(p) => (p.tau_syn_ex, p.tau_syn_in),
        }
    }

    /// Refractory period in whole steps: `ceil(t_ref/dt)` (up to rounding noise),
    /// as NEST 3.10 does (t_ref = 1.3 ms at dt = 0.25 ms gives 6 steps, measured).
    pub fn refractory_steps(&self, dt: f64) -> u32 {
        refractory_steps(self.core().t_ref, dt)
    }

    pub fn kernel(&self, dt: f64) -> Kernel {
        let refr = self.refractory_steps(dt);
        match self {
            NeuronModel::IafPscDelta(p) => Kernel::Delta(p.kernel(dt, refr)),
            NeuronModel::IafPscExp(p) => Kernel::Exp(p.kernel(dt, refr)),
            NeuronModel::IafPscAlpha(p) => Kernel::Alpha(p.kernel(dt, refr)),
        }
    }
}

/// Read the LIF parameters common to all models, with NEST's defaults and aliases
/// (`C_m` or `c_m`, `V_th` or `v_th`, ...), and check the constraints.
pub(crate) fn parse_core(p: Option<&Obj>) -> Result<LifCore, SpecError> {
    let d = LifCore {
        c_m: 250.0,
        tau_m: 10.0,
        t_ref: 2.0,
        e_l: -70.0,
        v_th: -55.0,
        v_reset: -70.0,
        i_e: 0.0,
    };
    let Some(p) = p else { return Ok(d) };
    let c = LifCore {
        c_m: param(p, "c_m", "C_m", d.c_m)?,
        tau_m: param(p, "tau_m", "tau_m", d.tau_m)?,
        t_ref: param(p, "t_ref", "t_ref", d.t_ref)?,
        e_l: param(p, "e_l", "E_L", d.e_l)?,
        v_th: param(p, "v_th", "V_th", d.v_th)?,
        v_reset: param(p, "v_reset", "V_reset", d.v_reset)?,
        i_e: param(p, "i_e", "I_e", d.i_e)?,
    };
    if c.c_m <= 0.0 {
        return Err(p.err(
            key_used(p, "c_m", "C_m"),
            format!("membrane capacitance must be > 0 pF, got {}", c.c_m),
        ));
    }
    if c.tau_m <= 0.0 {
        return Err(p.err(
            key_used(p, "tau_m", "tau_m"),
            format!("membrane time constant must be > 0 ms, got {}", c.tau_m),
        ));
    }
    if c.t_ref < 0.0 {
        return Err(p.err(
            key_used(p, "t_ref", "t_ref"),
            format!("refractory period must be >= 0 ms, got {}", c.t_ref),
        ));
    }
    if c.v_reset >= c.v_th {
        return Err(p.err(
            key_used(p, "v_reset", "V_reset"),
            format!(
                "V_reset ({} mV) must be below V_th ({} mV)",
                c.v_reset, c.v_th
            ),
        ));
    }
    Ok(c)
}

/// Read `snake` or its NEST spelling `nest`; both at once is an error.
pub(crate) fn param(p: &Obj, snake: &str, nest: &str, default: f64) -> Result<f64, SpecError> {
    let a = p.f64_opt(snake)?;
    let b = if nest != snake {
        p.f64_opt(nest)?
    } else {
        None
    };
    match (a, b) {
        (Some(_), Some(_)) => Err(p.err(nest, format!("given twice (as `{snake}` and `{nest}`)"))),
        (Some(x), None) | (None, Some(x)) => Ok(x),
        (None, None) => Ok(default),
    }
}

pub(crate) fn param_or_inf(
    p: &Obj,
    snake: &str,
    nest: &str,
    default: f64,
) -> Result<f64, SpecError> {
    let a = p.f64_or_inf_opt(snake)?;
    let b = if nest != snake {
        p.f64_or_inf_opt(nest)?
    } else {
        None
    };
    match (a, b) {
        (Some(_), Some(_)) => Err(p.err(nest, format!("given twice (as `{snake}` and `{nest}`)"))),
        (Some(x), None) | (None, Some(x)) => Ok(x),
        (None, None) => Ok(default),
    }
}

pub(crate) fn key_used<'k>(p: &Obj, snake: &'k str, nest: &'k str) -> &'k str {
    if p.has(nest) { nest } else { snake }
}

/// `tau_syn_ex`, `tau_syn_in` (ms, > 0, NEST default 2 ms) of the current-based models.
pub(crate) fn parse_tau_syn(p: Option<&Obj>) -> Result<(f64, f64), SpecError> {
    let what = "synaptic time constant";
    Ok((
        positive_param(p, "tau_syn_ex", "tau_syn_ex", 2.0, what)?,
        positive_param(p, "tau_syn_in", "tau_syn_in", 2.0, what)?,
    ))
}

/// `V_min` (mV, lower bound of V; default -inf, `"-inf"` accepted).
pub(crate) fn parse_v_min(p: Option<&Obj>) -> Result<f64, SpecError> {
    match p {
        Some(p) => param_or_inf(p, "v_min", "V_min", f64::NEG_INFINITY),
        None => Ok(f64::NEG_INFINITY),
    }
}

pub(crate) fn positive_param(
    p: Option<&Obj>,
    snake: &str,
    nest: &str,
    default: f64,
    what: &str,
) -> Result<f64, SpecError> {
    let Some(p) = p else { return Ok(default) };
    let x = param(p, snake, nest, default)?;
    if x <= 0.0 {
        return Err(p.err(
            key_used(p, snake, nest),
            format!("{what} must be > 0 ms, got {x}"),
        ));
    }
    Ok(x)
}

/// `ceil(t_ref/dt)`, ignoring a relative excess below 1e-9 (so 2.0/0.1 gives 20).
pub fn refractory_steps(t_ref: f64, dt: f64) -> u32 {
    let x = t_ref / dt;
    let r = x.round();
    if (x - r).abs() <= 1e-9 * r.max(1.0) {
        r as u32
    } else {
        x.ceil() as u32
    }
}

/// Propagators of one population, computed once for `dt` (see each model's file).
#[derive(Debug, Clone)]
pub enum Kernel {
    Delta(iaf_psc_delta::DeltaKernel),
    Exp(iaf_psc_exp::ExpKernel),
    Alpha(iaf_psc_alpha::AlphaKernel),
}

/// State of a block of neurons, structure-of-arrays. Potentials relative to `E_L`.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Membrane potential relative to E_L, mV.
    pub v: Vec<f64>,
    /// Remaining refractory steps.
    pub r: Vec<u32>,
    /// Excitatory synaptic current, pA (exp, alpha).
    pub i_ex: Vec<f64>,
    /// Inhibitory synaptic current, pA (exp, alpha).
    pub i_in: Vec<f64>,
    /// Derivative states of the alpha currents, pA/ms.
    pub di_ex: Vec<f64>,
    pub di_in: Vec<f64>,
    /// Discounted inputs received while refractory (iaf_psc_delta with refractory_input), mV.
    pub refr_buf: Vec<f64>,
}

impl State {
    pub fn new(kernel: &Kernel, v0_rel: Vec<f64>) -> State {
        let n = v0_rel.len();
        let (cur, dcur) = match kernel {
            Kernel::Delta(_) => (0, 0),
            Kernel::Exp(_) => (n, 0),
            Kernel::Alpha(_) => (n, n),
        };
        let refr = match kernel {
            Kernel::Delta(k) if !k.refr_discount.is_empty() => n,
            _ => 0,
        };
        State {
            v: v0_rel,
            r: vec![0; n],
            i_ex: vec![0.0; cur],
            i_in: vec![0.0; cur],
            di_ex: vec![0.0; dcur],
            di_in: vec![0.0; dcur],
            refr_buf: vec![0.0; refr],
        }
    }

    /// Bytes of state per neuron for a model (for the memory estimate).
    pub fn bytes_per_neuron(model: &NeuronModel) -> usize {
        match model {
            NeuronModel::IafPscDelta(p) => 12 + if p.refractory_input { 8 } else { 0 },
            NeuronModel::IafPscExp(_) => 28,
            NeuronModel::IafPscAlpha(_) => 44,
        }
    }

    /// First non-finite variable, if any: (local index, variable name).
    pub fn first_non_finite(&self) -> Option<(usize, &'static str)> {
        for (name, xs) in [
            ("V_m", &self.v),
            ("I_syn_ex", &self.i_ex),
            ("I_syn_in", &self.i_in),
            ("dI_ex", &self.di_ex),
            ("dI_in", &self.di_in),
        ] {
            if let Some(i) = xs.iter().position(|x| !x.is_finite()) {
                return Some((i, name));
            }
        }
        None
    }
}

impl Kernel {
    /// Advance all neurons of the block by one step.
    ///
    /// `input` holds this step's ring-buffer slot, `channels × n` values
    /// (channel-major); it is read and zeroed. `i_stim` is an extra current (pA) for
    /// every neuron of the block during this step (DC/step stimuli, added to `I_e`).
    /// Local indices of neurons that spike are appended to `spikes` (capacity is
    /// reserved by the engine: this never allocates).
    #[inline]
    pub fn step(&self, s: &mut State, input: &mut [f64], i_stim: f64, spikes: &mut Vec<u32>) {
        match self {
            Kernel::Delta(k) => k.step(s, input, i_stim, spikes),
            Kernel::Exp(k) => k.step(s, input, i_stim, spikes),
            Kernel::Alpha(k) => k.step(s, input, i_stim, spikes),
        }
    }

    /// Resting potential E_L, mV (state is stored relative to it).
    pub fn e_l(&self) -> f64 {
        match self {
            Kernel::Delta(k) => k.e_l,
            Kernel::Exp(k) => k.e_l,
            Kernel::Alpha(k) => k.e_l,
        }
    }
}
