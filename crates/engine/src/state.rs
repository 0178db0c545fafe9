//! The state contract of a running [`Simulation`] ([`SaveState`], defined in
//! `cortexsim_core::state`): what is written, in stream order.
//!
//! ```text
//!  magic "cxstate1", step t, step of the pending spikes, partitions
//!  per partition: neuron state (every state array, models' order), random streams,
//!                 DC/step and spike-train cursors, membrane-potential samples, the
//!                 pending inputs as (steps until arrival, cell, value) for every
//!                 input that is not +0, by arrival, then cell
//!  spikes of the last slice not yet delivered (with payloads where a model has them)
//!  recording: per-neuron counts and ISI sums, population counts, rate bins, kept
//!             spikes, spikes written to the sink
//! ```
//!
//! A stream is read into a simulation freshly built from the same network (and
//! options that change the layout: none do, `partition_size` is part of the network);
//! every length must match. What is not state: the network and the synapses (rebuilt
//! from the network, deterministically), the thread count, the sink (an open file).
//! After [`Simulation::set_population`] the network is `sim.net` with the new
//! parameters: a state saved from then on resumes in a simulation built from it.
//!
//! The pending inputs are written in the same form whether a partition holds them in a
//! ring buffer or in event lists (each list summed in delivery order, as its drain
//! will; restored as one value per cell at the head of its list), so the stream does not
//! depend on the event lists or their chunk size. [`Simulation::state_hash`] hashes this
//! stream after delivering the pending spikes, so the hash does not depend on when the
//! run was paused or on the threads either.

use crate::Simulation;
use crate::partition::Partition;
use cortexsim_core::state::{
    Hasher, SaveState, expect_u64, get_u64, get_usize, get_vec, put_slice, put_u64,
};
use cortexsim_neuron::Analog;
use std::io::{self, Read, Write};

const MAGIC: u64 = u64::from_le_bytes(*b"cxstate2");
/// The stream of cortexsim before the pending inputs were written by cell (it held the
/// whole ring buffer and the raw event lists).
const MAGIC_V1: u64 = u64::from_le_bytes(*b"cxstate1");

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// The partition's own state; its pending inputs are written by the simulation, which
/// knows the step they count from.
impl SaveState for Partition {
    fn save(&self, w: &mut dyn Write) -> io::Result<()> {
        self.state.save(w)?;
        self.rngs.save(w)?;
        put_u64(w, self.current_cursor as u64)?;
        put_u64(w, self.train_cursor as u64)?;
        // The potentials' slot is always there (empty without a recorder); the
        // conductances' only where recorded (the stream of other networks is unchanged).
        put_slice(
            w,
            self.analog_buf(Analog::VM).map_or(&[][..], |v| &v.data[..]),
        )?;
        for b in self.analog.iter().filter(|b| b.var != Analog::VM) {
            put_slice(w, &b.data)?;
        }
        Ok(())
    }

    fn load(&mut self, r: &mut dyn Read) -> io::Result<()> {
        self.state.load(r)?;
        self.rngs.load(r)?;
        self.current_cursor = get_usize(r, "current cursor")?;
        if self.current_cursor > self.current.points.len() {
            return Err(bad("current cursor beyond the schedule"));
        }
        self.train_cursor = get_usize(r, "spike-train cursor")?;
        if self.train_cursor > self.trains.events.len() {
            return Err(bad("spike-train cursor beyond the train"));
        }
        if self.analog_buf(Analog::VM).is_none() {
            expect_u64(r, 0, "membrane-potential samples")?;
        }
        for b in &mut self.analog {
            let what = format!("{} samples", b.var.name());
            let data: Vec<f64> = get_vec(r, usize::MAX / 8, &what)?;
            if !data.len().is_multiple_of(b.n.max(1)) {
                return Err(bad(format!("{what}: not whole rows")));
            }
            b.data = data;
        }
        Ok(())
    }
}

impl SaveState for Simulation {
    fn save(&self, w: &mut dyn Write) -> io::Result<()> {
        put_u64(w, MAGIC)?;
        put_u64(w, self.t)?;
        // (The step of an empty pending slice is not state: chunked runs differ in it.)
        put_u64(
            w,
            if self.prev_spikes.steps() == 0 {
                0
            } else {
                self.prev_t0
            },
        )?;
        put_u64(w, self.parts.len() as u64)?;
        for p in &self.parts {
            p.save(w)?;
            let flat: Vec<u64> = p
                .pending_inputs(self.t)
                .iter()
                .flat_map(|&(d, cell, x)| [d, cell as u64, x.to_bits()])
                .collect();
            put_slice(w, &flat)?;
        }
        self.prev_spikes.save(w)?;
        self.recording.save(w)
    }

    fn load(&mut self, r: &mut dyn Read) -> io::Result<()> {
        match get_u64(r)? {
            MAGIC => {}
            MAGIC_V1 => {
                return Err(bad(
                    "a simulation state of an older cortexsim (ring buffers and event lists stored whole); resume it with that version",
                ));
            }
            _ => return Err(bad("not a cortexsim simulation state")),
        }
        self.t = get_u64(r)?;
        self.prev_t0 = get_u64(r)?;
        expect_u64(r, self.parts.len() as u64, "partitions")?;
        let t = self.t;
        for p in &mut self.parts {
            p.load(r)?;
            p.cell_cursor = p.cells.partition_point(|e| e.0 < t);
            let flat: Vec<u64> = get_vec(r, usize::MAX / 8, "pending inputs")?;
            if !flat.len().is_multiple_of(3) {
                return Err(bad("pending inputs: not whole (step, cell, value) triples"));
            }
            let inputs: Vec<(u64, u32, f64)> = flat
                .chunks_exact(3)
                .map(|x| (x[0], x[1].min(u32::MAX as u64) as u32, f64::from_bits(x[2])))
                .collect();
            p.restore_inputs(t, &inputs).map_err(bad)?;
        }
        self.prev_spikes.load(r)?;
        let sizes: Vec<u32> = self.net.populations.iter().map(|p| p.size).collect();
        if let Some(s) = self
            .prev_spikes
            .spikes()
            .iter()
            .find(|s| sizes.get(s.pop as usize).is_none_or(|&n| s.node >= n))
        {
            return Err(bad(format!(
                "pending spike of neuron {} of population {}: not in this network",
                s.node, s.pop
            )));
        }
        self.recording.load(r)?;
        self.bad.iter_mut().for_each(|b| *b = None);
        Ok(())
    }
}

impl Simulation {
    /// Deliver the pending spikes: the state's canonical form (the results that follow
    /// are the same, bit for bit).
    pub fn normalize(&mut self) {
        self.deliver_pending();
    }

    /// Write the complete running state ([`SaveState::save`]; see the module docs).
    pub fn save_state(&self, w: &mut dyn Write) -> io::Result<()> {
        self.save(w)
    }

    /// Read a state written by [`save_state`](Self::save_state) of a simulation built
    /// from the same network; the run continues from it bit-identically.
    pub fn load_state(&mut self, r: &mut dyn Read) -> io::Result<()> {
        self.load(r)
    }

    /// A hash of the complete dynamic state: of the [`save_state`](Self::save_state)
    /// stream after [`normalize`](Self::normalize), so independent of how the run was
    /// chunked, of the threads and of the event lists.
    pub fn state_hash(&mut self) -> u64 {
        self.normalize();
        let mut h = Hasher::default();
        // Writing to a hasher cannot fail, and a normalized state always writes.
        self.save(&mut h).expect("hashing a state never fails");
        h.finish()
    }
}
