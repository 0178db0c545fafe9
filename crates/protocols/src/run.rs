//! The `run` protocol of a spiking network: build, optional warm-up, simulate, count the
//! synaptic events, assemble the summary and finish the output (binned rates, membrane
//! potentials, summary) — everything `cortexsim run` does between parsing and printing,
//! so that the CLI and a Python package report the same numbers.
//!
//! The summary is one JSON object (the `--json` output of `cortexsim run`, also stored
//! in the SONATA file): network, `t_stop_ms`, `dt_ms`, seed, threads, neurons,
//! partitions, per-population statistics ([`cortexsim_engine::record::summarize`]),
//! synapses (total, per projection, bytes), memory (estimate, peak RSS), timings (build,
//! warm-up, simulate, write), real-time factor, synaptic events per second, output,
//! spikes written, warnings and status (`complete` / `interrupted` / `failed`).
//!
//! **Interruption.** With [`RunOptions::stop`] set (the CLI's SIGINT/SIGTERM handler sets
//! it), the run stops at the next slice boundary — every population simulated and
//! recorded to the same time — and still finishes the output (rates, potentials, summary)
//! with status `interrupted`; [`run`] then returns [`RunError::Interrupted`].
//!
//! **Checkpoints.** [`run_checkpointed`] also writes checkpoints through a
//! [`Checkpointer`] (periodic, at a stop, at the end; [`crate::checkpoint`]) and runs a
//! simulation restored from one from where it is: the warm-up and the timed part count
//! from step 0, so a resumed run simulates only what is left of them.
//!
//! **Synaptic events** are counted as the spikes of each source population after the
//! warm-up times the mean out-degree of each of its projections (synapses of the
//! projection / source size): exact in expectation, and what NEST's benchmarks report.

use crate::checkpoint::Checkpointer;
use cortexsim_engine::exchange::{Comm, all_values};
use cortexsim_engine::memory;
use cortexsim_engine::record::VmSeries;
use cortexsim_engine::record::{FinalData, summarize};
use cortexsim_engine::{BuildError, BuildOptions, SimError, Simulation};
use cortexsim_spec::{Analog, Network};
use serde_json::{Value as Json, json};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// How to run (what the command line's flags set).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Worker threads; 0 = the file's `simulation.threads`, else all cores.
    pub threads: usize,
    /// Refuse to build above this many bytes (None: the available memory).
    pub max_memory: Option<u64>,
    /// Keep every spike in memory (rasters).
    pub keep_spikes: bool,
    /// Simulate this many ms first, neither timed nor counted in the event rate.
    pub warmup_ms: f64,
    /// When set (e.g. by a signal handler), stop at the next slice boundary and finish
    /// the output as `interrupted` (module docs).
    pub stop: Option<Arc<AtomicBool>>,
    /// An output file will be attached (counted in the memory estimate).
    pub output_file: bool,
    /// Several processes share the run (MPI): each builds and simulates its block of
    /// partitions; every process records every spike (the exchange brings them all),
    /// process 0 alone writes the output (the caller attaches its sink there only) and
    /// receives the sampled potentials; the summary's counts are global everywhere.
    pub comm: Option<Arc<dyn Comm>>,
}

/// A built simulation and its build time.
pub struct Built {
    pub sim: Simulation,
    pub build_s: f64,
}

/// Build the simulation of `net` (memory estimate checked first).
pub fn build(net: &Network, opts: &RunOptions) -> Result<Built, BuildError> {
    let t = Instant::now();
    let sim = Simulation::build(
        net,
        &BuildOptions {
            threads: opts.threads,
            max_memory: opts.max_memory,
            keep_spikes: opts.keep_spikes,
            output_file: opts.output_file,
            comm: opts.comm.clone(),
            ..Default::default()
        },
    )?;
    Ok(Built {
        sim,
        build_s: t.elapsed().as_secs_f64(),
    })
}

/// Progress of the timed part of a run: `(steps done, steps in all, seconds elapsed)`.
pub type Progress<'a> = &'a mut (dyn FnMut(u64, u64, f64) + Send);

/// Run a built simulation to the network's `t_stop`: the warm-up, then the timed
/// simulation (reporting to `progress`, if any, once per slice), then the output's final data; returns the
/// summary (module docs) and the first failure, if any. A failed run leaves its output
/// marked incomplete: the sink is not finished. An interrupted run finishes it (status
/// `interrupted`) and returns [`RunError::Interrupted`].
pub fn run(
    net: &Network,
    network_name: &str,
    output_name: Option<&str>,
    built: Built,
    opts: &RunOptions,
    progress: Option<Progress>,
) -> (Simulation, Json, Result<(), RunError>) {
    run_checkpointed(net, network_name, output_name, built, opts, progress, None)
}

/// [`run`], writing checkpoints through `ckpt` if given (module docs), from wherever the
/// built simulation is (step 0, or the step of a restored checkpoint). A checkpoint that
/// cannot be written fails the run ([`RunError::Output`]).
pub fn run_checkpointed(
    net: &Network,
    network_name: &str,
    output_name: Option<&str>,
    built: Built,
    opts: &RunOptions,
    mut progress: Option<Progress>,
    mut ckpt: Option<&mut Checkpointer>,
) -> (Simulation, Json, Result<(), RunError>) {
    let Built { mut sim, build_s } = built;
    let dt = net.simulation.dt;
    let start = sim.t;
    let warm_end = ((opts.warmup_ms / dt).round() as u64)
        .min(net.simulation.steps)
        .max(start);
    let t_warm = Instant::now();
    let stop = opts.stop.as_deref();
    let mut stopped = false;
    let mut result = advance_checkpointed(
        &mut sim,
        warm_end - start,
        &mut |_| {},
        stop,
        ckpt.as_deref_mut(),
    )
    .map(|s| stopped = s);
    let warmup_s = t_warm.elapsed().as_secs_f64();
    let spikes_after_warmup = sim.recording.pop_spikes.clone();
    let steps = net.simulation.steps.saturating_sub(warm_end);
    let t_sim = Instant::now();
    if result.is_ok() && !stopped {
        let mut report = |t: u64| {
            if let Some(p) = progress.as_mut() {
                p(t - warm_end, steps, t_sim.elapsed().as_secs_f64())
            }
        };
        result = advance_checkpointed(&mut sim, steps, &mut report, stop, ckpt.as_deref_mut())
            .map(|s| stopped = s);
    }
    if result.is_ok()
        && let Some(c) = ckpt
    {
        let reason = if stopped { "interrupted" } else { "end" };
        if c.written.last() != Some(&(sim.t as f64 * dt)) || stopped {
            result = c
                .write(&mut sim, reason)
                .map_err(|e| RunError::Output(format!("checkpoint: {e}")));
        }
    }
    let sim_s = t_sim.elapsed().as_secs_f64();
    if let Some(c) = &opts.comm {
        // A process that failed on the last slice (writing the output) tells the others.
        let failed = all_values(c.as_ref(), u64::from(result.is_err()));
        if result.is_ok()
            && let Some(r) = failed.iter().position(|&f| f > 0)
        {
            result = Err(RunError::Output(format!(
                "process {r} of {} failed (its message is above)",
                failed.len()
            )));
        }
    }
    let t_ms = sim.t as f64 * dt;
    let pops = summarize(&sim.recording, net, t_ms);
    let status = match (&result, stopped) {
        (Err(_), _) => "failed",
        (Ok(()), true) => "interrupted",
        (Ok(()), false) => "complete",
    };
    let mut summary = json!({
        "network": network_name,
        "t_stop_ms": t_ms,
        "dt_ms": dt,
        "seed": net.simulation.seed,
        "threads": sim.threads,
        "neurons": net.n_neurons(),
        "partitions": cortexsim_engine::layout(net).len(),
        "populations": pops.iter().map(|(n, s)| (n.clone(), serde_json::to_value(s).unwrap_or(Json::Null))).collect::<serde_json::Map<String, Json>>(),
        "synapses": sim.synapses,
        "synapses_per_projection": sim.synapses_per_projection,
        "synapse_bytes": sim.synapse_bytes,
        "row_index_bytes": sim.row_index_bytes,
        "bytes_per_synapse": if sim.synapses > 0 { sim.synapse_bytes as f64 / sim.synapses as f64 } else { 0.0 },
        "memory_bytes": {"estimate": sim.estimate.total, "peak_rss": memory::peak_rss_bytes()},
        "timings_s": {"build": build_s, "warmup": warmup_s, "simulate": sim_s, "write": 0.0},
        "real_time_factor": if steps > 0 { sim_s / (steps as f64 * dt * 1e-3) } else { 0.0 },
        "warmup_ms": warm_end.saturating_sub(start) as f64 * dt,
        "resumed_from_ms": if start > 0 { json!(start as f64 * dt) } else { Json::Null },
        "synaptic_events_per_s": 0.0,
        "output": output_name,
        "spikes_written": 0,
        "warnings": sim.warnings,
        "status": status,
    });
    if let Some(c) = &opts.comm {
        let ex = sim.exchange_stats();
        let slices = ex.slices.max(1) as f64;
        let sent = all_values(c.as_ref(), ex.bytes_sent);
        let secs = all_values(c.as_ref(), (ex.seconds * 1e9) as u64);
        summary["ranks"] = json!(sim.ranks);
        summary["exchange"] = json!({
            "slices": ex.slices,
            "collectives": ex.collectives,
            "bytes_per_slice": ex.bytes_received as f64 / slices,
            "bytes_sent_per_slice_per_rank": sent.iter().map(|&b| b as f64 / slices).collect::<Vec<_>>(),
            "seconds_per_rank": secs.iter().map(|&n| n as f64 * 1e-9).collect::<Vec<_>>(),
        });
        summary["memory_bytes"]["estimate_per_rank"] =
            json!(all_values(c.as_ref(), sim.estimate.total));
        summary["memory_bytes"]["peak_rss_per_rank"] = json!(all_values(
            c.as_ref(),
            memory::peak_rss_bytes().unwrap_or(0)
        ));
        summary["memory_bytes"]["estimate"] = json!(
            summary["memory_bytes"]["estimate_per_rank"]
                .as_array()
                .and_then(|a| a.iter().filter_map(|x| x.as_u64()).max())
        );
    }
    // Several processes: every one takes part in gathering the sampled variables.
    let vm: Vec<VmSeries> = match &opts.comm {
        Some(c) => gather_vm(c.as_ref(), net, &sim),
        None => Analog::ALL
            .into_iter()
            .flat_map(|var| {
                let sim = &sim;
                (0..net.populations.len()).filter_map(move |p| sim.analog_samples(var, p))
            })
            .collect(),
    };
    let events = synaptic_events(net, &sim, &spikes_after_warmup);
    summary["synaptic_events_per_s"] = json!(if sim_s > 0.0 { events / sim_s } else { 0.0 });
    let t_write = Instant::now();
    if let Some(mut sink) = sim.recording.sink.take() {
        summary["spikes_written"] = json!(sim.recording.written);
        let summary_text = summary.to_string();
        if result.is_ok()
            && let Err(e) = sink.finish(&FinalData {
                rates: binned_rates(net, &sim, t_ms),
                vm,
                summary_json: &summary_text,
                status,
                t_ms,
            })
        {
            result = Err(RunError::Output(e));
        }
    }
    if result.is_ok() && stopped {
        result = Err(RunError::Interrupted { t_ms });
    }
    summary["timings_s"]["write"] = json!(t_write.elapsed().as_secs_f64());
    (sim, summary, result)
}

/// Why a run did not complete.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The simulation failed (e.g. a numerical failure).
    #[error("{0}")]
    Sim(SimError),
    /// The output could not be finished.
    #[error("{0}")]
    Output(String),
    /// Stopped early on request ([`RunOptions::stop`]) at `t_ms`; the output was
    /// finished with status `interrupted`.
    #[error("interrupted at t = {t_ms} ms")]
    Interrupted { t_ms: f64 },
}

/// [`advance`] in pieces that end at the checkpointer's periodic checkpoints, writing
/// each; `true` if it stopped early.
fn advance_checkpointed(
    sim: &mut Simulation,
    steps: u64,
    progress: &mut (dyn FnMut(u64) + Send),
    stop: Option<&AtomicBool>,
    mut ckpt: Option<&mut Checkpointer>,
) -> Result<bool, RunError> {
    let end = sim.t + steps;
    while sim.t < end {
        let next = ckpt.as_ref().and_then(|c| c.steps_to_next(sim.t));
        let chunk = next.map_or(end - sim.t, |n| n.min(end - sim.t));
        if advance(sim, chunk, &mut *progress, stop).map_err(RunError::Sim)? {
            return Ok(true);
        }
        if let Some(c) = ckpt.as_deref_mut()
            && next == Some(chunk)
        {
            c.write(sim, "periodic")
                .map_err(|e| RunError::Output(format!("checkpoint: {e}")))?;
        }
    }
    Ok(false)
}

/// Simulate `steps` more steps, stopping early when `stop` is set; `true` if it did.
fn advance(
    sim: &mut Simulation,
    steps: u64,
    progress: impl FnMut(u64) + Send,
    stop: Option<&AtomicBool>,
) -> Result<bool, SimError> {
    match stop {
        Some(s) => sim.run_for_until(steps, progress, s),
        None => sim.run_for(steps, progress).map(|()| false),
    }
}

/// Synaptic events since `spikes_before` (per-population spike counts): the spikes of
/// each source times the mean out-degree of each of its projections (module docs).
pub fn synaptic_events(net: &Network, sim: &Simulation, spikes_before: &[u64]) -> f64 {
    net.projections
        .iter()
        .enumerate()
        .map(|(pi, pr)| {
            let src_spikes =
                (sim.recording.pop_spikes[pr.source] - spikes_before[pr.source]) as f64;
            src_spikes * sim.synapses_per_projection[pi] as f64
                / net.populations[pr.source].size as f64
        })
        .sum()
}

/// The binned population rates of the network's rate recorder (`recorders.rate_bin`
/// ms; none when it is 0) up to `t_ms`: (population, bin ms, rates Hz).
pub fn binned_rates(net: &Network, sim: &Simulation, t_ms: f64) -> Vec<(String, f64, Vec<f64>)> {
    let bin = net.recorders.rate_bin;
    if bin <= 0.0 {
        return vec![];
    }
    net.populations
        .iter()
        .enumerate()
        .map(|(p, pop)| {
            let bins = (t_ms / bin).ceil() as usize;
            let counts = &sim.recording.rate_bins[p];
            let r: Vec<f64> = counts[..bins.min(counts.len())]
                .iter()
                .map(|&c| c as f64 / (pop.size as f64 * bin * 1e-3))
                .collect();
            (pop.name.clone(), bin, r)
        })
        .collect()
}

/// The sampled variables of every recorded population, on process 0 (empty on the
/// others): each process sends its own partitions' share (`[neurons, samples]`, then
/// the samples, sample-major); process 0 puts every sample's row together in rank order
/// (ranks own ascending partitions, so that is neuron order).
fn gather_vm(comm: &dyn Comm, net: &Network, sim: &Simulation) -> Vec<VmSeries> {
    let mut out = Vec::new();
    let dt = net.simulation.dt;
    // By variable, then in population order, as `Simulation::analog_samples` is asked
    // for with one process.
    for (var, rec) in Analog::ALL.into_iter().flat_map(|var| {
        (0..net.populations.len()).filter_map(move |p| {
            net.recorders
                .analog(var)
                .iter()
                .find(|r| r.population == p)
                .map(|r| (var, r))
        })
    }) {
        let local = sim.analog_samples(var, rec.population);
        let mut send = Vec::new();
        if let Some(v) = &local {
            let n = v.rows.first().map_or(0, |r| r.len());
            send.extend([n as f64, v.rows.len() as f64]);
            for row in &v.rows {
                send.extend_from_slice(row);
            }
        }
        let Some(all) = comm.gather_f64(&send) else {
            continue;
        };
        let parts: Vec<(usize, &[f64])> = all
            .iter()
            .filter(|d| d.len() >= 2)
            .map(|d| (d[0] as usize, &d[2..]))
            .collect();
        let samples = all
            .iter()
            .find(|d| d.len() >= 2)
            .map_or(0, |d| d[1] as usize);
        let interval = ((rec.interval / dt).round() as u64).max(1);
        let rows = (0..samples)
            .map(|s| {
                parts
                    .iter()
                    .flat_map(|&(n, d)| d[s * n..(s + 1) * n].iter().copied())
                    .collect()
            })
            .collect();
        out.push(VmSeries {
            var,
            name: net.populations[rec.population].name.clone(),
            times: (0..samples)
                .map(|s| ((s as u64 + 1) * interval) as f64 * dt)
                .collect(),
            rows,
            n: rec.n,
        });
    }
    out
}
