//! The network description: what is simulated, never how.
//!
//! Three stages, one type each: the TOML text is parsed into a `toml::Table` (the raw
//! form, to which `--set` overrides are applied by path, see [`overrides`]); the table
//! is read strictly into a validated [`Network`] (every unknown key is an error with a
//! "did you mean", every bad value a [`SpecError`] naming its path, e.g.
//! `projections[2].delay`; one function per section of the file, in `table`); the engine then builds a model from the `Network`. Times
//! are converted to whole steps of `dt` here, following [`GridPolicy`].
//!
//! The [`NetworkBuilder`] writes the same raw table from Rust code, so a network made in
//! code and one loaded from a file go through the same validation and are equal values.

pub mod builder;
pub mod connections;
pub mod overrides;
mod table;
pub mod validate;
pub use cortexsim_core::reader;

use cortexsim_core::error::SpecError;
pub use cortexsim_neuron::Analog;
use cortexsim_neuron::NeuronModel;
use reader::{Obj, describe};
use serde::Serialize;
use toml::{Table, Value};

pub use builder::NetworkBuilder;
pub use connections::ConnectionList;
use std::sync::Arc;

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
    FixedIndegree {
        indegree: u32,
    },
    PairwiseBernoulli {
        p: f64,
    },
    FixedTotalNumber {
        n: u64,
    },
    /// Every source makes `outdegree` synapses, targets drawn uniformly (NEST
    /// `fixed_outdegree`).
    FixedOutdegree {
        outdegree: u32,
    },
    OneToOne,
    AllToAll,
    /// An explicit list of (source, target[, weight, delay]) ([`Projection::connections`]).
    FromList,
}

impl Rule {
    /// Whether the rule can be generated procedurally (source rows regenerated at
    /// delivery): the rules whose rows are drawn per source.
    pub fn procedural_capable(&self) -> bool {
        matches!(
            self,
            Rule::PairwiseBernoulli { .. }
                | Rule::FixedTotalNumber { .. }
                | Rule::FixedOutdegree { .. }
        )
    }
}

/// How a projection's synapses are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Storage {
    /// Built once into the target partitions (source-major CSR): fastest delivery,
    /// 2–7 bytes per synapse.
    #[default]
    Stored,
    /// Nothing stored per synapse: each spike's row is regenerated at delivery from
    /// the stream `(seed, projection, source)` (`fixed_total_number`,
    /// `pairwise_bernoulli`, `fixed_outdegree`).
    Procedural,
}

impl Storage {
    pub fn is_stored(&self) -> bool {
        *self == Storage::Stored
    }
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
    /// The target model's input port (`receptor = "ex"`); `None`: by the weight's sign
    /// as the model declares ([`cortexsim_neuron::NeuronModel::route`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receptor: Option<String>,
    /// `storage = "stored"` (default) or `"procedural"`.
    #[serde(skip_serializing_if = "Storage::is_stored")]
    pub storage: Storage,
    /// The synapses of `rule = "from_list"`; then `weight` and `delay` are the listed
    /// values' range where the list carries them ([`ConnectionList::weight_law`]).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_list"
    )]
    pub connections: Option<Arc<ConnectionList>>,
}

fn serialize_list<S: serde::Serializer>(
    l: &Option<Arc<ConnectionList>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    l.as_deref().serialize(s)
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StimulusKind {
    /// `indegree` independent Poisson generators of `rate` Hz per neuron, each spike
    /// adding `weight` (NEST `poisson_generator` connected with `weight`). With
    /// `rate_sd > 0` the rate is redrawn every `rate_redraw` ms from a Gaussian of mean
    /// `rate` and sd `rate_sd`, cut at 0 (Wang 2002's stimulus), the same draw for every
    /// neuron of the target, from the stream of (seed, stimulus, interval).
    Poisson {
        rate: f64,
        indegree: u32,
        weight: f64,
        /// Hz (0: a constant rate).
        #[serde(skip_serializing_if = "is_zero")]
        rate_sd: f64,
        /// ms (0 with `rate_sd = 0`).
        #[serde(skip_serializing_if = "is_zero")]
        rate_redraw: f64,
    },
    /// Constant current (pA), added to `I_e`.
    Dc { amplitude: f64 },
    /// Sinusoidal current (pA; NEST `ac_generator`), added to `I_e`: in the step that
    /// starts at `t` (ms), `offset + amplitude sin(2π frequency t/1000 + phase π/180)`.
    Ac {
        amplitude: f64,
        offset: f64,
        /// Hz.
        frequency: f64,
        /// Degrees.
        phase: f64,
    },
    /// Gaussian current (pA; NEST `noise_generator`): every `dt` ms from the stimulus'
    /// start, each target neuron draws its own value of mean `mean` and sd `std`, held
    /// until the next draw, from the stream of (seed, stimulus, interval, neuron).
    NoiseCurrent { mean: f64, std: f64, dt: f64 },
    /// Gaussian white noise on the membrane (iaf_psc_delta targets), in the convention of
    /// Brunel 2000 and Brian: `tau_m dV/dt = -(V - E_L) + mean + sigma sqrt(tau_m) xi(t)`
    /// (mV); integrated exactly (Ornstein–Uhlenbeck increments); the free membrane's
    /// stationary sd is `sigma/sqrt(2)`.
    Noise { mean: f64, sigma: f64 },
    /// Piecewise-constant current (pA): `amplitude` in `[start, stop)` for each epoch.
    Step { epochs: Vec<Epoch> },
    /// One list of spike times (ms, on the grid, >= dt) per neuron of the target: weight
    /// 1 arriving in the step that ends at the time, so a `parrot_neuron` target spikes
    /// at exactly those times (`model = "spike_source_array"`; not a `[[stimuli]]` kind).
    SourceTimes { times: Vec<Vec<f64>> },
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
    /// Input port of the target model for spike inputs (`poisson`, `spike_train`);
    /// `None`: by the weight's sign.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receptor: Option<String>,
}

/// A recorder of one sampled variable (`[[recorders.v_m]]`, `[[recorders.g_ex]]`,
/// `[[recorders.g_in]]`): the variable is the list it is in.
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
    /// Conductances (conductance-based models only), sampled like `v_m`; absent from the
    /// serialised network when empty (the hash of a network without them is unchanged).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub g_ex: Vec<VmRecorder>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub g_in: Vec<VmRecorder>,
}

impl Recorders {
    /// The recorders of one sampled variable.
    pub fn analog(&self, var: Analog) -> &[VmRecorder] {
        match var {
            Analog::VM => &self.v_m,
            Analog::GEx => &self.g_ex,
            Analog::GIn => &self.g_in,
        }
    }

    pub fn analog_mut(&mut self, var: Analog) -> &mut Vec<VmRecorder> {
        match var {
            Analog::VM => &mut self.v_m,
            Analog::GEx => &mut self.g_ex,
            Analog::GIn => &mut self.g_in,
        }
    }

    /// Every sampled-variable recorder with its variable, in [`Analog::ALL`] order.
    pub fn all_analog(&self) -> impl Iterator<Item = (Analog, &VmRecorder)> {
        Analog::ALL
            .into_iter()
            .flat_map(move |var| self.analog(var).iter().map(move |r| (var, r)))
    }

    /// Remove every sampled-variable recorder.
    pub fn clear_analog(&mut self) {
        for var in Analog::ALL {
            self.analog_mut(var).clear();
        }
    }
}

/// A validated network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Network {
    pub simulation: Simulation,
    pub populations: Vec<Population>,
    pub projections: Vec<Projection>,
    pub stimuli: Vec<Stimulus>,
    pub recorders: Recorders,
    /// Named epochs of the task (`[epochs]`, e.g. fixation, stimulus, delay), sorted by
    /// start; stimuli may take their window from one (`epoch = "stimulus"`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub epochs: Vec<NamedEpoch>,
    /// Non-fatal remarks made during validation (e.g. rounded times).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// A named time window of a task, ms: `[start, stop)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamedEpoch {
    pub name: String,
    pub start: f64,
    pub stop: f64,
}

impl Network {
    /// The epoch named `name`, if the file declares it.
    pub fn epoch(&self, name: &str) -> Option<&NamedEpoch> {
        self.epochs.iter().find(|e| e.name == name)
    }
}

/// Top-level keys of a spiking network file.
pub const TOP_KEYS: &[&str] = &[
    "simulation",
    "epochs",
    "populations",
    "projections",
    "stimuli",
    "recorders",
    "description",
    "trials",
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

    /// Validate a raw table (the stages are in [`table`]).
    pub fn from_table(t: &Table) -> Result<Network, SpecError> {
        validate::number_range(t)?;
        table::network(t)
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

    /// Give projection `i` an explicit connection list in bulk (columns of population
    /// indices, optional per-connection weights and delays in ms), validated as the TOML
    /// key `connections` is (errors name `projections[i].connections[k]`). The projection
    /// becomes `rule = "from_list"`; its `weight`/`delay` stay in use where the list has
    /// no column for them.
    pub fn set_connections(
        &mut self,
        i: usize,
        sources: &[u64],
        targets: &[u64],
        weights: Option<&[f64]>,
        delays: Option<&[f64]>,
    ) -> Result<(), SpecError> {
        let path = format!("projections[{i}].connections");
        let pr = self.projections.get(i).ok_or_else(|| {
            SpecError::new(
                format!("projections[{i}]"),
                format!(
                    "no such projection: the network has {}",
                    self.projections.len()
                ),
            )
        })?;
        let list = ConnectionList::new(
            &path,
            self.populations[pr.source].size,
            self.populations[pr.target].size,
            sources,
            targets,
            weights,
            delays,
            connections::Grid {
                dt: self.simulation.dt,
                policy: self.simulation.grid_policy,
            },
        )?;
        self.set_connection_list(i, Arc::new(list))
    }

    /// Give projection `i` an already validated list (checked against the populations'
    /// sizes again, e.g. after the network was loaded anew with other overrides).
    pub fn set_connection_list(
        &mut self,
        i: usize,
        list: Arc<ConnectionList>,
    ) -> Result<(), SpecError> {
        let path = format!("projections[{i}].connections");
        let pr = self
            .projections
            .get(i)
            .ok_or_else(|| SpecError::new(&path, "no such projection"))?;
        let (ns, nt) = (
            self.populations[pr.source].size,
            self.populations[pr.target].size,
        );
        if (list.n_src, list.n_tgt) != (ns, nt) {
            return Err(SpecError::new(
                &path,
                format!(
                    "the list is for {} sources and {} targets, the populations have {ns} and {nt} neurons",
                    list.n_src, list.n_tgt
                ),
            ));
        }
        let pr = &mut self.projections[i];
        if let Some(w) = list.weight_law() {
            pr.weight = w;
        }
        if let Some(d) = list.delay_law() {
            pr.delay = d;
        }
        pr.rule = Rule::FromList;
        pr.connections = Some(list);
        Ok(())
    }
}

/// Read a file into the raw table; errors name the file.
pub fn load_table(path: &std::path::Path) -> Result<Table, SpecError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| SpecError::new(&origin, format!("cannot read the network file: {e}")))?;
    parse_toml(&text, &origin)
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
