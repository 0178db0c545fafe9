//! `cortexsim resume FILE`: continue a run from its checkpoint (`run --checkpoint`).
//! Thin: the file is read by `cortexsim::io::checkpoint`, the network rebuilt, checked
//! and restored by `cortexsim::protocols::checkpoint`, the run is
//! `protocols::run::run_checkpointed`, the spike file continued by
//! `io::sonata::SonataWriter::resume`.

use super::{
    Failure, NetArgs, ProgressBar, commit_outputs, interrupt, parse_bytes, print_run_summary,
    print_warnings,
};
use clap::Args;
use cortexsim::engine::SimError;
use cortexsim::io::checkpoint::{self, CheckpointError, CheckpointFile};
use cortexsim::io::output::{Output, check_distinct};
use cortexsim::io::sonata::SonataWriter;
use cortexsim::models;
use cortexsim::protocols::checkpoint::{self as ck, Checkpointer};
use cortexsim::protocols::run::{self, RunOptions};
use serde_json::json;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct ResumeArgs {
    /// Checkpoint file written by `run --checkpoint` (replaced by the resumed run's
    /// checkpoints: at its end, on SIGINT/SIGTERM, every --checkpoint-every ms).
    pub checkpoint: PathBuf,
    /// Simulate up to this time, ms (default: the t_stop of the run that wrote the checkpoint).
    #[arg(long = "t-stop", value_name = "MS")]
    pub t_stop: Option<f64>,
    /// Worker threads (default: the network's simulation.threads, else all cores); need
    /// not be those of the first run: the spikes are the same.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Spike file to write (default: the run's own, which is continued in place). The
    /// spikes up to the checkpoint are taken from the run's file (or the temporary file
    /// of a run killed after the checkpoint) and checked against the checkpoint.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Do not write a spike file.
    #[arg(long, conflicts_with = "out")]
    pub no_output: bool,
    /// Replace an existing --out file (the run's own file is always continued in place).
    #[arg(long, requires = "out")]
    pub overwrite: bool,
    /// Check that the checkpoint was written by this network (after --set); not needed
    /// to resume: the checkpoint holds the network's description.
    #[arg(long, value_name = "NETWORK")]
    pub network: Option<PathBuf>,
    /// Override a value of --network, as for `run` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE", requires = "network")]
    pub set: Vec<String>,
    /// Data directory of data-driven generators (default: the one the run used, else
    /// $CORTEXSIM_DATA, else the built-in data).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Write the checkpoint every MS of simulated time (default: as the first run).
    #[arg(long, value_name = "MS")]
    pub checkpoint_every: Option<f64>,
    /// Refuse to build above this many bytes (as for `run`).
    #[arg(long, value_name = "BYTES")]
    pub max_memory: Option<String>,
    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn cmd_resume(a: ResumeArgs) -> Result<(), Failure> {
    super::check_threads(a.threads)?;
    let file = checkpoint::read(&a.checkpoint).map_err(|e| match e {
        CheckpointError::Invalid(m) => Failure::invalid(m),
        CheckpointError::Io(m) => Failure::runtime(m),
    })?;
    let h = ck::parse_header(&file.header).map_err(Failure::protocol)?;
    if let Some(n) = &a.network {
        let given = NetArgs {
            network: n.clone(),
            set: a.set.clone(),
            t_stop: None,
            seed: None,
        };
        let table = models::load::overridden_table(&given.origin(), &given.sets())
            .map_err(Failure::spec)?;
        ck::check_network(
            &h,
            &table,
            a.data.as_deref().or(h.data.as_deref()),
            &format!("--network {}", n.display()),
        )
        .map_err(Failure::protocol)?;
    }
    let net = ck::network(&h, a.t_stop, a.data.as_deref()).map_err(Failure::protocol)?;
    if let Some(t) = a.threads
        && t == 0
    {
        return Err(Failure::invalid("--threads: must be at least 1"));
    }
    let max_memory = a.max_memory.as_deref().map(parse_bytes).transpose()?;
    ck::every_steps(a.checkpoint_every, net.simulation.dt).map_err(Failure::protocol)?;
    // The spike file: continued from the run's (or from its killed run's temporary file).
    let out_path: Option<PathBuf> = match (&h.output, a.no_output, &a.out) {
        (_, true, _) => None,
        (None, false, Some(_)) => {
            return Err(Failure::invalid(
                "--out: the run that wrote this checkpoint kept no spike file, so there is none to continue",
            ));
        }
        (None, false, None) => None,
        (Some(m), false, o) => Some(o.clone().unwrap_or_else(|| m.path.clone())),
    };
    let mut wanted: Vec<(&str, &Path, bool)> = Vec::new();
    if let Some(o) = &out_path {
        // The run's own file is replaced by its continuation once complete; another
        // existing file only with --overwrite.
        let own = h
            .output
            .as_ref()
            .is_some_and(|m| cortexsim::io::output::same_file(o, &m.path));
        wanted.push(("--out", o, own || a.overwrite));
    }
    wanted.push(("the checkpoint", &a.checkpoint, true));
    // (The checkpoint is both read and replaced: it was read whole above.)
    let outs: Vec<(&str, &Path)> = wanted.iter().map(|&(w, p, _)| (w, p)).collect();
    check_distinct(&outs, &[]).map_err(Failure::output)?;
    let mut claims = wanted
        .iter()
        .map(|&(_, p, overwrite)| Output::claim(p, overwrite).map_err(Failure::output))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter();
    let out = out_path.as_ref().and_then(|_| claims.next());
    let mut ckpt_file = claims.next().map(CheckpointFile::new);
    let mut opts = RunOptions {
        threads: a.threads.unwrap_or(0),
        max_memory,
        keep_spikes: false,
        warmup_ms: 0.0,
        stop: None,
        output_file: out.is_some(),
        comm: None,
    };
    let mut built = run::build(&net, &opts).map_err(Failure::build)?;
    print_warnings(&built.sim.warnings);
    ck::restore(&mut built.sim, &h, &file.state).map_err(Failure::protocol)?;
    drop(file);
    let mut source_used: Option<PathBuf> = None;
    if let (Some(o), Some(m)) = (&out, &h.output) {
        let marks = m.marks().map_err(Failure::protocol)?;
        let mut why = Vec::new();
        let mut writer = None;
        for src in [&m.partial, &m.path] {
            if !src.exists() {
                why.push(format!("{} does not exist", src.display()));
                continue;
            }
            match SonataWriter::resume(src, o.temp(), &net, &marks, h.t_ms) {
                Ok(w) => {
                    writer = Some(w);
                    source_used = Some(src.clone());
                    break;
                }
                Err(e) => why.push(e),
            }
        }
        let Some(w) = writer else {
            return Err(Failure::invalid(format!(
                "cannot continue the spike file of the checkpoint ({}); pass --no-output to \
                 resume without one",
                why.join("; ")
            )));
        };
        built.sim.set_sink(Box::new(w));
    }
    opts.stop = Some(interrupt::install()?);
    let mut store =
        |hd: &str, s: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>| {
            match ckpt_file.as_mut() {
                Some(f) => f.write(hd, s),
                None => Ok(()),
            }
        };
    let mut c = Checkpointer::new(
        &net,
        &h.network,
        &h.description,
        a.data.as_deref().or(h.data.as_deref()),
        a.checkpoint_every.or(h.every_ms),
        out.as_ref()
            .map(|o| (o.dest().to_path_buf(), o.temp().to_path_buf())),
        &mut store,
    )
    .map_err(Failure::protocol)?;
    let show_bar = !a.json && std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
    let mut bar = ProgressBar::new(net.simulation.dt);
    let out_name = out_path.as_ref().map(|o| o.display().to_string());
    let (sim, mut summary, result) = run::run_checkpointed(
        &net,
        &h.network,
        out_name.as_deref(),
        built,
        &opts,
        show_bar.then_some(&mut |done, steps, elapsed| bar.update(done, steps, elapsed)),
        Some(&mut c),
    );
    bar.finish();
    summary["checkpoint"] = json!({
        "path": a.checkpoint.display().to_string(),
        "written_ms": c.written,
    });
    drop(c);
    let interrupted = match result {
        Err(run::RunError::Sim(SimError::Output(e))) | Err(run::RunError::Output(e)) => {
            return Err(Failure::runtime(e));
        }
        Err(run::RunError::Sim(e)) => {
            let mut msg = e.to_string();
            drop(sim);
            if let Some(mut o) = out {
                let kept = o.keep_partial();
                msg += &format!(
                    "; the spikes up to the failure are in {} (status incomplete)",
                    kept.display()
                );
            }
            return Err(Failure::runtime(msg));
        }
        Err(run::RunError::Interrupted { t_ms }) => Some(t_ms),
        Ok(()) => None,
    };
    drop(sim);
    let dest = out.as_ref().map(|o| o.dest().to_path_buf());
    commit_outputs(out.into_iter().collect())?;
    // The temporary file of a killed run, now continued into the destination.
    if let (Some(src), Some(m), Some(d)) = (&source_used, &h.output, &dest)
        && src == &m.partial
        && !cortexsim::io::output::same_file(src, d)
    {
        let _ = std::fs::remove_file(src);
    }
    if a.json {
        println!("{summary}");
    } else {
        print_run_summary(&summary);
    }
    super::interrupted_result(
        interrupted,
        net.simulation.t_stop,
        out_path.as_deref(),
        Some(&a.checkpoint),
    )
}
