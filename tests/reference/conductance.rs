//! The conductance-based models (`iaf_cond_exp`, `iaf_cond_alpha`, `iaf_bw_2001`):
//!
//! * against NEST 3.10 (`scripts/nest_conductance.py` → `tests/data/nest/cond_*.json`),
//!   single neurons and small networks (with `iaf_bw_2001`'s NMDA payload): identical
//!   spike steps, membrane potential within [`NEST_TOL`] (NEST integrates with GSL's
//!   RKF45 at an absolute tolerance of 1e-3);
//! * against an independent reference computed here: the whole system (`V` and the
//!   conductances as ODEs) by classical RK4 with 2·10³ fixed substeps per 0.1 ms step,
//!   within 1e-6 mV on every sample (single neurons: NEST's cases, and 1 s of irregular
//!   bombardment at COBA parameters);
//! * `iaf_bw_2001` without NMDA input is `iaf_cond_exp`.

use crate::common;
use cortexsim::spec::NetworkBuilder;
use serde_json::Value;
use toml::Value as T;

/// |V - V_NEST| / max(|V_NEST|, 1 mV) on every sample.
const NEST_TOL: f64 = 1e-4;

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

/// The network of a reference case: one population of one neuron per NEST neuron,
/// spike trains and connections as in the case, every potential recorded.
fn case_network(d: &Value) -> NetworkBuilder {
    let model = d["model"].as_str().unwrap();
    let n = d["n"].as_u64().unwrap() as usize;
    let params: Vec<(&str, f64)> = d["params"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), f(v)))
        .collect();
    let mut b = NetworkBuilder::new().simulation(&[
        ("dt", f(&d["dt"]).into()),
        ("t_stop", f(&d["t_sim"]).into()),
        ("grid_policy", "round".into()),
    ]);
    let mut rec = Vec::new();
    for i in 0..n {
        let name = format!("n{i}");
        b = b.population(&name, 1, model, &params);
        // NEST's initial V_m (E_L of the model's defaults, whatever E_L is set later).
        b = b.v_init(&name, d["v_m_init"].get(i).map_or(-70.0, f).into());
        rec.push(T::Table(toml::toml! { population = name
        n = 1 }));
    }
    b = b.recorders(&[("v_m", T::Array(rec))]);
    for tr in d["trains"].as_array().unwrap() {
        let times: Vec<T> = tr["times"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| T::Float(f(t)))
            .collect();
        let weights = vec![T::Float(f(&tr["weight"])); times.len()];
        let mut kv = vec![
            ("spike_times", T::Array(times)),
            ("weights", T::Array(weights)),
            ("delay", f(&tr["delay"]).into()),
        ];
        if let Some(r) = tr["receptor"].as_str() {
            kv.push(("receptor", r.into()));
        }
        b = b.stimulus("spike_train", &format!("n{}", tr["target"]), &kv);
    }
    for c in d["connections"].as_array().unwrap() {
        let mut kv = vec![
            ("weight", f(&c["weight"]).into()),
            ("delay", f(&c["delay"]).into()),
        ];
        if c["source"] == c["target"] {
            kv.push(("autapses", true.into()));
        }
        if let Some(r) = c["receptor"].as_str() {
            kv.push(("receptor", r.into()));
        }
        b = b.projection(
            &format!("n{}", c["source"]),
            &format!("n{}", c["target"]),
            "all_to_all",
            &kv,
        );
    }
    b
}

/// Per neuron: (V_m samples, spike steps) of the engine's run of `b`.
fn engine_traces(b: &NetworkBuilder, n: usize) -> Vec<(Vec<f64>, Vec<u64>)> {
    let net = b.build().unwrap_or_else(|e| panic!("{e}"));
    let sim = common::run(&net, 1);
    (0..n)
        .map(|i| {
            let vm = sim.vm_samples(i).expect("v_m samples");
            let v = vm.rows.iter().map(|r| r[0]).collect();
            let spikes = sim
                .recording
                .kept
                .iter()
                .filter(|s| s.1 as usize == i)
                .map(|s| s.0 + 1)
                .collect();
            (v, spikes)
        })
        .collect()
}

fn read(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn conductance_models_match_nest() {
    let dir = common::manifest().join("tests/data/nest");
    let mut cases = 0;
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("cond_")
        })
        .collect();
    names.sort();
    for p in names {
        let d = read(&p);
        let case = d["case"].as_str().unwrap().to_string();
        let n = d["n"].as_u64().unwrap() as usize;
        let ours = engine_traces(&case_network(&d), n);
        let mut worst: f64 = 0.0;
        for (i, (v, spikes)) in ours.iter().enumerate() {
            let nest_v: Vec<f64> = d["v_m"][i].as_array().unwrap().iter().map(f).collect();
            let nest_s: Vec<u64> = d["spike_steps"][i]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect();
            assert_eq!(spikes, &nest_s, "{case}: neuron {i}: spike steps");
            assert_eq!(v.len(), nest_v.len(), "{case}: samples");
            for (k, (a, b)) in v.iter().zip(&nest_v).enumerate() {
                let rel = (a - b).abs() / b.abs().max(1.0);
                worst = worst.max(rel);
                assert!(
                    rel <= NEST_TOL,
                    "{case}: neuron {i}, step {}: V_m {a} vs NEST {b} (rel {rel:e})",
                    k + 1
                );
            }
        }
        let total: usize = ours.iter().map(|o| o.1.len()).sum();
        eprintln!("{case}: {total} spikes identical, max rel V_m difference {worst:.2e}");
        cases += 1;
    }
    assert!(
        cases >= 6,
        "expected 6 NEST conductance cases, found {cases}"
    );
}

/// The full system integrated by fixed-step RK4 (`sub` substeps per step), with the
/// same event rules as NEST (inputs added at the end of their arrival step, threshold
/// test after it, V held at V_reset while refractory). `rhs(y, dy)`: `y[0]` is V (mV).
#[allow(clippy::too_many_arguments)]
fn rk4_reference(
    y0: Vec<f64>,
    rhs: &dyn Fn(&[f64], &mut [f64]),
    steps: usize,
    dt: f64,
    sub: usize,
    inputs: &dyn Fn(usize, &mut [f64]),
    v_th: f64,
    v_reset: f64,
    refr: u32,
) -> (Vec<f64>, Vec<u64>) {
    let m = y0.len();
    let mut y = y0;
    let (mut k1, mut k2, mut k3, mut k4, mut tmp) = (
        vec![0.0; m],
        vec![0.0; m],
        vec![0.0; m],
        vec![0.0; m],
        vec![0.0; m],
    );
    let h = dt / sub as f64;
    let mut r = 0u32;
    let (mut vs, mut spikes) = (Vec::new(), Vec::new());
    for step in 1..=steps {
        let v_start = y[0];
        for _ in 0..sub {
            rhs(&y, &mut k1);
            (0..m).for_each(|j| tmp[j] = y[j] + 0.5 * h * k1[j]);
            rhs(&tmp, &mut k2);
            (0..m).for_each(|j| tmp[j] = y[j] + 0.5 * h * k2[j]);
            rhs(&tmp, &mut k3);
            (0..m).for_each(|j| tmp[j] = y[j] + h * k3[j]);
            rhs(&tmp, &mut k4);
            (0..m).for_each(|j| y[j] += h / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]));
        }
        if r > 0 {
            r -= 1;
            y[0] = v_start;
        }
        inputs(step, &mut y);
        if y[0] >= v_th {
            y[0] = v_reset;
            r = refr;
            spikes.push(step as u64);
        }
        vs.push(y[0]);
    }
    (vs, spikes)
}

/// Weight arriving at the end of each step (by port) from a case's trains.
fn arrivals(d: &Value, ports: &[&str], steps: usize) -> Vec<Vec<f64>> {
    let dt = f(&d["dt"]);
    let mut a = vec![vec![0.0; ports.len()]; steps + 2];
    for tr in d["trains"].as_array().unwrap() {
        let w = f(&tr["weight"]);
        let port = match tr["receptor"].as_str() {
            Some(r) => ports.iter().position(|p| *p == r).unwrap(),
            None => usize::from(w < 0.0),
        };
        for t in tr["times"].as_array().unwrap() {
            let k = ((f(t) + f(&tr["delay"])) / dt).round() as usize;
            if k <= steps {
                a[k][port] += w;
            }
        }
    }
    a
}

/// Worst |ΔV| between the engine and the RK4 reference, with spike steps equal.
fn worst_vs_reference(ours: &(Vec<f64>, Vec<u64>), refr: &(Vec<f64>, Vec<u64>), case: &str) -> f64 {
    assert_eq!(ours.1, refr.1, "{case}: spike steps vs RK4 reference");
    assert!(
        !refr.1.is_empty(),
        "{case}: the reference case should spike"
    );
    ours.0
        .iter()
        .zip(&refr.0)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

#[test]
fn conductance_models_match_an_independent_rk4_reference() {
    let dir = common::manifest().join("tests/data/nest");
    // A COBA neuron under 1 s of irregular bombardment (times from a fixed LCG):
    // 900 excitatory (6 nS) and 250 inhibitory (67 nS) input spikes, I_e = 200 pA.
    let mut x: u64 = 12345;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 11) as f64 / (1u64 << 53) as f64 * 9990.0).floor() / 10.0
    };
    let mut ex: Vec<f64> = (0..900).map(|_| next()).collect();
    let mut inh: Vec<f64> = (0..250).map(|_| next()).collect();
    ex.sort_by(f64::total_cmp);
    inh.sort_by(f64::total_cmp);
    let bombarded: Value = serde_json::json!({
        "model": "iaf_cond_exp", "n": 1, "dt": 0.1, "t_sim": 1000.0,
        "params": {"E_L": -60.0, "V_th": -50.0, "V_reset": -60.0, "t_ref": 5.0, "E_ex": 0.0,
                   "E_in": -80.0, "C_m": 200.0, "g_L": 10.0, "tau_syn_ex": 5.0,
                   "tau_syn_in": 10.0, "I_e": 200.0},
        "v_m_init": [-60.0],
        "trains": [
            {"target": 0, "times": ex, "weight": 6.0, "delay": 0.1, "receptor": null},
            {"target": 0, "times": inh, "weight": -67.0, "delay": 0.1, "receptor": null}
        ],
        "connections": []
    });
    for (model, file) in [
        ("iaf_cond_exp", "cond_iaf_cond_exp_single.json"),
        ("iaf_cond_alpha", "cond_iaf_cond_alpha_single.json"),
        ("iaf_cond_exp", "cond_iaf_cond_exp_firing.json"),
        ("iaf_cond_exp", "bombarded"),
        ("iaf_cond_alpha", "bombarded"),
    ] {
        let d = if file == "bombarded" {
            let mut d = bombarded.clone();
            d["model"] = model.into();
            if model == "iaf_cond_alpha" {
                // Alpha synapses carry e times the charge: more drive to fire.
                d["params"]["I_e"] = 400.0.into();
            }
            d
        } else {
            read(&dir.join(file))
        };
        let dt = f(&d["dt"]);
        let steps = (f(&d["t_sim"]) / dt).round() as usize;
        let p = &d["params"];
        let g = |k: &str, def: f64| p.get(k).map_or(def, f);
        let (c_m, g_l, e_l, e_ex, e_in) = (
            g("C_m", 250.0),
            g("g_L", 16.6667),
            g("E_L", -70.0),
            g("E_ex", 0.0),
            g("E_in", -85.0),
        );
        let (v_th, v_reset, i_e) = (g("V_th", -55.0), g("V_reset", -60.0), g("I_e", 0.0));
        let (te, ti) = (g("tau_syn_ex", 0.2), g("tau_syn_in", 2.0));
        let refr = (g("t_ref", 2.0) / dt).round() as u32;
        let arr = arrivals(&d, &["ex", "in"], steps);
        let alpha = model == "iaf_cond_alpha";
        // y = [V, g_ex, g_in, dg_ex, dg_in]
        let rhs = move |y: &[f64], dy: &mut [f64]| {
            let v = y[0].min(v_th);
            dy[0] = (-g_l * (v - e_l) - y[1] * (v - e_ex) - y[2] * (v - e_in) + i_e) / c_m;
            if alpha {
                dy[1] = y[3] - y[1] / te;
                dy[2] = y[4] - y[2] / ti;
                dy[3] = -y[3] / te;
                dy[4] = -y[4] / ti;
            } else {
                dy[1] = -y[1] / te;
                dy[2] = -y[2] / ti;
                dy[3] = 0.0;
                dy[4] = 0.0;
            }
        };
        let inputs = |k: usize, y: &mut [f64]| {
            let (we, wi) = (arr[k][0], -arr[k][1]);
            if alpha {
                y[3] += we * std::f64::consts::E / te;
                y[4] += wi * std::f64::consts::E / ti;
            } else {
                y[1] += we;
                y[2] += wi;
            }
        };
        let v0 = d["v_m_init"][0].as_f64().unwrap();
        let reference = rk4_reference(
            vec![v0, 0.0, 0.0, 0.0, 0.0],
            &rhs,
            steps,
            dt,
            2_000,
            &inputs,
            v_th,
            v_reset,
            refr,
        );
        let ours = engine_traces(&case_network(&d), 1).remove(0);
        let worst = worst_vs_reference(&ours, &reference, file);
        eprintln!(
            "{model} {file}: {} spikes, max |V - V_RK4| = {worst:.2e} mV",
            ours.1.len()
        );
        assert!(
            worst <= 1e-6,
            "{model} {file}: max |V - V_RK4| = {worst:e} mV"
        );
    }

    // iaf_bw_2001, one neuron with AMPA, GABA and NMDA spike trains (stimulus spikes
    // carry no payload: the NMDA weight is added as it is).
    let d: Value = serde_json::json!({
        "model": "iaf_bw_2001", "n": 1, "dt": 0.1, "t_sim": 300.0,
        "params": {"V_th": -50.0, "V_reset": -55.0},
        "trains": [
            {"target": 0, "times": (0..290).map(|k| 2.0 + 1.0 * k as f64).collect::<Vec<_>>(),
             "weight": 8.0, "delay": 0.5, "receptor": "AMPA"},
            {"target": 0, "times": [50.0, 51.0, 52.0, 120.0], "weight": 10.0, "delay": 0.5, "receptor": "NMDA"},
            {"target": 0, "times": (0..40).map(|k| 150.0 + 2.5 * k as f64).collect::<Vec<_>>(),
             "weight": 8.0, "delay": 0.5, "receptor": "GABA"}
        ],
        "connections": []
    });
    let steps = 3000;
    let arr = arrivals(&d, &["AMPA", "GABA", "NMDA"], steps);
    let (c_m, g_l, e_l, e_ex, e_in) = (500.0, 25.0, -70.0, 0.0, -70.0);
    let rhs = move |y: &[f64], dy: &mut [f64]| {
        let v = y[0];
        let block = 1.0 / (1.0 + (-0.062 * v).exp() / 3.57);
        dy[0] =
            (-g_l * (v - e_l) - y[1] * (v - e_ex) - y[2] * (v - e_in) - y[3] * (v - e_ex) * block)
                / c_m;
        dy[1] = -y[1] / 2.0;
        dy[2] = -y[2] / 5.0;
        dy[3] = -y[3] / 100.0;
    };
    let inputs = |k: usize, y: &mut [f64]| {
        (0..3).for_each(|j| y[1 + j] += arr[k][j]);
    };
    let reference = rk4_reference(
        vec![e_l, 0.0, 0.0, 0.0],
        &rhs,
        steps,
        0.1,
        2_000,
        &inputs,
        -50.0,
        -55.0,
        20,
    );
    let ours = engine_traces(&case_network(&d), 1).remove(0);
    let worst = worst_vs_reference(&ours, &reference, "iaf_bw_2001");
    eprintln!("iaf_bw_2001: max |V - V_RK4| = {worst:.2e} mV");
    assert!(worst <= 1e-6, "iaf_bw_2001: max |V - V_RK4| = {worst:e} mV");
}

/// `iaf_bw_2001` driven through AMPA and GABA only is `iaf_cond_exp` with the same
/// membrane and `tau_syn_ex = tau_AMPA`, `tau_syn_in = tau_GABA` (inhibitory weights
/// negative there): identical spikes, potentials within 1e-9 mV.
#[test]
fn iaf_bw_2001_without_nmda_is_iaf_cond_exp() {
    let common_p = r#"C_m = 500.0, g_L = 25.0, E_L = -70.0, E_ex = 0.0, E_in = -70.0,
        V_th = -50.0, V_reset = -55.0, t_ref = 2.0"#;
    let net = |model: &str, extra: &str, ampa: &str, gaba: &str, gaba_w: f64| {
        format!(
            r#"
[simulation]
dt = 0.1
t_stop = 1000.0
seed = 3
[[populations]]
name = "P"
size = 50
model = "{model}"
v_init = {{ distribution = "uniform", low = -70.0, high = -51.0 }}
params = {{ {common_p}, {extra} }}
[[stimuli]]
target = "P"
kind = "poisson"
rate = 2400.0
weight = 2.1
{ampa}
[[stimuli]]
target = "P"
kind = "poisson"
rate = 1000.0
weight = {gaba_w}
{gaba}
[[projections]]
source = "P"
target = "P"
rule = "pairwise_bernoulli"
p = 0.2
weight = {gaba_w}
delay = 0.5
{gaba}
[recorders]
v_m = [{{ population = "P", n = 50 }}]
"#
        )
    };
    let a = net(
        "iaf_bw_2001",
        "tau_AMPA = 2.0, tau_GABA = 5.0",
        r#"receptor = "AMPA""#,
        r#"receptor = "GABA""#,
        1.3,
    );
    let b = net(
        "iaf_cond_exp",
        "tau_syn_ex = 2.0, tau_syn_in = 5.0",
        "",
        "",
        -1.3,
    );
    let run = |text: &str| {
        let net = cortexsim::spec::Network::from_toml_str(text).unwrap_or_else(|e| panic!("{e}"));
        let sim = common::run(&net, 1);
        let vm = sim.vm_samples(0).unwrap();
        (sim.recording.kept.clone(), vm.rows)
    };
    let (sa, va) = run(&a);
    let (sb, vb) = run(&b);
    assert!(sa.len() > 100, "{} spikes", sa.len());
    assert_eq!(sa, sb, "spikes differ");
    let worst = va
        .iter()
        .flatten()
        .zip(vb.iter().flatten())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    assert!(worst <= 1e-9, "max |ΔV| = {worst:e} mV");
}

/// Mean rate (Hz) of global ids `[lo, hi)` over steps `[a, b)` of a run's kept spikes.
fn window_rate(kept: &[(u64, u32)], lo: u32, hi: u32, a: u64, b: u64, dt: f64) -> f64 {
    let n = kept
        .iter()
        .filter(|s| s.1 >= lo && s.1 < hi && s.0 >= a && s.0 < b)
        .count();
    n as f64 / (hi - lo) as f64 / ((b - a) as f64 * dt * 1e-3)
}

/// `networks/wang2002.toml` as shipped (c' = 51.2 %, seed 1): spontaneous E pools near
/// 2 Hz in the fixation epoch, winner-take-all during the stimulus, the winner persisting
/// through the delay (README table: 2.1 / 35.7 / 19.9 Hz for E1).
#[test]
fn wang2002_decides_and_remembers() {
    let net = common::load("networks/wang2002.toml", &[]);
    let sim = common::run(&net, 2);
    let k = &sim.recording.kept;
    let dt = net.simulation.dt;
    let r = |lo, hi, a: f64, b: f64| window_rate(k, lo, hi, (a / dt) as u64, (b / dt) as u64, dt);
    let (e1, e2) = ((0, 240), (240, 480));
    let fix = (r(e1.0, e1.1, 0.0, 500.0), r(e2.0, e2.1, 0.0, 500.0));
    let stim = (r(e1.0, e1.1, 1000.0, 2500.0), r(e2.0, e2.1, 1000.0, 2500.0));
    let delay = (r(e1.0, e1.1, 2500.0, 3500.0), r(e2.0, e2.1, 2500.0, 3500.0));
    eprintln!("wang2002: fixation {fix:?}, stimulus {stim:?}, delay {delay:?} Hz");
    assert!(
        fix.0 > 1.0 && fix.0 < 4.0 && fix.1 > 1.0 && fix.1 < 4.0,
        "{fix:?}"
    );
    assert!(stim.0 > 25.0 && stim.1 < 5.0, "{stim:?}");
    assert!(delay.0 > 12.0 && delay.1 < 5.0, "{delay:?}");
}

/// `networks/vogels_abbott_coba.toml` against NEST 3.10 running the same network
/// (`scripts/nest_coba.py`, mean of seeds 1-5: E 16.58 Hz, I 16.51 Hz): within 10 %.
#[test]
fn coba_rates_match_nest() {
    let net = common::load("networks/vogels_abbott_coba.toml", &[]);
    let sim = common::run(&net, 2);
    let k = &sim.recording.kept;
    let steps = net.simulation.steps;
    let dt = net.simulation.dt;
    let (e, i) = (
        window_rate(k, 0, 3200, 0, steps, dt),
        window_rate(k, 3200, 4000, 0, steps, dt),
    );
    eprintln!("COBA: E {e:.2} Hz, I {i:.2} Hz (NEST 16.58, 16.51)");
    assert!((e / 16.58 - 1.0).abs() < 0.1, "E {e}");
    assert!((i / 16.51 - 1.0).abs() < 0.1, "I {i}");
}
