//! [`Simulation::build`], by stage: threads and the memory check, the build plan
//! (delays, connection plans, layout), then each partition — initial state,
//! connectivity (two passes over the same random streams), event lists, stimuli,
//! potential recorders — in parallel, and last the buffers the step loop exchanges
//! spikes through. Every random stream is keyed by (seed, purpose, neuron or
//! projection id), so the partitions can be built in any order and on any thread.

use crate::connect::{self, ProjPlan, RowPlan, Scratch};
use crate::partition::{
    Block, BlockParts, Delays, EventBudget, EventQueue, Partition, ProcBlock, SliceSpikes,
    SpikeBuf, Targets, VmBuf,
};
use crate::record::Recording;
use crate::stimulus::{
    AcDrive, CurrentSchedule, NoiseCurrentDrive, NoiseDrive, PoissonDrive, PoissonSampler,
    SpikeTrainInput,
};
use crate::{
    BuildError, BuildOptions, PartitionSpec, Simulation, delay_bounds, layout, memory, rng,
};
use cortexsim_neuron::{Analog, Kernel, NeuronModel, Route, State};
use cortexsim_spec::{
    Dist, Network, Population, Projection, Rule, Stimulus, StimulusKind, Storage,
};
use rand_distr::Distribution;
use rayon::prelude::*;
use std::sync::Arc;

mod control;

impl Simulation {
    /// Build partitions, connectivity and buffers (in parallel, deterministically).
    pub fn build(net: &Network, opts: &BuildOptions) -> Result<Simulation, BuildError> {
        let threads = thread_count(net, opts);
        let comm = opts.comm.clone();
        let (rank, ranks) = comm.as_ref().map_or((0, 1), |c| (c.rank(), c.size()));
        let (estimate, available) = check_memory(net, opts, rank, ranks)?;
        let mut plan = Plan::new(net, opts);
        // The event lists may grow beyond their reservation into what the estimate left.
        plan.budget = Arc::new(EventBudget::new(available.saturating_sub(estimate.total)));
        // This process's partitions (all of them with one process).
        let owned = match &comm {
            Some(_) => crate::exchange::rank_blocks(net, ranks)[rank].clone(),
            None => 0..plan.layout.len(),
        };
        let built = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| BuildError::Threads(threads, e.to_string()))
            .and_then(|pool| {
                let parts = pool.install(|| {
                    plan.layout[owned.clone()]
                        .par_iter()
                        .enumerate()
                        .map(|(k, spec)| plan.partition(owned.start + k, spec))
                        .collect::<Result<Vec<_>, _>>()
                })?;
                Ok((pool, parts))
            });
        // Several processes go on only if every one has built its partitions.
        let built = match (&comm, built) {
            (Some(c), b) => {
                let failed = crate::exchange::all_values(c.as_ref(), u64::from(b.is_err()));
                match (b, failed.iter().position(|&f| f > 0)) {
                    (Err(e), _) => return Err(e),
                    (Ok(_), Some(r)) => {
                        return Err(BuildError::Invalid(format!(
                            "process {r} of {ranks} could not build its partitions (its message is above)"
                        )));
                    }
                    (Ok(b), None) => b,
                }
            }
            (None, b) => b?,
        };
        let (pool, built) = built;
        let mut parts = Vec::with_capacity(built.len());
        let mut rounded_delays = 0;
        for (p, r) in built {
            rounded_delays += r;
            parts.push(p);
        }
        let (mut synapses_per_projection, mut synapse_bytes) =
            synapse_counts(&parts, &plan.rows, net.projections.len());
        let mut row_index_bytes: u64 = parts
            .iter()
            .flat_map(|p| &p.blocks)
            .map(|b| b.index_bytes() as u64)
            .sum();
        if let Some(c) = &comm {
            // Global counts on every process.
            let mut v = synapses_per_projection.clone();
            v.extend([row_index_bytes, synapse_bytes, rounded_delays]);
            c.sum(&mut v);
            rounded_delays = v.pop().unwrap_or(0);
            synapse_bytes = v.pop().unwrap_or(0);
            row_index_bytes = v.pop().unwrap_or(0);
            synapses_per_projection = v;
        }
        let synapses = synapses_per_projection.iter().sum();
        let mut warnings = net.warnings.clone();
        if rounded_delays > 0 {
            warnings.push(format!(
                "{rounded_delays} of {synapses} synaptic delays drawn from distributions were rounded to whole steps of dt = {} ms",
                net.simulation.dt
            ));
        }
        let row_var_delays = net
            .projections
            .iter()
            .zip(&plan.rows)
            .filter(|(pr, rows)| rows.is_some() && pr.delay.constant().is_none())
            .count();
        if row_var_delays > 0 {
            warnings.push(format!(
                "{row_var_delays} projections drawn per source (procedural or fixed_outdegree) draw their delays from distributions: each delay is rounded to whole steps of dt = {} ms (not counted)",
                net.simulation.dt
            ));
        }
        let min_delay = plan.min_delay;
        let bufs_cur = spike_buffers(net, &parts, min_delay)?;
        let prev_spikes = exchange_buffer(net, min_delay)?;
        let recording = Recording::new(net, opts.keep_spikes);
        let n_parts = parts.len();
        let exchange: Box<dyn crate::exchange::Exchange> = match &comm {
            Some(c) => {
                let local: usize = parts.iter().map(|p| p.n).sum();
                Box::new(crate::exchange::Distributed::new(
                    std::sync::Arc::clone(c),
                    net,
                    local,
                    min_delay as usize,
                )?)
            }
            None => Box::new(crate::exchange::SingleProcess {
                partitions: n_parts,
            }),
        };
        Ok(Simulation {
            net: net.clone(),
            parts,
            prev_spikes,
            bufs_cur,
            exchange,
            local_ids: owned.collect(),
            rank,
            ranks,
            comm,
            agreed_stop: false,
            pending_error: None,
            prev_t0: 0,
            t: 0,
            min_delay,
            max_delay: plan.max_delay,
            synapses,
            synapses_per_projection,
            synapse_bytes,
            row_index_bytes,
            rounded_delays,
            pool: std::sync::Arc::new(pool),
            threads,
            recording,
            warnings,
            estimate,
            bad: vec![None; n_parts],
        })
    }
}

/// Worker threads: the option, else the network's `simulation.threads`, else all cores.
fn thread_count(net: &Network, opts: &BuildOptions) -> usize {
    match (opts.threads, net.simulation.threads) {
        (0, 0) => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        (0, t) => t,
        (t, _) => t,
    }
}

/// The memory estimate of this process and the memory available to it, refused when
/// the estimate exceeds the limit (contract 5). Several processes agree: if any one's
/// estimate exceeds its limit, every one refuses with the numbers of the first such
/// process.
fn check_memory(
    net: &Network,
    opts: &BuildOptions,
    rank: usize,
    ranks: usize,
) -> Result<(memory::Estimate, u64), BuildError> {
    let estimate = memory::estimate_rank(net, opts.output_file, ranks, rank);
    let available = opts.max_memory.unwrap_or_else(memory::available_bytes);
    if let Some(c) = &opts.comm {
        let needed = crate::exchange::all_values(c.as_ref(), estimate.total);
        let avail = crate::exchange::all_values(c.as_ref(), available);
        if let Some(r) = (0..ranks).find(|&r| needed[r] > avail[r]) {
            let detail = if r == rank {
                estimate.detail()
            } else {
                memory::estimate_rank(net, opts.output_file, ranks, r).detail()
            };
            return Err(BuildError::OutOfMemory {
                needed: needed[r],
                available: avail[r],
                detail: format!("process {r} of {ranks}: {detail}"),
            });
        }
        return Ok((estimate, available));
    }
    if estimate.total > available {
        return Err(BuildError::OutOfMemory {
            needed: estimate.total,
            available,
            detail: estimate.detail(),
        });
    }
    Ok((estimate, available))
}

/// What every partition's build reads: the network, delay bounds, connection plans,
/// the layout and the global ids.
struct Plan<'a> {
    net: &'a Network,
    opts: &'a BuildOptions,
    min_delay: u64,
    max_delay: u64,
    /// What the event lists may grow by beyond their reservations (shared).
    budget: Arc<EventBudget>,
    plans: Vec<ProjPlan>,
    /// Per projection: its per-source plan (procedural projections and stored
    /// `fixed_outdegree`), shared by the target's partitions.
    rows: Vec<Option<Arc<RowPlan>>>,
    layout: Vec<PartitionSpec>,
    offsets: Vec<u32>,
    seed: u64,
    dt: f64,
}

impl<'a> Plan<'a> {
    fn new(net: &'a Network, opts: &'a BuildOptions) -> Plan<'a> {
        let (min_delay, max_delay) = delay_bounds(net);
        Plan {
            net,
            opts,
            min_delay,
            max_delay,
            budget: Arc::new(EventBudget::new(0)),
            plans: projection_plans(net),
            rows: row_plans(net),
            layout: layout(net),
            offsets: net.offsets(),
            seed: net.simulation.seed,
            dt: net.simulation.dt,
        }
    }

    fn steps_of(&self, ms: f64) -> u64 {
        (ms / self.dt).round() as u64
    }

    /// One partition, and how many of its delays were rounded to whole steps.
    fn partition(
        &self,
        index: usize,
        spec: &PartitionSpec,
    ) -> Result<(Partition, u64), BuildError> {
        let &PartitionSpec {
            pop,
            offset,
            size: n,
        } = spec;
        let p = &self.net.populations[pop];
        let first_gid = self.offsets[pop] + offset;
        let kernel = p.model.kernel(self.dt);
        let channels = p.model.n_ports();
        let state = self.initial_state(p, &kernel, first_gid, n);
        let (blocks, proc_blocks, rounded) = self.blocks(spec, channels)?;
        let queue = self.event_queue(pop, &blocks, &proc_blocks, channels, n as usize)?;
        // A ring only without event lists, as deep as the partition's own delays need.
        let slots = match queue {
            Some(_) => 0,
            None => memory::ring_slots(self.net, pop),
        };
        let ring = try_vec(slots as usize * channels * n as usize, 0.0, "ring buffers")?;
        let mut blocks_by_pop = vec![Vec::new(); self.net.populations.len()];
        for (bi, b) in blocks.iter().enumerate() {
            blocks_by_pop[b.src_pop()].push(bi);
        }
        let ports = p.model.ports();
        let block_payload = blocks
            .iter()
            .map(|b| match b.route() {
                Route::Port(q) => ports[q].payload,
                Route::BySign { pos, neg } => ports[pos].payload && ports[neg].payload,
            })
            .collect();
        let mut proc_by_pop = Vec::new();
        let mut scratch = Scratch::default();
        if !proc_blocks.is_empty() {
            proc_by_pop = vec![Vec::new(); self.net.populations.len()];
            let (mut words, mut chosen) = (0, 0);
            for (bi, b) in proc_blocks.iter().enumerate() {
                proc_by_pop[b.src_pop()].push(bi);
                words = words.max(b.plan().scratch_words());
                if b.plan().scratch_words() > 0 {
                    chosen = chosen.max(
                        (0..b.plan().n_src).fold(0f64, |m, s| m.max(b.plan().out_degree(s)))
                            as usize,
                    );
                }
            }
            scratch.reserve(words, chosen);
        }
        let inputs = self.inputs(pop, p)?;
        let rngs =
            if inputs.poisson.is_empty() && inputs.noise.is_empty() {
                rng::StreamBank::default()
            } else {
                rng::StreamBank::new((0..n).map(|i| {
                    rng::stream(self.seed, rng::purpose::POISSON, 0, (first_gid + i) as u64)
                }))
            };
        let analog = self.vm_buffers(spec);
        Ok((
            Partition {
                index,
                pop,
                first_gid,
                pop_offset: offset,
                n: n as usize,
                kernel,
                state,
                channels,
                ring,
                mask: slots.max(1) - 1,
                blocks,
                queue,
                blocks_by_pop,
                block_payload,
                proc_blocks,
                proc_by_pop,
                scratch,
                poisson: inputs.poisson,
                noise: inputs.noise,
                rngs,
                current: CurrentSchedule::from_windows(&inputs.windows),
                current_cursor: 0,
                ac: inputs.ac,
                noise_current: inputs.noise_current,
                trains: SpikeTrainInput {
                    events: inputs.events,
                },
                train_cursor: 0,
                cells: self.cell_inputs(spec)?,
                cell_cursor: 0,
                analog,
            },
            rounded,
        ))
    }

    /// Initial potentials, one stream per neuron.
    fn initial_state(&self, p: &Population, kernel: &Kernel, first_gid: u32, n: u32) -> State {
        let v0: Vec<f64> = (0..n)
            .map(|i| {
                let mut r = rng::stream(self.seed, rng::purpose::V_INIT, 0, (first_gid + i) as u64);
                connect::sample(&p.v_init, &mut r) - kernel.e_l()
            })
            .collect();
        State::new(kernel, v0)
    }

    /// The synapse blocks onto the partition, one per incoming stored projection, and
    /// the procedural blocks, one per incoming procedural projection, each in file order.
    fn blocks(
        &self,
        spec: &PartitionSpec,
        channels: usize,
    ) -> Result<(Vec<Block>, Vec<ProcBlock>, u64), BuildError> {
        let mut blocks = Vec::new();
        let mut procs = Vec::new();
        let mut rounded = 0u64;
        let mut scratch = Scratch::default();
        for (pi, pr) in self.net.projections.iter().enumerate() {
            if pr.target != spec.pop {
                continue;
            }
            if pr.storage == Storage::Procedural {
                procs.push(self.proc_block(pi, pr, spec)?);
                continue;
            }
            let (block, r) = self.block(pi, pr, spec, channels, &mut scratch)?;
            blocks.push(block);
            rounded += r;
        }
        Ok((blocks, procs, rounded))
    }

    /// A procedural projection's block on the partition (nothing per synapse).
    fn proc_block(
        &self,
        pi: usize,
        pr: &Projection,
        spec: &PartitionSpec,
    ) -> Result<ProcBlock, BuildError> {
        let plan = self.rows[pi].clone().ok_or_else(|| {
            BuildError::Invalid(format!(
                "projections[{pi}].storage: \"procedural\" needs rule fixed_total_number, pairwise_bernoulli or fixed_outdegree"
            ))
        })?;
        if self.net.populations[pr.source].model.has_payload() {
            return Err(BuildError::Invalid(format!(
                "projections[{pi}].storage: \"procedural\" projections from a model whose spikes carry a payload ({}) are not supported yet; store this projection",
                self.net.populations[pr.source].model.name()
            )));
        }
        let model = &self.net.populations[spec.pop].model;
        let routing = route(model, pr.receptor.as_deref(), &format!("projections[{pi}]"))?;
        let routing = match pr.weight.constant() {
            Some(w) => routing.fixed(w),
            None => routing,
        };
        Ok(ProcBlock::new(
            plan,
            self.seed,
            pr.source,
            spec.offset,
            spec.size as usize,
            routing,
        ))
    }

    /// Call `f(source, target_local, weight, delay_steps)` for every synapse of
    /// projection `pi` onto the partition `off..off + n` of its target population, in
    /// CSR order: per target for the rules drawn per target ([`ProjPlan::for_each`]),
    /// per source for `fixed_outdegree` ([`RowPlan::row`], the rows procedural delivery
    /// regenerates). Returns the number of delays rounded to the grid (counted for the
    /// per-target rules only; rows are covered by the build's warning on row delays).
    fn for_each_synapse<F: FnMut(u32, u32, f64, u32)>(
        &self,
        pi: usize,
        off: u32,
        n: u32,
        scratch: &mut Scratch,
        mut f: F,
    ) -> u64 {
        if let (Rule::FixedOutdegree { .. }, Some(rows)) =
            (self.net.projections[pi].rule, &self.rows[pi])
        {
            for s in 0..rows.n_src {
                rows.row(self.seed, s, scratch, |j, w, d| {
                    if j >= off && j < off + n {
                        f(s, j - off, w, d);
                    }
                });
            }
            return 0;
        }
        let plan = &self.plans[pi];
        let mut rounded = 0;
        for j in off..off + n {
            rounded += plan.for_each(self.seed, j, scratch, |s, w, d| f(s, j - off, w, d));
        }
        rounded
    }

    /// One projection's synapses onto the partition: pass 1 counts the row lengths,
    /// pass 2 fills the rows from the same streams in the same order. Partitions larger
    /// than two [`BUILD_TILE`]s are built tile by tile ([`Plan::block_tiled`]).
    fn block(
        &self,
        pi: usize,
        pr: &Projection,
        spec: &PartitionSpec,
        channels: usize,
        scratch: &mut Scratch,
    ) -> Result<(Block, u64), BuildError> {
        let (off, n) = (spec.offset, spec.size);
        let plan = &self.plans[pi];
        let ns = plan.n_src as usize;
        if n > 2 * BUILD_TILE && !matches!(pr.rule, Rule::FixedOutdegree { .. }) {
            return self.block_tiled(pi, pr, spec, channels, scratch);
        }
        // Pass 1: row lengths.
        let mut indptr = try_vec(ns + 1, 0u32, "CSR row pointers")?;
        let mut total: u64 = 0;
        self.for_each_synapse(pi, off, n, scratch, |s, _, _, _| {
            indptr[s as usize + 1] += 1;
            total += 1;
        });
        check_partition_synapses(pi, total)?;
        for s in 0..ns {
            indptr[s + 1] += indptr[s];
        }
        // Pass 2: fill (same streams, same order).
        let (mut targets, mut weights, mut delays) = self.block_arrays(pr, n, total)?;
        let mut fill: Vec<u32> = indptr[..ns].to_vec();
        let rounded = self.for_each_synapse(pi, off, n, scratch, |s, l, w, d| {
            let k = fill[s as usize] as usize;
            fill[s as usize] += 1;
            targets.set(k, l);
            if let Some(ws) = weights.as_mut() {
                ws[k] = w as f32;
            }
            match &mut delays {
                Delays::U8(v) => v[k] = d as u8,
                Delays::U16(v) => v[k] = d as u16,
                Delays::Const(_) => {}
            }
        });
        let block = self.finish_block(pi, pr, spec, channels, indptr, targets, weights, delays)?;
        Ok((block, rounded))
    }

    /// A block's zeroed synapse arrays for `total` synapses onto a partition of `n`:
    /// targets, weights if the projection's vary, delays if they vary.
    fn block_arrays(
        &self,
        pr: &Projection,
        n: u32,
        total: u64,
    ) -> Result<(Targets, Option<Vec<f32>>, Delays), BuildError> {
        let targets = Targets::for_partition(n as usize, total as usize).ok_or_else(|| {
            BuildError::OutOfMemory {
                needed: total * Targets::bytes_for(n as usize) as u64,
                available: memory::available_bytes(),
                detail: "allocating synapse targets".into(),
            }
        })?;
        let weights = if pr.weight.constant().is_none() {
            Some(try_vec(total as usize, 0f32, "synapse weights")?)
        } else {
            None
        };
        Ok((targets, weights, self.delay_storage(pr, total as usize)?))
    }

    /// The block from its filled CSR arrays.
    #[allow(clippy::too_many_arguments)]
    fn finish_block(
        &self,
        pi: usize,
        pr: &Projection,
        spec: &PartitionSpec,
        channels: usize,
        indptr: Vec<u32>,
        targets: Targets,
        weights: Option<Vec<f32>>,
        delays: Delays,
    ) -> Result<Block, BuildError> {
        let n = spec.size;
        let w0 = pr.weight.constant().unwrap_or(0.0);
        let model = &self.net.populations[spec.pop].model;
        let routing = route(model, pr.receptor.as_deref(), &format!("projections[{pi}]"))?;
        let hetero_w = pr.weight.constant().is_none();
        let block = Block::new_unchecked(BlockParts {
            projection: pi,
            src_pop: pr.source,
            n_post: n as usize,
            indptr,
            targets,
            weights,
            weight: w0,
            ports: channels,
            route: if hetero_w { routing } else { routing.fixed(w0) },
            delays,
        });
        Ok(block)
    }

    /// [`block`](Self::block) for a large partition, tile by tile. Written directly,
    /// the synapses (generated in target order) land all over the block's source-major
    /// arrays, hundreds of megabytes for a partition of 25,000 neurons: nearly every
    /// write missed every cache (19.6 ns per synapse at N = 4·10⁵ with 32 partitions
    /// against 7.6 at N = 5·10⁴, `perf`: 55 % in the fill). Here pass 1 counts each
    /// tile's row lengths, and each tile is then filled into its own small CSR (which
    /// stays in cache) and appended row by row to the block's arrays: one sweep in
    /// source order per tile. The arrays are the same as written directly (each row
    /// receives its tiles in target order, each tile's piece in generation order).
    fn block_tiled(
        &self,
        pi: usize,
        pr: &Projection,
        spec: &PartitionSpec,
        channels: usize,
        scratch: &mut Scratch,
    ) -> Result<(Block, u64), BuildError> {
        let (off, n) = (spec.offset, spec.size);
        let ns = self.plans[pi].n_src as usize;
        let tiles: Vec<(u32, u32)> = (0..n)
            .step_by(BUILD_TILE as usize)
            .map(|a| (a, BUILD_TILE.min(n - a)))
            .collect();
        // Pass 1: row lengths per tile, and of the block.
        let mut lens: Vec<Vec<u32>> = Vec::with_capacity(tiles.len());
        let mut total: u64 = 0;
        for &(a, m) in &tiles {
            let mut len = try_vec(ns, 0u32, "CSR row pointers")?;
            self.for_each_synapse(pi, off + a, m, scratch, |s, _, _, _| {
                len[s as usize] += 1;
            });
            total += len.iter().map(|&x| x as u64).sum::<u64>();
            lens.push(len);
        }
        check_partition_synapses(pi, total)?;
        let mut indptr = try_vec(ns + 1, 0u32, "CSR row pointers")?;
        for s in 0..ns {
            indptr[s + 1] = indptr[s] + lens.iter().map(|l| l[s]).sum::<u32>();
        }
        let (mut targets, mut weights, mut delays) = self.block_arrays(pr, n, total)?;
        // Pass 2, per tile: its own CSR, then appended to every row.
        let mut fill: Vec<u32> = indptr[..ns].to_vec();
        let mut tptr = vec![0u32; ns + 1];
        let (mut tt, mut tw, mut td) = (Vec::<u16>::new(), Vec::<f32>::new(), Vec::<u32>::new());
        let mut rounded = 0;
        for (&(a, m), len) in tiles.iter().zip(&lens) {
            for s in 0..ns {
                tptr[s + 1] = tptr[s] + len[s];
            }
            let tn = tptr[ns] as usize;
            tt.clear();
            tt.resize(tn, 0);
            if weights.is_some() {
                tw.clear();
                tw.resize(tn, 0.0);
            }
            if !matches!(delays, Delays::Const(_)) {
                td.clear();
                td.resize(tn, 0);
            }
            let mut tfill: Vec<u32> = tptr[..ns].to_vec();
            rounded += self.for_each_synapse(pi, off + a, m, scratch, |s, l, w, d| {
                let k = tfill[s as usize] as usize;
                tfill[s as usize] += 1;
                // l < m <= BUILD_TILE: fits u16.
                tt[k] = l as u16;
                if !tw.is_empty() {
                    tw[k] = w as f32;
                }
                if !td.is_empty() {
                    td[k] = d;
                }
            });
            for s in 0..ns {
                let (x, y) = (tptr[s] as usize, tptr[s + 1] as usize);
                let k = fill[s] as usize;
                match &mut targets {
                    Targets::U16(v) => v[k..k + y - x]
                        .iter_mut()
                        .zip(&tt[x..y])
                        .for_each(|(o, &l)| *o = a as u16 + l),
                    Targets::U32(v) => v[k..k + y - x]
                        .iter_mut()
                        .zip(&tt[x..y])
                        .for_each(|(o, &l)| *o = a + l as u32),
                }
                if let Some(ws) = weights.as_mut() {
                    ws[k..k + y - x].copy_from_slice(&tw[x..y]);
                }
                match &mut delays {
                    Delays::U8(v) => v[k..k + y - x]
                        .iter_mut()
                        .zip(&td[x..y])
                        .for_each(|(o, &d)| *o = d as u8),
                    Delays::U16(v) => v[k..k + y - x]
                        .iter_mut()
                        .zip(&td[x..y])
                        .for_each(|(o, &d)| *o = d as u16),
                    Delays::Const(_) => {}
                }
                fill[s] += (y - x) as u32;
            }
        }
        let block = self.finish_block(pi, pr, spec, channels, indptr, targets, weights, delays)?;
        Ok((block, rounded))
    }

    /// One delay for the projection, or one per synapse in the narrowest type that holds
    /// the largest delay in steps.
    fn delay_storage(&self, pr: &Projection, total: usize) -> Result<Delays, BuildError> {
        let (_, dmax) = pr.delay.bounds();
        let dmax_steps = connect::delay_steps(dmax, self.dt).0;
        Ok(match pr.delay {
            Dist::Const { value } => Delays::Const(connect::delay_steps(value, self.dt).0),
            _ if dmax_steps <= u8::MAX as u32 => Delays::U8(try_vec(total, 0u8, "synapse delays")?),
            _ => Delays::U16(try_vec(total, 0u16, "synapse delays")?),
        })
    }

    /// Event lists when any incoming projection has per-synapse delays (then for all
    /// its blocks, so every cell keeps one arrival order), as
    /// [`memory::uses_event_lists`] decides: not for partitions that receive spikes with
    /// a payload (added to the ring directly) or whose cells do not fit an event's 31
    /// bits. Reserved for the estimate's events in flight ([`memory::event_reserve`]).
    fn event_queue(
        &self,
        pop: usize,
        blocks: &[Block],
        procs: &[ProcBlock],
        channels: usize,
        n: usize,
    ) -> Result<Option<EventQueue>, BuildError> {
        let opts = self.opts;
        if !memory::uses_event_lists(self.net, pop, n, opts.queue_capacity) {
            return Ok(None);
        }
        // Constant weights by block index: the stored blocks, then the procedural ones.
        let consts = blocks
            .iter()
            .map(|b| b.weight())
            .chain(procs.iter().map(|b| b.weight().unwrap_or(0.0)))
            .collect();
        let lists = self.max_delay as usize + 1;
        let (reserve, chunk) = memory::event_reserve(self.net, pop, n, lists);
        let chunk = opts.queue_capacity.unwrap_or(chunk);
        let budget = Arc::clone(&self.budget);
        EventQueue::new(chunk, lists, channels * n, consts, reserve, budget)
            .ok_or_else(|| BuildError::OutOfMemory {
                needed: EventQueue::bytes(reserve as u64, chunk, lists, channels * n),
                available: memory::available_bytes(),
                detail: "spike event lists".into(),
            })
            .map(Some)
    }

    /// The stimuli targeting population `pop`, as a partition's inputs.
    fn inputs(&self, pop: usize, p: &Population) -> Result<Inputs, BuildError> {
        let mut inputs = Inputs::default();
        for (si, st) in self
            .net
            .stimuli
            .iter()
            .enumerate()
            .filter(|(_, s)| s.target == pop)
        {
            self.add_stimulus(&mut inputs, si, st, p)?;
        }
        inputs.events.sort_by_key(|e| e.0);
        Ok(inputs)
    }

    fn add_stimulus(
        &self,
        inputs: &mut Inputs,
        si: usize,
        st: &Stimulus,
        p: &Population,
    ) -> Result<(), BuildError> {
        let dt = self.dt;
        let (start, stop) = (self.steps_of(st.start), self.steps_of(st.stop));
        let routing = || route(&p.model, st.receptor.as_deref(), &format!("stimuli[{si}]"));
        match &st.kind {
            StimulusKind::Poisson {
                rate,
                indegree,
                weight,
                rate_sd,
                rate_redraw,
            } => {
                let channel = routing()?.port(*weight);
                let drive = |rate: f64, start, stop| PoissonDrive {
                    sampler: PoissonSampler::new(rate * *indegree as f64 * dt * 1e-3),
                    weight: *weight,
                    channel,
                    start,
                    stop,
                };
                if *rate_sd > 0.0 {
                    // One drive per interval, its rate drawn from the stream of
                    // (seed, stimulus, interval): the same in every partition.
                    let every = self.steps_of(*rate_redraw).max(1);
                    let mut a = start;
                    let mut k = 0u64;
                    while a < stop {
                        let b = (a + every).min(stop);
                        let mut r = rng::stream(self.seed, rng::purpose::RATE_REDRAW, si as u64, k);
                        let z: f64 = rand_distr::StandardNormal.sample(&mut r);
                        inputs
                            .poisson
                            .push(drive((rate + rate_sd * z).max(0.0), a, b));
                        a = b;
                        k += 1;
                    }
                } else {
                    inputs.poisson.push(drive(*rate, start, stop));
                }
            }
            StimulusKind::Dc { amplitude } => inputs.windows.push((start, stop, *amplitude)),
            StimulusKind::Ac {
                amplitude,
                offset,
                frequency,
                phase,
            } => {
                if stop > start {
                    inputs.ac.push(AcDrive {
                        start,
                        stop,
                        ..AcDrive::new(*amplitude, *offset, *frequency, *phase, dt)
                    });
                }
            }
            StimulusKind::NoiseCurrent {
                mean,
                std,
                dt: every,
            } => {
                if stop > start {
                    inputs.noise_current.push(NoiseCurrentDrive {
                        seed: self.seed,
                        stimulus: si as u64,
                        mean: *mean,
                        std: *std,
                        every: self.steps_of(*every).max(1),
                        start,
                        stop,
                        held: None,
                    });
                }
            }
            StimulusKind::Noise { mean, sigma } => {
                let core = p.model.core();
                // The mean acts as the current mean C/tau_m (exact with P30).
                if *mean != 0.0 {
                    inputs
                        .windows
                        .push((start, stop, mean * core.c_m / core.tau_m));
                }
                if *sigma > 0.0 {
                    inputs.noise.push(NoiseDrive {
                        scale: sigma * ((-(-2.0 * dt / core.tau_m).exp_m1()) / 2.0).sqrt(),
                        start,
                        stop,
                    });
                }
            }
            StimulusKind::Step { epochs } => {
                for e in epochs {
                    let (a, b) = (
                        self.steps_of(e.start.max(st.start)),
                        self.steps_of(e.stop.min(st.stop)),
                    );
                    if b > a {
                        inputs.windows.push((a, b, e.amplitude));
                    }
                }
            }
            // Per neuron: `cell_inputs`.
            StimulusKind::SourceTimes { .. } => {}
            StimulusKind::SpikeTrain {
                times,
                weights,
                delay,
            } => {
                let d = self.steps_of(*delay);
                let routing = routing()?;
                for (&t, &w) in times.iter().zip(weights) {
                    let k = self.steps_of(t);
                    if k >= start.max(1) && k < stop.max(1) + 1 {
                        inputs.events.push((k - 1 + d, routing.port(w), w));
                    }
                }
            }
        }
        Ok(())
    }

    /// The partition's inputs to single neurons: each `source_times` time `T` of its
    /// neurons as weight 1 in the step that ends at `T` (so a parrot spikes at `T`),
    /// within `[dt, t_stop]`; sorted by step, then neuron.
    fn cell_inputs(&self, spec: &PartitionSpec) -> Result<Vec<(u64, u32, f64)>, BuildError> {
        let mut cells = Vec::new();
        let steps = self.net.simulation.steps;
        for (si, st) in self.net.stimuli.iter().enumerate() {
            let StimulusKind::SourceTimes { times } = &st.kind else {
                continue;
            };
            if st.target != spec.pop {
                continue;
            }
            let model = &self.net.populations[spec.pop].model;
            let port = route(model, st.receptor.as_deref(), &format!("stimuli[{si}]"))?.port(1.0);
            for i in 0..spec.size {
                let Some(ts) = times.get((spec.offset + i) as usize) else {
                    continue;
                };
                for &t in ts {
                    let k = self.steps_of(t);
                    if k >= 1 && k <= steps {
                        cells.push((k - 1, (port as u32) * spec.size + i, 1.0));
                    }
                }
            }
        }
        cells.sort_by_key(|e| (e.0, e.1));
        Ok(cells)
    }

    /// The share of the partition (its first `n` neurons of the population) of each
    /// variable's first recorder on the population, in [`Analog::ALL`] order.
    fn vm_buffers(&self, spec: &PartitionSpec) -> Vec<VmBuf> {
        let (off, n) = (spec.offset, spec.size);
        Analog::ALL
            .into_iter()
            .filter_map(|var| {
                self.net
                    .recorders
                    .analog(var)
                    .iter()
                    .find(|r| r.population == spec.pop && r.n > off)
                    .map(|r| VmBuf {
                        var,
                        n: (r.n - off).min(n) as usize,
                        interval: self.steps_of(r.interval).max(1),
                        data: Vec::new(),
                    })
            })
            .collect()
    }
}

/// A partition's inputs from stimuli, before they become its schedules.
#[derive(Default)]
struct Inputs {
    poisson: Vec<PoissonDrive>,
    noise: Vec<NoiseDrive>,
    /// Current windows (start step, stop step, amplitude).
    windows: Vec<(u64, u64, f64)>,
    ac: Vec<AcDrive>,
    noise_current: Vec<NoiseCurrentDrive>,
    /// Spike-train events (arrival step, channel, weight), sorted by arrival.
    events: Vec<(u64, usize, f64)>,
}

/// The connection plan of every projection (fixed totals are split among targets here,
/// from the projection's own stream).
fn projection_plans(net: &Network) -> Vec<ProjPlan> {
    let offsets = net.offsets();
    net.projections
        .iter()
        .enumerate()
        .map(|(i, pr)| {
            let (ns, nt) = (
                net.populations[pr.source].size,
                net.populations[pr.target].size,
            );
            let counts = match pr.rule {
                Rule::FixedTotalNumber { n } => {
                    let avail = if pr.source == pr.target && !pr.autapses {
                        ns - 1
                    } else {
                        ns
                    };
                    Some(ProjPlan::total_number_counts(
                        net.simulation.seed,
                        i,
                        n,
                        nt,
                        avail,
                        pr.multapses,
                    ))
                }
                _ => None,
            };
            ProjPlan {
                index: i,
                n_src: ns,
                n_tgt: nt,
                tgt_first_gid: offsets[pr.target],
                rule: pr.rule,
                autapses: pr.autapses,
                multapses: pr.multapses,
                same: pr.source == pr.target,
                weight: pr.weight,
                delay: pr.delay,
                dt: net.simulation.dt,
                counts,
                list: pr.connections.clone(),
            }
        })
        .collect()
}

/// The per-source plan of every projection drawn per source: procedural projections
/// and stored `fixed_outdegree` (out-degrees of procedural `fixed_total_number` drawn
/// here, projections in parallel; each from its own stream).
fn row_plans(net: &Network) -> Vec<Option<Arc<RowPlan>>> {
    net.projections
        .par_iter()
        .enumerate()
        .map(|(i, pr)| {
            if pr.storage != Storage::Procedural && !matches!(pr.rule, Rule::FixedOutdegree { .. })
            {
                return None;
            }
            RowPlan::new(
                net.simulation.seed,
                i,
                pr.rule,
                net.populations[pr.source].size,
                net.populations[pr.target].size,
                pr.source == pr.target,
                pr.autapses,
                pr.multapses,
                pr.weight,
                pr.delay,
                net.simulation.dt,
            )
            .map(Arc::new)
        })
        .collect()
}

/// Synapses per projection and bytes of synapse storage, over all partitions; a
/// procedural projection counts its synapses (the expectation for
/// `pairwise_bernoulli`) and its out-degree table, once.
fn synapse_counts(
    parts: &[Partition],
    rows: &[Option<Arc<RowPlan>>],
    projections: usize,
) -> (Vec<u64>, u64) {
    let mut per_projection = vec![0u64; projections];
    let mut bytes = 0u64;
    for p in parts {
        for b in &p.blocks {
            per_projection[b.projection()] += b.n_synapses() as u64;
            bytes += b.bytes() as u64;
        }
    }
    let procedural = parts
        .iter()
        .flat_map(|p| p.proc_blocks.iter().map(|b| b.projection()))
        .collect::<std::collections::BTreeSet<_>>();
    for i in procedural {
        if let Some(r) = &rows[i] {
            per_projection[i] = r.synapses().round() as u64;
            if let connect::RowCount::PerSource(c) = &r.count {
                bytes += c.len() as u64 * 4;
            }
        }
    }
    (per_projection, bytes)
}

/// Per partition: the buffer its neurons' spikes of one slice are written to.
fn spike_buffers(
    net: &Network,
    parts: &[Partition],
    min_delay: u64,
) -> Result<Vec<SpikeBuf>, BuildError> {
    parts
        .iter()
        .map(|p| {
            let mut local = Vec::new();
            local
                .try_reserve_exact(p.n * min_delay as usize)
                .map_err(|_| BuildError::OutOfMemory {
                    needed: (p.n * min_delay as usize * 4) as u64,
                    available: memory::available_bytes(),
                    detail: "spike buffers".into(),
                })?;
            let mut payload = Vec::new();
            if net.populations[p.pop].model.has_payload() {
                payload
                    .try_reserve_exact(p.n * min_delay as usize)
                    .map_err(|_| BuildError::OutOfMemory {
                        needed: (p.n * min_delay as usize * 8) as u64,
                        available: memory::available_bytes(),
                        detail: "spike payload buffers".into(),
                    })?;
            }
            Ok(SpikeBuf {
                pop: p.pop,
                pop_offset: p.pop_offset,
                local,
                payload,
                step_end: Vec::with_capacity(min_delay as usize + 1),
                len: 0,
            })
        })
        .collect()
}

/// The one list of a slice's spikes, in delivery order, that every partition reads
/// (every neuron's: with several processes it holds the others' spikes too).
fn exchange_buffer(net: &Network, min_delay: u64) -> Result<SliceSpikes, BuildError> {
    let n_total = net.n_neurons() as usize;
    let with_payload = net.populations.iter().any(|p| p.model.has_payload());
    let slice_spikes = if with_payload {
        SliceSpikes::with_payload
    } else {
        SliceSpikes::with_capacity
    };
    slice_spikes(n_total * min_delay as usize, min_delay as usize).ok_or_else(|| {
        BuildError::OutOfMemory {
            needed: (n_total * min_delay as usize * 8) as u64,
            available: memory::available_bytes(),
            detail: "spike exchange buffer".into(),
        }
    })
}

/// Where the weights of a projection or stimulus (`what`, its key path) go on `model`
/// (validated with the network; checked again for networks built in code).
fn route(model: &NeuronModel, receptor: Option<&str>, what: &str) -> Result<Route, BuildError> {
    model.route(receptor).ok_or_else(|| {
        BuildError::Invalid(match receptor {
            Some(r) => format!(
                "{what}.receptor: unknown receptor \"{r}\" of {} (ports: {})",
                model.name(),
                model.port_list()
            ),
            None => format!(
                "{what}.receptor: is required for {} (ports: {})",
                model.name(),
                model.port_list()
            ),
        })
    })
}

/// Row pointers are u32: a block holds at most `u32::MAX` synapses.
fn check_partition_synapses(pi: usize, total: u64) -> Result<(), BuildError> {
    if total > u32::MAX as u64 {
        return Err(BuildError::Invalid(format!(
            "projections[{pi}]: {total} synapses onto one partition; lower simulation.partition_size"
        )));
    }
    Ok(())
}

/// Target neurons per tile when a large partition's blocks are built
/// ([`Plan::block_tiled`]): a tile's CSR (in-degree × 1,024 synapses) stays in cache
/// (measured at N = 4·10⁵, K = 5,000: tiles of 512, 1,024, 2,048 built in 23.4, 23.0, 25.2 s).
const BUILD_TILE: u32 = 1024;

pub(crate) fn try_vec<T: Clone>(n: usize, v: T, what: &str) -> Result<Vec<T>, BuildError> {
    let mut x = Vec::new();
    x.try_reserve_exact(n)
        .map_err(|_| BuildError::OutOfMemory {
            needed: (n * std::mem::size_of::<T>()) as u64,
            available: memory::available_bytes(),
            detail: format!("allocating {what}"),
        })?;
    x.resize(n, v);
    Ok(x)
}
