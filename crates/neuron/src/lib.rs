//! Neuron models: parameters (NEST names and units), precomputed exact propagators,
//! state as structure-of-arrays, and the per-step update of a contiguous block of
//! neurons.
//!
//! Every model has four parts, as in NEST: parameters (`*Params`, user units), the
//! propagators computed once from the parameters and `dt` ([`Kernel`]), the state
//! ([`State`], potentials relative to `E_L`), and the input buffers, which live in
//! the engine's ring buffer: one buffer per input **port** the model declares
//! ([`Model::ports`]: name, kind, kinetics, reversal potential where it applies).
//! A projection or stimulus names a port with `receptor = "..."`; without it the
//! weight goes to the port its sign selects ([`SignRoute`]):
//!
//! | model | ports (buffer order) | default without `receptor` |
//! |---|---|---|
//! | `iaf_psc_delta` | `V_m` (voltage jump, mV) | every weight to `V_m` |
//! | `iaf_psc_exp`, `iaf_psc_alpha` | `ex`, `in` (currents, pA, `tau_syn_ex`/`tau_syn_in`) | `w >= 0` to `ex`, `w < 0` to `in` (NEST) |
//! | `iaf_cond_exp`, `iaf_cond_alpha` | `ex`, `in` (conductances, nS, towards `E_ex`/`E_in`) | `w >= 0` to `ex`, `w < 0` to `in` (NEST: the magnitude is the conductance) |
//! | `iaf_bw_2001` | `AMPA`, `GABA`, `NMDA` (conductances, nS; NEST receptor types 1, 2, 3) | none: `receptor` is required |
//! | `parrot_neuron` | `spikes` (weights summing to more than 0 in a step: a spike in that step) | every weight to `spikes` |
//!
//! A model may attach one value to each spike, computed at the spike (its
//! *payload*, [`Model::has_payload`]); the engine multiplies it into the weight.
//!
//! Every model is one file implementing [`Model`] (parameters) and [`Step`]
//! (propagators and update) plus one line in the `registry!` call below.
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
//! The conductance-based models (`iaf_cond_exp`, `iaf_cond_alpha`, `iaf_bw_2001`)
//! follow the same order with `V` integrated numerically over the step
//! ([`conductance`]: the conductances exact, the membrane equation by adaptive
//! Dormand–Prince 5(4) at 1e-7 mV per substep).
//!
//! Every model is documented in its own file.

pub mod conductance;
pub mod iaf_bw_2001;
pub mod iaf_cond_alpha;
pub mod iaf_cond_exp;
pub mod iaf_psc_alpha;
pub mod iaf_psc_delta;
pub mod iaf_psc_exp;
pub mod parrot_neuron;
pub mod propagators;
#[doc(hidden)]
pub mod test_payload;

use cortexsim_core::error::SpecError;
use cortexsim_core::reader::Obj;
use cortexsim_core::state::{SaveState, get_slice, put_slice};
use serde::Serialize;

pub use iaf_bw_2001::BwParams;
pub use iaf_cond_alpha::CondAlphaParams;
pub use iaf_cond_exp::{CondExpParams, CondParams};
pub use iaf_psc_alpha::AlphaParams;
pub use iaf_psc_delta::DeltaParams;
pub use iaf_psc_exp::ExpParams;

/// How the input arriving at a port acts on the neuron.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PortKind {
    /// Each weight (mV) is a jump of the membrane potential in the step it arrives.
    VoltageJump,
    /// Each weight (pA) is added to a synaptic current with the port's kinetics.
    Current,
    /// Each weight (nS) is added to a conductance with the port's kinetics, driving
    /// towards the port's reversal potential.
    Conductance,
}

/// Which weights a port receives from a projection or stimulus that names no `receptor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignRoute {
    /// Weights `>= 0` (and NaN): NEST's excitatory inputs.
    NonNegative,
    /// Weights `< 0`: NEST's inhibitory inputs.
    Negative,
    /// Every weight.
    Any,
    /// None: a projection must name this port to reach it.
    Never,
}

impl SignRoute {
    fn takes(self, w: f64) -> bool {
        match self {
            // NaN counts as non-negative, as in the engine's `w < 0.0` test.
            SignRoute::NonNegative => w.partial_cmp(&0.0) != Some(std::cmp::Ordering::Less),
            SignRoute::Negative => w < 0.0,
            SignRoute::Any => true,
            SignRoute::Never => false,
        }
    }
}

/// One input port of a neuron model: a buffer of the engine's ring (its index is the
/// port's position in [`NeuronModel::ports`]), named as a projection's `receptor`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Port {
    /// Name in network files (`receptor = "ex"`).
    pub name: &'static str,
    pub kind: PortKind,
    /// Synaptic time constant, ms (0 for voltage jumps).
    pub tau_syn: f64,
    /// Reversal potential, mV (conductance ports only).
    pub e_rev: Option<f64>,
    /// The weights this port receives without a `receptor`.
    pub by_sign: SignRoute,
    /// Whether the spike payload of a source model with one ([`Model::has_payload`])
    /// multiplies the weights arriving at this port (`iaf_bw_2001`: only `NMDA`);
    /// other ports receive the plain weights.
    pub payload: bool,
}

impl PortKind {
    /// Unit of a weight onto a port of this kind.
    pub fn weight_unit(self) -> &'static str {
        match self {
            PortKind::VoltageJump => "mV",
            PortKind::Current => "pA",
            PortKind::Conductance => "nS",
        }
    }
}

/// Where the weights of one projection or stimulus go: one named port, or a port chosen
/// per weight by its sign (the default of the current-based models).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Port(usize),
    /// Weights `>= 0` (and NaN) to `pos`, weights `< 0` to `neg`.
    BySign {
        pos: usize,
        neg: usize,
    },
}

impl Route {
    /// Port of weight `w` (the same rule the engine applies per synapse).
    #[inline(always)]
    pub fn port(self, w: f64) -> usize {
        match self {
            Route::Port(p) => p,
            Route::BySign { pos, neg } => {
                if w < 0.0 {
                    neg
                } else {
                    pos
                }
            }
        }
    }

    /// The route of a constant weight: always one port.
    pub fn fixed(self, w: f64) -> Route {
        Route::Port(self.port(w))
    }
}

/// A neuron model: its parameters type implements this trait (one file per model), and
/// one line of the `registry!` call makes it known to the network files and the engine.
pub trait Model: Sized {
    /// Propagators of a population for one `dt`.
    type Kernel: Step;
    /// Parse the `params` table (absent: NEST defaults); unknown keys are refused by the reader.
    fn parse(params: Option<&Obj>) -> Result<Self, SpecError>;
    /// The LIF parameters every model has.
    fn core(&self) -> LifCore;
    /// The input ports, in buffer order.
    fn ports(&self) -> Vec<Port>;
    /// Lower bound of the membrane potential, mV (`-inf`: none).
    fn v_min(&self) -> f64 {
        f64::NEG_INFINITY
    }
    /// Whether each spike carries a value (the payload), which delivery multiplies into
    /// the synaptic weight (e.g. NEST `iaf_bw_2001`'s NMDA increment).
    fn has_payload(&self) -> bool {
        false
    }
    /// Whether a recorder can sample `var` of this model (`v_m` always; the
    /// conductance-based models their conductances).
    fn records(&self, var: Analog) -> bool {
        var == Analog::VM
    }
    /// Bytes of state per neuron (for the memory estimate).
    fn state_bytes_per_neuron(&self) -> usize;
    /// The propagators for step `h` (ms) and `refr` refractory steps.
    fn kernel(&self, h: f64, refr: u32) -> Self::Kernel;
}

/// The per-step update of a block of neurons (a model's propagators).
pub trait Step {
    /// Advance all neurons of the block by one step.
    ///
    /// `input` holds this step's ring-buffer slot, `ports × n` values (port-major); it
    /// is read and zeroed. `i_stim` is an extra current (pA) for every neuron of the
    /// block during this step (DC/step/ac stimuli, added to `I_e`); `s.i_cell`, when not
    /// empty, one more current per neuron (`noise_current`). Local indices of
    /// neurons that spike are appended to `spikes`, and — for models with a payload
    /// only — each spike's value to `payload` (capacity is reserved by the engine:
    /// this never allocates).
    fn step(
        &self,
        s: &mut State,
        input: &mut [f64],
        i_stim: f64,
        spikes: &mut Vec<u32>,
        payload: &mut Vec<f64>,
    );
    /// Resting potential E_L, mV (state is stored relative to it).
    fn e_l(&self) -> f64;
    /// The state arrays of `v0_rel.len()` neurons with these initial potentials.
    fn new_state(&self, v0_rel: Vec<f64>) -> State;
}

/// The object-safe part of [`Model`] (blanket-implemented), for dispatch.
pub(crate) trait ModelDyn {
    fn core(&self) -> LifCore;
    fn ports(&self) -> Vec<Port>;
    fn v_min(&self) -> f64;
    fn has_payload(&self) -> bool;
    fn records(&self, var: Analog) -> bool;
    fn state_bytes_per_neuron(&self) -> usize;
}

impl<M: Model> ModelDyn for M {
    fn core(&self) -> LifCore {
        Model::core(self)
    }
    fn ports(&self) -> Vec<Port> {
        Model::ports(self)
    }
    fn v_min(&self) -> f64 {
        Model::v_min(self)
    }
    fn has_payload(&self) -> bool {
        Model::has_payload(self)
    }
    fn records(&self, var: Analog) -> bool {
        Model::records(self, var)
    }
    fn state_bytes_per_neuron(&self) -> usize {
        Model::state_bytes_per_neuron(self)
    }
}

/// The model registry: one line per model, `Variant(Params, Kernel) = "name"`. It
/// defines [`NeuronModel`], [`Kernel`] and [`MODEL_NAMES`] and dispatches every model
/// method through the [`Model`] and [`Step`] traits. Models in `hidden` are
/// not parsed from network files (test aids, built in code).
macro_rules! registry {
    (
        listed: [ $( $variant:ident($params:ty, $kernel:ty) = $name:literal, )* ]
        hidden: [ $( $hvariant:ident($hparams:ty, $hkernel:ty) = $hname:literal, )* ]
    ) => {
        /// Names of the neuron models the engine integrates.
        pub const MODEL_NAMES: &[&str] = &[$($name),*];

        /// A neuron model with its parameters (NEST names, ms, mV, pF, pA).
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(tag = "model", content = "params")]
        pub enum NeuronModel {
            $( #[serde(rename = $name)] $variant($params), )*
            $( #[doc(hidden)] #[serde(rename = $hname)] $hvariant($hparams), )*
        }

        /// Propagators of one population, computed once for `dt` (see each model's file).
        #[derive(Debug, Clone)]
        pub enum Kernel {
            $( $variant($kernel), )*
            $( #[doc(hidden)] $hvariant($hkernel), )*
        }

        impl NeuronModel {
            /// The model's parameters behind the object-safe part of [`Model`].
            fn def(&self) -> &dyn ModelDyn {
                match self {
                    $( NeuronModel::$variant(p) => p, )*
                    $( NeuronModel::$hvariant(p) => p, )*
                }
            }
        }

        impl Kernel {
            /// The propagators behind [`Step`] (for everything but the hot `step`).
            fn def(&self) -> &dyn Step {
                match self {
                    $( Kernel::$variant(k) => k, )*
                    $( Kernel::$hvariant(k) => k, )*
                }
            }

            /// Advance all neurons of the block by one step (see [`Step::step`]).
            #[inline]
            pub fn step(
                &self,
                s: &mut State,
                input: &mut [f64],
                i_stim: f64,
                spikes: &mut Vec<u32>,
                payload: &mut Vec<f64>,
            ) {
                match self {
                    $( Kernel::$variant(k) => Step::step(k, s, input, i_stim, spikes, payload), )*
                    $( Kernel::$hvariant(k) => Step::step(k, s, input, i_stim, spikes, payload), )*
                }
            }
        }

        impl NeuronModel {
            pub fn name(&self) -> &'static str {
                match self {
                    $( NeuronModel::$variant(_) => $name, )*
                    $( NeuronModel::$hvariant(_) => $hname, )*
                }
            }

            fn parse_named(model: &str, params: Option<&Obj>) -> Option<Result<NeuronModel, SpecError>> {
                match model {
                    $( $name => Some(<$params as Model>::parse(params).map(NeuronModel::$variant)), )*
                    _ => None,
                }
            }

            pub fn kernel(&self, dt: f64) -> Kernel {
                let refr = self.refractory_steps(dt);
                match self {
                    $( NeuronModel::$variant(p) => Kernel::$variant(p.kernel(dt, refr)), )*
                    $( NeuronModel::$hvariant(p) => Kernel::$hvariant(p.kernel(dt, refr)), )*
                }
            }
        }
    };
}

registry! {
    listed: [
        IafPscDelta(DeltaParams, iaf_psc_delta::DeltaKernel) = "iaf_psc_delta",
        IafPscExp(ExpParams, iaf_psc_exp::ExpKernel) = "iaf_psc_exp",
        IafPscAlpha(AlphaParams, iaf_psc_alpha::AlphaKernel) = "iaf_psc_alpha",
        IafCondExp(CondExpParams, iaf_cond_exp::CondExpKernel) = "iaf_cond_exp",
        IafCondAlpha(CondAlphaParams, iaf_cond_alpha::CondAlphaKernel) = "iaf_cond_alpha",
        IafBw2001(BwParams, iaf_bw_2001::BwKernel) = "iaf_bw_2001",
        ParrotNeuron(parrot_neuron::ParrotParams, parrot_neuron::ParrotKernel) = "parrot_neuron",
    ]
    hidden: [
        TestPayload(test_payload::PayloadParams, test_payload::PayloadKernel) = "test_payload",
    ]
}

/// The two current ports `ex` and `in` of the current-based models (`iaf_psc_exp`,
/// `iaf_psc_alpha`), routed by sign by default as NEST does.
pub(crate) fn ex_in_ports(tau_syn_ex: f64, tau_syn_in: f64) -> Vec<Port> {
    vec![
        Port {
            name: "ex",
            kind: PortKind::Current,
            tau_syn: tau_syn_ex,
            e_rev: None,
            by_sign: SignRoute::NonNegative,
            payload: false,
        },
        Port {
            name: "in",
            kind: PortKind::Current,
            tau_syn: tau_syn_in,
            e_rev: None,
            by_sign: SignRoute::Negative,
            payload: false,
        },
    ]
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
    /// Parse `model` + `params` (the table may be absent: NEST defaults).
    pub fn parse(model: &str, params: Option<&Obj>, path: &str) -> Result<NeuronModel, SpecError> {
        if let Some(m) = NeuronModel::parse_named(model, params) {
            return m;
        }
        let hint = cortexsim_core::reader::did_you_mean(model, MODEL_NAMES.iter().copied())
            .map(|h| format!("; did you mean \"{h}\"?"))
            .unwrap_or_default();
        Err(SpecError::new(
            path,
            format!(
                "unknown neuron model \"{model}\" (known: {}){hint}",
                MODEL_NAMES.join(", ")
            ),
        ))
    }

    pub fn core(&self) -> LifCore {
        self.def().core()
    }

    /// The input ports, in the order of their buffers in the engine's ring.
    pub fn ports(&self) -> Vec<Port> {
        self.def().ports()
    }

    /// Number of input ports (buffers per neuron and ring slot).
    pub fn n_ports(&self) -> usize {
        self.ports().len()
    }

    /// Index of the port named `name`.
    pub fn port_index(&self, name: &str) -> Option<usize> {
        self.ports().iter().position(|p| p.name == name)
    }

    /// The port names, quoted, for messages: `"ex", "in"`.
    pub fn port_list(&self) -> String {
        self.ports()
            .iter()
            .map(|p| format!("\"{}\"", p.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Where the weights of a projection or stimulus go: the named port (`receptor`),
    /// else by sign as the ports declare (`None` if some sign reaches no port).
    pub fn route(&self, receptor: Option<&str>) -> Option<Route> {
        if let Some(name) = receptor {
            return self.port_index(name).map(Route::Port);
        }
        let ports = self.ports();
        let pos = ports.iter().position(|p| p.by_sign.takes(1.0))?;
        let neg = ports.iter().position(|p| p.by_sign.takes(-1.0))?;
        Some(if pos == neg {
            Route::Port(pos)
        } else {
            Route::BySign { pos, neg }
        })
    }

    /// Unit of a synaptic weight onto this model's first port.
    pub fn weight_unit(&self) -> &'static str {
        self.ports().first().map_or("", |p| p.kind.weight_unit())
    }

    /// Lower bound of the membrane potential, mV (`-inf`: none).
    pub fn v_min(&self) -> f64 {
        self.def().v_min()
    }

    /// Whether this is a spike source without a membrane (`parrot_neuron`).
    pub fn is_spike_source(&self) -> bool {
        matches!(self, NeuronModel::ParrotNeuron(_))
    }

    /// Whether this model's spikes carry a payload (see [`Model::has_payload`]).
    pub fn has_payload(&self) -> bool {
        self.def().has_payload()
    }

    /// Whether a recorder can sample `var` of this model (see [`Model::records`]).
    pub fn records(&self, var: Analog) -> bool {
        self.def().records(var)
    }

    /// Bytes of state per neuron (for the memory estimate).
    pub fn state_bytes_per_neuron(&self) -> usize {
        self.def().state_bytes_per_neuron()
    }

    /// Refractory period in whole steps: `ceil(t_ref/dt)` (up to rounding noise),
    /// as NEST 3.10 does (t_ref = 1.3 ms at dt = 0.25 ms gives 6 steps, measured).
    pub fn refractory_steps(&self, dt: f64) -> u32 {
        refractory_steps(self.core().t_ref, dt)
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
    /// A per-neuron trace that sets the spike payload (payload models only;
    /// `iaf_bw_2001`: the presynaptic NMDA gating `s_pre`).
    pub trace: Vec<f64>,
    /// Excitatory / inhibitory conductance, nS (`iaf_cond_*`; `iaf_bw_2001`: `s_AMPA`,
    /// `s_GABA`).
    pub g_ex: Vec<f64>,
    pub g_in: Vec<f64>,
    /// Derivative states of the alpha conductances, nS/ms (`iaf_cond_alpha`).
    pub dg_ex: Vec<f64>,
    pub dg_in: Vec<f64>,
    /// NMDA conductance `s_NMDA`, nS (`iaf_bw_2001`).
    pub g_nmda: Vec<f64>,
    /// Length of the last accepted integration substep, ms (conductance models).
    pub h_int: Vec<f64>,
    /// Extra current of each neuron during this step, pA, on top of `I_e` and the
    /// step's `i_stim` (`noise_current` stimuli); empty when the population has none.
    /// Set by the engine before each step; models read it, never write it.
    pub i_cell: Vec<f64>,
}

/// A state variable a recorder samples on the time grid, by NEST's multimeter name
/// (`V_m` is written `v_m`, as the network files' `[[recorders.v_m]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Analog {
    /// Membrane potential, mV (absolute).
    #[serde(rename = "v_m")]
    VM,
    /// Excitatory conductance, nS (`iaf_cond_exp`, `iaf_cond_alpha`).
    #[serde(rename = "g_ex")]
    GEx,
    /// Inhibitory conductance, nS, >= 0 (`iaf_cond_exp`, `iaf_cond_alpha`).
    #[serde(rename = "g_in")]
    GIn,
}

impl Analog {
    /// Every variable, in the order of the recorders, the state stream and the outputs.
    pub const ALL: [Analog; 3] = [Analog::VM, Analog::GEx, Analog::GIn];

    /// The key in `[recorders]`, the SONATA group and the Python attribute.
    pub fn name(self) -> &'static str {
        match self {
            Analog::VM => "v_m",
            Analog::GEx => "g_ex",
            Analog::GIn => "g_in",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Analog::VM => "mV",
            Analog::GEx | Analog::GIn => "nS",
        }
    }

    /// Append the variable of the block's first `n` neurons to `out` (`e_l`: the
    /// kernel's resting potential, which `v` is stored relative to).
    #[inline]
    pub fn sample(self, s: &State, e_l: f64, n: usize, out: &mut Vec<f64>) {
        match self {
            Analog::VM => out.extend(s.v[..n].iter().map(|v| v + e_l)),
            Analog::GEx => out.extend_from_slice(&s.g_ex[..n]),
            Analog::GIn => out.extend_from_slice(&s.g_in[..n]),
        }
    }
}

impl State {
    /// The state of a block of neurons of the kernel's model, at potentials `v0_rel`.
    pub fn new(kernel: &Kernel, v0_rel: Vec<f64>) -> State {
        kernel.def().new_state(v0_rel)
    }

    /// Bytes of state per neuron for a model (for the memory estimate).
    pub fn bytes_per_neuron(model: &NeuronModel) -> usize {
        model.state_bytes_per_neuron()
    }

    /// First non-finite variable, if any: (local index, variable name).
    pub fn first_non_finite(&self) -> Option<(usize, &'static str)> {
        for (name, xs) in [
            ("V_m", &self.v),
            ("I_syn_ex", &self.i_ex),
            ("I_syn_in", &self.i_in),
            ("dI_ex", &self.di_ex),
            ("dI_in", &self.di_in),
            ("trace", &self.trace),
            ("g_ex", &self.g_ex),
            ("g_in", &self.g_in),
            ("dg_ex", &self.dg_ex),
            ("dg_in", &self.dg_in),
            ("g_NMDA", &self.g_nmda),
            ("integration step", &self.h_int),
        ] {
            if let Some(i) = xs.iter().position(|x| !x.is_finite()) {
                return Some((i, name));
            }
        }
        None
    }
}

/// Every state array, named, in stream order (lengths: the block's neurons, or 0 where
/// the model has no such variable).
impl SaveState for State {
    fn save(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        for xs in self.f64_arrays() {
            put_slice(w, xs)?;
        }
        put_slice(w, &self.r)
    }

    fn load(&mut self, r: &mut dyn std::io::Read) -> std::io::Result<()> {
        for (name, xs) in self.f64_arrays_mut() {
            get_slice(r, xs, &format!("neuron state {name}"))?;
        }
        get_slice(r, &mut self.r, "neuron state refractory steps")
    }
}

impl State {
    /// Take over the dynamic variables of `old` (the state of the same neurons under
    /// other parameters of the same model) wherever the layouts agree: synaptic currents
    /// and conductances, refractory counters, integration steps. `V_m` (and `i_cell`) stay
    /// this state's; a variable only the new parameters have keeps its initial value.
    pub fn keep_dynamics(&mut self, mut old: State) {
        let pairs = self.f64_arrays_mut().into_iter().zip(old.f64_arrays_mut());
        for ((_, to), (_, from)) in pairs.skip(1) {
            if to.len() == from.len() {
                std::mem::swap(to, from);
            }
        }
        if self.r.len() == old.r.len() {
            self.r = old.r;
        }
    }

    /// [`Self::f64_arrays`] with their names in the state stream, mutable (`V_m` first).
    fn f64_arrays_mut(&mut self) -> [(&'static str, &mut Vec<f64>); 13] {
        [
            ("V_m", &mut self.v),
            ("I_syn_ex", &mut self.i_ex),
            ("I_syn_in", &mut self.i_in),
            ("dI_ex", &mut self.di_ex),
            ("dI_in", &mut self.di_in),
            ("refractory input", &mut self.refr_buf),
            ("trace", &mut self.trace),
            ("g_ex", &mut self.g_ex),
            ("g_in", &mut self.g_in),
            ("dg_ex", &mut self.dg_ex),
            ("dg_in", &mut self.dg_in),
            ("g_NMDA", &mut self.g_nmda),
            ("integration step", &mut self.h_int),
        ]
    }

    fn f64_arrays(&self) -> [&Vec<f64>; 13] {
        [
            &self.v,
            &self.i_ex,
            &self.i_in,
            &self.di_ex,
            &self.di_in,
            &self.refr_buf,
            &self.trace,
            &self.g_ex,
            &self.g_in,
            &self.dg_ex,
            &self.dg_in,
            &self.g_nmda,
            &self.h_int,
        ]
    }
}

impl Kernel {
    /// Resting potential E_L, mV (state is stored relative to it).
    pub fn e_l(&self) -> f64 {
        self.def().e_l()
    }
}
