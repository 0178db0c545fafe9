//! The state contract of a running [`Simulation`] ([`SaveState`], defined in
//! `cortexsim_core::state`): what is written, in stream order.
//!
//! ```text
//!  magic "cxstate1", step t, step of the pending spikes, partitions
//!  per partition: neuron state (every state array, models' order), ring buffer
//!                 (slots × ports × n), random streams, DC/step and spike-train
//!                 cursors, membrane-potential samples, events waiting in the event
//!                 lists as (steps until arrival, event)
//!  spikes of the last slice not yet delivered (with payloads where a model has them)
//!  recording: per-neuron counts and ISI sums, population counts, rate bins, kept
//!             spikes, spikes written to the sink
//! ```
//!
//! A stream is read into a simulation freshly built from the same network (and
//! options that change the layout: none do, `partition_size` is part of the network);
//! every length must match. What is not state: the network and the synapses (rebuilt
//! from the network, deterministically), the thread count, the sink (an open file).
//!
//! [`Simulation::state_hash`] hashes this stream after delivering the pending spikes and
//! draining the event lists into the ring, so the hash does not depend on when the
//! run was paused, on the threads or on the event lists' capacity.

use crate::Simulation;
use crate::partition::Partition;
use cortexsim_core::state::{
    Hasher, SaveState, expect_u64, get_slice, get_u64, get_usize, get_vec, put_slice, put_u64,
};
use std::io::{self, Read, Write};

const MAGIC: u64 = u64::from_le_bytes(*b"cxstate1");

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// The partition's own state; its event lists are written by the simulation, which
/// knows the step they count from.
impl SaveState for Partition {
    fn save(&self, w: &mut dyn Write) -> io::Result<()> {
        self.state.save(w)?;
        put_slice(w, &self.ring)?;
        self.rngs.save(w)?;
        put_u64(w, self.current_cursor as u64)?;
        put_u64(w, self.train_cursor as u64)?;
        put_slice(w, self.vm.as_ref().map_or(&[][..], |v| &v.data[..]))
    }

    fn load(&mut self, r: &mut dyn Read) -> io::Result<()> {
        self.state.load(r)?;
        get_slice(r, &mut self.ring, "ring buffer")?;
        self.rngs.load(r)?;
        self.current_cursor = get_usize(r, "current cursor")?;
        if self.current_cursor > self.current.points.len() {
            return Err(bad("current cursor beyond the schedule"));
        }
        self.train_cursor = get_usize(r, "spike-train cursor")?;
        if self.train_cursor > self.trains.events.len() {
            return Err(bad("spike-train cursor beyond the train"));
        }
        match &mut self.vm {
            Some(vm) => {
                let data: Vec<f64> = get_vec(r, usize::MAX / 8, "membrane-potential samples")?;
                if !data.len().is_multiple_of(vm.n.max(1)) {
                    return Err(bad("membrane-potential samples: not whole rows"));
                }
                vm.data = data;
            }
            None => expect_u64(r, 0, "membrane-potential samples")?,
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
            let events = p
                .queue
                .as_ref()
                .map(|q| q.pending(self.t))
                .unwrap_or_default();
            let flat: Vec<u64> = events.iter().flat_map(|&(d, ev)| [d, ev]).collect();
            put_slice(w, &flat)?;
        }
        self.prev_spikes.save(w)?;
        self.recording.save(w)
    }

    fn load(&mut self, r: &mut dyn Read) -> io::Result<()> {
        if get_u64(r)? != MAGIC {
            return Err(bad("not a cortexsim simulation state"));
        }
        self.t = get_u64(r)?;
        self.prev_t0 = get_u64(r)?;
        expect_u64(r, self.parts.len() as u64, "partitions")?;
        let t = self.t;
        for p in &mut self.parts {
            p.load(r)?;
            p.cell_cursor = p.cells.partition_point(|e| e.0 < t);
            let flat: Vec<u64> = get_vec(r, usize::MAX / 8, "event lists")?;
            if !flat.len().is_multiple_of(2) {
                return Err(bad("event lists: an odd number of words"));
            }
            let events: Vec<(u64, u64)> = flat.chunks_exact(2).map(|x| (x[0], x[1])).collect();
            match &mut p.queue {
                Some(q) => q.restore(t, p.mask, &mut p.ring, &events).map_err(bad)?,
                None if events.is_empty() => {}
                None => {
                    return Err(bad(
                        "the state holds queued events, but this simulation has no event lists (built with another queue_capacity)",
                    ));
                }
            }
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
    /// Deliver the pending spikes and drain the event lists into the ring: the state's
    /// canonical form (the results that follow are the same, bit for bit).
    pub fn normalize(&mut self) {
        self.deliver_pending();
        let t = self.t;
        for p in &mut self.parts {
            if let Some(q) = &mut p.queue {
                q.drain_all(t, p.mask, &mut p.ring);
            }
        }
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
    /// chunked, of the threads and of the event lists' capacity.
    pub fn state_hash(&mut self) -> u64 {
        self.normalize();
        let mut h = Hasher::default();
        // Writing to a hasher cannot fail, and a normalized state always writes.
        self.save(&mut h).expect("hashing a state never fails");
        h.finish()
    }
}
