//! Decision-making commands: `phase-plane` (a two-variable rate model's vector field,
//! nullclines and fixed points) and `trials` (many trials of a two-choice task on a rate
//! model or a spiking network: accuracy, decision time, Weibull fit). The work is done by
//! [`cortexsim::protocols::phase_plane`] and [`cortexsim::protocols::trials`].

use super::rate::{claim_plot, commit_plot};
use super::{Failure, NetArgs};
use clap::Args;
use cortexsim::models::{self, task};
use cortexsim::protocols::phase_plane::{PhasePlaneOptions, phase_plane};
use cortexsim::protocols::trials::{TrialsOptions, trials};
use serde_json::json;
use std::path::PathBuf;

/// `A,B` as two names (for `--pools`, `--stimulus`).
fn pair(flag: &str, s: &str) -> Result<[String; 2], Failure> {
    let v: Vec<&str> = s.split(',').map(str::trim).collect();
    if v.len() != 2 || v.iter().any(|x| x.is_empty()) {
        return Err(Failure::invalid(format!(
            "{flag}: expected two comma-separated names, got `{s}`"
        )));
    }
    Ok([v[0].to_string(), v[1].to_string()])
}

/// `LO,HI` as a range.
fn range(flag: &str, s: &str) -> Result<(f64, f64), Failure> {
    let bad = || Failure::invalid(format!("{flag}: expected LO,HI with LO < HI, got `{s}`"));
    let (a, b) = s.split_once(',').ok_or_else(bad)?;
    let (lo, hi): (f64, f64) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if !(lo.is_finite() && hi.is_finite() && hi > lo) {
        return Err(bad());
    }
    Ok((lo, hi))
}

// ---------------------------------------------------------------------------------------
// phase-plane
// ---------------------------------------------------------------------------------------

#[derive(Args, Debug)]
pub struct PhasePlaneArgs {
    #[command(flatten)]
    pub net: NetArgs,
    /// Data directory (default: $CORTEXSIM_DATA, else the data built into the program).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Time (ms) whose drive is used: the stimulus epochs active then are on.
    /// Default 0, or with --coherence the stimulus onset of the file's [trials] table.
    #[arg(long, value_name = "MS")]
    pub at: Option<f64>,
    /// Coherence c' (%): the file's [trials] stimulus values mu0 become mu0 (1 ± c'/100).
    #[arg(long, value_name = "PERCENT")]
    pub coherence: Option<f64>,
    /// Grid nodes per axis for nullclines and fixed points.
    #[arg(long, default_value_t = 400)]
    pub grid: usize,
    /// Range of the first variable, LO,HI (default [0, 1] for a gating variable, [0, 100] Hz for a rate).
    #[arg(long, value_name = "LO,HI", allow_hyphen_values = true)]
    pub x_range: Option<String>,
    /// Range of the second variable, LO,HI.
    #[arg(long, value_name = "LO,HI", allow_hyphen_values = true)]
    pub y_range: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Draw the phase plane (PNG): flow, nullclines, fixed points.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
}

pub fn cmd_phase_plane(a: PhasePlaneArgs) -> Result<(), Failure> {
    let ranges = [
        a.x_range
            .as_deref()
            .map(|s| range("--x-range", s))
            .transpose()?,
        a.y_range
            .as_deref()
            .map(|s| range("--y-range", s))
            .transpose()?,
    ];
    let origin = a.net.origin();
    let mut doc = models::load::overridden_table(&origin, &a.net.sets()).map_err(Failure::spec)?;
    let mut at = a.at;
    if let Some(c) = a.coherence {
        if !(c.is_finite() && (0.0..=100.0).contains(&c)) {
            return Err(Failure::invalid(format!(
                "--coherence: {c} is not in [0, 100] %"
            )));
        }
        let spec = task::trials_spec(&doc).map_err(Failure::spec)?.ok_or_else(|| {
            Failure::invalid(
                "--coherence: the file has no [trials] table naming its stimulus (use --set instead)",
            )
        })?;
        let sets = task::coherence_sets(&doc, &spec, c).map_err(Failure::spec)?;
        cortexsim::spec::overrides::apply_all(&mut doc, &sets).map_err(Failure::spec)?;
        at = at.or(Some(spec.onset_ms));
    }
    let f = match models::load::load_table(&doc, a.data.as_deref()).map_err(Failure::spec)? {
        models::Loaded::Rate(f) => *f,
        models::Loaded::Spiking(_) => {
            return Err(Failure::invalid(format!(
                "{}: phase-plane needs a two-variable rate model, this is a spiking network",
                origin.display()
            )));
        }
    };
    let plot_out = claim_plot(a.plot.as_deref())?;
    let opts = PhasePlaneOptions {
        t_ms: at.unwrap_or(0.0),
        grid: a.grid,
        ranges,
        ..Default::default()
    };
    let pp = phase_plane(&f.net, &opts).map_err(Failure::protocol)?;
    #[cfg(feature = "plots")]
    if let Some(po) = &plot_out {
        let title = match a.coherence {
            Some(c) => format!("Phase plane of {} at c′ = {c} %", origin.stem()),
            None => format!("Phase plane of {}", origin.stem()),
        };
        cortexsim::plot::plot_phase_plane(&pp, &title, po.temp()).map_err(super::rate::plot_err)?;
    }
    commit_plot(plot_out)?;
    if a.json {
        let mut j = pp.to_json(&origin.display());
        j["coherence"] = json!(a.coherence);
        j["plot"] = json!(a.plot.as_ref().map(|o| o.display().to_string()));
        println!("{j}");
        return Ok(());
    }
    println!(
        "{}: phase plane of ({}, {}) with the drive at t = {} ms{}",
        origin.display(),
        pp.names[0],
        pp.names[1],
        pp.t_ms,
        a.coherence
            .map(|c| format!(", coherence {c} %"))
            .unwrap_or_default()
    );
    println!(
        "{:>12} {:>12} {:>16} {:>22} {:>12} {:>12}",
        pp.names[0],
        pp.names[1],
        "kind",
        "eigenvalues (1/s)",
        format!("r({}) Hz", pp.names[0]),
        format!("r({}) Hz", pp.names[1])
    );
    for fp in &pp.fixed_points {
        let ev = |e: (f64, f64)| {
            if e.1 == 0.0 {
                format!("{:.2}", e.0)
            } else {
                format!("{:.2}{:+.2}i", e.0, e.1)
            }
        };
        println!(
            "{:>12.6} {:>12.6} {:>16} {:>22} {:>12.3} {:>12.3}",
            fp.state[0],
            fp.state[1],
            fp.kind,
            format!("{}, {}", ev(fp.eigenvalues[0]), ev(fp.eigenvalues[1])),
            fp.rates_hz[0],
            fp.rates_hz[1]
        );
    }
    if let Some(p) = &a.plot {
        println!("plot: {}", p.display());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// trials
// ---------------------------------------------------------------------------------------

#[derive(Args, Debug)]
pub struct TrialsArgs {
    #[command(flatten)]
    pub net: NetArgs,
    /// Data directory (default: $CORTEXSIM_DATA, else the data built into the program).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Coherences c' (%), comma-separated.
    #[arg(
        long,
        value_name = "C1,C2,...",
        value_delimiter = ',',
        default_value = "0,3.2,6.4,12.8,25.6,51.2"
    )]
    pub coherence: Vec<f64>,
    /// Trials per coherence.
    #[arg(long, default_value_t = 200)]
    pub trials: usize,
    /// Decision threshold on a pool's rate (Hz); default: the file's [trials] threshold, else 15.
    #[arg(long, value_name = "HZ")]
    pub threshold: Option<f64>,
    /// The two selective pools, A,B (choice 1 = A, correct for c' > 0); default: the file's [trials] pools.
    #[arg(long, value_name = "A,B")]
    pub pools: Option<String>,
    /// The --set paths of the two stimulus strengths mu0, scaled to mu0 (1 ± c'/100);
    /// default: the file's [trials] stimulus.
    #[arg(long, value_name = "KEY1,KEY2")]
    pub stimulus: Option<String>,
    /// Stimulus onset (ms): decision times count from it; default: the file's [trials] onset, else 0.
    #[arg(long, value_name = "MS")]
    pub onset: Option<f64>,
    /// Causal moving average of the pool rates before the threshold (ms); default: the
    /// file's [trials] window, else 0 for rate models and 50 for spiking networks.
    #[arg(long, value_name = "MS")]
    pub window: Option<f64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Psychometric, chronometric and pool-rate panels (PNG).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
}

pub fn cmd_trials(a: TrialsArgs) -> Result<(), Failure> {
    let origin = a.net.origin();
    // --seed is the base seed of the trials (through simulation.seed, like every command).
    let doc = models::load::overridden_table(&origin, &a.net.sets()).map_err(Failure::spec)?;
    if let Some(d) = &a.data
        && models::load::kind_of(&doc) == models::FileKind::Spiking
    {
        return Err(Failure::invalid(format!(
            "--data {}: applies to data-driven models only; this network reads no data",
            d.display()
        )));
    }
    let mut opts = TrialsOptions::new(a.coherence.clone(), a.trials);
    opts.pools = a.pools.as_deref().map(|s| pair("--pools", s)).transpose()?;
    opts.stimulus = a
        .stimulus
        .as_deref()
        .map(|s| pair("--stimulus", s))
        .transpose()?;
    opts.onset_ms = a.onset;
    opts.threshold_hz = a.threshold;
    opts.window_ms = a.window;
    opts.threads = match a.threads {
        Some(0) => return Err(Failure::invalid("--threads: must be >= 1")),
        Some(t) if t > 4096 => return Err(Failure::invalid("--threads: at most 4096")),
        Some(t) => t,
        None => 0,
    };
    let plot_out = claim_plot(a.plot.as_deref())?;
    let r = trials(&doc, a.data.as_deref(), &opts).map_err(Failure::protocol)?;
    #[cfg(feature = "plots")]
    if let Some(po) = &plot_out {
        let title = format!("Decisions of {} ({} model)", origin.stem(), r.model);
        cortexsim::plot::plot_trials(&r, &title, po.temp()).map_err(super::rate::plot_err)?;
    }
    commit_plot(plot_out)?;
    if a.json {
        let mut j = r.to_json(&origin.display());
        j["plot"] = json!(a.plot.as_ref().map(|o| o.display().to_string()));
        println!("{j}");
        return Ok(());
    }
    println!(
        "{}: {} trials per coherence ({} model; pools {} / {}; threshold {} Hz from {} ms; window {} ms; base seed {}; {} threads, {:.1} s)",
        origin.display(),
        a.trials,
        r.model,
        r.spec.pools[0],
        r.spec.pools[1],
        r.spec.threshold_hz,
        r.spec.onset_ms,
        r.window_ms,
        r.base_seed,
        r.threads,
        r.elapsed_s
    );
    println!(
        "{:>8} {:>8} {:>9} {:>16} {:>18} {:>12} {:>12}",
        "c' (%)",
        "decided",
        "accuracy",
        "decision (ms)",
        "correct dec. (ms)",
        "winner (Hz)",
        "loser (Hz)"
    );
    for c in &r.results {
        println!(
            "{:>8} {:>8} {:>9.3} {:>9.0} ± {:<4.0} {:>18.0} {:>12.1} {:>12.1}",
            c.coherence,
            c.decided,
            c.accuracy,
            c.decision_time_ms,
            c.decision_time_sd_ms,
            c.decision_time_correct_ms,
            c.winner_hz.last().copied().unwrap_or(f64::NAN),
            c.loser_hz.last().copied().unwrap_or(f64::NAN)
        );
    }
    match r.weibull {
        Some(w) => println!(
            "Weibull fit P = 1 - 0.5 exp(-(c'/alpha)^beta): alpha = {:.2} %, beta = {:.2}",
            w.alpha, w.beta
        ),
        None => println!("no Weibull fit (no decided trial at a coherence > 0)"),
    }
    if let Some(p) = &a.plot {
        println!("plot: {}", p.display());
    }
    Ok(())
}
