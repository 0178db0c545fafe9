//! Task protocols as data: named epochs (fixation, target, delay, distractor, probe, …),
//! each with inputs to named populations, read from a protocol file that any rate model
//! can take (`cortexsim run NETWORK --protocol FILE`); the mean rate of every population
//! in every epoch; and which populations hold activity through a delay.
//!
//! ```toml
//! description = "..."                  # optional
//!
//! [[epochs]]
//! name = "fixation"
//! duration = 1000.0                    # ms
//!
//! [[epochs]]
//! name = "target"
//! duration = 500.0
//! inputs = [{ target = "V1.A", amplitude = 0.3 }]   # added to the drive (model's unit)
//!                                      # target: a name, a pattern with one `*`, or a list
//! [[epochs]]
//! name = "stream"                      # a stimulus sequence: one epoch per item,
//! sequence = ["A", "B", "A"]           #   named stream[0]:A, stream[0]:gap, stream[1]:B, …
//! duration = 500.0                     # ms per item
//! gap = 250.0                          # ms without input after each item (optional)
//! items.A = [{ target = "V1.A", amplitude = 0.3 }]  # the inputs of each item
//! items.B = [{ target = "V1.B", amplitude = 0.3 }]
//!
//! [persistence]                        # optional: which populations hold activity
//! baseline = "fixation"                # epoch of the baseline rate
//! epoch = "delay"                      # epoch whose rate is compared with it
//! last = 1000.0                        # ms: only the end of `epoch` (default: all of it)
//! target = "*.A"                       # populations (default: all)
//! threshold = 5.0                      # Hz: persistent if rate − baseline > threshold
//! ```
//!
//! Where the model brings an experimental map of delay activity (`froudist_walsh2021`;
//! `mejias_wang2022` with `model.evidence`), [`validate`] compares the areas that hold
//! activity with it: a 2×2 table over the well-studied areas, Pearson χ² and Fisher's
//! exact test ([`cortexsim_theory::contingency`]).
//!
//! The epochs run back to back from t = 0; the run lasts their total duration (it
//! replaces the file's `simulation.t_stop`). Inputs are added to the network's own
//! stimuli and noise. Every error names its key path (`epochs[2].inputs[0].target`).

use crate::ProtocolError;
use cortexsim_core::error::SpecError;
use cortexsim_core::reader::{Obj, check_keys, describe, hint};
use cortexsim_models::froudist_walsh2021::AreaEvidence;
use cortexsim_models::{RateNetworkFile, select_targets};
use cortexsim_theory::contingency::{Agreement, Table2x2};
use cortexsim_theory::rate::{self, Epoch, RateNetwork, RateRun};
use serde::{Deserialize, Serialize};
use std::path::Path;
use toml::{Table, Value};

/// One input of an epoch: `amplitude` added to the drive of every population `target`
/// selects (a name, a pattern with one `*`, or a list of them; kept as written and
/// resolved against the network by [`apply`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInput {
    pub target: Vec<String>,
    pub amplitude: f64,
    /// Key path of the input in the protocol file, for errors found against the network.
    pub path: String,
}

/// A named epoch `[start_ms, stop_ms)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskEpoch {
    pub name: String,
    pub start_ms: f64,
    pub stop_ms: f64,
    pub inputs: Vec<TaskInput>,
}

/// Which populations hold activity (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Persistence {
    pub baseline: String,
    pub epoch: String,
    pub last_ms: Option<f64>,
    pub target: Option<Vec<String>>,
    pub threshold_hz: f64,
}

/// A protocol file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskProtocol {
    pub description: Option<String>,
    pub epochs: Vec<TaskEpoch>,
    pub persistence: Option<Persistence>,
}

impl TaskProtocol {
    /// Total duration (ms).
    pub fn duration_ms(&self) -> f64 {
        self.epochs.last().map_or(0.0, |e| e.stop_ms)
    }

    /// The epoch called `name`.
    pub fn epoch(&self, name: &str) -> Option<&TaskEpoch> {
        self.epochs.iter().find(|e| e.name == name)
    }
}

fn entry<'a>(v: &'a Value, path: &str) -> Result<&'a Table, SpecError> {
    v.as_table()
        .ok_or_else(|| SpecError::new(path, format!("expected a table, found {}", describe(v))))
}

/// `target = "V1.A"` or `["V1.A", "*.B"]`.
fn targets(o: &Obj, key: &str) -> Result<Vec<String>, SpecError> {
    match o.get(key) {
        None => Err(o.err(key, "is required (a population name, a pattern or a list)")),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(_)) => {
            let v = o.str_array_opt(key)?.unwrap_or_default();
            if v.is_empty() {
                return Err(o.err(key, "is an empty list"));
            }
            Ok(v.into_iter().map(String::from).collect())
        }
        Some(other) => Err(o.err(
            key,
            format!(
                "expected a population name or a list of them, found {}",
                describe(other)
            ),
        )),
    }
}

fn inputs(v: &Value, path: &str) -> Result<Vec<TaskInput>, SpecError> {
    let arr = v.as_array().ok_or_else(|| {
        SpecError::new(
            path,
            format!(
                "expected an array of {{ target, amplitude }} tables, found {}",
                describe(v)
            ),
        )
    })?;
    let mut out = Vec::with_capacity(arr.len());
    for (k, v) in arr.iter().enumerate() {
        let p = format!("{path}[{k}]");
        let t = entry(v, &p)?;
        check_keys(t, &p, &["target", "amplitude"])?;
        let o = Obj::new(p.as_str(), t);
        out.push(TaskInput {
            target: targets(&o, "target")?,
            amplitude: o.f64_req("amplitude")?,
            path: p.clone(),
        });
    }
    Ok(out)
}

/// Parse a protocol document (see the module docs).
pub fn parse(doc: &Table) -> Result<TaskProtocol, SpecError> {
    check_keys(doc, "", &["description", "epochs", "persistence"])?;
    let top = Obj::new("", doc);
    let description = top.str_opt("description")?.map(String::from);
    let arr = top
        .array_opt("epochs")?
        .ok_or_else(|| top.err("epochs", "is required: at least one [[epochs]] table"))?;
    if arr.is_empty() {
        return Err(top.err("epochs", "has no epochs"));
    }
    let mut epochs: Vec<TaskEpoch> = Vec::new();
    let mut t = 0.0;
    let mut push = |name: String, path: &str, dur: f64, inputs: Vec<TaskInput>| {
        if epochs.iter().any(|e| e.name == name) {
            return Err(SpecError::new(
                format!("{path}.name"),
                format!("a second epoch called `{name}`"),
            ));
        }
        epochs.push(TaskEpoch {
            name,
            start_ms: t,
            stop_ms: t + dur,
            inputs,
        });
        t += dur;
        Ok(())
    };
    for (k, v) in arr.iter().enumerate() {
        let path = format!("epochs[{k}]");
        let tab = entry(v, &path)?;
        let o = Obj::new(path.as_str(), tab);
        let name = o.str_req("name")?.to_string();
        if name.is_empty() {
            return Err(o.err("name", "is empty"));
        }
        let dur = o.positive("duration", None)?;
        if o.has("sequence") {
            check_keys(
                tab,
                &path,
                &["name", "sequence", "duration", "gap", "items"],
            )?;
            let seq = o.str_array_opt("sequence")?.unwrap_or_default();
            if seq.is_empty() {
                return Err(o.err("sequence", "is an empty list"));
            }
            let gap = o.non_negative("gap", Some(0.0))?;
            let items = o
                .table_opt("items")?
                .ok_or_else(|| o.err("items", "is required: the inputs of each item"))?;
            let mut map: Vec<(String, Vec<TaskInput>)> = Vec::new();
            for (key, v) in items.table() {
                map.push((key.clone(), inputs(v, &items.key_path(key))?));
            }
            let keys: Vec<&str> = map.iter().map(|(k, _)| k.as_str()).collect();
            for (i, item) in seq.iter().enumerate() {
                let found = map.iter().find(|(k, _)| k == item).ok_or_else(|| {
                    o.err(
                        &format!("sequence[{i}]"),
                        format!("item `{item}` has no entry in items{}", hint(item, &keys)),
                    )
                })?;
                push(format!("{name}[{i}]:{item}"), &path, dur, found.1.clone())?;
                if gap > 0.0 {
                    push(format!("{name}[{i}]:gap"), &path, gap, Vec::new())?;
                }
            }
        } else {
            check_keys(tab, &path, &["name", "duration", "inputs"])?;
            let ins = match o.get("inputs") {
                Some(v) => inputs(v, &o.key_path("inputs"))?,
                None => Vec::new(),
            };
            push(name, &path, dur, ins)?;
        }
    }
    let names: Vec<&str> = epochs.iter().map(|e| e.name.as_str()).collect();
    let persistence = match top.table_opt("persistence")? {
        None => None,
        Some(p) => {
            check_keys(
                p.table(),
                "persistence",
                &["baseline", "epoch", "last", "target", "threshold"],
            )?;
            let epoch_named = |key: &str| -> Result<String, SpecError> {
                let n = p.str_req(key)?;
                if names.contains(&n) {
                    Ok(n.to_string())
                } else {
                    Err(p.err(key, format!("no epoch `{n}`{}", hint(n, &names))))
                }
            };
            let baseline = epoch_named("baseline")?;
            let epoch = epoch_named("epoch")?;
            let last_ms = match p.f64_opt("last")? {
                None => None,
                Some(l) => {
                    let e = epochs.iter().find(|e| e.name == epoch).expect("checked");
                    if !(l > 0.0 && l <= e.stop_ms - e.start_ms) {
                        return Err(p.err(
                            "last",
                            format!(
                                "must be > 0 and at most the epoch's duration ({} ms), got {l}",
                                e.stop_ms - e.start_ms
                            ),
                        ));
                    }
                    Some(l)
                }
            };
            let target = if p.has("target") {
                Some(targets(&p, "target")?)
            } else {
                None
            };
            Some(Persistence {
                baseline,
                epoch,
                last_ms,
                target,
                threshold_hz: p.f64_or("threshold", 5.0)?,
            })
        }
    };
    Ok(TaskProtocol {
        description,
        epochs,
        persistence,
    })
}

/// The protocol files compiled into the program (the repository's `protocols/` folder),
/// by stem.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "wm_visual",
        include_str!("../../../protocols/wm_visual.toml"),
    ),
    (
        "dms_fw2021",
        include_str!("../../../protocols/dms_fw2021.toml"),
    ),
    (
        "dms_distractor_fw2021",
        include_str!("../../../protocols/dms_distractor_fw2021.toml"),
    ),
];

/// A protocol by path, else a built-in protocol by stem (`wm_visual` or `wm_visual.toml`).
pub fn resolve(name: &Path) -> Result<TaskProtocol, SpecError> {
    if !name.exists() {
        let s = name.to_string_lossy();
        let stem = s.strip_suffix(".toml").unwrap_or(&s);
        if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == stem) {
            let doc: Table = text.parse().map_err(|e| {
                SpecError::new(format!("<built-in protocol {stem}>"), format!("{e}"))
            })?;
            return parse(&doc);
        }
        let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
        return Err(SpecError::new(
            s.to_string(),
            format!(
                "no such protocol file, and no built-in protocol of that name (built in: {}){}",
                names.join(", "),
                hint(stem, &names)
            ),
        ));
    }
    load(name)
}

/// Read and parse a protocol file.
pub fn load(path: &Path) -> Result<TaskProtocol, SpecError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| SpecError::new(&name, format!("cannot read protocol file: {e}")))?;
    let doc: Table = text
        .parse()
        .map_err(|e| SpecError::new(&name, format!("invalid TOML: {e}")))?;
    parse(&doc).map_err(|e| SpecError::new(format!("{name}: {}", e.path), e.msg))
}

fn select(net: &RateNetwork, pats: &[String], path: &str) -> Result<Vec<usize>, SpecError> {
    let v = Value::Array(pats.iter().map(|s| Value::String(s.clone())).collect());
    select_targets(net, &v, path)
}

/// Add the protocol's inputs to the network as epochs of drive and set the run's length
/// to the protocol's duration. Targets that match no population are errors at their key
/// path, with the closest name.
pub fn apply(proto: &TaskProtocol, f: &mut RateNetworkFile) -> Result<(), SpecError> {
    let n = f.net.n();
    for e in &proto.epochs {
        for input in &e.inputs {
            let sel = select(&f.net, &input.target, &format!("{}.target", input.path))?;
            let mut amplitude = vec![0.0; n];
            for i in sel {
                amplitude[i] = input.amplitude;
            }
            f.net.schedules.push(Epoch {
                start_ms: e.start_ms,
                stop_ms: e.stop_ms,
                amplitude,
            });
        }
    }
    if let Some(p) = &proto.persistence
        && let Some(t) = &p.target
    {
        select(&f.net, t, "persistence.target")?;
    }
    f.sim.t_stop_ms = proto.duration_ms();
    Ok(())
}

/// Mean rate of every population in one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRates {
    pub name: String,
    pub start_ms: f64,
    pub stop_ms: f64,
    /// `(population, mean over the samples with start ≤ t < stop)`, in report order;
    /// `None` if the epoch holds no sample (shorter than the recording interval).
    pub rates: Vec<(String, Option<f64>)>,
}

/// Mean of `series` over the samples with `start ≤ t < stop`.
fn window_mean(t_ms: &[f64], series: &[f64], start: f64, stop: f64) -> Option<f64> {
    let (mut sum, mut k) = (0.0, 0usize);
    for (&t, &v) in t_ms.iter().zip(series) {
        if start <= t && t < stop {
            sum += v;
            k += 1;
        }
    }
    (k > 0).then(|| sum / k as f64)
}

/// The epoch table of a run: for each epoch the mean rate of every population of `order`.
pub fn epoch_table(run: &RateRun, proto: &TaskProtocol, order: &[String]) -> Vec<EpochRates> {
    proto
        .epochs
        .iter()
        .map(|e| EpochRates {
            name: e.name.clone(),
            start_ms: e.start_ms,
            stop_ms: e.stop_ms,
            rates: order
                .iter()
                .filter_map(|p| run.series(p).map(|s| (p, s)))
                .map(|(p, s)| (p.clone(), window_mean(&run.t_ms, s, e.start_ms, e.stop_ms)))
                .collect(),
        })
        .collect()
}

/// One population's persistence measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Persistent {
    pub population: String,
    pub baseline_hz: f64,
    pub rate_hz: f64,
    pub persistent: bool,
}

/// The result of [`Persistence`] on a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersistenceReport {
    pub baseline: String,
    pub epoch: String,
    /// The window of `epoch` that is compared (ms).
    pub window_ms: (f64, f64),
    pub threshold_hz: f64,
    /// Every selected population, in report order.
    pub populations: Vec<Persistent>,
}

impl PersistenceReport {
    /// Names of the persistent populations, in report order.
    pub fn persistent(&self) -> Vec<&str> {
        self.populations
            .iter()
            .filter(|p| p.persistent)
            .map(|p| p.population.as_str())
            .collect()
    }
}

/// Which populations of `order` (restricted to `p.target`) hold activity.
pub fn persistence(
    run: &RateRun,
    net: &RateNetwork,
    proto: &TaskProtocol,
    p: &Persistence,
    order: &[String],
) -> Result<PersistenceReport, SpecError> {
    let base = proto.epoch(&p.baseline).expect("checked by parse");
    let ep = proto.epoch(&p.epoch).expect("checked by parse");
    let start = p.last_ms.map_or(ep.start_ms, |l| ep.stop_ms - l);
    let chosen: Option<Vec<usize>> = match &p.target {
        Some(t) => Some(select(net, t, "persistence.target")?),
        None => None,
    };
    let mut pops = Vec::new();
    for name in order {
        let Some(i) = run.index_of(name) else {
            continue;
        };
        if chosen.as_ref().is_some_and(|c| !c.contains(&i)) {
            continue;
        }
        let s = &run.rates[i];
        let (Some(b), Some(r)) = (
            window_mean(&run.t_ms, s, base.start_ms, base.stop_ms),
            window_mean(&run.t_ms, s, start, ep.stop_ms),
        ) else {
            return Err(SpecError::new(
                "persistence",
                "the baseline or the compared window holds no recorded sample (lower simulation.record_every)",
            ));
        };
        pops.push(Persistent {
            population: name.clone(),
            baseline_hz: b,
            rate_hz: r,
            persistent: r - b > p.threshold_hz,
        });
    }
    Ok(PersistenceReport {
        baseline: p.baseline.clone(),
        epoch: p.epoch.clone(),
        window_ms: (start, ep.stop_ms),
        threshold_hz: p.threshold_hz,
        populations: pops,
    })
}

/// One area in the comparison of model and experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaCall {
    pub area: String,
    /// The model holds activity here (some selected population of the area persists).
    pub model: bool,
    /// Experimental evidence of delay activity.
    pub experiment: bool,
    /// Counted in the statistic (well studied experimentally).
    pub well_studied: bool,
}

/// Persistent areas of the model against the experimental map (Froudist-Walsh et al.
/// 2021): the areas are those of the persistence report (`<area>.<pool>`) that the map
/// lists; the statistic counts the well-studied ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    /// In report order (by hierarchy for data-driven models).
    pub areas: Vec<AreaCall>,
    pub agreement: Agreement,
}

/// Compare the persistence report with the experimental map `evidence`; `None` if no
/// area of the report is in the map.
pub fn validate(rep: &PersistenceReport, evidence: &[AreaEvidence]) -> Option<Validation> {
    let mut areas: Vec<AreaCall> = Vec::new();
    for p in &rep.populations {
        let area = p
            .population
            .rsplit_once('.')
            .map_or(p.population.as_str(), |(a, _)| a);
        let Some(e) = evidence.iter().find(|e| e.area == area) else {
            continue;
        };
        match areas.iter_mut().find(|c| c.area == area) {
            Some(c) => c.model |= p.persistent,
            None => areas.push(AreaCall {
                area: area.to_string(),
                model: p.persistent,
                experiment: e.persistent,
                well_studied: e.well_studied,
            }),
        }
    }
    if areas.is_empty() {
        return None;
    }
    let table = Table2x2::from_pairs(
        areas
            .iter()
            .filter(|c| c.well_studied)
            .map(|c| (c.model, c.experiment)),
    );
    Some(Validation {
        areas,
        agreement: table.agreement(),
    })
}

/// A rate model run through a protocol.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRun {
    pub run: RateRun,
    pub epochs: Vec<EpochRates>,
    pub persistence: Option<PersistenceReport>,
    /// Where the model brings an experimental map ([`RateNetworkFile::evidence`]) and the
    /// protocol a `[persistence]` table.
    pub validation: Option<Validation>,
}

/// Apply `proto` to the rate model `f`, run it, and measure every epoch (populations in
/// `f.report_order()`).
pub fn run_task(f: &RateNetworkFile, proto: &TaskProtocol) -> Result<TaskRun, ProtocolError> {
    let mut f = f.clone();
    apply(proto, &mut f)?;
    let run = rate::run(&f.net, &f.sim.run_opts())?;
    let order = f.report_order();
    let epochs = epoch_table(&run, proto, &order);
    let persistence = match &proto.persistence {
        Some(p) => Some(persistence(&run, &f.net, proto, p, &order)?),
        None => None,
    };
    let validation = match (&persistence, &f.evidence) {
        (Some(rep), Some(ev)) => validate(rep, ev),
        _ => None,
    };
    Ok(TaskRun {
        run,
        epochs,
        persistence,
        validation,
    })
}

/// A parameter swept through a task protocol (`cortexsim scan ... --protocol FILE`):
/// at each value the model runs the protocol from its initial state, and the protocol's
/// `[persistence]` says which populations hold activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskScan {
    pub param: String,
    pub values: Vec<f64>,
    /// The populations of the persistence report, in report order.
    pub populations: Vec<String>,
    /// `[population][value]`: rate in the compared window (Hz).
    pub rate_hz: Vec<Vec<f64>>,
    /// `[population][value]`: rate minus baseline above the threshold.
    pub persistent: Vec<Vec<bool>>,
}

impl TaskScan {
    /// For population `i`: the first value at which it is persistent, and the first later
    /// value at which it is not any more (`None`: never / not within the sweep).
    pub fn appears_disappears(&self, i: usize) -> (Option<f64>, Option<f64>) {
        let p = &self.persistent[i];
        let Some(on) = p.iter().position(|&b| b) else {
            return (None, None);
        };
        let off = p[on..]
            .iter()
            .position(|&b| !b)
            .map(|k| self.values[on + k]);
        (Some(self.values[on]), off)
    }

    /// Number of persistent populations at each value.
    pub fn counts(&self) -> Vec<usize> {
        (0..self.values.len())
            .map(|k| self.persistent.iter().filter(|p| p[k]).count())
            .collect()
    }
}

/// Sweep `param` (a `--set` path) over `values`: the rate file `doc` (overrides already
/// applied) is re-read at each value with `param = value` and run through `proto`, which
/// needs a `[persistence]` table.
pub fn task_scan(
    doc: &Table,
    data: Option<&Path>,
    param: &str,
    values: &[f64],
    proto: &TaskProtocol,
) -> Result<TaskScan, ProtocolError> {
    if proto.persistence.is_none() {
        return Err(ProtocolError::Invalid(
            "--protocol: a scan needs the protocol's [persistence] table (which populations hold activity)".into(),
        ));
    }
    let mut out = TaskScan {
        param: param.to_string(),
        values: values.to_vec(),
        populations: Vec::new(),
        rate_hz: Vec::new(),
        persistent: Vec::new(),
    };
    for (k, &v) in values.iter().enumerate() {
        let mut d = doc.clone();
        cortexsim_spec::overrides::apply(&mut d, &format!("{param}={v:?}"))?;
        let f = match cortexsim_models::load::load_table(&d, data)? {
            cortexsim_models::Loaded::Rate(f) => *f,
            cortexsim_models::Loaded::Spiking(_) => {
                return Err(ProtocolError::Invalid(
                    "--protocol applies to rate models only".into(),
                ));
            }
        };
        let r = run_task(&f, proto).map_err(|e| e.context(format!("{param} = {v}")))?;
        let rep = r.persistence.expect("checked above");
        if k == 0 {
            out.populations = rep
                .populations
                .iter()
                .map(|p| p.population.clone())
                .collect();
            out.rate_hz = vec![Vec::with_capacity(values.len()); out.populations.len()];
            out.persistent = vec![Vec::with_capacity(values.len()); out.populations.len()];
        }
        for (i, name) in out.populations.iter().enumerate() {
            let q = rep.populations.iter().find(|q| &q.population == name);
            let (rate, pers) = q.map_or((f64::NAN, false), |q| (q.rate_hz, q.persistent));
            out.rate_hz[i].push(rate);
            out.persistent[i].push(pers);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Table {
        s.parse().unwrap()
    }

    #[test]
    fn epochs_run_back_to_back_and_sequences_expand() {
        let p = parse(&doc(r#"
            [[epochs]]
            name = "fixation"
            duration = 100.0
            [[epochs]]
            name = "s"
            sequence = ["A", "B"]
            duration = 50.0
            gap = 25.0
            items.A = [{ target = "x", amplitude = 1.0 }]
            items.B = [{ target = ["y", "*z"], amplitude = 2.0 }]
        "#))
        .unwrap();
        let names: Vec<&str> = p.epochs.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            ["fixation", "s[0]:A", "s[0]:gap", "s[1]:B", "s[1]:gap"]
        );
        let bounds: Vec<(f64, f64)> = p.epochs.iter().map(|e| (e.start_ms, e.stop_ms)).collect();
        assert_eq!(
            bounds,
            [
                (0.0, 100.0),
                (100.0, 150.0),
                (150.0, 175.0),
                (175.0, 225.0),
                (225.0, 250.0)
            ]
        );
        assert_eq!(p.epochs[3].inputs[0].target, ["y", "*z"]);
        assert_eq!(p.epochs[3].inputs[0].amplitude, 2.0);
        assert_eq!(p.duration_ms(), 250.0);
    }

    #[test]
    fn appears_and_disappears_along_the_sweep() {
        let s = TaskScan {
            param: "g".into(),
            values: vec![0.1, 0.2, 0.3, 0.4],
            populations: vec!["a".into(), "b".into(), "c".into()],
            rate_hz: vec![vec![0.0; 4]; 3],
            persistent: vec![
                vec![false, true, true, false],
                vec![false, false, false, false],
                vec![false, false, true, true],
            ],
        };
        assert_eq!(s.appears_disappears(0), (Some(0.2), Some(0.4)));
        assert_eq!(s.appears_disappears(1), (None, None));
        assert_eq!(s.appears_disappears(2), (Some(0.3), None));
        assert_eq!(s.counts(), [0, 1, 2, 1]);
    }

    #[test]
    fn validation_counts_well_studied_areas_once() {
        let pop = |name: &str, persistent: bool| Persistent {
            population: name.into(),
            baseline_hz: 0.0,
            rate_hz: 0.0,
            persistent,
        };
        let rep = PersistenceReport {
            baseline: "f".into(),
            epoch: "d".into(),
            window_ms: (0.0, 1.0),
            threshold_hz: 5.0,
            populations: vec![
                pop("V1.E1", false),
                pop("46d.E1", true),
                pop("46d.E2", false),
                pop("8l.E1", true),
                pop("MT.E1", true),
                pop("X.E1", true),
            ],
        };
        let ev = |area: &str, persistent: bool, well_studied: bool| AreaEvidence {
            area: area.into(),
            persistent,
            well_studied,
        };
        let v = validate(
            &rep,
            &[
                ev("V1", false, true),
                ev("46d", true, true),
                ev("8l", true, false),
                ev("MT", false, true),
            ],
        )
        .unwrap();
        let names: Vec<&str> = v.areas.iter().map(|c| c.area.as_str()).collect();
        assert_eq!(names, ["V1", "46d", "8l", "MT"]);
        // Well studied: V1 (−, −), 46d (+, +), MT (+, −); 8l is not counted, X not listed.
        assert_eq!(
            v.agreement.table,
            Table2x2 {
                both: 1,
                first_only: 1,
                second_only: 0,
                neither: 1
            }
        );
        // χ² = 3 (1 − 0)² / (2 · 1 · 1 · 2) = 0.75
        assert!((v.agreement.chi2 - 0.75).abs() < 1e-12);
        assert!(validate(&rep, &[ev("Y", true, true)]).is_none());
    }

    #[test]
    fn window_mean_takes_the_half_open_window() {
        let t = [0.0, 1.0, 2.0, 3.0];
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(window_mean(&t, &v, 1.0, 3.0), Some(2.5));
        assert_eq!(window_mean(&t, &v, 3.5, 4.0), None);
    }
}
