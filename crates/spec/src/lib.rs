//! The network description: what is simulated, never how.
//!
//! Three stages, one type each: the TOML text is parsed into a `toml::Table` (the raw
//! form, to which `--set` overrides are applied by path, see [`overrides`]); the table
//! is read strictly into a validated [`Network`] (every unknown key is an error with a
//! "did you mean", every bad value a [`SpecError`] naming its path, e.g.
//! `projections[2].delay`); the engine then builds a model from the `Network`. Times
//! are converted to whole steps of `dt` here, following [`GridPolicy`].
//!
//! The [`NetworkBuilder`] writes the same raw table from Rust code, so a network made in
//! code and one loaded from a file go through the same validation and are equal values.

pub mod builder;
pub mod overrides;
pub mod validate;
pub use cortexsim_core::reader;

use cortexsim_core::error::SpecError;
use cortexsim_neuron::NeuronModel;
use reader::{Obj, describe};
use serde::Serialize;
use toml::{Table, Value};

pub use builder::NetworkBuilder;

/// What to do with a time (delay, refractory period) that is not a multiple of `dt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GridPolicy {
    /// Round to the nearest step and report one aggregated warning (NEST's behaviour).
    Round,
    /// Refuse the network.
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    /// Time step, ms.
    pub dt: f64,
    /// Simulated time, ms (a whole number of steps).
    pub t_stop: f64,
    /// Number of steps `t_stop / dt`.
    pub steps: u64,
    pub seed: u64,
    /// Worker threads; 0 = all cores. Results do not depend on it.
    pub threads: usize,
    /// Maximum neurons per partition (the unit of parallel work). Results do not depend on it either.
    /// Neurons per partition at most; `None`: chosen by the engine from the network.
    pub partition_size: Option<u32>,
    pub grid_policy: GridPolicy,
    /// Population sizes were multiplied by this factor, keeping in-degrees (see [`Network::from_table`]).
    pub scale: f64,
}

/// A scalar value or a distribution (weights, delays, initial potentials).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "distribution", rename_all = "snake_case")]
pub enum Dist {
    #[serde(rename = "constant")]
    Const {
        value: f64,
    },
    /// Normal, redrawn until inside [min, max] (NEST's `redraw`).
    Normal {
        mean: f64,
        std: f64,
        min: f64,
        max: f64,
    },
    Uniform {
        low: f64,
        high: f64,
    },
    /// exp(N(mu, sigma)), redrawn until inside [min, max].
    Lognormal {
        mu: f64,
        sigma: f64,
        min: f64,
        max: f64,
    },
}

impl Dist {
    pub fn constant(&self) -> Option<f64> {
        match self {
            Dist::Const { value } => Some(*value),
            _ => None,
        }
    }
    /// Mean and second moment (for the mean-field reduction), clipping ignored for
    /// normal distributions whose bounds lie beyond 5 sd (computed exactly otherwise by
    /// numerical integration would be overkill: documented approximation).
    pub fn moments(&self) -> (f64, f64) {
        match *self {
            Dist::Const { value } => (value, value * value),
            Dist::Normal { mean, std, .. } => (mean, mean * mean + std * std),
            Dist::Uniform { low, high } => (
                (low + high) / 2.0,
                (low * low + low * high + high * high) / 3.0,
            ),
            Dist::Lognormal { mu, sigma, .. } => (
                (mu + sigma * sigma / 2.0).exp(),
                (2.0 * mu + 2.0 * sigma * sigma).exp(),
            ),
        }
    }
    /// Smallest and largest possible value.
    pub fn bounds(&self) -> (f64, f64) {
        match *self {
            Dist::Const { value } => (value, value),
            Dist::Normal { min, max, .. } | Dist::Lognormal { min, max, .. } => (min, max),
            Dist::Uniform { low, high } => (low, high),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Population {
    pub name: String,
    pub size: u32,
    #[serde(flatten)]
    pub model: NeuronModel,
    /// Initial membrane potential, mV.
    pub v_init: Dist,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    FixedIndegree { indegree: u32 },
    PairwiseBernoulli { p: f64 },
    FixedTotalNumber { n: u64 },
    OneToOne,
    AllToAll,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Projection {
    pub source: usize,
    pub target: usize,
    #[serde(flatten)]
    pub rule: Rule,
    pub autapses: bool,
    pub multapses: bool,
    /// mV for `iaf_psc_delta` targets, pA otherwise.
    pub weight: Dist,
    /// ms (validated: >= dt).
    pub delay: Dist,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StimulusKind {
    /// `indegree` independent Poisson generators of `rate` Hz per neuron, each spike
    /// adding `weight` (NEST `poisson_generator` connected with `weight`).
    Poisson {
        rate: f64,
        indegree: u32,
        weight: f64,
    },
    /// Constant current (pA), added to `I_e`.
    Dc { amplitude: f64 },
    /// Gaussian white noise on the membrane (iaf_psc_delta targets), in the convention of
    /// Brunel 2000 and Brian: `tau_m dV/dt = -(V - E_L) + mean + sigma sqrt(tau_m) xi(t)`
    /// (mV); integrated exactly (Ornstein–Uhlenbeck increments); the free membrane's
    /// stationary sd is `sigma/sqrt(2)`.
    Noise { mean: f64, sigma: f64 },
    /// Piecewise-constant current (pA): `amplitude` in `[start, stop)` for each epoch.
    Step { epochs: Vec<Epoch> },
    /// Explicit input spikes (ms, on the grid) with weights, arriving after `delay`.
    SpikeTrain {
        times: Vec<f64>,
        weights: Vec<f64>,
        delay: f64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Epoch {
    pub name: String,
    pub start: f64,
    pub stop: f64,
    pub amplitude: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stimulus {
    pub target: usize,
    #[serde(flatten)]
    pub kind: StimulusKind,
    /// Active window, ms: `[start, stop)`.
    pub start: f64,
    pub stop: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VmRecorder {
    pub population: usize,
    /// The first `n` neurons of the population are sampled.
    pub n: u32,
    /// Sampling interval, ms (multiple of dt).
    pub interval: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recorders {
    /// Populations whose spikes are written to the output file.
    pub spikes: Vec<usize>,
    /// Bin width of the population-rate recorder, ms (0 = off).
    pub rate_bin: f64,
    pub v_m: Vec<VmRecorder>,
}

/// A validated network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Network {
    pub simulation: Simulation,
    pub populations: Vec<Population>,
    pub projections: Vec<Projection>,
    pub stimuli: Vec<Stimulus>,
    pub recorders: Recorders,
    /// Non-fatal remarks made during validation (e.g. rounded times).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Top-level keys of a spiking network file.
pub const TOP_KEYS: &[&str] = &[
    "simulation",
    "populations",
    "projections",
    "stimuli",
    "recorders",
    "description",
];

/// Parse TOML text into the raw table (syntax errors carry line and column).
pub fn parse_toml(text: &str, origin: &str) -> Result<Table, SpecError> {
    text.parse::<Table>().map_err(|e| {
        SpecError::new(
            origin,
            format!("TOML syntax error: {}", e.to_string().trim()),
        )
    })
}

impl Network {
    /// Parse and validate TOML text.
    pub fn from_toml_str(text: &str) -> Result<Network, SpecError> {
        Network::from_table(&parse_toml(text, "<network>")?)
    }

    /// Load a file, apply `--set` overrides, validate.
    pub fn load(path: &std::path::Path, sets: &[String]) -> Result<Network, SpecError> {
        let mut table = load_table(path)?;
        overrides::apply_all(&mut table, sets)?;
        Network::from_table(&table)
    }

    /// Validate a raw table.
    pub fn from_table(t: &Table) -> Result<Network, SpecError> {
        validate::number_range(t)?;
        let top = Obj::new("", t);
        top.str_opt("description")?;
        let mut warnings = Vec::new();
        let simulation = parse_simulation(top.table_opt("simulation")?)?;
        let dt = simulation.dt;

        // Populations.
        let pops_raw = top
            .array_opt("populations")?
            .ok_or_else(|| SpecError::new("populations", "at least one population is required"))?;
        if pops_raw.is_empty() {
            return Err(SpecError::new(
                "populations",
                "at least one population is required",
            ));
        }
        let mut populations: Vec<Population> = Vec::new();
        for (i, v) in pops_raw.iter().enumerate() {
            let path = format!("populations[{i}]");
            let Value::Table(pt) = v else {
                return Err(SpecError::new(
                    path,
                    format!("expected a table, found {}", describe(v)),
                ));
            };
            let name = match pt.get("name") {
                Some(Value::String(s)) => s.clone(),
                _ => {
                    return Err(SpecError::new(
                        format!("{path}.name"),
                        "is required (a string)",
                    ));
                }
            };
            let o = Obj::new(format!("populations[{name}]"), pt);
            o.get("name");
            validate::population_name(&o, &name)?;
            if populations.iter().any(|p| p.name == name) {
                return Err(o.err("name", format!("duplicate population name \"{name}\"")));
            }
            let size = o
                .u64_opt("size")?
                .ok_or_else(|| o.err("size", "is required"))?;
            if size == 0 {
                return Err(o.err("size", "population is empty (size = 0)"));
            }
            // `simulation.scale`: sizes scaled, at least one neuron.
            let size = if simulation.scale == 1.0 {
                size
            } else {
                ((size as f64 * simulation.scale).round() as u64).max(1)
            };
            if size > u32::MAX as u64 / 2 {
                return Err(o.err("size", format!("too large ({size} neurons)")));
            }
            let model_name = o.str_req("model").map_err(|_| {
                o.err(
                    "model",
                    format!(
                        "is required (one of {})",
                        cortexsim_neuron::MODEL_NAMES.join(", ")
                    ),
                )
            })?;
            let params = o.table_opt("params")?;
            let model = NeuronModel::parse(model_name, params.as_ref(), &o.key_path("model"))?;
            if let Some(p) = params {
                p.finish()?;
            }
            let core = model.core();
            if off_grid(core.t_ref, dt) {
                let path = format!("populations[{name}].params.t_ref");
                let steps = cortexsim_neuron::refractory_steps(core.t_ref, dt);
                match simulation.grid_policy {
                    GridPolicy::Error => return Err(SpecError::new(path, format!("t_ref {} ms is not a multiple of dt = {dt} ms", core.t_ref))),
                    GridPolicy::Round => warnings.push(format!(
                        "{path}: t_ref {} ms is not a multiple of dt = {dt} ms; rounded up to {steps} steps ({} ms), as NEST does",
                        core.t_ref,
                        steps as f64 * dt
                    )),
                }
            }
            let v_init = match (o.get("v_init"), o.get("V_m")) {
                (Some(_), Some(_)) => {
                    return Err(o.err("V_m", "given twice (as `v_init` and `V_m`)"));
                }
                (Some(v), None) => parse_dist(v, &o.key_path("v_init"))?,
                (None, Some(v)) => parse_dist(v, &o.key_path("V_m"))?,
                (None, None) => Dist::Const { value: core.e_l },
            };
            o.finish()?;
            populations.push(Population {
                name,
                size: size as u32,
                model,
                v_init,
            });
        }
        let total: u64 = populations.iter().map(|p| p.size as u64).sum();
        if total > u32::MAX as u64 - 1 {
            return Err(SpecError::new(
                "populations",
                format!(
                    "{total} neurons in all: at most {} are supported",
                    u32::MAX - 1
                ),
            ));
        }
        let pop_index = |o: &Obj, key: &str| -> Result<usize, SpecError> {
            let name = o.str_req(key)?;
            populations
                .iter()
                .position(|p| p.name == name)
                .ok_or_else(|| {
                    let hint =
                        reader::did_you_mean(name, populations.iter().map(|p| p.name.as_str()))
                            .map(|h| format!("; did you mean \"{h}\"?"))
                            .unwrap_or_default();
                    o.err(key, format!("unknown population \"{name}\"{hint}"))
                })
        };

        // Projections.
        let mut projections = Vec::new();
        for (i, v) in top
            .array_opt("projections")?
            .map(|a| a.as_slice())
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let path = format!("projections[{i}]");
            let Value::Table(pt) = v else {
                return Err(SpecError::new(
                    path,
                    format!("expected a table, found {}", describe(v)),
                ));
            };
            let o = Obj::new(path, pt);
            o.str_opt("name")?;
            let source = pop_index(&o, "source")?;
            let target = pop_index(&o, "target")?;
            let (ns, nt) = (
                populations[source].size as u64,
                populations[target].size as u64,
            );
            let autapses = o.bool_or("autapses", true)?;
            let multapses = o.bool_or("multapses", true)?;
            let same = source == target;
            let rule_name = o.choice(
                "rule",
                &[
                    "fixed_indegree",
                    "pairwise_bernoulli",
                    "fixed_total_number",
                    "one_to_one",
                    "all_to_all",
                ],
                None,
            )?;
            let rule = match rule_name {
                "fixed_indegree" => {
                    let k = o
                        .u64_opt("indegree")?
                        .ok_or_else(|| o.err("indegree", "is required for rule fixed_indegree"))?;
                    let avail = if same && !autapses { ns - 1 } else { ns };
                    if !multapses && k > avail {
                        return Err(o.err(
                            "indegree",
                            format!("{k} exceeds the {avail} possible sources without multapses"),
                        ));
                    }
                    if k > 0 && avail == 0 {
                        return Err(o.err(
                            "indegree",
                            "no possible source (single neuron without autapses)",
                        ));
                    }
                    if k > u32::MAX as u64 {
                        return Err(o.err("indegree", format!("too large: {k}")));
                    }
                    Rule::FixedIndegree { indegree: k as u32 }
                }
                "pairwise_bernoulli" => {
                    let p = o.f64_req("p")?;
                    if !(0.0..=1.0).contains(&p) {
                        return Err(o.err("p", format!("probability must be in [0, 1], got {p}")));
                    }
                    // Keep the in-degree p N_src under `simulation.scale`.
                    let p = if simulation.scale == 1.0 {
                        p
                    } else {
                        let q = p / simulation.scale;
                        if q > 1.0 {
                            warnings.push(format!("{}: p = {p} scaled by 1/{} exceeds 1; clipped (in-degree not kept)", o.key_path("p"), simulation.scale));
                        }
                        q.min(1.0)
                    };
                    Rule::PairwiseBernoulli { p }
                }
                "fixed_total_number" => {
                    let n = o
                        .u64_opt("n")?
                        .ok_or_else(|| o.err("n", "is required for rule fixed_total_number"))?;
                    // Keep the mean in-degree n / N_target under `simulation.scale`.
                    let n = if simulation.scale == 1.0 {
                        n
                    } else {
                        (n as f64 * simulation.scale).round() as u64
                    };
                    let avail = if same && !autapses {
                        ns * nt - nt
                    } else {
                        ns * nt
                    };
                    if !multapses && n > avail {
                        return Err(o.err(
                            "n",
                            format!("{n} exceeds the {avail} possible pairs without multapses"),
                        ));
                    }
                    if n > 0 && avail == 0 {
                        return Err(o.err("n", "no possible pair"));
                    }
                    Rule::FixedTotalNumber { n }
                }
                "one_to_one" => {
                    if ns != nt {
                        return Err(o.err(
                            "rule",
                            format!(
                                "one_to_one needs equal sizes, got {ns} sources and {nt} targets"
                            ),
                        ));
                    }
                    if same && !autapses {
                        return Err(o.err(
                            "autapses",
                            "one_to_one within a population without autapses connects nothing",
                        ));
                    }
                    Rule::OneToOne
                }
                _ => Rule::AllToAll,
            };
            let weight = parse_dist(
                o.get("weight")
                    .ok_or_else(|| o.err("weight", "is required"))?,
                &o.key_path("weight"),
            )?;
            let delay = match o.get("delay") {
                Some(v) => parse_dist(v, &o.key_path("delay"))?,
                None => Dist::Const { value: dt },
            };
            check_delay(
                &delay,
                dt,
                simulation.grid_policy,
                &o.key_path("delay"),
                &mut warnings,
            )?;
            if let Dist::Const { value } = weight
                && value == 0.0
            {
                warnings.push(format!(
                    "{}: weight is 0, the projection has no effect",
                    o.key_path("weight")
                ));
            }
            o.finish()?;
            projections.push(Projection {
                source,
                target,
                rule,
                autapses,
                multapses,
                weight,
                delay,
            });
        }

        // Stimuli.
        let mut stimuli = Vec::new();
        let t_stop = simulation.t_stop;
        for (i, v) in top
            .array_opt("stimuli")?
            .map(|a| a.as_slice())
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let path = format!("stimuli[{i}]");
            let Value::Table(st) = v else {
                return Err(SpecError::new(
                    path,
                    format!("expected a table, found {}", describe(v)),
                ));
            };
            let o = Obj::new(path, st);
            o.str_opt("name")?;
            let target = pop_index(&o, "target")?;
            let kind_name = o.choice(
                "kind",
                &["poisson", "dc", "step", "spike_train", "noise"],
                None,
            )?;
            let start = o.non_negative("start", Some(0.0))?;
            let stop = o.f64_opt("stop")?.unwrap_or(t_stop);
            if stop < start {
                return Err(o.err(
                    "stop",
                    format!("stop ({stop} ms) is before start ({start} ms)"),
                ));
            }
            let kind = match kind_name {
                "poisson" => {
                    let weight = o.f64_req("weight")?;
                    let indegree = o.u64_opt("indegree")?;
                    let rate = o.f64_opt("rate")?;
                    let total = o.f64_opt("total_rate")?;
                    let (rate, indegree) = match (rate, indegree, total) {
                        (Some(r), k, None) => (r, k.unwrap_or(1)),
                        (None, None, Some(t)) => (t, 1),
                        (None, Some(_), Some(_)) => {
                            return Err(o.err(
                                "total_rate",
                                "give either `rate` (+ `indegree`) or `total_rate`, not both",
                            ));
                        }
                        (Some(_), _, Some(_)) => {
                            return Err(o.err(
                                "total_rate",
                                "give either `rate` or `total_rate`, not both",
                            ));
                        }
                        (None, _, None) => {
                            return Err(
                                o.err("rate", "is required (Hz per generator; or `total_rate`)")
                            );
                        }
                    };
                    if rate < 0.0 {
                        return Err(o.err(
                            if o.has("rate") { "rate" } else { "total_rate" },
                            format!("must be >= 0 Hz, got {rate}"),
                        ));
                    }
                    if indegree > u32::MAX as u64 {
                        return Err(o.err("indegree", format!("too large: {indegree}")));
                    }
                    let mean_per_step = rate * indegree as f64 * dt * 1e-3;
                    if mean_per_step > 1e7 {
                        return Err(o.err("rate", format!("{mean_per_step} input spikes per step and neuron is beyond what is meaningful")));
                    }
                    StimulusKind::Poisson {
                        rate,
                        indegree: indegree as u32,
                        weight,
                    }
                }
                "dc" => StimulusKind::Dc {
                    amplitude: o.f64_req("amplitude")?,
                },
                "noise" => {
                    if !matches!(populations[target].model, NeuronModel::IafPscDelta(_)) {
                        return Err(o.err(
                            "kind",
                            format!(
                                "the membrane-noise stimulus is implemented for iaf_psc_delta targets; \"{}\" is {}",
                                populations[target].name,
                                populations[target].model.name()
                            ),
                        ));
                    }
                    StimulusKind::Noise {
                        mean: o.f64_or("mean", 0.0)?,
                        sigma: o.non_negative("sigma", None)?,
                    }
                }
                "step" => {
                    let mut epochs = Vec::new();
                    if let Some(arr) = o.array_opt("epochs")? {
                        for (j, ev) in arr.iter().enumerate() {
                            let Value::Table(et) = ev else {
                                return Err(o.err(&format!("epochs[{j}]"), "expected a table"));
                            };
                            let e = Obj::new(o.key_path(&format!("epochs[{j}]")), et);
                            let name = e.str_opt("name")?.unwrap_or("").to_string();
                            let es = e.non_negative("start", None)?;
                            let ee = e.f64_req("stop")?;
                            if ee < es {
                                return Err(e.err(
                                    "stop",
                                    format!("stop ({ee} ms) is before start ({es} ms)"),
                                ));
                            }
                            let amplitude = e.f64_req("amplitude")?;
                            e.finish()?;
                            epochs.push(Epoch {
                                name,
                                start: es,
                                stop: ee,
                                amplitude,
                            });
                        }
                    }
                    let times = o.f64_array_opt("amplitude_times")?;
                    let values = o.f64_array_opt("amplitude_values")?;
                    match (times, values) {
                        (Some(t), Some(v)) => {
                            if t.len() != v.len() {
                                return Err(o.err(
                                    "amplitude_values",
                                    format!("{} values for {} amplitude_times", v.len(), t.len()),
                                ));
                            }
                            for j in 0..t.len() {
                                if j > 0 && t[j] <= t[j - 1] {
                                    return Err(o.err(
                                        &format!("amplitude_times[{j}]"),
                                        "times must increase strictly",
                                    ));
                                }
                                let end = if j + 1 < t.len() { t[j + 1] } else { stop };
                                epochs.push(Epoch {
                                    name: String::new(),
                                    start: t[j],
                                    stop: end,
                                    amplitude: v[j],
                                });
                            }
                        }
                        (None, None) => {}
                        (Some(_), None) => {
                            return Err(
                                o.err("amplitude_values", "is required with amplitude_times")
                            );
                        }
                        (None, Some(_)) => {
                            return Err(
                                o.err("amplitude_times", "is required with amplitude_values")
                            );
                        }
                    }
                    if epochs.is_empty() {
                        return Err(o.err("epochs", "a step stimulus needs `epochs` or `amplitude_times` + `amplitude_values`"));
                    }
                    StimulusKind::Step { epochs }
                }
                _ => {
                    let times = o
                        .f64_array_opt("spike_times")?
                        .ok_or_else(|| o.err("spike_times", "is required"))?;
                    for (j, w) in times.windows(2).enumerate() {
                        if w[1] < w[0] {
                            return Err(o.err(
                                &format!("spike_times[{}]", j + 1),
                                "spike times must not decrease",
                            ));
                        }
                    }
                    for (j, &t) in times.iter().enumerate() {
                        if t < dt {
                            return Err(o.err(
                                &format!("spike_times[{j}]"),
                                format!("spike time {t} ms is before the first step end ({dt} ms)"),
                            ));
                        }
                        check_grid(
                            t,
                            dt,
                            GridPolicy::Error,
                            &o.key_path(&format!("spike_times[{j}]")),
                            "spike time",
                            &mut warnings,
                        )?;
                    }
                    let weights = match (o.f64_array_opt("weights")?, o.f64_opt("weight")?) {
                        (Some(w), None) => {
                            if w.len() != times.len() {
                                return Err(o.err(
                                    "weights",
                                    format!("{} weights for {} spike times", w.len(), times.len()),
                                ));
                            }
                            w
                        }
                        (None, Some(w)) => vec![w; times.len()],
                        (Some(_), Some(_)) => {
                            return Err(o.err("weight", "give `weight` or `weights`, not both"));
                        }
                        (None, None) => return Err(o.err("weight", "is required")),
                    };
                    let delay = o.f64_opt("delay")?.unwrap_or(dt);
                    check_delay(
                        &Dist::Const { value: delay },
                        dt,
                        GridPolicy::Error,
                        &o.key_path("delay"),
                        &mut warnings,
                    )?;
                    StimulusKind::SpikeTrain {
                        times,
                        weights,
                        delay,
                    }
                }
            };
            o.finish()?;
            stimuli.push(Stimulus {
                target,
                kind,
                start,
                stop,
            });
        }

        // Recorders.
        let mut recorders = Recorders {
            spikes: (0..populations.len()).collect(),
            rate_bin: 1.0,
            v_m: Vec::new(),
        };
        if let Some(r) = top.table_opt("recorders")? {
            match r.get("spikes") {
                None => {}
                Some(Value::Boolean(true)) => {}
                Some(Value::Boolean(false)) => recorders.spikes.clear(),
                Some(Value::String(s)) if s == "all" => {}
                Some(Value::Array(_)) => {
                    let names = r.str_array_opt("spikes")?.unwrap_or_default();
                    recorders.spikes.clear();
                    for (j, n) in names.iter().enumerate() {
                        let idx =
                            populations
                                .iter()
                                .position(|p| p.name == *n)
                                .ok_or_else(|| {
                                    r.err(
                                        &format!("spikes[{j}]"),
                                        format!("unknown population \"{n}\""),
                                    )
                                })?;
                        if !recorders.spikes.contains(&idx) {
                            recorders.spikes.push(idx);
                        }
                    }
                    recorders.spikes.sort_unstable();
                }
                Some(other) => {
                    return Err(r.err(
                        "spikes",
                        format!(
                            "expected true/false, \"all\" or a list of populations, found {}",
                            describe(other)
                        ),
                    ));
                }
            }
            if let Some(b) = r.f64_opt("rate_bin")? {
                if b < 0.0 {
                    return Err(r.err("rate_bin", format!("must be >= 0 ms, got {b}")));
                }
                if b > 0.0 {
                    validate::at_least_one_step(&r.key_path("rate_bin"), "rate bin", b, dt)?;
                    check_grid(
                        b,
                        dt,
                        GridPolicy::Error,
                        &r.key_path("rate_bin"),
                        "rate bin",
                        &mut warnings,
                    )?;
                }
                recorders.rate_bin = b;
            }
            if let Some(arr) = r.array_opt("v_m")? {
                for (j, v) in arr.iter().enumerate() {
                    let Value::Table(vt) = v else {
                        return Err(r.err(&format!("v_m[{j}]"), "expected a table"));
                    };
                    let o = Obj::new(r.key_path(&format!("v_m[{j}]")), vt);
                    let population = pop_index(&o, "population")?;
                    let n = o.u64_opt("n")?.unwrap_or(1);
                    if n == 0 || n > populations[population].size as u64 {
                        return Err(o.err(
                            "n",
                            format!(
                                "must be between 1 and the population size {}, got {n}",
                                populations[population].size
                            ),
                        ));
                    }
                    let interval = o.positive("interval", Some(dt))?;
                    validate::at_least_one_step(&o.key_path("interval"), "interval", interval, dt)?;
                    check_grid(
                        interval,
                        dt,
                        GridPolicy::Error,
                        &o.key_path("interval"),
                        "interval",
                        &mut warnings,
                    )?;
                    o.finish()?;
                    recorders.v_m.push(VmRecorder {
                        population,
                        n: n as u32,
                        interval,
                    });
                }
            }
            r.finish()?;
        }
        if recorders.rate_bin > 0.0 {
            let bins = (simulation.t_stop / recorders.rate_bin).ceil();
            if bins * populations.len() as f64 > 5e8 {
                return Err(SpecError::new(
                    "recorders.rate_bin",
                    format!("{bins} bins per population is too many"),
                ));
            }
        }
        top.finish()?;
        Ok(Network {
            simulation,
            populations,
            projections,
            stimuli,
            recorders,
            warnings,
        })
    }

    pub fn n_neurons(&self) -> u64 {
        self.populations.iter().map(|p| p.size as u64).sum()
    }

    /// First global id of each population (populations are laid out in file order).
    pub fn offsets(&self) -> Vec<u32> {
        let mut o = Vec::with_capacity(self.populations.len() + 1);
        let mut acc = 0u32;
        for p in &self.populations {
            o.push(acc);
            acc += p.size;
        }
        o.push(acc);
        o
    }

    /// Delay in whole steps (rounded, as validated).
    pub fn steps(&self, ms: f64) -> u64 {
        (ms / self.simulation.dt).round() as u64
    }

    pub fn pop_index(&self, name: &str) -> Option<usize> {
        self.populations.iter().position(|p| p.name == name)
    }
}

/// Read a file into the raw table; errors name the file.
pub fn load_table(path: &std::path::Path) -> Result<Table, SpecError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| SpecError::new(&origin, format!("cannot read the network file: {e}")))?;
    parse_toml(&text, &origin)
}

fn parse_simulation(o: Option<Obj>) -> Result<Simulation, SpecError> {
    let empty = Table::new();
    let o = o.unwrap_or_else(|| Obj::new("simulation", &empty));
    let dt = o.positive("dt", Some(0.1))?;
    if dt < 1e-6 {
        return Err(o.err(
            "dt",
            format!("time step {dt} ms is below the supported 1e-6 ms"),
        ));
    }
    let t_stop = o.non_negative("t_stop", Some(1000.0))?;
    let steps_f = t_stop / dt;
    let steps = steps_f.round();
    if (steps_f - steps).abs() > 1e-6 * steps.max(1.0) {
        return Err(o.err(
            "t_stop",
            format!("{t_stop} ms is not a whole number of steps of dt = {dt} ms"),
        ));
    }
    if steps >= 2f64.powi(53) {
        return Err(o.err("t_stop", format!("{t_stop} ms is {steps} steps: at most 2^53 steps are supported (the clock must stay exact in f64)")));
    }
    let seed = validate::seed(&o)?;
    let threads = validate::threads(&o)?;
    // Absent: the engine chooses (`engine::layout`).
    let partition_size = o.u64_opt("partition_size")?;
    if let Some(ps) = partition_size
        && (ps == 0 || ps > u32::MAX as u64)
    {
        return Err(o.err(
            "partition_size",
            format!("must be between 1 and 2^32-1, got {ps}"),
        ));
    }
    let scale = o.positive("scale", Some(1.0))?;
    let grid_policy = match o.choice("grid_policy", &["round", "error"], Some("round"))? {
        "error" => GridPolicy::Error,
        _ => GridPolicy::Round,
    };
    o.finish()?;
    Ok(Simulation {
        dt,
        t_stop,
        steps: steps as u64,
        seed,
        threads: threads as usize,
        partition_size: partition_size.map(|p| p as u32),
        grid_policy,
        scale,
    })
}

fn off_grid(x: f64, dt: f64) -> bool {
    validate::off_grid(x, dt)
}

fn check_grid(
    x: f64,
    dt: f64,
    policy: GridPolicy,
    path: &str,
    what: &str,
    warnings: &mut Vec<String>,
) -> Result<(), SpecError> {
    if off_grid(x, dt) {
        let rounded = (x / dt).round() * dt;
        match policy {
            GridPolicy::Error => {
                return Err(SpecError::new(
                    path,
                    format!("{what} {x} ms is not a multiple of dt = {dt} ms"),
                ));
            }
            GridPolicy::Round => warnings.push(format!(
                "{path}: {what} {x} ms is not a multiple of dt = {dt} ms; rounded to {rounded} ms"
            )),
        }
    }
    Ok(())
}

/// Delays: never below `dt`; constants off the grid follow the policy; distributions
/// are rounded per synapse (counted and reported by the builder) or refused with `error`.
fn check_delay(
    d: &Dist,
    dt: f64,
    policy: GridPolicy,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<(), SpecError> {
    let (lo, hi) = d.bounds();
    if lo < dt * (1.0 - 1e-9) {
        return Err(SpecError::new(
            path,
            if d.constant().is_some() {
                format!("delay {lo} ms is below the time step dt = {dt} ms")
            } else {
                format!(
                    "the delay distribution can produce {lo} ms, below the time step dt = {dt} ms (set `min` >= dt)"
                )
            },
        ));
    }
    let max_steps = hi / dt;
    if max_steps > 65535.0 {
        return Err(SpecError::new(
            path,
            format!(
                "delays up to {hi} ms are {max_steps:.0} steps: at most 65535 steps are supported"
            ),
        ));
    }
    match d {
        Dist::Const { value } => check_grid(*value, dt, policy, path, "delay", warnings),
        _ if policy == GridPolicy::Error => Err(SpecError::new(
            path,
            "a delay distribution produces delays off the time grid; set simulation.grid_policy = \"round\" to round them to whole steps",
        )),
        _ => Ok(()),
    }
}

/// A number, or a table `{ distribution = "normal", mean, std, min, max }` etc.
pub fn parse_dist(v: &Value, path: &str) -> Result<Dist, SpecError> {
    match v {
        Value::Integer(i) => Ok(Dist::Const { value: *i as f64 }),
        Value::Float(f) if f.is_finite() => Ok(Dist::Const { value: *f }),
        Value::Float(f) => Err(SpecError::new(
            path,
            format!("must be a finite number, got {f}"),
        )),
        Value::Table(t) => {
            let o = Obj::new(path, t);
            let kind = o.choice(
                "distribution",
                &["constant", "normal", "uniform", "lognormal"],
                None,
            )?;
            let d = match kind {
                "constant" => Dist::Const {
                    value: o.f64_req("value")?,
                },
                "normal" => {
                    let mean = o.f64_req("mean")?;
                    let std = o.non_negative("std", None)?;
                    let min = o.f64_or_inf_opt("min")?.unwrap_or(f64::NEG_INFINITY);
                    let max = o.f64_or_inf_opt("max")?.unwrap_or(f64::INFINITY);
                    check_bounds(&o, min, max)?;
                    if std == 0.0 && !(min..=max).contains(&mean) {
                        return Err(o.err("mean", format!("the mean {mean} lies outside [min, max] = [{min}, {max}] and std = 0")));
                    }
                    if std > 0.0 && normal_mass(mean, std, min, max) < 1e-4 {
                        return Err(o.err("min", format!("[{min}, {max}] holds less than 1e-4 of the normal distribution: redrawing would not end")));
                    }
                    Dist::Normal {
                        mean,
                        std,
                        min,
                        max,
                    }
                }
                "uniform" => {
                    let low = o.f64_req("low")?;
                    let high = o.f64_req("high")?;
                    if high < low {
                        return Err(o.err("high", format!("high ({high}) is below low ({low})")));
                    }
                    Dist::Uniform { low, high }
                }
                _ => {
                    let mu = o.f64_req("mu")?;
                    let sigma = o.non_negative("sigma", None)?;
                    let min = o.f64_or_inf_opt("min")?.unwrap_or(0.0);
                    let max = o.f64_or_inf_opt("max")?.unwrap_or(f64::INFINITY);
                    check_bounds(&o, min, max)?;
                    let (lmin, lmax) = (min.max(1e-300).ln(), max.ln());
                    if (sigma > 0.0 && normal_mass(mu, sigma, lmin, lmax) < 1e-4)
                        || (sigma == 0.0 && !(lmin..=lmax).contains(&mu))
                    {
                        return Err(o.err(
                            "min",
                            format!(
                                "[{min}, {max}] holds (almost) none of the lognormal distribution"
                            ),
                        ));
                    }
                    Dist::Lognormal {
                        mu,
                        sigma,
                        min,
                        max,
                    }
                }
            };
            o.finish()?;
            Ok(d)
        }
        other => Err(SpecError::new(
            path,
            format!(
                "expected a number or a distribution table, found {}",
                describe(other)
            ),
        )),
    }
}

fn check_bounds(o: &Obj, min: f64, max: f64) -> Result<(), SpecError> {
    if max < min {
        return Err(o.err("max", format!("max ({max}) is below min ({min})")));
    }
    Ok(())
}

/// Probability mass of N(mean, std) inside [lo, hi].
fn normal_mass(mean: f64, std: f64, lo: f64, hi: f64) -> f64 {
    use errorfunctions::RealErrorFunctions;
    let cdf = |x: f64| {
        if x == f64::INFINITY {
            1.0
        } else if x == f64::NEG_INFINITY {
            0.0
        } else {
            0.5 * RealErrorFunctions::erfc(-(x - mean) / (std * std::f64::consts::SQRT_2))
        }
    };
    cdf(hi) - cdf(lo)
}
