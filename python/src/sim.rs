//! `cortexsim.Simulation`: a network built once and run in several calls (what PyNN's
//! `run`/`reset`/`set` need, and interactive use): `run(ms)` continues from where the
//! last call stopped, `reset()` returns to t = 0 with the initial values, `update(set)`
//! changes stimuli and spike-source parameters between runs, and the spikes and sampled
//! potentials recorded so far can be read at any time. It holds an
//! [`cortexsim_engine::Simulation`] and calls its `run_for_until`, `reset`,
//! `set_stimulus` and `extend_to`.

use super::{Network, Source, build_err, read_only, series_dict, sets_of, spec_err};
use cortexsim_engine::record::{FinalData, SpikeSink};
use cortexsim_engine::{BuildOptions, Simulation as RsSimulation};
use cortexsim_models::load::Origin;
use cortexsim_spec::{Analog, ConnectionList, Network as RsNetwork};
use numpy::IntoPyArray;
use numpy::PyArray1;
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Spikes of the recorded populations so far: per population (None: not recorded) the
/// spike times (ms) and node ids.
type Store = Vec<Option<(Vec<f64>, Vec<u64>)>>;

/// The sink of a persistent simulation: appends to the shared store (read by Python
/// between runs).
struct SharedSink(Arc<Mutex<Store>>);

impl SpikeSink for SharedSink {
    fn push(&mut self, pop: usize, node_id: u32, t_ms: f64) -> Result<(), String> {
        let mut s = self.0.lock().map_err(|_| "spike store lock poisoned")?;
        if let Some(Some((t, id))) = s.get_mut(pop) {
            t.push(t_ms);
            id.push(node_id as u64);
        }
        Ok(())
    }

    fn finish(&mut self, _rec: &FinalData) -> Result<(), String> {
        Ok(())
    }
}

/// A network built once and simulated in several `run` calls.
#[pyclass(module = "cortexsim._native", frozen)]
pub(crate) struct Simulation {
    lists: Vec<(usize, Arc<ConnectionList>)>,
    /// The description, the network and the engine (None after a failed run).
    inner: Mutex<Inner>,
    store: Arc<Mutex<Store>>,
    warnings: Vec<String>,
    dt: f64,
    name: String,
}

struct Inner {
    src: Source,
    net: RsNetwork,
    sim: Option<RsSimulation>,
}

impl Inner {
    fn sim(&mut self) -> PyResult<&mut RsSimulation> {
        self.sim
            .as_mut()
            .ok_or_else(|| PyRuntimeError::new_err("the simulation failed earlier; build it again"))
    }

    fn t(&self) -> f64 {
        self.sim
            .as_ref()
            .map(|s| s.t as f64 * self.net.simulation.dt)
            .unwrap_or(f64::NAN)
    }
}

impl Simulation {
    /// `{population: series}` of `var`, sampled since the build or the last `reset`.
    fn analog_of<'py>(&self, py: Python<'py>, var: Analog) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let inner = self.lock()?;
        let Some(sim) = &inner.sim else {
            return Ok(d);
        };
        for r in inner.net.recorders.analog(var) {
            if let Some(s) = sim.analog_samples(var, r.population) {
                d.set_item(&s.name, series_dict(py, &s, true)?)?;
            }
        }
        Ok(d)
    }

    pub(crate) fn build(
        py: Python<'_>,
        network: &Network,
        threads: usize,
        max_memory: Option<u64>,
    ) -> PyResult<Simulation> {
        let net = network.net.clone();
        let opts = BuildOptions {
            threads,
            max_memory,
            ..Default::default()
        };
        let mut sim = py
            .detach(|| RsSimulation::build(&net, &opts))
            .map_err(build_err)?;
        let store: Store = (0..net.populations.len())
            .map(|p| {
                net.recorders
                    .spikes
                    .contains(&p)
                    .then(|| (Vec::new(), Vec::new()))
            })
            .collect();
        let store = Arc::new(Mutex::new(store));
        sim.set_sink(Box::new(SharedSink(Arc::clone(&store))));
        let mut warnings = net.warnings.clone();
        warnings.extend(sim.warnings.iter().cloned());
        Ok(Simulation {
            lists: network.lists.clone(),
            dt: net.simulation.dt,
            name: network.src.name.clone(),
            inner: Mutex::new(Inner {
                src: network.src.clone(),
                net,
                sim: Some(sim),
            }),
            store,
            warnings,
        })
    }

    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, Inner>> {
        self.inner
            .lock()
            .map_err(|_| PyRuntimeError::new_err("simulation lock poisoned"))
    }

    fn store(&self) -> PyResult<std::sync::MutexGuard<'_, Store>> {
        self.store
            .lock()
            .map_err(|_| PyRuntimeError::new_err("spike store lock poisoned"))
    }

    fn steps_of(&self, ms: f64, what: &str) -> PyResult<u64> {
        let dt = self.dt;
        if !(ms.is_finite() && ms >= 0.0) {
            return Err(PyValueError::new_err(format!(
                "{what}: must be a finite time >= 0 ms, got {ms}"
            )));
        }
        let s = (ms / dt).round();
        if (ms / dt - s).abs() > 1e-6 * s.max(1.0) {
            return Err(PyValueError::new_err(format!(
                "{what}: {ms} ms is not a whole number of steps of dt = {dt} ms"
            )));
        }
        if s >= 2f64.powi(53) {
            return Err(PyValueError::new_err(format!(
                "{what}: {ms} ms is beyond 2^53 steps"
            )));
        }
        Ok(s as u64)
    }
}

#[pymethods]
impl Simulation {
    /// Simulate `duration` more ms (a whole number of steps); continues past the
    /// network's `t_stop` if needed (`extend_to`: `spike_source_array` times up to the new
    /// end are delivered; stimuli keep their `stop`, which defaults to the file's
    /// `t_stop`: give `stop` where a stimulus should last). The GIL is released; Ctrl-C stops the
    /// run at the next slice boundary and raises `KeyboardInterrupt` (the simulation
    /// stays usable, at the time it reached).
    fn run(&self, py: Python<'_>, duration: f64) -> PyResult<f64> {
        let steps = self.steps_of(duration, "duration")?;
        let mut inner = self.lock()?;
        let sim = inner.sim()?;
        let end = sim.t + steps;
        if end > sim.net.simulation.steps {
            sim.extend_to(end).map_err(build_err)?;
        }
        let stop = AtomicBool::new(false);
        let (tx, rx) = std::sync::mpsc::channel::<Result<bool, String>>();
        let rx = Mutex::new(rx);
        let mut interrupted: Option<PyErr> = None;
        let outcome = std::thread::scope(|s| {
            let stop = &stop;
            s.spawn(move || {
                let r = sim
                    .run_for_until(steps, |_| {}, stop)
                    .map_err(|e| e.to_string());
                let _ = tx.send(r);
            });
            loop {
                let got = py.detach(|| {
                    rx.lock()
                        .ok()
                        .and_then(|r| match r.recv_timeout(Duration::from_millis(50)) {
                            Ok(x) => Some(x),
                            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
                            Err(_) => Some(Err("the simulation thread panicked".into())),
                        })
                });
                if let Some(r) = got {
                    return r;
                }
                if interrupted.is_none()
                    && let Err(e) = py.check_signals()
                {
                    stop.store(true, Ordering::Relaxed);
                    interrupted = Some(e);
                }
            }
        });
        match outcome {
            Err(e) => {
                // A numerical failure or a failed recorder: the state is not usable.
                inner.sim = None;
                Err(super::SimulationError::new_err(e))
            }
            Ok(_) => {
                let t = inner.t();
                match interrupted {
                    Some(e) if e.is_instance_of::<PyKeyboardInterrupt>(py) => Err(
                        PyKeyboardInterrupt::new_err(format!("run stopped at t = {t} ms")),
                    ),
                    Some(e) => Err(e),
                    None => Ok(t),
                }
            }
        }
    }

    /// Simulate up to time `t` ms (PyNN's `run_until`); `t` before now is an error.
    fn run_until(&self, py: Python<'_>, t: f64) -> PyResult<f64> {
        let now = self.lock()?.t();
        if t < now - 1e-9 {
            return Err(PyValueError::new_err(format!(
                "run_until: t = {t} ms is before the current time {now} ms"
            )));
        }
        self.run(py, (t - now).max(0.0))
    }

    /// The current time, ms.
    #[getter]
    fn t(&self) -> PyResult<f64> {
        Ok(self.lock()?.t())
    }

    /// The time step, ms.
    #[getter]
    fn dt(&self) -> f64 {
        self.dt
    }

    /// Population names, in network order.
    #[getter]
    fn populations(&self) -> PyResult<Vec<String>> {
        Ok(self
            .lock()?
            .net
            .populations
            .iter()
            .map(|p| p.name.clone())
            .collect())
    }

    /// Warnings of the validation and the build.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// Back to t = 0 with the initial values (potentials, synaptic state, input streams
    /// from their start); the recorded spikes and potentials are cleared. Changes made by
    /// `update` stay (as PyNN's `reset`). The next run gives the spikes of a simulation
    /// freshly built from the current network, bit for bit.
    fn reset(&self) -> PyResult<()> {
        self.lock()?.sim()?.reset().map_err(build_err)?;
        let mut s = self.store()?;
        for (t, id) in s.iter_mut().flatten() {
            t.clear();
            id.clear();
        }
        Ok(())
    }

    /// Change the network between runs, by key path as `Network.run`'s `set` (or the
    /// CLI's `--set`), e.g. `{"stimuli.0.rate": 20.0}` or
    /// `{"populations.src.params.rate": 5.0}`: the changed description is validated
    /// again; stimuli (Poisson, DC, step, spike trains), the parameters of spike
    /// sources (`spike_source_poisson` rates and windows, `spike_source_array` times)
    /// and the parameters of neuron populations (`{"populations.E.params.I_e": 300.0}`;
    /// same name, size and model) take effect from the next step on — a changed `E_L`
    /// keeps each absolute membrane potential, as NEST; synaptic currents, conductances
    /// and refractory counters are kept — and `reset` keeps them. Any other change (a
    /// population's model or size, a projection, a recorder) is refused with
    /// `ValueError` naming what differs.
    fn update(&self, set: &Bound<'_, PyAny>) -> PyResult<()> {
        let sets = sets_of(Some(set))?;
        let mut inner = self.lock()?;
        let mut src = inner.src.clone();
        cortexsim_spec::overrides::apply_all(&mut src.table, &sets).map_err(spec_err)?;
        let mut new = src
            .load(&[])
            .map_err(spec_err)?
            .into_spiking(&Origin::File(PathBuf::from(&self.name)), "update")
            .map_err(spec_err)?;
        for (i, l) in &self.lists {
            new.set_connection_list(*i, l.clone()).map_err(spec_err)?;
        }
        let old = &inner.net;
        // A neuron population may change its parameters (and `v_init`, for `reset`);
        // its name, size and model stay.
        let fixed = |a: &cortexsim_spec::Population, b: &cortexsim_spec::Population| {
            a.name == b.name
                && a.size == b.size
                && a.model.name() == b.model.name()
                && (a == b || !a.model.is_spike_source())
        };
        let moved = (new.populations.len() != old.populations.len())
            .then(|| "populations".to_string())
            .or_else(|| {
                new.populations
                    .iter()
                    .zip(&old.populations)
                    .find(|(a, b)| !fixed(a, b))
                    .map(|(_, b)| format!("populations[{}]", b.name))
            });
        let what = if new.simulation.dt != old.simulation.dt
            || new.simulation.seed != old.simulation.seed
        {
            Some("simulation (dt, seed)")
        } else if let Some(p) = &moved {
            return Err(PyValueError::new_err(format!(
                "update: {p} cannot change between runs of a built simulation except the parameters of a neuron population (name, size and model stay) and those of a spike source; build a new one"
            )));
        } else if new.projections != old.projections {
            Some("projections")
        } else if new.recorders != old.recorders {
            Some("recorders")
        } else if new.stimuli.len() != old.stimuli.len()
            || new
                .stimuli
                .iter()
                .zip(&old.stimuli)
                .any(|(a, b)| a.target != b.target)
        {
            Some("the number or targets of the stimuli")
        } else {
            None
        };
        if let Some(w) = what {
            return Err(PyValueError::new_err(format!(
                "update: {w} cannot change between runs of a built simulation; build a new one"
            )));
        }
        let changed: Vec<usize> = (0..new.stimuli.len())
            .filter(|&i| new.stimuli[i] != old.stimuli[i])
            .collect();
        let pops: Vec<usize> = (0..new.populations.len())
            .filter(|&i| new.populations[i] != old.populations[i])
            .collect();
        let sim = inner.sim()?;
        for &i in &pops {
            sim.set_population(i, new.populations[i].clone())
                .map_err(build_err)?;
        }
        for &i in &changed {
            let mut st = new.stimuli[i].clone();
            // Spike-source times run to the simulation's (possibly extended) end.
            if matches!(st.kind, cortexsim_spec::StimulusKind::SourceTimes { .. }) {
                st.stop = st.stop.max(sim.net.simulation.t_stop);
            }
            sim.set_stimulus(i, st).map_err(build_err)?;
        }
        inner.src = src;
        inner.net.stimuli = new.stimuli;
        inner.net.populations = new.populations;
        Ok(())
    }

    /// `{population: (times_ms float64[n], node_ids uint64[n])}` of the spikes recorded
    /// since the build or the last `reset` (populations in `recorders.spikes`), in time
    /// order; times are the end of the spike's step (as NEST). `clear`: empty the store
    /// afterwards.
    #[pyo3(signature = (clear=false))]
    fn spikes<'py>(&self, py: Python<'py>, clear: bool) -> PyResult<Bound<'py, PyDict>> {
        let names = self.populations()?;
        let mut s = self.store()?;
        let d = PyDict::new(py);
        for (p, e) in s.iter_mut().enumerate() {
            if let Some((t, id)) = e {
                let (t, id) = if clear {
                    (std::mem::take(t), std::mem::take(id))
                } else {
                    (t.clone(), id.clone())
                };
                d.set_item(
                    &names[p],
                    PyTuple::new(
                        py,
                        [
                            read_only(t.into_pyarray(py))?,
                            read_only(id.into_pyarray(py))?,
                        ],
                    )?,
                )?;
            }
        }
        Ok(d)
    }

    /// `{population: {"times_ms": float64[s], "v_m": float64[s, n] (mV), "node_ids":
    /// uint64[n]}}` of the `recorders.v_m` entries, sampled since the build or the last
    /// `reset` (the first sample at one interval).
    fn v_m<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.analog_of(py, Analog::VM)
    }

    /// `{population: {"times_ms": float64[s], "g_ex": float64[s, n] (nS), "node_ids":
    /// uint64[n]}}` of the `recorders.g_ex` entries, as `v_m`.
    fn g_ex<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.analog_of(py, Analog::GEx)
    }

    /// `{population: {"times_ms": float64[s], "g_in": float64[s, n] (nS, >= 0),
    /// "node_ids": uint64[n]}}` of the `recorders.g_in` entries, as `v_m`.
    fn g_in<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.analog_of(py, Analog::GIn)
    }

    /// Set the membrane potentials (mV) of every neuron of `population` now (e.g.
    /// initial values per neuron at t = 0; `reset` returns to the network's `v_init`).
    fn set_potentials(&self, population: &str, v: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = v.py();
        let vals = super::number_column(py, v, population, "potentials")?;
        let mut inner = self.lock()?;
        let p = population_index(&inner.net, population)?;
        inner.sim()?.set_potentials(p, &vals).map_err(build_err)
    }

    /// Membrane potentials (mV) of every neuron of `population` now.
    fn potentials<'py>(&self, py: Python<'py>, population: &str) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.lock()?;
        let p = population_index(&inner.net, population)?;
        let sim = inner
            .sim
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("the simulation failed earlier"))?;
        let offset: usize = inner.net.populations[..p]
            .iter()
            .map(|q| q.size as usize)
            .sum();
        let n = inner.net.populations[p].size as usize;
        let v = sim.v_m();
        read_only(PyArray1::from_slice(py, &v[offset..offset + n]))
    }

    fn __repr__(&self) -> String {
        let t = self.lock().map(|i| i.t()).unwrap_or(f64::NAN);
        format!("<cortexsim.Simulation {} at t = {t} ms>", self.name)
    }
}

/// Index of the population named `name` in `net`, or `ValueError` naming it.
fn population_index(net: &RsNetwork, name: &str) -> PyResult<usize> {
    net.populations
        .iter()
        .position(|p| p.name == name)
        .ok_or_else(|| PyValueError::new_err(format!("population: unknown population \"{name}\"")))
}
