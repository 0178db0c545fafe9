//! Rate-model commands: `run` on a rate/model file, `timescales` and `scan`.
//!
//! A file is a rate file when its top level has `[model]` or `[[rate_populations]]`
//! (see [`cortexsim::models`]); `--set` overrides are applied to the TOML table before it is
//! interpreted, exactly as for spiking files. Data-driven models read their data from
//! `--data DIR`, else `$CORTEXSIM_DATA`, else the data built into the program.

use super::{Failure, NetArgs};
use clap::Args;
use cortexsim::models::{self, RateNetworkFile};
use cortexsim::rate::{self, RateError, RateRun, analysis};
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

/// Interpret a rate table (after overrides).
pub fn load_table(doc: &Table, data: Option<&Path>) -> Result<RateNetworkFile, Failure> {
    match models::load::load_table(doc, data).map_err(Failure::spec)? {
        models::Loaded::Rate(f) => Ok(*f),
        models::Loaded::Spiking(_) => Err(Failure::invalid(
            "not a rate file (no [model] or [[rate_populations]])",
        )),
    }
}

fn rate_failure(e: RateError) -> Failure {
    match e {
        RateError::Spec(s) => Failure::spec(s),
        d @ RateError::Diverged { .. } => Failure::runtime(d.to_string()),
    }
}

/// Population names for reports and plots: E populations by hierarchy followed by the I
/// populations in the same order for data-driven models, else network order.
fn report_order(f: &RateNetworkFile) -> Vec<String> {
    match &f.hierarchy {
        Some(h) => {
            let mut h = h.clone();
            h.sort_by(|a, b| a.1.total_cmp(&b.1));
            let mut v: Vec<String> = h
                .iter()
                .map(|(a, _)| models::large_scale::e_pop(a))
                .collect();
            v.extend(h.iter().map(|(a, _)| models::large_scale::i_pop(a)));
            v.retain(|p| f.net.index_of(p).is_some());
            v
        }
        None => f.net.pops.iter().map(|p| p.name.clone()).collect(),
    }
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
    let fail =
        |e: std::io::Error| Failure::runtime(format!("cannot write {}: {e}", path.display()));
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
    if let Some(o) = &a.out {
        cortexsim::io::sonata::check_output_path(o, a.overwrite).map_err(Failure::invalid)?;
    }
    if let Some(p) = &a.plot {
        check_plot_path(p)?;
    }
    let opts = f.sim.run_opts();
    let max_memory = a
        .max_memory
        .as_deref()
        .map(super::parse_bytes)
        .transpose()?;
    check_rate_memory(&f, max_memory)?;
    let t0 = Instant::now();
    let run = rate::run(&f.net, &opts).map_err(rate_failure)?;
    let sim_s = t0.elapsed().as_secs_f64();
    let order = report_order(&f);
    let summary = run.summary();
    let mut pops = Map::new();
    for s in &summary {
        pops.insert(
            s.name.clone(),
            json!({"rate_hz": s.mean_hz, "min_hz": s.min_hz, "max_hz": s.max_hz}),
        );
    }
    if let Some(o) = &a.out {
        write_csv(&run, o)?;
    }
    #[cfg(feature = "plots")]
    if let Some(p) = &a.plot {
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
    let j = json!({
        "kind": "rate",
        "network": a.net.origin().display(),
        "t_stop_ms": run.t_ms.last().copied().unwrap_or(0.0),
        "dt_ms": opts.dt_ms,
        "method": serde_json::to_value(opts.method).unwrap_or(Json::Null),
        "seed": opts.seed,
        "samples": run.t_ms.len(),
        "order": order,
        "populations": pops,
        "timings_s": {"simulate": sim_s},
        "output": a.out.as_ref().map(|o| o.display().to_string()),
        "plot": a.plot.as_ref().map(|o| o.display().to_string()),
    });
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
    check_rate_memory(&f, None)?;
    if let Some(p) = &a.plot {
        check_plot_path(p)?;
    }
    // Populations analysed: E populations by hierarchy for data-driven models.
    let pops: Vec<String> = match f.e_pops_by_hierarchy() {
        Some(v) => v,
        None => f.net.pops.iter().map(|p| p.name.clone()).collect(),
    };
    let refs: Vec<&str> = pops.iter().map(String::as_str).collect();
    let t0 = Instant::now();
    let (ts, source) = if a.method == "impulse" {
        let source = match &a.source {
            Some(s) => s.clone(),
            None if f.hierarchy.is_some() => "V1.E".to_string(),
            None => f.net.pops[0].name.clone(),
        };
        if f.net.index_of(&source).is_none() {
            return Err(Failure::invalid(format!(
                "--source: no population `{source}`"
            )));
        }
        if !(a.t_max > 0.0 && a.t_max.is_finite()) {
            return Err(Failure::invalid("--t-max: must be a finite number > 0 ms"));
        }
        let opts = analysis::ImpulseOpts {
            dt_ms: f.sim.dt_ms,
            t_max_ms: a.t_max,
            sample_ms: f.sim.dt_ms.max(1.0),
            ..Default::default()
        };
        let ts =
            analysis::impulse_timescales(&f.net, &source, &refs, &opts).map_err(rate_failure)?;
        (ts, Some(source))
    } else {
        if f.net.noise.is_none() {
            return Err(Failure::invalid(
                "--method noise: the file has no noise stimulus ([[stimuli]] kind = \"noise\")",
            ));
        }
        let run = rate::run(&f.net, &f.sim.run_opts()).map_err(rate_failure)?;
        let ts = analysis::timescales(&run, &refs, a.discard).map_err(Failure::spec)?;
        (ts, None)
    };
    let elapsed = t0.elapsed().as_secs_f64();
    let hier_of = |name: &str| -> Option<f64> {
        let h = f.hierarchy.as_ref()?;
        let area = name.rsplit_once('.').map_or(name, |(a, _)| a);
        h.iter().find(|(x, _)| x == area).map(|x| x.1)
    };
    let rho = f.hierarchy.as_ref().map(|_| {
        let (hs, taus): (Vec<f64>, Vec<f64>) = ts
            .iter()
            .filter(|(_, t)| t.is_finite())
            .filter_map(|(n, t)| hier_of(n).map(|h| (h, *t)))
            .unzip();
        analysis::spearman(&hs, &taus)
    });
    #[cfg(feature = "plots")]
    if let Some(p) = &a.plot {
        let hier: Vec<(String, f64)> = match &f.hierarchy {
            Some(h) => h.clone(),
            None => pops
                .iter()
                .enumerate()
                .map(|(k, n)| (n.clone(), k as f64))
                .collect(),
        };
        cortexsim::plot::plot_timescales(&ts, &hier, p).map_err(plot_err)?;
    }
    let mut m = Map::new();
    for (n, t) in &ts {
        m.insert(n.clone(), json!({"tau_ms": t, "hierarchy": hier_of(n)}));
    }
    let j = json!({
        "kind": "timescales",
        "network": a.net.origin().display(),
        "method": a.method,
        "source": source,
        "order": pops,
        "populations": m,
        "spearman_vs_hierarchy": rho,
        "timings_s": {"analysis": elapsed},
        "plot": a.plot.as_ref().map(|o| o.display().to_string()),
    });
    if a.json {
        println!("{j}");
        return Ok(());
    }
    println!(
        "{}: autocorrelation timescales ({} method{})",
        a.net.origin().display(),
        a.method,
        source
            .as_ref()
            .map(|s| format!(", white noise into {s}"))
            .unwrap_or_default()
    );
    println!(
        "{:<14} {:>10} {:>12}",
        "population", "hierarchy", "tau (ms)"
    );
    for (n, t) in &ts {
        let h = hier_of(n).map_or("-".to_string(), |h| format!("{h:.3}"));
        println!("{n:<14} {h:>10} {t:>12.2}");
    }
    if let Some(r) = rho {
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

/// One step of a sweep: the parameter value and the steady rate of every population.
#[derive(Debug, Clone)]
pub struct ScanStep {
    pub value: f64,
    pub rates: Vec<f64>,
    /// Largest change of any rate over the averaged tail (Hz): small when settled.
    pub tail_range_hz: f64,
}

/// Result of a hysteresis sweep.
#[derive(Debug, Clone)]
pub struct Scan {
    pub pop_names: Vec<String>,
    pub up: Vec<ScanStep>,
    pub down: Vec<ScanStep>,
    /// Only for files with pulse stimuli: each value run from the file's initial state with
    /// the pulses removed (the state the network settles in without a stimulus).
    pub spontaneous: Option<Vec<ScanStep>>,
}

/// Sweep `param` over `values` upwards, then back down; each run starts from the rates
/// at the end of the previous one (the first from the file's initial rates). If the file
/// has pulse stimuli (finite `stop`), every value is also run from the file's initial
/// state without them ([`Scan::spontaneous`]): a pulse that switches a bistable network
/// into its other state then shows as a difference between that branch and `up`/`down`.
pub fn sweep(
    doc: &Table,
    data: Option<&Path>,
    param: &str,
    values: &[f64],
    tail: f64,
) -> Result<Scan, Failure> {
    let mut state: Option<Vec<f64>> = None;
    let mut names = Vec::new();
    let has_pulses = std::cell::Cell::new(false);
    let mut one =
        |v: f64, state: &mut Option<Vec<f64>>, no_pulses: bool| -> Result<ScanStep, Failure> {
            let mut d = doc.clone();
            cortexsim::spec::overrides::apply(&mut d, &format!("{param}={v:?}"))
                .map_err(Failure::spec)?;
            let mut f = load_table(&d, data)?;
            let is_pulse = |e: &rate::Epoch| e.stop_ms.is_finite();
            if f.net.schedules.iter().any(is_pulse) {
                has_pulses.set(true);
            }
            if no_pulses {
                f.net.schedules.retain(|e| !is_pulse(e));
            }
            if let Some(s) = state.as_ref() {
                for (p, r) in f.net.pops.iter_mut().zip(s) {
                    p.r0_hz = *r;
                }
            }
            let run = rate::run(&f.net, &f.sim.run_opts()).map_err(|e| {
                let mut fl = rate_failure(e);
                fl.msg = format!("{param} = {v}: {}", fl.msg);
                fl
            })?;
            let n = run.t_ms.len();
            let k0 = ((1.0 - tail) * n as f64).floor().clamp(0.0, (n - 1) as f64) as usize;
            let mut range = 0.0f64;
            let rates = run
                .rates
                .iter()
                .map(|r| {
                    let seg = &r[k0..];
                    let (lo, hi) = seg
                        .iter()
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                            (l.min(x), h.max(x))
                        });
                    range = range.max(hi - lo);
                    seg.iter().sum::<f64>() / seg.len() as f64
                })
                .collect();
            *state = Some(run.rates.iter().map(|r| r[n - 1]).collect());
            names = run.pop_names.clone();
            Ok(ScanStep {
                value: v,
                rates,
                tail_range_hz: range,
            })
        };
    let mut up = Vec::with_capacity(values.len());
    for &v in values {
        up.push(one(v, &mut state, false)?);
    }
    let mut down = Vec::with_capacity(values.len());
    for &v in values.iter().rev() {
        down.push(one(v, &mut state, false)?);
    }
    down.reverse();
    let spontaneous = if has_pulses.get() {
        let mut sp = Vec::with_capacity(values.len());
        for &v in values {
            sp.push(one(v, &mut None, true)?);
        }
        Some(sp)
    } else {
        None
    };
    Ok(Scan {
        pop_names: names,
        up,
        down,
        spontaneous,
    })
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
    // Validate the file and the population selection once before sweeping.
    let f = load_table(&doc, a.data.as_deref())?;
    check_rate_memory(&f, None)?;
    for p in &a.pops {
        if f.net.index_of(p).is_none() {
            return Err(Failure::invalid(format!("--pop: no population `{p}`")));
        }
    }
    if let Some(p) = &a.plot {
        check_plot_path(p)?;
    }
    let shown: Vec<String> = if a.pops.is_empty() {
        report_order(&f)
    } else {
        a.pops.clone()
    };
    let values: Vec<f64> = (0..a.steps)
        .map(|k| a.from + (a.to - a.from) * k as f64 / (a.steps - 1) as f64)
        .collect();
    let t0 = Instant::now();
    let scan = sweep(&doc, a.data.as_deref(), &a.param, &values, a.tail)?;
    let elapsed = t0.elapsed().as_secs_f64();
    let idx: Vec<usize> = shown
        .iter()
        .filter_map(|p| scan.pop_names.iter().position(|n| n == p))
        .collect();
    // Bistable: two branches (up, down and, with pulses, spontaneous) differ by more than
    // 1 % (and 1e-3 Hz) in some population.
    let branches: Vec<&[ScanStep]> = [Some(&scan.up), Some(&scan.down), scan.spontaneous.as_ref()]
        .into_iter()
        .flatten()
        .map(Vec::as_slice)
        .collect();
    let gap = |k: usize| {
        let mut g = 0.0f64;
        for (m, b1) in branches.iter().enumerate() {
            for b2 in &branches[m + 1..] {
                for &i in &idx {
                    let (u, d) = (b1[k].rates[i], b2[k].rates[i]);
                    let diff = (u - d).abs();
                    if diff > 1e-3 + 0.01 * u.abs().max(d.abs()) {
                        g = g.max(diff);
                    }
                }
            }
        }
        g
    };
    let bistable: Vec<f64> = (0..values.len())
        .filter(|&k| gap(k) > 0.0)
        .map(|k| values[k])
        .collect();
    // Onset: the first bistable value after a monostable one, as a bracket.
    let onset = (1..values.len())
        .find(|&k| gap(k) > 0.0 && gap(k - 1) == 0.0)
        .map(|k| (values[k - 1], values[k]));
    // A run has settled when no rate moved by more than 1e-3 Hz + 0.1 % over the tail.
    let settled = |s: &ScanStep| {
        let top = s.rates.iter().fold(0.0f64, |m, r| m.max(r.abs()));
        s.tail_range_hz.is_finite() && s.tail_range_hz <= 1e-3 + 1e-3 * top
    };
    let branch = |steps: &[ScanStep]| -> Json {
        steps
            .iter()
            .map(|s| {
                let r: Map<String, Json> = idx
                    .iter()
                    .map(|&i| (scan.pop_names[i].clone(), json!(s.rates[i])))
                    .collect();
                json!({"value": s.value, "rates_hz": r, "tail_range_hz": s.tail_range_hz,
                       "settled": settled(s)})
            })
            .collect::<Vec<_>>()
            .into()
    };
    #[cfg(feature = "plots")]
    if let Some(p) = &a.plot {
        let series: Vec<(String, Vec<f64>, Vec<f64>)> = idx
            .iter()
            .map(|&i| {
                (
                    scan.pop_names[i].clone(),
                    scan.up.iter().map(|s| s.rates[i]).collect(),
                    scan.down.iter().map(|s| s.rates[i]).collect(),
                )
            })
            .collect();
        let spont: Option<Vec<Vec<f64>>> = scan.spontaneous.as_ref().map(|sp| {
            idx.iter()
                .map(|&i| sp.iter().map(|s| s.rates[i]).collect())
                .collect()
        });
        cortexsim::plot::plot_bifurcation(&a.param, &values, &series, spont.as_deref(), p)
            .map_err(plot_err)?;
    }
    let j = json!({
        "kind": "scan",
        "network": a.net.origin().display(),
        "param": a.param,
        "values": values,
        "tail": a.tail,
        "order": shown,
        "up": branch(&scan.up),
        "down": branch(&scan.down),
        "spontaneous": scan.spontaneous.as_deref().map(branch),
        "bistable_values": bistable,
        "onset": onset.map(|(lo, hi)| json!({"last_monostable": lo, "first_bistable": hi})),
        "timings_s": {"scan": elapsed},
        "plot": a.plot.as_ref().map(|o| o.display().to_string()),
    });
    if a.json {
        println!("{j}");
        return Ok(());
    }
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
    for &i in &idx {
        println!("{}", scan.pop_names[i]);
        print!("  {:>14} {:>14}  {:>14} ", a.param, "up (Hz)", "down (Hz)");
        if scan.spontaneous.is_some() {
            print!(" {:>14}", "no pulse (Hz)");
        }
        println!();
        for (k, v) in values.iter().enumerate() {
            let mark = |s: &ScanStep| if settled(s) { " " } else { "*" };
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
    if scan
        .up
        .iter()
        .chain(&scan.down)
        .chain(scan.spontaneous.iter().flatten())
        .any(|s| !settled(s))
    {
        println!(
            "* not settled: rates still changing at the end of the run (lengthen simulation.t_stop)"
        );
    }
    if bistable.is_empty() {
        println!("no hysteresis: both branches agree at every value");
    } else {
        println!(
            "branches differ (hysteresis) at {} = {:?}",
            a.param, bistable
        );
    }
    if let Some((lo, hi)) = onset {
        println!(
            "onset of bistability: {} in ({lo}, {hi}] (monostable at {lo}, bistable at {hi})",
            a.param
        );
    }
    if let Some(p) = &a.plot {
        println!("plot: {}", p.display());
    }
    Ok(())
}
