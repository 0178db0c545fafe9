//! Rate-model commands: `run` on a rate/model file, `timescales` and `scan`.
//!
//! A file is a rate file when its top level has `[model]` or `[[rate_populations]]`
//! (see [`cortexsim::models`]); `--set` overrides are applied to the TOML table before it is
//! interpreted, exactly as for spiking files. Data-driven models read their data from
//! `--data DIR`, else `$CORTEXSIM_DATA`, else the data built into the program.

use super::{Failure, NetArgs};
use clap::Args;
use cortexsim::io::output::Output;
use cortexsim::models::{self, RateNetworkFile};
use cortexsim::protocols::reports::rate_run_json;
use cortexsim::protocols::scan::{ScanOptions, ScanReport, ScanStep, even_values, scan};
use cortexsim::protocols::task;
use cortexsim::protocols::timescales::{Method, timescales};
use cortexsim::rate::{self, RateError, RateRun};
use serde_json::{Map, Value as Json, json};
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

/// Claim a figure's path before any work ([`cortexsim::io::output`]): the figure is drawn
/// into a temporary file beside it and replaces an existing file only when complete
/// ([`commit_plot`]); a second command writing the same figure is refused at once.
pub(super) fn claim_plot(p: Option<&Path>) -> Result<Option<Output>, Failure> {
    match p {
        None => Ok(None),
        Some(p) => {
            check_plot_path(p)?;
            Output::claim(p, true).map(Some).map_err(Failure::output)
        }
    }
}

/// Put a finished figure in place (nothing to do without `--plot`).
pub(super) fn commit_plot(o: Option<Output>) -> Result<(), Failure> {
    o.map_or(Ok(()), |o| o.commit().map(|_| ()).map_err(Failure::output))
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

/// Refuse a rate run whose recorded samples do not fit in `max_memory` (default: the
/// available memory), before anything is allocated (exit 5, like a spiking run).
pub fn check_rate_memory(f: &RateNetworkFile, max_memory: Option<u64>) -> Result<(), Failure> {
    use cortexsim::engine::memory::{available_bytes, human};
    let needed = f.sim.run_opts().memory_bytes(f.net.n());
    let available = max_memory.unwrap_or_else(available_bytes);
    if needed > available {
        return Err(Failure {
            code: super::EXIT_MEMORY,
            msg: format!(
                "the rate run needs about {} of memory but only {} is available ({} populations, {} recorded samples: raise simulation.dt or record_every, shorten t_stop, or raise --max-memory)",
                human(needed),
                human(available),
                f.net.n(),
                f.sim.run_opts().n_steps() / f.sim.record_every.max(1) as u64 + 1
            ),
        });
    }
    Ok(())
}

/// `cortexsim run` on a rate file.
pub fn cmd_run_rate(a: &super::RunArgs, f: RateNetworkFile) -> Result<(), Failure> {
    for p in a.plot.iter().chain(&a.plot_delay) {
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
    if let Some(p) = &a.plot_delay {
        wanted.push(("--plot-delay", p, true));
    }
    let mut claims = super::claim_outputs(&a.net, &wanted)?.into_iter();
    let out = a.out.as_ref().and_then(|_| claims.next());
    let plot_out = a.plot.as_ref().and_then(|_| claims.next());
    let delay_out = a.plot_delay.as_ref().and_then(|_| claims.next());
    let proto = match &a.protocol {
        Some(p) => {
            Some(task::resolve(p).map_err(|e| Failure::invalid(format!("invalid protocol: {e}")))?)
        }
        None => None,
    };
    let mut opts = f.sim.run_opts();
    let max_memory = a
        .max_memory
        .as_deref()
        .map(super::parse_bytes)
        .transpose()?;
    check_rate_memory(&f, max_memory)?;
    let t0 = Instant::now();
    let (run, task_run) = match &proto {
        Some(p) => {
            opts.t_stop_ms = p.duration_ms();
            let t = task::run_task(&f, p).map_err(Failure::protocol)?;
            (t.run, Some((t.epochs, t.persistence, t.validation)))
        }
        None => (rate::run(&f.net, &opts).map_err(rate_failure)?, None),
    };
    let sim_s = t0.elapsed().as_secs_f64();
    let order = f.report_order();
    let summary = run.summary();
    if let Some(o) = &out {
        write_csv(&run, o.temp())?;
    }
    #[cfg(feature = "plots")]
    if let Some(p) = &plot_out {
        let p = p.temp();
        // Data-driven models: the first kind of population (E; the pools A of
        // mejias_wang2022) by hierarchy.
        let first_kind = order
            .first()
            .and_then(|n| n.rsplit_once('.'))
            .map(|(_, k)| format!(".{k}"));
        let e_first: Vec<&str> = match (&f.hierarchy, &first_kind) {
            (Some(_), Some(k)) => order
                .iter()
                .filter(|n| n.ends_with(k.as_str()))
                .map(String::as_str)
                .collect(),
            _ => order.iter().map(String::as_str).collect(),
        };
        cortexsim::plot::plot_traces(&run, &e_first, 0.0, p).map_err(plot_err)?;
    }
    #[cfg(feature = "plots")]
    if let (Some(p), Some((_, persistence, validation))) = (&delay_out, &task_run) {
        let rep = persistence.as_ref().ok_or_else(|| {
            Failure::invalid("--plot-delay: the protocol has no [persistence] table")
        })?;
        plot_delay(
            rep,
            validation.as_ref(),
            &a.net.origin().display(),
            p.temp(),
        )?;
    }
    super::commit_outputs(out.into_iter().chain(plot_out).chain(delay_out).collect())?;
    let mut j = rate_run_json(&a.net.origin().display(), &opts, &order, &run, sim_s);
    j["output"] = json!(a.out.as_ref().map(|o| o.display().to_string()));
    j["plot"] = json!(a.plot.as_ref().map(|o| o.display().to_string()));
    if let Some(p) = &a.plot_delay {
        j["plot_delay"] = json!(p.display().to_string());
    }
    if let Some((epochs, persistence, validation)) = &task_run {
        j["protocol"] = json!(a.protocol.as_ref().map(|p| p.display().to_string()));
        j["epochs"] = Json::Array(
            epochs
                .iter()
                .map(|e| {
                    let rates: Map<String, Json> =
                        e.rates.iter().map(|(p, r)| (p.clone(), json!(r))).collect();
                    json!({"name": e.name, "start_ms": e.start_ms, "stop_ms": e.stop_ms,
                           "rate_hz": rates})
                })
                .collect(),
        );
        if let Some(p) = persistence {
            j["persistence"] = json!({
                "baseline": p.baseline, "epoch": p.epoch,
                "window_ms": [p.window_ms.0, p.window_ms.1],
                "threshold_hz": p.threshold_hz,
                "persistent": p.persistent(),
                "populations": p.populations.iter().map(|q| (q.population.clone(),
                    json!({"baseline_hz": q.baseline_hz, "rate_hz": q.rate_hz,
                           "persistent": q.persistent}))).collect::<Map<String, Json>>(),
            });
        }
        if let Some(v) = validation {
            j["validation"] = validation_json(v);
        }
    }
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
    if let Some((epochs, persistence, validation)) = &task_run {
        print_epoch_table(epochs, persistence.as_ref());
        if let Some(v) = validation {
            print_validation(v);
        }
    }
    if let Some(o) = &a.out {
        println!("rates: {}", o.display());
    }
    if let Some(p) = &a.plot {
        println!("plot: {}", p.display());
    }
    if let Some(p) = &a.plot_delay {
        println!("delay plot: {}", p.display());
    }
    Ok(())
}

/// `--plot-delay`: the persistence report's populations as bars, with the map's evidence.
#[cfg(feature = "plots")]
fn plot_delay(
    rep: &task::PersistenceReport,
    validation: Option<&task::Validation>,
    name: &str,
    path: &Path,
) -> Result<(), Failure> {
    let split = |p: &str| -> (String, String) {
        match p.rsplit_once('.') {
            Some((a, k)) => (a.to_string(), k.to_string()),
            None => (p.to_string(), String::new()),
        }
    };
    // One pool (`*.E1`): the bars are named by area.
    let pools: Vec<String> = rep
        .populations
        .iter()
        .map(|q| split(&q.population).1)
        .collect();
    let one_pool = pools.windows(2).all(|w| w[0] == w[1]);
    let bars: Vec<cortexsim::plot::PersistenceBar> = rep
        .populations
        .iter()
        .map(|q| {
            let (area, _) = split(&q.population);
            let call = validation.and_then(|v| v.areas.iter().find(|c| c.area == area));
            cortexsim::plot::PersistenceBar {
                name: if one_pool {
                    area.clone()
                } else {
                    q.population.clone()
                },
                delta_hz: q.rate_hz - q.baseline_hz,
                persistent: q.persistent,
                experiment: call.map(|c| (c.experiment, c.well_studied)),
            }
        })
        .collect();
    let pool = if one_pool {
        pools.first().map_or(String::new(), |k| format!(" of {k}"))
    } else {
        String::new()
    };
    let title = match validation {
        Some(v) => format!(
            "Delay activity{pool} vs experiment: χ² = {:.2}, p = {:.1e} ({} well-studied areas)",
            v.agreement.chi2, v.agreement.p_chi2, v.agreement.n
        ),
        None => format!("{name}: delay activity{pool}"),
    };
    cortexsim::plot::plot_persistence(&bars, rep.threshold_hz, &title, path).map_err(plot_err)
}

/// The `validation` object of `run --json`: the statistic and the calls per area.
fn validation_json(v: &task::Validation) -> Json {
    let g = &v.agreement;
    let list = |f: &dyn Fn(&task::AreaCall) -> bool| {
        v.areas
            .iter()
            .filter(|c| f(c))
            .map(|c| c.area.clone())
            .collect::<Vec<_>>()
    };
    json!({
        "persistent_areas": list(&|c| c.model),
        "experimental_areas": list(&|c| c.experiment),
        "well_studied": list(&|c| c.well_studied),
        "table": {"model_and_experiment": g.table.both, "model_only": g.table.first_only,
                  "experiment_only": g.table.second_only, "neither": g.table.neither},
        "n": g.n,
        "percent_agreement": g.percent_agreement,
        "chi2": g.chi2,
        "p_chi2": g.p_chi2,
        "p_fisher": g.p_fisher,
        "areas": v.areas.iter().map(|c| json!({"area": c.area, "model": c.model,
            "experiment": c.experiment, "well_studied": c.well_studied})).collect::<Vec<_>>(),
    })
}

/// Model against the experimental map: the areas and the statistic.
fn print_validation(v: &task::Validation) {
    let g = &v.agreement;
    let mark = |b: bool| if b { "+" } else { "-" };
    println!();
    println!("delay activity, model vs experiment (* = well studied, counted):");
    for c in &v.areas {
        println!(
            "  {:<8} model {}  experiment {} {}",
            c.area,
            mark(c.model),
            mark(c.experiment),
            if c.well_studied { "*" } else { "" }
        );
    }
    println!(
        "well-studied areas {}: both {}, model only {}, experiment only {}, neither {}; agreement {:.1} %, chi2 = {:.3} (p = {:.3e}), Fisher exact p = {:.3e}",
        g.n,
        g.table.both,
        g.table.first_only,
        g.table.second_only,
        g.table.neither,
        g.percent_agreement,
        g.chi2,
        g.p_chi2,
        g.p_fisher
    );
}

/// The epoch table (mean rate of every population in every epoch, Hz) and the persistent
/// populations.
fn print_epoch_table(epochs: &[task::EpochRates], persistence: Option<&task::PersistenceReport>) {
    println!();
    println!("mean rate per epoch (Hz):");
    let w = epochs
        .iter()
        .map(|e| e.name.chars().count().max(9))
        .collect::<Vec<_>>();
    print!("{:<14}", "population");
    for (e, w) in epochs.iter().zip(&w) {
        print!(" {:>w$}", e.name);
    }
    println!();
    print!("{:<14}", "");
    for (e, w) in epochs.iter().zip(&w) {
        print!(" {:>w$}", format!("{:.0}-{:.0}", e.start_ms, e.stop_ms));
    }
    println!();
    let n = epochs.first().map_or(0, |e| e.rates.len());
    for i in 0..n {
        print!("{:<14}", epochs[0].rates[i].0);
        for (e, w) in epochs.iter().zip(&w) {
            match e.rates[i].1 {
                Some(r) => print!(" {r:>w$.3}"),
                None => print!(" {:>w$}", "-"),
            }
        }
        println!();
    }
    if let Some(p) = persistence {
        let list = p.persistent();
        println!();
        println!(
            "persistent ({} {:.0}-{:.0} ms minus {} > {} Hz): {} of {}: {}",
            p.epoch,
            p.window_ms.0,
            p.window_ms.1,
            p.baseline,
            p.threshold_hz,
            list.len(),
            p.populations.len(),
            if list.is_empty() {
                "none".to_string()
            } else {
                list.join(", ")
            }
        );
    }
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
    check_rate_memory(&f, None)?;
    let plot_out = claim_plot(a.plot.as_deref())?;
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
    if let Some(po) = &plot_out {
        cortexsim::plot::plot_timescales(&ts.taus, &ts.plot_axis(), po.temp()).map_err(plot_err)?;
    }
    commit_plot(plot_out)?;
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
    /// Run a task protocol with a [persistence] table at every value (from the initial
    /// state, no up/down branches) and report, per population, where persistent activity
    /// appears and disappears along the sweep.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["plot", "pops"])]
    pub protocol: Option<PathBuf>,
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
    let plot_out = claim_plot(a.plot.as_deref())?;
    if let Some(pf) = &a.protocol {
        let proto =
            task::resolve(pf).map_err(|e| Failure::invalid(format!("invalid protocol: {e}")))?;
        let values = even_values(a.from, a.to, a.steps);
        let r = task::task_scan(&doc, a.data.as_deref(), &a.param, &values, &proto)
            .map_err(Failure::protocol)?;
        print_task_scan(&a, &r, pf);
        return Ok(());
    }
    let opts = ScanOptions {
        param: a.param.clone(),
        values: even_values(a.from, a.to, a.steps),
        tail: a.tail,
        pops: a.pops.clone(),
    };
    // The memory of one run, before sweeping (errors in the file are the scan's).
    if let Ok(cortexsim::models::Loaded::Rate(f)) =
        cortexsim::models::load::load_table(&doc, a.data.as_deref())
    {
        check_rate_memory(&f, None)?;
    }
    let r = scan(&doc, a.data.as_deref(), &opts).map_err(Failure::protocol)?;
    #[cfg(feature = "plots")]
    if let Some(po) = &plot_out {
        let (series, spont) = r.series();
        cortexsim::plot::plot_bifurcation(
            &a.param,
            &r.values,
            &series,
            spont.as_deref(),
            po.temp(),
        )
        .map_err(plot_err)?;
    }
    commit_plot(plot_out)?;
    if a.json {
        let mut j = r.to_json(&a.net.origin().display());
        j["plot"] = json!(a.plot.as_ref().map(|o| o.display().to_string()));
        println!("{j}");
        return Ok(());
    }
    print_scan(&a, &r);
    Ok(())
}

/// A scan through a task protocol: JSON or a table (rate in the compared window, `*` =
/// persistent) with where persistence appears and disappears.
fn print_task_scan(a: &ScanArgs, r: &task::TaskScan, protocol: &Path) {
    let edges: Vec<(Option<f64>, Option<f64>)> = (0..r.populations.len())
        .map(|i| r.appears_disappears(i))
        .collect();
    if a.json {
        let pops: Map<String, Json> = r
            .populations
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    p.clone(),
                    json!({"rate_hz": r.rate_hz[i], "persistent": r.persistent[i],
                           "appears": edges[i].0, "disappears": edges[i].1}),
                )
            })
            .collect();
        let j = json!({
            "network": a.net.origin().display(),
            "protocol": protocol.display().to_string(),
            "param": r.param,
            "values": r.values,
            "order": r.populations,
            "persistent_count": r.counts(),
            "populations": pops,
        });
        println!("{j}");
        return;
    }
    println!(
        "{} through {}: {} from {} to {} in {} steps; rate in the persistence window (Hz), * = persistent",
        a.net.origin().display(),
        protocol.display(),
        a.param,
        a.from,
        a.to,
        a.steps
    );
    print!("{:<14}", "population");
    for v in &r.values {
        print!(" {v:>9.4}");
    }
    println!(" {:>9} {:>10}", "appears", "disappears");
    let opt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.4}"));
    for (i, p) in r.populations.iter().enumerate() {
        print!("{p:<14}");
        for (rate, pers) in r.rate_hz[i].iter().zip(&r.persistent[i]) {
            print!(" {:>8.2}{}", rate, if *pers { "*" } else { " " });
        }
        println!(" {:>9} {:>10}", opt(edges[i].0), opt(edges[i].1));
    }
    print!("{:<14}", "persistent");
    for c in r.counts() {
        print!(" {c:>9}");
    }
    println!();
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
