//! `cortexsim meanfield` and `cortexsim compare`: the stationary mean-field
//! state of a network file, and its comparison with a spiking simulation.
//! The science lives in [`mod@cortexsim::protocols::compare`] and the JSON documents in
//! [`cortexsim::protocols::reports`]; this file only parses arguments, calls them and
//! prints the result (table or one JSON object).

#[cfg(feature = "plots")]
use super::rate::plot_err;
use super::rate::{claim_plot, commit_plot};
use super::{EXIT_RUNTIME, Failure, NetArgs, parse_bytes};
use clap::Args;
use cortexsim::meanfield::{OscillationOptions, linear_stability_with};
#[cfg(feature = "plots")]
use cortexsim::protocols::compare::step_response;
use cortexsim::protocols::compare::{
    CompareError, CompareOptions, StepOptions, compare, stationary,
};
use cortexsim::protocols::reports::{OSC_AGREEMENT, comparison_json, meanfield_json, osc_label};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct MeanfieldArgs {
    #[command(flatten)]
    pub net: NetArgs,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Oscillatory analysis as NNMT's `linear_stability`: mean-input modulation
    /// only, no refractory phase (default: mean and variance modulation, exact
    /// LIF response with refractoriness).
    #[arg(long)]
    pub mean_input_only: bool,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    pub net: NetArgs,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Worker threads (default: the file's simulation.threads, else all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Initial transient discarded from the spiking statistics, ms.
    #[arg(long, value_name = "MS", default_value_t = 100.0)]
    pub warmup: f64,
    /// Blocks the analysed time is split into for the standard error (>= 10).
    #[arg(long, default_value_t = 20)]
    pub blocks: usize,
    /// Refuse to build if the estimated memory exceeds this (bytes; suffixes k, M, G).
    #[arg(long, value_name = "BYTES")]
    pub max_memory: Option<String>,
    /// Plot the step response (spiking vs nonlinear and linearised rate models) to this PNG;
    /// runs a second spiking simulation with the step.
    #[arg(long, value_name = "FILE.png")]
    pub plot: Option<PathBuf>,
    /// Current step into every neuron, pA (default: 5% of the rest-to-threshold
    /// distance per population, 0.05 (V_th - E_L) C_m / tau_m).
    #[arg(long, value_name = "PA", allow_hyphen_values = true)]
    pub step_pa: Option<f64>,
    /// Step onset, ms (default: (warm-up + t_stop) / 2).
    #[arg(long, value_name = "MS")]
    pub step_at: Option<f64>,
    /// Time constant of the nonlinear rate model, ms (default: the largest tau_m).
    #[arg(long, value_name = "MS")]
    pub rate_tau: Option<f64>,
}

fn print_warnings(w: &[String]) {
    for x in w {
        eprintln!("warning: {x}");
    }
}

pub fn cmd_meanfield(a: MeanfieldArgs) -> Result<(), Failure> {
    let net = a.net.load()?;
    let r = stationary(&net).map_err(Failure::spec)?;
    let name = a.net.origin().display();
    let osc_opts = if a.mean_input_only {
        OscillationOptions::nnmt()
    } else {
        OscillationOptions::default()
    };
    if a.json {
        println!("{}", meanfield_json(&name, &r, &osc_opts));
        return Ok(());
    }
    print_warnings(&net.warnings);
    print_warnings(&r.warnings);
    let p = r.primary();
    println!(
        "{name}: mean-field stationary state ({} of {} found; primary = stable with the lowest rates)",
        r.primary + 1,
        r.states.len()
    );
    println!(
        "{:<14} {:>10} {:>10} {:>10} {:>8}",
        "population", "rate (Hz)", "mu (mV)", "sigma (mV)", "CV ISI"
    );
    for (a, n) in r.names().iter().enumerate() {
        let fp = &p.fixed_point;
        println!(
            "{:<14} {:>10.4} {:>10.4} {:>10.4} {:>8}",
            n,
            fp.rates_hz[a],
            fp.mu_mv[a],
            fp.sigma_mv[a],
            fp.cv_isi[a].map_or("-".into(), |c| format!("{c:.3}"))
        );
    }
    println!(
        "{} (max Re lambda(W_eff) = {:.4}; stable iff < 1; delays not included)",
        if p.stability.stable {
            "stable"
        } else {
            "UNSTABLE"
        },
        p.stability.max_real_part
    );
    let osc = linear_stability_with(&r.network, &p.fixed_point, &osc_opts);
    let label = osc_label(&osc_opts);
    match (osc.frequency_hz, osc.growth_rate_per_s) {
        (Some(f), Some(g)) => println!(
            "oscillatory (experimental: {label}): {}; least stable mode {f:.1} Hz, growth rate {g:.1}/s ({} unstable root(s) by the Nyquist count, a conjugate pair counting 2{})",
            if osc.stable { "stable" } else { "UNSTABLE" },
            osc.nyquist_unstable_roots,
            if osc.nyquist_complete {
                ""
            } else {
                ", incomplete scan"
            }
        ),
        _ => println!(
            "oscillatory (experimental: {label}): {}; no root found up to 1 kHz",
            if osc.stable { "stable" } else { "UNSTABLE" }
        ),
    }
    if !osc.stable
        && let Some(f) = osc.frequency_hz
    {
        println!(
            "hint: a spiking run should show a peak in the power spectrum of the binned population rate (predicted {f:.0} Hz; {OSC_AGREEMENT}) (cortexsim::analysis::power_spectrum; needs recorders.rate_bin <= {:.2} ms)",
            250.0 / f.max(1.0)
        );
    }
    for (i, s) in r.states.iter().enumerate() {
        if i == r.primary {
            continue;
        }
        let rates: Vec<String> = s
            .fixed_point
            .rates_hz
            .iter()
            .map(|x| format!("{x:.4}"))
            .collect();
        println!(
            "other state: rates [{}] Hz, {}",
            rates.join(", "),
            if s.stability.stable {
                "stable"
            } else {
                "unstable"
            }
        );
    }
    Ok(())
}

pub fn cmd_compare(a: CompareArgs) -> Result<(), Failure> {
    let net = a.net.load()?;
    super::check_threads(a.threads)?;
    let opts = CompareOptions {
        threads: a.threads.unwrap_or(0),
        warmup_ms: a.warmup,
        blocks: a.blocks,
        max_memory: a.max_memory.as_deref().map(parse_bytes).transpose()?,
        step: StepOptions {
            step_pa: a.step_pa,
            t_step_ms: a.step_at,
            rate_tau_ms: a.rate_tau,
        },
    };
    let plot_out = claim_plot(a.plot.as_deref())?;
    let fail = |e: CompareError| match e {
        CompareError::Spec(s) => Failure::spec(s),
        CompareError::Options(m) => Failure::invalid(m),
        CompareError::Build(b) => Failure::build(b),
        CompareError::Sim(s) => Failure {
            code: EXIT_RUNTIME,
            msg: s.to_string(),
        },
    };
    let (r, c) = compare(&net, &opts).map_err(fail)?;
    let name = a.net.origin().display();
    #[cfg(feature = "plots")]
    let step = match &plot_out {
        Some(po) => {
            let s = step_response(&net, &c.rate_models, &opts).map_err(fail)?;
            cortexsim::plot::plot_step_response(
                &format!("{name}: step response, spiking network vs rate models"),
                &c.rate_models,
                &s,
                c.warmup_ms,
                po.temp(),
            )
            .map_err(plot_err)?;
            Some(s)
        }
        None => None,
    };
    #[cfg(not(feature = "plots"))]
    let step: Option<cortexsim::protocols::compare::StepResponse> = None;
    commit_plot(plot_out)?;
    if a.json {
        println!("{}", comparison_json(&name, &r, &c, step.as_ref()));
        return Ok(());
    }
    print_warnings(&c.warnings);
    println!(
        "{name}: spiking ({} ms after {} ms warm-up, {} blocks of {} ms, {} threads, {:.2} s) vs mean field ({})",
        c.analysed_ms,
        c.warmup_ms,
        c.blocks,
        c.block_ms,
        c.threads,
        c.simulate_s,
        if c.meanfield_stable {
            "stable"
        } else {
            "UNSTABLE"
        }
    );
    println!(
        "{:<14} {:>20} {:>10} {:>9} {:>8} {:>8}",
        "population", "spiking (Hz)", "MF (Hz)", "rel err", "CV sim", "CV MF"
    );
    let cv = |x: Option<f64>| x.map_or("-".to_string(), |c| format!("{c:.3}"));
    for p in &c.populations {
        println!(
            "{:<14} {:>11.4} ± {:<6.4} {:>10.4} {:>9} {:>8} {:>8}",
            p.name,
            p.spiking_rate_hz,
            p.spiking_rate_se_hz,
            p.meanfield_rate_hz,
            p.rel_error
                .map_or("-".to_string(), |e| format!("{:+.2}%", 100.0 * e)),
            cv(p.spiking_cv_isi),
            cv(p.meanfield_cv_isi)
        );
    }
    if let Some(m) = c.max_abs_rel_error {
        println!("max |rel error| = {:.2}%", 100.0 * m);
    }
    let m = &c.rate_models;
    println!(
        "rate models (Siegert tau = {} ms; linearised tau_eff from |N(omega)|), step at {} ms:",
        m.rate_tau_ms, m.t_step_ms
    );
    println!(
        "{:<14} {:>10} {:>10} {:>10} {:>16} {:>16} {:>16}",
        "population",
        "step (pA)",
        "rate (Hz)",
        "tau_eff",
        "Siegert after",
        "linear after",
        "spiking b/a"
    );
    for (a, p) in c.populations.iter().enumerate() {
        let last = |r: &[f64]| r.last().copied().unwrap_or(f64::NAN);
        println!(
            "{:<14} {:>10.4} {:>10.4} {:>10} {:>16.4} {:>16.4} {:>16}",
            p.name,
            m.step_pa[a],
            p.rate_model_rate_hz,
            p.tau_eff_ms.map_or("-".into(), |t| format!("{t:.2} ms")),
            last(&m.nonlinear_run.rates[a]),
            last(&m.linearised_run.rates[a]),
            step.as_ref().map_or("-".into(), |s| format!(
                "{:.3}/{:.3}",
                s.before_hz[a], s.after_hz[a]
            ))
        );
    }
    if let Some(p) = &a.plot {
        println!("plot: {}", p.display());
    }
    Ok(())
}
