//! Command line: parses arguments, calls the library, prints results. Exit codes:
//! 0 success, 2 usage error (clap), 3 invalid network or argument value,
//! 4 runtime or output failure, 5 not enough memory.

pub mod bench;
pub mod meanfield;
pub mod pulse;

use clap::{Args, Parser, Subcommand};
use cortexsim::engine::memory::human;
use cortexsim::engine::{BuildError, BuildOptions, SimError, Simulation};
use cortexsim::error::SpecError;
use cortexsim::io::sonata::{SonataWriter, check_output_path};
use cortexsim::models::{self, Loaded, Origin, RateNetworkFile};
use cortexsim::protocols::ProtocolError;
use cortexsim::protocols::inspect::{inspect, rule_name};
use cortexsim::protocols::run::{self, RunOptions};
use cortexsim::spec::Network;
use serde_json::{Value as Json, json};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

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

    /// Where the network comes from: the file, else a built-in network of that name.
    pub fn origin(&self) -> Origin {
        Origin::resolve(&self.network)
    }

    /// Load whatever the file is (spiking network, spiking generator, rate model) through
    /// the library's one loader ([`cortexsim::models::load`]).
    pub fn load_any(&self, data: Option<&Path>) -> Result<Loaded, Failure> {
        models::load::load(&self.origin(), &self.sets(), data).map_err(Failure::spec)
    }

    pub fn load(&self) -> Result<Network, Failure> {
        self.load_with_data(None)
    }

    /// Load a spiking network (a network file or a spiking generator file, generated from
    /// `data`, else `$CORTEXSIM_DATA`, else the built-in data); a rate model is an error.
    pub fn load_with_data(&self, data: Option<&Path>) -> Result<Network, Failure> {
        self.load_any(data)?
            .into_spiking(&self.origin(), "this command")
            .map_err(Failure::spec)
    }

    /// Load a rate model; a spiking network is an error naming `command`.
    pub fn load_rate(
        &self,
        data: Option<&Path>,
        command: &str,
    ) -> Result<RateNetworkFile, Failure> {
        self.load_any(data)?
            .into_rate(&self.origin(), command)
            .map_err(Failure::spec)
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
    /// Data-driven models (rate files, spiking generators): data directory (default: $CORTEXSIM_DATA, else the data built into the program).
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
    #[arg(long, value_name = "MS")]
    pub warmup: Option<f64>,
    /// Rate models: run a task protocol (named epochs with inputs to named populations,
    /// see `protocols/wm_visual.toml`; a file, or a built-in protocol by name) and report
    /// the mean rate of every population in every epoch. The protocol sets the run's length.
    #[arg(long, value_name = "FILE")]
    pub protocol: Option<PathBuf>,
    /// Write the built connectivity as Matrix Market: FILE (weights, [target, source]) and
    /// FILE.delays.mtx (ms); `--overwrite` applies. For networks up to ~1e7 synapses.
    #[arg(long, value_name = "FILE.mtx")]
    pub connectivity: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    #[command(flatten)]
    pub net: NetArgs,
    /// Print one JSON object on stdout.
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
    pub fn protocol(e: ProtocolError) -> Failure {
        match e {
            ProtocolError::Spec(s) => Failure::spec(s),
            e @ (ProtocolError::Invalid(_) | ProtocolError::UnknownPopulation { .. }) => {
                Failure::invalid(e.to_string())
            }
            ProtocolError::Runtime(m) => Failure::runtime(m),
            ProtocolError::Build(b) => Failure::build(b),
            ProtocolError::Sim(s) => Failure::sim(s),
            ProtocolError::Context { context, source } => {
                let inner = Failure::protocol(*source);
                Failure {
                    code: inner.code,
                    msg: format!("{context}: {}", inner.msg),
                }
            }
        }
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

/// The terminal progress bar of a run: shown after the first second.
struct ProgressBar {
    dt: f64,
    bar: Option<indicatif::ProgressBar>,
}

impl ProgressBar {
    fn new(dt: f64) -> Self {
        ProgressBar { dt, bar: None }
    }

    fn update(&mut self, done: u64, steps: u64, elapsed: f64) {
        if self.bar.is_none() && elapsed > 1.0 {
            let b = indicatif::ProgressBar::new(steps);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40.cyan/blue} {percent:>3}% {msg} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            self.bar = Some(b);
        }
        if let Some(b) = &self.bar {
            b.set_position(done);
            let sim_ms = done as f64 * self.dt;
            b.set_message(format!(
                "{sim_ms:.0}/{:.0} ms, real-time factor {:.2}",
                steps as f64 * self.dt,
                elapsed / (sim_ms * 1e-3)
            ));
        }
    }

    fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}

fn print_warnings(w: &[String]) {
    for x in w {
        eprintln!("warning: {x}");
    }
}

fn default_out(origin: &Origin) -> PathBuf {
    PathBuf::from("out").join(format!("{}.h5", origin.stem()))
}

pub fn cmd_run(a: RunArgs) -> Result<(), Failure> {
    let net = match a.net.load_any(a.data.as_deref())? {
        Loaded::Rate(f) => {
            if !a.raster_pops.is_empty() {
                return Err(Failure::invalid(
                    "--raster-pops applies to spiking networks only",
                ));
            }
            return rate::cmd_run_rate(&a, *f);
        }
        Loaded::Spiking(n) => *n,
    };
    if a.protocol.is_some() {
        return Err(Failure::invalid(
            "--protocol applies to rate models only (spiking networks take their inputs from [[stimuli]])",
        ));
    }
    // Raster populations, checked before any work.
    let raster: Option<(PathBuf, Vec<usize>)> = match &a.plot {
        Some(p) => {
            rate::check_plot_path(p)?;
            let hier = pulse::spiking_hierarchy(&a.net, a.data.as_deref())?;
            let sel = cortexsim::protocols::raster::raster_selection(
                &net,
                &a.raster_pops,
                hier.as_deref(),
            )
            .map_err(Failure::invalid)?;
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
        let o = default_out(&a.net.origin());
        if let Some(d) = o.parent() {
            std::fs::create_dir_all(d)
                .map_err(|e| Failure::runtime(format!("cannot create {}: {e}", d.display())))?;
        }
        check_output_path(&o, true).map_err(Failure::invalid)?;
        Some(o)
    };
    let opts = RunOptions {
        threads: a.threads.unwrap_or(0),
        max_memory,
        keep_spikes: raster.is_some(),
        warmup_ms: a.warmup.unwrap_or(0.0),
    };
    if let Some(c) = &a.connectivity {
        check_output_path(c, a.overwrite).map_err(Failure::invalid)?;
        check_output_path(&cortexsim::io::mtx::delays_path(c), a.overwrite)
            .map_err(Failure::invalid)?;
    }
    let mut built = run::build(&net, &opts).map_err(Failure::build)?;
    if let Some(c) = &a.connectivity {
        let dp = cortexsim::io::mtx::write(&built.sim, c).map_err(Failure::runtime)?;
        if !a.json {
            eprintln!(
                "connectivity: {} (weights), {} (delays, ms)",
                c.display(),
                dp.display()
            );
        }
    }
    print_warnings(&built.sim.warnings);
    if let Some(o) = &out {
        let w = SonataWriter::create(o, &net).map_err(Failure::runtime)?;
        built.sim.set_sink(Box::new(w));
    }
    let show_bar = !a.json && std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
    let mut bar = ProgressBar::new(net.simulation.dt);
    let out_name = out.as_ref().map(|o| o.display().to_string());
    let (sim, mut summary, result) = run::run(
        &net,
        &a.net.origin().display(),
        out_name.as_deref(),
        built,
        &opts,
        show_bar.then_some(&mut |done, steps, elapsed| bar.update(done, steps, elapsed)),
    );
    bar.finish();
    let t_ms = sim.t as f64 * net.simulation.dt;
    match result {
        Err(run::RunError::Sim(e)) => return Err(Failure::sim(e)),
        Err(run::RunError::Output(e)) => return Err(Failure::runtime(e)),
        Ok(()) => {}
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
    let info = inspect(&net);
    if a.json {
        println!("{}", info.to_json(&a.net.origin().display(), &net));
        return Ok(());
    }
    let e = &info.estimate;
    print_warnings(&net.warnings);
    println!(
        "{}: {} neurons in {} populations, {} partitions",
        a.net.origin().display(),
        net.n_neurons(),
        net.populations.len(),
        info.partitions
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
            rule_name(&p.rule)
        );
    }
    println!(
        "synapses: {}; delays {}..{} steps of {} ms",
        e.n_synapses, info.min_delay_steps, info.max_delay_steps, net.simulation.dt
    );
    println!("memory estimate: {} ({})", human(e.total), e.detail());
    println!("available: {}", human(info.available_bytes));
    Ok(())
}
