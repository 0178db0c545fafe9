//! Analytic-solution tests A1–A7 of RELIABILITY.md: closed forms the exact integrator
//! must reproduce on the grid.

use crate::common;
use cortexsim::engine::{BuildOptions, Simulation};
use cortexsim::spec::{Network, NetworkBuilder};
use toml::Value as T;

fn vm_rec(pop: &str, interval: f64) -> (&'static str, T) {
    let mut t = toml::Table::new();
    t.insert("population".into(), pop.into());
    t.insert("n".into(), 1.into());
    t.insert("interval".into(), interval.into());
    ("v_m", T::Array(vec![T::Table(t)]))
}

fn single(
    model: &str,
    dt: f64,
    t_stop: f64,
    params: &[(&str, f64)],
    v0: Option<f64>,
) -> NetworkBuilder {
    let mut b = NetworkBuilder::new()
        .simulation(&[("dt", dt.into()), ("t_stop", t_stop.into())])
        .population("n", 1, model, params)
        .recorders(&[vm_rec("n", dt)]);
    if let Some(v) = v0 {
        b = b.v_init("n", v.into());
    }
    b
}

fn trace(net: &Network) -> (Vec<f64>, Vec<f64>, Vec<u64>) {
    let sim = common::run(net, 1);
    let vm = sim.vm_samples(0).unwrap();
    let (t, rows) = (vm.times, vm.rows);
    let spikes = sim.recording.kept.iter().map(|s| s.0).collect();
    (t, rows.into_iter().map(|r| r[0]).collect(), spikes)
}

/// A1: free decay V(t) = E_L + (V0 - E_L) e^{-t/tau_m}, dt = 2^0 .. 2^-10 ms, rel 1e-12.
#[test]
fn a1_free_decay() {
    for model in ["iaf_psc_delta", "iaf_psc_exp", "iaf_psc_alpha"] {
        for k in 0..=10 {
            let dt = 2f64.powi(-k);
            let net = single(
                model,
                dt,
                8.0,
                &[("E_L", -70.0), ("tau_m", 10.0)],
                Some(-60.0),
            )
            .build()
            .unwrap();
            let (t, v, _) = trace(&net);
            assert_eq!(t.len(), (8.0 / dt) as usize);
            for (ti, vi) in t.iter().zip(&v) {
                let exact = -70.0 + 10.0 * (-ti / 10.0).exp();
                assert!(
                    (vi - exact).abs() / exact.abs() < 1e-12,
                    "{model} dt={dt} t={ti}: {vi} vs {exact}"
                );
            }
        }
    }
}

/// A2: DC charging V(t) = E_L + I tau/C (1 - e^{-t/tau}); rel 1e-13 at 5 ms, 1e-9 at 500 ms.
#[test]
fn a2_dc_charging() {
    for model in ["iaf_psc_delta", "iaf_psc_exp", "iaf_psc_alpha"] {
        let (i_e, tau, c, e_l) = (100.0, 10.0, 250.0, -70.0);
        let net = single(
            model,
            0.1,
            500.0,
            &[("I_e", i_e), ("tau_m", tau), ("C_m", c), ("E_L", e_l)],
            None,
        )
        .build()
        .unwrap();
        let (t, v, spikes) = trace(&net);
        assert!(spikes.is_empty(), "subthreshold drive must not spike");
        for (target, tol) in [(5.0, 1e-13), (500.0, 1e-9)] {
            let k = t.iter().position(|&x| (x - target).abs() < 1e-9).unwrap();
            let exact = e_l + i_e * tau / c * (1.0 - (-target / tau).exp());
            assert!(
                (v[k] - exact).abs() / exact.abs() < tol,
                "{model} t={target}: {} vs {exact}",
                v[k]
            );
        }
    }
}

/// A3: the first spike is on the grid, at step ceil(t*/dt), t* = -tau ln(1 - C theta/(tau I)).
/// A4: with V_reset = E_L every ISI is exactly ceil(t_ref/dt) + ceil(t*/dt) steps, so the
/// rate is 1/(t_ref + tau ln(RI/(RI-theta))) up to one dt per ISI.
#[test]
fn a3_a4_first_spike_and_f_i_curve() {
    let (tau, c, theta, t_ref) = (10.0, 250.0, 15.0, 2.0);
    for dt in [0.1, 0.05, 0.025] {
        for i_e in [400.0, 500.0, 800.0, 1500.0, 5000.0] {
            let params = [
                ("I_e", i_e),
                ("tau_m", tau),
                ("C_m", c),
                ("E_L", -70.0),
                ("V_th", -55.0),
                ("V_reset", -70.0),
                ("t_ref", t_ref),
            ];
            let net = single("iaf_psc_delta", dt, 400.0, &params, None)
                .build()
                .unwrap();
            let sim = common::run(&net, 1);
            let steps: Vec<u64> = sim.recording.kept.iter().map(|s| s.0 + 1).collect(); // end-of-step stamps
            let t_star = -tau * (1.0 - c * theta / (tau * i_e)).ln();
            let first = (t_star / dt - 1e-9).ceil() as u64;
            assert_eq!(steps[0], first, "dt={dt} I={i_e}: first spike step");
            let isi_steps = (t_ref / dt).round() as u64 + first;
            for w in steps.windows(2) {
                assert_eq!(w[1] - w[0], isi_steps, "dt={dt} I={i_e}: ISI in steps");
            }
            let r_exact = 1.0 / (t_ref + t_star);
            let r_sim = 1.0 / (isi_steps as f64 * dt);
            assert!(
                r_exact >= r_sim && (1.0 / r_sim - 1.0 / r_exact) <= dt + 1e-12,
                "dt={dt} I={i_e}: rate {r_sim} vs {r_exact}"
            );
        }
    }
}

/// A5: PSP of iaf_psc_exp and iaf_psc_alpha for |tau_m - tau_s| from 0 to 0.1 ms:
/// finite, one maximum, continuous into the singular limit, and equal to the closed
/// form where it is well conditioned.
#[test]
fn a5_psp_shapes_near_singularity() {
    let (tm, c, w, dt) = (10.0, 250.0, 100.0, 0.1);
    for model in ["iaf_psc_exp", "iaf_psc_alpha"] {
        let mut singular: Option<Vec<f64>> = None;
        for eps in [0.0, 1e-12, 1e-9, 1e-6, 1e-3, 0.1] {
            let ts = tm + eps;
            let params = [
                ("tau_m", tm),
                ("C_m", c),
                ("E_L", 0.0),
                ("V_th", 1e6),
                ("V_reset", 0.0),
                ("tau_syn_ex", ts),
                ("tau_syn_in", ts),
            ];
            let net = single(model, dt, 100.0, &params, Some(0.0))
                .stimulus(
                    "spike_train",
                    "n",
                    &[
                        ("spike_times", T::Array(vec![T::Float(1.0)])),
                        ("weight", w.into()),
                        ("delay", dt.into()),
                    ],
                )
                .build()
                .unwrap();
            let (t, v, _) = trace(&net);
            assert!(
                v.iter().all(|x| x.is_finite()),
                "{model} eps={eps}: non-finite PSP"
            );
            // Single maximum: increasing then decreasing.
            let kmax = v
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .unwrap()
                .0;
            assert!(
                v[..=kmax].windows(2).all(|p| p[1] >= p[0])
                    && v[kmax..].windows(2).all(|p| p[1] <= p[0]),
                "{model} eps={eps}: not unimodal"
            );
            // The input arrives in the step ending at 1.1 ms (spike at 1.0 + delay 0.1); V responds from the next step.
            let t0 = 1.1;
            for (ti, vi) in t.iter().zip(&v) {
                let s = ti - t0;
                if s < 0.0 {
                    continue;
                }
                let exact = if model == "iaf_psc_exp" {
                    if eps == 0.0 {
                        w / c * s * (-s / tm).exp()
                    } else {
                        w / c * ts * tm / (tm - ts) * ((-s / tm).exp() - (-s / ts).exp())
                    }
                } else {
                    // alpha current w e/ts s e^{-s/ts}
                    let e = std::f64::consts::E;
                    if eps == 0.0 {
                        w * e / (ts * c) * s * s / 2.0 * (-s / tm).exp()
                    } else {
                        // s^2 g(a s) with g(x) = (1 - e^{-x}(1 + x))/x^2, by its series where
                        // the direct form cancels (|x| small).
                        let a = 1.0 / ts - 1.0 / tm;
                        let x = a * s;
                        let g = if x.abs() < 1e-2 {
                            0.5 - x / 3.0 + x * x / 8.0 - x * x * x / 30.0 + x.powi(4) / 144.0
                        } else {
                            (1.0 - (-x).exp() * (1.0 + x)) / (x * x)
                        };
                        w * e / (ts * c) * (-s / tm).exp() * s * s * g
                    }
                };
                if eps == 0.0 || eps >= 1e-3 {
                    assert!(
                        (vi - exact).abs() <= 1e-9 * exact.abs().max(1e-3),
                        "{model} eps={eps} t={ti}: {vi} vs closed form {exact}"
                    );
                }
            }
            match &singular {
                None => singular = Some(v),
                Some(s0) => {
                    let dev = s0
                        .iter()
                        .zip(&v)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0, f64::max);
                    let peak = s0.iter().cloned().fold(0.0, f64::max);
                    assert!(
                        dev <= (10.0 * eps / tm).max(1e-12) * peak,
                        "{model} eps={eps}: deviation {dev} from the singular PSP"
                    );
                }
            }
        }
    }
}

/// A6: exactly ceil(t_ref/dt) clamped steps after every spike, over 10^6 steps, also
/// with the clock started near 2^32 steps.
#[test]
fn a6_refractory_step_counts() {
    for (t_ref, dt) in [(2.0, 0.1), (0.5, 0.1), (1.3, 0.25)] {
        for start in [0u64, (1u64 << 32) - 1000] {
            let steps = if start == 0 { 1_000_000u64 } else { 100_000 };
            let params = [
                ("I_e", 5000.0),
                ("E_L", -70.0),
                ("V_reset", -70.0),
                ("V_th", -55.0),
                ("t_ref", t_ref),
            ];
            let net = NetworkBuilder::new()
                .simulation(&[("dt", dt.into()), ("t_stop", (steps as f64 * dt).into())])
                .population("n", 1, "iaf_psc_delta", &params)
                .recorders(&[vm_rec("n", dt)])
                .build()
                .unwrap();
            let mut sim = Simulation::build(
                &net,
                &BuildOptions {
                    threads: 1,
                    keep_spikes: true,
                    ..Default::default()
                },
            )
            .unwrap();
            sim.t = start;
            sim.run_for(steps, |_| {}).unwrap();
            let refr = (t_ref / dt - 1e-9).ceil() as usize;
            let v: Vec<f64> = sim
                .vm_samples(0)
                .unwrap()
                .rows
                .into_iter()
                .map(|r| r[0])
                .collect();
            let spikes: Vec<usize> = sim
                .recording
                .kept
                .iter()
                .map(|s| (s.0 - start) as usize)
                .collect();
            assert!(spikes.len() > 100, "t_ref={t_ref}: too few spikes");
            for &s in &spikes[..spikes.len() - 1] {
                // Sample s is the spike step (reset value); the next `refr` samples stay at V_reset.
                for k in 0..=refr {
                    assert_eq!(
                        v[s + k],
                        -70.0,
                        "t_ref={t_ref} start={start}: step {} after spike at {s}",
                        k
                    );
                }
                assert!(
                    v[s + refr + 1] > -70.0,
                    "t_ref={t_ref} start={start}: clamped longer than {refr} steps"
                );
            }
            let isis: Vec<usize> = spikes.windows(2).map(|w| w[1] - w[0]).collect();
            assert!(
                isis.iter().all(|&i| i == isis[0]),
                "t_ref={t_ref}: ISIs vary: {:?}",
                &isis[..5]
            );
        }
    }
}

/// A7: delay exactness with a binary decoder (GeNN). Source i (one neuron each) fires at
/// known steps; every source projects to decoder neuron d with weight 2^i and delay d steps,
/// d = 1..=37 (ring of 64 slots, so the run wraps around many times). The decoder
/// (no leak, no threshold) must show at step t exactly the bits of the sources that fired at t - d.
#[test]
fn a7_delay_exactness_with_ring_wraparound() {
    let bits = 6;
    let dmax = 37;
    let dt = 0.1;
    let mut b = NetworkBuilder::new().simulation(&[("dt", dt.into()), ("t_stop", 60.0.into())]);
    let src_params = [
        ("E_L", 0.0),
        ("V_reset", 0.0),
        ("V_th", 1.0),
        ("t_ref", 0.0),
        ("tau_m", 10.0),
    ];
    for i in 0..bits {
        let name = format!("src{i}");
        b = b.population(&name, 1, "iaf_psc_delta", &src_params);
        // Pseudo-random firing pattern, different per bit.
        let times: Vec<T> = (1..600u64)
            .filter(|k| (k * (2 * i as u64 + 3) + i as u64) % 7 < 2)
            .map(|k| T::Float(k as f64 * dt))
            .collect();
        b = b.stimulus(
            "spike_train",
            &name,
            &[
                ("spike_times", T::Array(times)),
                ("weight", 5.0.into()),
                ("delay", dt.into()),
            ],
        );
    }
    let dec_params = [
        ("E_L", 0.0),
        ("V_reset", 0.0),
        ("V_th", 1e12),
        ("tau_m", 1e15),
        ("C_m", 1.0),
    ];
    for d in 1..=dmax {
        b = b.population(&format!("dec{d}"), 1, "iaf_psc_delta", &dec_params);
        for i in 0..bits {
            b = b.projection(
                &format!("src{i}"),
                &format!("dec{d}"),
                "all_to_all",
                &[
                    ("weight", ((1u64 << i) as f64).into()),
                    ("delay", (d as f64 * dt).into()),
                ],
            );
        }
    }
    let mut vm = Vec::new();
    for d in 1..=dmax {
        let mut t = toml::Table::new();
        t.insert("population".into(), format!("dec{d}").into());
        vm.push(T::Table(t));
    }
    let net = b.recorders(&[("v_m", T::Array(vm))]).build().unwrap();
    let sim = common::run(&net, 2);
    assert!(sim.max_delay >= dmax as u64);
    let steps = net.simulation.steps as usize;
    // Which sources fired at each step.
    let mut fired = vec![0u64; steps];
    for &(s, gid) in &sim.recording.kept {
        if (gid as usize) < bits {
            fired[s as usize] |= 1 << gid;
        }
    }
    assert!(fired.iter().filter(|&&x| x != 0).count() > 200);
    for d in 1..=dmax {
        let v: Vec<f64> = sim
            .vm_samples(bits + d - 1)
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r[0])
            .collect();
        let mut prev = 0.0;
        for t in 0..steps {
            let inc = (v[t] - prev).round() as u64;
            prev = v[t];
            let expect = if t >= d { fired[t - d] } else { 0 };
            assert_eq!(inc, expect, "decoder d={d} at step {t}");
        }
    }
}

/// The conductances one input spike leaves, sampled by `[[recorders.g_ex]]` and
/// `[[recorders.g_in]]` on the grid: a weight `w` (nS) arriving in the step that ends at
/// `t0` gives `g(t) = w e^{-(t-t0)/tau}` (`iaf_cond_exp`) and
/// `g(t) = w (t-t0)/tau · e^{1-(t-t0)/tau}` (`iaf_cond_alpha`: `dg' += w e/tau` at `t0`,
/// so `g` rises from the next step on and peaks at `w` one `tau` later), 0 before `t0`;
/// `g_in` is the magnitude of the negative weight.
#[test]
fn conductance_after_one_input_spike() {
    let (we, wi, te, ti) = (3.5, -2.0, 2.0, 7.0);
    for model in ["iaf_cond_exp", "iaf_cond_alpha"] {
        for dt in [0.1, 0.125] {
            let text = format!(
                r#"
[simulation]
dt = {dt}
t_stop = 40.0
[[populations]]
name = "n"
size = 2
model = "{model}"
params = {{ tau_syn_ex = {te}, tau_syn_in = {ti}, V_th = 1000.0 }}
[[stimuli]]
kind = "spike_train"
target = "n"
spike_times = [5.0]
weight = {we}
delay = 1.0
[[stimuli]]
kind = "spike_train"
target = "n"
spike_times = [5.0]
weight = {wi}
delay = 1.0
[recorders]
g_ex = [{{ population = "n", n = 2, interval = {dt} }}]
g_in = [{{ population = "n", n = 1, interval = {dt} }}]
"#
            );
            let net = Network::from_toml_str(&text).unwrap();
            let sim = common::run(&net, 1);
            let t0 = 6.0; // spike at 5 ms, delay 1 ms: arrives in the step that ends at 6 ms
            for (var, w, tau) in [
                (cortexsim::spec::Analog::GEx, we, te),
                (cortexsim::spec::Analog::GIn, -wi, ti),
            ] {
                let s = sim.analog_samples(var, 0).unwrap();
                assert_eq!(s.var, var);
                assert_eq!(s.times.len(), (40.0 / dt) as usize);
                assert_eq!(
                    s.n,
                    if var == cortexsim::spec::Analog::GEx {
                        2
                    } else {
                        1
                    }
                );
                let mut peak: f64 = 0.0;
                for (t, row) in s.times.iter().zip(&s.rows) {
                    let u = t - t0;
                    let exact = if u < -1e-9 {
                        0.0
                    } else if model == "iaf_cond_exp" {
                        w * (-u / tau).exp()
                    } else {
                        let x = u / tau;
                        w * x * (1.0 - x).exp()
                    };
                    for g in row {
                        assert!(
                            (g - exact).abs() <= 1e-12 * w,
                            "{model} dt {dt} {} at {t} ms: {g} vs {exact}",
                            var.name()
                        );
                    }
                    peak = peak.max(row[0]);
                }
                assert!((peak - w).abs() <= 1e-12 * w, "{model} peak {peak} vs {w}");
            }
        }
    }
}

/// A conductance recorder on a model without conductances is refused, naming the key,
/// the population and the model.
#[test]
fn conductance_recorder_refused_for_other_models() {
    for (model, var) in [
        ("iaf_psc_exp", "g_ex"),
        ("iaf_psc_delta", "g_in"),
        ("iaf_bw_2001", "g_ex"),
        ("parrot_neuron", "g_in"),
    ] {
        let text = format!(
            "[simulation]\nt_stop = 1.0\n[[populations]]\nname = \"P\"\nsize = 1\nmodel = \"{model}\"\n\
             [recorders]\n{var} = [{{ population = \"P\", interval = 0.1 }}]\n"
        );
        let e = Network::from_toml_str(&text).unwrap_err().to_string();
        assert!(
            e.contains(&format!("recorders.{var}[0].population"))
                && e.contains("\"P\"")
                && e.contains(model)
                && e.contains(&format!("no {var}")),
            "{e}"
        );
        if model == "iaf_bw_2001" {
            assert!(e.contains("s_AMPA"), "{e}");
        }
    }
}

/// The conductance samples are part of the saved state: a run saved half way, loaded into
/// a fresh build and continued gives the samples (and the state) of the run in one piece;
/// a stream of the network without the recorders is refused (its rows do not fit).
#[test]
fn conductance_samples_survive_save_and_load() {
    use cortexsim::spec::Analog;
    let text = r#"
[simulation]
dt = 0.1
t_stop = 20.0
[[populations]]
name = "n"
size = 3
model = "iaf_cond_alpha"
[[stimuli]]
kind = "poisson"
target = "n"
rate = 3000.0
weight = 2.0
[[stimuli]]
kind = "poisson"
target = "n"
rate = 1000.0
weight = -4.0
[recorders]
v_m = [{ population = "n", n = 3, interval = 0.5 }]
g_in = [{ population = "n", n = 2, interval = 0.2 }]
"#;
    let net = Network::from_toml_str(text).unwrap();
    let mut whole = common::run(&net, 1);
    let opts = BuildOptions::default();
    let mut a = Simulation::build(&net, &opts).unwrap();
    a.run_for(100, |_| {}).unwrap();
    let mut buf = Vec::new();
    a.save_state(&mut buf).unwrap();
    let mut b = Simulation::build(&net, &opts).unwrap();
    b.load_state(&mut buf.as_slice()).unwrap();
    b.run().unwrap();
    for var in [Analog::VM, Analog::GIn] {
        assert_eq!(
            b.analog_samples(var, 0),
            whole.analog_samples(var, 0),
            "{var:?}"
        );
    }
    assert!(b.analog_samples(Analog::GEx, 0).is_none());
    assert_eq!(b.state_hash(), whole.state_hash());
    let g = whole.analog_samples(Analog::GIn, 0).unwrap();
    assert_eq!((g.rows.len(), g.n), (100, 2));
    assert!(g.rows.iter().flatten().any(|&x| x > 0.0));
    let plain = Network::from_toml_str(&text.replace("g_in = [", "# g_in = [")).unwrap();
    let mut c = Simulation::build(&plain, &opts).unwrap();
    assert!(c.load_state(&mut buf.as_slice()).is_err());
}
