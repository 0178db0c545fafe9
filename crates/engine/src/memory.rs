//! Memory planning: what a network will need, computed from the spec alone, before
//! anything large is allocated (`cortexsim inspect`, `--max-memory`).
//!
//! Bytes per synapse: 2 (u16 target index, partition-local; 4 (u32) for partitions
//! above 65,536 neurons) + 4 if the projection's
//! weights vary (f32) + 1 or 2 if its delays vary (u8/u16 steps). Per partition and
//! incoming projection a CSR row-pointer array of `n_src + 1` u32. Ring buffers:
//! `slots × channels × n × 8` with `slots` the next power of two above the largest
//! delay in steps. State: 12–44 bytes per neuron by model; Poisson-driven neurons carry
//! a 32-byte random stream. Partitions with per-synapse delays hold event lists
//! ([`EventQueue`]: `max_delay + 1` lists of `4 n` 8-byte events). Recorders: 32 bytes per neuron of spike statistics, the
//! rate bins, the sampled potentials and the output buffer (4 MB resident on average).

use super::partition::{EventQueue, Targets};
use super::{delay_bounds, layout};
use crate::connect::delay_steps;
use cortexsim_neuron::State;
use cortexsim_spec::{Dist, Network, Rule, StimulusKind};
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
    /// Process baseline (binary, libraries, thread stacks).
    pub baseline: u64,
    pub total: u64,
    /// Expected number of synapses.
    pub n_synapses: u64,
    /// Expected synapses per projection.
    pub per_projection: Vec<u64>,
    /// Bytes per synapse of each projection.
    pub bytes_per_synapse: Vec<u32>,
}

impl Estimate {
    pub fn detail(&self) -> String {
        format!(
            "synapses {} ({} synapses), CSR pointers {}, ring buffers {}, event lists {}, state {}, random streams {}, spike buffers {}, recorders {}, process baseline {}",
            human(self.synapses),
            self.n_synapses,
            human(self.csr_pointers),
            human(self.ring_buffers),
            human(self.event_lists),
            human(self.neuron_state),
            human(self.random_streams),
            human(self.spike_buffers),
            human(self.recorders),
            human(self.baseline)
        )
    }
}

/// Measured: a 4000-neuron network with 320k synapses peaks at 16.5 MB, of which ~14 MB is
/// the process itself (binary, HDF5, thread stacks).
pub const BASELINE_BYTES: u64 = 14 << 20;
/// The output buffer is reserved at 8 MB but only touched as spikes arrive; 4 MB is its typical resident share.
pub const SINK_BYTES: u64 = 4 << 20;

pub fn estimate(net: &Network) -> Estimate {
    let dt = net.simulation.dt;
    let mut e = Estimate {
        baseline: BASELINE_BYTES,
        ..Default::default()
    };
    let lay = layout(net);
    let (min_d, max_d) = delay_bounds(net);
    let slots = (max_d + 1).next_power_of_two();
    for pr in &net.projections {
        let (ns, nt) = (
            net.populations[pr.source].size as f64,
            net.populations[pr.target].size as f64,
        );
        let avail = if pr.source == pr.target && !pr.autapses {
            ns - 1.0
        } else {
            ns
        };
        let n = match pr.rule {
            Rule::FixedIndegree { indegree } => nt * indegree as f64,
            // Bernoulli: expectation plus 4 standard deviations.
            Rule::PairwiseBernoulli { p } => {
                let m = p * avail * nt;
                m + 4.0 * (m * (1.0 - p)).sqrt()
            }
            Rule::FixedTotalNumber { n } => n as f64,
            Rule::OneToOne => nt,
            Rule::AllToAll => avail * nt,
        } as u64;
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
        e.bytes_per_synapse.push(tb + wb + db);
        // Saturating: absurd sizes must give a huge estimate (and a refusal), never wrap.
        e.n_synapses = e.n_synapses.saturating_add(n);
        e.synapses = e
            .synapses
            .saturating_add(n.saturating_mul((tb + wb + db) as u64));
        let parts_on_target = lay.iter().filter(|l| l.pop == pr.target).count() as u64;
        e.csr_pointers += parts_on_target * (ns as u64 + 1) * 4;
    }
    for (pi, p) in net.populations.iter().enumerate() {
        let n = p.size as u64;
        let var_delays = net
            .projections
            .iter()
            .any(|pr| pr.target == pi && !matches!(pr.delay, Dist::Const { .. }));
        if var_delays {
            let width = p.model.n_ports();
            for l in lay.iter().filter(|l| l.pop == pi) {
                let m = l.size as usize;
                e.event_lists +=
                    EventQueue::bytes(EventQueue::capacity(m), max_d as usize + 1, width * m)
                        as u64;
            }
        }
        e.ring_buffers += slots * p.model.n_ports() as u64 * n * 8;
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
        // Per-partition spike lists (u32) and the slice's exchange list (u32 pair).
        e.spike_buffers += n * min_d * (4 + 8);
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
    e.recorders = n_total * 32 + SINK_BYTES;
    if net.recorders.rate_bin > 0.0 {
        e.recorders += (net.simulation.t_stop / net.recorders.rate_bin).ceil() as u64
            * net.populations.len() as u64
            * 4;
    }
    for r in &net.recorders.v_m {
        // f64 then a saturating cast.
        e.recorders = e
            .recorders
            .saturating_add(((net.simulation.t_stop / r.interval) * r.n as f64 * 16.0) as u64);
    }
    e.total = [
        e.synapses,
        e.csr_pointers,
        e.ring_buffers,
        e.neuron_state,
        e.random_streams,
        e.spike_buffers,
        e.event_lists,
        e.recorders,
        e.baseline,
    ]
    .iter()
    .fold(0u64, |a, &b| a.saturating_add(b));
    e
}

/// Memory the OS reports as available (MemAvailable), or u64::MAX if unknown.
pub fn available_bytes() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(u64::MAX)
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

pub fn human(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{b} B")
    }
}
