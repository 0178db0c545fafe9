//! Command line: parses arguments, calls the library, prints results. Exit codes:
//! 0 success, 2 usage error (clap), 3 invalid network or argument value,
//! 4 runtime or output failure, 5 not enough memory.

pub mod bench;
pub mod meanfield;
pub mod pulse;

use cortexsim::engine::memory::{self, human};
use cortexsim::engine::{BuildError, BuildOptions, SimError, Simulation};
use cortexsim::error::SpecError;
use cortexsim::io::sonata::{SonataWriter, check_output_path};
use cortexsim::record::{FinalData, summarize};
use cortexsim::spec::Network;
use clap::{Args, Parser, Subcommand};
use serde_json::{Value as Json, json};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub mod rate;

pub const EXIT_INVALID: i32 = 3;
pub const EXIT_RUNTIME: i32 = 4;
pub const EXIT_MEMORY: i32 = 5;

#[derive(Parser, Debug)]
#[command(
    name = "cortexsim",
    version,
    about = "Sparse spiking-network simulator: exact LIF dynamics, SONATA output"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Build and simulate a network; write spikes (SONATA HDF5) and print a summary.
    Run(RunArgs),
    /// Describe a network without building it: populations, synapses, memory estimate.
    Inspect(InspectArgs),
    /// Benchmark a network: per thread count build/simulate time, events/s, memory, efficiency.
    Bench(bench::BenchArgs),
    /// Mean-field stationary state of a network: per population rate, mu, sigma, CV; stability.
    Meanfield(meanfield::MeanfieldArgs),
    /// Simulate a network and compare its population rates and CVs with the mean field.
    Compare(meanfield::CompareArgs),
    /// Autocorrelation timescale of every population of a rate model, against the hierarchy.
    Timescales(rate::TimescalesArgs),
    /// Sweep a parameter of a rate model up then down (hysteresis); bifurcation diagram.
    Scan(rate::ScanArgs),
    /// Pulse propagation: change of every area's E rate after the input pulse, spiking
    /// network (e.g. joglekar2018_spiking_weak.toml) vs rate model (joglekar2018_rate_weak.toml);
    /// peak changes, attenuation, side-by-side plot.
    PulseCompare(pulse::PulseCompareArgs),
}

#[derive(Args, Debug, Clone)]
pub struct NetArgs {
    /// Network file (TOML).
    pub network: PathBuf,
    /// Override a value of the file by its path, e.g. populations.E.size=20000 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Simulated time, ms (same as --set simulation.t_stop=MS).
    #[arg(long = "t-stop", value_name = "MS")]
    pub t_stop: Option<f64>,
    /// Random seed (same as --set simulation.seed=N).
    #[arg(long)]
    pub seed: Option<u64>,
}

impl NetArgs {
    pub fn sets(&self) -> Vec<String> {
        let mut s = Vec::new();
        if let Some(t) = self.t_stop {
            s.push(format!("simulation.t_stop={t:?}"));
        }
        if let Some(seed) = self.seed {
            s.push(format!("simulation.seed={seed}"));
        }
        s.extend(self.set.iter().cloned());
        s
    }

    pub fn load(&self) -> Result<Network, Failure> {
        self.load_with_data(None)
    }

    /// Load the network; a spiking generator file (`[model] kind = "joglekar2018_spiking"`)
    /// is generated from its data (`data`, else `$CORTEXSIM_DATA`). `--set` overrides apply
    /// to the file's table in both cases.
    pub fn load_with_data(&self, data: Option<&Path>) -> Result<Network, Failure> {
        if !self.network.exists() {
            return Err(Failure::invalid(format!(
                "network file {} does not exist",
                self.network.display()
            )));
        }
        let mut table = cortexsim::spec::load_table(&self.network).map_err(Failure::spec)?;
        if cortexsim::models::is_spiking_generator(&table) {
            cortexsim::spec::overrides::apply_all(&mut table, &self.sets()).map_err(Failure::spec)?;
            rate::check_data(data)?;
            if let Some(net) =
                cortexsim::models::load_spiking_generator(&table, data).map_err(Failure::spec)?
            {
                return Ok(net);
            }
        }
        if data.is_some() {
            return Err(Failure::invalid(
                "--data applies to data-driven models only",
            ));
        }
        Network::load(&self.network, &self.sets()).map_err(Failure::spec)
    }
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub net: NetArgs,
    /// Worker threads (default: the file's simulation.threads, else all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output file (SONATA HDF5). Default: out/<network>.h5, replaced if it exists.
    /// Rate files: the rate traces as CSV (t_ms,<pop>,...); no default.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace an existing --out file.
    #[arg(long)]
    pub overwrite: bool,
    /// Do not write an output file.
    #[arg(long, conflicts_with = "out")]
    pub no_output: bool,
    /// Refuse to build if the estimated memory exceeds this (bytes; suffixes k, M, G). Default: available memory.
    #[arg(long, value_name = "BYTES")]
    pub max_memory: Option<String>,
    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Data-driven models (rate files, spiking generators): data directory (default: $CORTEXSIM_DATA).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Draw a PNG. Rate files: the rate traces, ordered by hierarchy. Spiking networks: a
    /// spike raster (at most 200 neurons per population) of --raster-pops with the binned
    /// population rates underneath; every spike is then kept in memory during the run
    /// (16 bytes per spike, on top of the estimate).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Spiking --plot: populations of the raster, comma-separated (at most 16; default: the
    /// E populations of V1, V2, V4, TEO, 7A, 46d, 9/46d, 24c if present, else the first 8).
    /// Stacked by hierarchy when it is known.
    #[arg(long, value_name = "A,B,...", value_delimiter = ',', requires = "plot")]
    pub raster_pops: Vec<String>,
    /// Simulate this many ms first without timing them or counting their events (benchmarks).
    #[arg(long, value_name = "MS", hide = true)]
    pub warmup: Option<f64>,
    /// Write the built connectivity as Matrix Market: FILE (weights, [target, source]) and
    /// FILE.delays.mtx (ms); `--overwrite` applies. For networks up to ~1e7 synapses.
    #[arg(long, value_name = "FILE.mtx")]
    pub connectivity: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    #[command(flatten)]
    pub net: NetArgs,
    #[arg(long)]
    pub json: bool,
}

/// A failure with its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub msg: String,
}

impl Failure {
    pub fn invalid(msg: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_INVALID,
            msg: msg.into(),
        }
    }
    pub fn runtime(msg: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_RUNTIME,
            msg: msg.into(),
        }
    }
    pub fn spec(e: SpecError) -> Failure {
        Failure::invalid(format!("invalid network: {e}"))
    }
    pub fn build(e: BuildError) -> Failure {
        match e {
            BuildError::OutOfMemory { .. } => Failure {
                code: EXIT_MEMORY,
                msg: e.to_string(),
            },
            other => Failure::runtime(other.to_string()),
        }
    }
    pub fn sim(e: SimError) -> Failure {
        Failure::runtime(e.to_string())
    }
}

/// Parse `123`, `4k`, `512M`, `2G`, `1.5GB`.
pub fn parse_bytes(s: &str) -> Result<u64, Failure> {
    let t = s.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let x: f64 = num.trim().parse().map_err(|_| {
        Failure::invalid(format!(
            "--max-memory: cannot read \"{s}\" as a size (e.g. 512M, 2G)"
        ))
    })?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024f64.powi(4),
        u => {
            return Err(Failure::invalid(format!(
                "--max-memory: unknown unit \"{u}\" in \"{s}\""
            )));
        }
    };
    if !(x.is_finite() && x >= 0.0) {
        return Err(Failure::invalid(format!(
            "--max-memory: \"{s}\" is not a valid size"
        )));
    }
    Ok((x * mult) as u64)
}

pub fn main_with(args: Vec<String>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let r = match cli.cmd {
        Cmd::Run(a) => cmd_run(a),
        Cmd::Inspect(a) => cmd_inspect(a),
        Cmd::Bench(a) => bench::cmd_bench(a),
        Cmd::Meanfield(a) => meanfield::cmd_meanfield(a),
        Cmd::Compare(a) => meanfield::cmd_compare(a),
        Cmd::Timescales(a) => rate::cmd_timescales(a),
        Cmd::Scan(a) => rate::cmd_scan(a),
        Cmd::PulseCompare(a) => pulse::cmd_pulse_compare(a),
    };
    match r {
        Ok(()) => 0,
        Err(f) => {
            eprintln!("error: {}", f.msg);
            f.code
        }
    }
}

fn print_warnings(w: &[String]) {
    for x in w {
        eprintln!("warning: {x}");
    }
}

fn default_out(network: &Path) -> PathBuf {
    let stem = network
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "network".into());
    PathBuf::from("out").join(format!("{stem}.h5"))
}

pub fn cmd_run(a: RunArgs) -> Result<(), Failure> {
    if let Some(f) = rate::load(&a.net, a.data.as_deref())? {
        if !a.raster_pops.is_empty() {
            return Err(Failure::invalid(
                "--raster-pops applies to spiking networks only",
            ));
        }
        return rate::cmd_run_rate(&a, f);
    }
    let net = a.net.load_with_data(a.data.as_deref())?;
    // Raster populations, checked before any work.
    let raster: Option<(PathBuf, Vec<usize>)> = match &a.plot {
        Some(p) => {
            rate::check_plot_path(p)?;
            let hier = pulse::spiking_hierarchy(&a.net, a.data.as_deref())?;
            let sel = pulse::raster_selection(&net, &a.raster_pops, hier.as_deref())?;
            Some((p.clone(), sel))
        }
        None => None,
    };
    if let Some(t) = a.threads
        && t == 0
    {
        return Err(Failure::invalid("--threads: must be at least 1"));
    }
    let max_memory = a.max_memory.as_deref().map(parse_bytes).transpose()?;
    // Check the output before any work.
    let out: Option<PathBuf> = if a.no_output {
        None
    } else if let Some(o) = &a.out {
        check_output_path(o, a.overwrite).map_err(Failure::invalid)?;
        Some(o.clone())
    } else {
        let o = default_out(&a.net.network);
        if let Some(d) = o.parent() {
            std::fs::create_dir_all(d)
                .map_err(|e| Failure::runtime(format!("cannot create {}: {e}", d.display())))?;
        }
        check_output_path(&o, true).map_err(Failure::invalid)?;
        Some(o)
    };
    let t_build = Instant::now();
    let opts = BuildOptions {
        threads: a.threads.unwrap_or(0),
        max_memory,
        keep_spikes: raster.is_some(),
        ..Default::default()
    };
    if let Some(c) = &a.connectivity {
        check_output_path(c, a.overwrite).map_err(Failure::invalid)?;
        check_output_path(&cortexsim::io::mtx::delays_path(c), a.overwrite)
            .map_err(Failure::invalid)?;
    }
    let mut sim = Simulation::build(&net, &opts).map_err(Failure::build)?;
    if let Some(c) = &a.connectivity {
        let dp = cortexsim::io::mtx::write(&sim, c).map_err(Failure::runtime)?;
        if !a.json {
            eprintln!(
                "connectivity: {} (weights), {} (delays, ms)",
                c.display(),
                dp.display()
            );
        }
    }
    let build_s = t_build.elapsed().as_secs_f64();
    print_warnings(&sim.warnings);
    if let Some(o) = &out {
        let w = SonataWriter::create(o, &net).map_err(Failure::runtime)?;
        sim.set_sink(Box::new(w));
    }
    let dt = net.simulation.dt;
    // Warm-up (benchmarks): simulated but neither timed nor counted in the event rate.
    let warm_steps = ((a.warmup.unwrap_or(0.0) / dt).round() as u64).min(net.simulation.steps);
    let t_warm = Instant::now();
    if warm_steps > 0 {
        sim.run_for(warm_steps, |_| {}).map_err(Failure::sim)?;
    }
    let warmup_s = t_warm.elapsed().as_secs_f64();
    let spikes_after_warmup = sim.recording.pop_spikes.clone();
    let steps = net.simulation.steps - warm_steps;
    let show_bar = !a.json && std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
    let t_sim = Instant::now();
    let mut bar: Option<indicatif::ProgressBar> = None;
    let run_result = sim.run_for(steps, |t| {
        if !show_bar {
            return;
        }
        let el = t_sim.elapsed().as_secs_f64();
        if bar.is_none() && el > 1.0 {
            let b = indicatif::ProgressBar::new(steps);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40.cyan/blue} {percent:>3}% {msg} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar = Some(b);
        }
        if let Some(b) = &bar {
            b.set_position(t - warm_steps);
            let sim_ms = (t - warm_steps) as f64 * dt;
            b.set_message(format!(
                "{sim_ms:.0}/{:.0} ms, real-time factor {:.2}",
                steps as f64 * dt,
                el / (sim_ms * 1e-3)
            ));
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let sim_s = t_sim.elapsed().as_secs_f64();
    let t_ms = sim.t as f64 * dt;
    let pops = summarize(&sim.recording, &net, t_ms);
    let peak = memory::peak_rss_bytes();
    let mut summary = json!({
        "network": a.net.network.display().to_string(),
        "t_stop_ms": t_ms,
        "dt_ms": dt,
        "seed": net.simulation.seed,
        "threads": sim.threads,
        "neurons": net.n_neurons(),
        "partitions": sim.parts.len(),
        "populations": pops.iter().map(|(n, s)| (n.clone(), serde_json::to_value(s).unwrap())).collect::<serde_json::Map<String, Json>>(),
        "synapses": sim.synapses,
        "synapses_per_projection": sim.synapses_per_projection,
        "synapse_bytes": sim.synapse_bytes,
        "bytes_per_synapse": if sim.synapses > 0 { sim.synapse_bytes as f64 / sim.synapses as f64 } else { 0.0 },
        "memory_bytes": {"estimate": sim.estimate.total, "peak_rss": peak},
        "timings_s": {"build": build_s, "warmup": warmup_s, "simulate": sim_s, "write": 0.0},
        "real_time_factor": if steps > 0 { sim_s / (steps as f64 * dt * 1e-3) } else { 0.0 },
        "warmup_ms": warm_steps as f64 * dt,
        "synaptic_events_per_s": 0.0,
        "output": out.as_ref().map(|o| o.display().to_string()),
        "spikes_written": 0,
        "warnings": sim.warnings,
        "status": if run_result.is_ok() { "complete" } else { "failed" },
    });
    // Synaptic events: spikes of each population times its mean out-degree.
    let mut events = 0.0;
    for (pi, pr) in net.projections.iter().enumerate() {
        let src_spikes =
            (sim.recording.pop_spikes[pr.source] - spikes_after_warmup[pr.source]) as f64;
        events += src_spikes * sim.synapses_per_projection[pi] as f64
            / net.populations[pr.source].size as f64;
    }
    summary["synaptic_events_per_s"] = json!(if sim_s > 0.0 { events / sim_s } else { 0.0 });
    let t_write = Instant::now();
    let mut write_err = None;
    if let Some(mut sink) = sim.recording.sink.take() {
        let rates = if net.recorders.rate_bin > 0.0 {
            let bin = net.recorders.rate_bin;
            net.populations
                .iter()
                .enumerate()
                .map(|(p, pop)| {
                    let bins = (t_ms / bin).ceil() as usize;
                    let r: Vec<f64> = sim.recording.rate_bins[p]
                        [..bins.min(sim.recording.rate_bins[p].len())]
                        .iter()
                        .map(|&c| c as f64 / (pop.size as f64 * bin * 1e-3))
                        .collect();
                    (pop.name.clone(), bin, r)
                })
                .collect()
        } else {
            vec![]
        };
        let vm = (0..net.populations.len())
            .filter_map(|p| sim.vm_samples(p))
            .collect();
        summary["spikes_written"] = json!(sim.recording.written);
        let summary_text = summary.to_string();
        // A failed run leaves the file marked incomplete: nothing is finished.
        if run_result.is_ok()
            && let Err(e) = sink.finish(&FinalData {
                rates,
                vm,
                summary_json: &summary_text,
            })
        {
            write_err = Some(e);
        }
    }
    summary["timings_s"]["write"] = json!(t_write.elapsed().as_secs_f64());
    if let Err(e) = run_result {
        return Err(Failure::sim(e));
    }
    if let Some(e) = write_err {
        return Err(Failure::runtime(e));
    }
    if let Some((p, sel)) = &raster {
        plot_raster(&a, &net, &sim, sel, t_ms, p)?;
        summary["plot"] = json!(p.display().to_string());
        summary["raster_populations"] = json!(
            sel.iter()
                .map(|&i| net.populations[i].name.as_str())
                .collect::<Vec<_>>()
        );
    }
    if a.json {
        println!("{summary}");
    } else {
        print_run_summary(&summary);
    }
    Ok(())
}

/// The spike raster of a spiking run (`--plot`), from the spikes kept in memory.
#[cfg(feature = "plots")]
fn plot_raster(
    a: &RunArgs,
    net: &Network,
    sim: &Simulation,
    sel: &[usize],
    t_ms: f64,
    path: &Path,
) -> Result<(), Failure> {
    let bin = if net.recorders.rate_bin > 0.0 {
        net.recorders.rate_bin
    } else {
        5.0
    };
    let pops = pulse::raster_pops(net, sel, &sim.recording.kept, bin, t_ms);
    let name = a
        .net
        .network
        .file_name()
        .map_or_else(|| "network".into(), |s| s.to_string_lossy().to_string());
    cortexsim::plot::plot_raster(
        &format!(
            "{name}: spikes and population rates ({} neurons, seed {})",
            net.n_neurons(),
            net.simulation.seed
        ),
        &pops,
        bin,
        t_ms,
        &pulse::stimulus_windows(net),
        path,
    )
    .map_err(rate::plot_err)
}

#[cfg(not(feature = "plots"))]
fn plot_raster(
    _: &RunArgs,
    _: &Network,
    _: &Simulation,
    _: &[usize],
    _: f64,
    _: &Path,
) -> Result<(), Failure> {
    Err(Failure::invalid(
        "--plot: this cortexsim was built without the `plots` feature",
    ))
}

fn f(v: &Json) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn print_run_summary(s: &Json) {
    println!(
        "cortexsim {} — {}",
        env!("CARGO_PKG_VERSION"),
        s["network"].as_str().unwrap_or("")
    );
    println!(
        "built {} neurons, {} synapses ({:.2} bytes/synapse) in {:.2} s on {} threads ({} partitions)",
        s["neurons"],
        s["synapses"],
        f(&s["bytes_per_synapse"]),
        f(&s["timings_s"]["build"]),
        s["threads"],
        s["partitions"]
    );
    println!(
        "simulated {:.0} ms (dt {} ms) in {:.2} s: real-time factor {:.3}, {:.3e} synaptic events/s",
        f(&s["t_stop_ms"]),
        s["dt_ms"],
        f(&s["timings_s"]["simulate"]),
        f(&s["real_time_factor"]),
        f(&s["synaptic_events_per_s"])
    );
    println!(
        "{:<14} {:>9} {:>11} {:>10} {:>8} {:>8}",
        "population", "neurons", "spikes", "rate (Hz)", "CV ISI", "active"
    );
    if let Some(m) = s["populations"].as_object() {
        for (name, p) in m {
            let cv = p["cv_isi"]
                .as_f64()
                .map(|c| format!("{c:.3}"))
                .unwrap_or_else(|| "-".into());
            println!(
                "{:<14} {:>9} {:>11} {:>10.3} {:>8} {:>7.1}%",
                name,
                p["size"].as_u64().unwrap_or(0),
                p["spikes"].as_u64().unwrap_or(0),
                f(&p["rate_hz"]),
                cv,
                100.0 * f(&p["active_fraction"])
            );
        }
    }
    if let Some(o) = s["output"].as_str() {
        println!(
            "output: {o} ({} spikes, written in {:.2} s)",
            s["spikes_written"],
            f(&s["timings_s"]["write"])
        );
    }
    if let Some(p) = s["plot"].as_str() {
        println!("plot: {p}");
    }
    if let Some(p) = s["memory_bytes"]["peak_rss"].as_u64() {
        println!(
            "memory: estimate {}, peak RSS {}",
            human(s["memory_bytes"]["estimate"].as_u64().unwrap_or(0)),
            human(p)
        );
    }
}

pub fn cmd_inspect(a: InspectArgs) -> Result<(), Failure> {
    let net = a.net.load()?;
    let e = memory::estimate(&net);
    let lay = cortexsim::engine::layout(&net);
    let (dmin, dmax) = cortexsim::engine::delay_bounds(&net);
    let projections: Vec<Json> = net
        .projections
        .iter()
        .enumerate()
        .map(|(i, p)| {
            json!({
                "source": net.populations[p.source].name,
                "target": net.populations[p.target].name,
                "rule": serde_json::to_value(p.rule).unwrap(),
                "synapses": e.per_projection[i],
                "bytes_per_synapse": e.bytes_per_synapse[i],
                "weight": serde_json::to_value(p.weight).unwrap(),
                "delay_ms": serde_json::to_value(p.delay).unwrap(),
            })
        })
        .collect();
    let pops: serde_json::Map<String, Json> = net
        .populations
        .iter()
        .map(|p| (p.name.clone(), json!({"size": p.size, "model": p.model.name(), "params": serde_json::to_value(&p.model).unwrap()["params"].clone()})))
        .collect();
    let j = json!({
        "network": a.net.network.display().to_string(),
        "neurons": net.n_neurons(),
        "populations": pops,
        "projections": projections,
        "synapses": e.n_synapses,
        "partitions": lay.len(),
        "min_delay_steps": dmin,
        "max_delay_steps": dmax,
        "dt_ms": net.simulation.dt,
        "t_stop_ms": net.simulation.t_stop,
        "memory_bytes": serde_json::to_value(&e).unwrap(),
        "available_bytes": memory::available_bytes(),
        "warnings": net.warnings,
    });
    if a.json {
        println!("{j}");
        return Ok(());
    }
    print_warnings(&net.warnings);
    println!(
        "{}: {} neurons in {} populations, {} partitions",
        a.net.network.display(),
        net.n_neurons(),
        net.populations.len(),
        lay.len()
    );
    for p in &net.populations {
        println!("  {:<12} {:>9} × {}", p.name, p.size, p.model.name());
    }
    println!("projections (expected synapses, bytes per synapse):");
    for (i, p) in net.projections.iter().enumerate() {
        println!(
            "  {:>3}  {:<10} -> {:<10} {:>14} {:>3} B  {}",
            i,
            net.populations[p.source].name,
            net.populations[p.target].name,
            e.per_projection[i],
            e.bytes_per_synapse[i],
            serde_json::to_value(p.rule).unwrap()["rule"]
                .as_str()
                .unwrap_or("")
        );
    }
    println!(
        "synapses: {}; delays {}..{} steps of {} ms",
        e.n_synapses, dmin, dmax, net.simulation.dt
    );
    println!("memory estimate: {} ({})", human(e.total), e.detail());
    println!("available: {}", human(memory::available_bytes()));
    Ok(())
}
