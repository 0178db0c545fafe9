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
use crate::stimulus::{CurrentSchedule, NoiseDrive, PoissonDrive, SpikeTrainInput};
use cortexsim_core::state::{SaveState, get_usize, get_vec, put_slice, put_u64};
use cortexsim_neuron::{Kernel, Route, State};
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
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn deliver_queued(
        &self,
        bi: usize,
        s: usize,
        t: u64,
        q: &mut EventQueue,
        ring: &mut [f64],
        mask: u64,
        n: usize,
        channels: usize,
    ) {
        let (a, e) = (self.indptr[s] as usize, self.indptr[s + 1] as usize);
        if a == e {
            return;
        }
        match &self.targets {
            Targets::U16(v) => {
                self.deliver_queued_t(&v[a..e], a, e, bi, t, q, ring, mask, n, channels)
            }
            Targets::U32(v) => {
                self.deliver_queued_t(&v[a..e], a, e, bi, t, q, ring, mask, n, channels)
            }
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
        ring: &mut [f64],
        mask: u64,
        n: usize,
        channels: usize,
    ) {
        debug_assert_eq!(channels, self.ports, "a ring laid out for another model");
        let ws = self.weights.as_ref().map(|w| &w[a..e]);
        let tq = (t % q.slots as u64) as usize;
        let nq = q.slots;
        // The list of step t + d (d < nq).
        let after = move |d: usize| if tq + d >= nq { tq + d - nq } else { tq + d };
        // Per-synapse delays of either width: (list, ring slot) of synapse k.
        fn var<D: Copy + Into<u64>>(
            v: &[D],
            t: u64,
            mask: u64,
            after: impl Fn(usize) -> usize,
        ) -> impl Fn(usize) -> (usize, usize) {
            move |k| {
                let d: u64 = v[k].into();
                (after(d as usize), ((t + d) & mask) as usize)
            }
        }
        match &self.delays {
            Delays::Const(d) => {
                let d = *d as u64;
                let (qs, rs) = (after(d as usize), ((t + d) & mask) as usize);
                self.queue_row(bi, targets, ws, |_| (qs, rs), q, ring, n)
            }
            Delays::U8(v) => {
                let slots = var(&v[a..e], t, mask, after);
                self.queue_row(bi, targets, ws, slots, q, ring, n)
            }
            Delays::U16(v) => {
                let slots = var(&v[a..e], t, mask, after);
                self.queue_row(bi, targets, ws, slots, q, ring, n)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn queue_row<T: Idx>(
        &self,
        bi: usize,
        targets: &[T],
        ws: Option<&[f32]>,
        slots: impl Fn(usize) -> (usize, usize),
        q: &mut EventQueue,
        ring: &mut [f64],
        n: usize,
    ) {
        match ws {
            None => {
                let off = (self.channel * n) as u32;
                for (k, &tg) in targets.iter().enumerate() {
                    let (qs, rs) = slots(k);
                    q.push(
                        qs,
                        rs,
                        EventQueue::CONST | (off + tg.idx() as u32) as u64 | (bi as u64) << 32,
                        ring,
                    );
                }
            }
            Some(ws) => {
                let (pos, neg) = route_pair(self.route);
                for (k, (&tg, &w)) in targets.iter().zip(ws).enumerate() {
                    let ch = (if w < 0.0 { neg } else { pos }) as u32;
                    let (qs, rs) = slots(k);
                    q.push(
                        qs,
                        rs,
                        (ch * n as u32 + tg.idx() as u32) as u64 | (w.to_bits() as u64) << 32,
                        ring,
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
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn deliver_queued(
        &self,
        qi: usize,
        s: u32,
        t: u64,
        q: &mut EventQueue,
        ring: &mut [f64],
        mask: u64,
        n: usize,
        scratch: &mut Scratch,
    ) {
        let tq = (t % q.slots as u64) as usize;
        let nq = q.slots;
        let constant = self.weight.is_some();
        self.for_each_local(s, scratch, |l, ch, w, d| {
            let d = d as usize;
            let qs = if tq + d >= nq { tq + d - nq } else { tq + d };
            let rs = ((t + d as u64) & mask) as usize;
            let cell = (ch * n + l) as u64;
            let ev = if constant {
                EventQueue::CONST | cell | (qi as u64) << 32
            } else {
                cell | ((w as f32).to_bits() as u64) << 32
            };
            q.push(qs, rs, ev, ring);
        })
    }
}

/// Spike events of a partition waiting for their arrival step: one append-only list per
/// arrival step (`max_delay + 1` lists of `cap` events), drained into the ring slot at
/// the start of that step's update.
///
/// Why: with per-synapse delays a spike's row is scattered over the whole ring
/// (`slots × channels × n` f64, megabytes per partition in the microcircuit), so a
/// direct add costs a cache-line read and write-back per synaptic event. Appending costs
/// 8 streamed bytes; the drain scatters into one ring slot (`channels × n` f64), which
/// stays in cache.
///
/// Same results, bit for bit: every ring cell still receives its inputs in arrival
/// order starting from 0 — a full list is emptied into its ring slot first (in order),
/// later events follow it, and the drain adds the rest before the neurons read the
/// slot. So the capacity only changes the speed, never the numbers.
///
/// Event (u64): low 32 bits = cell (`channel·n + target`, bit 31 set for a
/// constant-weight block), high 32 bits = the f32 weight's bits or the block index.
#[derive(Debug)]
pub struct EventQueue {
    /// Lists (arrival step modulo `slots`).
    pub slots: usize,
    cap: usize,
    len: Vec<u32>,
    buf: Vec<u64>,
    /// Constant weights by block index.
    consts: Vec<f64>,
    width: usize,
    /// Per list: it overflowed into its ring slot since it was last drained.
    spilled: Vec<bool>,
    /// The input slot (`width` f64) of a step whose list did not overflow; the neuron
    /// kernel zeroes it after reading.
    scratch: Vec<f64>,
    /// Lists that overflowed into the ring (a measure for tuning `cap`).
    pub overflows: u64,
}

impl EventQueue {
    const CONST: u64 = 1 << 31;

    /// Default events per list for a partition of `n` neurons.
    pub fn capacity(n: usize) -> usize {
        (QUEUE_EVENTS_PER_NEURON * n).clamp(256, 1 << 20)
    }

    /// Lists of `cap` events plus the scratch slot (`width` f64).
    pub fn bytes(cap: usize, slots: usize, width: usize) -> usize {
        slots * cap * 8 + slots * 5 + width * 8
    }

    /// `slots` lists of `cap` events; `None` if the memory cannot be reserved.
    pub fn new(cap: usize, slots: usize, width: usize, consts: Vec<f64>) -> Option<EventQueue> {
        let cap = cap.max(1);
        let mut buf = Vec::new();
        buf.try_reserve_exact(slots * cap).ok()?;
        buf.resize(slots * cap, 0u64);
        Some(EventQueue {
            slots,
            cap,
            len: vec![0; slots],
            buf,
            consts,
            width,
            spilled: vec![false; slots],
            scratch: vec![0.0; width],
            overflows: 0,
        })
    }

    #[inline(always)]
    fn weight(&self, ev: u64) -> f64 {
        let hi = (ev >> 32) as u32;
        if ev & Self::CONST != 0 {
            self.consts[hi as usize]
        } else {
            f32::from_bits(hi) as f64
        }
    }

    #[inline(always)]
    fn push(&mut self, qs: usize, rs: usize, ev: u64, ring: &mut [f64]) {
        let mut l = self.len[qs] as usize;
        if l == self.cap {
            self.drain_into(qs, &mut ring[rs * self.width..(rs + 1) * self.width]);
            self.spilled[qs] = true;
            self.overflows += 1;
            l = 0;
        }
        self.buf[qs * self.cap + l] = ev;
        self.len[qs] = l as u32 + 1;
    }

    /// Add list `qs` to `row` (one ring slot, or the scratch slot), in order, and empty it.
    #[inline]
    pub fn drain_into(&mut self, qs: usize, row: &mut [f64]) {
        let l = self.len[qs] as usize;
        for &ev in &self.buf[qs * self.cap..qs * self.cap + l] {
            let cell = (ev as u32 & !(Self::CONST as u32)) as usize;
            row[cell] += self.weight(ev);
        }
        self.len[qs] = 0;
    }

    /// The input of step `t`: list `t % slots` drained into the scratch slot — or, if the
    /// list overflowed into its ring slot since it was last drained, into that ring slot.
    #[inline]
    pub fn input<'a>(&'a mut self, t: u64, ring_row: &'a mut [f64]) -> &'a mut [f64] {
        let qs = (t % self.slots as u64) as usize;
        if self.spilled[qs] {
            self.spilled[qs] = false;
            self.drain_into(qs, ring_row);
            ring_row
        } else {
            // (A pointer swap, no allocation: the scratch slot is borrowed out of self.)
            let mut scratch = std::mem::take(&mut self.scratch);
            self.drain_into(qs, &mut scratch);
            self.scratch = scratch;
            &mut self.scratch
        }
    }

    /// Drain every list into its ring slot (before inspecting or hashing the ring).
    pub fn drain_all(&mut self, t: u64, mask: u64, ring: &mut [f64]) {
        let tq = (t % self.slots as u64) as usize;
        for d in 0..self.slots {
            let qs = if tq + d >= self.slots {
                tq + d - self.slots
            } else {
                tq + d
            };
            if self.len[qs] > 0 {
                let rs = ((t + d as u64) & mask) as usize;
                self.drain_into(qs, &mut ring[rs * self.width..(rs + 1) * self.width]);
                self.spilled[qs] = true;
            }
        }
    }
}

impl EventQueue {
    /// The waiting events as `(d, event)`: arrival at step `t + d`, lists in arrival
    /// order, events in list order (`t`: the next step to compute).
    pub fn pending(&self, t: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        for d in 0..self.slots {
            let qs = ((t + d as u64) % self.slots as u64) as usize;
            let l = self.len[qs] as usize;
            out.extend(
                self.buf[qs * self.cap..qs * self.cap + l]
                    .iter()
                    .map(|&ev| (d as u64, ev)),
            );
        }
        out
    }

    /// Empty every list and read every input from the ring ([`input`](Self::input)'s
    /// ring path, right whatever the ring holds), then append `events` as
    /// [`pending`](Self::pending) gave them (a full list spills into its ring slot, as
    /// during a run). Refuses an event whose cell or block is not of this partition.
    pub fn restore(
        &mut self,
        t: u64,
        mask: u64,
        ring: &mut [f64],
        events: &[(u64, u64)],
    ) -> Result<(), String> {
        self.len.fill(0);
        self.spilled.fill(true);
        for &(d, ev) in events {
            let cell = (ev as u32 & !(Self::CONST as u32)) as usize;
            if d >= self.slots as u64
                || cell >= self.width
                || (ev & Self::CONST != 0 && (ev >> 32) as usize >= self.consts.len())
            {
                return Err(format!(
                    "event {ev:#x} arriving in {d} steps does not fit this partition's lists"
                ));
            }
            let (qs, rs) = (
                ((t + d) % self.slots as u64) as usize,
                ((t + d) & mask) as usize,
            );
            self.push(qs, rs, ev, ring);
        }
        Ok(())
    }
}

/// Queue capacity per list, in events per neuron of the partition.
const QUEUE_EVENTS_PER_NEURON: usize = 4;

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

/// Membrane-potential samples of the partition's recorded neurons.
#[derive(Debug, Clone, Default)]
pub struct VmBuf {
    /// Number of recorded neurons in this partition (the first `n` of the partition).
    pub n: usize,
    pub interval: u64,
    /// Samples, time-major: `data[sample * n + i]`, mV (absolute).
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
    pub trains: SpikeTrainInput,
    pub train_cursor: usize,
    /// Inputs to single neurons (`spike_source_array`): (step, cell `port × n + i`,
    /// weight), sorted by step; the cursor follows from the step (not saved state).
    pub cells: Vec<(u64, u32, f64)>,
    pub cell_cursor: usize,
    pub vm: Option<VmBuf>,
}

impl Partition {
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
                        blocks[b].deliver_queued(b, s as usize, t, q, &mut self.ring, mask, n, ch);
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
                        blocks[b].deliver_queued(b, s as usize, t, q, &mut self.ring, mask, n, ch);
                    }
                    for &b in &proc_by_pop[pop as usize] {
                        procs[b].deliver_queued(nb + b, s, t, q, &mut self.ring, mask, n, scratch);
                    }
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
            let base = ((t & self.mask) as usize) * width;
            let ring_row = &mut self.ring[base..base + width];
            let slot = match &mut self.queue {
                Some(q) => q.input(t, ring_row),
                None => ring_row,
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
            let i_stim = self.current.value(t, &mut self.current_cursor);
            self.kernel.step(
                &mut self.state,
                slot,
                i_stim,
                &mut out.local,
                &mut out.payload,
            );
            out.step_end.push(out.local.len() as u32);
            if let Some(vm) = &mut self.vm
                && (t + 1).is_multiple_of(vm.interval)
            {
                let e_l = self.kernel.e_l();
                vm.data.extend(self.state.v[..vm.n].iter().map(|v| v + e_l));
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
