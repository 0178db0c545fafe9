//! Memory planning: what a network will need, computed from the spec alone, before
//! anything large is allocated (`cortexsim inspect`, `--max-memory`).
//!
//! Bytes per synapse: 2 (u16 target index, partition-local; 4 (u32) for partitions
//! above 65,536 neurons) + 4 if the projection's
//! weights vary (f32) + 1 or 2 if its delays vary (u8/u16 steps). Per partition and
//! incoming projection a CSR row-pointer array of `n_src + 1` u32. State: 12–44 bytes
//! per neuron by model; Poisson-driven neurons carry a 32-byte random stream.
//! Recorders: 32 bytes per neuron of spike statistics, the rate bins, the sampled
//! potentials and the output buffer (4 MiB resident on average).
//!
//! Delays: what is in flight, not the largest delay × neurons. A partition with a
//! per-synapse-delay projection onto it holds its inputs in event lists
//! ([`EventQueue`], [`uses_event_lists`]): 8 bytes per synaptic event from its delivery
//! to its arrival step, in chunks from a pool, reserved for the events in flight at
//! [`ASSUMED_RATE_HZ`] — every incoming synapse's source firing at that rate, each event
//! waiting its projection's mean delay ([`event_reserve`]) — plus half a chunk per
//! arrival-step list, and one input slot (`channels × n` f64); no ring. Other partitions
//! add to a ring of `slots × channels × n` f64 with `slots` the power of two above
//! their own largest incoming delay ([`ring_slots`]). A network that fires faster than
//! assumed grows its lists at run time into the memory the estimate left (the build's
//! available memory minus the estimate; [`crate::partition::EventBudget`]); beyond it
//! the run stops with [`crate::SimError::EventMemory`]. The multi-area model at full
//! scale (delays up to 629 steps on 4.1 million neurons): 3.9 GiB of event lists at
//! 10 spikes/s (its ground state fires at ~2), where rings of 1,024 slots and lists
//! sized by the largest delay took 141 GiB.
//!
//! Procedural projections (`storage = "procedural"`) store nothing per synapse and no
//! row pointers: 0 bytes per synapse, plus 4 bytes per source for the out-degrees of a
//! procedural `fixed_total_number` (shared by the target's partitions). What they would
//! cost stored is [`Estimate::stored_equivalent`] (`inspect` prints it).
//!
//! Costs per population, which dominate networks of many small populations (8,000
//! populations of 10 neurons: 1.6 GB, all of it here): every partition keeps an index of
//! its blocks by source population (`n_populations` × 24 bytes per partition, so this grows
//! with the square of the number of populations), and each recorded population of the
//! output file holds two HDF5 chunks of 65,536 values (1 MiB) plus its share of the spike
//! buffer (at least 4,096 spikes of 16 bytes) and its HDF5 metadata.
//!
//! Available memory ([`available_bytes`]) is the smaller of the kernel's `MemAvailable`
//! and what the process's cgroup (v2 `memory.max`, v1 `memory.limit_in_bytes`, every
//! level up to the root) still allows, so a run in a container or a batch job's cgroup is
//! refused instead of OOM-killed. Sizes are printed in binary units (KiB, MiB, GiB), the
//! units `--max-memory 50M` is read in.

use super::partition::{EventQueue, Targets};
use super::{delay_bounds, layout};
use crate::connect::delay_steps;
use cortexsim_neuron::State;
use cortexsim_spec::{Dist, Network, Rule, StimulusKind, Storage};
use serde::Serialize;

/// Estimated bytes by component.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Estimate {
    pub synapses: u64,
    pub csr_pointers: u64,
    pub ring_buffers: u64,
    pub neuron_state: u64,
    pub random_streams: u64,
    pub spike_buffers: u64,
    /// Event lists of partitions with per-synapse delays.
    pub event_lists: u64,
    pub recorders: u64,
    /// Per partition: the block index by source population and the partition's own
    /// buffers (grows with partitions × populations).
    pub partitions: u64,
    /// Output file per recorded population: two HDF5 chunks and the spike buffer share.
    pub output: u64,
    /// Process baseline (binary, libraries, thread stacks).
    pub baseline: u64,
    pub total: u64,
    /// Expected number of synapses.
    pub n_synapses: u64,
    /// Expected synapses per projection.
    pub per_projection: Vec<u64>,
    /// Bytes per synapse of each projection (0 for procedural ones).
    pub bytes_per_synapse: Vec<u32>,
    /// Out-degree tables of procedural `fixed_total_number` projections.
    pub out_degrees: u64,
    /// Synapses of procedural projections (expected; included in `n_synapses`).
    pub procedural_synapses: u64,
    /// What the procedural projections would need if stored (synapses and row pointers).
    pub stored_equivalent: u64,
}

impl Estimate {
    pub fn detail(&self) -> String {
        format!(
            "synapses {} ({} synapses, {} of them procedural), CSR pointers {}, out-degrees {}, ring buffers {}, event lists {}, state {}, random streams {}, spike buffers {}, recorders {}, partitions {}, output file {}, process baseline {}",
            human(self.synapses),
            self.n_synapses,
            self.procedural_synapses,
            human(self.csr_pointers),
            human(self.out_degrees),
            human(self.ring_buffers),
            human(self.event_lists),
            human(self.neuron_state),
            human(self.random_streams),
            human(self.spike_buffers),
            human(self.recorders),
            human(self.partitions),
            human(self.output),
            human(self.baseline)
        )
    }
}

/// Measured: a 4000-neuron network with 320k synapses peaks at 16.5 MB, of which ~14 MB is
/// the process itself (binary, HDF5, thread stacks).
pub const BASELINE_BYTES: u64 = 14 << 20;
/// The output buffer is reserved at 8 MB but only touched as spikes arrive; 4 MB is its typical resident share.
pub const SINK_BYTES: u64 = 4 << 20;
/// Per partition beyond its neurons and synapses: the `Partition` value, its vectors'
/// headers, the spike buffer headers (measured order of magnitude, rounded up; 3 KiB
/// since the partitions carry ports, payloads and procedural blocks: 1,500 partitions
/// of 10 neurons measured 0.2 % above the 2 KiB estimate).
pub const PARTITION_BYTES: u64 = 3 << 10;
/// Per partition and population: the `blocks_by_pop` entry (a `Vec<usize>`, 24 bytes).
pub const PARTITION_POP_BYTES: u64 = 24;
/// Per recorded population of the output file: two HDF5 chunks of 65,536 8-byte values
/// in the chunk cache (timestamps, node ids), the smallest spike-buffer share (4,096
/// spikes × 16 bytes) and some 48 KiB of HDF5 metadata (group, datasets, attributes).
/// Measured: 2,000 recorded populations add 2.09 GiB, 8,000 add 8.7 GB by the end of a run.
pub const OUTPUT_POP_BYTES: u64 = 2 * 65_536 * 8 + 4_096 * 16 + (48 << 10);

/// The estimate of a run that writes an output file (what `inspect` shows).
pub fn estimate(net: &Network) -> Estimate {
    estimate_with(net, true)
}

/// The estimate of a run with or without an output file (the output's chunks and buffers,
/// [`OUTPUT_POP_BYTES`] per recorded population, only with one).
pub fn estimate_with(net: &Network, output_file: bool) -> Estimate {
    estimate_rank(net, output_file, 1, 0)
}

/// Expected synapses of a projection; for Bernoulli connections plus `sigmas` standard
/// deviations (the estimate uses 4).
pub fn projection_synapses(net: &Network, pr: &cortexsim_spec::Projection, sigmas: f64) -> f64 {
    let (ns, nt) = (
        net.populations[pr.source].size as f64,
        net.populations[pr.target].size as f64,
    );
    let avail = if pr.source == pr.target && !pr.autapses {
        ns - 1.0
    } else {
        ns
    };
    match pr.rule {
        Rule::FixedIndegree { indegree } => nt * indegree as f64,
        Rule::PairwiseBernoulli { p } => {
            let m = p * avail * nt;
            m + sigmas * (m * (1.0 - p)).sqrt()
        }
        Rule::FixedTotalNumber { n } => n as f64,
        Rule::FixedOutdegree { outdegree } => {
            let avail_t = if pr.source == pr.target && !pr.autapses {
                nt - 1.0
            } else {
                nt
            };
            ns * if pr.multapses {
                outdegree as f64
            } else {
                (outdegree as f64).min(avail_t)
            }
        }
        Rule::OneToOne => nt,
        Rule::AllToAll => avail * nt,
        Rule::FromList => pr.connections.as_ref().map_or(0, |l| l.len()) as f64,
    }
}

/// The firing rate (spikes/s of every source neuron) at which the estimate counts the
/// spike events in flight: a network's rates are not known before it runs. Above it
/// the event lists grow on demand while memory is left ([`crate::partition::EventBudget`]).
pub const ASSUMED_RATE_HZ: f64 = 10.0;

/// Largest delay, in steps, of the projections onto population `pop` (0: none).
pub fn max_delay_onto(net: &Network, pop: usize) -> u64 {
    net.projections
        .iter()
        .filter(|pr| pr.target == pop)
        .map(|pr| delay_steps(pr.delay.bounds().1, net.simulation.dt).0 as u64)
        .max()
        .unwrap_or(0)
}

/// Ring-buffer slots of a partition of population `pop` that adds its inputs to the
/// ring directly: a power of two above its largest incoming delay.
pub fn ring_slots(net: &Network, pop: usize) -> u64 {
    (max_delay_onto(net, pop) + 1).next_power_of_two()
}

/// Whether a partition of `n` neurons of population `pop` holds its inputs in event
/// lists ([`EventQueue`]) instead of a ring: when a projection onto it has per-synapse
/// delays, unless `queue_chunk` is `Some(0)`, a source's spikes carry a payload (added
/// to the ring directly) or the partition's cells do not fit an event's 31 bits.
pub fn uses_event_lists(net: &Network, pop: usize, n: usize, queue_chunk: Option<usize>) -> bool {
    let incoming = || net.projections.iter().filter(move |pr| pr.target == pop);
    queue_chunk != Some(0)
        && net.populations[pop].model.n_ports() * n < (1 << 31)
        && !incoming().any(|pr| net.populations[pr.source].model.has_payload())
        && incoming().any(|pr| pr.delay.constant().is_none())
}

/// Events and chunk size to reserve for the event lists of a partition of `n` neurons
/// of population `pop` with `lists` lists: the events in flight at [`ASSUMED_RATE_HZ`]
/// (every incoming synapse's spikes for its mean delay) plus half a chunk per list.
pub fn event_reserve(net: &Network, pop: usize, n: usize, lists: usize) -> (usize, usize) {
    let dt = net.simulation.dt;
    let size = net.populations[pop].size.max(1) as f64;
    let per_neuron: f64 = net
        .projections
        .iter()
        .filter(|pr| pr.target == pop)
        .map(|pr| {
            let (lo, hi) = pr.delay.bounds();
            let mean = pr.delay.moments().0.clamp(lo, hi);
            let steps = delay_steps(mean, dt).0 as f64;
            projection_synapses(net, pr, 0.0) / size * ASSUMED_RATE_HZ * steps * dt * 1e-3
        })
        .sum();
    let chunk = EventQueue::chunk_for(n);
    let events = (per_neuron * n as f64).ceil() + (lists * chunk / 2) as f64;
    (events.min(usize::MAX as f64 / 16.0) as usize, chunk)
}

/// The estimate for each of `ranks` processes ([`estimate_rank`]).
pub fn estimate_ranks(net: &Network, output_file: bool, ranks: usize) -> Vec<Estimate> {
    (0..ranks.max(1))
        .map(|r| estimate_rank(net, output_file, ranks, r))
        .collect()
}

/// The estimate of process `rank` of `ranks` (one process: `1, 0`). A process holds its
/// own partitions ([`crate::exchange::rank_blocks`]): their synapses, CSR pointers, ring
/// buffers, state, streams, event lists and spike lists; every process holds the slice's
/// merged spike list, the exchange buffers (several processes: the gathered spikes of a
/// slice, 4 bytes per neuron and step) and the spike statistics of every neuron; only
/// process 0 writes the output file.
pub fn estimate_rank(net: &Network, output_file: bool, ranks: usize, rank: usize) -> Estimate {
    let dt = net.simulation.dt;
    let mut e = Estimate {
        baseline: BASELINE_BYTES,
        ..Default::default()
    };
    let lay = layout(net);
    let owned = if ranks > 1 {
        crate::exchange::rank_blocks(net, ranks)[rank.min(ranks - 1)].clone()
    } else {
        0..lay.len()
    };
    let local = &lay[owned.clone()];
    // Per population: the neurons this process owns, and their fraction.
    let mut own = vec![0u64; net.populations.len()];
    for l in local {
        own[l.pop] += l.size as u64;
    }
    let share: Vec<f64> = own
        .iter()
        .zip(&net.populations)
        .map(|(&k, p)| k as f64 / p.size.max(1) as f64)
        .collect();
    let (min_d, max_d) = delay_bounds(net);
    let lists = max_d as usize + 1;
    for pr in &net.projections {
        let ns = net.populations[pr.source].size as f64;
        // Bernoulli: expectation plus 4 standard deviations.
        let n = (projection_synapses(net, pr, 4.0) * share[pr.target]) as u64;
        let wb = if pr.weight.constant().is_some() { 0 } else { 4 };
        let db = match pr.delay {
            Dist::Const { .. } => 0,
            d => {
                if delay_steps(d.bounds().1, dt).0 <= 255 {
                    1
                } else {
                    2
                }
            }
        };
        // Target index: u16 when the target population's partitions hold <= 65,536 neurons.
        let tb = lay
            .iter()
            .filter(|l| l.pop == pr.target)
            .map(|l| Targets::bytes_for(l.size as usize))
            .max()
            .unwrap_or(4) as u32;
        e.per_projection.push(n);
        // Saturating: absurd sizes must give a huge estimate (and a refusal), never wrap.
        e.n_synapses = e.n_synapses.saturating_add(n);
        let parts_on_target = local.iter().filter(|l| l.pop == pr.target).count() as u64;
        let stored = n
            .saturating_mul((tb + wb + db) as u64)
            .saturating_add(parts_on_target * (ns as u64 + 1) * 4);
        if pr.storage == Storage::Procedural {
            e.bytes_per_synapse.push(0);
            e.procedural_synapses = e.procedural_synapses.saturating_add(n);
            e.stored_equivalent = e.stored_equivalent.saturating_add(stored);
            if matches!(pr.rule, Rule::FixedTotalNumber { .. }) {
                e.out_degrees += ns as u64 * 4;
            }
            continue;
        }
        e.bytes_per_synapse.push(tb + wb + db);
        e.synapses = e
            .synapses
            .saturating_add(n.saturating_mul((tb + wb + db) as u64));
        e.csr_pointers += parts_on_target * (ns as u64 + 1) * 4;
    }
    for (pi, p) in net.populations.iter().enumerate() {
        let n = p.size as u64;
        // Per partition, the bitmap of procedural rows without multapses (8 bytes per 64
        // targets) — counted with the out-degrees.
        if net
            .projections
            .iter()
            .any(|pr| pr.target == pi && pr.storage == Storage::Procedural && !pr.multapses)
        {
            let parts = local.iter().filter(|l| l.pop == pi).count() as u64;
            e.out_degrees += parts * n.div_ceil(64) * 8;
        }
        let width = p.model.n_ports() as u64;
        let ring_slots = ring_slots(net, pi);
        for l in local.iter().filter(|l| l.pop == pi) {
            let m = l.size as usize;
            if uses_event_lists(net, pi, m, None) {
                let (events, chunk) = event_reserve(net, pi, m, lists);
                e.event_lists += EventQueue::bytes(events as u64, chunk, lists, width as usize * m);
            } else {
                e.ring_buffers += ring_slots * width * m as u64 * 8;
            }
        }
        let all = n;
        let n = own[pi];
        e.neuron_state += n * State::bytes_per_neuron(&p.model) as u64;
        if net.stimuli.iter().any(|s| {
            s.target == pi
                && matches!(
                    s.kind,
                    StimulusKind::Poisson { .. } | StimulusKind::Noise { .. }
                )
        }) {
            e.random_streams += n * 32;
        }
        if net
            .stimuli
            .iter()
            .any(|s| s.target == pi && matches!(s.kind, StimulusKind::NoiseCurrent { .. }))
        {
            // The per-neuron current (`State::i_cell`).
            e.neuron_state += n * 8;
        }
        // Per-partition spike lists (u32) and the slice's merged list (u32 pair) of
        // every neuron.
        e.spike_buffers += n * min_d * 4 + all * min_d * 8;
        if p.model.has_payload() {
            // The payload of each spike (f64) in the partition's list.
            e.spike_buffers += n * min_d * 8;
        }
    }
    if net.populations.iter().any(|p| p.model.has_payload()) {
        // The slice's exchange list then carries a payload (f64) for every spike.
        e.spike_buffers += net.n_neurons() * min_d * 8;
    }
    let n_total = net.n_neurons();
    if ranks > 1 {
        // The exchange: the gathered spikes of a slice (u32 ids; payloads two more words)
        // and this process's own message.
        let words = if net.populations.iter().any(|p| p.model.has_payload()) {
            3
        } else {
            1
        };
        e.spike_buffers += (n_total + n_total / ranks as u64) * min_d * 4 * words;
    }
    let n_pops = net.populations.len() as u64;
    e.partitions = owned.len() as u64 * (PARTITION_BYTES + n_pops * PARTITION_POP_BYTES);
    if output_file && rank == 0 {
        e.output = net.recorders.spikes.len() as u64 * OUTPUT_POP_BYTES;
    }
    e.recorders = n_total * 32 + SINK_BYTES;
    if net.recorders.rate_bin > 0.0 {
        // u32 counts while running, f64 rates when the run ends.
        e.recorders +=
            (net.simulation.t_stop / net.recorders.rate_bin).ceil() as u64 * n_pops * (4 + 8);
    }
    for (_, r) in net.recorders.all_analog() {
        // f64 then a saturating cast.
        e.recorders = e
            .recorders
            .saturating_add(((net.simulation.t_stop / r.interval) * r.n as f64 * 16.0) as u64);
    }
    e.total = [
        e.synapses,
        e.csr_pointers,
        e.out_degrees,
        e.ring_buffers,
        e.neuron_state,
        e.random_streams,
        e.spike_buffers,
        e.event_lists,
        e.recorders,
        e.partitions,
        e.output,
        e.baseline,
    ]
    .iter()
    .fold(0u64, |a, &b| a.saturating_add(b));
    e
}

/// Memory available to this process: the smaller of what the OS reports as available
/// (`MemAvailable`) and what its cgroup still allows ([`cgroup_available`]), or
/// `u64::MAX` if neither is known.
pub fn available_bytes() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(u64::MAX);
    let cgroup = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|c| cgroup_available(std::path::Path::new("/sys/fs/cgroup"), &c))
        .unwrap_or(u64::MAX);
    meminfo.min(cgroup)
}

/// What the cgroups of this process still allow, from `/proc/self/cgroup` (`proc_cgroup`)
/// and the cgroup file systems under `root` (normally `/sys/fs/cgroup`): for every level
/// from the process's cgroup up to the root that has a limit (v2 `memory.max`, v1
/// `memory/…/memory.limit_in_bytes`), the limit minus the usage (`memory.current`,
/// `memory.usage_in_bytes`) that is not reclaimable page cache (`inactive_file` of
/// `memory.stat`); the smallest of these. `None` when no level has a limit. A cgroup path
/// that is not visible (a cgroup namespace) is read at the mount's root.
pub fn cgroup_available(root: &std::path::Path, proc_cgroup: &str) -> Option<u64> {
    use std::path::Path;
    let read_u64 =
        |p: &Path| -> Option<u64> { std::fs::read_to_string(p).ok()?.trim().parse::<u64>().ok() };
    let stat = |dir: &Path, key: &str| -> u64 {
        std::fs::read_to_string(dir.join("memory.stat"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix(key)?.strip_prefix(' ')?.trim().parse().ok())
            })
            .unwrap_or(0)
    };
    // Unlimited in v1 is a huge page-aligned number (2^63 - 4096).
    const UNLIMITED: u64 = 1 << 60;
    let mut best: Option<u64> = None;
    for line in proc_cgroup.lines() {
        let mut f = line.splitn(3, ':');
        let (Some(_), Some(ctrl), Some(path)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let (mount, limit_f, usage_f, inactive) = if ctrl.is_empty() {
            (
                root.to_path_buf(),
                "memory.max",
                "memory.current",
                "inactive_file",
            )
        } else if ctrl.split(',').any(|c| c == "memory") {
            (
                root.join("memory"),
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
                "total_inactive_file",
            )
        } else {
            continue;
        };
        let rel = path.trim_start_matches('/');
        let mut dir = mount.join(rel);
        if rel.is_empty() || !dir.is_dir() {
            dir = mount.clone();
        }
        loop {
            if let Some(limit) = read_u64(&dir.join(limit_f)).filter(|&l| l < UNLIMITED) {
                let used = read_u64(&dir.join(usage_f))
                    .unwrap_or(0)
                    .saturating_sub(stat(&dir, inactive));
                let free = limit.saturating_sub(used);
                best = Some(best.map_or(free, |b| b.min(free)));
            }
            if dir == mount || !dir.pop() || !dir.starts_with(&mount) {
                break;
            }
        }
    }
    best
}

/// Peak resident set size of this process (VmHWM), bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let l = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    l.split_whitespace()
        .nth(1)?
        .parse::<u64>()
        .ok()
        .map(|kb| kb * 1024)
}

/// Bytes in binary units, the units `--max-memory 50M` is read in: `50.0 MiB`,
/// `1.50 GiB`, `512 B`.
pub fn human(b: u64) -> String {
    let x = b as f64;
    const K: f64 = 1024.0;
    if x >= K * K * K * K {
        format!("{:.2} TiB", x / (K * K * K * K))
    } else if x >= K * K * K {
        format!("{:.2} GiB", x / (K * K * K))
    } else if x >= K * K {
        format!("{:.1} MiB", x / (K * K))
    } else if x >= K {
        format!("{:.1} KiB", x / K)
    } else {
        format!("{b} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_is_binary() {
        assert_eq!(human(50 << 20), "50.0 MiB");
        assert_eq!(human(1024), "1.0 KiB");
        assert_eq!(human(3 << 30), "3.00 GiB");
        assert_eq!(human(512), "512 B");
    }

    fn write(p: &std::path::Path, name: &str, text: &str) {
        std::fs::create_dir_all(p).unwrap();
        std::fs::write(p.join(name), text).unwrap();
    }

    #[test]
    fn cgroup_limits_v1_and_v2() {
        let root = std::env::temp_dir().join(format!("cortexsim_cg_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        // v2: the job's cgroup has 3 GiB, 1 GiB used of which 256 MiB inactive page cache;
        // the parent has no limit ("max").
        let job = root.join("batch/job1");
        write(&job, "memory.max", "3221225472\n");
        write(&job, "memory.current", "1073741824\n");
        write(&job, "memory.stat", "anon 1\ninactive_file 268435456\n");
        write(&root.join("batch"), "memory.max", "max\n");
        assert_eq!(
            cgroup_available(&root, "0::/batch/job1\n"),
            Some(3221225472 - (1073741824 - 268435456))
        );
        // A parent's tighter limit wins.
        write(&root.join("batch"), "memory.max", "2147483648\n");
        write(&root.join("batch"), "memory.current", "0\n");
        assert_eq!(
            cgroup_available(&root, "0::/batch/job1\n"),
            Some(2147483648)
        );
        // v1, unlimited (2^63 - 4096) then limited; a hidden path reads the mount root.
        let m = root.join("memory");
        write(&m, "memory.limit_in_bytes", "9223372036854771712\n");
        write(&m, "memory.usage_in_bytes", "100\n");
        assert_eq!(cgroup_available(&root, "4:memory:/hidden/x\n"), None);
        write(&m, "memory.limit_in_bytes", "1000000\n");
        assert_eq!(
            cgroup_available(&root, "5:cpu:/\n4:memory:/hidden/x\n"),
            Some(1000000 - 100)
        );
        assert_eq!(cgroup_available(&root, "garbage"), None);
        let _ = std::fs::remove_dir_all(&root);
    }
}
