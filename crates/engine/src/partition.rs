//! One partition: a contiguous block of neurons of one population, with everything
//! the step loop touches for them — state, the incoming synapses (target-owned,
//! source-major CSR per projection), the delay ring buffer, the random streams of its
//! neurons and its inputs. A partition is updated by one thread at a time and writes
//! only its own memory.
//!
//! ```text
//!  Block (one projection, this partition's targets), source-major CSR:
//!    indptr[s] .. indptr[s+1]  ->  targets[k]  (u32, local to the partition)
//!                                  weights[k]  (f32, only if the weights vary)
//!                                  delays[k]   (u8/u16 steps, only if the delays vary)
//!
//!  Ring buffer: slots × ports × n  (f64), slot = arrival step & (slots-1)
//!    slot 0: [port 0: n values][port 1: n values]...
//!    slot 1: ...
//! ```
//! A spike of source `s` emitted at step `t` adds `w` (times the spike's payload, for
//! models that attach one) to `ring[(t+d) & mask][port][target]`; the port is the
//! block's [`Route`]: the projection's `receptor`, or chosen by the weight's sign.
//! The neuron update of step `t` reads slot `t & mask` and zeroes it.

use crate::connect::{RowPlan, Scratch};
use crate::rng::StreamBank;
use crate::stimulus::{
    AcDrive, CurrentSchedule, NoiseCurrentDrive, NoiseDrive, PoissonDrive, SpikeTrainInput,
};
use cortexsim_core::state::{SaveState, get_usize, get_vec, put_slice, put_u64};
use cortexsim_neuron::{Analog, Kernel, Route, State};
use rand_distr::{Distribution, StandardNormal};
use std::sync::Arc;

/// Per-synapse delays, in the narrowest type that holds them.
#[derive(Debug, Clone)]
pub enum Delays {
    Const(u32),
    U8(Vec<u8>),
    U16(Vec<u16>),
}

/// Partition-local target indices, in the narrowest type that holds them: `u16` for
/// partitions of up to 65,536 neurons (every automatic layout), else `u32`.
///
/// No invariant of its own: the bound `target < n_post` that the delivery relies on is
/// checked when the targets become part of a [`Block`] ([`Block::new`]), and a block
/// hands out only `&Targets`.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Targets {
    /// Zeroed targets for `len` synapses onto a partition of `n` neurons.
    pub fn for_partition(n: usize, len: usize) -> Option<Targets> {
        fn zeros<T: Clone + Default>(len: usize) -> Option<Vec<T>> {
            let mut v = Vec::new();
            v.try_reserve_exact(len).ok()?;
            v.resize(len, T::default());
            Some(v)
        }
        Some(if n <= 1 << 16 {
            Targets::U16(zeros(len)?)
        } else {
            Targets::U32(zeros(len)?)
        })
    }

    /// Bytes per target index for a partition of `n` neurons.
    pub fn bytes_for(n: usize) -> usize {
        if n <= 1 << 16 { 2 } else { 4 }
    }

    pub fn len(&self) -> usize {
        match self {
            Targets::U16(v) => v.len(),
            Targets::U32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn bytes(&self) -> usize {
        match self {
            Targets::U16(v) => v.len() * 2,
            Targets::U32(v) => v.len() * 4,
        }
    }

    /// Target of synapse `k` (not for hot loops: those dispatch once per row).
    #[inline]
    pub fn get(&self, k: usize) -> usize {
        match self {
            Targets::U16(v) => v[k] as usize,
            Targets::U32(v) => v[k] as usize,
        }
    }

    #[inline]
    pub fn set(&mut self, k: usize, target: u32) {
        match self {
            Targets::U16(v) => v[k] = target as u16,
            Targets::U32(v) => v[k] = target,
        }
    }
}

/// A target index type.
pub trait Idx: Copy {
    fn idx(self) -> usize;
}

impl Idx for u16 {
    #[inline(always)]
    fn idx(self) -> usize {
        self as usize
    }
}

impl Idx for u32 {
    #[inline(always)]
    fn idx(self) -> usize {
        self as usize
    }
}

/// The parts of a [`Block`], as handed to [`Block::new`].
#[derive(Debug, Clone)]
pub struct BlockParts {
    pub projection: usize,
    pub src_pop: usize,
    /// Neurons of the target partition: every target index must be below it.
    pub n_post: usize,
    /// Source-major row pointers (`n_src + 1` entries).
    pub indptr: Vec<u32>,
    pub targets: Targets,
    /// Per-synapse weights (only when the projection's weights vary).
    pub weights: Option<Vec<f32>>,
    /// The weight when it is constant.
    pub weight: f64,
    /// Input ports of the target model (buffers per neuron in the ring).
    pub ports: usize,
    /// Where the weights go (a constant weight: always one port).
    pub route: Route,
    pub delays: Delays,
}

impl BlockParts {
    /// The invariants listed at [`Block`].
    fn check(&self) -> Result<(), BlockError> {
        let synapses = self.targets.len();
        let (&first, &last) = self
            .indptr
            .first()
            .zip(self.indptr.last())
            .ok_or(BlockError::NoRowPointers)?;
        if first != 0 {
            return Err(BlockError::FirstRowPointer(first));
        }
        if let Some(s) = self.indptr.windows(2).position(|w| w[1] < w[0]) {
            return Err(BlockError::RowPointersDecrease {
                row: s,
                before: self.indptr[s],
                after: self.indptr[s + 1],
            });
        }
        if last as usize != synapses {
            return Err(BlockError::LastRowPointer { last, synapses });
        }
        let length = |what, len| {
            if len == synapses {
                Ok(())
            } else {
                Err(BlockError::Length {
                    what,
                    len,
                    synapses,
                })
            }
        };
        if let Some(w) = &self.weights {
            length("weights", w.len())?;
        }
        match &self.delays {
            Delays::Const(_) => {}
            Delays::U8(d) => length("delays", d.len())?,
            Delays::U16(d) => length("delays", d.len())?,
        }
        let n_post = self.n_post;
        let first_bad = match &self.targets {
            Targets::U16(v) => v.iter().position(|&t| t as usize >= n_post),
            Targets::U32(v) => v.iter().position(|&t| t as usize >= n_post),
        };
        if let Some(k) = first_bad {
            return Err(BlockError::TargetOutOfRange {
                synapse: k,
                target: self.targets.get(k),
                n_post,
            });
        }
        let (pos, neg) = route_pair(self.route);
        if pos.max(neg) >= self.ports {
            return Err(BlockError::Port {
                port: pos.max(neg),
                ports: self.ports,
            });
        }
        Ok(())
    }
}

/// A [`BlockParts`] that breaks an invariant of [`Block`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    #[error("row pointers: empty (a block has n_src + 1 of them)")]
    NoRowPointers,
    #[error("row pointers: the first is {0}, not 0")]
    FirstRowPointer(u32),
    #[error("row pointers: the row of source {row} ends before it starts ({before} > {after})")]
    RowPointersDecrease { row: usize, before: u32, after: u32 },
    #[error("row pointers: the last is {last}, but there are {synapses} targets")]
    LastRowPointer { last: u32, synapses: usize },
    #[error("{what}: {len} entries for {synapses} synapses")]
    Length {
        what: &'static str,
        len: usize,
        synapses: usize,
    },
    #[error("target of synapse {synapse} is {target}, not below the partition size {n_post}")]
    TargetOutOfRange {
        synapse: usize,
        target: usize,
        n_post: usize,
    },
    #[error("port {port} of a model with {ports} input ports")]
    Port { port: usize, ports: usize },
}

/// The ports of non-negative and of negative weights.
#[inline(always)]
fn route_pair(r: Route) -> (usize, usize) {
    match r {
        Route::Port(p) => (p, p),
        Route::BySign { pos, neg } => (pos, neg),
    }
}

/// Synapses of one projection onto one partition.
///
/// Invariants (checked by [`Block::new`]; the engine's builder upholds them and
/// debug-asserts them): `indptr` is non-empty, starts at 0, never decreases and ends at
/// the number of synapses; per-synapse weights and delays, where present, have one entry
/// per synapse; every target index is below `n_post`; every port of `route` is below
/// `ports`. The fields are
/// private so that no safe code can break these after construction: the delivery's
/// unchecked ring write relies on `target < n_post` (see the SAFETY comment there).
#[derive(Debug, Clone)]
pub struct Block {
    projection: usize,
    src_pop: usize,
    n_post: usize,
    indptr: Vec<u32>,
    targets: Targets,
    weights: Option<Vec<f32>>,
    weight: f64,
    ports: usize,
    route: Route,
    /// Port of the constant weight (`route.port(weight)`).
    channel: usize,
    delays: Delays,
}

impl Block {
    /// A block from its parts, if they satisfy the invariants listed at [`Block`]
    /// (one pass over the row pointers and the targets).
    pub fn new(parts: BlockParts) -> Result<Block, BlockError> {
        parts.check()?;
        Ok(Block::from_parts(parts))
    }

    /// The engine's builder: the invariants hold by construction (targets are written
    /// as `j - partition_start` for `j` in the partition, row pointers are prefix sums
    /// of the row lengths); checked in debug builds only, to keep the build one pass.
    pub(crate) fn new_unchecked(parts: BlockParts) -> Block {
        debug_assert_eq!(parts.check(), Ok(()));
        Block::from_parts(parts)
    }

    /// The parts back (for tests of the invariants).
    #[cfg(test)]
    pub(crate) fn to_parts(&self) -> BlockParts {
        BlockParts {
            projection: self.projection,
            src_pop: self.src_pop,
            n_post: self.n_post,
            indptr: self.indptr.clone(),
            targets: self.targets.clone(),
            weights: self.weights.clone(),
            weight: self.weight,
            ports: self.ports,
            route: self.route,
            delays: self.delays.clone(),
        }
    }

    fn from_parts(p: BlockParts) -> Block {
        Block {
            projection: p.projection,
            src_pop: p.src_pop,
            n_post: p.n_post,
            indptr: p.indptr,
            targets: p.targets,
            weights: p.weights,
            weight: p.weight,
            ports: p.ports,
            route: p.route,
            channel: p.route.port(p.weight),
            delays: p.delays,
        }
    }

    /// Projection index in the network.
    #[inline]
    pub fn projection(&self) -> usize {
        self.projection
    }

    /// Source population.
    #[inline]
    pub fn src_pop(&self) -> usize {
        self.src_pop
    }

    /// Neurons of the target partition (every target index is below it).
    #[inline]
    pub fn n_post(&self) -> usize {
        self.n_post
    }

    /// Number of source neurons (rows).
    #[inline]
    pub fn n_sources(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Row pointers: the synapses of source `s` are `indptr[s]..indptr[s + 1]`.
    #[inline]
    pub fn indptr(&self) -> &[u32] {
        &self.indptr
    }

    /// Partition-local target index per synapse.
    #[inline]
    pub fn targets(&self) -> &Targets {
        &self.targets
    }

    /// Per-synapse weights (`None`: every synapse has [`weight`](Self::weight)).
    #[inline]
    pub fn weights(&self) -> Option<&[f32]> {
        self.weights.as_deref()
    }

    /// The weight when it is constant (with per-synapse weights: unused).
    #[inline]
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// Port of a constant weight.
    #[inline]
    pub fn channel(&self) -> usize {
        self.channel
    }

    /// Input ports of the target model.
    #[inline]
    pub fn ports(&self) -> usize {
        self.ports
    }

    /// Where the weights go.
    #[inline]
    pub fn route(&self) -> Route {
        self.route
    }

    #[inline]
    pub fn delays(&self) -> &Delays {
        &self.delays
    }

    pub fn n_synapses(&self) -> usize {
        self.targets.len()
    }

    /// Bytes of the row pointers (the row index), included in [`bytes`](Self::bytes).
    pub fn index_bytes(&self) -> usize {
        self.indptr.len() * 4
    }

    pub fn bytes(&self) -> usize {
        self.indptr.len() * 4
            + self.targets.bytes()
            + self.weights.as_ref().map_or(0, |w| w.len() * 4)
            + match &self.delays {
                Delays::Const(_) => 0,
                Delays::U8(d) => d.len(),
                Delays::U16(d) => d.len() * 2,
            }
    }

    /// Ask the memory system for the row of source `s` ahead of its delivery (targets,
    /// and per-synapse weights and delays where present). Rows split over many
    /// partitions are short, so without this every row costs a few serial cache
    /// misses before the hardware prefetcher recognises the stream; a few hundred
    /// nanoseconds per row and partition, measured.
    #[inline]
    pub fn prefetch_row(&self, s: usize) {
        let (a, e) = (self.indptr[s] as usize, self.indptr[s + 1] as usize);
        if a == e {
            return;
        }
        match &self.targets {
            Targets::U16(v) => prefetch_span(&v[a..e]),
            Targets::U32(v) => prefetch_span(&v[a..e]),
        }
        if let Some(ws) = &self.weights {
            prefetch_span(&ws[a..e]);
        }
        match &self.delays {
            Delays::Const(_) => {}
            Delays::U8(v) => prefetch_span(&v[a..e]),
            Delays::U16(v) => prefetch_span(&v[a..e]),
        }
    }

    /// Prefetch the row-pointer entry of source `s` (one step earlier than the row).
    #[inline]
    pub fn prefetch_indptr(&self, s: usize) {
        prefetch_ptr(self.indptr[s..].as_ptr() as *const u8);
    }

    /// Deliver one spike of source `s` (local to its population) emitted at step `t`
    /// into `ring`, laid out as `mask + 1` slots × `channels` × `n` with `n` the
    /// partition's size ([`n_post`](Self::n_post)). Panics if `s` is not a source or the
    /// ring is too short.
    #[inline]
    pub fn deliver(
        &self,
        s: usize,
        t: u64,
        ring: &mut [f64],
        mask: u64,
        n: usize,
        channels: usize,
    ) {
        self.deliver_scaled(s, t, ring, mask, n, channels, 1.0)
    }

    /// [`deliver`](Self::deliver) for a spike with a payload: every weight is
    /// multiplied by `scale` (the port is still chosen by the unscaled weight).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn deliver_scaled(
        &self,
        s: usize,
        t: u64,
        ring: &mut [f64],
        mask: u64,
        n: usize,
        channels: usize,
        scale: f64,
    ) {
        let (a, e) = (self.indptr[s] as usize, self.indptr[s + 1] as usize);
        if a == e {
            return;
        }
        match &self.targets {
            Targets::U16(v) => self.deliver_t(&v[a..e], a, e, t, ring, mask, n, channels, scale),
            Targets::U32(v) => self.deliver_t(&v[a..e], a, e, t, ring, mask, n, channels, scale),
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn deliver_t<T: Idx>(
        &self,
        targets: &[T],
        a: usize,
        e: usize,
        t: u64,
        ring: &mut [f64],
        mask: u64,
        n: usize,
        channels: usize,
        scale: f64,
    ) {
        let slot_base = |d: u32| (((t + d as u64) & mask) as usize) * channels * n;
        match (&self.weights, &self.delays) {
            (None, Delays::Const(d)) => {
                // The hot loop: one weight, one delay, a row of target indices.
                debug_assert_eq!(n, self.n_post, "a ring laid out for another partition");
                let base = slot_base(*d) + self.channel * n;
                // `n_post`, the bound the targets were checked against (equal to `n`
                // for the block's own partition), so that the write below is sound
                // whatever `n` a caller passes; the slicing itself is bounds-checked.
                let row = &mut ring[base..base + self.n_post];
                let w = self.weight * scale;
                for &tg in targets {
                    debug_assert!(tg.idx() < row.len());
                    // SAFETY: `row.len() == self.n_post`, and every target index is
                    // below `n_post`: checked by `Block::new`, or true by construction
                    // in the engine's builder (`Block::new_unchecked`, debug-asserted
                    // there: targets are `j - partition_start` for `j` in the
                    // partition). The fields are private, so no code outside this
                    // module changes the targets or `n_post` after construction.
                    unsafe { *row.get_unchecked_mut(tg.idx()) += w };
                }
            }
            (Some(ws), Delays::Const(d)) => {
                let base = slot_base(*d);
                let ws = &ws[a..e];
                let (pos, neg) = route_pair(self.route);
                for (k, &tg) in targets.iter().enumerate() {
                    let w = ws[k] as f64;
                    let ch = if w < 0.0 { neg } else { pos };
                    ring[base + ch * n + tg.idx()] += w * scale;
                }
            }
            (ws, Delays::U8(v)) => {
                let ws = ws.as_ref().map(|w| &w[a..e]);
                self.deliver_var(targets, ws, &v[a..e], t, ring, mask, n, channels, scale)
            }
            (ws, Delays::U16(v)) => {
                let ws = ws.as_ref().map(|w| &w[a..e]);
                self.deliver_var(targets, ws, &v[a..e], t, ring, mask, n, channels, scale)
            }
        }
    }

    /// Per-synapse delays (and possibly weights): one loop per delay type, so the
    /// delay and weight representations are chosen once per row, not per synapse.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn deliver_var<T: Idx, D: Copy + Into<u64>>(
        &self,
        targets: &[T],
        weights: Option<&[f32]>,
        delays: &[D],
        t: u64,
        ring: &mut [f64],
        mask: u64,
        n: usize,
        channels: usize,
        scale: f64,
    ) {
        let width = channels * n;
        // Per-synapse delays scatter the row over the whole ring (slots × channels × n,
        // megabytes for broad delay distributions), so every add would wait for a cache
        // miss: the cell of synapse k + RING_PREFETCH is requested while k is added.
        let len = targets.len();
        let rp = ring.as_ptr() as *const u8;
        match weights {
            None => {
                let off = self.channel * n;
                let cell = |k: usize| {
                    (((t + delays[k].into()) & mask) as usize) * width + off + targets[k].idx()
                };
                for k in 0..len.min(RING_PREFETCH) {
                    prefetch_ptr(rp.wrapping_add(cell(k) * 8));
                }
                for k in 0..len {
                    if k + RING_PREFETCH < len {
                        prefetch_ptr(rp.wrapping_add(cell(k + RING_PREFETCH) * 8));
                    }
                    ring[cell(k)] += self.weight * scale;
                }
            }
            Some(ws) => {
                let (pos, neg) = route_pair(self.route);
                let cell = |k: usize| {
                    let ch = if ws[k] < 0.0 { neg } else { pos };
                    (((t + delays[k].into()) & mask) as usize) * width + ch * n + targets[k].idx()
                };
                for k in 0..len.min(RING_PREFETCH) {
                    prefetch_ptr(rp.wrapping_add(cell(k) * 8));
                }
                for k in 0..len {
                    if k + RING_PREFETCH < len {
                        prefetch_ptr(rp.wrapping_add(cell(k + RING_PREFETCH) * 8));
                    }
                    ring[cell(k)] += ws[k] as f64 * scale;
                }
            }
        }
    }
}

impl Block {
    /// Deliver one spike as events into the partition's [`EventQueue`] (partitions
    /// with per-synapse delays). `bi` is this block's index in the partition.
    #[inline]
    pub fn deliver_queued(&self, bi: usize, s: usize, t: u64, q: &mut EventQueue, n: usize) {
        let (a, e) = (self.indptr[s] as usize, self.indptr[s + 1] as usize);
        if a == e {
            return;
        }
        match &self.targets {
            Targets::U16(v) => self.deliver_queued_t(&v[a..e], a, e, bi, t, q, n),
            Targets::U32(v) => self.deliver_queued_t(&v[a..e], a, e, bi, t, q, n),
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn deliver_queued_t<T: Idx>(
        &self,
        targets: &[T],
        a: usize,
        e: usize,
        bi: usize,
        t: u64,
        q: &mut EventQueue,
        n: usize,
    ) {
        let ws = self.weights.as_ref().map(|w| &w[a..e]);
        let tq = (t % q.slots as u64) as usize;
        let nq = q.slots;
        // The list of step t + d (d < nq).
        let after = move |d: usize| if tq + d >= nq { tq + d - nq } else { tq + d };
        match &self.delays {
            Delays::Const(d) => {
                let qs = after(*d as usize);
                self.queue_row(bi, targets, ws, |_| qs, q, n)
            }
            Delays::U8(v) => {
                let v = &v[a..e];
                self.queue_row(bi, targets, ws, |k| after(v[k] as usize), q, n)
            }
            Delays::U16(v) => {
                let v = &v[a..e];
                self.queue_row(bi, targets, ws, |k| after(v[k] as usize), q, n)
            }
        }
    }

    #[inline(always)]
    fn queue_row<T: Idx>(
        &self,
        bi: usize,
        targets: &[T],
        ws: Option<&[f32]>,
        list: impl Fn(usize) -> usize,
        q: &mut EventQueue,
        n: usize,
    ) {
        match ws {
            None => {
                let off = (self.channel * n) as u32;
                for (k, &tg) in targets.iter().enumerate() {
                    q.push(
                        list(k),
                        EventQueue::CONST | (off + tg.idx() as u32) as u64 | (bi as u64) << 32,
                    );
                }
            }
            Some(ws) => {
                let (pos, neg) = route_pair(self.route);
                for (k, (&tg, &w)) in targets.iter().zip(ws).enumerate() {
                    let ch = (if w < 0.0 { neg } else { pos }) as u32;
                    q.push(
                        list(k),
                        (ch * n as u32 + tg.idx() as u32) as u64 | (w.to_bits() as u64) << 32,
                    );
                }
            }
        }
    }
}

/// A procedural projection's share of one partition: nothing per synapse. A spike of
/// source `s` regenerates the source's whole row over the target population
/// ([`RowPlan::row`], the stream `(seed, ROW, projection, s)`) and keeps the targets in
/// this partition (`first..first + n_post` of the population), in the row's order — so
/// every target receives the same inputs in the same order for any partitioning, and
/// the cost of a spike is its whole row for each partition of the target population.
///
/// Weights that vary are rounded to `f32`, as stored ones are; ports and event lists
/// are used as by a [`Block`].
#[derive(Debug, Clone)]
pub struct ProcBlock {
    plan: Arc<RowPlan>,
    seed: u64,
    src_pop: usize,
    /// First target of the partition within the target population.
    first: u32,
    n_post: usize,
    /// The weight when it is constant.
    weight: Option<f64>,
    route: Route,
    channel: usize,
    /// The delay in steps when it is constant.
    delay: Option<u32>,
}

impl ProcBlock {
    /// The block of `plan` on the partition holding targets `first..first + n_post`;
    /// `route` must be the target model's route for the projection (constant weights:
    /// already fixed to one port).
    pub fn new(
        plan: Arc<RowPlan>,
        seed: u64,
        src_pop: usize,
        first: u32,
        n_post: usize,
        route: Route,
    ) -> ProcBlock {
        let weight = plan.weight.constant();
        let delay = plan
            .delay
            .constant()
            .map(|d| crate::connect::delay_steps(d, plan.dt).0);
        ProcBlock {
            seed,
            src_pop,
            first,
            n_post,
            weight,
            route,
            channel: route.port(weight.unwrap_or(0.0)),
            delay,
            plan,
        }
    }

    pub fn projection(&self) -> usize {
        self.plan.index
    }

    pub fn src_pop(&self) -> usize {
        self.src_pop
    }

    pub fn plan(&self) -> &RowPlan {
        &self.plan
    }

    /// The constant weight (`None`: drawn per synapse).
    pub fn weight(&self) -> Option<f64> {
        self.weight
    }

    /// Whether the delays are drawn per synapse.
    pub fn var_delays(&self) -> bool {
        self.delay.is_none()
    }

    /// Call `f(target, port, weight, delay_steps)` for every synapse of source `s` onto
    /// this partition (targets local to it), in the row's order: what a spike delivers.
    #[inline]
    pub fn for_each_local<F: FnMut(usize, usize, f64, u32)>(
        &self,
        s: u32,
        scratch: &mut Scratch,
        mut f: F,
    ) {
        let (first, n) = (self.first, self.n_post as u32);
        let (pos, neg) = route_pair(self.route);
        match self.weight {
            Some(w) => {
                let ch = self.channel;
                self.plan.row(self.seed, s, scratch, |j, _, d| {
                    let l = j.wrapping_sub(first);
                    if l < n {
                        f(l as usize, ch, w, d);
                    }
                })
            }
            None => self.plan.row(self.seed, s, scratch, |j, w, d| {
                let l = j.wrapping_sub(first);
                if l < n {
                    let w = w as f32 as f64;
                    f(l as usize, if w < 0.0 { neg } else { pos }, w, d);
                }
            }),
        }
    }

    /// Deliver one spike of source `s` emitted at step `t` into the ring (laid out as
    /// for [`Block::deliver`]), every weight multiplied by `scale`.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn deliver(
        &self,
        s: u32,
        t: u64,
        ring: &mut [f64],
        mask: u64,
        n: usize,
        channels: usize,
        scale: f64,
        scratch: &mut Scratch,
    ) {
        let width = channels * n;
        self.for_each_local(s, scratch, |l, ch, w, d| {
            ring[(((t + d as u64) & mask) as usize) * width + ch * n + l] += w * scale;
        })
    }

    /// Deliver one spike as events into the partition's [`EventQueue`]; `qi` is the
    /// block's index among the queue's constant weights.
    #[inline]
    pub fn deliver_queued(
        &self,
        qi: usize,
        s: u32,
        t: u64,
        q: &mut EventQueue,
        n: usize,
        scratch: &mut Scratch,
    ) {
        let tq = (t % q.slots as u64) as usize;
        let nq = q.slots;
        let constant = self.weight.is_some();
        self.for_each_local(s, scratch, |l, ch, w, d| {
            let d = d as usize;
            let qs = if tq + d >= nq { tq + d - nq } else { tq + d };
            let cell = (ch * n + l) as u64;
            let ev = if constant {
                EventQueue::CONST | cell | (qi as u64) << 32
            } else {
                cell | ((w as f32).to_bits() as u64) << 32
            };
            q.push(qs, ev);
        })
    }
}

/// Bytes that the event lists of all partitions may still grow by beyond what the
/// build reserved for them: the memory the estimate left over (shared, taken per growth).
#[derive(Debug, Default)]
pub struct EventBudget(std::sync::atomic::AtomicU64);

impl EventBudget {
    pub fn new(bytes: u64) -> EventBudget {
        EventBudget(std::sync::atomic::AtomicU64::new(bytes))
    }

    /// Take `bytes` if that many are left.
    fn take(&self, bytes: u64) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        self.0
            .fetch_update(Relaxed, Relaxed, |b| b.checked_sub(bytes))
            .is_ok()
    }

    /// Bytes left.
    pub fn left(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Spike events of a partition waiting for their arrival step: one list per arrival
/// step (`max_delay + 1` lists, arrival step modulo that), drained into the input slot
/// at the start of that step's update. A list is a chain of chunks of `chunk` events
/// from the partition's pool; a drained list returns its chunks to the pool, so the
/// memory follows the events in flight (rate × synapses × delay), not the largest delay
/// × neurons. The pool is reserved at build time for the estimate's events in flight
/// ([`crate::memory`]) and grows beyond it, chunk by chunk, while the shared
/// [`EventBudget`] allows; when it does not, the partition is marked
/// [`failed`](Self::failed) and the run stops with an error (never an abort).
///
/// Why lists: with per-synapse delays a spike's row is scattered over many arrival
/// steps, so a dense ring (`slots × channels × n` f64) would cost a cache-line read and
/// write-back per synaptic event, and memory for every (cell, step) whether or not an
/// input arrives. Appending costs 8 streamed bytes; the drain scatters into one input
/// slot (`channels × n` f64), which stays in cache.
///
/// Same results, bit for bit, as adding to a ring directly: every cell of every arrival
/// step receives its inputs in delivery order, summed from 0 when its list is drained.
/// The chunk size changes the speed and the memory only, never the numbers.
///
/// Event (u64): low 32 bits = cell (`channel·n + target`, bit 31 set for a
/// constant-weight block), high 32 bits = the f32 weight's bits or the block index;
/// the block index `u32::MAX` marks a value restored from a saved state, whose f64 bits
/// are the next event.
#[derive(Debug)]
pub struct EventQueue {
    /// Lists (arrival step modulo `slots`).
    pub slots: usize,
    /// Events per chunk.
    chunk: usize,
    /// Per list: its first chunk (`NONE`: empty).
    head: Vec<u32>,
    /// Per list: its last chunk and the events in it; `(NONE, chunk)` when empty, so
    /// that one comparison finds a list whose last chunk is full or missing.
    tail: Vec<(u32, u32)>,
    /// The chunks: chunk `c` is `buf[c·chunk..(c+1)·chunk]`, followed in its list by
    /// `next[c]`.
    buf: Vec<u64>,
    next: Vec<u32>,
    /// Chunks not in any list (room reserved for every chunk: no allocation to free one).
    free: Vec<u32>,
    /// Constant weights by block index.
    consts: Vec<f64>,
    width: usize,
    /// The input slot (`width` f64) a list is drained into; the neuron kernel zeroes
    /// it after reading.
    scratch: Vec<f64>,
    budget: Arc<EventBudget>,
    /// The pool could not grow: events were lost and the run must stop.
    pub failed: bool,
    /// Times the pool grew beyond its reservation (a measure for tuning; tests).
    pub growths: u64,
}

impl EventQueue {
    const CONST: u64 = 1 << 31;
    const NONE: u32 = u32::MAX;
    /// Block index of a restored f64 value (the next event holds its bits).
    const VALUE: u64 = EventQueue::CONST | (u32::MAX as u64) << 32;

    /// Default events per chunk for a partition of `n` neurons: about `n / 4`, a power
    /// of two in 64..=256 (512 B to 2 KiB). A list holds about one event per neuron and
    /// step when it is drained, so it is a few chunks long; smaller chunks made the
    /// drain a walk of cache misses (chunks of 8 events ran the multi-area model at 1 %
    /// at half the speed), larger ones leave more of each list's last chunk empty.
    pub fn chunk_for(n: usize) -> usize {
        (n / 4).next_power_of_two().clamp(64, 256)
    }

    /// Bytes of a pool of `events` events in chunks of `chunk` (with the chunk links and
    /// the free list), the list heads of `slots` lists and the input slot (`width` f64).
    pub fn bytes(events: u64, chunk: usize, slots: usize, width: usize) -> u64 {
        let chunks = events.div_ceil(chunk.max(1) as u64);
        chunks * (chunk as u64 * 8 + 8) + slots as u64 * 12 + width as u64 * 8
    }

    /// `slots` lists of chunks of `chunk` events, with room for `reserve` events;
    /// growth beyond it is taken from `budget`. `None` if the reservation fails.
    pub fn new(
        chunk: usize,
        slots: usize,
        width: usize,
        consts: Vec<f64>,
        reserve: usize,
        budget: Arc<EventBudget>,
    ) -> Option<EventQueue> {
        let chunk = chunk.max(1);
        let chunks = reserve.div_ceil(chunk);
        let mut buf = Vec::new();
        buf.try_reserve_exact(chunks * chunk).ok()?;
        let mut next = Vec::new();
        next.try_reserve_exact(chunks).ok()?;
        let mut free = Vec::new();
        free.try_reserve_exact(chunks).ok()?;
        Some(EventQueue {
            slots,
            chunk,
            head: vec![Self::NONE; slots],
            tail: vec![(Self::NONE, chunk as u32); slots],
            buf,
            next,
            free,
            consts,
            width,
            scratch: vec![0.0; width],
            budget,
            failed: false,
            growths: 0,
        })
    }

    /// Bytes the event lists of all partitions may still grow by.
    pub fn budget_left(&self) -> u64 {
        self.budget.left()
    }

    /// Chunks in the pool (in lists or free).
    pub fn chunks(&self) -> usize {
        self.next.len()
    }

    #[inline(always)]
    fn push(&mut self, qs: usize, ev: u64) {
        let (c, l) = self.tail[qs];
        if l as usize == self.chunk {
            return self.push_new_chunk(qs, ev);
        }
        self.buf[c as usize * self.chunk + l as usize] = ev;
        self.tail[qs].1 = l + 1;
    }

    /// Append `ev` to list `qs` in a fresh chunk (from the free list, else the pool grows).
    #[cold]
    #[inline(never)]
    fn push_new_chunk(&mut self, qs: usize, ev: u64) {
        let Some(c) = self.free.pop().or_else(|| self.grow()) else {
            self.failed = true;
            return;
        };
        self.next[c as usize] = Self::NONE;
        match self.tail[qs].0 {
            Self::NONE => self.head[qs] = c,
            t => self.next[t as usize] = c,
        }
        self.tail[qs] = (c, 1);
        self.buf[c as usize * self.chunk] = ev;
    }

    /// A new chunk: within the reservation, else an eighth more of the pool (at least
    /// 16 chunks) if the budget and the allocator allow.
    fn grow(&mut self) -> Option<u32> {
        let chunk = self.chunk;
        let have = self.next.len();
        if have >= Self::NONE as usize - 1 {
            return None;
        }
        if self.next.len() == self.next.capacity() {
            let more = (have / 8).max(16);
            if !self.budget.take((more * (chunk * 8 + 8)) as u64)
                || self.buf.try_reserve_exact(more * chunk).is_err()
                || self.next.try_reserve_exact(more).is_err()
                || self.free.try_reserve_exact(more).is_err()
            {
                return None;
            }
            self.growths += 1;
        }
        self.buf.resize((have + 1) * chunk, 0);
        self.next.push(Self::NONE);
        Some(have as u32)
    }

    /// Add list `qs` to `row`, in order (the list is unchanged).
    #[inline]
    fn sum_into(&self, qs: usize, row: &mut [f64]) {
        let mut c = self.head[qs];
        let (tail, fill) = self.tail[qs];
        // The cell of a restored value whose bits are the next event.
        let mut value_cell = None;
        while c != Self::NONE {
            let last = c == tail;
            let len = if last { fill as usize } else { self.chunk };
            let start = c as usize * self.chunk;
            let nx = if last {
                Self::NONE
            } else {
                self.next[c as usize]
            };
            if nx != Self::NONE {
                // The next chunk of the chain, requested while this one is summed.
                let next = &self.buf[nx as usize * self.chunk..(nx as usize + 1) * self.chunk];
                prefetch_span(&next[..self.chunk.min(64)]);
            }
            for &ev in &self.buf[start..start + len] {
                if let Some(cell) = value_cell.take() {
                    row[cell] += f64::from_bits(ev);
                    continue;
                }
                let cell = (ev as u32 & !(Self::CONST as u32)) as usize;
                if ev & Self::CONST != 0 {
                    let hi = (ev >> 32) as u32;
                    if hi == u32::MAX {
                        value_cell = Some(cell);
                        continue;
                    }
                    row[cell] += self.consts[hi as usize];
                } else {
                    row[cell] += f32::from_bits((ev >> 32) as u32) as f64;
                }
            }
            c = nx;
        }
    }

    /// Empty list `qs`: its chunks go back to the pool.
    #[inline]
    fn release(&mut self, qs: usize) {
        let mut c = self.head[qs];
        let tail = self.tail[qs].0;
        while c != Self::NONE {
            // Room for every chunk was reserved with it: no allocation.
            self.free.push(c);
            c = if c == tail {
                Self::NONE
            } else {
                self.next[c as usize]
            };
        }
        self.head[qs] = Self::NONE;
        self.tail[qs] = (Self::NONE, self.chunk as u32);
    }

    /// The input of step `t`: list `t % slots` drained into the input slot.
    #[inline]
    pub fn input(&mut self, t: u64) -> &mut [f64] {
        let qs = (t % self.slots as u64) as usize;
        // (A pointer swap, no allocation: the input slot is borrowed out of self.)
        let mut scratch = std::mem::take(&mut self.scratch);
        self.sum_into(qs, &mut scratch);
        self.release(qs);
        self.scratch = scratch;
        &mut self.scratch
    }

    /// Empty every list.
    pub fn clear(&mut self) {
        (0..self.slots).for_each(|qs| self.release(qs));
    }

    /// Events waiting in the lists.
    pub fn len(&self) -> usize {
        (0..self.slots)
            .map(|qs| {
                let mut n = 0;
                let mut c = self.head[qs];
                let (tail, fill) = self.tail[qs];
                while c != Self::NONE {
                    let last = c == tail;
                    n += if last { fill as usize } else { self.chunk };
                    c = if last {
                        Self::NONE
                    } else {
                        self.next[c as usize]
                    };
                }
                n
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.head.iter().all(|&h| h == Self::NONE)
    }

    /// The pending input of every cell, as `(d, cell, value)` for each cell whose input
    /// of step `t + d` is not +0 (`t`: the next step to compute), ordered by `d`, then
    /// cell: each list summed in order, as its drain will (the lists are unchanged).
    pub fn pending_inputs(&self, t: u64) -> Vec<(u64, u32, f64)> {
        let mut out = Vec::new();
        let mut row = vec![0.0f64; self.width];
        for d in 0..self.slots as u64 {
            let qs = ((t + d) % self.slots as u64) as usize;
            if self.head[qs] == Self::NONE {
                continue;
            }
            self.sum_into(qs, &mut row);
            for (cell, x) in row.iter_mut().enumerate() {
                if x.to_bits() != 0 {
                    out.push((d, cell as u32, *x));
                    *x = 0.0;
                }
            }
        }
        out
    }

    /// Empty every list, then set the pending inputs `(d, cell, value)` (as
    /// [`pending_inputs`](Self::pending_inputs) gave them) as restored values at the
    /// head of their lists. Refuses an input whose cell or step is not of this
    /// partition, or more inputs than the memory allows.
    pub fn restore(&mut self, t: u64, inputs: &[(u64, u32, f64)]) -> Result<(), String> {
        self.clear();
        for &(d, cell, x) in inputs {
            if d >= self.slots as u64 || cell as usize >= self.width {
                return Err(format!(
                    "pending input of cell {cell} in {d} steps does not fit this partition's lists"
                ));
            }
            let qs = ((t + d) % self.slots as u64) as usize;
            self.push(qs, Self::VALUE | cell as u64);
            self.push(qs, x.to_bits());
            if self.failed {
                return Err("event lists: no memory left for the saved events".into());
            }
        }
        Ok(())
    }
}

/// Synapses looked ahead in rows with per-synapse delays (ring cells prefetched).
const RING_PREFETCH: usize = 16;

/// Spikes (rows) looked ahead of the delivery.
const PREFETCH_DISTANCE: usize = 8;

/// Cache lines of a row prefetched at most (the hardware prefetcher follows longer rows).
const PREFETCH_MAX_LINES: usize = 16;

/// Ask for the cache line at `p` (a hint: never faults). Also used by `examples/bare_loop.rs`.
#[inline(always)]
pub fn prefetch_ptr(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint; it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Ask for the first (at most 16) cache lines of `xs`.
#[inline(always)]
pub fn prefetch_span<T>(xs: &[T]) {
    let bytes = std::mem::size_of_val(xs);
    if bytes == 0 {
        return;
    }
    let p = xs.as_ptr() as *const u8;
    let first = (p as usize) & !63;
    let last = (p as usize + bytes - 1) & !63;
    let lines = ((last - first) / 64 + 1).min(PREFETCH_MAX_LINES);
    for i in 0..lines {
        prefetch_ptr(p.wrapping_add(i * 64));
    }
}

/// Spikes of one partition during one slice: local ids, grouped by step offset.
#[derive(Debug, Clone, Default)]
pub struct SpikeBuf {
    pub pop: usize,
    /// Index of the partition's first neuron within its population.
    pub pop_offset: u32,
    pub local: Vec<u32>,
    /// The payload of each spike in `local` (models with a payload only; else empty).
    pub payload: Vec<f64>,
    /// `local[step_end[o]..step_end[o+1]]` spiked at step offset `o`.
    pub step_end: Vec<u32>,
    /// Steps in the slice.
    pub len: usize,
}

/// One spike of a slice: its source neuron as (population, index within the population).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceSpike {
    pub pop: u32,
    /// Index of the neuron within its population.
    pub node: u32,
}

/// The spikes of one slice of all partitions, in delivery order: step, then gid.
/// Built once per slice from the partitions' [`SpikeBuf`]s (serially; a few ns per
/// spike), read by every partition's delivery.
#[derive(Debug, Clone, Default)]
pub struct SliceSpikes {
    items: Vec<SourceSpike>,
    /// Per spike its payload (1 for models without one) — only when some population's
    /// model has a payload ([`with_payload`](Self::with_payload)); else empty, and the
    /// payload-free delivery runs.
    payload: Vec<f64>,
    with_payload: bool,
    /// `items[step_end[o]..step_end[o+1]]` spiked at step offset `o`.
    step_end: Vec<u32>,
    /// Steps in the slice.
    len: usize,
}

impl SliceSpikes {
    /// Empty, with room for `spikes` spikes over `steps` steps; `None` if the spike
    /// memory cannot be reserved.
    pub fn with_capacity(spikes: usize, steps: usize) -> Option<SliceSpikes> {
        let mut s = SliceSpikes::default();
        s.items.try_reserve_exact(spikes).ok()?;
        s.step_end.reserve_exact(steps + 1);
        s.clear();
        Some(s)
    }

    /// As [`with_capacity`](Self::with_capacity), carrying a payload per spike.
    pub fn with_payload(spikes: usize, steps: usize) -> Option<SliceSpikes> {
        let mut s = SliceSpikes::default();
        s.items.try_reserve_exact(spikes).ok()?;
        s.payload.try_reserve_exact(spikes).ok()?;
        s.with_payload = true;
        s.step_end.reserve_exact(steps + 1);
        s.clear();
        Some(s)
    }

    /// Concatenate the partitions' spikes of one slice (their capacity is reserved
    /// at build time for every neuron spiking at every step: no allocation here).
    pub fn fill(&mut self, bufs: &[SpikeBuf]) {
        self.clear();
        let Some(len) = bufs.first().map(|b| b.len) else {
            return;
        };
        self.len = len;
        for o in 0..len {
            for b in bufs {
                let (x, e) = (b.step_end[o] as usize, b.step_end[o + 1] as usize);
                let (pop, off) = (b.pop as u32, b.pop_offset);
                self.items.extend(
                    b.local[x..e]
                        .iter()
                        .map(|&l| SourceSpike { pop, node: off + l }),
                );
                if self.with_payload {
                    if b.payload.len() == b.local.len() {
                        self.payload.extend_from_slice(&b.payload[x..e]);
                    } else {
                        self.payload.extend(std::iter::repeat_n(1.0, e - x));
                    }
                }
            }
            self.step_end.push(self.items.len() as u32);
        }
    }

    /// Start a slice of `steps` steps filled spike by spike ([`push`](Self::push),
    /// [`end_step`](Self::end_step) after each step): what a multi-process exchange
    /// merges the processes' spikes into ([`crate::exchange::Distributed`]).
    pub fn begin(&mut self, steps: usize) {
        self.clear();
        self.len = steps;
    }

    /// Append one spike to the current step (`payload` is kept only when the list
    /// carries payloads).
    #[inline]
    pub fn push(&mut self, spike: SourceSpike, payload: f64) {
        self.items.push(spike);
        if self.with_payload {
            self.payload.push(payload);
        }
    }

    /// Close the current step.
    pub fn end_step(&mut self) {
        self.step_end.push(self.items.len() as u32);
    }

    pub fn clear(&mut self) {
        self.items.clear();
        self.payload.clear();
        self.step_end.clear();
        self.step_end.push(0);
        self.len = 0;
    }

    /// Steps in the slice.
    pub fn steps(&self) -> usize {
        self.len
    }

    /// End of step offset `o`'s spikes in [`spikes`](Self::spikes) (they start where
    /// step `o - 1`'s end).
    pub fn step_end(&self, o: usize) -> usize {
        self.step_end[o + 1] as usize
    }

    /// Every spike of the slice, in delivery order.
    pub fn spikes(&self) -> &[SourceSpike] {
        &self.items
    }

    /// The payload of every spike (empty when no model has one).
    pub fn payloads(&self) -> &[f64] {
        &self.payload
    }

    /// Whether the spikes carry payloads (some population's model has one).
    pub fn carries_payload(&self) -> bool {
        self.with_payload
    }
}

/// The spikes of the slice still to be delivered: steps, step ends, (population,
/// neuron) per spike and, with payloads, the payloads.
impl SaveState for SliceSpikes {
    fn save(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        put_u64(w, self.len as u64)?;
        put_slice(w, &self.step_end)?;
        let items: Vec<u64> = self
            .items
            .iter()
            .map(|s| (s.pop as u64) << 32 | s.node as u64)
            .collect();
        put_slice(w, &items)?;
        put_slice(w, &self.payload)
    }

    fn load(&mut self, r: &mut dyn std::io::Read) -> std::io::Result<()> {
        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
        let len = get_usize(r, "pending spikes: steps")?;
        let step_end: Vec<u32> = get_vec(r, self.step_end.capacity(), "pending spikes: steps")?;
        let items: Vec<u64> = get_vec(r, self.items.capacity(), "pending spikes")?;
        let payload: Vec<f64> = get_vec(r, self.payload.capacity(), "pending spike payloads")?;
        if step_end.len() != len + 1
            || step_end.first() != Some(&0)
            || step_end.windows(2).any(|w| w[1] < w[0])
            || step_end.last().map(|&e| e as usize) != Some(items.len())
            || (self.with_payload && payload.len() != items.len())
            || (!self.with_payload && !payload.is_empty())
        {
            return Err(bad("pending spikes: inconsistent step ends or payloads"));
        }
        self.clear();
        self.len = len;
        self.step_end.clear();
        self.step_end.extend(step_end);
        self.items.extend(items.iter().map(|&x| SourceSpike {
            pop: (x >> 32) as u32,
            node: x as u32,
        }));
        self.payload.extend(payload);
        Ok(())
    }
}

/// Samples of one variable (potential or conductance) of the partition's recorded neurons.
#[derive(Debug, Clone)]
pub struct VmBuf {
    pub var: Analog,
    /// Number of recorded neurons in this partition (the first `n` of the partition).
    pub n: usize,
    pub interval: u64,
    /// Samples, time-major: `data[sample * n + i]`, in the variable's unit (mV absolute, nS).
    pub data: Vec<f64>,
}

#[derive(Debug)]
pub struct Partition {
    pub index: usize,
    pub pop: usize,
    pub first_gid: u32,
    pub pop_offset: u32,
    pub n: usize,
    pub kernel: Kernel,
    pub state: State,
    pub channels: usize,
    /// Inputs by arrival step (`mask + 1` slots × channels × n; the slots the
    /// partition's largest incoming delay needs) — empty for a partition with event
    /// lists, which hold its inputs instead.
    pub ring: Vec<f64>,
    pub mask: u64,
    pub blocks: Vec<Block>,
    /// Event lists for partitions with per-synapse delays (else delivery adds to the ring).
    pub queue: Option<EventQueue>,
    /// `blocks_by_pop[p]`: indices into `blocks` whose source population is `p`.
    pub blocks_by_pop: Vec<Vec<usize>>,
    /// Per block: whether its weights are multiplied by the spike payload (its port
    /// declares [`Port::payload`](cortexsim_neuron::Port)); else the plain weight.
    pub block_payload: Vec<bool>,
    /// Procedural projections onto the partition (delivered after the stored blocks of
    /// each spike; event-list index `blocks.len() + i`).
    pub proc_blocks: Vec<ProcBlock>,
    /// `proc_by_pop[p]`: indices into `proc_blocks` whose source population is `p`
    /// (empty when there are no procedural blocks).
    pub proc_by_pop: Vec<Vec<usize>>,
    /// Bitmap for procedural rows without multapses (reserved at build time).
    pub scratch: Scratch,
    pub poisson: Vec<PoissonDrive>,
    pub noise: Vec<NoiseDrive>,
    /// Per-neuron streams of the Poisson and noise drives.
    pub rngs: StreamBank,
    pub current: CurrentSchedule,
    pub current_cursor: usize,
    /// Sinusoidal currents, added to the step's current.
    pub ac: Vec<AcDrive>,
    /// Per-neuron Gaussian currents, summed into `state.i_cell`.
    pub noise_current: Vec<NoiseCurrentDrive>,
    pub trains: SpikeTrainInput,
    pub train_cursor: usize,
    /// Inputs to single neurons (`spike_source_array`): (step, cell `port × n + i`,
    /// weight), sorted by step; the cursor follows from the step (not saved state).
    pub cells: Vec<(u64, u32, f64)>,
    pub cell_cursor: usize,
    /// Sampled variables, at most one buffer per variable, in [`Analog::ALL`] order.
    pub analog: Vec<VmBuf>,
}

impl Partition {
    /// The partition's samples of `var`, if it records it.
    pub fn analog_buf(&self, var: Analog) -> Option<&VmBuf> {
        self.analog.iter().find(|b| b.var == var)
    }

    /// The pending input of every cell (`channel·n + neuron`) as `(d, cell, value)` for
    /// each input of step `t + d` that is not +0, ordered by `d`, then cell (`t`: the
    /// next step to compute) — the same whether the partition holds its inputs in a
    /// ring or in event lists (the state's canonical form).
    pub fn pending_inputs(&self, t: u64) -> Vec<(u64, u32, f64)> {
        if let Some(q) = &self.queue {
            return q.pending_inputs(t);
        }
        let width = self.channels * self.n;
        let mut out = Vec::new();
        for d in 0..=self.mask {
            let base = (((t + d) & self.mask) as usize) * width;
            for (cell, &x) in self.ring[base..base + width].iter().enumerate() {
                if x.to_bits() != 0 {
                    out.push((d, cell as u32, x));
                }
            }
        }
        out
    }

    /// Set the pending inputs (as [`pending_inputs`](Self::pending_inputs) gave them),
    /// replacing any; refuses an input that does not fit the partition.
    pub fn restore_inputs(&mut self, t: u64, inputs: &[(u64, u32, f64)]) -> Result<(), String> {
        if let Some(q) = &mut self.queue {
            return q.restore(t, inputs);
        }
        let width = self.channels * self.n;
        self.ring.fill(0.0);
        for &(d, cell, x) in inputs {
            if d > self.mask || cell as usize >= width {
                return Err(format!(
                    "pending input of cell {cell} in {d} steps does not fit this partition's ring of {} steps",
                    self.mask + 1
                ));
            }
            self.ring[(((t + d) & self.mask) as usize) * width + cell as usize] = x;
        }
        Ok(())
    }

    /// Deliver every spike of the previous slice (all partitions, in (step, gid) order).
    pub fn deliver(&mut self, prev: &SliceSpikes, t0: u64) {
        if !self.proc_blocks.is_empty() {
            return self.deliver_with_procedural(prev, t0);
        }
        let n = self.n;
        let (mask, ch) = (self.mask, self.channels);
        let items = &prev.items[..];
        let (blocks, by_pop) = (&self.blocks, &self.blocks_by_pop);
        // Row pointers are prefetched 2·D spikes ahead, the rows themselves D ahead.
        const D: usize = PREFETCH_DISTANCE;
        let pf_indptr = |i: usize| {
            if let Some(&SourceSpike { pop, node: s }) = items.get(i) {
                by_pop[pop as usize]
                    .iter()
                    .for_each(|&b| blocks[b].prefetch_indptr(s as usize));
            }
        };
        let pf_row = |i: usize| {
            if let Some(&SourceSpike { pop, node: s }) = items.get(i) {
                by_pop[pop as usize]
                    .iter()
                    .for_each(|&b| blocks[b].prefetch_row(s as usize));
            }
        };
        (0..2 * D).for_each(pf_indptr);
        (0..D).for_each(pf_row);
        for o in 0..prev.len {
            let t = t0 + o as u64;
            #[allow(clippy::needless_range_loop)] // i also indexes the look-ahead
            for i in prev.step_end[o] as usize..prev.step_end[o + 1] as usize {
                pf_indptr(i + 2 * D);
                pf_row(i + D);
                let SourceSpike { pop, node: s } = items[i];
                if !prev.payload.is_empty() {
                    // Spikes with a payload are added to the ring directly: the build
                    // gives partitions that receive from a payload model no event lists
                    // (events hold f32 weights or a block's constant weight).
                    // Only blocks onto a port that takes the payload are scaled.
                    let m = prev.payload[i];
                    if m != 1.0 || self.queue.is_none() {
                        for &b in &by_pop[pop as usize] {
                            let mb = if self.block_payload[b] { m } else { 1.0 };
                            blocks[b].deliver_scaled(
                                s as usize,
                                t,
                                &mut self.ring,
                                mask,
                                n,
                                ch,
                                mb,
                            );
                        }
                        continue;
                    }
                }
                if let Some(q) = &mut self.queue {
                    for &b in &by_pop[pop as usize] {
                        blocks[b].deliver_queued(b, s as usize, t, q, n);
                    }
                } else {
                    for &b in &by_pop[pop as usize] {
                        blocks[b].deliver(s as usize, t, &mut self.ring, mask, n, ch);
                    }
                }
            }
        }
    }

    /// [`deliver`](Self::deliver) for a partition with procedural blocks: for each spike
    /// (in (step, gid) order) its stored blocks as there, then its procedural blocks.
    fn deliver_with_procedural(&mut self, prev: &SliceSpikes, t0: u64) {
        let n = self.n;
        let (mask, ch) = (self.mask, self.channels);
        let items = &prev.items[..];
        let (blocks, by_pop) = (&self.blocks, &self.blocks_by_pop);
        let (procs, proc_by_pop) = (&self.proc_blocks, &self.proc_by_pop);
        let scratch = &mut self.scratch;
        let nb = blocks.len();
        for o in 0..prev.len {
            let t = t0 + o as u64;
            #[allow(clippy::needless_range_loop)] // i also indexes the payloads
            for i in prev.step_end[o] as usize..prev.step_end[o + 1] as usize {
                let SourceSpike { pop, node: s } = items[i];
                let m = if prev.payload.is_empty() {
                    1.0
                } else {
                    prev.payload[i]
                };
                if m != 1.0 || self.queue.is_none() {
                    for &b in &by_pop[pop as usize] {
                        // Only blocks onto a port that takes the payload are scaled.
                        let mb = if self.block_payload[b] { m } else { 1.0 };
                        blocks[b].deliver_scaled(s as usize, t, &mut self.ring, mask, n, ch, mb);
                    }
                    for &b in &proc_by_pop[pop as usize] {
                        procs[b].deliver(s, t, &mut self.ring, mask, n, ch, m, scratch);
                    }
                } else if let Some(q) = &mut self.queue {
                    for &b in &by_pop[pop as usize] {
                        blocks[b].deliver_queued(b, s as usize, t, q, n);
                    }
                    for &b in &proc_by_pop[pop as usize] {
                        procs[b].deliver_queued(nb + b, s, t, q, n, scratch);
                    }
                }
            }
        }
    }

    /// The neurons' `noise_current` values for step `t` into `state.i_cell`, redrawn
    /// only when an interval begins or ends (or after the state was replaced).
    fn cell_currents(&mut self, t: u64) {
        let n = self.n;
        let stale = self.state.i_cell.len() != n
            || self
                .noise_current
                .iter()
                .any(|d| d.held != Some(d.interval(t)));
        if !stale {
            return;
        }
        let cell = &mut self.state.i_cell;
        cell.clear();
        cell.resize(n, 0.0);
        for d in &mut self.noise_current {
            let k = d.interval(t);
            d.held = Some(k);
            if let Some(k) = k {
                for (i, x) in cell.iter_mut().enumerate() {
                    *x += d.value(k, self.first_gid as u64 + i as u64);
                }
            }
        }
    }

    /// Advance `len` steps from step `t0`, writing spikes to `out`.
    pub fn update(&mut self, t0: u64, len: usize, out: &mut SpikeBuf) {
        out.local.clear();
        out.payload.clear();
        out.step_end.clear();
        out.step_end.push(0);
        out.len = len;
        let n = self.n;
        let width = self.channels * n;
        for o in 0..len {
            let t = t0 + o as u64;
            if !self.noise_current.is_empty() {
                self.cell_currents(t);
            }
            let slot = match &mut self.queue {
                Some(q) => q.input(t),
                None => {
                    let base = ((t & self.mask) as usize) * width;
                    &mut self.ring[base..base + width]
                }
            };
            for d in &self.poisson {
                if t >= d.start && t < d.stop {
                    let row = &mut slot[d.channel * n..(d.channel + 1) * n];
                    d.sampler.add_row(&mut self.rngs, row, d.weight);
                }
            }
            for d in &self.noise {
                if t >= d.start && t < d.stop {
                    // Voltage increments into channel 0 (iaf_psc_delta: a jump in this step).
                    for (i, x) in slot[..n].iter_mut().enumerate() {
                        let z: f64 = self.rngs.with_rng(i, |r| StandardNormal.sample(r));
                        *x += d.scale * z;
                    }
                }
            }
            while let Some(&(at, c, w)) = self.trains.events.get(self.train_cursor) {
                if at > t {
                    break;
                }
                if at == t {
                    for x in &mut slot[c * n..(c + 1) * n] {
                        *x += w;
                    }
                }
                self.train_cursor += 1;
            }
            while let Some(&(at, c, w)) = self.cells.get(self.cell_cursor) {
                if at > t {
                    break;
                }
                if at == t {
                    slot[c as usize] += w;
                }
                self.cell_cursor += 1;
            }
            let mut i_stim = self.current.value(t, &mut self.current_cursor);
            for d in &self.ac {
                i_stim += d.value(t);
            }
            self.kernel.step(
                &mut self.state,
                slot,
                i_stim,
                &mut out.local,
                &mut out.payload,
            );
            out.step_end.push(out.local.len() as u32);
            for b in &mut self.analog {
                if (t + 1).is_multiple_of(b.interval) {
                    b.var
                        .sample(&self.state, self.kernel.e_l(), b.n, &mut b.data);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two sources onto a partition of 3: source 0 -> {0, 2}, source 1 -> {1}.
    fn parts() -> BlockParts {
        BlockParts {
            projection: 0,
            src_pop: 0,
            n_post: 3,
            indptr: vec![0, 2, 3],
            targets: Targets::U16(vec![0, 2, 1]),
            weights: None,
            weight: 0.5,
            ports: 2,
            route: Route::Port(0),
            delays: Delays::Const(1),
        }
    }

    #[test]
    fn block_new_accepts_a_valid_block_and_delivers() {
        let b = Block::new(parts()).unwrap();
        assert_eq!((b.n_sources(), b.n_synapses(), b.n_post()), (2, 3, 3));
        let mut ring = vec![0.0; 2 * 3];
        b.deliver(0, 0, &mut ring, 1, 3, 1);
        assert_eq!(ring, [0.0, 0.0, 0.0, 0.5, 0.0, 0.5]);
        let mut p = parts();
        p.targets = Targets::U32(vec![0, 2, 1]);
        p.weights = Some(vec![1.0, -1.0, 2.0]);
        p.delays = Delays::U8(vec![1, 1, 2]);
        p.route = Route::BySign { pos: 0, neg: 1 };
        assert!(Block::new(p).is_ok());
    }

    /// Event lists: chains of chunks summed in push order, chunks reused after a drain,
    /// growth beyond the reservation from the budget, a clear failure when the budget is
    /// spent, and the pending inputs restored as values that later events add to.
    #[test]
    fn event_lists_grow_reuse_and_fail_cleanly() {
        let ev = |cell: u32, w: f32| cell as u64 | (w.to_bits() as u64) << 32;
        let budget = Arc::new(EventBudget::new(1 << 20));
        let mut q = EventQueue::new(2, 4, 3, vec![0.25], 2, Arc::clone(&budget)).unwrap();
        // Step 1: 7 events onto cell 1 (a chain of 4 chunks of 2), one constant weight.
        for k in 0..7 {
            q.push(1, ev(1, 0.1 * k as f32));
        }
        q.push(1, EventQueue::CONST | 2);
        assert!(q.growths > 0 && !q.failed);
        let mut direct = 0.0f64;
        for k in 0..7 {
            direct += (0.1 * k as f32) as f64;
        }
        let pending = q.pending_inputs(1);
        assert_eq!(pending, vec![(0, 1, direct), (0, 2, 0.25)]);
        // Restored into fresh lists, with one more event: the same sums as without.
        q.push(1, ev(1, 1.5));
        let mut r = EventQueue::new(3, 4, 3, vec![0.25], 0, Arc::clone(&budget)).unwrap();
        r.restore(1, &pending).unwrap();
        r.push(1, ev(1, 1.5));
        assert_eq!(q.input(1).to_vec(), r.input(1).to_vec());
        assert_eq!(q.input(1)[1], direct + 1.5);
        assert!(q.is_empty());
        assert_eq!(q.len(), 0);
        // Drained chunks are reused: no growth for the same load again.
        let (chunks, growths) = (q.chunks(), q.growths);
        for k in 0..8 {
            q.push(2, ev(0, k as f32));
        }
        assert_eq!((q.chunks(), q.growths), (chunks, growths));
        assert_eq!(q.len(), 8);
        // A spent budget: the lists cannot grow, the queue says so (no abort).
        let mut f = EventQueue::new(2, 4, 3, vec![], 2, Arc::new(EventBudget::new(0))).unwrap();
        for k in 0..3 {
            f.push(0, ev(0, k as f32));
        }
        assert!(f.failed);
        assert!(f.restore(0, &[(9, 0, 1.0)]).is_err());
        assert!(f.restore(0, &[(0, 3, 1.0)]).is_err());
    }

    #[test]
    fn block_new_rejects_each_broken_invariant() {
        let err = |f: fn(&mut BlockParts)| {
            let mut p = parts();
            f(&mut p);
            Block::new(p).unwrap_err()
        };
        assert_eq!(err(|p| p.indptr.clear()), BlockError::NoRowPointers);
        assert_eq!(
            err(|p| p.indptr = vec![1, 2, 3]),
            BlockError::FirstRowPointer(1)
        );
        assert!(matches!(
            err(|p| p.indptr = vec![0, 3, 2]),
            BlockError::RowPointersDecrease {
                row: 1,
                before: 3,
                after: 2
            }
        ));
        assert!(matches!(
            err(|p| p.indptr = vec![0, 2, 4]),
            BlockError::LastRowPointer {
                last: 4,
                synapses: 3
            }
        ));
        assert!(matches!(
            err(|p| p.weights = Some(vec![1.0; 2])),
            BlockError::Length {
                what: "weights",
                len: 2,
                ..
            }
        ));
        assert!(matches!(
            err(|p| p.delays = Delays::U16(vec![1; 4])),
            BlockError::Length {
                what: "delays",
                len: 4,
                ..
            }
        ));
        assert!(matches!(
            err(|p| p.targets = Targets::U16(vec![0, 3, 1])),
            BlockError::TargetOutOfRange {
                synapse: 1,
                target: 3,
                n_post: 3
            }
        ));
        assert!(matches!(
            err(|p| p.targets = Targets::U32(vec![0, 1, u32::MAX])),
            BlockError::TargetOutOfRange { synapse: 2, .. }
        ));
        assert_eq!(
            err(|p| p.route = Route::Port(2)),
            BlockError::Port { port: 2, ports: 2 }
        );
        assert_eq!(
            err(|p| p.route = Route::BySign { pos: 0, neg: 3 }),
            BlockError::Port { port: 3, ports: 2 }
        );
        // Every error has a message.
        assert!(
            err(|p| p.n_post = 2)
                .to_string()
                .contains("partition size 2")
        );
    }
}
