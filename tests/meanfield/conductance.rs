//! The Brunel–Wang (2001) mean field of conductance-based networks
//! (`cortexsim::meanfield::conductance`) against spiking simulations, and what
//! it refuses.
//!
//! * `networks/wang2002.toml`, spontaneous state (the stimuli switched off with
//!   `stimuli.stim_E1.weight=0`, `stimuli.stim_E2.weight=0`): the mean-field rates
//!   against the spiking network's, measured with
//!   `cortexsim compare networks/wang2002.toml --set stimuli.stim_E1.weight=0
//!   --set stimuli.stim_E2.weight=0 --t-stop 3000 --warmup 500` (seed 1):
//!   E1 2.538 ± 0.104, E2 3.357 ± 0.187, Ens 2.859 ± 0.063, I 9.113 ± 0.075 Hz;
//!   all excitatory neurons 2.885 Hz. Mean field: 2.961 Hz (E), 9.082 Hz (I).
//!   The two selective pools wander slowly and apart (NMDA, 100 ms; the network is
//!   near its selective bifurcation), so the test holds the pooled E rate, Ens and I
//!   to 15 %; the slow spiking check (`#[ignore]`) runs the comparison itself.
//! * A feed-forward check of the single-neuron transfer under conductance input
//!   (no recurrence): 500 `iaf_bw_2001` neurons with AMPA, GABA and NMDA Poisson
//!   input as in the spontaneous Wang network, `#[ignore]`d with the rest of the
//!   slow spiking checks (measured 5.24 Hz spiking vs 5.06 Hz mean field).

use cortexsim::meanfield::stationary;
use cortexsim::protocols::compare::{CompareOptions, compare};
use cortexsim::spec::Network;
use std::path::PathBuf;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const SPONTANEOUS: [&str; 2] = ["stimuli.stim_E1.weight=0", "stimuli.stim_E2.weight=0"];

fn wang(extra: &[&str]) -> Network {
    let sets: Vec<String> = SPONTANEOUS
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .collect();
    Network::load(&manifest().join("networks/wang2002.toml"), &sets).expect("wang2002.toml")
}

/// Spiking rates of the spontaneous Wang network (module docs): E1, E2, Ens, I.
const SPIKING_HZ: [f64; 4] = [2.538, 3.357, 2.859, 9.113];
const SIZES: [f64; 3] = [240.0, 240.0, 1120.0];

fn pooled_e(r: &[f64]) -> f64 {
    (0..3).map(|p| r[p] * SIZES[p]).sum::<f64>() / SIZES.iter().sum::<f64>()
}

#[test]
fn wang2002_spontaneous_mean_field_within_15_percent_of_the_spiking_network() {
    let r = stationary(&wang(&[])).expect("wang2002 is covered");
    let p = r.primary();
    assert!(p.fixed_point.converged && p.stability.stable);
    let mf = &p.fixed_point.rates_hz;
    let checks = [
        ("E (pooled)", pooled_e(mf), pooled_e(&SPIKING_HZ)),
        ("Ens", mf[2], SPIKING_HZ[2]),
        ("I", mf[3], SPIKING_HZ[3]),
    ];
    for (name, m, s) in checks {
        let rel = (m - s) / s;
        assert!(
            rel.abs() < 0.15,
            "{name}: mean field {m} Hz vs spiking {s} Hz ({rel:+.3})"
        );
    }
    // the effective current-based network reproduces the state it was linearised at
    let eff = r.network.transfer(mf);
    for (a, (&x, &y)) in eff.iter().zip(mf).enumerate() {
        assert!((x - y).abs() < 1e-6 * y.max(1.0), "pop {a}: {x} vs {y}");
    }
    assert!(r.warnings.iter().any(|w| w.contains("Brunel–Wang")));
}

/// Slow (about 15 s of simulation): the comparison itself.
#[test]
#[ignore]
fn wang2002_spontaneous_compare_within_15_percent() {
    let net = wang(&["simulation.t_stop=3000.0"]);
    let (report, cmp) = compare(
        &net,
        &CompareOptions {
            threads: 2,
            warmup_ms: 500.0,
            ..Default::default()
        },
    )
    .expect("compare");
    let mf = &report.primary().fixed_point.rates_hz;
    let sp: Vec<f64> = cmp.populations.iter().map(|p| p.spiking_rate_hz).collect();
    for (name, m, s) in [
        ("E (pooled)", pooled_e(mf), pooled_e(&sp)),
        ("Ens", mf[2], sp[2]),
        ("I", mf[3], sp[3]),
    ] {
        let rel = (m - s) / s;
        assert!(
            rel.abs() < 0.15,
            "{name}: mean field {m} Hz vs spiking {s} Hz ({rel:+.3})"
        );
    }
}

const FEEDFORWARD: &str = r#"
[simulation]
dt = 0.1
t_stop = 3000.0
seed = 3
[[populations]]
name = "E"
size = 500
model = "iaf_bw_2001"
v_init = -60.0
params = { C_m = 500.0, g_L = 25.0, E_L = -70.0, V_th = -50.0, V_reset = -55.0, t_ref = 2.0, E_ex = 0.0, E_in = -70.0, tau_AMPA = 2.0, tau_GABA = 5.0, tau_rise_NMDA = 2.0, tau_decay_NMDA = 100.0, alpha = 0.5, conc_Mg2 = 1.0 }
[[stimuli]]
target = "E"
kind = "poisson"
rate = 2400.0
weight = 2.1
receptor = "AMPA"
[[stimuli]]
target = "E"
kind = "poisson"
rate = 4320.0
weight = 0.05
receptor = "AMPA"
[[stimuli]]
target = "E"
kind = "poisson"
rate = 3360.0
weight = 1.3
receptor = "GABA"
[[stimuli]]
target = "E"
kind = "poisson"
rate = 4320.0
weight = 0.0912
receptor = "NMDA"
"#;

/// Slow (about 10 s): one unconnected population under AMPA, GABA and NMDA
/// Poisson input: the transfer function of the effective membrane.
#[test]
#[ignore]
fn conductance_transfer_function_matches_an_unconnected_population_within_10_percent() {
    let net = Network::from_toml_str(FEEDFORWARD).expect("network");
    let (report, cmp) = compare(
        &net,
        &CompareOptions {
            threads: 2,
            warmup_ms: 200.0,
            ..Default::default()
        },
    )
    .expect("compare");
    let m = report.primary().fixed_point.rates_hz[0];
    let s = cmp.populations[0].spiking_rate_hz;
    assert!(
        ((m - s) / s).abs() < 0.1,
        "mean field {m} Hz vs spiking {s} Hz"
    );
}

#[test]
fn conductance_mean_field_refuses_what_it_does_not_cover() {
    let base = FEEDFORWARD.replace("t_stop = 3000.0", "t_stop = 100.0");
    let cases: [(String, &str, &str); 4] = [
        (
            base.replace("iaf_bw_2001", "iaf_cond_alpha").replace(
                "params = { C_m = 500.0, g_L = 25.0, E_L = -70.0, V_th = -50.0, V_reset = -55.0, t_ref = 2.0, E_ex = 0.0, E_in = -70.0, tau_AMPA = 2.0, tau_GABA = 5.0, tau_rise_NMDA = 2.0, tau_decay_NMDA = 100.0, alpha = 0.5, conc_Mg2 = 1.0 }",
                "",
            ).replace("receptor = \"AMPA\"", "").replace("receptor = \"GABA\"", "").replace("receptor = \"NMDA\"", ""),
            "populations[E].model",
            "alpha-shaped conductances",
        ),
        (
            base.replace("rate = 2400.0\n", "rate = 2400.0\nstart = 50.0\n"),
            "stimuli[0]",
            "time-dependent input",
        ),
        (
            base.replace(
                "weight = 2.1\n",
                "weight = { distribution = \"uniform\", low = 2.0, high = 2.2 }\n",
            ),
            "stimuli[0]",
            "",
        ),
        (
            format!(
                "{base}\n[[populations]]\nname = \"X\"\nsize = 10\nmodel = \"iaf_psc_exp\"\n"
            ),
            "populations[E].model",
            "cannot be mixed with current-based ones (X: iaf_psc_exp)",
        ),
    ];
    for (toml, path, words) in &cases {
        match Network::from_toml_str(toml) {
            Ok(net) => {
                let e = stationary(&net).expect_err("refused").to_string();
                assert!(e.contains(path) && e.contains(words), "{e}");
            }
            // a weight distribution on a stimulus is refused by the file reader itself
            Err(e) => assert!(e.to_string().contains(path), "{e}"),
        }
    }
}

/// The Wang network with the structure `w+` (and `w- = 1 - f (w+ - 1)/(1 - f)`,
/// f = 0.15) written into its E <- E weights.
pub(crate) fn wang_with_w_plus(w_plus: f64) -> Network {
    let text = std::fs::read_to_string(manifest().join("networks/wang2002.toml")).unwrap();
    let w_minus = 1.0 - 0.15 * (w_plus - 1.0) / 0.85;
    let text = text
        .replace("weight = 0.085\n", &format!("weight = {}\n", 0.05 * w_plus))
        .replace(
            "weight = 0.2805\n",
            &format!("weight = {}\n", 0.165 * w_plus),
        )
        .replace(
            "weight = 0.043823529412\n",
            &format!("weight = {}\n", 0.05 * w_minus),
        )
        .replace(
            "weight = 0.144617647059\n",
            &format!("weight = {}\n", 0.165 * w_minus),
        );
    let net = Network::from_toml_str(&text).expect("network");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("wang.toml");
    std::fs::write(&f, text).unwrap();
    let sets: Vec<String> = SPONTANEOUS.iter().map(|s| s.to_string()).collect();
    let loaded = Network::load(&f, &sets).expect("wang with w+");
    assert_eq!(loaded.populations.len(), net.populations.len());
    loaded
}

/// At the paper's w+ = 1.7 the mean field has the spontaneous state only (the
/// selective pool's transfer passes just below the diagonal, README); at
/// w+ = 1.75 the search from one pool high finds the two selective (memory) states
/// — winner about 25 Hz, loser about 1 Hz — and the two saddles between, the
/// symmetric spontaneous state unchanged (w+ and w- keep the mean input of a
/// symmetric state).
#[test]
fn wang2002_selective_states_appear_just_above_the_paper_w_plus() {
    let r = stationary(&wang_with_w_plus(1.7)).unwrap();
    assert_eq!(r.states.len(), 1, "{:?}", r.states);
    let spont = r.primary().fixed_point.rates_hz.clone();
    let r = stationary(&wang_with_w_plus(1.75)).unwrap();
    let p = &r.primary().fixed_point.rates_hz;
    for (a, b) in p.iter().zip(&spont) {
        assert!(
            (a - b).abs() < 1e-6 * b,
            "spontaneous state moved: {p:?} vs {spont:?}"
        );
    }
    let stable: Vec<&Vec<f64>> = r
        .states
        .iter()
        .filter(|s| s.fixed_point.converged && s.stability.stable)
        .map(|s| &s.fixed_point.rates_hz)
        .collect();
    assert_eq!(stable.len(), 3, "{stable:?}");
    let selective: Vec<&&Vec<f64>> = stable
        .iter()
        .filter(|s| (s[0] - s[1]).abs() > 5.0)
        .collect();
    assert_eq!(selective.len(), 2);
    for s in &selective {
        let (win, lose) = (s[0].max(s[1]), s[0].min(s[1]));
        assert!((15.0..40.0).contains(&win) && lose < 3.0, "{s:?}");
        assert!(s[2] > lose && s[3] > spont[3], "{s:?}");
    }
    assert!(
        r.states.iter().filter(|s| !s.stability.stable).count() >= 2,
        "the saddles"
    );
}
