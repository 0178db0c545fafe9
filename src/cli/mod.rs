//! Command line: parses arguments, calls the library, prints results. Exit codes:
//! 0 success, 2 usage error (clap), 3 invalid network or argument value,
//! 4 runtime or output failure, 5 not enough memory, 6 `run` interrupted by SIGINT or
//! SIGTERM (its output holds everything up to the time reached, status `interrupted`);
//! a second signal ends the run at once with 130 (SIGINT) or 143 (SIGTERM).

pub mod bench;
pub mod decision;
pub mod interrupt;
pub mod meanfield;
pub mod pulse;
pub mod resume;

use clap::{Args, Parser, Subcommand};
use cortexsim::engine::memory::{self, human};
use cortexsim::engine::{BuildError, BuildOptions, SimError, Simulation};
use cortexsim::error::SpecError;
use cortexsim::io::checkpoint::CheckpointFile;
use cortexsim::io::output::{Output, OutputError, check_distinct};
use cortexsim::io::sonata::SonataWriter;
use cortexsim::models::{self, Loaded, Origin, RateNetworkFile};
use cortexsim::protocols::ProtocolError;
use cortexsim::protocols::checkpoint::Checkpointer;
use cortexsim::protocols::inspect::{inspect, rule_name};
use cortexsim::protocols::run::{self, RunOptions};
use cortexsim::spec::Network;
use serde_json::{Value as Json, json};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub mod rate;

#[cfg(feature = "mpi")]
pub mod mpi;

use cortexsim::engine::exchange::{Comm, all_values};
use std::sync::Arc;

pub const EXIT_INVALID: i32 = 3;
pub const EXIT_RUNTIME: i32 = 4;
pub const EXIT_MEMORY: i32 = 5;
pub const EXIT_INTERRUPTED: i32 = 6;

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
    /// Continue a run from its checkpoint (`run --checkpoint`): appends to its spike file;
    /// the spikes equal those of one uninterrupted run, on any thread count.
    Resume(resume::ResumeArgs),
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
    /// Phase plane of a two-variable rate model (e.g. wong_wang2006.toml): vector field,
    /// nullclines, fixed points and their stability.
    PhasePlane(decision::PhasePlaneArgs),
    /// Many trials of a two-choice decision task (rate model or spiking network): accuracy
    /// and decision time per coherence, Weibull fit of the psychometric function.
    Trials(decision::TrialsArgs),
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
            // TOML integers end at 2^63 - 1: larger seeds travel as a string of digits,
            // which `simulation.seed` accepts (the whole u64 range, end to end).
            if seed > i64::MAX as u64 {
                s.push(format!("simulation.seed=\"{seed}\""));
            } else {
                s.push(format!("simulation.seed={seed}"));
            }
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
    /// Rate files: the rate traces as CSV (t_ms,<pop>,...); no default. Written as
    /// <stem>.partial-<pid>.<ext> beside it and renamed into place at the end; a second
    /// run on the same file is refused while this one runs.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace an existing --out (and --connectivity) file; the old file stays until the
    /// new one is complete. (--plot always replaces its figure.)
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
    /// With --protocol: a PNG of the delay activity per area (the persistence window's rate
    /// minus the baseline, by hierarchy, persistent areas in red) and, where the model
    /// brings an experimental map (froudist_walsh2021), the evidence under each area.
    #[arg(long, value_name = "FILE", requires = "protocol")]
    pub plot_delay: Option<PathBuf>,
    /// Write the built connectivity as Matrix Market: FILE (weights, [target, source]) and
    /// FILE.delays.mtx (ms), one line per synapse, streamed (no extra memory); `--overwrite`
    /// applies. Multapses are repeated entries: scipy's mmread keeps them in its COO
    /// result, but .tocsr()/.toarray() sum them.
    #[arg(long, value_name = "FILE.mtx")]
    pub connectivity: Option<PathBuf>,
    /// Write the run's whole state to FILE at the end, on SIGINT/SIGTERM, and every
    /// --checkpoint-every ms; `cortexsim resume FILE` continues it. Each checkpoint
    /// replaces the previous one only once it is complete; an existing FILE needs --overwrite.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Also write the checkpoint every MS of simulated time (at multiples of MS).
    #[arg(long, value_name = "MS", requires = "checkpoint")]
    pub checkpoint_every: Option<f64>,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    #[command(flatten)]
    pub net: NetArgs,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also the memory estimate of each of R MPI processes (`mpirun -np R cortexsim run`):
    /// its partitions, synapses and bytes.
    #[arg(long, value_name = "R")]
    pub ranks: Option<usize>,
}

/// `inspect --ranks R`: per process, its partitions (layout indices), expected synapses
/// and memory estimate.
fn rank_table(net: &Network, ranks: usize) -> Vec<(std::ops::Range<usize>, memory::Estimate)> {
    let blocks = cortexsim::engine::exchange::rank_blocks(net, ranks);
    blocks
        .into_iter()
        .zip(memory::estimate_ranks(net, true, ranks))
        .collect()
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
    pub fn output(e: OutputError) -> Failure {
        match e {
            OutputError::Invalid(m) => Failure::invalid(m),
            OutputError::Busy(m) | OutputError::Io(m) => Failure::runtime(m),
        }
    }
}

/// Claim the output files of a command before any work ([`cortexsim::io::output`]):
/// each (flag, path, overwrite) must differ from the others and from the network file,
/// and is locked against other runs until it is committed or dropped.
pub fn claim_outputs(
    net: &NetArgs,
    outputs: &[(&str, &Path, bool)],
) -> Result<Vec<Output>, Failure> {
    let mut inputs: Vec<(&str, &Path)> = Vec::new();
    if net.network.is_file() {
        inputs.push(("the network file", &net.network));
    }
    let outs: Vec<(&str, &Path)> = outputs.iter().map(|&(w, p, _)| (w, p)).collect();
    check_distinct(&outs, &inputs).map_err(Failure::output)?;
    outputs
        .iter()
        .map(|&(_, p, overwrite)| Output::claim(p, overwrite).map_err(Failure::output))
        .collect()
}

/// Put finished output files in place, in order.
pub fn commit_outputs(outputs: Vec<Output>) -> Result<(), Failure> {
    for o in outputs {
        o.commit().map_err(Failure::output)?;
    }
    Ok(())
}

/// `--threads N`: 1 to [`MAX_THREADS`](cortexsim::spec::validate::MAX_THREADS) (the
/// same bound as `simulation.threads`, with the same reason).
pub fn check_threads(t: Option<usize>) -> Result<(), Failure> {
    use cortexsim::spec::validate::MAX_THREADS;
    match t {
        Some(0) => Err(Failure::invalid("--threads: must be at least 1")),
        Some(t) if t as u64 > MAX_THREADS => Err(Failure::invalid(format!(
            "--threads {t}: at most {MAX_THREADS} (threads beyond the partitions only wait, and starting very many looks like a hang)"
        ))),
        _ => Ok(()),
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
        Cmd::Run(a) => run_command(a),
        Cmd::Resume(a) => resume::cmd_resume(a),
        Cmd::Inspect(a) => cmd_inspect(a),
        Cmd::Bench(a) => bench::cmd_bench(a),
        Cmd::Meanfield(a) => meanfield::cmd_meanfield(a),
        Cmd::Compare(a) => meanfield::cmd_compare(a),
        Cmd::Timescales(a) => rate::cmd_timescales(a),
        Cmd::Scan(a) => rate::cmd_scan(a),
        Cmd::PulseCompare(a) => pulse::cmd_pulse_compare(a),
        Cmd::PhasePlane(a) => decision::cmd_phase_plane(a),
        Cmd::Trials(a) => decision::cmd_trials(a),
    };
    match r {
        Ok(()) => 0,
        Err(f) => {
            // Empty: another process of an MPI run failed; process 0 printed it.
            if !f.msg.is_empty() {
                eprintln!("error: {}", f.msg);
            }
            f.code
        }
    }
}

/// `run`: under an MPI launcher (and built with the `mpi` feature) as one of its
/// processes, else in this process alone.
fn run_command(a: RunArgs) -> Result<(), Failure> {
    #[cfg(feature = "mpi")]
    if mpi::under_launcher() {
        return mpi::run(a);
    }
    cmd_run(a)
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
    cmd_run_on(a, None)
}

/// Several processes: go on only if every one got here without failing (a failure on
/// one alone — claiming the output on process 0 — would leave the others waiting in the
/// next collective). The others' failure has no message here (process 0 prints it,
/// [`mpi::run`]).
fn agree<T>(comm: Option<&Arc<dyn Comm>>, r: Result<T, Failure>) -> Result<T, Failure> {
    let Some(c) = comm else { return r };
    let failed = all_values(c.as_ref(), u64::from(r.is_err()));
    match r {
        Ok(_) if failed.iter().any(|&f| f > 0) => Err(Failure::runtime(String::new())),
        r => r,
    }
}

/// `run` of a spiking or rate network; with `comm`, as one of several processes
/// (MPI): every process builds and simulates its partitions, process 0 alone claims and
/// writes the output, draws the plot and prints (module docs of [`mpi`]).
pub fn cmd_run_on(a: RunArgs, comm: Option<Arc<dyn Comm>>) -> Result<(), Failure> {
    let root = comm.as_ref().is_none_or(|c| c.rank() == 0);
    let net = match a.net.load_any(a.data.as_deref())? {
        Loaded::Rate(f) => {
            if !a.raster_pops.is_empty() {
                return Err(Failure::invalid(
                    "--raster-pops applies to spiking networks only",
                ));
            }
            if a.checkpoint.is_some() {
                return Err(Failure::invalid(
                    "--checkpoint applies to spiking networks only",
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
    if comm.is_some() && a.checkpoint.is_some() {
        return Err(Failure::invalid(
            "--checkpoint: not available with several processes yet (each holds only its own part of the state); run it on one process",
        ));
    }
    if comm.is_some() && a.connectivity.is_some() {
        return Err(Failure::invalid(
            "--connectivity: not available with several processes (each holds only its own synapses); run it on one process",
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
    check_threads(a.threads)?;
    if let Some(w) = a.warmup
        && !(w >= 0.0 && w <= net.simulation.t_stop)
    {
        return Err(Failure::invalid(format!(
            "--warmup {}: must be between 0 and t_stop = {} ms",
            cortexsim::fmt::num(w),
            cortexsim::fmt::num(net.simulation.t_stop)
        )));
    }
    let max_memory = a.max_memory.as_deref().map(parse_bytes).transpose()?;
    cortexsim::protocols::checkpoint::every_steps(a.checkpoint_every, net.simulation.dt)
        .map_err(Failure::protocol)?;
    // Claim every output before any work (docs/RELIABILITY.md, "Output").
    let out_path: Option<PathBuf> = if a.no_output {
        None
    } else if let Some(o) = &a.out {
        Some(o.clone())
    } else {
        let o = default_out(&a.net.origin());
        if let Some(d) = o.parent() {
            std::fs::create_dir_all(d)
                .map_err(|e| Failure::runtime(format!("cannot create {}: {e}", d.display())))?;
        }
        Some(o)
    };
    let delays_path = a
        .connectivity
        .as_deref()
        .map(cortexsim::io::mtx::delays_path);
    let mut wanted: Vec<(&str, &Path, bool)> = Vec::new();
    if let Some(o) = &out_path {
        // The default output is replaced; an explicit one only with --overwrite.
        wanted.push(("--out", o, a.overwrite || a.out.is_none()));
    }
    if let (Some(c), Some(d)) = (&a.connectivity, &delays_path) {
        wanted.push(("--connectivity", c, a.overwrite));
        wanted.push(("the --connectivity delays file", d, a.overwrite));
    }
    if let Some(p) = &a.plot {
        // A figure is replaced, as by every other command that draws one.
        wanted.push(("--plot", p, true));
    }
    if let Some(c) = &a.checkpoint {
        wanted.push(("--checkpoint", c, a.overwrite));
    }
    if !root {
        // Process 0 alone writes (the others' spikes reach it through the exchange).
        wanted.clear();
    }
    let mut claims = agree(comm.as_ref(), claim_outputs(&a.net, &wanted))?.into_iter();
    let out = out_path.as_ref().and_then(|_| claims.next());
    let conn = a
        .connectivity
        .as_ref()
        .and_then(|_| Some((claims.next()?, claims.next()?)));
    let plot_out = a.plot.as_ref().and_then(|_| claims.next());
    let mut ckpt_file = a
        .checkpoint
        .as_ref()
        .and_then(|_| claims.next())
        .map(CheckpointFile::new);
    let mut opts = RunOptions {
        threads: a.threads.unwrap_or(0),
        max_memory,
        keep_spikes: raster.is_some() && root,
        warmup_ms: a.warmup.unwrap_or(0.0),
        stop: None,
        output_file: out_path.is_some(),
        comm: comm.clone(),
    };
    let mut built = run::build(&net, &opts).map_err(Failure::build)?;
    if let Some((w, d)) = &conn {
        cortexsim::io::mtx::write(&built.sim, w.temp(), d.temp()).map_err(Failure::runtime)?;
    }
    if root {
        print_warnings(&built.sim.warnings);
    }
    opts.stop = Some(agree(comm.as_ref(), interrupt::install())?);
    let sink = out
        .as_ref()
        .map(|o| SonataWriter::create(o.temp(), &net).map_err(Failure::runtime))
        .transpose();
    if let Some(w) = agree(comm.as_ref(), sink)? {
        built.sim.set_sink(Box::new(w));
    }
    let show_bar =
        root && !a.json && std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
    let mut bar = ProgressBar::new(net.simulation.dt);
    let out_name = out_path.as_ref().map(|o| o.display().to_string());
    let mut store = |h: &str, s: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>| {
        match ckpt_file.as_mut() {
            Some(f) => f.write(h, s),
            None => Ok(()),
        }
    };
    let mut ckpt = match &a.checkpoint {
        Some(_) => {
            let table = models::load::overridden_table(&a.net.origin(), &a.net.sets())
                .map_err(Failure::spec)?;
            let description = toml::to_string(&table)
                .map_err(|e| Failure::runtime(format!("cannot store the network: {e}")))?;
            Some(
                Checkpointer::new(
                    &net,
                    &a.net.origin().display(),
                    &description,
                    a.data.as_deref(),
                    a.checkpoint_every,
                    out.as_ref()
                        .map(|o| (o.dest().to_path_buf(), o.temp().to_path_buf())),
                    &mut store,
                )
                .map_err(Failure::protocol)?,
            )
        }
        None => None,
    };
    let (sim, mut summary, result) = run::run_checkpointed(
        &net,
        &a.net.origin().display(),
        out_name.as_deref(),
        built,
        &opts,
        show_bar.then_some(&mut |done, steps, elapsed| bar.update(done, steps, elapsed)),
        ckpt.as_mut(),
    );
    if let Some(c) = &ckpt {
        summary["checkpoint"] = json!({
            "path": a.checkpoint.as_ref().map(|p| p.display().to_string()),
            "written_ms": c.written,
        });
    }
    drop(ckpt);
    bar.finish();
    let t_ms = sim.t as f64 * net.simulation.dt;
    let unchanged = |o: &Output| {
        if o.dest().exists() {
            format!("; {} was not changed", o.dest().display())
        } else {
            String::new()
        }
    };
    let interrupted = match result {
        Err(run::RunError::Sim(SimError::Output(e))) | Err(run::RunError::Output(e)) => {
            // The partial file is removed when `out` is dropped (after `sim` closes it).
            let tail = out.as_ref().map(unchanged).unwrap_or_default();
            return Err(Failure::runtime(format!("{e}{tail}")));
        }
        Err(run::RunError::Sim(e)) => {
            let mut msg = e.to_string();
            drop(sim); // closes the partial file (with what was buffered)
            if let Some(mut o) = out {
                let kept = o.keep_partial();
                msg += &format!(
                    "; the spikes up to the failure are in {} (status incomplete){}",
                    kept.display(),
                    unchanged(&o)
                );
            }
            return Err(Failure::runtime(msg));
        }
        Err(run::RunError::Interrupted { t_ms }) => Some(t_ms),
        Ok(()) => None,
    };
    if let (Some((p, sel)), Some(po)) = (&raster, &plot_out) {
        plot_raster(&a, &net, &sim, sel, t_ms, po.temp())?;
        summary["plot"] = json!(p.display().to_string());
        summary["raster_populations"] = json!(
            sel.iter()
                .map(|&i| net.populations[i].name.as_str())
                .collect::<Vec<_>>()
        );
    }
    let mut finished: Vec<Output> = out.into_iter().collect();
    if let Some((w, d)) = conn {
        finished.extend([w, d]);
        if !a.json
            && let Some(c) = &a.connectivity
        {
            eprintln!(
                "connectivity: {} (weights), {} (delays, ms)",
                c.display(),
                delays_path.as_deref().unwrap_or(c).display()
            );
        }
    }
    finished.extend(plot_out);
    commit_outputs(finished)?;
    // The peak of the whole process, the output file's finish included (the summary
    // stored in the file was taken before it).
    if let Some(p) = memory::peak_rss_bytes() {
        summary["memory_bytes"]["peak_rss"] = json!(p);
    }
    if a.json {
        println!("{summary}");
    } else {
        print_run_summary(&summary);
    }
    interrupted_result(
        interrupted,
        net.simulation.t_stop,
        out_path.as_deref(),
        a.checkpoint.as_deref(),
    )
}

/// The end of a run (or resumed run) that a signal may have stopped at `interrupted` ms.
pub fn interrupted_result(
    interrupted: Option<f64>,
    t_stop: f64,
    out: Option<&Path>,
    checkpoint: Option<&Path>,
) -> Result<(), Failure> {
    let Some(t) = interrupted else {
        return Ok(());
    };
    let mut msg = format!("interrupted by a signal at t = {t} ms of {t_stop} ms");
    if let Some(o) = out {
        msg += &format!(
            "; {} holds everything up to then (status = \"interrupted\")",
            o.display()
        );
    }
    if let Some(c) = checkpoint {
        msg += &format!(
            "; checkpoint written: `cortexsim resume {}` continues the run",
            c.display()
        );
    }
    Err(Failure {
        code: EXIT_INTERRUPTED,
        msg,
    })
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

pub fn print_run_summary(s: &Json) {
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
    let from = match s["resumed_from_ms"].as_f64() {
        Some(t) => format!("{t:.0}–"),
        None => String::new(),
    };
    println!(
        "simulated {from}{:.0} ms (dt {} ms) in {:.2} s: real-time factor {:.3}, {:.3e} synaptic events/s",
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
    if let Some(r) = s["ranks"].as_u64() {
        let ex = &s["exchange"];
        println!(
            "{r} MPI processes × {} threads: {:.0} bytes exchanged per slice ({} slices), {:.2} s in the exchange on process 0",
            s["threads"],
            f(&ex["bytes_per_slice"]),
            ex["slices"],
            ex["seconds_per_rank"][0].as_f64().unwrap_or(f64::NAN)
        );
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
    if let Some(c) = s["checkpoint"]["path"].as_str() {
        let last = s["checkpoint"]["written_ms"]
            .as_array()
            .and_then(|w| w.last())
            .and_then(|t| t.as_f64());
        match last {
            Some(t) => println!("checkpoint: {c} (t = {t} ms)"),
            None => println!("checkpoint: {c} (none written)"),
        }
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
    let ranks = match a.ranks {
        Some(0) => return Err(Failure::invalid("--ranks: must be at least 1")),
        Some(r) if r > 1 << 20 => {
            return Err(Failure::invalid(format!(
                "--ranks {r}: at most {} processes",
                1 << 20
            )));
        }
        Some(r) => rank_table(&net, r),
        None => Vec::new(),
    };
    if a.json {
        let mut j = info.to_json(&a.net.origin().display(), &net);
        if !ranks.is_empty() {
            j["ranks"] = json!(
                ranks
                    .iter()
                    .map(|(b, e)| json!({
                        "partitions": [b.start, b.end],
                        "synapses": e.n_synapses,
                        "estimate": e.total,
                    }))
                    .collect::<Vec<_>>()
            );
        }
        println!("{j}");
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
                + if p.storage == cortexsim::spec::Storage::Procedural {
                    " (procedural)"
                } else {
                    ""
                }
        );
    }
    println!(
        "synapses: {}; delays {}..{} steps of {} ms",
        e.n_synapses, info.min_delay_steps, info.max_delay_steps, net.simulation.dt
    );
    if e.procedural_synapses > 0 {
        let k = net
            .projections
            .iter()
            .filter(|p| p.storage == cortexsim::spec::Storage::Procedural)
            .count();
        println!(
            "procedural: {} synapses in {k} projections, 0 bytes per synapse (out-degree tables and row bitmaps {}); stored they would need {}",
            e.procedural_synapses,
            human(e.out_degrees),
            human(e.stored_equivalent)
        );
    }
    println!("memory estimate: {} ({})", human(e.total), e.detail());
    println!("available: {}", human(info.available_bytes));
    if !ranks.is_empty() {
        println!(
            "per MPI process ({} processes; partitions by layout index):",
            ranks.len()
        );
        for (r, (b, e)) in ranks.iter().enumerate() {
            println!(
                "  process {r:>4}: partitions {:>5}..{:<5} {:>14} synapses  {}",
                b.start,
                b.end,
                e.n_synapses,
                human(e.total)
            );
        }
    }
    Ok(())
}
