//! A8 (RELIABILITY.md §1): statistics of the Poisson drive, after NEST
//! `test_poisson_generator_campbell_alpha`.
//!
//! Non-spiking `iaf_psc_delta` neurons (V_th = 1e9 mV, E_L = 0) each receive one Poisson
//! stimulus of total rate ν with jumps of J mV. The membrane potential is then shot
//! noise, V(t) = Σ_k J e^{-(t - t_k)/τ_m}, and Campbell's theorem gives
//!
//!   E[V]   = ν τ_m J          (ν in 1/ms, τ_m in ms, J in mV → mV)
//!   Var[V] = ν τ_m J² / 2     (mV²)
//!
//! e.g. ν = 10 kHz = 10 /ms, τ_m = 20 ms, J = 0.1 mV: E[V] = 20 mV, Var[V] = 1 mV².
//!
//! On the grid the simulator computes V_{n+1} = P V_n + J K_n with P = e^{-dt/τ_m} and
//! K_n ~ Poisson(λ = ν dt) i.i.d., whose stationary moments are exactly
//!
//!   E[V] = J λ / (1 - P),   Var[V] = J² λ / (1 - P²),
//!
//! which exceed Campbell's by the factors (dt/τ)/(1-e^{-dt/τ}) ≈ 1 + dt/(2τ) and
//! (2dt/τ)/(1-e^{-2dt/τ}) ≈ 1 + dt/τ (0.25 % and 0.5 % at dt = 0.1, τ = 20 ms).
//!
//! Tolerances come from the data: neurons are independent (one random stream per
//! neuron), so the standard error of a population average is the standard deviation
//! of the per-neuron time averages over √N. That standard deviation is itself checked
//! against the theory for an exponentially correlated process (Var of a time average
//! over T ≈ 2σ²τ/T), so a broken autocorrelation cannot hide behind a wide tolerance.
//! Each moment must lie within 5 standard errors of the exact grid value, and within
//! 5 standard errors plus the discretisation factor above of Campbell's value.
//!
//! The input counts K_n are recovered exactly from V sampled every step:
//! K_n = (V_{n+1} - P V_n)/J, and their mean, variance, lag-1 correlation and full
//! distribution (χ²) are compared with Poisson(λ).

use cortexsim::engine::{BuildOptions, Simulation};
use cortexsim::spec::Network;

const TAU: f64 = 20.0;
const DT: f64 = 0.1;

fn pop(name: &str, size: u32) -> String {
    format!(
        r#"
[[populations]]
name = "{name}"
size = {size}
model = "iaf_psc_delta"
params = {{ C_m = 1.0, tau_m = {TAU}, t_ref = 2.0, E_L = 0.0, V_reset = 0.0, V_th = 1e9 }}
"#
    )
}

fn run(text: &str) -> Simulation {
    let net = Network::from_toml_str(text).unwrap_or_else(|e| panic!("test network invalid: {e}"));
    let mut sim = Simulation::build(
        &net,
        &BuildOptions {
            threads: 2,
            max_memory: None,
            keep_spikes: false,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("build: {e}"));
    sim.run().unwrap_or_else(|e| panic!("run: {e}"));
    for (p, pp) in net.populations.iter().enumerate() {
        assert_eq!(
            sim.recording.pop_spikes[p], 0,
            "population {} spiked although V_th = 1e9 mV",
            pp.name
        );
    }
    sim
}

/// Samples of population `p` as [sample][neuron], checking the sample times.
fn samples(sim: &Simulation, p: usize, interval_steps: u64) -> Vec<Vec<f64>> {
    let vm = sim.vm_samples(p).expect("no v_m recorder");
    let (times, rows, n) = (vm.times, vm.rows, vm.n);
    let steps = sim.net.simulation.steps;
    assert_eq!(
        rows.len() as u64,
        steps / interval_steps,
        "number of V samples"
    );
    for (s, &t) in times.iter().enumerate() {
        let want = (s as u64 + 1) as f64 * interval_steps as f64 * DT;
        assert!(
            (t - want).abs() < 1e-9,
            "sample {s} at {t} ms, expected {want} ms"
        );
    }
    assert!(rows.iter().all(|r| r.len() == n as usize));
    rows
}

struct Moments {
    mean: f64,
    var: f64,
    se_mean: f64,
    se_var: f64,
    /// Standard deviation of the per-neuron time averages.
    sd_time_avg: f64,
}

/// Population moments of V over samples `from..`, with standard errors from the
/// spread across (independent) neurons.
fn moments(rows: &[Vec<f64>], from: usize) -> Moments {
    let rows = &rows[from..];
    let (t, n) = (rows.len() as f64, rows[0].len());
    let per_mean: Vec<f64> = (0..n)
        .map(|i| rows.iter().map(|r| r[i]).sum::<f64>() / t)
        .collect();
    let mean = per_mean.iter().sum::<f64>() / n as f64;
    // Squared deviations from the grand mean (precise to ~σ/200), not from each
    // neuron's own time average, which would bias the variance low by ~2τ/T.
    let per_var: Vec<f64> = (0..n)
        .map(|i| rows.iter().map(|r| (r[i] - mean).powi(2)).sum::<f64>() / t)
        .collect();
    let var = per_var.iter().sum::<f64>() / n as f64;
    let sd = |x: &[f64]| {
        let m = x.iter().sum::<f64>() / x.len() as f64;
        (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() as f64 - 1.0)).sqrt()
    };
    let sd_time_avg = sd(&per_mean);
    Moments {
        mean,
        var,
        se_mean: sd_time_avg / (n as f64).sqrt(),
        se_var: sd(&per_var) / (n as f64).sqrt(),
        sd_time_avg,
    }
}

/// Campbell's theorem against one population; `nu_per_ms` is the total input rate.
fn check_campbell(label: &str, rows: &[Vec<f64>], interval_ms: f64, nu_per_ms: f64, j: f64) {
    let transient_ms = 10.0 * TAU; // e^-10 of the initial offset remains
    let from = (transient_ms / interval_ms).round() as usize;
    let m = moments(rows, from);
    let t_ms = (rows.len() - from) as f64 * interval_ms;

    let campbell_mean = nu_per_ms * TAU * j;
    let campbell_var = nu_per_ms * TAU * j * j / 2.0;
    let p = (-DT / TAU).exp();
    let lambda = nu_per_ms * DT;
    let grid_mean = j * lambda / (1.0 - p);
    let grid_var = j * j * lambda / (1.0 - p * p);

    // The data-driven standard error must agree with the theory of a time average of an
    // exponentially correlated process, 2σ²τ/T (within a factor 1.5 either way).
    let sd_theory = (2.0 * grid_var * TAU / t_ms).sqrt();
    let ratio = m.sd_time_avg / sd_theory;
    assert!(
        (1.0 / 1.5..1.5).contains(&ratio),
        "{label}: spread of per-neuron time averages {:.4} mV vs {:.4} mV expected for a \
         correlation time of τ_m = {TAU} ms (ratio {ratio:.2}): the input is not Poisson-like",
        m.sd_time_avg,
        sd_theory
    );

    let k = 5.0;
    eprintln!(
        "{label}: mean {:.5} mV (grid {grid_mean:.5}, Campbell {campbell_mean:.5}, SE {:.5}); \
         var {:.5} mV² (grid {grid_var:.5}, Campbell {campbell_var:.5}, SE {:.5})",
        m.mean, m.se_mean, m.var, m.se_var
    );
    assert!(
        (m.mean - grid_mean).abs() < k * m.se_mean,
        "{label}: mean V = {:.5} mV, exact grid value J λ/(1-P) = {grid_mean:.5} mV, \
         tolerance {k} SE = {:.5} mV",
        m.mean,
        k * m.se_mean
    );
    assert!(
        (m.var - grid_var).abs() < k * m.se_var,
        "{label}: Var V = {:.5} mV², exact grid value J² λ/(1-P²) = {grid_var:.5} mV², \
         tolerance {k} SE = {:.5} mV²",
        m.var,
        k * m.se_var
    );
    // Campbell (continuous time): allow the statistical error plus the discretisation
    // bias bound dt/(2τ) (mean) and dt/τ (variance).
    let tol_mean = k * m.se_mean + campbell_mean.abs() * DT / (2.0 * TAU);
    let tol_var = k * m.se_var + campbell_var * DT / TAU;
    assert!(
        (m.mean - campbell_mean).abs() < tol_mean,
        "{label}: mean V = {:.5} mV, Campbell ν τ J = {campbell_mean:.5} mV, tolerance {tol_mean:.5} mV",
        m.mean
    );
    assert!(
        (m.var - campbell_var).abs() < tol_var,
        "{label}: Var V = {:.5} mV², Campbell ν τ J²/2 = {campbell_var:.5} mV², tolerance {tol_var:.5} mV²",
        m.var
    );
    // The tolerances must be tight enough to mean something: a 1 % error in ν·J or
    // a 3 % error in the variance (e.g. a factor e^{±dt/τ} too many) has to fail.
    assert!(
        tol_mean < 0.01 * campbell_mean.abs() && tol_var < 0.03 * campbell_var,
        "{label}: test too weak (tolerances {tol_mean} mV, {tol_var} mV²)"
    );
}

#[test]
fn campbell_mean_and_variance_of_v() {
    // Population C: one generator of 10 kHz, J = +0.1 mV (E[V] = 20 mV, Var = 1 mV²).
    // Population D: indegree 20 × 500 Hz (same total rate), J = -0.1 mV: checks that
    // `indegree` multiplies the rate and that negative jumps work (E[V] = -20 mV).
    // 1000 neurons each, 2200 ms, V sampled every 1 ms; the first 200 ms (10 τ) dropped.
    // Expected standard errors: mean ≈ σ·sqrt(2τ/T/N) ≈ 0.0045 mV (0.02 %), variance
    // ≈ 0.45 % of σ²; the tolerance is 5 SE.
    let text = format!(
        r#"
[simulation]
dt = {DT}
t_stop = 2200.0
seed = 777
{}{}
[[stimuli]]
kind = "poisson"
target = "C"
rate = 10000.0
weight = 0.1

[[stimuli]]
kind = "poisson"
target = "D"
rate = 500.0
indegree = 20
weight = -0.1

[recorders]
spikes = false
rate_bin = 0.0
v_m = [ {{ population = "C", n = 1000, interval = 1.0 }}, {{ population = "D", n = 1000, interval = 1.0 }} ]
"#,
        pop("C", 1000),
        pop("D", 1000)
    );
    let t0 = std::time::Instant::now();
    let sim = run(&text);
    eprintln!("simulated in {:.2} s", t0.elapsed().as_secs_f64());
    let c = samples(&sim, 0, 10);
    let d = samples(&sim, 1, 10);
    check_campbell("C (10 kHz, J = 0.1 mV)", &c, 1.0, 10.0, 0.1);
    check_campbell("D (20 × 500 Hz, J = -0.1 mV)", &d, 1.0, 10.0, -0.1);
}

/// Input counts per step recovered from V sampled every step.
fn counts(rows: &[Vec<f64>], j: f64) -> Vec<Vec<u64>> {
    let p = (-DT / TAU).exp();
    let n = rows[0].len();
    let mut prev = vec![0.0; n]; // V_init = E_L = 0
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut k = Vec::with_capacity(n);
        for i in 0..n {
            let x = (r[i] - p * prev[i]) / j;
            let ki = x.round();
            assert!(
                (x - ki).abs() < 1e-6 && ki >= 0.0,
                "V increment {x} J is not a whole number of jumps: V is not P·V + J·K"
            );
            k.push(ki as u64);
        }
        prev.copy_from_slice(r);
        out.push(k);
    }
    out
}

fn ln_factorial(k: u64) -> f64 {
    (1..=k).map(|i| (i as f64).ln()).sum()
}

/// Mean, variance, lag-1 correlation and (for small λ) a χ² test of the counts against
/// Poisson(λ). `steps` selects the active steps; counts are i.i.d. so M = steps × N.
fn check_counts(label: &str, k: &[Vec<u64>], steps: std::ops::Range<usize>, lambda: f64) {
    let xs: Vec<f64> = k[steps.clone()]
        .iter()
        .flat_map(|r| r.iter().map(|&v| v as f64))
        .collect();
    let m = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / m;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0);
    let se_mean = (lambda / m).sqrt();
    let se_var = ((lambda + 2.0 * lambda * lambda) / m).sqrt();
    eprintln!(
        "{label}: {m} counts, mean {mean:.5} (λ = {lambda}, SE {se_mean:.5}), var {var:.5} (SE {se_var:.5})"
    );
    assert!(
        (mean - lambda).abs() < 5.0 * se_mean,
        "{label}: mean input count per step {mean:.5}, expected rate·dt = {lambda} ± {:.5}",
        5.0 * se_mean
    );
    assert!(
        (var - lambda).abs() < 5.0 * se_var,
        "{label}: variance of the input count per step {var:.5}, expected rate·dt = {lambda} ± {:.5} (Poisson)",
        5.0 * se_var
    );
    // Successive steps are independent: lag-1 correlation within 5/√M of 0.
    let n = k[0].len();
    let (mut c, mut pairs) = (0.0, 0.0);
    for s in steps.start + 1..steps.end {
        for i in 0..n {
            c += (k[s][i] as f64 - mean) * (k[s - 1][i] as f64 - mean);
            pairs += 1.0;
        }
    }
    let rho = c / pairs / var;
    assert!(
        rho.abs() < 5.0 / pairs.sqrt(),
        "{label}: lag-1 correlation of input counts {rho:.5} (|ρ| must be < {:.5})",
        5.0 / pairs.sqrt()
    );
    // Distinct neurons are independent: correlation of neurons 0 and 1 within 5/√steps.
    let st = steps.len() as f64;
    let c01 = k[steps.clone()]
        .iter()
        .map(|r| (r[0] as f64 - mean) * (r[1] as f64 - mean))
        .sum::<f64>()
        / st
        / var;
    assert!(
        c01.abs() < 5.0 / st.sqrt(),
        "{label}: neurons 0 and 1 have correlated input counts (ρ = {c01:.4}); streams are shared?"
    );
    if lambda <= 10.0 {
        // χ² against the Poisson pmf, bins merged until each expects ≥ 5, α = 1e-4.
        let kmax = xs.iter().fold(0.0f64, |a, &b| a.max(b)) as usize;
        let mut obs = vec![0.0; kmax + 1];
        for &x in &xs {
            obs[x as usize] += 1.0;
        }
        let pmf = |k: usize| (-lambda + k as f64 * lambda.ln() - ln_factorial(k as u64)).exp();
        let (mut chi2, mut bins) = (0.0, 0);
        let (mut o, mut e, mut e_tot) = (0.0, 0.0, 0.0);
        for kk in 0..=kmax {
            o += obs[kk];
            let ek = m * pmf(kk);
            e += ek;
            e_tot += ek;
            if e >= 5.0 && m - e_tot >= 5.0 {
                chi2 += (o - e) * (o - e) / e;
                bins += 1;
                o = 0.0;
                e = 0.0;
            }
        }
        // The rest (including the unobserved tail) is the last bin.
        let e_rest = m - (e_tot - e);
        chi2 += (o - e_rest) * (o - e_rest) / e_rest;
        bins += 1;
        let dof = bins - 1;
        // Wilson–Hilferty: χ²_dof upper 1e-4 quantile ≈ dof (1 - 2/(9dof) + 3.719 √(2/(9dof)))³.
        let df = dof as f64;
        let crit = df * (1.0 - 2.0 / (9.0 * df) + 3.719 * (2.0 / (9.0 * df)).sqrt()).powi(3);
        assert!(
            chi2 < crit,
            "{label}: χ² = {chi2:.1} with {dof} dof exceeds the 1e-4 critical value {crit:.1}: \
             the counts are not Poisson({lambda})"
        );
        eprintln!("{label}: χ² = {chi2:.1}, {dof} dof (critical {crit:.1})");
    }
}

#[test]
fn poisson_input_counts_per_step() {
    // K1: λ = 1 per step (10 kHz, table sampler); K2: λ = 100 per step (1 MHz, above the
    // table limit of 64: rand_distr fallback); W: λ = 1 only in [50, 100) ms.
    // 100 neurons each, V sampled every step for 500 ms (5000 steps): M = 5·10⁵ counts,
    // SE of the mean 0.0014 (λ = 1) and 0.014 (λ = 100).
    let text = format!(
        r#"
[simulation]
dt = {DT}
t_stop = 500.0
seed = 4242
{}{}{}
[[stimuli]]
kind = "poisson"
target = "K1"
rate = 10000.0
weight = 1.0

[[stimuli]]
kind = "poisson"
target = "K2"
rate = 1000000.0
weight = 0.01

[[stimuli]]
kind = "poisson"
target = "W"
rate = 10000.0
weight = 1.0
start = 50.0
stop = 100.0

[recorders]
spikes = false
rate_bin = 0.0
v_m = [ {{ population = "K1", n = 100, interval = {DT} }},
        {{ population = "K2", n = 100, interval = {DT} }},
        {{ population = "W", n = 100, interval = {DT} }} ]
"#,
        pop("K1", 100),
        pop("K2", 100),
        pop("W", 100)
    );
    let sim = run(&text);
    let steps = sim.net.simulation.steps as usize;
    assert_eq!(steps, 5000);
    let k1 = counts(&samples(&sim, 0, 1), 1.0);
    let k2 = counts(&samples(&sim, 1, 1), 0.01);
    let w = counts(&samples(&sim, 2, 1), 1.0);
    check_counts("K1 (λ = 1)", &k1, 0..steps, 1.0);
    check_counts("K2 (λ = 100)", &k2, 0..steps, 100.0);

    // Window [start, stop) = [50, 100) ms is steps 500..1000 (the steps ending in
    // (50, 100] ms, as NEST's generators): no input outside, λ inside, and input in
    // both boundary steps (P(no neuron of 100 gets one) = e^-100).
    let (a, b) = (500usize, 1000usize);
    let outside: u64 = w[..a].iter().chain(&w[b..]).flatten().sum();
    assert_eq!(
        outside, 0,
        "W: {outside} input spikes outside the stimulus window [50, 100) ms"
    );
    let first: u64 = w[a].iter().sum();
    let last: u64 = w[b - 1].iter().sum();
    assert!(
        first > 0 && last > 0,
        "W: no input in the first ({first}) or last ({last}) step of the window: off by one step"
    );
    check_counts("W inside the window", &w, a..b, 1.0);
}
