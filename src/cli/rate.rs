//! Rate-model commands: `run` on a rate/model file, `timescales` and `scan`.
//!
//! A file is a rate file when its top level has `[model]` or `[[rate_populations]]`
//! (see [`cortexsim::models`]); `--set` overrides are applied to the TOML table before it is
//! interpreted, exactly as for spiking files. Data-driven models read their data from
//! `--data DIR`, else `$CORTEXSIM_DATA`, else the data built into the program.

use super::{Failure, NetArgs};
use clap::Args;
use cortexsim::models::{self, RateNetworkFile};
use cortexsim::protocols::reports::rate_run_json;
use cortexsim::protocols::scan::{ScanOptions, ScanReport, ScanStep, even_values, scan};
use cortexsim::protocols::timescales::{Method, timescales};
use cortexsim::rate::{self, RateError, RateRun};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use toml::Table;

/// The TOML table of `net.network` with the `--set` overrides applied, if the file is a
/// rate file; `None` for anything else.
pub fn rate_table(net: &NetArgs) -> Result<Option<Table>, Failure> {
    let doc = models::load::overridden_table(&net.origin(), &net.sets()).map_err(Failure::spec)?;
    Ok((models::load::kind_of(&doc) == models::FileKind::Rate).then_some(doc))
}

fn rate_failure(e: RateError) -> Failure {
    Failure::protocol(e.into())
}

#[cfg(feature = "plots")]
pub(super) fn plot_err(e: cortexsim::plot::PlotError) -> Failure {
    Failure::runtime(e.to_string())
}

#[cfg(not(feature = "plots"))]
fn no_plots() -> Failure {
    Failure::invalid("--plot: this cortexsim was built without the `plots` feature")
}

pub(super) fn check_plot_path(p: &Path) -> Result<(), Failure> {
    let dir = p
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(Failure::invalid(format!(
            "--plot: directory {} does not exist",
            dir.display()
        )));
    }
    #[cfg(not(feature = "plots"))]
    return Err(no_plots());
    #[cfg(feature = "plots")]
    Ok(())
}

/// Write the recorded rates as CSV: `t_ms,<pop1>,<pop2>,...`, one row per sample.
pub fn write_csv(run: &RateRun, path: &Path) -> Result<(), Failure> {
    let fail = |e: std::io::Error| Failure::runtime(cortexsim::io::output::io_message(&e, path));
    let file = std::fs::File::create(path).map_err(fail)?;
    let mut w = std::io::BufWriter::new(file);
    write!(w, "t_ms").map_err(fail)?;
    for p in &run.pop_names {
        write!(w, ",{p}").map_err(fail)?;
    }
    writeln!(w).map_err(fail)?;
    for (k, t) in run.t_ms.iter().enumerate() {
        write!(w, "{t}").map_err(fail)?;
        for r in &run.rates {
            write!(w, ",{}", r[k]).map_err(fail)?;
        }
        writeln!(w).map_err(fail)?;
    }
    w.flush().map_err(fail)
}

/// `cortexsim run` on a rate file.
pub fn cmd_run_rate(a: &super::RunArgs, f: RateNetworkFile) -> Result<(), Failure> {
    if let Some(p) = &a.plot {
        check_plot_path(p)?;
    }
    // Claimed before any work; written under temporary names and renamed at the end.
    let mut wanted: Vec<(&str, &Path, bool)> = Vec::new();
    if let Some(o) = &a.out {
        wanted.push(("--out", o, a.overwrite));
    }
    if let Some(p) = &a.plot {
        wanted.push(("--plot", p, true));
    }
    let mut claims = super::claim_outputs(&a.net, &wanted)?.into_iter();
    let out = a.out.as_ref().and_then(|_| claims.next());
    let plot_out = a.plot.as_ref().and_then(|_| claims.next());
    let opts = f.sim.run_opts();
    let t0 = Instant::now();
    let run = rate::run(&f.net, &opts).map_err(rate_failure)?;
    let sim_s = t0.elapsed().as_secs_f64();
    let order = f.report_order();
    let summary = run.summary();
    if let Some(o) = &out {
        write_csv(&run, o.temp())?;
    }
    #[cfg(feature = "plots")]
    if let Some(p) = &plot_out {
        let p = p.temp();
        let e_first: Vec<&str> = match &f.hierarchy {
            Some(_) => order
                .iter()
                .filter(|n| n.ends_with(".E"))
                .map(String::as_str)
                .collect(),
            None => order.iter().map(String::as_str).collect(),
        };
        cortexsim::plot::plot_traces(&run, &e_first, 0.0, p).map_err(plot_err)?;
    }
    super::commit_outputs(out.into_iter().chain(plot_out).collect())?;
    let mut j = rate_run_json(&a.net.origin().display(), &opts, &order, &run, sim_s);
    j["output"] = json!(a.out.as_ref().map(|o| o.display().to_string()));
    j["plot"] = json!(a.plot.as_ref().map(|o| o.display().to_string()));
    if a.json {
        println!("{j}");
        return Ok(());
    }
    println!(
        "cortexsim {} — {} (rate model, {} populations)",
        env!("CARGO_PKG_VERSION"),
        a.net.origin().display(),
        f.net.n()
    );
    println!(
        "simulated {:.0} ms (dt {} ms, {} samples) in {:.3} s",
        opts.n_steps() as f64 * opts.dt_ms,
        opts.dt_ms,
        run.t_ms.len(),
        sim_s
    );
    println!(
        "{:<14} {:>12} {:>12} {:>12}",
        "population", "mean (Hz)", "min (Hz)", "max (Hz)"
    );
    for name in &order {
        if let Some(s) = summary.iter().find(|s| &s.name == name) {
            println!(
                "{:<14} {:>12.4} {:>12.4} {:>12.4}",
                s.name, s.mean_hz, s.min_hz, s.max_hz
            );
        }
    }
    if let Some(o) = &a.out {
        println!("rates: {}", o.display());
    }
    if let Some(p) = &a.plot {
        println!("plot: {}", p.display());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// timescales
// ---------------------------------------------------------------------------------------

#[derive(Args, Debug)]
pub struct TimescalesArgs {
    #[command(flatten)]
    pub net: NetArgs,
    /// Data directory (default: $CORTEXSIM_DATA, else the data built into the program).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// `impulse`: exact ACF from the impulse response to white noise entering --source
    /// (deterministic; linear regime); `noise`: ACF of the file's own noise-driven run.
    #[arg(long, default_value = "impulse", value_parser = ["impulse", "noise"])]
    pub method: String,
    /// Population receiving the white noise (impulse method). Default: V1.E for
    /// data-driven models, else the first population.
    #[arg(long, value_name = "POP")]
    pub source: Option<String>,
    /// Length of the impulse response (ms).
    #[arg(long, value_name = "MS", default_value_t = 12_000.0)]
    pub t_max: f64,
    /// Noise method: discard this initial transient (ms).
    #[arg(long, value_name = "MS", default_value_t = 1000.0)]
    pub discard: f64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Draw the timescales against the hierarchy (PNG).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
}

pub fn cmd_timescales(a: TimescalesArgs) -> Result<(), Failure> {
    let f = a.net.load_rate(a.data.as_deref(), "timescales")?;
    if let Some(p) = &a.plot {
        check_plot_path(p)?;
    }
    let method = if a.method == "impulse" {
        if !(a.t_max > 0.0 && a.t_max.is_finite()) {
            return Err(Failure::invalid("--t-max: must be a finite number > 0 ms"));
        }
        Method::Impulse {
            source: a.source.clone(),
            t_max_ms: a.t_max,
        }
    } else {
        Method::Noise {
            discard_ms: a.discard,
        }
    };
    let ts = timescales(&f, &method).map_err(Failure::protocol)?;
    #[cfg(feature = "plots")]
    if let Some(p) = &a.plot {
        cortexsim::plot::plot_timescales(&ts.taus, &ts.plot_axis(), p).map_err(plot_err)?;
    }
    if a.json {
        let mut j = ts.to_json(&a.net.origin().display());
        j["plot"] = json!(a.plot.as_ref().map(|o| o.display().to_string()));
        println!("{j}");
        return Ok(());
    }
    println!(
        "{}: autocorrelation timescales ({} method{})",
        a.net.origin().display(),
        ts.method,
        ts.source
            .as_ref()
            .map(|s| format!(", white noise into {s}"))
            .unwrap_or_default()
    );
    println!(
        "{:<14} {:>10} {:>12}",
        "population", "hierarchy", "tau (ms)"
    );
    for (n, t) in &ts.taus {
        let h = ts
            .hierarchy_of(n)
            .map_or("-".to_string(), |h| format!("{h:.3}"));
        println!("{n:<14} {h:>10} {t:>12.2}");
    }
    if let Some(r) = ts.spearman_vs_hierarchy {
        println!("Spearman rank correlation with hierarchy: {r:.3}");
    }
    if let Some(p) = &a.plot {
        println!("plot: {}", p.display());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// scan
// ---------------------------------------------------------------------------------------

#[derive(Args, Debug)]
pub struct ScanArgs {
    #[command(flatten)]
    pub net: NetArgs,
    /// Data directory (default: $CORTEXSIM_DATA, else the data built into the program).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Parameter to sweep, as a --set path (e.g. model.mu_ee, rate_populations.E.bias).
    #[arg(long, value_name = "KEY")]
    pub param: String,
    /// First value.
    #[arg(long, allow_negative_numbers = true)]
    pub from: f64,
    /// Last value.
    #[arg(long, allow_negative_numbers = true)]
    pub to: f64,
    /// Number of values (>= 2), evenly spaced from --from to --to.
    #[arg(long)]
    pub steps: usize,
    /// Fraction of each run at its end whose mean is the steady rate.
    #[arg(long, default_value_t = 0.2)]
    pub tail: f64,
    /// Report and plot only these populations (repeatable; default all).
    #[arg(long = "pop", value_name = "POP")]
    pub pops: Vec<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Bifurcation diagram (PNG): steady rate against the parameter, both branches.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
}

pub fn cmd_scan(a: ScanArgs) -> Result<(), Failure> {
    if a.steps < 2 {
        return Err(Failure::invalid("--steps: need at least 2 values"));
    }
    if !(a.from.is_finite() && a.to.is_finite()) {
        return Err(Failure::invalid("--from/--to: must be finite numbers"));
    }
    if !(a.tail > 0.0 && a.tail <= 1.0) {
        return Err(Failure::invalid("--tail: must be in (0, 1]"));
    }
    let doc = rate_table(&a.net)?.ok_or_else(|| {
        Failure::invalid(format!(
            "{}: scan needs a rate file ([model] or [[rate_populations]])",
            a.net.origin().display()
        ))
    })?;
    if let Some(p) = &a.plot {
        check_plot_path(p)?;
    }
    let opts = ScanOptions {
        param: a.param.clone(),
        values: even_values(a.from, a.to, a.steps),
        tail: a.tail,
        pops: a.pops.clone(),
    };
    let r = scan(&doc, a.data.as_deref(), &opts).map_err(Failure::protocol)?;
    #[cfg(feature = "plots")]
    if let Some(p) = &a.plot {
        let (series, spont) = r.series();
        cortexsim::plot::plot_bifurcation(&a.param, &r.values, &series, spont.as_deref(), p)
            .map_err(plot_err)?;
    }
    if a.json {
        let mut j = r.to_json(&a.net.origin().display());
        j["plot"] = json!(a.plot.as_ref().map(|o| o.display().to_string()));
        println!("{j}");
        return Ok(());
    }
    print_scan(&a, &r);
    Ok(())
}

/// The scan as text: one table per reported population, then the reading.
fn print_scan(a: &ScanArgs, r: &ScanReport) {
    let scan = &r.scan;
    println!(
        "{}: {} from {} to {} in {} steps, up then down (steady rate = mean of the last {:.0}% of each run)",
        a.net.origin().display(),
        a.param,
        a.from,
        a.to,
        a.steps,
        100.0 * a.tail
    );
    if scan.spontaneous.is_some() {
        println!(
            "the file has pulse stimuli: up/down include them; \"no pulse\" runs each value from the initial state without them"
        );
    }
    let mark = |s: &ScanStep| if s.settled() { " " } else { "*" };
    for &i in &r.shown {
        println!("{}", scan.pop_names[i]);
        print!("  {:>14} {:>14}  {:>14} ", a.param, "up (Hz)", "down (Hz)");
        if scan.spontaneous.is_some() {
            print!(" {:>14}", "no pulse (Hz)");
        }
        println!();
        for (k, v) in r.values.iter().enumerate() {
            print!(
                "  {:>14.6} {:>14.4}{} {:>14.4}{}",
                v,
                scan.up[k].rates[i],
                mark(&scan.up[k]),
                scan.down[k].rates[i],
                mark(&scan.down[k])
            );
            if let Some(sp) = &scan.spontaneous {
                print!(" {:>14.4}{}", sp[k].rates[i], mark(&sp[k]));
            }
            println!();
        }
    }
    if !r.all_settled() {
        println!(
            "* not settled: rates still changing at the end of the run (lengthen simulation.t_stop)"
        );
    }
    if r.bistable_values.is_empty() {
        println!("no hysteresis: both branches agree at every value");
    } else {
        println!(
            "branches differ (hysteresis) at {} = {:?}",
            a.param, r.bistable_values
        );
    }
    if let Some((lo, hi)) = r.onset {
        println!(
            "onset of bistability: {} in ({lo}, {hi}] (monostable at {lo}, bistable at {hi})",
            a.param
        );
    }
    if let Some(p) = &a.plot {
        println!("plot: {}", p.display());
    }
}
