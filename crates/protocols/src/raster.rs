//! Spike rasters of a spiking run: which populations to draw (by the hierarchy of their
//! areas when it is known), which neurons of each (at most [`MAX_RASTER_NEURONS`], evenly
//! spaced, deterministic) and their binned population rates — the data that
//! `cortexsim run --plot` draws.

use cortexsim_models::joglekar_spiking::{area_key, e_pop};
use cortexsim_spec::{Network, StimulusKind};

/// Areas whose E populations the raster shows by default, if the network has them.
pub const DEFAULT_RASTER_AREAS: &[&str] = &["V1", "V2", "V4", "TEO", "7A", "46d", "9/46d", "24c"];
/// Populations shown by default when the network has none of [`DEFAULT_RASTER_AREAS`].
pub const DEFAULT_RASTER_POPS: usize = 8;
/// Largest number of populations in a raster.
pub const MAX_RASTER_POPS: usize = 16;
/// Largest number of neurons drawn per population.
pub const MAX_RASTER_NEURONS: u32 = 200;

/// One population of a spike raster.
#[derive(Debug, Clone)]
pub struct RasterPop {
    pub name: String,
    /// Neurons in the population.
    pub size: u32,
    /// Neurons drawn (rows of its band).
    pub drawn: u32,
    /// Spikes of the drawn neurons: `(time ms, row in 0..drawn)`.
    pub spikes: Vec<(f64, u32)>,
    /// Population rate (all neurons, Hz) in consecutive bins of `bin_ms` from 0.
    pub rate_hz: Vec<f64>,
}

fn hier_of(hier: Option<&[(String, f64)]>, pop: &str) -> f64 {
    let key = area_key(pop);
    hier.and_then(|h| h.iter().find(|(a, _)| area_key(a) == key))
        .map_or(f64::INFINITY, |x| x.1)
}

/// Populations of the raster (indices into `net.populations`): `requested` (names;
/// unknown names are an error naming them), else the E populations of
/// [`DEFAULT_RASTER_AREAS`] that exist, else the first [`DEFAULT_RASTER_POPS`]
/// populations. Sorted by the hierarchy of their area when it is known (stable).
pub fn raster_selection(
    net: &Network,
    requested: &[String],
    hier: Option<&[(String, f64)]>,
) -> Result<Vec<usize>, String> {
    let mut sel: Vec<usize> = if requested.is_empty() {
        let d: Vec<usize> = DEFAULT_RASTER_AREAS
            .iter()
            .filter_map(|a| net.pop_index(&e_pop(a)))
            .collect();
        if d.is_empty() {
            (0..net.populations.len().min(DEFAULT_RASTER_POPS)).collect()
        } else {
            d
        }
    } else {
        let mut v = Vec::new();
        for name in requested {
            let i = net.pop_index(name.trim()).ok_or_else(|| {
                let names: Vec<&str> = net.populations.iter().map(|p| p.name.as_str()).collect();
                let shown = if names.len() > 12 {
                    format!("{}, ... ({} in all)", names[..12].join(", "), names.len())
                } else {
                    names.join(", ")
                };
                format!(
                    "--raster-pops: no population `{}` in the network (populations: {shown})",
                    name.trim()
                )
            })?;
            if !v.contains(&i) {
                v.push(i);
            }
        }
        if v.len() > MAX_RASTER_POPS {
            return Err(format!(
                "--raster-pops: at most {MAX_RASTER_POPS} populations, got {}",
                v.len()
            ));
        }
        v
    };
    sel.sort_by(|&a, &b| {
        hier_of(hier, &net.populations[a].name).total_cmp(&hier_of(hier, &net.populations[b].name))
    });
    Ok(sel)
}

/// Windows of the step stimuli with a non-zero amplitude, labelled with their target, the
/// current (pA, the unit of a step stimulus) and the membrane drive it amounts to (mV).
pub fn stimulus_windows(net: &Network) -> Vec<(String, f64, f64)> {
    let mut w = Vec::new();
    for s in &net.stimuli {
        if let StimulusKind::Step { epochs } = &s.kind {
            for e in epochs.iter().filter(|e| e.amplitude != 0.0) {
                let core = net.populations[s.target].model.core();
                // The steady-state drive R I = I tau_m / C_m (mV): what rate-style files
                // (e.g. the Joglekar generator's `amplitude` in mV) specify.
                let drive_mv = e.amplitude * core.tau_m / core.c_m;
                w.push((
                    format!(
                        "input to {} ({} pA, drive {} mV)",
                        net.populations[s.target].name,
                        e.amplitude,
                        (drive_mv * 1e6).round() / 1e6
                    ),
                    e.start.max(s.start),
                    e.stop.min(s.stop),
                ));
            }
        }
    }
    w.retain(|(_, a, b)| b > a);
    w
}

/// The rows drawn for a population of `size` neurons: at most [`MAX_RASTER_NEURONS`]
/// evenly spaced neurons (`floor(k size / drawn)`); `rows[i]` is neuron `i`'s row or
/// `u32::MAX`.
fn raster_rows(size: u32) -> (u32, Vec<u32>) {
    let drawn = size.min(MAX_RASTER_NEURONS);
    let mut rows = vec![u32::MAX; size as usize];
    for k in 0..drawn {
        rows[(k as u64 * size as u64 / drawn as u64) as usize] = k;
    }
    (drawn, rows)
}

/// Raster data of the populations `sel` from the kept spikes `(step, gid)`; rates of all
/// neurons in bins of `bin_ms` up to `t_stop_ms`. Spike times are the ends of their steps.
pub fn raster_pops(
    net: &Network,
    sel: &[usize],
    kept: &[(u64, u32)],
    bin_ms: f64,
    t_stop_ms: f64,
) -> Vec<RasterPop> {
    let dt = net.simulation.dt;
    let offsets = net.offsets();
    let nbins = ((t_stop_ms / bin_ms).ceil() as usize).max(1);
    let mut out: Vec<RasterPop> = Vec::new();
    let mut maps = Vec::new();
    for &p in sel {
        let size = net.populations[p].size;
        let (drawn, rows) = raster_rows(size);
        maps.push(rows);
        out.push(RasterPop {
            name: net.populations[p].name.clone(),
            size,
            drawn,
            spikes: Vec::new(),
            rate_hz: vec![0.0; nbins],
        });
    }
    for &(step, gid) in kept {
        let p = offsets.partition_point(|&o| o <= gid) - 1;
        let Some(k) = sel.iter().position(|&s| s == p) else {
            continue;
        };
        let t = (step + 1) as f64 * dt;
        let b = ((step as f64 * dt / bin_ms) as usize).min(nbins - 1);
        out[k].rate_hz[b] += 1.0;
        let row = maps[k][(gid - offsets[p]) as usize];
        if row != u32::MAX {
            out[k].spikes.push((t, row));
        }
    }
    for r in &mut out {
        let norm = r.size as f64 * bin_ms * 1e-3;
        for (b, v) in r.rate_hz.iter_mut().enumerate() {
            // The last bin may be partial.
            let width = (t_stop_ms - b as f64 * bin_ms).min(bin_ms) / bin_ms;
            *v /= norm * width.max(1e-9);
        }
    }
    out
}
