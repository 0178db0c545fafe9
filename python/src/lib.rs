//! `cortexsim._native`: the Rust half of the Python package `cortexsim` (python/cortexsim/
//! is the Python half). Like the command line, it only loads through the one loader
//! ([`cortexsim_models::load`]) and calls the protocols ([`cortexsim_protocols`]): run,
//! inspect, compare, the mean field, rate runs and timescales; it never calls the CLI.
//!
//! * A [`Network`] keeps the overridden TOML table it was validated from, so that
//!   `run(t_stop=, seed=, record=)` applies its changes to the table and validates again,
//!   exactly as the CLI's `--t-stop`/`--seed`/`--set` do (one validation path).
//! * `run` releases the GIL: the simulation runs on a worker thread while the calling
//!   thread waits with the GIL released and, every 50 ms, takes it to check for signals
//!   (Ctrl-C) and to report progress. A `KeyboardInterrupt` sets the run's stop flag
//!   ([`RunOptions::stop`]); the run stops at the next slice boundary and
//!   [`Interrupted`] (a `KeyboardInterrupt`) carries the result up to then.
//! * Spikes are collected in memory by a [`SpikeSink`] (no HDF5) and handed to NumPy
//!   without copying (read-only arrays).

use cortexsim_core::error::SpecError as RsSpecError;
use cortexsim_engine::record::{FinalData, SpikeSink, VmSeries};
use cortexsim_engine::{BuildError as RsBuildError, SimError};
use cortexsim_io::output::Output;
use cortexsim_io::sonata::{self, SonataWriter};
use cortexsim_models::RateNetworkFile;
use cortexsim_models::load::{self as mload, Loaded, Origin};
use cortexsim_protocols::ProtocolError;
use cortexsim_protocols::compare::{
    CompareError, CompareOptions, StepOptions, compare, stationary,
};
use cortexsim_protocols::inspect::inspect;
use cortexsim_protocols::reports::{comparison_json, meanfield_json, rate_run_json};
use cortexsim_protocols::run::{self as prun, RunError, RunOptions};
use cortexsim_protocols::timescales::{Method, timescales};
use cortexsim_spec::overrides;
use cortexsim_spec::{Analog, Network as RsNetwork};
use cortexsim_theory::meanfield::OscillationOptions;
use numpy::{IntoPyArray, PyArray1, PyArrayMethods};
use pyo3::exceptions::{
    PyKeyboardInterrupt, PyMemoryError, PyOSError, PyRuntimeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::{IntoPyObjectExt, create_exception};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use toml::{Table, Value};

mod sim;

create_exception!(
    _native,
    SpecError,
    PyValueError,
    "An invalid network, rate or generator description (after overrides). `key` is the \
     offending key path (e.g. `populations[E].params.tau_m`), `message` what is wrong with it."
);
create_exception!(
    _native,
    BuildError,
    PyRuntimeError,
    "The network could not be built."
);
create_exception!(
    _native,
    OutOfMemory,
    PyMemoryError,
    "The memory estimate of the network exceeds the memory available (or `max_memory`)."
);
create_exception!(
    _native,
    SimulationError,
    PyRuntimeError,
    "The simulation failed (e.g. a numerical failure)."
);
create_exception!(
    _native,
    Interrupted,
    PyKeyboardInterrupt,
    "A run stopped by Ctrl-C (SIGINT) at a slice boundary; `result` holds everything up to \
     then (`result.summary['status'] == 'interrupted'`)."
);

// ---------------------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------------------

fn spec_err(e: RsSpecError) -> PyErr {
    let err = SpecError::new_err(e.to_string());
    Python::attach(|py| {
        let v = err.value(py);
        let _ = v.setattr("key", e.path.as_str());
        let _ = v.setattr("message", e.msg.as_str());
    });
    err
}

fn build_err(e: RsBuildError) -> PyErr {
    match e {
        e @ RsBuildError::OutOfMemory { .. } => OutOfMemory::new_err(e.to_string()),
        e => BuildError::new_err(e.to_string()),
    }
}

fn protocol_err(e: ProtocolError) -> PyErr {
    match e {
        ProtocolError::Spec(s) => spec_err(s),
        e @ (ProtocolError::Invalid(_) | ProtocolError::UnknownPopulation { .. }) => {
            PyValueError::new_err(e.to_string())
        }
        ProtocolError::Runtime(m) => SimulationError::new_err(m),
        ProtocolError::Build(b) => build_err(b),
        ProtocolError::Sim(s) => SimulationError::new_err(s.to_string()),
        ProtocolError::Context { context, source } => {
            let inner = protocol_err(*source);
            Python::attach(|py| {
                let msg = format!("{context}: {}", inner.value(py));
                let new = PyErr::from_type(inner.get_type(py), msg);
                for attr in ["key", "message"] {
                    if let Ok(v) = inner.value(py).getattr(attr) {
                        let _ = new.value(py).setattr(attr, v);
                    }
                }
                new
            })
        }
    }
}

// ---------------------------------------------------------------------------------------
// conversions: Python <-> TOML, JSON -> Python
// ---------------------------------------------------------------------------------------

/// A Python value as a TOML value; `path` names it in errors (the file's key path).
fn py_to_toml(v: &Bound<'_, PyAny>, path: &str) -> Result<Value, RsSpecError> {
    if v.is_instance_of::<PyBool>() {
        return Ok(Value::Boolean(v.extract::<bool>().unwrap_or(false)));
    }
    if v.is_instance_of::<PyInt>() {
        return v
            .extract::<i64>()
            .map(Value::Integer)
            .map_err(|_| RsSpecError::new(path, format!("integer {v} does not fit in 64 bits")));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(Value::Float(v.extract::<f64>().unwrap_or(f64::NAN)));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Value::String(s.to_string()));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        return py_dict_to_table(d, path).map(Value::Table);
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut arr = Vec::new();
        for (i, x) in v
            .try_iter()
            .map_err(|e| RsSpecError::new(path, e.to_string()))?
            .enumerate()
        {
            let x = x.map_err(|e| RsSpecError::new(path, e.to_string()))?;
            arr.push(py_to_toml(&x, &format!("{path}[{i}]"))?);
        }
        return Ok(Value::Array(arr));
    }
    // NumPy scalars and anything else that converts to a number.
    let tname = v
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into());
    if (tname.starts_with("int") || tname.starts_with("uint"))
        && let Ok(i) = v.extract::<i64>()
    {
        return Ok(Value::Integer(i));
    }
    if tname.starts_with("float")
        && let Ok(f) = v.extract::<f64>()
    {
        return Ok(Value::Float(f));
    }
    if tname == "bool_"
        && let Ok(b) = v.extract::<bool>()
    {
        return Ok(Value::Boolean(b));
    }
    Err(RsSpecError::new(
        path,
        format!(
            "a value of type {tname} cannot be part of a network description (use numbers, strings, booleans, lists and dicts)"
        ),
    ))
}

fn py_dict_to_table(d: &Bound<'_, PyDict>, path: &str) -> Result<Table, RsSpecError> {
    let mut t = Table::new();
    for (k, v) in d.iter() {
        let key: String = k.extract().map_err(|_| {
            RsSpecError::new(
                if path.is_empty() { "<dict>" } else { path },
                format!("key {k} is not a string"),
            )
        })?;
        let sub = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        t.insert(key, py_to_toml(&v, &sub)?);
    }
    Ok(t)
}

/// `set={"populations.E.size": 20000, ...}` (or a list of "KEY=VALUE" strings) as the
/// CLI's `--set` strings.
fn sets_of(set: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(set) = set else {
        return Ok(vec![]);
    };
    if set.is_none() {
        return Ok(vec![]);
    }
    if let Ok(d) = set.cast::<PyDict>() {
        let mut out = Vec::new();
        for (k, v) in d.iter() {
            let key: String = k
                .extract()
                .map_err(|_| PyValueError::new_err(format!("set: key {k} is not a string")))?;
            let val = py_to_toml(&v, &key).map_err(spec_err)?;
            out.push(format!("{key}={val}"));
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    for x in set.try_iter()? {
        out.push(x?.extract::<String>().map_err(|_| {
            PyValueError::new_err(
                "set: expected a dict {key: value} or a list of \"KEY=VALUE\" strings",
            )
        })?);
    }
    Ok(out)
}

fn json_to_py<'py>(py: Python<'py>, v: &Json) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Json::Null => py.None().into_bound(py),
        Json::Bool(b) => b.into_bound_py_any(py)?,
        Json::Number(n) => {
            if let Some(u) = n.as_u64() {
                u.into_bound_py_any(py)?
            } else if let Some(i) = n.as_i64() {
                i.into_bound_py_any(py)?
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)?
            }
        }
        Json::String(s) => s.into_bound_py_any(py)?,
        Json::Array(a) => {
            let items: Vec<Bound<'py, PyAny>> = a
                .iter()
                .map(|x| json_to_py(py, x))
                .collect::<PyResult<_>>()?;
            PyList::new(py, items)?.into_any()
        }
        Json::Object(m) => {
            let d = PyDict::new(py);
            for (k, x) in m {
                d.set_item(k, json_to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}

fn read_only<'py, T: numpy::Element>(a: Bound<'py, PyArray1<T>>) -> PyResult<Bound<'py, PyAny>> {
    a.call_method1("setflags", (false,))?;
    Ok(a.into_any())
}

/// One sampled variable of one population as `{"times_ms": float64[s], <var>:
/// float64[s, n], "node_ids": uint64[n]}` (`<var>`: `v_m`, `g_ex` or `g_in`), the arrays
/// read-only if `ro`.
pub(crate) fn series_dict<'py>(
    py: Python<'py>,
    s: &VmSeries,
    ro: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let flat: Vec<f64> = s.rows.iter().flatten().copied().collect();
    let arr = numpy::ndarray::Array2::from_shape_vec((s.rows.len(), s.n as usize), flat)
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?
        .into_pyarray(py);
    let times = PyArray1::from_slice(py, &s.times);
    let ids = PyArray1::from_vec(py, (0..s.n as u64).collect::<Vec<u64>>());
    if ro {
        arr.call_method1("setflags", (false,))?;
        times.call_method1("setflags", (false,))?;
        ids.call_method1("setflags", (false,))?;
    }
    let d = PyDict::new(py);
    d.set_item("times_ms", times)?;
    d.set_item(s.var.name(), arr)?;
    d.set_item("node_ids", ids)?;
    Ok(d)
}

/// `{population: series_dict}` of the series of `var` among `all`.
pub(crate) fn analog_dict<'py>(
    py: Python<'py>,
    all: &[VmSeries],
    var: Analog,
    ro: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for s in all.iter().filter(|s| s.var == var) {
        d.set_item(&s.name, series_dict(py, s, ro)?)?;
    }
    Ok(d)
}

// ---------------------------------------------------------------------------------------
// loading
// ---------------------------------------------------------------------------------------

/// What a network came from: its display name, its (overridden) table, its data directory.
#[derive(Clone)]
struct Source {
    name: String,
    table: Table,
    data: Option<PathBuf>,
}

impl Source {
    fn load(&self, sets: &[String]) -> Result<Loaded, RsSpecError> {
        let mut t = self.table.clone();
        overrides::apply_all(&mut t, sets)?;
        mload::load_table(&t, self.data.as_deref())
    }
}

fn wrap(py: Python<'_>, src: Source, loaded: Loaded) -> PyResult<Py<PyAny>> {
    match loaded {
        Loaded::Spiking(net) => Network {
            src,
            net: *net,
            lists: Vec::new(),
        }
        .into_py_any(py),
        Loaded::Rate(f) => RateModel { src, model: *f }.into_py_any(py),
    }
}

/// Load a network file or a built-in network by name, with `set` overrides (as the
/// CLI's `--set`) and the data directory of data-driven models; a spiking network gives
/// a `Network`, a rate model a `RateModel`.
#[pyfunction]
#[pyo3(signature = (name, set=None, data=None))]
fn load(
    py: Python<'_>,
    name: PathBuf,
    set: Option<&Bound<'_, PyAny>>,
    data: Option<PathBuf>,
) -> PyResult<Py<PyAny>> {
    let sets = sets_of(set)?;
    let origin = Origin::resolve(&name);
    // The same checks as models::load::load (which reads the file once more otherwise).
    let table = mload::overridden_table(&origin, &sets).map_err(spec_err)?;
    let loaded = mload::load(&origin, &sets, data.as_deref()).map_err(spec_err)?;
    let src = Source {
        name: origin.display(),
        table,
        data,
    };
    wrap(py, src, loaded)
}

/// A description given as a dict with the schema of the network files.
#[pyfunction]
#[pyo3(signature = (d, set=None, data=None, name=None))]
fn from_dict(
    py: Python<'_>,
    d: &Bound<'_, PyDict>,
    set: Option<&Bound<'_, PyAny>>,
    data: Option<PathBuf>,
    name: Option<String>,
) -> PyResult<Py<PyAny>> {
    let sets = sets_of(set)?;
    let mut table = py_dict_to_table(d, "").map_err(spec_err)?;
    overrides::apply_all(&mut table, &sets).map_err(spec_err)?;
    let src = Source {
        name: name.unwrap_or_else(|| "<dict>".into()),
        table,
        data,
    };
    if let Some(dd) = &src.data
        && mload::kind_of(&src.table) == mload::FileKind::Spiking
    {
        return Err(spec_err(RsSpecError::new(
            src.name.as_str(),
            format!(
                "a data directory ({}) applies to data-driven models only; this network reads no data",
                dd.display()
            ),
        )));
    }
    let loaded = src.load(&[]).map_err(spec_err)?;
    wrap(py, src, loaded)
}

// ---------------------------------------------------------------------------------------
// spiking networks
// ---------------------------------------------------------------------------------------

/// A validated spiking network.
#[pyclass(module = "cortexsim._native", frozen)]
struct Network {
    src: Source,
    net: RsNetwork,
    /// Connection lists given in bulk (`with_connections`), by projection index: applied
    /// again whenever the table is validated anew.
    lists: Vec<(usize, Arc<cortexsim_spec::ConnectionList>)>,
}

/// What the in-memory sink collected, handed over when the run finishes.
#[derive(Default)]
struct Collected {
    /// Per population (None: not recorded): spike times (ms), node ids.
    spikes: Vec<Option<(Vec<f64>, Vec<u64>)>>,
    rates: Vec<(String, f64, Vec<f64>)>,
    vm: Vec<VmSeries>,
    status: String,
    t_ms: f64,
}

/// The spike sink of a Python run: spikes in memory, per population, in time order.
struct MemorySink {
    data: Collected,
    out: Arc<Mutex<Option<Collected>>>,
}

impl SpikeSink for MemorySink {
    fn push(&mut self, pop: usize, node_id: u32, t_ms: f64) -> Result<(), String> {
        if let Some(Some((t, id))) = self.data.spikes.get_mut(pop) {
            t.push(t_ms);
            id.push(node_id as u64);
        }
        Ok(())
    }

    fn finish(&mut self, rec: &FinalData) -> Result<(), String> {
        let mut c = std::mem::take(&mut self.data);
        c.rates = rec.rates.clone();
        c.vm = rec.vm.clone();
        c.status = rec.status.to_string();
        c.t_ms = rec.t_ms;
        *self
            .out
            .lock()
            .map_err(|_| "result lock poisoned".to_string())? = Some(c);
        Ok(())
    }
}

/// Shared between the run's worker thread and the waiting caller.
struct Shared {
    done: AtomicU64,
    total: AtomicU64,
    started: AtomicBool,
}

impl Network {
    /// This network with the run's changes applied to its table and validated again.
    fn with_changes(
        &self,
        t_stop: Option<f64>,
        seed: Option<u64>,
        record: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<RsNetwork> {
        if t_stop.is_none() && seed.is_none() && record.is_none() {
            return Ok(self.net.clone());
        }
        let mut sets = Vec::new();
        if let Some(t) = t_stop {
            sets.push(format!("simulation.t_stop={t:?}"));
        }
        if let Some(s) = seed {
            sets.push(format!("simulation.seed={s}"));
        }
        let mut src = self.src.clone();
        if let Some(r) = record {
            let rec = py_dict_to_table(r, "recorders").map_err(spec_err)?;
            let entry = src
                .table
                .entry("recorders")
                .or_insert_with(|| Value::Table(Table::new()));
            let Value::Table(t) = entry else {
                return Err(spec_err(RsSpecError::new("recorders", "expected a table")));
            };
            t.extend(rec);
        }
        let mut net = src
            .load(&sets)
            .map_err(spec_err)?
            .into_spiking(&Origin::File(PathBuf::from(&self.src.name)), "run")
            .map_err(spec_err)?;
        for (i, l) in &self.lists {
            net.set_connection_list(*i, l.clone()).map_err(spec_err)?;
        }
        Ok(net)
    }
}

/// A column of a connection list as `i64` (any integer sequence or NumPy array).
fn index_column(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    path: &str,
    what: &str,
) -> PyResult<Vec<u64>> {
    let np = py.import("numpy")?;
    let kw = PyDict::new(py);
    kw.set_item("dtype", "int64")?;
    let arr = np
        .call_method("ascontiguousarray", (a,), Some(&kw))?
        .cast_into::<PyArray1<i64>>()
        .map_err(|_| {
            spec_err(RsSpecError::new(
                path,
                format!("{what} must be a one-dimensional integer array"),
            ))
        })?;
    let ro = arr.readonly();
    let v = ro.as_slice()?;
    v.iter()
        .enumerate()
        .map(|(k, &x)| {
            u64::try_from(x).map_err(|_| {
                spec_err(RsSpecError::new(
                    format!("{path}[{k}]"),
                    format!("{what} index {x} is negative"),
                ))
            })
        })
        .collect()
}

/// A column of weights or delays as `f64`.
fn number_column(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    path: &str,
    what: &str,
) -> PyResult<Vec<f64>> {
    let np = py.import("numpy")?;
    let kw = PyDict::new(py);
    kw.set_item("dtype", "float64")?;
    let arr = np
        .call_method("ascontiguousarray", (a,), Some(&kw))?
        .cast_into::<PyArray1<f64>>()
        .map_err(|_| {
            spec_err(RsSpecError::new(
                path,
                format!("{what} must be a one-dimensional array of numbers"),
            ))
        })?;
    let ro = arr.readonly();
    Ok(ro.as_slice()?.to_vec())
}

#[pymethods]
impl Network {
    /// A network from a dict with the schema of the network files, validated exactly as
    /// a file is (`SpecError` with `.key` on invalid input); `set` overrides as in `load`.
    /// A rate-model dict gives a `RateModel`.
    #[staticmethod]
    #[pyo3(signature = (d, set=None, data=None, name=None))]
    fn from_dict(
        py: Python<'_>,
        d: &Bound<'_, PyDict>,
        set: Option<&Bound<'_, PyAny>>,
        data: Option<PathBuf>,
        name: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        from_dict(py, d, set, data, name)
    }

    /// This network with projection `projection` (its index in the file) connected by an
    /// explicit list, given in bulk as columns (NumPy arrays or sequences): `sources`,
    /// `targets` (indices within the populations), optional `weights` and `delays` (ms;
    /// else the projection's `weight`/`delay`). Validated as a `connections` key
    /// (`SpecError` with `.key` `projections[i].connections[k]`); the projection becomes
    /// `rule = "from_list"`. The list is kept across `run(t_stop=..., seed=...)`; it is
    /// not part of `to_dict()`.
    #[pyo3(signature = (projection, sources, targets, weights=None, delays=None))]
    fn with_connections(
        &self,
        py: Python<'_>,
        projection: usize,
        sources: &Bound<'_, PyAny>,
        targets: &Bound<'_, PyAny>,
        weights: Option<&Bound<'_, PyAny>>,
        delays: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Network> {
        let path = format!("projections[{projection}].connections");
        let src = index_column(py, sources, &path, "source")?;
        let tgt = index_column(py, targets, &path, "target")?;
        let w = weights
            .map(|a| number_column(py, a, &path, "weights"))
            .transpose()?;
        let d = delays
            .map(|a| number_column(py, a, &path, "delays"))
            .transpose()?;
        let mut net = self.net.clone();
        py.detach(|| net.set_connections(projection, &src, &tgt, w.as_deref(), d.as_deref()))
            .map_err(spec_err)?;
        let list = net.projections[projection]
            .connections
            .clone()
            .ok_or_else(|| PyRuntimeError::new_err("the list was not set"))?;
        let mut lists: Vec<_> = self
            .lists
            .iter()
            .filter(|(i, _)| *i != projection)
            .cloned()
            .collect();
        lists.push((projection, list));
        Ok(Network {
            src: self.src.clone(),
            net,
            lists,
        })
    }

    /// Build the network once for several runs: a `Simulation` whose `run(ms)`
    /// continues where the last call stopped, with `reset()`, `update(set)` (stimuli and
    /// spike sources between runs) and the spikes and potentials recorded so far.
    /// `threads`, `max_memory` as in `run`.
    #[pyo3(signature = (threads=0, max_memory=None))]
    fn build(
        &self,
        py: Python<'_>,
        threads: usize,
        max_memory: Option<u64>,
    ) -> PyResult<sim::Simulation> {
        sim::Simulation::build(py, self, threads, max_memory)
    }

    /// The network's display name (file path, `<name> (built-in)` or `<dict>`).
    #[getter]
    fn name(&self) -> String {
        self.src.name.clone()
    }

    /// Population names, in network order.
    #[getter]
    fn populations(&self) -> Vec<String> {
        self.net
            .populations
            .iter()
            .map(|p| p.name.clone())
            .collect()
    }

    /// Total number of neurons.
    #[getter]
    fn n_neurons(&self) -> u64 {
        self.net.n_neurons()
    }

    /// Warnings of the validation (e.g. rounded delays).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.net.warnings.clone()
    }

    /// The description as a dict (the file's schema, overrides applied).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let j = serde_json::to_value(&self.src.table)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        json_to_py(py, &j)
    }

    /// Populations, projections with expected synapses, partitions, delays and the
    /// memory estimate, without building (`cortexsim inspect --json`).
    fn inspect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let info = inspect(&self.net);
        json_to_py(py, &info.to_json(&self.src.name, &self.net))
    }

    fn __repr__(&self) -> String {
        let pops: Vec<String> = self
            .net
            .populations
            .iter()
            .map(|p| format!("{}:{}", p.name, p.size))
            .collect();
        format!(
            "<cortexsim.Network {} ({} neurons: {}), t_stop {} ms>",
            self.src.name,
            self.net.n_neurons(),
            pops.join(", "),
            self.net.simulation.t_stop
        )
    }

    /// Build and simulate the network; returns a `RunResult`.
    ///
    /// * `t_stop` (ms), `seed`: as the CLI's `--t-stop`/`--seed` (the file's values if None).
    /// * `threads`: worker threads, 0 = the file's `simulation.threads`, else all cores
    ///   (results do not depend on it).
    /// * `record`: replaces keys of the file's `[recorders]`, e.g. `{"spikes": ["E"],
    ///   "rate_bin": 1.0, "v_m": [{"population": "E", "n": 10, "interval": 1.0}]}`
    ///   (`g_ex`, `g_in` alike, for `iaf_cond_exp`/`iaf_cond_alpha` populations).
    /// * `warmup` (ms): simulated first, not timed (as `--warmup`).
    /// * `max_memory` (bytes): refuse to build above it (default: the available memory).
    /// * `progress`: None (a bar in a terminal or Jupyter: tqdm if installed), True,
    ///   False, or a callable `(steps_done, steps_total, seconds)`.
    ///
    /// The GIL is released while it runs. Ctrl-C stops it at the next slice boundary and
    /// raises `cortexsim.Interrupted` (a `KeyboardInterrupt`) whose `result` holds
    /// everything up to then.
    #[pyo3(signature = (t_stop=None, seed=None, threads=0, record=None, warmup=0.0, max_memory=None, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        py: Python<'_>,
        t_stop: Option<f64>,
        seed: Option<u64>,
        threads: usize,
        record: Option<&Bound<'_, PyDict>>,
        warmup: f64,
        max_memory: Option<u64>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<RunResult> {
        let net = self.with_changes(t_stop, seed, record)?;
        let progress: Option<Py<PyAny>> = {
            let arg = progress.unwrap_or_else(|| py.None());
            let p = py
                .import("cortexsim._progress")?
                .call_method1("make", (arg, net.simulation.dt))?;
            (!p.is_none()).then(|| p.unbind())
        };
        if !(warmup.is_finite() && warmup >= 0.0) {
            return Err(PyValueError::new_err(format!(
                "warmup: must be a finite number >= 0 ms, got {warmup}"
            )));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let opts = RunOptions {
            threads,
            max_memory,
            keep_spikes: false,
            warmup_ms: warmup,
            stop: Some(Arc::clone(&stop)),
            // Spikes are collected in memory; `to_sonata` writes the file afterwards.
            output_file: false,
            comm: None,
        };
        let shared = Shared {
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            started: AtomicBool::new(false),
        };
        let slot: Arc<Mutex<Option<Collected>>> = Arc::new(Mutex::new(None));
        let name = self.src.name.clone();
        let t0 = Instant::now();
        let mut pending: Option<PyErr> = None;
        let outcome = std::thread::scope(|s| {
            // The worker holds `done_tx` until it ends (or panics): then `recv_timeout`
            // returns at once with `Disconnected`.
            let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
            let done_rx = Mutex::new(done_rx); // `detach` needs Sync
            let (net, opts, name, shared, slot) = (&net, &opts, &name, &shared, &slot);
            let worker = s.spawn(move || {
                let _done = done_tx;
                let mut built = prun::build(net, opts).map_err(Outcome::Build)?;
                let sink = MemorySink {
                    data: Collected {
                        spikes: (0..net.populations.len())
                            .map(|p| {
                                net.recorders
                                    .spikes
                                    .contains(&p)
                                    .then(|| (Vec::new(), Vec::new()))
                            })
                            .collect(),
                        ..Default::default()
                    },
                    out: Arc::clone(slot),
                };
                built.sim.set_sink(Box::new(sink));
                let warnings = built.sim.warnings.clone();
                shared.started.store(true, Ordering::Relaxed);
                let mut report = |done: u64, total: u64, _elapsed: f64| {
                    shared.done.store(done, Ordering::Relaxed);
                    shared.total.store(total, Ordering::Relaxed);
                };
                let (sim, summary, result) =
                    prun::run(net, name, None, built, opts, Some(&mut report));
                drop(sim);
                Ok((summary, result, warnings))
            });
            // Wait with the GIL released; every 50 ms check signals and report progress.
            loop {
                let finished = py.detach(|| {
                    done_rx.lock().is_ok_and(|rx| {
                        matches!(
                            rx.recv_timeout(Duration::from_millis(50)),
                            Err(std::sync::mpsc::RecvTimeoutError::Disconnected)
                        )
                    })
                });
                if finished {
                    break;
                }
                if pending.is_none() {
                    if let Err(e) = py.check_signals() {
                        stop.store(true, Ordering::Relaxed);
                        pending = Some(e);
                    } else if let Some(p) = &progress
                        && shared.started.load(Ordering::Relaxed)
                    {
                        let (d, n) = (
                            shared.done.load(Ordering::Relaxed),
                            shared.total.load(Ordering::Relaxed),
                        );
                        if let Err(e) = p.call1(py, (d, n, t0.elapsed().as_secs_f64())) {
                            stop.store(true, Ordering::Relaxed);
                            pending = Some(e);
                        }
                    }
                }
            }
            worker.join()
        });
        if let Some(p) = &progress {
            let (d, n) = (
                shared.done.load(Ordering::Relaxed),
                shared.total.load(Ordering::Relaxed),
            );
            if pending.is_none() && n > 0 {
                let _ = p.call1(py, (d, n, t0.elapsed().as_secs_f64()));
            }
            if let Ok(close) = p.getattr(py, "close") {
                let _ = close.call0(py);
            }
        }
        let (summary, result, warnings) = match outcome {
            Err(_) => return Err(PyRuntimeError::new_err("the simulation thread panicked")),
            Ok(Err(Outcome::Build(b))) => return Err(pending.unwrap_or_else(|| build_err(b))),
            Ok(Ok(x)) => x,
        };
        let interrupted = match result {
            Ok(()) => false,
            Err(RunError::Interrupted { .. }) => true,
            Err(RunError::Sim(SimError::Output(e))) | Err(RunError::Output(e)) => {
                return Err(pending.unwrap_or_else(|| SimulationError::new_err(e)));
            }
            Err(RunError::Sim(e)) => {
                return Err(pending.unwrap_or_else(|| SimulationError::new_err(e.to_string())));
            }
        };
        let collected = slot
            .lock()
            .map_err(|_| PyRuntimeError::new_err("result lock poisoned"))?
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("the run finished without its recorded data"))?;
        let res = RunResult::new(py, net, summary, collected, warnings)?;
        if interrupted || pending.is_some() {
            let e = match pending {
                // The stop came from Ctrl-C: raise it as `Interrupted` with the result.
                Some(e) if e.is_instance_of::<PyKeyboardInterrupt>(py) => Interrupted::new_err(
                    format!("{} (the run stopped at t = {} ms)", e.value(py), res.t_ms),
                ),
                Some(e) => return Err(e),
                None => Interrupted::new_err(format!("interrupted at t = {} ms", res.t_ms)),
            };
            let res = Py::new(py, res)?;
            e.value(py).setattr("result", res)?;
            return Err(e);
        }
        Ok(res)
    }
}

enum Outcome {
    Build(RsBuildError),
}

/// The result of a run: spikes, rates, potentials and the summary.
#[pyclass(module = "cortexsim._native", frozen)]
struct RunResult {
    net: RsNetwork,
    summary_json: String,
    /// Python objects built once: dict pop -> (times, ids); dict pop -> rates; ...
    spikes: Py<PyDict>,
    rates: Py<PyDict>,
    /// `{population: series}` per variable, in `Analog::ALL` order (v_m, g_ex, g_in).
    analog: Vec<Py<PyDict>>,
    summary: Py<PyAny>,
    rate_bin_ms: Option<f64>,
    rates_raw: Vec<(String, f64, Vec<f64>)>,
    vm_raw: Vec<VmSeries>,
    status: String,
    t_ms: f64,
    warnings: Vec<String>,
}

impl RunResult {
    fn new(
        py: Python<'_>,
        net: RsNetwork,
        summary: Json,
        c: Collected,
        warnings: Vec<String>,
    ) -> PyResult<RunResult> {
        let spikes = PyDict::new(py);
        for (p, s) in c.spikes.into_iter().enumerate() {
            if let Some((t, id)) = s {
                let tuple = PyTuple::new(
                    py,
                    [
                        read_only(t.into_pyarray(py))?,
                        read_only(id.into_pyarray(py))?,
                    ],
                )?;
                spikes.set_item(&net.populations[p].name, tuple)?;
            }
        }
        let rates = PyDict::new(py);
        for (name, _, r) in &c.rates {
            rates.set_item(name, read_only(PyArray1::from_slice(py, r))?)?;
        }
        let analog = Analog::ALL
            .into_iter()
            .map(|var| analog_dict(py, &c.vm, var, true).map(|d| d.unbind()))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(RunResult {
            rate_bin_ms: c.rates.first().map(|r| r.1),
            summary_json: summary.to_string(),
            summary: json_to_py(py, &summary)?.unbind(),
            spikes: spikes.unbind(),
            rates: rates.unbind(),
            analog,
            rates_raw: c.rates,
            vm_raw: c.vm,
            status: c.status,
            t_ms: c.t_ms,
            net,
            warnings,
        })
    }
}

#[pymethods]
impl RunResult {
    /// `{population: (times_ms float64[n], node_ids uint64[n])}` of the recorded
    /// populations (`recorders.spikes`), in time order; node ids are 0-based within the
    /// population; times are the end of the spike's step (as NEST and the SONATA file).
    #[getter]
    fn spikes(&self, py: Python<'_>) -> Py<PyDict> {
        self.spikes.clone_ref(py)
    }

    /// `{population: rates float64[bins]}` (Hz) in bins of `rate_bin_ms` from 0 (empty
    /// without `recorders.rate_bin`).
    #[getter]
    fn rates(&self, py: Python<'_>) -> Py<PyDict> {
        self.rates.clone_ref(py)
    }

    /// The bin of `rates`, ms (None without a rate recorder).
    #[getter]
    fn rate_bin_ms(&self) -> Option<f64> {
        self.rate_bin_ms
    }

    /// `{population: {"times_ms": float64[s], "v_m": float64[s, n] (mV), "node_ids":
    /// uint64[n]}}` of the `recorders.v_m` entries.
    #[getter]
    fn v_m(&self, py: Python<'_>) -> Py<PyDict> {
        self.analog[0].clone_ref(py)
    }

    /// `{population: {"times_ms": float64[s], "g_ex": float64[s, n] (nS), "node_ids":
    /// uint64[n]}}` of the `recorders.g_ex` entries (excitatory conductance).
    #[getter]
    fn g_ex(&self, py: Python<'_>) -> Py<PyDict> {
        self.analog[1].clone_ref(py)
    }

    /// `{population: {"times_ms": float64[s], "g_in": float64[s, n] (nS, >= 0),
    /// "node_ids": uint64[n]}}` of the `recorders.g_in` entries (inhibitory conductance).
    #[getter]
    fn g_in(&self, py: Python<'_>) -> Py<PyDict> {
        self.analog[2].clone_ref(py)
    }

    /// The run summary: the same JSON object as `cortexsim run --json` (as a dict).
    #[getter]
    fn summary(&self, py: Python<'_>) -> Py<PyAny> {
        self.summary.clone_ref(py)
    }

    /// `complete` or `interrupted`.
    #[getter]
    fn status(&self) -> String {
        self.status.clone()
    }

    /// The time every population was simulated to, ms.
    #[getter]
    fn t_ms(&self) -> f64 {
        self.t_ms
    }

    /// Warnings of the build.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// Write the result as a SONATA spike file (the same layout as `cortexsim run --out`:
    /// spikes, rates, potentials, summary, status), through the same output rules:
    /// written beside `path` under a temporary name and renamed into place; an existing
    /// file is refused unless `overwrite`.
    #[pyo3(signature = (path, overwrite=false))]
    fn to_sonata(&self, py: Python<'_>, path: PathBuf, overwrite: bool) -> PyResult<String> {
        let out = Output::claim(&path, overwrite).map_err(|e| PyOSError::new_err(e.to_string()))?;
        let spikes = self.spikes.bind(py);
        let mut pops: Vec<(usize, Vec<f64>, Vec<u64>)> = Vec::new();
        for (p, pop) in self.net.populations.iter().enumerate() {
            if let Some(tuple) = spikes.get_item(&pop.name)? {
                let t = tuple.get_item(0)?;
                let id = tuple.get_item(1)?;
                let t = t.cast::<PyArray1<f64>>()?.to_vec()?;
                let id = id.cast::<PyArray1<u64>>()?.to_vec()?;
                pops.push((p, t, id));
            }
        }
        let net = &self.net;
        py.detach(|| -> Result<(), String> {
            let mut w = SonataWriter::create(out.temp(), net)?;
            for (p, t, id) in &pops {
                for (&ti, &ni) in t.iter().zip(id) {
                    let node =
                        u32::try_from(ni).map_err(|_| format!("node id {ni} out of range"))?;
                    w.push(*p, node, ti)?;
                }
            }
            w.finish(&FinalData {
                rates: self.rates_raw.clone(),
                vm: self.vm_raw.clone(),
                summary_json: &self.summary_json,
                status: &self.status,
                t_ms: self.t_ms,
            })
        })
        .map_err(PyOSError::new_err)?;
        let dest = out
            .commit()
            .map_err(|e| PyOSError::new_err(e.to_string()))?;
        Ok(dest.display().to_string())
    }

    fn __repr__(&self) -> String {
        format!(
            "<cortexsim.RunResult {} at t = {} ms ({})>",
            self.net
                .populations
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            self.t_ms,
            self.status
        )
    }
}

// ---------------------------------------------------------------------------------------
// mean field and compare
// ---------------------------------------------------------------------------------------

/// The mean-field stationary state of a spiking network (`cortexsim meanfield --json`).
#[pyfunction]
#[pyo3(signature = (net, mean_input_only=false))]
fn meanfield<'py>(
    py: Python<'py>,
    net: &Network,
    mean_input_only: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let osc = if mean_input_only {
        OscillationOptions::nnmt()
    } else {
        OscillationOptions::default()
    };
    let name = net.src.name.clone();
    let j = py
        .detach(|| stationary(&net.net).map(|r| meanfield_json(&name, &r, &osc)))
        .map_err(spec_err)?;
    json_to_py(py, &j)
}

/// A spiking run compared with the mean field and its rate models (`cortexsim compare
/// --json`).
#[pyfunction]
#[pyo3(signature = (net, threads=0, warmup=100.0, blocks=20, max_memory=None, step_pa=None, step_at=None, rate_tau=None))]
#[allow(clippy::too_many_arguments)]
fn compare_py<'py>(
    py: Python<'py>,
    net: &Network,
    threads: usize,
    warmup: f64,
    blocks: usize,
    max_memory: Option<u64>,
    step_pa: Option<f64>,
    step_at: Option<f64>,
    rate_tau: Option<f64>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = CompareOptions {
        threads,
        warmup_ms: warmup,
        blocks,
        max_memory,
        step: StepOptions {
            step_pa,
            t_step_ms: step_at,
            rate_tau_ms: rate_tau,
        },
    };
    let name = net.src.name.clone();
    let j = py
        .detach(|| compare(&net.net, &opts).map(|(r, c)| comparison_json(&name, &r, &c, None)))
        .map_err(|e| match e {
            CompareError::Spec(s) => spec_err(s),
            CompareError::Options(m) => PyValueError::new_err(m),
            CompareError::Build(b) => build_err(b),
            CompareError::Sim(s) => SimulationError::new_err(s.to_string()),
        })?;
    json_to_py(py, &j)
}

// ---------------------------------------------------------------------------------------
// rate models
// ---------------------------------------------------------------------------------------

/// A rate model (a rate file or a data-driven model).
#[pyclass(module = "cortexsim._native", frozen)]
struct RateModel {
    src: Source,
    model: RateNetworkFile,
}

impl RateModel {
    fn with_changes(&self, t_stop: Option<f64>, seed: Option<u64>) -> PyResult<RateNetworkFile> {
        if t_stop.is_none() && seed.is_none() {
            return Ok(self.model.clone());
        }
        // The same keys as the CLI's --t-stop/--seed would set.
        let mut sets = Vec::new();
        if let Some(t) = t_stop {
            sets.push(format!("simulation.t_stop={t:?}"));
        }
        if let Some(s) = seed {
            sets.push(format!("simulation.seed={s}"));
        }
        self.src
            .load(&sets)
            .map_err(spec_err)?
            .into_rate(&Origin::File(PathBuf::from(&self.src.name)), "run")
            .map_err(spec_err)
    }
}

#[pymethods]
impl RateModel {
    #[getter]
    fn name(&self) -> String {
        self.src.name.clone()
    }

    /// Population names, in network order.
    #[getter]
    fn populations(&self) -> Vec<String> {
        self.model.net.pops.iter().map(|p| p.name.clone()).collect()
    }

    /// `(area, normalised hierarchy)` of data-driven models, else None.
    #[getter]
    fn hierarchy(&self) -> Option<Vec<(String, f64)>> {
        self.model.hierarchy.clone()
    }

    /// Integrate the model: `{"t_ms": float64[s], "rates": {pop: float64[s]} (Hz),
    /// "summary": ...}` (the summary as `cortexsim run --json` on the rate file).
    #[pyo3(signature = (t_stop=None, seed=None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        t_stop: Option<f64>,
        seed: Option<u64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let f = self.with_changes(t_stop, seed)?;
        let opts = f.sim.run_opts();
        let t0 = Instant::now();
        let run = py
            .detach(|| cortexsim_theory::rate::run(&f.net, &opts))
            .map_err(|e| protocol_err(e.into()))?;
        let sim_s = t0.elapsed().as_secs_f64();
        let summary = rate_run_json(&self.src.name, &opts, &f.report_order(), &run, sim_s);
        let d = PyDict::new(py);
        let rates = PyDict::new(py);
        for (name, r) in run.pop_names.iter().zip(&run.rates) {
            rates.set_item(name, read_only(PyArray1::from_slice(py, r))?)?;
        }
        d.set_item("t_ms", read_only(PyArray1::from_slice(py, &run.t_ms))?)?;
        d.set_item("rates", rates)?;
        d.set_item("summary", json_to_py(py, &summary)?)?;
        Ok(d)
    }

    /// Autocorrelation timescales (`cortexsim timescales --json`): `method` "impulse"
    /// (white noise into `source`, response of length `t_max` ms) or "noise" (the file's
    /// own noise; the first `discard` ms dropped).
    #[pyo3(signature = (method="impulse", source=None, t_max=12000.0, discard=1000.0))]
    fn timescales<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        source: Option<String>,
        t_max: f64,
        discard: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m = match method {
            "impulse" => {
                if !(t_max > 0.0 && t_max.is_finite()) {
                    return Err(PyValueError::new_err(
                        "t_max: must be a finite number > 0 ms",
                    ));
                }
                Method::Impulse {
                    source,
                    t_max_ms: t_max,
                }
            }
            "noise" => Method::Noise {
                discard_ms: discard,
            },
            other => {
                return Err(PyValueError::new_err(format!(
                    "method: \"{other}\" is not one of \"impulse\", \"noise\""
                )));
            }
        };
        let ts = py
            .detach(|| timescales(&self.model, &m))
            .map_err(protocol_err)?;
        json_to_py(py, &ts.to_json(&self.src.name))
    }

    fn __repr__(&self) -> String {
        format!(
            "<cortexsim.RateModel {} ({} populations)>",
            self.src.name,
            self.model.net.n()
        )
    }
}

// ---------------------------------------------------------------------------------------
// files
// ---------------------------------------------------------------------------------------

/// Read a SONATA spike file written by `cortexsim run --out` (or `to_sonata`):
/// `{"spikes": {pop: (times_ms, node_ids)}, "rates": {pop: rates}, "rate_bin_ms",
/// "v_m": {pop: {...}}, "g_ex": {...}, "g_in": {...}, "status", "summary"}`.
#[pyfunction]
fn read_sonata<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    let f = py
        .detach(|| sonata::read(Path::new(&path)))
        .map_err(PyOSError::new_err)?;
    let d = PyDict::new(py);
    let spikes = PyDict::new(py);
    for (name, t, id) in f.spikes {
        spikes.set_item(
            name,
            PyTuple::new(
                py,
                [
                    t.into_pyarray(py).into_any(),
                    id.into_pyarray(py).into_any(),
                ],
            )?,
        )?;
    }
    let rates = PyDict::new(py);
    for (name, _, r) in &f.rates {
        rates.set_item(name, PyArray1::from_slice(py, r))?;
    }
    d.set_item("spikes", spikes)?;
    d.set_item("rates", rates)?;
    d.set_item("rate_bin_ms", f.rates.first().map(|r| r.1))?;
    for var in Analog::ALL {
        d.set_item(var.name(), analog_dict(py, &f.vm, var, false)?)?;
    }
    d.set_item("status", f.status)?;
    let summary = match &f.summary {
        Some(s) => match serde_json::from_str::<Json>(s) {
            Ok(j) => json_to_py(py, &j)?,
            Err(_) => s.into_bound_py_any(py)?,
        },
        None => py.None().into_bound(py),
    };
    d.set_item("summary", summary)?;
    Ok(d)
}

/// Names of the built-in networks (usable wherever a file name is).
#[pyfunction]
fn builtin_networks() -> Vec<String> {
    cortexsim_models::builtin::NETWORKS
        .iter()
        .map(|(n, _)| n.to_string())
        .collect()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(from_dict, m)?)?;
    m.add_function(wrap_pyfunction!(meanfield, m)?)?;
    m.add("compare", wrap_pyfunction!(compare_py, m)?)?;
    m.add_function(wrap_pyfunction!(read_sonata, m)?)?;
    m.add_function(wrap_pyfunction!(builtin_networks, m)?)?;
    m.add_class::<Network>()?;
    m.add_class::<RunResult>()?;
    m.add_class::<sim::Simulation>()?;
    m.add_class::<RateModel>()?;
    m.add("SpecError", py.get_type::<SpecError>())?;
    m.add("BuildError", py.get_type::<BuildError>())?;
    m.add("OutOfMemory", py.get_type::<OutOfMemory>())?;
    m.add("SimulationError", py.get_type::<SimulationError>())?;
    m.add("Interrupted", py.get_type::<Interrupted>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
