//! `ac` (NEST `ac_generator`) and `noise_current` (NEST `noise_generator`) stimuli: the
//! free membrane of iaf_psc_exp against the exact response to the step-sampled sine and
//! against the continuous closed form; the Gaussian current's moments, its holding
//! within an interval and independence across intervals; identical spikes for any
//! thread count and partition size; key-naming errors.

use crate::common;
use cortexsim::spec::Network;

const TAU: f64 = 10.0;
const C: f64 = 250.0;

fn ac_net(dt: f64) -> Network {
    Network::from_toml_str(&ac_text(dt)).unwrap()
}

fn ac_text(dt: f64) -> String {
    format!(
        r#"
[simulation]
dt = {dt}
t_stop = 300.0
[[populations]]
name = "n"
size = 1
model = "iaf_psc_exp"
v_init = -70.0
params = {{ tau_m = {TAU}, C_m = {C}, E_L = -70.0, V_th = 1000.0, V_reset = -70.0, t_ref = 2.0 }}
[[stimuli]]
kind = "ac"
target = "n"
amplitude = 100.0
offset = 50.0
frequency = 10.0
phase = 30.0
start = 20.0
[recorders]
spikes = false
v_m = [{{ population = "n", n = 1, interval = {dt} }}]
"#
    )
}

#[test]
fn ac_membrane_matches_exact_and_closed_form() {
    let dt = 0.1;
    let sim = common::run(&ac_net(dt), 1);
    let vm = sim.vm_samples(0).unwrap();
    let (times, rows) = (vm.times, vm.rows);
    // Exact: in the step starting at t_k = k dt the current is I(t_k), constant.
    let (p22, p20) = ((-dt / TAU).exp(), TAU / C * -(-dt / TAU).exp_m1());
    let (w, phi) = (
        2.0 * std::f64::consts::PI * 10.0 / 1000.0,
        30f64.to_radians(),
    );
    let current = |t: f64| 50.0 + 100.0 * (w * t + phi).sin();
    let mut v = 0.0;
    let (mut max_exact, mut max_closed) = (0.0f64, 0.0f64);
    for (k, (t, row)) in times.iter().zip(&rows).enumerate() {
        let tk = k as f64 * dt;
        let i = if tk >= 20.0 - 1e-9 { current(tk) } else { 0.0 };
        v = v * p22 + p20 * i;
        assert!((t - (k + 1) as f64 * dt).abs() < 1e-9, "sample {k} at {t}");
        max_exact = max_exact.max((row[0] - (-70.0 + v)).abs());
        // Continuous closed form from the start of the stimulus (t0 = 20 ms).
        if *t > 20.0 {
            let (s, r, wt) = (t - 20.0, TAU / C, w * TAU);
            let ph = w * 20.0 + phi;
            let decay = (-s / TAU).exp();
            let v_dc = r * 50.0 * (1.0 - decay);
            let v_ac = r * 100.0 / (1.0 + wt * wt)
                * ((w * s + ph).sin()
                    - wt * (w * s + ph).cos()
                    - decay * (ph.sin() - wt * ph.cos()));
            max_closed = max_closed.max((row[0] - (-70.0 + v_dc + v_ac)).abs());
        }
    }
    assert!(
        max_exact < 1e-9,
        "max |dV| vs the step-sampled response: {max_exact}"
    );
    // Sampling at the step start lags the sine by dt/2: |dV| <= R A w dt/2 / sqrt(1+(w tau)^2) + dc part.
    assert!(
        max_closed < 0.02,
        "max |dV| vs the continuous closed form: {max_closed}"
    );
    assert!(
        max_closed > 1e-4,
        "the comparison must see the sine: {max_closed}"
    );
}

fn noise_net(n: usize, interval: f64, extra: &str) -> String {
    format!(
        r#"
[simulation]
dt = 0.1
t_stop = 100.0
seed = 11
[[populations]]
name = "n"
size = {n}
model = "iaf_psc_exp"
v_init = -70.0
params = {{ tau_m = {TAU}, C_m = {C}, E_L = -70.0, V_th = 1000.0, V_reset = -70.0 }}
[[stimuli]]
kind = "noise_current"
target = "n"
mean = 50.0
std = 20.0
dt = 1.0
start = 10.0
stop = 90.0
{extra}
[recorders]
spikes = false
v_m = [{{ population = "n", n = {n}, interval = {interval} }}]
"#
    )
}

/// The current of every neuron in every step, recovered from successive potentials.
fn currents(text: &str) -> Vec<Vec<f64>> {
    let sim = common::run(&Network::from_toml_str(text).unwrap(), 2);
    let vm = sim.vm_samples(0).unwrap();
    let dt = 0.1;
    let (p22, p20) = ((-dt / TAU).exp(), TAU / C * -(-dt / TAU).exp_m1());
    let mut prev = vec![0.0; vm.rows[0].len()];
    let mut out = Vec::new();
    for row in &vm.rows {
        let v: Vec<f64> = row.iter().map(|x| x + 70.0).collect();
        out.push(
            v.iter()
                .zip(&prev)
                .map(|(v, p)| (v - p22 * p) / p20)
                .collect(),
        );
        prev = v;
    }
    out
}

#[test]
fn noise_current_moments_holding_and_independence() {
    let n = 500;
    let cur = currents(&noise_net(n, 0.1, ""));
    assert_eq!(cur.len(), 1000);
    // Steps 0..100 and 900..: no current.
    for k in (0..100).chain(900..1000) {
        assert!(
            cur[k].iter().all(|x| x.abs() < 1e-6),
            "step {k}: current outside the window"
        );
    }
    // Held for 10 steps: one value per neuron and interval.
    let mut values = Vec::new();
    for b in 0..80 {
        let first = &cur[100 + 10 * b];
        for k in 1..10 {
            for (x, y) in cur[100 + 10 * b + k].iter().zip(first) {
                assert!(
                    (x - y).abs() < 1e-6,
                    "interval {b}: {x} vs {y} within the interval"
                );
            }
        }
        values.push(first.clone());
    }
    let all: Vec<f64> = values.iter().flatten().copied().collect();
    let m = all.len() as f64;
    let mean = all.iter().sum::<f64>() / m;
    let sd = (all.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0)).sqrt();
    assert!((mean - 50.0).abs() < 5.0 * 20.0 / m.sqrt(), "mean {mean}");
    assert!((sd - 20.0).abs() < 5.0 * 20.0 / (2.0 * m).sqrt(), "sd {sd}");
    // Successive intervals and neighbouring neurons uncorrelated.
    let corr = |pairs: Vec<(f64, f64)>| {
        let k = pairs.len() as f64;
        pairs
            .iter()
            .map(|(a, b)| (a - 50.0) * (b - 50.0))
            .sum::<f64>()
            / k
            / 400.0
    };
    let lag: Vec<(f64, f64)> = values
        .windows(2)
        .flat_map(|w| {
            w[0].iter()
                .copied()
                .zip(w[1].iter().copied())
                .collect::<Vec<_>>()
        })
        .collect();
    let k = lag.len() as f64;
    assert!(
        corr(lag).abs() < 5.0 / k.sqrt(),
        "correlation across intervals"
    );
    let nb: Vec<(f64, f64)> = values
        .iter()
        .flat_map(|v| v.windows(2).map(|w| (w[0], w[1])).collect::<Vec<_>>())
        .collect();
    let k = nb.len() as f64;
    assert!(
        corr(nb).abs() < 5.0 / k.sqrt(),
        "correlation across neurons"
    );
}

/// A recurrent network driven by noise currents (and an ac current): the same spikes
/// for 1 and 2 threads and two partition sizes.
#[test]
fn noise_current_invariant_to_threads_and_partitions() {
    let text = |ps: u32| {
        format!(
            r#"
[simulation]
dt = 0.1
t_stop = 200.0
seed = 5
partition_size = {ps}
[[populations]]
name = "E"
size = 1000
model = "iaf_psc_exp"
params = {{ tau_m = 10.0, C_m = 250.0, E_L = -70.0, V_th = -55.0, V_reset = -70.0 }}
[[projections]]
source = "E"
target = "E"
rule = "fixed_indegree"
indegree = 50
weight = 20.0
delay = 1.5
[[stimuli]]
kind = "noise_current"
target = "E"
mean = 300.0
std = 200.0
dt = 0.5
[[stimuli]]
kind = "ac"
target = "E"
amplitude = 50.0
frequency = 20.0
[recorders]
spikes = true
"#
        )
    };
    let spikes = |ps: u32, threads: usize| {
        let net = Network::from_toml_str(&text(ps)).unwrap();
        common::run(&net, threads).recording.kept.clone()
    };
    let reference = spikes(1000, 1);
    assert!(
        reference.len() > 1000,
        "too few spikes: {}",
        reference.len()
    );
    assert!(spikes(1000, 2) == reference, "2 threads: spikes differ");
    assert!(
        spikes(128, 1) == reference,
        "partition_size 128: spikes differ"
    );
    assert!(
        spikes(128, 2) == reference,
        "partition_size 128, 2 threads: spikes differ"
    );
}

#[test]
fn errors_name_key_and_value() {
    let noise = noise_net(2, 0.1, "");
    let bad = [
        (
            noise.replace("dt = 1.0", "dt = 0.25"),
            "stimuli[0].dt",
            "0.25",
        ),
        (
            noise.replace("std = 20.0", "std = -1.0"),
            "stimuli[0].std",
            "-1",
        ),
        (
            ac_text(0.1).replace("frequency = 10.0", "frequency = -3.0"),
            "stimuli[0].frequency",
            "-3",
        ),
    ];
    for (text, key, value) in bad {
        let err = Network::from_toml_str(&text).unwrap_err().to_string();
        assert!(err.contains(key) && err.contains(value), "{key}: {err}");
    }
}
