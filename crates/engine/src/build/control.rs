//! Control between runs of one [`Simulation`] (what PyNN's `run`/`reset`/`set` need):
//! a stimulus changed between two `run_for` calls, and [`Simulation::reset`] to `t = 0`
//! with the initial values. Both rebuild a partition's inputs or initial state with the
//! build's own functions (same streams, same order), so a run that changes a stimulus
//! at step `k` gives the spikes of a network whose stimulus has two windows split at `k`,
//! and a run after `reset` gives the spikes of a freshly built simulation, bit for bit.

use super::Plan;
use crate::record::Recording;
use crate::stimulus::CurrentSchedule;
use crate::{BuildError, BuildOptions, Simulation, rng};
use cortexsim_neuron::{NeuronModel, State};
use cortexsim_spec::reader::Obj;
use cortexsim_spec::{GridPolicy, Network, Population, Stimulus, StimulusKind};

impl Simulation {
    /// Replace stimulus `i` (same target population) from the next step on: the steps
    /// already simulated keep the old one. Poisson, noise, DC/step and spike-train
    /// inputs of every partition of the target are rebuilt from the changed network; a
    /// partition's random streams continue where they are.
    pub fn set_stimulus(&mut self, i: usize, st: Stimulus) -> Result<(), BuildError> {
        let path = format!("stimuli[{i}]");
        let old = self.net.stimuli.get(i).ok_or_else(|| {
            BuildError::Invalid(format!(
                "{path}: no such stimulus (the network has {})",
                self.net.stimuli.len()
            ))
        })?;
        if old.target != st.target {
            return Err(BuildError::Invalid(format!(
                "{path}: a stimulus keeps its target population between runs"
            )));
        }
        let mut net = self.net.clone();
        net.stimuli[i] = st;
        let target = net.stimuli[i].target;
        self.rebuild_inputs(&net, target)?;
        self.net = net;
        Ok(())
    }

    /// Rebuild the inputs (Poisson, noise, DC/step, spike trains, single-cell inputs) of
    /// every partition of population `target` from `net`, from the next step on; a
    /// partition's random streams continue where they are.
    fn rebuild_inputs(&mut self, net: &Network, target: usize) -> Result<(), BuildError> {
        let opts = BuildOptions::default();
        let plan = Plan::new(net, &opts);
        let t = self.t;
        let mut rebuilt = Vec::new();
        for (k, p) in self
            .parts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.pop == target)
        {
            let spec = crate::PartitionSpec {
                pop: p.pop,
                offset: p.pop_offset,
                size: p.n as u32,
            };
            rebuilt.push((
                k,
                plan.inputs(p.pop, &net.populations[p.pop])?,
                plan.cell_inputs(&spec)?,
            ));
        }
        for (k, inputs, cells) in rebuilt {
            let p = &mut self.parts[k];
            if p.rngs.is_empty() && !(inputs.poisson.is_empty() && inputs.noise.is_empty()) {
                p.rngs = input_streams(net.simulation.seed, p.first_gid, p.n as u32);
            }
            p.poisson = inputs.poisson;
            p.noise = inputs.noise;
            p.current = CurrentSchedule::from_windows(&inputs.windows);
            p.current_cursor = p.current.cursor_at(t);
            p.ac = inputs.ac;
            p.noise_current = inputs.noise_current;
            p.trains.events = inputs.events;
            p.train_cursor = p.trains.events.partition_point(|e| e.0 < t);
            p.cells = cells;
            p.cell_cursor = p.cells.partition_point(|e| e.0 < t);
        }
        Ok(())
    }

    /// Set the rate (Hz) of Poisson stimulus `i` from the next step on (also the source
    /// of a `spike_source_poisson` population: its stimulus follows the file's).
    pub fn set_stimulus_rate(&mut self, i: usize, rate: f64) -> Result<(), BuildError> {
        let mut st = self.stimulus(i)?;
        let StimulusKind::Poisson { rate: r, .. } = &mut st.kind else {
            return Err(BuildError::Invalid(format!(
                "stimuli[{i}]: not a poisson stimulus"
            )));
        };
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(BuildError::Invalid(format!(
                "stimuli[{i}].rate: must be a finite rate >= 0 Hz, got {rate}"
            )));
        }
        *r = rate;
        self.set_stimulus(i, st)
    }

    /// Set the amplitude (pA) of DC or AC stimulus `i` from the next step on.
    pub fn set_stimulus_amplitude(&mut self, i: usize, amplitude: f64) -> Result<(), BuildError> {
        let mut st = self.stimulus(i)?;
        let (StimulusKind::Dc { amplitude: a } | StimulusKind::Ac { amplitude: a, .. }) =
            &mut st.kind
        else {
            return Err(BuildError::Invalid(format!(
                "stimuli[{i}]: not a dc or ac stimulus"
            )));
        };
        if !amplitude.is_finite() {
            return Err(BuildError::Invalid(format!(
                "stimuli[{i}].amplitude: must be finite, got {amplitude}"
            )));
        }
        *a = amplitude;
        self.set_stimulus(i, st)
    }

    /// Lengthen the simulation to `steps` (a later `t_stop`), for runs continued past
    /// the network's `t_stop` (PyNN's `run` has no end fixed in advance): the spike
    /// times of `spike_source_array` populations up to the new end are delivered (they
    /// are cut at `t_stop`); every other stimulus keeps its own `stop`. A shorter end than
    /// the current one is refused.
    pub fn extend_to(&mut self, steps: u64) -> Result<(), BuildError> {
        let now = self.net.simulation.steps;
        if steps < now {
            return Err(BuildError::Invalid(format!(
                "simulation.t_stop: cannot shorten the simulation from {now} to {steps} steps"
            )));
        }
        if steps == now {
            return Ok(());
        }
        self.net.simulation.steps = steps;
        self.net.simulation.t_stop = steps as f64 * self.net.simulation.dt;
        for i in 0..self.net.stimuli.len() {
            if matches!(self.net.stimuli[i].kind, StimulusKind::SourceTimes { .. }) {
                let mut st = self.net.stimuli[i].clone();
                st.stop = st.stop.max(self.net.simulation.t_stop);
                self.set_stimulus(i, st)?;
            }
        }
        Ok(())
    }

    /// Set the membrane potentials (absolute, mV) of every neuron of population `pop`
    /// now: initial values given per neuron (PyNN's `initialize` with an array or its own
    /// random numbers), applied after the build or a [`Self::reset`] (which returns to
    /// the network's `v_init`).
    pub fn set_potentials(&mut self, pop: usize, v: &[f64]) -> Result<(), BuildError> {
        let p = self.population(pop)?;
        if v.len() != p.size as usize {
            return Err(BuildError::Invalid(format!(
                "populations[{}]: {} potentials for {} neurons",
                p.name,
                v.len(),
                p.size
            )));
        }
        if let Some(k) = v.iter().position(|x| !x.is_finite()) {
            return Err(BuildError::Invalid(format!(
                "populations[{}]: potential {k} is {}, not a finite number",
                p.name, v[k]
            )));
        }
        for part in self.parts.iter_mut().filter(|q| q.pop == pop) {
            let e_l = part.kernel.e_l();
            let off = part.pop_offset as usize;
            for (i, x) in part.state.v.iter_mut().enumerate() {
                *x = v[off + i] - e_l;
            }
        }
        Ok(())
    }

    /// Set neuron parameters of population `pop` from the next step on: `changes` are
    /// (key, value) pairs with the file's keys (NEST or snake spelling, e.g. `I_e` or
    /// `i_e`), applied to the population's current parameters and validated as a file's
    /// are. See [`Self::set_population`].
    pub fn set_population_params(
        &mut self,
        pop: usize,
        changes: &[(&str, f64)],
    ) -> Result<(), BuildError> {
        let old = self.population(pop)?;
        let path = format!("populations[{}].params", old.name);
        let mut table = params_table(&old.model, &path)?;
        for &(key, value) in changes {
            // The other spelling of the key (NEST `E_L` for `e_l`) makes way for it.
            let lower = key.to_ascii_lowercase();
            table.retain(|k, _| k.to_ascii_lowercase() != lower);
            table.insert(key.to_string(), toml::Value::Float(value));
        }
        let model = parse_params(old.model.name(), &table, &path)?;
        let new = Population {
            model,
            ..old.clone()
        };
        self.set_population(pop, new)
    }

    /// Replace the neuron parameters (and `v_init`, used by the next [`Self::reset`]) of
    /// population `pop` from the next step on: same name, size and model; the parameters
    /// are validated as a file's (the error names the key and the value). The kernels of
    /// its partitions are rebuilt as the build makes them, and the inputs that depend on
    /// the parameters (noise); the dynamic state is kept as NEST keeps it: the absolute
    /// membrane potential is unchanged when `E_L` changes (the state stores it relative
    /// to `E_L`), synaptic currents and conductances and refractory counters are kept.
    /// The network (`self.net`) holds the new population, so a [`Self::reset`] starts
    /// again with the new parameters, and a state saved from now on resumes in a
    /// simulation built from `self.net`.
    pub fn set_population(&mut self, pop: usize, new: Population) -> Result<(), BuildError> {
        let old = self.population(pop)?;
        let at = format!("populations[{}]", old.name);
        if new.name != old.name || new.size != old.size {
            return Err(BuildError::Invalid(format!(
                "{at}: a population keeps its name and size between runs (got \"{}\" of {} neurons, not \"{}\" of {})",
                new.name, new.size, old.name, old.size
            )));
        }
        if new.model.name() != old.model.name() {
            return Err(BuildError::Invalid(format!(
                "{at}.model: a population keeps its model between runs (got \"{}\", not \"{}\")",
                new.model.name(),
                old.model.name()
            )));
        }
        if new == *old {
            return Ok(());
        }
        let dt = self.net.simulation.dt;
        if cortexsim_neuron::MODEL_NAMES.contains(&new.model.name()) {
            // The same reading as the file's (test aids built in code are not listed).
            let path = format!("{at}.params");
            parse_params(new.model.name(), &params_table(&new.model, &path)?, &path)?;
            let t_ref = new.model.core().t_ref;
            if self.net.simulation.grid_policy == GridPolicy::Error
                && cortexsim_spec::validate::off_grid(t_ref, dt)
            {
                return Err(BuildError::Invalid(format!(
                    "{path}.t_ref: t_ref {t_ref} ms is not a multiple of dt = {dt} ms"
                )));
            }
        }
        let mut net = self.net.clone();
        net.populations[pop] = new;
        let kernel = net.populations[pop].model.kernel(dt);
        for part in self.parts.iter_mut().filter(|q| q.pop == pop) {
            let shift = part.kernel.e_l() - kernel.e_l();
            let old = std::mem::take(&mut part.state);
            let mut state = State::new(&kernel, old.v.iter().map(|v| v + shift).collect());
            state.keep_dynamics(old);
            part.state = state;
            part.kernel = kernel.clone();
        }
        // Inputs computed from the parameters (a noise stimulus's C_m and tau_m).
        self.rebuild_inputs(&net, pop)?;
        self.net = net;
        Ok(())
    }

    fn population(&self, pop: usize) -> Result<&Population, BuildError> {
        self.net.populations.get(pop).ok_or_else(|| {
            BuildError::Invalid(format!(
                "population {pop}: no such population (the network has {})",
                self.net.populations.len()
            ))
        })
    }

    fn stimulus(&self, i: usize) -> Result<Stimulus, BuildError> {
        self.net.stimuli.get(i).cloned().ok_or_else(|| {
            BuildError::Invalid(format!(
                "stimuli[{i}]: no such stimulus (the network has {})",
                self.net.stimuli.len()
            ))
        })
    }

    /// Back to `t = 0` with the initial values: initial potentials and every other state
    /// variable, empty ring buffers and event lists, the random streams of the inputs
    /// from their start, empty recordings (the spike sink stays attached). Stimuli changed
    /// by [`Self::set_stimulus`] stay changed (as PyNN's `reset`). The run that follows
    /// gives the spikes of a simulation freshly built from the current network.
    pub fn reset(&mut self) -> Result<(), BuildError> {
        self.deliver_pending();
        let opts = BuildOptions::default();
        let plan = Plan::new(&self.net, &opts);
        let seed = self.net.simulation.seed;
        for p in &mut self.parts {
            let pop = &self.net.populations[p.pop];
            p.state = plan.initial_state(pop, &p.kernel, p.first_gid, p.n as u32);
            if let Some(q) = &mut p.queue {
                q.clear();
            }
            p.ring.fill(0.0);
            if !p.rngs.is_empty() {
                p.rngs = input_streams(seed, p.first_gid, p.n as u32);
            }
            p.current_cursor = 0;
            p.train_cursor = 0;
            p.cell_cursor = 0;
            for b in &mut p.analog {
                b.data.clear();
            }
        }
        self.prev_spikes.clear();
        self.prev_t0 = 0;
        self.t = 0;
        self.agreed_stop = false;
        self.pending_error = None;
        self.bad.iter_mut().for_each(|b| *b = None);
        let sink = self.recording.sink.take();
        self.recording = Recording::new(&self.net, self.recording.keep);
        self.recording.sink = sink;
        Ok(())
    }
}

/// The per-neuron streams of a partition's Poisson and noise inputs (as built).
fn input_streams(seed: u64, first_gid: u32, n: u32) -> rng::StreamBank {
    rng::StreamBank::new(
        (0..n).map(|i| rng::stream(seed, rng::purpose::POISSON, 0, (first_gid + i) as u64)),
    )
}

/// The parameters of `model` as a file's `params` table (snake-case keys; values the
/// model derives, such as `tau_m` of the conductance-based models from `C_m / g_L`,
/// are left out: a file cannot set them).
fn params_table(model: &NeuronModel, path: &str) -> Result<toml::Table, BuildError> {
    let bad = |e: String| BuildError::Invalid(format!("{path}: cannot be written as a table: {e}"));
    let mut table = match toml::Value::try_from(model).map_err(|e| bad(e.to_string()))? {
        toml::Value::Table(mut t) => match t.remove("params") {
            Some(toml::Value::Table(p)) => p,
            None => toml::Table::new(),
            Some(v) => return Err(bad(format!("{} is not a table", v.type_str()))),
        },
        v => return Err(bad(format!("{} is not a table", v.type_str()))),
    };
    // A key the model reads either reads well or is refused for its value; one it does
    // not read leaves the defaults, which read well, and only `finish` refuses it.
    table.retain(|k, v| {
        let one = toml::Table::from_iter([(k.to_string(), v.clone())]);
        let o = Obj::new(path, &one);
        !(NeuronModel::parse(model.name(), Some(&o), path).is_ok() && o.finish().is_err())
    });
    Ok(table)
}

/// `params` of `model` read as a network file's (unknown keys refused).
fn parse_params(model: &str, params: &toml::Table, path: &str) -> Result<NeuronModel, BuildError> {
    let err = |e: cortexsim_core::error::SpecError| BuildError::Invalid(e.to_string());
    let o = Obj::new(path, params);
    let m = NeuronModel::parse(model, Some(&o), path).map_err(err)?;
    o.finish().map_err(err)?;
    Ok(m)
}
