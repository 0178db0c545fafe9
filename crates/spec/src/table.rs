//! Reading a raw table into a [`Network`], one stage per section of the file.
//!
//! [`network`] runs the stages in file order — `[simulation]`, `[[populations]]`,
//! `[[projections]]`, `[[stimuli]]`, `[recorders]`, then the checks across sections —
//! and each stage reads its section through the strict [`Obj`] reader, so every
//! unknown key and every bad value is an error naming its key path. The first error
//! found in this order is the one reported. Non-fatal remarks (times rounded to the
//! grid, a zero weight) are collected in `warnings`, in the same order.

use crate::validate;
use crate::{
    Dist, Epoch, GridPolicy, NamedEpoch, Network, Population, Projection, Recorders, Rule,
    Simulation, Stimulus, StimulusKind, Storage, VmRecorder, parse_dist,
};
use cortexsim_core::error::SpecError;
use cortexsim_core::reader::{self, Obj, describe};
use cortexsim_neuron::{Analog, NeuronModel};
use toml::{Table, Value};

/// Validate a raw table: the stages in file order, then the cross-section checks.
pub(crate) fn network(t: &Table) -> Result<Network, SpecError> {
    let top = Obj::new("", t);
    top.str_opt("description")?;
    // `[trials]`: the decision task of `cortexsim trials`, read and checked by the loader
    // (`models::task`); the network itself does not use it.
    top.get("trials");
    let mut warnings = Vec::new();
    let simulation = simulation(top.table_opt("simulation")?)?;
    let mut sources = Vec::new();
    let populations = populations(&top, &simulation, &mut sources, &mut warnings)?;
    let projections = projections(&top, &simulation, &populations, &mut warnings)?;
    let epochs = epochs(top.table_opt("epochs")?)?;
    let mut stimuli = stimuli(&top, &simulation, &populations, &epochs, &mut warnings)?;
    // Each `spike_source_poisson` population: its parrots driven by one Poisson input
    // each, after the file's stimuli (their indices are kept).
    stimuli.extend(sources);
    let recorders = recorders(&top, &simulation, &populations, &mut warnings)?;
    check_rate_bins(&simulation, &populations, &recorders)?;
    top.finish()?;
    Ok(Network {
        simulation,
        populations,
        projections,
        stimuli,
        recorders,
        epochs,
        warnings,
    })
}

// ---------------------------------------------------------------------------
// [epochs]

/// The `[epochs]` table: `name = { start = ms, stop = ms }`, sorted by start.
/// An epoch may extend past `t_stop` (a shortened run, `--t-stop`, simply ends in it).
fn epochs(o: Option<Obj>) -> Result<Vec<NamedEpoch>, SpecError> {
    let Some(o) = o else { return Ok(Vec::new()) };
    let names: Vec<String> = o.table().keys().cloned().collect();
    let mut out = Vec::new();
    for name in names {
        let Some(e) = o.table_opt(&name)? else {
            continue;
        };
        let start = e.non_negative("start", None)?;
        let stop = e.f64_req("stop")?;
        if stop < start {
            return Err(e.err(
                "stop",
                format!("stop ({stop} ms) is before start ({start} ms)"),
            ));
        }
        e.finish()?;
        out.push(NamedEpoch { name, start, stop });
    }
    o.finish()?;
    out.sort_by(|a, b| a.start.total_cmp(&b.start));
    Ok(out)
}

// ---------------------------------------------------------------------------
// [simulation]

/// The `[simulation]` section (every key has a default; the section may be absent).
fn simulation(o: Option<Obj>) -> Result<Simulation, SpecError> {
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

// ---------------------------------------------------------------------------
// [[populations]]

/// The `[[populations]]` array: at least one, names unique, sizes scaled and bounded.
fn populations(
    top: &Obj,
    sim: &Simulation,
    sources: &mut Vec<Stimulus>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Population>, SpecError> {
    let raw = top
        .array_opt("populations")?
        .ok_or_else(|| SpecError::new("populations", "at least one population is required"))?;
    if raw.is_empty() {
        return Err(SpecError::new(
            "populations",
            "at least one population is required",
        ));
    }
    let mut populations: Vec<Population> = Vec::new();
    for (i, v) in raw.iter().enumerate() {
        let (p, source) = population(i, v, sim, &populations, warnings)?;
        if let Some(mut st) = source {
            st.target = populations.len();
            sources.push(st);
        }
        populations.push(p);
    }
    check_total_size(&populations)?;
    Ok(populations)
}

/// One population; `earlier` are the populations before it (for duplicate names).
fn population(
    i: usize,
    v: &Value,
    sim: &Simulation,
    earlier: &[Population],
    warnings: &mut Vec<String>,
) -> Result<(Population, Option<Stimulus>), SpecError> {
    let pt = entry_table(format!("populations[{i}]"), v)?;
    let name = match pt.get("name") {
        Some(Value::String(s)) => s.clone(),
        _ => {
            return Err(SpecError::new(
                format!("populations[{i}].name"),
                "is required (a string)",
            ));
        }
    };
    let o = Obj::new(format!("populations[{name}]"), pt);
    o.get("name");
    check_population_name(&o, &name, earlier)?;
    let size = population_size(&o, sim)?;
    let (model, source) = match o.get("model") {
        Some(Value::String(m)) if m == "spike_source_poisson" => {
            let st = poisson_source(&o, sim)?;
            (NeuronModel::ParrotNeuron(Default::default()), Some(st))
        }
        Some(Value::String(m)) if m == "spike_source_array" => {
            let st = array_source(&o, sim, size)?;
            (NeuronModel::ParrotNeuron(Default::default()), Some(st))
        }
        _ => (neuron_model(&o)?, None),
    };
    let core = model.core();
    check_refractory(&name, core.t_ref, sim, warnings)?;
    let v_init = match (o.get("v_init"), o.get("V_m")) {
        (Some(_), Some(_)) => {
            return Err(o.err("V_m", "given twice (as `v_init` and `V_m`)"));
        }
        (Some(v), None) => parse_dist(v, &o.key_path("v_init"))?,
        (None, Some(v)) => parse_dist(v, &o.key_path("V_m"))?,
        (None, None) => Dist::Const { value: core.e_l },
    };
    o.finish()?;
    Ok((
        Population {
            name,
            size: size as u32,
            model,
            v_init,
        },
        source,
    ))
}

/// `model = "spike_source_array"`, `params = { spike_times = [[ms, ...], ...] }` (PyNN's
/// `SpikeSourceArray`): one non-decreasing list per neuron (or one list for every neuron),
/// times on the grid and at least `dt`; the parrots spike at exactly those times.
fn array_source(o: &Obj, sim: &Simulation, size: u64) -> Result<Stimulus, SpecError> {
    let p = o
        .table_opt("params")?
        .ok_or_else(|| o.err("params", "is required for spike_source_array (spike_times)"))?;
    let path = p.key_path("spike_times");
    let rows = match p.get("spike_times") {
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(SpecError::new(
                path,
                format!(
                    "expected an array of spike times or one array per neuron, found {}",
                    describe(other)
                ),
            ));
        }
        None => return Err(p.err("spike_times", "is required")),
    };
    let per_neuron = rows.iter().any(|v| matches!(v, Value::Array(_)));
    let list = |v: &[Value], at: &str| -> Result<Vec<f64>, SpecError> {
        let mut out = Vec::with_capacity(v.len());
        for (j, x) in v.iter().enumerate() {
            let at = format!("{at}[{j}]");
            let t = match x {
                Value::Integer(i) => *i as f64,
                Value::Float(f) if f.is_finite() => *f,
                other => {
                    return Err(SpecError::new(
                        at,
                        format!(
                            "a spike time must be a finite number, found {}",
                            describe(other)
                        ),
                    ));
                }
            };
            if t < sim.dt * (1.0 - 1e-9) {
                return Err(SpecError::new(
                    at,
                    format!(
                        "spike time {t} ms is before the first step end ({} ms)",
                        sim.dt
                    ),
                ));
            }
            if out.last().is_some_and(|&l| t < l) {
                return Err(SpecError::new(at, "spike times must not decrease"));
            }
            let mut w = Vec::new();
            check_grid(t, sim.dt, GridPolicy::Error, &at, "spike time", &mut w)?;
            out.push(t);
        }
        Ok(out)
    };
    let times = if per_neuron {
        if rows.len() as u64 != size {
            return Err(SpecError::new(
                path,
                format!(
                    "{} lists of spike times for {size} neurons (give one per neuron, or one list for all)",
                    rows.len()
                ),
            ));
        }
        rows.iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Array(a) => list(a, &format!("{path}[{i}]")),
                other => Err(SpecError::new(
                    format!("{path}[{i}]"),
                    format!(
                        "expected the spike times of neuron {i} (an array), found {}",
                        describe(other)
                    ),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?
    } else {
        vec![list(rows, &path)?; size as usize]
    };
    p.finish()?;
    Ok(Stimulus {
        target: 0,
        kind: StimulusKind::SourceTimes { times },
        start: 0.0,
        stop: sim.t_stop,
        receptor: None,
    })
}

/// `model = "spike_source_poisson"`, `params = { rate = Hz, start = ms, stop = ms }`
/// (PyNN's `SpikeSourcePoisson`): a population of `parrot_neuron`s, each driven by its
/// own Poisson input (`indegree = 1`, `weight = 1`, stream keyed by the neuron), so each
/// source neuron has one spike train that reaches all its targets and is recorded. The
/// input is a `poisson` stimulus appended after the file's `[[stimuli]]`.
fn poisson_source(o: &Obj, sim: &Simulation) -> Result<Stimulus, SpecError> {
    let p = o.table_opt("params")?.ok_or_else(|| {
        o.err(
            "params",
            "is required for spike_source_poisson (rate in Hz)",
        )
    })?;
    let rate = p.non_negative("rate", None)?;
    if !rate.is_finite() || rate * sim.dt * 1e-3 > 1e7 {
        return Err(p.err(
            "rate",
            format!("{rate} Hz is beyond what a spike source can emit (one spike per step)"),
        ));
    }
    let start = p.non_negative("start", Some(0.0))?;
    let stop = p.f64_opt("stop")?.unwrap_or(sim.t_stop);
    if stop < start {
        return Err(p.err(
            "stop",
            format!("stop ({stop} ms) is before start ({start} ms)"),
        ));
    }
    p.finish()?;
    Ok(Stimulus {
        target: 0,
        kind: StimulusKind::Poisson {
            rate,
            indegree: 1,
            weight: 1.0,
            rate_sd: 0.0,
            rate_redraw: 0.0,
        },
        start,
        stop,
        receptor: None,
    })
}

/// A population name: SONATA-safe characters ([`validate::population_name`]), unique.
fn check_population_name(o: &Obj, name: &str, earlier: &[Population]) -> Result<(), SpecError> {
    validate::population_name(o, name)?;
    if earlier.iter().any(|p| p.name == name) {
        return Err(o.err("name", format!("duplicate population name \"{name}\"")));
    }
    Ok(())
}

/// `size`, scaled by `simulation.scale` (at least one neuron) and bounded.
fn population_size(o: &Obj, sim: &Simulation) -> Result<u64, SpecError> {
    let size = o
        .u64_opt("size")?
        .ok_or_else(|| o.err("size", "is required"))?;
    if size == 0 {
        return Err(o.err("size", "population is empty (size = 0)"));
    }
    let size = if sim.scale == 1.0 {
        size
    } else {
        ((size as f64 * sim.scale).round() as u64).max(1)
    };
    if size > u32::MAX as u64 / 2 {
        return Err(o.err("size", format!("too large ({size} neurons)")));
    }
    Ok(size)
}

/// `model` and its `params` table (read by the neuron crate).
fn neuron_model(o: &Obj) -> Result<NeuronModel, SpecError> {
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
    Ok(model)
}

/// A refractory period off the time grid: rounded up with a warning, or refused.
fn check_refractory(
    name: &str,
    t_ref: f64,
    sim: &Simulation,
    warnings: &mut Vec<String>,
) -> Result<(), SpecError> {
    let dt = sim.dt;
    if off_grid(t_ref, dt) {
        let path = format!("populations[{name}].params.t_ref");
        let steps = cortexsim_neuron::refractory_steps(t_ref, dt);
        match sim.grid_policy {
            GridPolicy::Error => {
                return Err(SpecError::new(
                    path,
                    format!("t_ref {t_ref} ms is not a multiple of dt = {dt} ms"),
                ));
            }
            GridPolicy::Round => warnings.push(format!(
                "{path}: t_ref {t_ref} ms is not a multiple of dt = {dt} ms; rounded up to {steps} steps ({} ms), as NEST does",
                steps as f64 * dt
            )),
        }
    }
    Ok(())
}

/// All populations together fit the `u32` global ids.
fn check_total_size(populations: &[Population]) -> Result<(), SpecError> {
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
    Ok(())
}

// ---------------------------------------------------------------------------
// [[projections]]

/// The `[[projections]]` array (may be absent).
fn projections(
    top: &Obj,
    sim: &Simulation,
    populations: &[Population],
    warnings: &mut Vec<String>,
) -> Result<Vec<Projection>, SpecError> {
    entries(top, "projections")?
        .iter()
        .enumerate()
        .map(|(i, v)| projection(i, v, sim, populations, warnings))
        .collect()
}

/// Source and target sizes and the flags that limit the possible pairs.
struct Pairs {
    n_source: u64,
    n_target: u64,
    same: bool,
    autapses: bool,
    multapses: bool,
}

fn projection(
    i: usize,
    v: &Value,
    sim: &Simulation,
    populations: &[Population],
    warnings: &mut Vec<String>,
) -> Result<Projection, SpecError> {
    let o = Obj::new(
        format!("projections[{i}]"),
        entry_table(format!("projections[{i}]"), v)?,
    );
    o.str_opt("name")?;
    let source = population_ref(&o, "source", populations)?;
    let target = population_ref(&o, "target", populations)?;
    let pairs = Pairs {
        n_source: populations[source].size as u64,
        n_target: populations[target].size as u64,
        same: source == target,
        autapses: o.bool_or("autapses", true)?,
        multapses: o.bool_or("multapses", true)?,
    };
    let rule = connection_rule(&o, sim, &pairs, warnings)?;
    let connections = match rule {
        Rule::FromList => Some(std::sync::Arc::new(connection_list(&o, sim, &pairs)?)),
        _ if o.get("connections").is_some() => {
            return Err(o.err("connections", "is read only with rule = \"from_list\""));
        }
        _ => None,
    };
    let listed = |key: &str, law: Option<Dist>| -> Result<Option<Dist>, SpecError> {
        if law.is_some() && o.has(key) {
            return Err(o.err(
                key,
                format!("is given per connection in `connections` (rows [source, target, weight, delay]); remove `{key}`"),
            ));
        }
        Ok(law)
    };
    let weight = match listed("weight", connections.as_ref().and_then(|l| l.weight_law()))? {
        Some(w) => w,
        None => parse_dist(
            o.get("weight")
                .ok_or_else(|| o.err("weight", "is required"))?,
            &o.key_path("weight"),
        )?,
    };
    let delay = match listed("delay", connections.as_ref().and_then(|l| l.delay_law()))? {
        Some(d) => d,
        None => projection_delay(&o, sim, warnings)?,
    };
    if let Dist::Const { value } = weight
        && value == 0.0
    {
        warnings.push(format!(
            "{}: weight is 0, the projection has no effect",
            o.key_path("weight")
        ));
    }
    let receptor = parse_receptor(&o, &populations[target], None)?;
    let storage = match o.choice("storage", &["stored", "procedural"], Some("stored"))? {
        "procedural" => Storage::Procedural,
        _ => Storage::Stored,
    };
    if storage == Storage::Procedural && !rule.procedural_capable() {
        return Err(o.err(
            "storage",
            "\"procedural\" needs rule fixed_total_number, pairwise_bernoulli or fixed_outdegree (rows drawn per source)",
        ));
    }
    o.finish()?;
    Ok(Projection {
        source,
        target,
        rule,
        autapses: pairs.autapses,
        multapses: pairs.multapses,
        weight,
        delay,
        receptor,
        storage,
        connections,
    })
}

/// `rule` and its parameter; counts are scaled by `simulation.scale` so that in-degrees
/// are kept, and checked against the pairs that exist.
fn connection_rule(
    o: &Obj,
    sim: &Simulation,
    pairs: &Pairs,
    warnings: &mut Vec<String>,
) -> Result<Rule, SpecError> {
    let rule_name = o.choice(
        "rule",
        &[
            "fixed_indegree",
            "pairwise_bernoulli",
            "fixed_total_number",
            "fixed_outdegree",
            "one_to_one",
            "all_to_all",
            "from_list",
        ],
        None,
    )?;
    match rule_name {
        "fixed_indegree" => fixed_indegree(o, pairs),
        "fixed_outdegree" => fixed_outdegree(o, pairs),
        "pairwise_bernoulli" => pairwise_bernoulli(o, sim, warnings),
        "fixed_total_number" => fixed_total_number(o, sim, pairs),
        "one_to_one" => one_to_one(o, pairs),
        "from_list" if sim.scale != 1.0 => Err(o.err(
            "rule",
            format!(
                "from_list names neurons by index: it cannot be scaled (simulation.scale = {})",
                sim.scale
            ),
        )),
        "from_list" => Ok(Rule::FromList),
        _ => Ok(Rule::AllToAll),
    }
}

fn fixed_indegree(o: &Obj, pairs: &Pairs) -> Result<Rule, SpecError> {
    let k = o
        .u64_opt("indegree")?
        .ok_or_else(|| o.err("indegree", "is required for rule fixed_indegree"))?;
    let ns = pairs.n_source;
    let avail = if pairs.same && !pairs.autapses {
        ns - 1
    } else {
        ns
    };
    if !pairs.multapses && k > avail {
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
    Ok(Rule::FixedIndegree { indegree: k as u32 })
}

/// `outdegree` per source (not scaled: with both populations scaled by
/// `simulation.scale`, the in-degree `outdegree · N_src / N_tgt` is kept).
fn fixed_outdegree(o: &Obj, pairs: &Pairs) -> Result<Rule, SpecError> {
    let k = o
        .u64_opt("outdegree")?
        .ok_or_else(|| o.err("outdegree", "is required for rule fixed_outdegree"))?;
    let nt = pairs.n_target;
    let avail = if pairs.same && !pairs.autapses {
        nt - 1
    } else {
        nt
    };
    if !pairs.multapses && k > avail {
        return Err(o.err(
            "outdegree",
            format!("{k} exceeds the {avail} possible targets without multapses"),
        ));
    }
    if k > 0 && avail == 0 {
        return Err(o.err(
            "outdegree",
            "no possible target (single neuron without autapses)",
        ));
    }
    if k > u32::MAX as u64 {
        return Err(o.err("outdegree", format!("too large: {k}")));
    }
    Ok(Rule::FixedOutdegree {
        outdegree: k as u32,
    })
}

fn pairwise_bernoulli(
    o: &Obj,
    sim: &Simulation,
    warnings: &mut Vec<String>,
) -> Result<Rule, SpecError> {
    let p = o.f64_req("p")?;
    if !(0.0..=1.0).contains(&p) {
        return Err(o.err("p", format!("probability must be in [0, 1], got {p}")));
    }
    // Keep the in-degree p N_src under `simulation.scale`.
    let p = if sim.scale == 1.0 {
        p
    } else {
        let q = p / sim.scale;
        if q > 1.0 {
            warnings.push(format!(
                "{}: p = {p} scaled by 1/{} exceeds 1; clipped (in-degree not kept)",
                o.key_path("p"),
                sim.scale
            ));
        }
        q.min(1.0)
    };
    Ok(Rule::PairwiseBernoulli { p })
}

fn fixed_total_number(o: &Obj, sim: &Simulation, pairs: &Pairs) -> Result<Rule, SpecError> {
    let n = o
        .u64_opt("n")?
        .ok_or_else(|| o.err("n", "is required for rule fixed_total_number"))?;
    // Keep the mean in-degree n / N_target under `simulation.scale`.
    let n = if sim.scale == 1.0 {
        n
    } else {
        (n as f64 * sim.scale).round() as u64
    };
    let (ns, nt) = (pairs.n_source, pairs.n_target);
    let avail = if pairs.same && !pairs.autapses {
        ns * nt - nt
    } else {
        ns * nt
    };
    if !pairs.multapses && n > avail {
        return Err(o.err(
            "n",
            format!("{n} exceeds the {avail} possible pairs without multapses"),
        ));
    }
    if n > 0 && avail == 0 {
        return Err(o.err("n", "no possible pair"));
    }
    Ok(Rule::FixedTotalNumber { n })
}

fn one_to_one(o: &Obj, pairs: &Pairs) -> Result<Rule, SpecError> {
    let (ns, nt) = (pairs.n_source, pairs.n_target);
    if ns != nt {
        return Err(o.err(
            "rule",
            format!("one_to_one needs equal sizes, got {ns} sources and {nt} targets"),
        ));
    }
    if pairs.same && !pairs.autapses {
        return Err(o.err(
            "autapses",
            "one_to_one within a population without autapses connects nothing",
        ));
    }
    Ok(Rule::OneToOne)
}

/// `connections = [[source, target], ...]` or `[[source, target, weight, delay], ...]`
/// (indices within the populations; one width for every row).
fn connection_list(
    o: &Obj,
    sim: &Simulation,
    pairs: &Pairs,
) -> Result<crate::ConnectionList, SpecError> {
    let path = o.key_path("connections");
    let rows = match o.get("connections") {
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(SpecError::new(
                path,
                format!(
                    "expected an array of [source, target] or [source, target, weight, delay] rows, found {}",
                    describe(other)
                ),
            ));
        }
        None => return Err(o.err("connections", "is required for rule from_list")),
    };
    let n = rows.len();
    let mut width = None;
    let (mut src, mut tgt) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut w, mut d) = (Vec::new(), Vec::new());
    for (k, row) in rows.iter().enumerate() {
        let at = format!("{path}[{k}]");
        let Value::Array(r) = row else {
            return Err(SpecError::new(
                at,
                format!(
                    "expected a row [source, target(, weight, delay)], found {}",
                    describe(row)
                ),
            ));
        };
        if r.len() != 2 && r.len() != 4 {
            return Err(SpecError::new(
                at,
                format!(
                    "a row has 2 ([source, target]) or 4 ([source, target, weight, delay]) numbers, found {}",
                    r.len()
                ),
            ));
        }
        let first = *width.get_or_insert(r.len());
        if r.len() != first {
            return Err(SpecError::new(
                at,
                format!(
                    "has {} numbers but the first row has {first}: every row has the same width",
                    r.len()
                ),
            ));
        }
        let index = |i: usize, what: &str| match &r[i] {
            Value::Integer(x) if *x >= 0 => Ok(*x as u64),
            other => Err(SpecError::new(
                format!("{at}[{i}]"),
                format!(
                    "the {what} index must be a non-negative integer, found {}",
                    describe(other)
                ),
            )),
        };
        let number = |i: usize, what: &str| match &r[i] {
            Value::Integer(x) => Ok(*x as f64),
            Value::Float(x) => Ok(*x),
            other => Err(SpecError::new(
                format!("{at}[{i}]"),
                format!("the {what} must be a number, found {}", describe(other)),
            )),
        };
        src.push(index(0, "source")?);
        tgt.push(index(1, "target")?);
        if r.len() == 4 {
            w.push(number(2, "weight")?);
            d.push(number(3, "delay")?);
        }
    }
    let four = width == Some(4);
    crate::ConnectionList::new(
        &path,
        pairs.n_source as u32,
        pairs.n_target as u32,
        &src,
        &tgt,
        four.then_some(&w[..]),
        four.then_some(&d[..]),
        crate::connections::Grid {
            dt: sim.dt,
            policy: sim.grid_policy,
        },
    )
}

/// `delay` (default: one step), checked against the grid and the supported range.
fn projection_delay(
    o: &Obj,
    sim: &Simulation,
    warnings: &mut Vec<String>,
) -> Result<Dist, SpecError> {
    let delay = match o.get("delay") {
        Some(v) => parse_dist(v, &o.key_path("delay"))?,
        None => Dist::Const { value: sim.dt },
    };
    check_delay(
        &delay,
        sim.dt,
        sim.grid_policy,
        &o.key_path("delay"),
        warnings,
    )?;
    Ok(delay)
}

// ---------------------------------------------------------------------------
// [[stimuli]]

/// The `[[stimuli]]` array (may be absent).
fn stimuli(
    top: &Obj,
    sim: &Simulation,
    populations: &[Population],
    epochs: &[NamedEpoch],
    warnings: &mut Vec<String>,
) -> Result<Vec<Stimulus>, SpecError> {
    entries(top, "stimuli")?
        .iter()
        .enumerate()
        .map(|(i, v)| stimulus(i, v, sim, populations, epochs, warnings))
        .collect()
}

fn stimulus(
    i: usize,
    v: &Value,
    sim: &Simulation,
    populations: &[Population],
    epochs: &[NamedEpoch],
    warnings: &mut Vec<String>,
) -> Result<Stimulus, SpecError> {
    let o = Obj::new(
        format!("stimuli[{i}]"),
        entry_table(format!("stimuli[{i}]"), v)?,
    );
    o.str_opt("name")?;
    let target = population_ref(&o, "target", populations)?;
    let kind_name = o.choice(
        "kind",
        &[
            "poisson",
            "dc",
            "ac",
            "step",
            "spike_train",
            "noise",
            "noise_current",
        ],
        None,
    )?;
    let (start, stop) = match o.str_opt("epoch")? {
        Some(name) => {
            if o.has("start") || o.has("stop") {
                return Err(o.err("epoch", "give either `epoch` or `start`/`stop`, not both"));
            }
            let Some(e) = epochs.iter().find(|e| e.name == name) else {
                let known: Vec<&str> = epochs.iter().map(|e| e.name.as_str()).collect();
                let hint = reader::did_you_mean(name, known.iter().copied())
                    .map(|h| format!("; did you mean \"{h}\"?"))
                    .unwrap_or_default();
                return Err(o.err(
                    "epoch",
                    format!(
                        "unknown epoch \"{name}\" (declared in [epochs]: {}){hint}",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            };
            (e.start, e.stop)
        }
        None => (
            o.non_negative("start", Some(0.0))?,
            o.f64_opt("stop")?.unwrap_or(sim.t_stop),
        ),
    };
    if stop < start {
        return Err(o.err(
            "stop",
            format!("stop ({stop} ms) is before start ({start} ms)"),
        ));
    }
    let kind = match kind_name {
        "poisson" => poisson(&o, sim.dt)?,
        "dc" => StimulusKind::Dc {
            amplitude: o.f64_req("amplitude")?,
        },
        "ac" => StimulusKind::Ac {
            amplitude: o.f64_or("amplitude", 0.0)?,
            offset: o.f64_or("offset", 0.0)?,
            frequency: o.non_negative("frequency", Some(0.0))?,
            phase: o.f64_or("phase", 0.0)?,
        },
        "noise_current" => noise_current(&o, sim.dt)?,
        "noise" => membrane_noise(&o, &populations[target])?,
        "step" => step_current(&o, stop)?,
        _ => spike_train(&o, sim.dt, warnings)?,
    };
    let receptor = parse_receptor(&o, &populations[target], Some(kind_name))?;
    o.finish()?;
    Ok(Stimulus {
        target,
        kind,
        start,
        stop,
        receptor,
    })
}

/// The `receptor` of a projection or stimulus onto `target`: a port the target's model
/// declares; absent, the model must route every weight by its sign. Only spike inputs
/// (projections, `poisson`, `spike_train`) reach a port.
/// `stimulus`: the stimulus kind (`None` for a projection).
fn parse_receptor(
    o: &Obj,
    target: &Population,
    stimulus: Option<&str>,
) -> Result<Option<String>, SpecError> {
    let model = &target.model;
    let receptor = o.str_opt("receptor")?;
    if let Some(kind) = stimulus
        && !matches!(kind, "poisson" | "spike_train")
    {
        return match receptor {
            Some(name) => Err(o.err(
                "receptor",
                format!("\"{name}\": a `{kind}` stimulus is not made of spikes and reaches no receptor port (receptor applies to poisson and spike_train)"),
            )),
            None => Ok(None),
        };
    }
    if model.route(receptor).is_none() {
        return Err(match receptor {
            Some(name) => {
                let hint = reader::did_you_mean(name, model.ports().iter().map(|p| p.name))
                    .map(|h| format!("; did you mean \"{h}\"?"))
                    .unwrap_or_default();
                o.err(
                    "receptor",
                    format!(
                        "unknown receptor \"{name}\" of {} (population \"{}\"; ports: {}){hint}",
                        model.name(),
                        target.name,
                        model.port_list()
                    ),
                )
            }
            None => o.err(
                "receptor",
                format!(
                    "is required: {} (population \"{}\") routes no weight by its sign; name one of its ports: {}",
                    model.name(),
                    target.name,
                    model.port_list()
                ),
            ),
        });
    }
    Ok(receptor.map(str::to_string))
}

/// Poisson input: `rate` per generator (+ `indegree`), or `total_rate`.
fn poisson(o: &Obj, dt: f64) -> Result<StimulusKind, SpecError> {
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
            return Err(o.err("total_rate", "give either `rate` or `total_rate`, not both"));
        }
        (None, _, None) => {
            return Err(o.err("rate", "is required (Hz per generator; or `total_rate`)"));
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
        return Err(o.err(
            "rate",
            format!(
                "{mean_per_step} input spikes per step and neuron is beyond what is meaningful"
            ),
        ));
    }
    let rate_sd = o.non_negative("rate_sd", Some(0.0))?;
    let rate_redraw = o.f64_opt("rate_redraw")?;
    let rate_redraw = match (rate_sd > 0.0, rate_redraw) {
        (true, None) => {
            return Err(o.err(
                "rate_redraw",
                "is required with rate_sd (ms between two draws of the rate)",
            ));
        }
        (_, Some(r)) if r < dt || !r.is_finite() => {
            return Err(o.err(
                "rate_redraw",
                format!("must be at least one step ({dt} ms), got {r}"),
            ));
        }
        (false, Some(_)) => {
            return Err(o.err(
                "rate_redraw",
                "applies only with rate_sd > 0 (the rate is otherwise constant)",
            ));
        }
        (true, Some(r)) => r,
        (false, None) => 0.0,
    };
    Ok(StimulusKind::Poisson {
        rate,
        indegree: indegree as u32,
        weight,
        rate_sd,
        rate_redraw,
    })
}

/// A Gaussian current redrawn per neuron every `dt` ms (a whole number of steps;
/// default one step).
fn noise_current(o: &Obj, h: f64) -> Result<StimulusKind, SpecError> {
    let mean = o.f64_or("mean", 0.0)?;
    let std = o.non_negative("std", Some(0.0))?;
    let dt = o.positive("dt", Some(h))?;
    let k = (dt / h).round();
    if k < 1.0 || (dt / h - k).abs() > 1e-9 * k {
        return Err(o.err(
            "dt",
            format!("must be a whole number of simulation steps ({h} ms), got {dt}"),
        ));
    }
    Ok(StimulusKind::NoiseCurrent { mean, std, dt })
}

/// White membrane noise (`mean`, `sigma`), for `iaf_psc_delta` targets only.
fn membrane_noise(o: &Obj, target: &Population) -> Result<StimulusKind, SpecError> {
    if !matches!(target.model, NeuronModel::IafPscDelta(_)) {
        return Err(o.err(
            "kind",
            format!(
                "the membrane-noise stimulus is implemented for iaf_psc_delta targets; \"{}\" is {}",
                target.name,
                target.model.name()
            ),
        ));
    }
    Ok(StimulusKind::Noise {
        mean: o.f64_or("mean", 0.0)?,
        sigma: o.non_negative("sigma", None)?,
    })
}

/// A step current: named `epochs`, and/or an amplitude schedule
/// (`amplitude_times` + `amplitude_values`) that lasts until the stimulus' `stop`.
fn step_current(o: &Obj, stop: f64) -> Result<StimulusKind, SpecError> {
    let mut epochs = step_epochs(o)?;
    epochs.extend(amplitude_schedule(o, stop)?);
    if epochs.is_empty() {
        return Err(o.err(
            "epochs",
            "a step stimulus needs `epochs` or `amplitude_times` + `amplitude_values`",
        ));
    }
    Ok(StimulusKind::Step { epochs })
}

fn step_epochs(o: &Obj) -> Result<Vec<Epoch>, SpecError> {
    let mut epochs = Vec::new();
    let Some(arr) = o.array_opt("epochs")? else {
        return Ok(epochs);
    };
    for (j, ev) in arr.iter().enumerate() {
        let Value::Table(et) = ev else {
            return Err(o.err(&format!("epochs[{j}]"), "expected a table"));
        };
        let e = Obj::new(o.key_path(&format!("epochs[{j}]")), et);
        let name = e.str_opt("name")?.unwrap_or("").to_string();
        let es = e.non_negative("start", None)?;
        let ee = e.f64_req("stop")?;
        if ee < es {
            return Err(e.err("stop", format!("stop ({ee} ms) is before start ({es} ms)")));
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
    Ok(epochs)
}

fn amplitude_schedule(o: &Obj, stop: f64) -> Result<Vec<Epoch>, SpecError> {
    let times = o.f64_array_opt("amplitude_times")?;
    let values = o.f64_array_opt("amplitude_values")?;
    let (t, v) = match (times, values) {
        (Some(t), Some(v)) => (t, v),
        (None, None) => return Ok(Vec::new()),
        (Some(_), None) => {
            return Err(o.err("amplitude_values", "is required with amplitude_times"));
        }
        (None, Some(_)) => {
            return Err(o.err("amplitude_times", "is required with amplitude_values"));
        }
    };
    if t.len() != v.len() {
        return Err(o.err(
            "amplitude_values",
            format!("{} values for {} amplitude_times", v.len(), t.len()),
        ));
    }
    let mut epochs = Vec::with_capacity(t.len());
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
    Ok(epochs)
}

/// Spikes at given times (on the grid, not before the first step end), with one
/// `weight` or one per spike (`weights`), after `delay`.
fn spike_train(o: &Obj, dt: f64, warnings: &mut Vec<String>) -> Result<StimulusKind, SpecError> {
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
            warnings,
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
        warnings,
    )?;
    Ok(StimulusKind::SpikeTrain {
        times,
        weights,
        delay,
    })
}

// ---------------------------------------------------------------------------
// [recorders]

/// The `[recorders]` section; absent: spikes of every population, 1 ms rate bins.
fn recorders(
    top: &Obj,
    sim: &Simulation,
    populations: &[Population],
    warnings: &mut Vec<String>,
) -> Result<Recorders, SpecError> {
    let mut recorders = Recorders {
        spikes: (0..populations.len()).collect(),
        rate_bin: 1.0,
        v_m: Vec::new(),
        g_ex: Vec::new(),
        g_in: Vec::new(),
    };
    let Some(r) = top.table_opt("recorders")? else {
        return Ok(recorders);
    };
    if let Some(spikes) = spike_recorder(&r, populations)? {
        recorders.spikes = spikes;
    }
    if let Some(b) = rate_bin(&r, sim.dt, warnings)? {
        recorders.rate_bin = b;
    }
    for var in Analog::ALL {
        if let Some(arr) = r.array_opt(var.name())? {
            for (j, v) in arr.iter().enumerate() {
                let rec = vm_recorder(&r, var, j, v, sim.dt, populations, warnings)?;
                recorders.analog_mut(var).push(rec);
            }
        }
    }
    r.finish()?;
    Ok(recorders)
}

/// `spikes = true | false | "all" | [names]`: the recorded populations in file order,
/// or `None` for all of them.
fn spike_recorder(r: &Obj, populations: &[Population]) -> Result<Option<Vec<usize>>, SpecError> {
    match r.get("spikes") {
        None | Some(Value::Boolean(true)) => Ok(None),
        Some(Value::String(s)) if s == "all" => Ok(None),
        Some(Value::Boolean(false)) => Ok(Some(Vec::new())),
        Some(Value::Array(_)) => {
            let names = r.str_array_opt("spikes")?.unwrap_or_default();
            let mut spikes = Vec::new();
            for (j, n) in names.iter().enumerate() {
                let idx = populations
                    .iter()
                    .position(|p| p.name == *n)
                    .ok_or_else(|| {
                        r.err(
                            &format!("spikes[{j}]"),
                            format!("unknown population \"{n}\""),
                        )
                    })?;
                if !spikes.contains(&idx) {
                    spikes.push(idx);
                }
            }
            spikes.sort_unstable();
            Ok(Some(spikes))
        }
        Some(other) => Err(r.err(
            "spikes",
            format!(
                "expected true/false, \"all\" or a list of populations, found {}",
                describe(other)
            ),
        )),
    }
}

/// `rate_bin` in ms (0: no rate bins), a multiple of `dt`.
fn rate_bin(r: &Obj, dt: f64, warnings: &mut Vec<String>) -> Result<Option<f64>, SpecError> {
    let Some(b) = r.f64_opt("rate_bin")? else {
        return Ok(None);
    };
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
            warnings,
        )?;
    }
    Ok(Some(b))
}

/// One `[[recorders.v_m]]` (`g_ex`, `g_in`) entry: `n` neurons of `population` every
/// `interval` ms; the population's model must have the variable.
fn vm_recorder(
    r: &Obj,
    var: Analog,
    j: usize,
    v: &Value,
    dt: f64,
    populations: &[Population],
    warnings: &mut Vec<String>,
) -> Result<VmRecorder, SpecError> {
    let Value::Table(vt) = v else {
        return Err(r.err(&format!("{}[{j}]", var.name()), "expected a table"));
    };
    let o = Obj::new(r.key_path(&format!("{}[{j}]", var.name())), vt);
    let population = population_ref(&o, "population", populations)?;
    let model = &populations[population].model;
    if !model.records(var) {
        let which = if model.name() == "iaf_bw_2001" {
            " (its conductances are NEST's s_AMPA, s_GABA and s_NMDA, which cannot be recorded yet)"
        } else {
            " (only the conductance-based iaf_cond_exp and iaf_cond_alpha have g_ex and g_in)"
        };
        return Err(o.err(
            "population",
            format!(
                "population \"{}\" has model {}, which has no {}{which}",
                populations[population].name,
                model.name(),
                var.name()
            ),
        ));
    }
    let size = populations[population].size;
    let n = o.u64_opt("n")?.unwrap_or(1);
    if n == 0 || n > size as u64 {
        return Err(o.err(
            "n",
            format!("must be between 1 and the population size {size}, got {n}"),
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
        warnings,
    )?;
    o.finish()?;
    Ok(VmRecorder {
        population,
        n: n as u32,
        interval,
    })
}

// ---------------------------------------------------------------------------
// Checks across sections

/// Rate bins for the whole run must stay a plausible allocation.
fn check_rate_bins(
    sim: &Simulation,
    populations: &[Population],
    recorders: &Recorders,
) -> Result<(), SpecError> {
    if recorders.rate_bin > 0.0 {
        let bins = (sim.t_stop / recorders.rate_bin).ceil();
        if bins * populations.len() as f64 > 5e8 {
            return Err(SpecError::new(
                "recorders.rate_bin",
                format!("{bins} bins per population is too many"),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Helpers shared by the stages

/// The entries of an optional top-level array (`projections`, `stimuli`).
fn entries<'a>(top: &Obj<'a>, key: &str) -> Result<&'a [Value], SpecError> {
    Ok(top.array_opt(key)?.map(|a| a.as_slice()).unwrap_or(&[]))
}

/// An array entry that must be a table; `path` names it (`projections[3]`).
fn entry_table(path: String, v: &Value) -> Result<&Table, SpecError> {
    match v {
        Value::Table(t) => Ok(t),
        _ => Err(SpecError::new(
            path,
            format!("expected a table, found {}", describe(v)),
        )),
    }
}

/// A key naming a population (`source`, `target`, `population`): its index, or an
/// error with the closest name.
fn population_ref(o: &Obj, key: &str, populations: &[Population]) -> Result<usize, SpecError> {
    let name = o.str_req(key)?;
    populations
        .iter()
        .position(|p| p.name == name)
        .ok_or_else(|| {
            let hint = reader::did_you_mean(name, populations.iter().map(|p| p.name.as_str()))
                .map(|h| format!("; did you mean \"{h}\"?"))
                .unwrap_or_default();
            o.err(key, format!("unknown population \"{name}\"{hint}"))
        })
}

fn off_grid(x: f64, dt: f64) -> bool {
    validate::off_grid(x, dt)
}

/// A time that must be a multiple of `dt`: rounded with a warning, or refused.
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
