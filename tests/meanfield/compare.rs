//! Spiking simulation vs mean-field theory (SCIENCE.md §14 items 2 and 4), and
//! the `meanfield` / `compare` command lines.
//!
//! * Brunel 2000 AI point (networks/brunel2000.toml, NEST variant), 600 ms of
//!   which the first 100 ms are discarded: population rates within 10% of the
//!   mean field.
//! * One unconnected population of 1000 `iaf_psc_delta` neurons driven by 1000
//!   excitatory Poisson inputs of 9.5 Hz and J = 0.1 mV (mu = 19 mV below the
//!   20 mV threshold, sigma = 1.38 mV: fluctuation-driven, about 10 Hz), 2 s
//!   analysed (~20k spikes): rate within 3% of the Siegert formula evaluated
//!   directly from mu and sigma.
//!
//! Measured (seeded, so the numbers are reproducible): Brunel E 32.15 ± 0.48 Hz,
//! I 32.23 ± 0.41 Hz vs 32.03 Hz mean field; single population 9.697 ± 0.056 Hz
//! vs Siegert 9.7105 Hz (-0.14%), ISI CV 0.49 vs 0.53 (the estimator is biased
//! low by the finite window: ~20 ISIs per neuron, long ISIs censored).
//! The Brunel ISI CV (0.17 simulated vs 0.42 predicted) is *not* asserted: the
//! same neuron driven by independent Poisson input of the same mu and sigma
//! gives 0.41, so the gap is the recurrent input not being Poisson in this
//! mean-driven state (mu = 24 mV > theta), outside the diffusion approximation.
//! Why excitatory-only drive for the 3% test: with balanced E and I Poisson
//! drive of the same sigma the per-step sum of jumps hides threshold crossings
//! inside a step, a discretisation bias of the spiking model (NEST's too) that
//! shrinks like sqrt(dt): at mu = 15 mV, sigma = 4 mV it is -6% at dt = 0.1 ms
//! and -3% at dt = 0.02 ms (checked with an independent script), which is not
//! a property of the reduction under test.

use cortexsim::meanfield::{LifParams, siegert};
use cortexsim::protocols::compare::{CompareOptions, compare};
use cortexsim::spec::Network;
use std::path::PathBuf;
use std::process::Command;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn brunel(sets: &[&str]) -> Network {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Network::load(&manifest().join("networks/brunel2000.toml"), &sets).expect("brunel2000.toml")
}

const SINGLE: &str = r#"
[simulation]
dt = 0.1
t_stop = 2100.0
seed = 7

[[populations]]
name = "L"
size = 1000
model = "iaf_psc_delta"
v_init = { distribution = "uniform", low = 0.0, high = 10.0 }
params = { C_m = 250.0, tau_m = 20.0, t_ref = 2.0, E_L = 0.0, V_reset = 10.0, V_th = 20.0 }

[[stimuli]]
kind = "poisson"
target = "L"
rate = 9.5
indegree = 1000
weight = 0.1
"#;

#[test]
fn brunel_spiking_rates_match_mean_field_within_10_percent() {
    let net = brunel(&["simulation.t_stop=600.0"]);
    let (report, cmp) = compare(
        &net,
        &CompareOptions {
            threads: 2,
            warmup_ms: 100.0,
            blocks: 20,
            max_memory: None,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(report.primary().stability.stable);
    assert!((cmp.analysed_ms - 500.0).abs() < 1e-9);
    for p in &cmp.populations {
        let rel = p.rel_error.expect("mean-field rate > 0");
        println!(
            "Brunel {}: spiking {:.3} ± {:.3} Hz, mean field {:.3} Hz, rel {:+.2}%, CV {:?} vs {:?}",
            p.name,
            p.spiking_rate_hz,
            p.spiking_rate_se_hz,
            p.meanfield_rate_hz,
            100.0 * rel,
            p.spiking_cv_isi,
            p.meanfield_cv_isi
        );
        assert!(rel.abs() < 0.10, "{p:?}");
        assert!(p.spiking_rate_se_hz > 0.0 && p.spiking_rate_se_hz < 0.05 * p.spiking_rate_hz);
        assert!(p.spiking_cv_neurons > 0);
    }
    assert!(cmp.max_abs_rel_error.unwrap() < 0.10);
}

#[test]
fn single_population_with_poisson_drive_matches_siegert_within_3_percent() {
    let net = Network::from_toml_str(SINGLE).unwrap();
    let (report, cmp) = compare(
        &net,
        &CompareOptions {
            threads: 2,
            ..Default::default()
        },
    )
    .unwrap();
    // Siegert directly from the diffusion approximation, independent of `reduce`:
    // mu = tau K nu J, sigma^2 = tau K nu J^2 (tau in s).
    let (tau, k_nu, j): (f64, f64, f64) = (0.020, 1000.0 * 9.5, 0.1);
    let (mu, sigma) = (tau * k_nu * j, (tau * k_nu * j * j).sqrt());
    let lif = LifParams {
        tau_m_ms: 20.0,
        t_ref_ms: 2.0,
        v_th_mv: 20.0,
        v_reset_mv: 10.0,
        tau_s_ms: 0.0,
    };
    let nu_siegert = siegert(&lif, mu, sigma);
    let fp = &report.primary().fixed_point;
    assert!((fp.mu_mv[0] - mu).abs() < 1e-12 && (fp.sigma_mv[0] - sigma).abs() < 1e-12);
    assert!((fp.rates_hz[0] - nu_siegert).abs() < 1e-9 * nu_siegert);
    assert!((5.0..20.0).contains(&nu_siegert), "regime: {nu_siegert} Hz");
    let p = &cmp.populations[0];
    let rel = (p.spiking_rate_hz - nu_siegert) / nu_siegert;
    println!(
        "single population: spiking {:.4} ± {:.4} Hz ({} spikes), Siegert {:.4} Hz, rel {:+.2}%, CV {:?} vs {:?}",
        p.spiking_rate_hz,
        p.spiking_rate_se_hz,
        (p.spiking_rate_hz * 1000.0 * cmp.analysed_ms * 1e-3).round(),
        nu_siegert,
        100.0 * rel,
        p.spiking_cv_isi,
        p.meanfield_cv_isi
    );
    assert!(rel.abs() < 0.03, "{p:?}");
    let (cv_sim, cv_mf) = (p.spiking_cv_isi.unwrap(), p.meanfield_cv_isi.unwrap());
    assert!(
        (cv_sim - cv_mf).abs() < 0.15 * cv_mf,
        "CV {cv_sim} vs {cv_mf}"
    );
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args(args)
        .output()
        .expect("run cortexsim")
}

#[test]
fn cli_meanfield_json_has_the_documented_keys() {
    let path = manifest().join("networks/brunel2000.toml");
    let out = cli(&["meanfield", path.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for name in ["E", "I"] {
        let p = &j["populations"][name];
        for key in ["rate_hz", "mu_mv", "sigma_mv", "cv_isi"] {
            assert!(p[key].is_f64(), "populations.{name}.{key} in {j}");
        }
    }
    assert_eq!(j["stable"], serde_json::Value::Bool(true));
    let fps = j["fixed_points"].as_array().unwrap();
    assert!(!fps.is_empty());
    assert_eq!(
        fps[j["primary_index"].as_u64().unwrap() as usize]["primary"],
        true
    );
    let ev = j["eigenvalues"].as_array().unwrap();
    assert_eq!(ev.len(), 2);
    assert!(ev.iter().all(|e| e.as_array().unwrap().len() == 2));
    // --set reaches the reduction: a weaker drive lowers the rate.
    let out2 = cli(&[
        "meanfield",
        path.to_str().unwrap(),
        "--json",
        "--set",
        "stimuli.0.rate=15000.0",
    ]);
    let j2: serde_json::Value = serde_json::from_slice(&out2.stdout).unwrap();
    assert!(
        j2["populations"]["E"]["rate_hz"].as_f64().unwrap()
            < j["populations"]["E"]["rate_hz"].as_f64().unwrap()
    );
}

#[test]
fn cli_meanfield_mean_input_only_switches_off_the_variance_channel() {
    let path = manifest().join("networks/brunel2000_si_fast.toml");
    let run = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["meanfield", path.to_str().unwrap(), "--json"];
        args.extend_from_slice(extra);
        let out = cli(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["oscillatory"].clone()
    };
    let (full, mean_only) = (run(&[]), run(&["--mean-input-only"]));
    assert_eq!(full["variance_channel"], true);
    assert_eq!(full["refractory_phase"], true);
    assert_eq!(mean_only["variance_channel"], false);
    assert_eq!(mean_only["refractory_phase"], false);
    let f = |j: &serde_json::Value| j["frequency_hz"].as_f64().unwrap();
    // Brunel 2000 point B: ~190 Hz with both channels, ~262 Hz with the mean only
    assert!(f(&full) > 150.0 && f(&full) < 225.0, "{full}");
    assert!(f(&mean_only) > 240.0, "{mean_only}");
}

#[test]
fn cli_compare_json_has_the_documented_keys() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("single.toml");
    std::fs::write(&f, SINGLE).unwrap();
    let out = cli(&[
        "compare",
        f.to_str().unwrap(),
        "--json",
        "--threads",
        "2",
        "--warmup",
        "50",
        "--set",
        "populations.L.size=100",
        "--t-stop",
        "250",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &j["populations"]["L"];
    for key in [
        "spiking_rate_hz",
        "spiking_rate_se_hz",
        "meanfield_rate_hz",
        "rel_error",
        "spiking_cv_isi",
        "meanfield_cv_isi",
    ] {
        assert!(p[key].is_f64(), "populations.L.{key} in {j}");
    }
    assert!(j["max_abs_rel_error"].is_f64());
    assert_eq!(j["warmup_ms"].as_f64(), Some(50.0));
    assert_eq!(j["analysed_ms"].as_f64(), Some(200.0));
    assert_eq!(j["blocks"].as_u64(), Some(20));
}

#[test]
fn cli_refuses_inputs_outside_the_theory_with_exit_code_3() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("windowed.toml");
    std::fs::write(
        &f,
        SINGLE.replace("weight = 0.1\n", "weight = 0.1\nstart = 500.0\n"),
    )
    .unwrap();
    for cmd in ["meanfield", "compare"] {
        let out = cli(&[cmd, f.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(3), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("stimuli[0]") && err.contains("not covered"),
            "{err}"
        );
    }
    let good = dir.path().join("single.toml");
    std::fs::write(&good, SINGLE).unwrap();
    let out = cli(&["compare", good.to_str().unwrap(), "--blocks", "5"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10 blocks"));
}

/// Exponential synapses (PD14-like: 87.81 pA, tau_s = 0.5 ms, C = 250 pF, i.e.
/// J = 0.1756 mV; inhibition 4x) with a DC of 300 pA: the reduction with
/// J = w tau_s / C and the Fourcaud–Brunel shift against the spiking model.
/// Measured: 20.61 ± 0.06 Hz vs 20.78 Hz (-0.8%).
#[test]
fn exp_synapse_population_matches_shifted_siegert_within_3_percent() {
    let net = Network::from_toml_str(
        r#"
[simulation]
dt = 0.1
t_stop = 2100.0
seed = 5
[[populations]]
name = "X"
size = 1000
model = "iaf_psc_exp"
v_init = { distribution = "uniform", low = -65.0, high = -55.0 }
params = { C_m = 250.0, tau_m = 10.0, t_ref = 2.0, E_L = -65.0, V_reset = -65.0, V_th = -50.0, tau_syn_ex = 0.5, tau_syn_in = 0.5, I_e = 300.0 }
[[stimuli]]
kind = "poisson"
target = "X"
rate = 8.0
indegree = 2000
weight = 87.81
[[stimuli]]
kind = "poisson"
target = "X"
rate = 8.0
indegree = 500
weight = -351.24
"#,
    )
    .unwrap();
    let (report, cmp) = compare(
        &net,
        &CompareOptions {
            threads: 2,
            ..Default::default()
        },
    )
    .unwrap();
    let fp = &report.primary().fixed_point;
    // mu = tau_m nu K J (E and I cancel) + I tau_m / C = 12 mV;
    // sigma^2 = tau_m * 8 Hz * (2000 J^2 + 500 (4 J)^2)
    let j: f64 = 87.81 * 0.5 / 250.0;
    assert!((fp.mu_mv[0] - 12.0).abs() < 1e-9);
    let s2 = 0.010 * 8.0 * (2000.0 * j * j + 500.0 * 16.0 * j * j);
    assert!((fp.sigma_mv[0] - s2.sqrt()).abs() < 1e-12);
    let p = &cmp.populations[0];
    println!(
        "exp synapses: spiking {:.4} ± {:.4} Hz, mean field {:.4} Hz, rel {:+.2}%",
        p.spiking_rate_hz,
        p.spiking_rate_se_hz,
        p.meanfield_rate_hz,
        100.0 * p.rel_error.unwrap()
    );
    assert!(p.rel_error.unwrap().abs() < 0.03, "{p:?}");
}
