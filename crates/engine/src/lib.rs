//! The engine: builds a [`Simulation`] from a validated [`Network`] and runs it.
//!
//! Contracts (docs/ARCHITECTURE.md):
//! 1. **Integer time.** The clock is a step count (`u64`); delays are whole steps.
//! 2. **Thread-count invariance.** Neurons are split into partitions whose boundaries
//!    depend only on the network (population sizes and `partition_size`); random streams
//!    are keyed by neuron id ([`rng`]); the spikes of a slice are delivered in (step, gid)
//!    order, so each target's inputs are summed in the same order whatever the threads.
//!    Because streams belong to neurons, results do not depend on the partition count either.
//! 3. **Target-owned synapses.** Each partition stores the synapses onto its own neurons
//!    ([`partition::Block`]); delivery writes only the partition's own ring buffer (or,
//!    with per-synapse delays, its own event lists, [`partition::EventQueue`]): no
//!    atomics, no locks.
//! 4. **No allocation in the step loop.** Spike buffers, ring buffers and recorder
//!    buffers are sized before the loop; event lists are reserved for the estimate's
//!    events in flight and grow (rarely, by an eighth) only beyond it, within the
//!    memory the estimate left, else the run stops with [`SimError::EventMemory`].
//! 5. **Memory is planned**: [`memory::estimate`] runs before anything large is allocated.
//!
//! The loop runs in *slices* of `min_delay` steps. One parallel region per slice: every
//! partition first delivers the spikes of the previous slice (one flat list in (step,
//! gid) order, [`partition::SliceSpikes`], rows prefetched ahead), then updates its
//! neurons for the slice, writing its own spike buffer; the buffers become the next
//! slice's list through the one exchange seam, [`exchange::Exchange`]. The running state
//! is saved and restored through [`state`]. Since every delay is at least a
//! slice, no spike is needed inside the slice it is emitted in — the exchange scheme NEST
//! uses between MPI ranks. The whole loop runs inside the thread pool, so the regions are
//! forked from a worker (no kernel wake-up per slice).

mod build;
pub mod connect;
pub mod exchange;
pub mod memory;
pub mod partition;
pub mod record;
pub mod rng;
pub mod state;
pub mod stimulus;

use crate::record::{Recording, SpikeSink, VmSeries};
use cortexsim_spec::{Analog, Network};
use partition::{Partition, SliceSpikes, SpikeBuf};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum BuildError {
    #[error(
        "the network needs about {} of memory but only {} is available (estimate: {detail}); reduce the network or raise --max-memory",
        memory::human(*needed),
        memory::human(*available)
    )]
    OutOfMemory {
        needed: u64,
        available: u64,
        detail: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("cannot start {0} threads: {1}")]
    Threads(usize, String),
}

#[derive(Debug, Error)]
pub enum SimError {
    #[error(
        "numerical instability: {var} of neuron {neuron} of population \"{population}\" is not finite at step {step} (t = {time_ms} ms); check weights and parameters"
    )]
    NumericalInstability {
        population: String,
        neuron: u32,
        step: u64,
        time_ms: f64,
        var: &'static str,
    },
    #[error("output: {0}")]
    Output(String),
    #[error(
        "out of memory at step {step}: the spike events in flight onto population \"{population}\" need more memory than the estimate left over (it counts {} spikes/s per neuron; {left} left); raise --max-memory or reduce the network",
        memory::ASSUMED_RATE_HZ,
        left = memory::human(*left)
    )]
    EventMemory {
        population: String,
        step: u64,
        left: u64,
    },
}

/// Options that do not change the results.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Worker threads (0 = the network's `simulation.threads`, then all cores).
    pub threads: usize,
    /// Refuse networks whose estimate exceeds this many bytes (None: available memory).
    pub max_memory: Option<u64>,
    /// Keep every spike in memory as (step, gid) (for tests and small runs).
    pub keep_spikes: bool,
    /// Events per chunk of the event lists of partitions with per-synapse delays
    /// ([`partition::EventQueue`]); `None`: the default; `Some(0)`: no lists, every
    /// event added to a ring directly. Changes the speed and memory only (tested
    /// bitwise).
    pub queue_capacity: Option<usize>,
    /// A SONATA output file will be attached: its per-population costs are part of the
    /// memory estimate ([`memory::estimate_with`]).
    pub output_file: bool,
    /// Several processes share the network ([`exchange::Comm`], e.g. MPI): this one
    /// builds only its block of partitions ([`exchange::rank_blocks`]) and exchanges
    /// spikes with the others ([`exchange::Distributed`]). `None`: one process.
    pub comm: Option<std::sync::Arc<dyn exchange::Comm>>,
}

/// A built network, ready to run; it can be run in several chunks.
pub struct Simulation {
    pub net: Network,
    pub parts: Vec<Partition>,
    /// Spikes of the last slice, in delivery order (delivered at the start of the next).
    prev_spikes: SliceSpikes,
    /// Per partition: its spikes of the current slice.
    bufs_cur: Vec<SpikeBuf>,
    /// Makes `prev_spikes` from `bufs_cur` ([`exchange`]).
    exchange: Box<dyn exchange::Exchange>,
    /// Layout index of each partition in `parts` (all of them in one process).
    local_ids: Vec<usize>,
    /// This process's index and the number of processes (0 and 1 for one process).
    pub rank: usize,
    pub ranks: usize,
    /// The processes (several processes only).
    pub comm: Option<std::sync::Arc<dyn exchange::Comm>>,
    /// Several processes: a stop agreed at the last exchange, and this process's failure
    /// to record a slice (reported to the others at the next exchange).
    agreed_stop: bool,
    pending_error: Option<SimError>,
    /// Step at which the spikes in `prev_spikes` were emitted (start of their slice).
    prev_t0: u64,
    /// Current step (the next step to compute).
    pub t: u64,
    pub min_delay: u64,
    pub max_delay: u64,
    pub synapses: u64,
    pub synapses_per_projection: Vec<u64>,
    pub synapse_bytes: u64,
    /// Bytes of the CSR row pointers (included in `synapse_bytes`).
    pub row_index_bytes: u64,
    pub rounded_delays: u64,
    pub pool: std::sync::Arc<rayon::ThreadPool>,
    pub threads: usize,
    pub recording: Recording,
    pub warnings: Vec<String>,
    pub estimate: memory::Estimate,
    /// Per partition: first non-finite state variable after the last slice.
    bad: Vec<Option<(usize, usize)>>,
}

/// One partition of the layout: neurons `offset..offset + size` of population `pop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionSpec {
    pub pop: usize,
    /// Index of the partition's first neuron within its population.
    pub offset: u32,
    /// Neurons in the partition.
    pub size: u32,
}

/// Partition layout, in population order. Depends only on the
/// network, never on the thread count — and results do not depend on it at all (random
/// streams belong to neurons, spikes are delivered in gid order): it only sets the speed.
pub fn layout(net: &Network) -> Vec<PartitionSpec> {
    let sizes: Vec<u32> = net.populations.iter().map(|p| p.size).collect();
    let many_pops = sizes.iter().filter(|&&n| n > 0).count() as u64 >= MIN_PROCEDURAL_PARTITIONS;
    match net.simulation.partition_size {
        Some(s) => layout_sizes(&sizes, Some(s)),
        // One partition per population (none above 65,536 neurons): see `partition_cap`.
        None if has_procedural(net) && many_pops => {
            let chunks: Vec<u32> = sizes.iter().map(|&n| n.div_ceil(1 << 16).max(1)).collect();
            layout_chunks(&sizes, &chunks)
        }
        None => layout_chunks(&sizes, &auto_chunks(&sizes, partition_cap(net))),
    }
}

fn has_procedural(net: &Network) -> bool {
    net.projections
        .iter()
        .any(|p| p.storage == cortexsim_spec::Storage::Procedural)
}

/// Target neurons per partition when the network does not set `partition_size`.
///
/// Two costs pull in opposite directions. Every partition holds its own piece of each
/// spike's row, so each extra partition adds one short row visit per spike (a few tens
/// of ns with prefetching); few partitions leave threads idle at the end of each slice.
/// With 2048 the row visits cost < 10 % even at in-degree 1000 (measured, see README).
/// Large networks are capped by [`partition_cap`].
pub const AUTO_PARTITION_NEURONS: u32 = 2048;

/// The shortest mean row piece (stored synapses of one source in one partition) the
/// automatic layout accepts in large networks. A row visit costs ~27 ns beyond its
/// synapses (the row pointer and the row's first lines come from memory; measured:
/// Brunel N = 4·10⁵, K = 5,000, 208 vs 17 partitions); at 128 synapses that is under a
/// quarter of the row's own cost.
pub const MIN_ROW_PIECE: f64 = 128.0;

/// The automatic layout never caps below this many partitions (so every network of up
/// to 65,536 neurons keeps `ceil(N / 2048)`, and 16 threads still get two each).
pub const MIN_CAPPED_PARTITIONS: u64 = 32;

/// The fewest partitions the cap of a network with procedural projections allows.
pub const MIN_PROCEDURAL_PARTITIONS: u64 = 16;

/// Upper bound on the automatic partition count, or `None`.
///
/// Without a cap the partition count grows with `N / 2048` while every source's row is
/// cut into that many pieces: at N = 4·10⁵, K = 5,000 (208 partitions, 24 synapses per
/// piece) the row visits halved the events per second, and the row pointers
/// (`partitions × N × 4` bytes) grew as `N²`. The cap keeps the mean piece at least
/// [`MIN_ROW_PIECE`] synapses: `partitions ≤ S / (N · MIN_ROW_PIECE)` for `S` stored
/// synapses, so the row pointers take at most `4 · S / MIN_ROW_PIECE` bytes — O(synapses),
/// 1/32 byte per synapse — whatever `N`. Never below [`MIN_CAPPED_PARTITIONS`], and never
/// so few that a partition exceeds 65,536 neurons (u16 target indices).
///
/// Networks with procedural projections are capped harder: a procedural row is
/// regenerated whole in every partition of its target population (each keeps its own
/// targets), so every extra partition of a population costs a full row per spike. With
/// at least [`MIN_PROCEDURAL_PARTITIONS`] populations they get one partition per
/// population ([`layout`]; none above 65,536 neurons), with fewer populations at most
/// that many partitions: the full-scale multi-area model (254 populations) ran at a
/// real-time factor of 7,909 with the 2,032 partitions of `ceil(N / 2048)` and 1,187
/// with 255 (2 threads, 20 ms, same spikes).
pub fn partition_cap(net: &Network) -> Option<u64> {
    let n: u64 = net.populations.iter().map(|p| p.size as u64).sum();
    let by_index = n.div_ceil(1 << 16).div_ceil(16) * 16;
    if has_procedural(net) {
        return Some(MIN_PROCEDURAL_PARTITIONS.max(by_index));
    }
    let stored: f64 = net
        .projections
        .iter()
        .map(|p| memory::projection_synapses(net, p, 0.0))
        .sum();
    let by_rows = (stored / (n.max(1) as f64 * MIN_ROW_PIECE)).floor() as u64 / 16 * 16;
    Some(by_rows.max(MIN_CAPPED_PARTITIONS).max(by_index))
}

/// The layout for given population sizes. With `partition_size = Some(s)`, each
/// population is cut into the fewest chunks of at most `s` neurons, of equal size (±1).
/// With `None` the engine picks the total number of partitions `T`:
/// `ceil(N / 2048)` rounded up to a power of two up to 16, above that to a multiple of
/// 16 — so that 1, 2, 4, 8 and 16 threads get the same number of equal partitions each —
/// and shares `T` among populations in proportion to their sizes (largest remainder,
/// at least one each), chunks of equal size (±1) within a population. (The network's
/// layout, [`layout`], also applies [`partition_cap`].)
pub fn layout_sizes(sizes: &[u32], partition_size: Option<u32>) -> Vec<PartitionSpec> {
    let chunks: Vec<u32> = match partition_size {
        Some(s) => sizes.iter().map(|&n| n.div_ceil(s.max(1)).max(1)).collect(),
        None => auto_chunks(sizes, None),
    };
    layout_chunks(sizes, &chunks)
}

/// Cut each population into its number of chunks of equal size (±1).
fn layout_chunks(sizes: &[u32], chunks: &[u32]) -> Vec<PartitionSpec> {
    let mut out = Vec::new();
    for (p, (&size, &c)) in sizes.iter().zip(chunks).enumerate() {
        if size == 0 {
            continue;
        }
        let c = c.clamp(1, size);
        let (base, extra) = (size / c, size % c);
        let mut off = 0;
        for k in 0..c {
            let n = base + u32::from(k < extra);
            out.push(PartitionSpec {
                pop: p,
                offset: off,
                size: n,
            });
            off += n;
        }
    }
    out
}

fn auto_chunks(sizes: &[u32], cap: Option<u64>) -> Vec<u32> {
    let total: u64 = sizes.iter().map(|&n| n as u64).sum();
    let t0 = total.div_ceil(AUTO_PARTITION_NEURONS as u64).max(1);
    let t = if t0 <= 16 {
        t0.next_power_of_two()
    } else {
        t0.div_ceil(16) * 16
    };
    let t = cap.map_or(t, |c| t.min(c));
    // Largest-remainder apportionment of t among the populations.
    let quota: Vec<f64> = sizes
        .iter()
        .map(|&n| n as f64 * t as f64 / total.max(1) as f64)
        .collect();
    let mut chunks: Vec<u64> = quota.iter().map(|q| q.floor() as u64).collect();
    let assigned: u64 = chunks.iter().sum();
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    // Largest remainder first; ties by population order (deterministic).
    order.sort_by(|&a, &b| {
        let (ra, rb) = (quota[a] - quota[a].floor(), quota[b] - quota[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().take(t.saturating_sub(assigned) as usize) {
        chunks[i] += 1;
    }
    chunks
        .iter()
        .zip(sizes)
        .map(|(&c, &n)| (c.max(1) as u32).min(n.max(1)))
        .collect()
}

/// Delay bounds in steps over all projections: (min, max).
pub fn delay_bounds(net: &Network) -> (u64, u64) {
    let dt = net.simulation.dt;
    let mut lo = u64::MAX;
    let mut hi = 0;
    for pr in &net.projections {
        let (a, b) = pr.delay.bounds();
        lo = lo.min(crate::connect::delay_steps(a, dt).0 as u64);
        hi = hi.max(crate::connect::delay_steps(b, dt).0 as u64);
    }
    if lo == u64::MAX {
        (10, 1)
    } else {
        (lo.max(1), hi.max(1))
    }
}

impl Simulation {
    /// Attach an output file for spikes (streamed while running).
    pub fn set_sink(&mut self, sink: Box<dyn SpikeSink>) {
        self.recording.sink = Some(sink);
    }

    /// Simulate `steps` more steps. `progress(t)` is called after every slice.
    ///
    /// The whole loop runs inside the thread pool: each slice's parallel region is then
    /// forked from a worker, whose idle colleagues are still spinning — no sleeping
    /// thread to wake through the kernel per slice. Driving the pool from outside cost
    /// 15–30 µs per slice (futex wake-ups; measured with 1 and 2 threads), i.e. 0.15–0.3 s
    /// per biological second for networks exchanging spikes every 0.1 ms.
    pub fn run_for(
        &mut self,
        steps: u64,
        mut progress: impl FnMut(u64) + Send,
    ) -> Result<(), SimError> {
        let pool = std::sync::Arc::clone(&self.pool);
        pool.install(|| self.run_slices(steps, &mut progress, None))
            .map(|_| ())
    }

    /// [`run_for`](Self::run_for) that also stops at the first slice boundary after `stop`
    /// is set (a signal handler sets it): every population has then been simulated, and
    /// its spikes recorded, to the same step `self.t`. Returns `true` if it stopped early.
    pub fn run_for_until(
        &mut self,
        steps: u64,
        mut progress: impl FnMut(u64) + Send,
        stop: &AtomicBool,
    ) -> Result<bool, SimError> {
        let pool = std::sync::Arc::clone(&self.pool);
        pool.install(|| self.run_slices(steps, &mut progress, Some(stop)))
    }

    fn run_slices(
        &mut self,
        steps: u64,
        progress: &mut impl FnMut(u64),
        stop: Option<&AtomicBool>,
    ) -> Result<bool, SimError> {
        let end = self.t + steps;
        // Reserve recorder memory for this run outside the loop.
        for p in &mut self.parts {
            for vm in &mut p.analog {
                let samples = (end / vm.interval - self.t / vm.interval) as usize;
                // The memory check has bounded this already; a failure here is reported, not an abort.
                if samples
                    .checked_mul(vm.n)
                    .is_none_or(|x| vm.data.try_reserve(x).is_err())
                {
                    return Err(SimError::Output(format!(
                        "cannot reserve {samples} {} samples of {} neurons",
                        vm.var.name(),
                        vm.n
                    )));
                }
            }
        }
        self.recording.reserve_until(end);
        let m = self.min_delay;
        let distributed = self.exchange.is_distributed();
        while self.t < end {
            if distributed {
                if self.agreed_stop {
                    return Ok(true);
                }
            } else if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
                return Ok(true);
            }
            let len = m.min(end - self.t) as usize;
            let (t0, prev_t0) = (self.t, self.prev_t0);
            let prev = &self.prev_spikes;
            let cur = &mut self.bufs_cur;
            let parts = &mut self.parts;
            let bad = &mut self.bad;
            parts
                .par_iter_mut()
                .zip(cur.par_iter_mut())
                .zip(bad.par_iter_mut())
                .with_max_len(1)
                .for_each(|((p, out), b)| {
                    p.deliver(prev, prev_t0);
                    p.update(t0, len, out);
                    // N1: every state variable finite after each slice (cheap: O(n)).
                    *b = p.state.first_non_finite().map(|(i, _)| (p.index, i));
                });
            if let Some(e) = self.event_memory_failure(t0 + len as u64) {
                if !distributed {
                    return Err(e);
                }
                self.pending_error.get_or_insert(e);
            }
            if distributed {
                self.slice_distributed(t0, len, stop)?;
                progress(self.t);
                continue;
            }
            // The lowest partition's error wins, whatever the threads.
            if let Some((pi, i)) = self.bad.iter().flatten().next().copied() {
                let p = &self.parts[pi];
                return Err(SimError::NumericalInstability {
                    population: self.net.populations[p.pop].name.clone(),
                    neuron: p.pop_offset + i as u32,
                    step: self.t + len as u64,
                    time_ms: (self.t + len as u64) as f64 * self.net.simulation.dt,
                    var: p.state.first_non_finite().map(|x| x.1).unwrap_or("V_m"),
                });
            }
            self.recording
                .record_slice(&self.bufs_cur, t0, self.net.simulation.dt)
                .map_err(SimError::Output)?;
            self.exchange
                .exchange(&self.local_ids, &self.bufs_cur, &mut self.prev_spikes);
            self.prev_t0 = t0;
            self.t += len as u64;
            progress(self.t);
        }
        if let Some(e) = self.pending_error.take() {
            return Err(e);
        }
        Ok(false)
    }

    /// The end of a slice with several processes: exchange the spikes together with
    /// this process's status; stop, fail or report a non-finite state only as all
    /// processes agree (the lowest partition's, as with one process); record the slice
    /// from the merged list, which holds every process's spikes in (step, gid) order.
    fn slice_distributed(
        &mut self,
        t0: u64,
        len: usize,
        stop: Option<&AtomicBool>,
    ) -> Result<(), SimError> {
        let bad = self.bad.iter().zip(&self.parts).find_map(|(b, p)| {
            b.map(|(_, i)| {
                let var = p.state.first_non_finite().map_or("V_m", |x| x.1);
                (p.index, i as u32, exchange::state_var_index(var))
            })
        });
        let status = exchange::SliceStatus {
            stop: stop.is_some_and(|s| s.load(Ordering::Relaxed)),
            failed: self.pending_error.is_some(),
            bad,
        };
        let agreed = self.exchange.exchange_status(
            &self.local_ids,
            &self.bufs_cur,
            status,
            &mut self.prev_spikes,
        );
        if let Some((pi, i, var)) = agreed.bad {
            let spec = layout(&self.net)[pi];
            return Err(SimError::NumericalInstability {
                population: self.net.populations[spec.pop].name.clone(),
                neuron: spec.offset + i,
                step: self.t + len as u64,
                time_ms: (self.t + len as u64) as f64 * self.net.simulation.dt,
                var: exchange::STATE_VARS[var as usize % exchange::STATE_VARS.len()],
            });
        }
        if agreed.failed {
            return Err(self.pending_error.take().unwrap_or_else(|| {
                SimError::Output("another process failed (its message is above)".into())
            }));
        }
        if let Err(e) = self
            .recording
            .record_merged(&self.prev_spikes, t0, self.net.simulation.dt)
        {
            self.pending_error = Some(SimError::Output(e));
        }
        self.agreed_stop = agreed.stop;
        self.prev_t0 = t0;
        self.t += len as u64;
        Ok(())
    }

    /// The error of the lowest partition whose event lists could not grow (events were
    /// lost: the run cannot go on).
    fn event_memory_failure(&self, step: u64) -> Option<SimError> {
        let p = self
            .parts
            .iter()
            .find(|p| p.queue.as_ref().is_some_and(|q| q.failed))?;
        Some(SimError::EventMemory {
            population: self.net.populations[p.pop].name.clone(),
            step,
            left: p.queue.as_ref().map_or(0, |q| q.budget_left()),
        })
    }

    /// Traffic of the spike exchange (zero with one process).
    pub fn exchange_stats(&self) -> exchange::ExchangeStats {
        self.exchange.stats()
    }

    /// Run to the network's `t_stop`.
    pub fn run(&mut self) -> Result<(), SimError> {
        let steps = self.net.simulation.steps.saturating_sub(self.t);
        self.run_for(steps, |_| {})
    }

    /// Membrane potentials (absolute, mV) of all neurons, in gid order.
    pub fn v_m(&self) -> Vec<f64> {
        self.parts
            .iter()
            .flat_map(|p| p.state.v.iter().map(move |v| v + p.kernel.e_l()))
            .collect()
    }

    /// Deliver the spikes of the last slice into the ring buffers now (they are
    /// otherwise delivered at the start of the next slice; the result is the same).
    pub fn deliver_pending(&mut self) {
        let prev = &mut self.prev_spikes;
        let prev_t0 = self.prev_t0;
        let parts = &mut self.parts;
        self.pool
            .install(|| parts.par_iter_mut().for_each(|p| p.deliver(prev, prev_t0)));
        prev.clear();
    }

    /// Sampled membrane potentials of a population (`None` without a recorder on it).
    pub fn vm_samples(&self, pop: usize) -> Option<VmSeries> {
        self.analog_samples(Analog::VM, pop)
    }

    /// Samples of `var` of a population (`None` without a recorder of it on the population).
    pub fn analog_samples(&self, var: Analog, pop: usize) -> Option<VmSeries> {
        let rec = self
            .net
            .recorders
            .analog(var)
            .iter()
            .find(|r| r.population == pop)?;
        let parts: Vec<&partition::VmBuf> = self
            .parts
            .iter()
            .filter(|p| p.pop == pop)
            .filter_map(|p| p.analog_buf(var))
            .collect();
        let first = *parts.first()?;
        let samples = first.data.len() / first.n.max(1);
        let dt = self.net.simulation.dt;
        let times = (0..samples)
            .map(|s| ((s as u64 + 1) * first.interval) as f64 * dt)
            .collect();
        let mut rows = Vec::with_capacity(samples);
        for s in 0..samples {
            let mut row = Vec::with_capacity(rec.n as usize);
            for vm in &parts {
                row.extend_from_slice(&vm.data[s * vm.n..(s + 1) * vm.n]);
            }
            rows.push(row);
        }
        Some(VmSeries {
            var,
            name: self.net.populations[pop].name.clone(),
            times,
            rows,
            n: rec.n,
        })
    }
}

#[cfg(test)]
mod ports_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::Block;

    fn counts(lay: &[PartitionSpec], pops: usize) -> Vec<usize> {
        (0..pops)
            .map(|p| lay.iter().filter(|l| l.pop == p).count())
            .collect()
    }

    /// Every neuron in exactly one partition, contiguous, in population order.
    fn check_cover(sizes: &[u32], lay: &[PartitionSpec]) {
        for (p, &n) in sizes.iter().enumerate() {
            let mut off = 0;
            for &PartitionSpec {
                offset: o, size: m, ..
            } in lay.iter().filter(|l| l.pop == p)
            {
                assert_eq!(o, off, "population {p}: gap or overlap");
                assert!(m > 0);
                off += m;
            }
            assert_eq!(off, n, "population {p}: not covered");
        }
    }

    #[test]
    fn auto_layout_counts() {
        // Brunel 12.5k: ceil(12500/2048) = 7 -> 8 partitions, E 6.4 -> 6, I 1.6 -> 2.
        let lay = layout_sizes(&[10000, 2500], None);
        assert_eq!(lay.len(), 8);
        assert_eq!(counts(&lay, 2), vec![6, 2]);
        check_cover(&[10000, 2500], &lay);
        // Brunel 50k: 25 -> 32 partitions (a multiple of 16), 26 + 6.
        let lay = layout_sizes(&[40000, 10000], None);
        assert_eq!(lay.len(), 32);
        assert_eq!(counts(&lay, 2), vec![26, 6]);
        check_cover(&[40000, 10000], &lay);
        // Microcircuit: 38 -> 48.
        let pd = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948];
        let lay = layout_sizes(&pd, None);
        assert_eq!(lay.len(), 48);
        check_cover(&pd, &lay);
        // Equal sizes (±1) within a population; sizes across populations within 2x.
        let (lo, hi) = lay
            .iter()
            .fold((u32::MAX, 0), |(a, b), l| (a.min(l.size), b.max(l.size)));
        assert!(hi <= 2 * lo, "partition sizes {lo}..{hi}");
        // Tiny and empty populations: at least one partition each (none if empty).
        let lay = layout_sizes(&[3, 1, 0, 5000], None);
        assert_eq!(counts(&lay, 4), vec![1, 1, 0, 4]); // 4 partitions for 5004 neurons, plus one each for the tiny ones
        check_cover(&[3, 1, 0, 5000], &lay);
    }

    fn net_text(pops: &[u32], projections: &str) -> Network {
        let mut t = String::from("[simulation]\ndt = 0.1\nt_stop = 10.0\n");
        for (i, n) in pops.iter().enumerate() {
            t += &format!(
                "[[populations]]\nname = \"P{i}\"\nsize = {n}\nmodel = \"iaf_psc_delta\"\n"
            );
        }
        Network::from_toml_str(&(t + projections)).unwrap()
    }

    /// Large stored networks: at most S / (128 N) partitions (rounded down to a multiple
    /// of 16, at least 32); networks of up to 65,536 neurons keep ceil(N / 2048).
    #[test]
    fn layout_cap_keeps_row_pieces_long() {
        let brunel = |n: u32, k: u32| {
            let prj = format!(
                "[[projections]]\nsource = \"P0\"\ntarget = \"P0\"\nrule = \"fixed_indegree\"\nindegree = {k}\nweight = 0.1\ndelay = 1.5\n"
            );
            net_text(&[n], &prj)
        };
        // 4·10⁵ neurons, K = 5,000: 196 -> 208 uncapped; S/(128 N) = 39 -> 32.
        let net = brunel(400_000, 5000);
        assert_eq!(layout_sizes(&[400_000], None).len(), 208);
        assert_eq!(partition_cap(&net), Some(32));
        let lay = layout(&net);
        assert_eq!(lay.len(), 32);
        check_cover(&[400_000], &lay);
        // K = 20,000 allows 156 -> 144 partitions; 50,000 neurons stay at 32 (uncapped).
        assert_eq!(partition_cap(&brunel(400_000, 20_000)), Some(144));
        assert_eq!(layout(&brunel(400_000, 20_000)).len(), 144);
        assert_eq!(layout(&brunel(50_000, 5000)).len(), 32);
        // Sparse and huge: never partitions above 65,536 neurons (u16 targets).
        let lay = layout(&brunel(4_000_000, 10));
        assert!(lay.iter().all(|l| l.size <= 1 << 16), "{}", lay.len());
        // An explicit partition_size wins.
        let mut net = brunel(400_000, 5000);
        net.simulation.partition_size = Some(2048);
        assert_eq!(layout(&net).len(), 196);
    }

    /// Procedural networks: one partition per population from 16 populations on (a row
    /// is regenerated in every partition of its target population), at most 16 below.
    #[test]
    fn procedural_layout_one_partition_per_population() {
        let prj = "[[projections]]\nsource = \"P0\"\ntarget = \"P1\"\nrule = \"fixed_total_number\"\nn = 1000\nstorage = \"procedural\"\nweight = 0.1\ndelay = 1.5\n";
        let mut sizes = vec![20_000u32; 20];
        sizes[3] = 70_000;
        let lay = layout(&net_text(&sizes, prj));
        assert_eq!(
            counts(&lay, 20)[3],
            2,
            "70,000 neurons: two partitions (u16 bound)"
        );
        assert_eq!(lay.len(), 21);
        check_cover(&sizes, &lay);
        let lay = layout(&net_text(&[300_000, 60_000], prj));
        assert_eq!(lay.len(), 16);
        check_cover(&[300_000, 60_000], &lay);
    }

    /// The builder's blocks (made with `Block::new_unchecked`) pass `Block::new`'s
    /// checks: constant and per-synapse weights and delays (u8 and u16), two channels,
    /// uneven partitions. (In debug builds `new_unchecked` asserts the same.)
    #[test]
    fn built_blocks_satisfy_the_block_invariants() {
        let net = Network::from_toml_str(
            r#"
[simulation]
dt = 0.1
t_stop = 20.0
partition_size = 70

[[populations]]
name = "E"
size = 300
model = "iaf_psc_exp"

[[populations]]
name = "I"
size = 101
model = "iaf_psc_exp"

[[projections]]
source = "E"
target = "E"
rule = "pairwise_bernoulli"
p = 0.1
weight = { distribution = "normal", mean = 87.8, std = 40.0 }
delay = { distribution = "uniform", low = 0.5, high = 3.0 }

[[projections]]
source = "E"
target = "I"
rule = "fixed_indegree"
indegree = 30
weight = 87.8
delay = { distribution = "uniform", low = 0.5, high = 30.0 }

[[projections]]
source = "I"
target = "E"
rule = "fixed_indegree"
indegree = 20
weight = -350.0
delay = 0.8

[[stimuli]]
kind = "poisson"
target = "E"
rate = 8.0
indegree = 2000
weight = 87.8
"#,
        )
        .unwrap();
        let mut hashes = Vec::new();
        // With event lists, and without (every event added to the ring directly).
        for queue_capacity in [None, Some(0)] {
            let opts = BuildOptions {
                threads: 1,
                queue_capacity,
                ..Default::default()
            };
            let mut sim = Simulation::build(&net, &opts).unwrap();
            let mut kinds = std::collections::BTreeSet::new();
            for p in &sim.parts {
                for b in &p.blocks {
                    assert_eq!(b.n_post(), p.n);
                    kinds.insert(format!(
                        "{:?} {:?}",
                        b.weights().is_some(),
                        std::mem::discriminant(b.delays())
                    ));
                    Block::new(b.to_parts()).unwrap();
                }
            }
            assert_eq!(kinds.len(), 3, "{kinds:?}");
            sim.run().unwrap();
            assert!(sim.recording.pop_spikes.iter().sum::<u64>() > 0);
            hashes.push(sim.state_hash());
        }
        assert_eq!(hashes[0], hashes[1]);
    }

    #[test]
    fn explicit_partition_size() {
        let lay = layout_sizes(&[10000, 2500], Some(4096));
        assert_eq!(counts(&lay, 2), vec![3, 1]);
        assert!(lay.iter().all(|l| l.size <= 4096));
        check_cover(&[10000, 2500], &lay);
        let lay = layout_sizes(&[7, 300], Some(1));
        assert_eq!(lay.len(), 307);
        check_cover(&[7, 300], &lay);
    }
}
