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
use cortexsim_spec::{Stimulus, StimulusKind};

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
        let opts = BuildOptions::default();
        let plan = Plan::new(&net, &opts);
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
            p.trains.events = inputs.events;
            p.train_cursor = p.trains.events.partition_point(|e| e.0 < t);
            p.cells = cells;
            p.cell_cursor = p.cells.partition_point(|e| e.0 < t);
        }
        self.net = net;
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

    /// Set the amplitude (pA) of DC stimulus `i` from the next step on.
    pub fn set_stimulus_amplitude(&mut self, i: usize, amplitude: f64) -> Result<(), BuildError> {
        let mut st = self.stimulus(i)?;
        let StimulusKind::Dc { amplitude: a } = &mut st.kind else {
            return Err(BuildError::Invalid(format!(
                "stimuli[{i}]: not a dc stimulus"
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
        let Some(p) = self.net.populations.get(pop) else {
            return Err(BuildError::Invalid(format!(
                "population {pop}: no such population (the network has {})",
                self.net.populations.len()
            )));
        };
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
