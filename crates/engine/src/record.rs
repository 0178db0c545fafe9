//! Recording while the network runs: per-neuron spike statistics (count, ISI moments),
//! binned population rates, an optional in-memory spike list, and an optional
//! streaming sink (the SONATA file). Everything is fed on the main thread after each
//! slice, in (step, gid) order, so the output order is deterministic.

use crate::partition::{SliceSpikes, SpikeBuf};
use cortexsim_core::state::{SaveState, get_slice, get_u64, get_vec, put_slice, put_u64};
use cortexsim_spec::{Analog, Network};
use serde::Serialize;

/// Receives spikes in time order (per population: by_time).
pub trait SpikeSink: Send {
    fn push(&mut self, pop: usize, node_id: u32, t_ms: f64) -> Result<(), String>;
    /// Called after every slice: every spike up to `t_ms` has been pushed (a file may
    /// flush here now and then, so that a killed run loses a bounded amount).
    fn slice_done(&mut self, _t_ms: f64) -> Result<(), String> {
        Ok(())
    }
    /// Write the remaining buffered spikes and the recorder data; mark the file with
    /// `rec.status` and close it.
    fn finish(&mut self, rec: &FinalData) -> Result<(), String>;
    /// For a checkpoint: put every spike pushed so far into the file and flush it. Returns,
    /// per population, `None` if the sink does not write it, else the spikes written and a
    /// hash of them (the sink's own), which a resumed run checks the file against. A sink
    /// that cannot be continued returns an empty list (the default).
    fn sync(&mut self) -> Result<Vec<Option<(u64, u64)>>, String> {
        Ok(Vec::new())
    }
}

/// One sampled variable (potential or conductance) of one population.
#[derive(Debug, Clone, PartialEq)]
pub struct VmSeries {
    /// The variable (its unit: [`Analog::unit`]).
    pub var: Analog,
    /// Population name.
    pub name: String,
    /// Sample times, ms.
    pub times: Vec<f64>,
    /// Values, `rows[sample][neuron]`: mV (absolute) or nS.
    pub rows: Vec<Vec<f64>>,
    /// Recorded neurons: the population's first `n`.
    pub n: u32,
}

/// Data written at the end of a run.
pub struct FinalData<'a> {
    /// (population, bin ms, rates Hz)
    pub rates: Vec<(String, f64, Vec<f64>)>,
    /// Every sampled variable: per variable in [`Analog::ALL`] order, per population.
    pub vm: Vec<VmSeries>,
    pub summary_json: &'a str,
    /// `"complete"`, or `"interrupted"` for a run stopped early (by a signal).
    pub status: &'a str,
    /// The time every population was simulated to, ms.
    pub t_ms: f64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct NeuronStats {
    pub count: u32,
    pub last: u64,
    pub n_isi: u32,
    pub sum: f64,
    pub sum2: f64,
}

pub struct Recording {
    pub offsets: Vec<u32>,
    pub stats: Vec<NeuronStats>,
    pub pop_spikes: Vec<u64>,
    pub bin_steps: u64,
    pub rate_bins: Vec<Vec<u32>>,
    pub record: Vec<bool>,
    pub keep: bool,
    pub kept: Vec<(u64, u32)>,
    pub sink: Option<Box<dyn SpikeSink>>,
    pub written: u64,
}

impl Recording {
    pub fn new(net: &Network, keep: bool) -> Recording {
        let npop = net.populations.len();
        let bin_steps = if net.recorders.rate_bin > 0.0 {
            (net.recorders.rate_bin / net.simulation.dt).round() as u64
        } else {
            0
        };
        let mut record = vec![false; npop];
        for &p in &net.recorders.spikes {
            record[p] = true;
        }
        Recording {
            offsets: net.offsets(),
            stats: vec![NeuronStats::default(); net.n_neurons() as usize],
            pop_spikes: vec![0; npop],
            bin_steps,
            rate_bins: vec![Vec::new(); npop],
            record,
            keep,
            kept: Vec::new(),
            sink: None,
            written: 0,
        }
    }

    pub fn reserve_until(&mut self, end_step: u64) {
        if self.bin_steps > 0 {
            let bins = end_step.div_ceil(self.bin_steps) as usize;
            for b in &mut self.rate_bins {
                if b.len() < bins {
                    b.resize(bins, 0);
                }
            }
        }
    }

    pub fn record_slice(&mut self, bufs: &[SpikeBuf], t0: u64, dt: f64) -> Result<(), String> {
        let Some(len) = bufs.first().map(|b| b.len) else {
            return Ok(());
        };
        for o in 0..len {
            let step = t0 + o as u64;
            for b in bufs {
                let (a, e) = (b.step_end[o] as usize, b.step_end[o + 1] as usize);
                if a == e {
                    continue;
                }
                self.pop_spikes[b.pop] += (e - a) as u64;
                if let Some(bin) = step.checked_div(self.bin_steps) {
                    self.rate_bins[b.pop][bin as usize] += (e - a) as u32;
                }
                for &loc in &b.local[a..e] {
                    let node = b.pop_offset + loc;
                    let gid = self.offsets[b.pop] + node;
                    let s = &mut self.stats[gid as usize];
                    if s.count > 0 {
                        let isi = (step - s.last) as f64;
                        s.n_isi += 1;
                        s.sum += isi;
                        s.sum2 += isi * isi;
                    }
                    s.count += 1;
                    s.last = step;
                    if self.keep {
                        self.kept.push((step, gid));
                    }
                    if self.record[b.pop]
                        && let Some(sink) = &mut self.sink
                    {
                        // Spike stamped at the end of its step, as NEST.
                        sink.push(b.pop, node, (step + 1) as f64 * dt)?;
                        self.written += 1;
                    }
                }
            }
        }
        if let Some(sink) = &mut self.sink {
            sink.slice_done((t0 + len as u64) as f64 * dt)?;
        }
        Ok(())
    }
}

impl Recording {
    /// [`record_slice`](Self::record_slice) from the slice's merged list of every
    /// process's spikes (several processes: each records every spike, so the statistics
    /// are global everywhere; only the writing process has a sink). The list is in
    /// (step, gid) order, the order `record_slice` visits the partitions' buffers in:
    /// the same statistics, bins and output.
    pub fn record_merged(&mut self, s: &SliceSpikes, t0: u64, dt: f64) -> Result<(), String> {
        let spikes = s.spikes();
        let mut a = 0usize;
        for o in 0..s.steps() {
            let step = t0 + o as u64;
            let e = s.step_end(o);
            for sp in &spikes[a..e] {
                let pop = sp.pop as usize;
                self.pop_spikes[pop] += 1;
                if let Some(bin) = step.checked_div(self.bin_steps) {
                    self.rate_bins[pop][bin as usize] += 1;
                }
                let gid = self.offsets[pop] + sp.node;
                let st = &mut self.stats[gid as usize];
                if st.count > 0 {
                    let isi = (step - st.last) as f64;
                    st.n_isi += 1;
                    st.sum += isi;
                    st.sum2 += isi * isi;
                }
                st.count += 1;
                st.last = step;
                if self.keep {
                    self.kept.push((step, gid));
                }
                if self.record[pop]
                    && let Some(sink) = &mut self.sink
                {
                    sink.push(pop, sp.node, (step + 1) as f64 * dt)?;
                    self.written += 1;
                }
            }
            a = e;
        }
        if let Some(sink) = &mut self.sink {
            sink.slice_done((t0 + s.steps() as u64) as f64 * dt)?;
        }
        Ok(())
    }
}

/// Per-population summary of a run.
#[derive(Debug, Clone, Serialize)]
pub struct PopSummary {
    pub size: u32,
    pub spikes: u64,
    pub rate_hz: f64,
    /// Mean over neurons with at least 2 ISIs of std(ISI)/mean(ISI) (NaN → null if none).
    pub cv_isi: Option<f64>,
    /// Neurons that contributed to `cv_isi`.
    pub cv_neurons: u64,
    /// Fraction of neurons that fired at least once.
    pub active_fraction: f64,
}

pub fn summarize(rec: &Recording, net: &Network, t_ms: f64) -> Vec<(String, PopSummary)> {
    net.populations
        .iter()
        .enumerate()
        .map(|(p, pop)| {
            let (a, b) = (rec.offsets[p] as usize, rec.offsets[p + 1] as usize);
            let mut cv_sum = 0.0;
            let mut cv_n = 0u64;
            let mut active = 0u64;
            for s in &rec.stats[a..b] {
                if s.count > 0 {
                    active += 1;
                }
                if s.n_isi >= 2 {
                    let m = s.sum / s.n_isi as f64;
                    let var = (s.sum2 / s.n_isi as f64 - m * m).max(0.0);
                    cv_sum += var.sqrt() / m;
                    cv_n += 1;
                }
            }
            let spikes = rec.pop_spikes[p];
            (
                pop.name.clone(),
                PopSummary {
                    size: pop.size,
                    spikes,
                    rate_hz: if t_ms > 0.0 {
                        spikes as f64 / (pop.size as f64 * t_ms * 1e-3)
                    } else {
                        0.0
                    },
                    cv_isi: if cv_n > 0 {
                        Some(cv_sum / cv_n as f64)
                    } else {
                        None
                    },
                    cv_neurons: cv_n,
                    active_fraction: active as f64 / pop.size as f64,
                },
            )
        })
        .collect()
}

/// Counts, ISI sums, rate bins (trailing empty bins not written, so the stream does not
/// depend on how far ahead a run reserved them), kept spikes and the number of spikes
/// written to the sink. The sink itself (an open file) is not part of the state.
impl SaveState for Recording {
    fn save(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut words = Vec::with_capacity(self.stats.len() * 5);
        for s in &self.stats {
            words.extend([
                s.count as u64,
                s.last,
                s.n_isi as u64,
                s.sum.to_bits(),
                s.sum2.to_bits(),
            ]);
        }
        put_slice(w, &words)?;
        put_slice(w, &self.pop_spikes)?;
        for bins in &self.rate_bins {
            let used = bins.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            put_slice(w, &bins[..used])?;
        }
        let kept: Vec<u64> = self.kept.iter().flat_map(|&(t, g)| [t, g as u64]).collect();
        put_slice(w, &kept)?;
        put_u64(w, self.written)
    }

    fn load(&mut self, r: &mut dyn std::io::Read) -> std::io::Result<()> {
        let mut words = vec![0u64; self.stats.len() * 5];
        get_slice(r, &mut words, "spike statistics")?;
        for (s, x) in self.stats.iter_mut().zip(words.chunks_exact(5)) {
            let small = |v: u64| {
                u32::try_from(v).map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "spike count beyond 32 bits",
                    )
                })
            };
            *s = NeuronStats {
                count: small(x[0])?,
                last: x[1],
                n_isi: small(x[2])?,
                sum: f64::from_bits(x[3]),
                sum2: f64::from_bits(x[4]),
            };
        }
        get_slice(r, &mut self.pop_spikes, "population spike counts")?;
        for bins in &mut self.rate_bins {
            let got: Vec<u32> = get_vec(r, usize::MAX / 8, "rate bins")?;
            bins.clear();
            bins.extend(got);
        }
        let kept: Vec<u64> = get_vec(r, usize::MAX / 8, "kept spikes")?;
        if !kept.len().is_multiple_of(2) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "kept spikes: an odd number of words",
            ));
        }
        self.kept.clear();
        for p in kept.chunks_exact(2) {
            let g = u32::try_from(p[1]).map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "kept spike: gid beyond 32 bits",
                )
            })?;
            self.kept.push((p[0], g));
        }
        self.written = get_u64(r)?;
        Ok(())
    }
}
