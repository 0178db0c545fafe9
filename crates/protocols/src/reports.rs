//! The JSON documents of the mean-field protocols and of a rate run, as the command
//! line prints them with `--json` and the Python package returns them as dicts:
//! [`meanfield_json`] (`cortexsim meanfield`), [`comparison_json`] (`cortexsim compare`)
//! and [`rate_run_json`] (`cortexsim run` on a rate file). One function per document, so
//! that both callers report the same numbers under the same names.

use crate::compare::{Comparison, StationaryReport, StationaryState, StepResponse};
use cortexsim_theory::meanfield::{LinearStability, OscillationOptions, linear_stability_with};
use cortexsim_theory::rate::{RateRun, RunOpts};
use serde_json::{Map, Value as Json, json};

fn opt(x: Option<f64>) -> Json {
    x.map_or(Json::Null, |v| json!(v))
}

/// Per-population map of the primary state: `{name: {rate_hz, mu_mv, sigma_mv, cv_isi}}`.
fn state_json(names: &[&str], s: &StationaryState) -> Map<String, Json> {
    let fp = &s.fixed_point;
    names
        .iter()
        .enumerate()
        .map(|(a, n)| {
            (
                n.to_string(),
                json!({
                    "rate_hz": fp.rates_hz[a],
                    "mu_mv": fp.mu_mv[a],
                    "sigma_mv": fp.sigma_mv[a],
                    "cv_isi": opt(fp.cv_isi[a]),
                }),
            )
        })
        .collect()
}

fn eigen_json(s: &StationaryState) -> Json {
    json!(
        s.stability
            .eigenvalues
            .iter()
            .map(|e| [e.re, e.im])
            .collect::<Vec<_>>()
    )
}

/// Measured agreement of the default oscillatory analysis, quoted in the
/// text and JSON output (tests/meanfield/oscillatory.rs).
pub const OSC_AGREEMENT: &str = "on Brunel 2000 point B (SI fast) it predicts 190 Hz vs the spiking peak at 170 Hz (scale 0.2 test) / 180 Hz (full size, Brunel 2000 Fig. 8B), +6-12%; mean-input modulation alone (NNMT) gives 262 Hz (+45-54%)";

/// What the oscillatory analysis includes under `opts`.
pub fn osc_label(opts: &OscillationOptions) -> &'static str {
    if opts.variance_channel {
        "mean- and variance-input modulation, mean delays"
    } else {
        "mean-input modulation only (NNMT), mean delays"
    }
}

/// `"oscillatory"` object: frequency-resolved stability of the primary state
/// with delays ([`cortexsim::meanfield::linear_stability_with`]).
fn oscillatory_json(ls: &LinearStability, opts: &OscillationOptions) -> Json {
    let approx = format!(
        "linear response to the modulation of the input mean{} (diffusion approximation; LIF transfer functions {}; exponential synapses by the Fourcaud-Brunel shifted threshold), mean delay per projection (spread ignored); {OSC_AGREEMENT}",
        if opts.variance_channel {
            " and variance (Brunel 2000)"
        } else {
            " only (as NNMT; variance modulation neglected)"
        },
        if opts.refractory_phase {
            "with the refractory phase factor"
        } else {
            "without the refractory phase factor (NNMT)"
        }
    );
    json!({
        "experimental": true,
        "variance_channel": opts.variance_channel,
        "refractory_phase": opts.refractory_phase,
        "approximation": approx,
        "stable": ls.stable,
        "frequency_hz": opt(ls.frequency_hz),
        "growth_rate_per_s": opt(ls.growth_rate_per_s),
        "nyquist_unstable_roots": ls.nyquist_unstable_roots,
        "nyquist_complete": ls.nyquist_complete,
        "roots": ls.roots,
        "connectivity_eigenvalues": ls.connectivity_eigenvalues,
    })
}

/// The JSON document of `cortexsim meanfield --json`: the primary stationary state, its
/// stability, the oscillatory analysis and every fixed point found.
/// `osc_opts`: options of the oscillatory analysis.
pub fn meanfield_json(network: &str, r: &StationaryReport, osc_opts: &OscillationOptions) -> Json {
    let names = r.names();
    let p = r.primary();
    let osc = linear_stability_with(&r.network, &p.fixed_point, osc_opts);
    let states: Vec<Json> = r
        .states
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "primary": i == r.primary,
                "populations": state_json(&names, s),
                "stable": s.stability.stable,
                "max_real_eigenvalue": s.stability.max_real_part,
                "eigenvalues": eigen_json(s),
                "converged": s.fixed_point.converged,
                "residual": s.fixed_point.residual,
            })
        })
        .collect();
    json!({
        "network": network,
        "populations": state_json(&names, p),
        "stable": p.stability.stable,
        "max_real_eigenvalue": p.stability.max_real_part,
        "eigenvalues": eigen_json(p),
        "oscillatory": oscillatory_json(&osc, osc_opts),
        "converged": p.fixed_point.converged,
        "fixed_points": states,
        "primary_index": r.primary,
        "warnings": r.warnings,
    })
}

/// The JSON document of `cortexsim compare --json`.
/// `step` (with `--plot`) adds the spiking step response summary.
pub fn comparison_json(
    network: &str,
    r: &StationaryReport,
    c: &Comparison,
    step: Option<&StepResponse>,
) -> Json {
    let m = &c.rate_models;
    let pops: Map<String, Json> = c
        .populations
        .iter()
        .enumerate()
        .map(|(a, p)| {
            let nl_end = m.nonlinear_run.rates[a].last().copied();
            let lin_end = m.linearised_run.rates[a].last().copied();
            (
                p.name.clone(),
                json!({
                    "rate_model_rate_hz": p.rate_model_rate_hz,
                    "tau_eff_ms": opt(p.tau_eff_ms),
                    "h0_hz_per_mv": p.h0_hz_per_mv,
                    "step_pa": m.step_pa[a],
                    "step_mu_mv": m.step_mu_mv[a],
                    "rate_model_after_step_hz": opt(nl_end),
                    "linearised_after_step_hz": opt(lin_end),
                    "spiking_before_step_hz": opt(step.map(|s| s.before_hz[a])),
                    "spiking_after_step_hz": opt(step.map(|s| s.after_hz[a])),
                    "size": p.size,
                    "spiking_rate_hz": p.spiking_rate_hz,
                    "spiking_rate_se_hz": p.spiking_rate_se_hz,
                    "meanfield_rate_hz": p.meanfield_rate_hz,
                    "rel_error": opt(p.rel_error),
                    "spiking_cv_isi": opt(p.spiking_cv_isi),
                    "meanfield_cv_isi": opt(p.meanfield_cv_isi),
                    "spiking_cv_neurons": p.spiking_cv_neurons,
                    "meanfield_mu_mv": p.meanfield_mu_mv,
                    "meanfield_sigma_mv": p.meanfield_sigma_mv,
                }),
            )
        })
        .collect();
    json!({
        "network": network,
        "populations": pops,
        "max_abs_rel_error": opt(c.max_abs_rel_error),
        "max_abs_z": opt(c.max_abs_z),
        "meanfield_stable": c.meanfield_stable,
        "meanfield_eigenvalues": eigen_json(r.primary()),
        "warmup_ms": c.warmup_ms,
        "analysed_ms": c.analysed_ms,
        "blocks": c.blocks,
        "block_ms": c.block_ms,
        "threads": c.threads,
        "timings_s": {"build": c.build_s, "simulate": c.simulate_s},
        "step_ms": m.t_step_ms,
        "rate_model_tau_ms": m.rate_tau_ms,
        "warnings": c.warnings,
    })
}

/// The JSON document of `cortexsim run --json` on a rate file: `network` (display name),
/// the run options, the report `order`, per population mean/min/max rate and the
/// simulation time `sim_s`.
pub fn rate_run_json(
    network: &str,
    opts: &RunOpts,
    order: &[String],
    run: &RateRun,
    sim_s: f64,
) -> Json {
    let mut pops = Map::new();
    for s in run.summary() {
        pops.insert(
            s.name.clone(),
            json!({"rate_hz": s.mean_hz, "min_hz": s.min_hz, "max_hz": s.max_hz}),
        );
    }
    json!({
        "kind": "rate",
        "network": network,
        "t_stop_ms": run.t_ms.last().copied().unwrap_or(0.0),
        "dt_ms": opts.dt_ms,
        "method": serde_json::to_value(opts.method).unwrap_or(Json::Null),
        "seed": opts.seed,
        "samples": run.t_ms.len(),
        "order": order,
        "populations": pops,
        "timings_s": {"simulate": sim_s},
    })
}
