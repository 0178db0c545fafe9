//! The exchange seam: the one place where the spikes of a slice, produced by the
//! partitions, become the list every partition delivers from.
//!
//! ```text
//!  partitions (this process)            Exchange                 delivery (every partition)
//!  update → SpikeBuf per partition ──► exchange(ids, bufs, out) ──► SliceSpikes, (step, gid) order
//! ```
//!
//! Partitions are named by their index in the network's layout ([`crate::layout`]),
//! which depends only on the network — never on how many processes share the work.
//!
//! **Several processes** ([`Distributed`], over any [`Comm`]: MPI in the binary's `mpi`
//! feature, [`ThreadComm`] in tests). Process `r` of `R` owns a contiguous block of
//! partitions ([`rank_blocks`], balanced by expected synapses; the rule depends only on
//! the network and `R`). Once per slice every process sends one fixed-size header (its
//! status and its spike count per step) and then its spikes as global ids, step-major
//! (payloads after them, two words each): two all-gathers. Every process then merges the
//! messages by (step, rank) — ranks own ascending partitions, and within a message spikes
//! are in partition order — so the merged list is exactly the (step, gid) list
//! [`SingleProcess`] makes: delivery, and the results, do not change with `R`. The header
//! also carries what the processes must agree on at the same slice: a stop request (a
//! signal), a failure (an output error on the writing process) and the first non-finite
//! state variable (lowest partition, then neuron — the single-process rule).

use crate::partition::{SliceSpikes, SourceSpike, SpikeBuf};
use crate::{BuildError, PartitionSpec, layout, memory};
use cortexsim_spec::Network;
use std::ops::Range;
use std::sync::{Arc, Barrier, Mutex};
use std::time::Instant;

/// Turns the spikes of one slice, produced by this process's partitions, into the
/// slice's spike list of all partitions (in (step, gid) order, with payloads where a
/// model has them).
pub trait Exchange: Send {
    /// `local[k]` holds the spikes of partition `ids[k]` (ids ascending; indices into the
    /// network's layout). Every `SpikeBuf` covers the same steps. `out` is overwritten.
    fn exchange(&mut self, ids: &[usize], local: &[SpikeBuf], out: &mut SliceSpikes);

    /// [`exchange`](Self::exchange), telling the other processes this one's `status`;
    /// returns the status combined over all processes ([`SliceStatus::combine`]). One
    /// process: `status` itself.
    fn exchange_status(
        &mut self,
        ids: &[usize],
        local: &[SpikeBuf],
        status: SliceStatus,
        out: &mut SliceSpikes,
    ) -> SliceStatus {
        self.exchange(ids, local, out);
        status
    }

    /// Whether other processes take part (then the step loop records from the merged
    /// list and stops or fails only on the combined status).
    fn is_distributed(&self) -> bool {
        false
    }

    /// What went over the wire so far (zero for one process).
    fn stats(&self) -> ExchangeStats {
        ExchangeStats::default()
    }
}

/// What one process tells the others at the end of a slice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SliceStatus {
    /// A stop was requested (a signal): every process stops after this slice.
    pub stop: bool,
    /// This process failed (e.g. writing the output): every process stops.
    pub failed: bool,
    /// The first non-finite state variable: (partition, neuron within it, variable
    /// index in [`STATE_VARS`]).
    pub bad: Option<(usize, u32, u8)>,
}

impl SliceStatus {
    /// Stop and failure if any process has them; the bad state of the lowest partition,
    /// then neuron (what one process reports).
    pub fn combine(self, other: SliceStatus) -> SliceStatus {
        SliceStatus {
            stop: self.stop || other.stop,
            failed: self.failed || other.failed,
            bad: match (self.bad, other.bad) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }
}

/// The state variables a non-finite value is reported by (`neuron::State::first_non_finite`).
pub const STATE_VARS: [&str; 6] = ["V_m", "I_syn_ex", "I_syn_in", "dI_ex", "dI_in", "trace"];

/// Index of a state variable's name in [`STATE_VARS`] (0, `V_m`, if unknown).
pub fn state_var_index(name: &str) -> u8 {
    STATE_VARS.iter().position(|&v| v == name).unwrap_or(0) as u8
}

/// Traffic of a multi-process exchange.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ExchangeStats {
    /// Slices exchanged.
    pub slices: u64,
    /// Bytes this process contributed (headers and spikes).
    pub bytes_sent: u64,
    /// Bytes every process received per slice, summed over slices (all processes'
    /// contributions, its own included: an all-gather).
    pub bytes_received: u64,
    /// Collective operations (one or two per slice: the data is skipped when no process
    /// has a spike).
    pub collectives: u64,
    /// Wall time spent in the exchange (waiting for the slowest process included), s.
    pub seconds: f64,
}

/// One process holds every partition: the exchange is a concatenation
/// ([`SliceSpikes::fill`]).
#[derive(Debug, Clone, Copy)]
pub struct SingleProcess {
    /// Partitions in the layout (all of them local).
    pub partitions: usize,
}

impl Exchange for SingleProcess {
    fn exchange(&mut self, ids: &[usize], local: &[SpikeBuf], out: &mut SliceSpikes) {
        debug_assert_eq!(local.len(), self.partitions);
        debug_assert!(ids.iter().copied().eq(0..self.partitions));
        out.fill(local);
    }
}

/// The collective operations a multi-process run needs. Every process calls each
/// operation in the same order (the engine's step loop and build do). Implemented over
/// MPI by the binary (`mpi` feature) and by [`ThreadComm`] (processes as threads, tests).
pub trait Comm: std::fmt::Debug + Send + Sync {
    /// This process's index, `0..size`.
    fn rank(&self) -> usize;
    /// Number of processes.
    fn size(&self) -> usize;
    /// Every process's `send` (all of the same length) in rank order: `recv` holds
    /// `size × send.len()` words.
    fn all_gather(&self, send: &[u32], recv: &mut [u32]);
    /// Every process's `send` in rank order; process `r` sends `counts[r]` words (known
    /// to every process); `recv` holds their sum.
    fn all_gather_v(&self, send: &[u32], counts: &[usize], recv: &mut [u32]);
    /// Element-wise sum over the processes, in place.
    fn sum(&self, x: &mut [u64]);
    /// Element-wise maximum over the processes, in place.
    fn max(&self, x: &mut [u64]);
    /// Every process's `send` on process 0, in rank order (`None` on the others).
    fn gather_f64(&self, send: &[f64]) -> Option<Vec<Vec<f64>>>;
}

/// Every process's value of `x`, indexed by rank (one `sum`).
pub fn all_values(comm: &dyn Comm, x: u64) -> Vec<u64> {
    let mut v = vec![0u64; comm.size()];
    v[comm.rank()] = x;
    comm.sum(&mut v);
    v
}

/// The partitions each of `ranks` processes owns: contiguous blocks of the layout,
/// balanced by [`partition_costs`] (the block boundary nearest to each `k / ranks` of
/// the total). Depends only on the network and `ranks`; a process may own none (more
/// processes than partitions).
pub fn rank_blocks(net: &Network, ranks: usize) -> Vec<Range<usize>> {
    balanced_blocks(&partition_costs(net, &layout(net)), ranks)
}

/// Expected cost of each partition: its neurons times (1 + expected synapses onto each
/// of them) — the synapses dominate memory and delivery time.
pub fn partition_costs(net: &Network, lay: &[PartitionSpec]) -> Vec<f64> {
    let mut indegree = vec![0.0; net.populations.len()];
    for pr in &net.projections {
        let nt = net.populations[pr.target].size.max(1) as f64;
        indegree[pr.target] += memory::projection_synapses(net, pr, 0.0) / nt;
    }
    lay.iter()
        .map(|l| l.size as f64 * (1.0 + indegree[l.pop]))
        .collect()
}

/// Contiguous blocks of `cost` for `ranks` processes (module docs).
pub fn balanced_blocks(cost: &[f64], ranks: usize) -> Vec<Range<usize>> {
    let ranks = ranks.max(1);
    let n = cost.len();
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0);
    for c in cost {
        prefix.push(prefix[prefix.len() - 1] + c);
    }
    let total = prefix[n];
    let mut bounds = vec![0usize];
    for k in 1..ranks {
        let target = total * k as f64 / ranks as f64;
        let mut b = bounds[bounds.len() - 1];
        while b < n && prefix[b + 1] <= target {
            b += 1;
        }
        if b < n && prefix[b + 1] - target < target - prefix[b] {
            b += 1;
        }
        bounds.push(b);
    }
    bounds.push(n);
    bounds.windows(2).map(|w| w[0]..w[1]).collect()
}

/// Words of the per-slice header before the step counts: flags (stop, failed), bad
/// partition + 1, bad neuron, bad variable, slice length.
const HEAD: usize = 5;

/// The exchange of one of several processes (module docs).
pub struct Distributed {
    comm: Arc<dyn Comm>,
    /// First gid of each population, and the total (to decode gids).
    offsets: Vec<u32>,
    with_payload: bool,
    /// This process's message (header, then spikes).
    send: Vec<u32>,
    /// Every process's header.
    heads: Vec<u32>,
    /// Every process's spikes.
    recv: Vec<u32>,
    /// Words per process in `recv`.
    counts: Vec<usize>,
    /// Per process while merging: where its next spike id and payload are in `recv`.
    cursor: Vec<(usize, usize)>,
    stats: ExchangeStats,
}

impl std::fmt::Debug for Distributed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Distributed")
            .field("comm", &self.comm)
            .field("stats", &self.stats)
            .finish()
    }
}

impl Distributed {
    /// The exchange of this process, its buffers sized for every neuron spiking at every
    /// step of a slice of `steps` steps (`local_neurons` of its own).
    pub fn new(
        comm: Arc<dyn Comm>,
        net: &Network,
        local_neurons: usize,
        steps: usize,
    ) -> Result<Distributed, BuildError> {
        let with_payload = net.populations.iter().any(|p| p.model.has_payload());
        let per_spike = if with_payload { 3 } else { 1 };
        let size = comm.size();
        let head = HEAD + steps;
        let total = net.n_neurons() as usize;
        let oom = |what: &str, words: usize| BuildError::OutOfMemory {
            needed: words as u64 * 4,
            available: memory::available_bytes(),
            detail: format!("spike exchange {what}"),
        };
        let send_words = head + local_neurons * steps * per_spike;
        let recv_words = total * steps * per_spike;
        // MPI counts are 32-bit signed integers.
        if send_words > i32::MAX as usize || recv_words > i32::MAX as usize {
            return Err(BuildError::Invalid(format!(
                "the spike exchange of one slice could reach {recv_words} words, more than one MPI message holds (2^31); lower the number of neurons or the minimum delay"
            )));
        }
        let mut send = Vec::new();
        send.try_reserve_exact(send_words)
            .map_err(|_| oom("send buffer", send_words))?;
        let mut recv = Vec::new();
        recv.try_reserve_exact(recv_words)
            .map_err(|_| oom("receive buffer", recv_words))?;
        Ok(Distributed {
            comm,
            offsets: net.offsets(),
            with_payload,
            send,
            heads: vec![0; size * head],
            recv,
            counts: vec![0; size],
            cursor: vec![(0, 0); size],
            stats: ExchangeStats::default(),
        })
    }

    /// Bytes of one slice's header per process (for the estimates on paper).
    pub fn header_bytes(steps: usize) -> usize {
        (HEAD + steps) * 4
    }
}

impl Exchange for Distributed {
    fn exchange(&mut self, ids: &[usize], local: &[SpikeBuf], out: &mut SliceSpikes) {
        self.exchange_status(ids, local, SliceStatus::default(), out);
    }

    fn exchange_status(
        &mut self,
        _ids: &[usize],
        local: &[SpikeBuf],
        status: SliceStatus,
        out: &mut SliceSpikes,
    ) -> SliceStatus {
        let t = Instant::now();
        let size = self.comm.size();
        let head = self.heads.len() / size;
        // Every process runs the same slices; one without partitions learns the
        // slice's length from the others' headers.
        let len = local.first().map_or(0, |b| b.len);
        // Header: status, slice length, spike count per step.
        self.send.clear();
        let flags = u32::from(status.stop) | (u32::from(status.failed) << 1);
        let (bp, bn, bv) = status
            .bad
            .map_or((0, 0, 0), |(p, n, v)| (p as u32 + 1, n, v as u32));
        self.send.extend([flags, bp, bn, bv, len as u32]);
        self.send.resize(head, 0);
        for o in 0..len {
            self.send[HEAD + o] = local
                .iter()
                .map(|b| b.step_end[o + 1] - b.step_end[o])
                .sum();
        }
        self.comm.all_gather(&self.send[..head], &mut self.heads);
        let mut combined = SliceStatus::default();
        let mut len = 0usize;
        for h in self.heads.chunks_exact(head) {
            len = len.max(h[4] as usize);
            combined = combined.combine(SliceStatus {
                stop: h[0] & 1 != 0,
                failed: h[0] & 2 != 0,
                bad: (h[1] > 0).then(|| ((h[1] - 1) as usize, h[2], h[3] as u8)),
            });
        }
        let per_spike = if self.with_payload { 3 } else { 1 };
        let mut displ = 0;
        for (r, h) in self.heads.chunks_exact(head).enumerate() {
            let n: usize = h[HEAD..HEAD + len].iter().map(|&c| c as usize).sum();
            self.counts[r] = n * per_spike;
            // Rank r's spikes start at `displ`, its payloads after them.
            self.cursor[r] = (displ, displ + n);
            displ += n * per_spike;
        }
        // Spikes: global ids, step-major in partition order; then the payloads.
        self.send.clear();
        for o in 0..len {
            for b in local {
                let first = self.offsets[b.pop] + b.pop_offset;
                let (x, e) = (b.step_end[o] as usize, b.step_end[o + 1] as usize);
                self.send.extend(b.local[x..e].iter().map(|&l| first + l));
            }
        }
        if self.with_payload {
            for o in 0..len {
                for b in local {
                    let (x, e) = (b.step_end[o] as usize, b.step_end[o + 1] as usize);
                    for k in x..e {
                        let v = if b.payload.len() == b.local.len() {
                            b.payload[k]
                        } else {
                            1.0
                        };
                        let bits = v.to_bits();
                        self.send.extend([bits as u32, (bits >> 32) as u32]);
                    }
                }
            }
        }
        let total = displ;
        self.stats.collectives += 1;
        self.stats.bytes_sent += ((head + self.send.len()) * 4) as u64;
        self.stats.bytes_received += ((size * head + total) * 4) as u64;
        // Within the capacity reserved at build time (every neuron at every step).
        self.recv.clear();
        self.recv.resize(total, 0);
        if total > 0 {
            self.comm
                .all_gather_v(&self.send, &self.counts, &mut self.recv);
            self.stats.collectives += 1;
        }
        // Merge by (step, rank): the single-process (step, gid) order.
        out.begin(len);
        let mut pop = 0usize;
        for o in 0..len {
            for r in 0..size {
                let here = self.heads[r * head + HEAD + o] as usize;
                let (ids, pays) = self.cursor[r];
                for k in 0..here {
                    let gid = self.recv[ids + k];
                    if gid < self.offsets[pop] || gid >= self.offsets[pop + 1] {
                        pop = self.offsets.partition_point(|&x| x <= gid) - 1;
                    }
                    let payload = if self.with_payload {
                        let i = pays + 2 * k;
                        f64::from_bits(self.recv[i] as u64 | ((self.recv[i + 1] as u64) << 32))
                    } else {
                        1.0
                    };
                    out.push(
                        SourceSpike {
                            pop: pop as u32,
                            node: gid - self.offsets[pop],
                        },
                        payload,
                    );
                }
                self.cursor[r] = (ids + here, pays + 2 * here);
            }
            out.end_step();
        }
        self.stats.slices += 1;
        self.stats.seconds += t.elapsed().as_secs_f64();
        combined
    }

    fn is_distributed(&self) -> bool {
        true
    }

    fn stats(&self) -> ExchangeStats {
        self.stats
    }
}

/// Processes as threads of one process, for tests: each of [`ThreadComm::group`]'s
/// members is driven by its own thread; every operation meets at a barrier.
#[derive(Debug, Clone)]
pub struct ThreadComm {
    rank: usize,
    size: usize,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    barrier: Barrier,
    slots: Mutex<Vec<Vec<u64>>>,
}

impl ThreadComm {
    /// `size` members, ranks `0..size`.
    pub fn group(size: usize) -> Vec<ThreadComm> {
        let shared = Arc::new(Shared {
            barrier: Barrier::new(size),
            slots: Mutex::new(vec![Vec::new(); size]),
        });
        (0..size)
            .map(|rank| ThreadComm {
                rank,
                size,
                shared: Arc::clone(&shared),
            })
            .collect()
    }

    /// Every member's `mine`, in rank order.
    fn round(&self, mine: Vec<u64>) -> Vec<Vec<u64>> {
        let lock = || self.shared.slots.lock().unwrap_or_else(|e| e.into_inner());
        lock()[self.rank] = mine;
        self.shared.barrier.wait();
        let all = lock().clone();
        self.shared.barrier.wait();
        all
    }
}

impl Comm for ThreadComm {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn all_gather(&self, send: &[u32], recv: &mut [u32]) {
        self.all_gather_v(send, &vec![send.len(); self.size], recv);
    }
    fn all_gather_v(&self, send: &[u32], counts: &[usize], recv: &mut [u32]) {
        let all = self.round(send.iter().map(|&x| x as u64).collect());
        let mut k = 0;
        for (r, words) in all.iter().enumerate() {
            assert_eq!(words.len(), counts[r], "rank {r}: count");
            for &w in words {
                recv[k] = w as u32;
                k += 1;
            }
        }
        assert_eq!(k, recv.len());
    }
    fn sum(&self, x: &mut [u64]) {
        let all = self.round(x.to_vec());
        for (i, v) in x.iter_mut().enumerate() {
            *v = all.iter().map(|a| a[i]).sum();
        }
    }
    fn max(&self, x: &mut [u64]) {
        let all = self.round(x.to_vec());
        for (i, v) in x.iter_mut().enumerate() {
            *v = all.iter().map(|a| a[i]).max().unwrap_or(0);
        }
    }
    fn gather_f64(&self, send: &[f64]) -> Option<Vec<Vec<f64>>> {
        let all = self.round(send.iter().map(|x| x.to_bits()).collect());
        (self.rank == 0).then(|| {
            all.into_iter()
                .map(|v| v.into_iter().map(f64::from_bits).collect())
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Partitions' spike buffers of one slice: population, first neuron, size; spikes
    /// drawn from a fixed pattern, payloads distinct.
    fn bufs(steps: usize) -> Vec<SpikeBuf> {
        let parts = [(0usize, 0u32, 3u32), (0, 3, 2), (1, 0, 4), (1, 4, 3)];
        parts
            .iter()
            .enumerate()
            .map(|(k, &(pop, off, n))| {
                let mut b = SpikeBuf {
                    pop,
                    pop_offset: off,
                    local: Vec::new(),
                    payload: Vec::new(),
                    step_end: vec![0],
                    len: steps,
                };
                for o in 0..steps {
                    for l in 0..n {
                        if (k * 7 + o * 3 + l as usize) % 3 != 1 {
                            b.local.push(l);
                            b.payload.push((k * 100 + o * 10) as f64 + l as f64 * 0.5);
                        }
                    }
                    b.step_end.push(b.local.len() as u32);
                }
                b
            })
            .collect()
    }

    fn distributed(comm: ThreadComm, steps: usize, with_payload: bool) -> Distributed {
        let size = comm.size();
        Distributed {
            comm: Arc::new(comm),
            offsets: vec![0, 5, 12],
            with_payload,
            send: Vec::new(),
            heads: vec![0; size * (HEAD + steps)],
            recv: Vec::new(),
            counts: vec![0; size],
            cursor: vec![(0, 0); size],
            stats: ExchangeStats::default(),
        }
    }

    /// The merged list of several processes is the single process's concatenation, in
    /// (step, gid) order, payloads included, for any split of the partitions — a
    /// process without partitions included — and statuses combine to the lowest bad
    /// partition.
    #[test]
    #[allow(clippy::single_range_in_vec_init)] // one process owning every partition
    fn merge_order_equals_single_process() {
        let steps = 3;
        let all = bufs(steps);
        for with_payload in [false, true] {
            let mut single = if with_payload {
                SliceSpikes::with_payload(100, steps).unwrap()
            } else {
                SliceSpikes::with_capacity(100, steps).unwrap()
            };
            single.fill(&all);
            for blocks in [
                vec![0..4],
                vec![0..1, 1..3, 3..4],
                vec![0..2, 2..2, 2..4, 4..4],
            ] {
                let comms = ThreadComm::group(blocks.len());
                let outs: Vec<(SliceSpikes, SliceStatus)> = std::thread::scope(|s| {
                    let hs: Vec<_> = comms
                        .into_iter()
                        .zip(&blocks)
                        .map(|(c, b)| {
                            let local = &all[b.clone()];
                            let ids: Vec<usize> = b.clone().collect();
                            let rank = c.rank();
                            s.spawn(move || {
                                let mut ex = distributed(c, steps, with_payload);
                                let mut out = if with_payload {
                                    SliceSpikes::with_payload(100, steps).unwrap()
                                } else {
                                    SliceSpikes::with_capacity(100, steps).unwrap()
                                };
                                let status = SliceStatus {
                                    stop: rank == 1,
                                    failed: false,
                                    bad: (rank > 0).then_some((9 - rank, rank as u32, 1)),
                                };
                                let st = ex.exchange_status(&ids, local, status, &mut out);
                                (out, st)
                            })
                        })
                        .collect();
                    hs.into_iter().map(|h| h.join().unwrap()).collect()
                });
                let r = blocks.len();
                for (out, st) in outs {
                    assert_eq!(out.steps(), steps);
                    assert_eq!(out.spikes(), single.spikes(), "{blocks:?}");
                    assert_eq!(out.payloads(), single.payloads(), "{blocks:?}");
                    for o in 0..steps {
                        assert_eq!(out.step_end(o), single.step_end(o));
                    }
                    assert_eq!(st.stop, r > 1);
                    assert_eq!(st.bad, (r > 1).then_some((9 - (r - 1), (r - 1) as u32, 1)));
                }
            }
        }
    }

    #[test]
    fn balanced_blocks_are_contiguous_and_balanced() {
        assert_eq!(balanced_blocks(&[1.0; 8], 3), vec![0..3, 3..5, 5..8]);
        assert_eq!(balanced_blocks(&[1.0; 8], 1), vec![0..8]);
        assert_eq!(balanced_blocks(&[1.0, 1.0], 4).len(), 4);
        // One heavy partition gets a process of its own.
        assert_eq!(
            balanced_blocks(&[1.0, 1.0, 10.0, 1.0, 1.0], 3),
            vec![0..2, 2..3, 3..5]
        );
    }
}
