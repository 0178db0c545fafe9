//! F1/F3 of RELIABILITY.md: the network parser and validator never panic — on arbitrary
//! text, and on valid networks with random values substituted anywhere (every rejection
//! must carry a non-empty path and no number longer than 24 characters). Validated
//! networks must also build without panicking when small. The same for rate files (loaded
//! and, when small, run) and for the command-line flags of `run` (through the binary:
//! no panic, no signal, exit 0, 2, 3 or 5). `scripts/fuzz.py` mutates every shipped file
//! the same way, at length, outside CI (docs/RELIABILITY.md, "Input").

use cortexsim::engine::{BuildOptions, Simulation};
use cortexsim::spec::Network;
use proptest::prelude::*;

const BASE: &str = r#"
[simulation]
dt = 0.1
t_stop = 5.0
seed = 1
[[populations]]
name = "E"
size = 20
model = "iaf_psc_exp"
params = { tau_m = 10.0, C_m = 250.0, V_th = -55.0, t_ref = 2.0 }
[[populations]]
name = "I"
size = 5
model = "iaf_psc_delta"
[[projections]]
source = "E"
target = "I"
rule = "fixed_indegree"
indegree = 3
weight = { distribution = "normal", mean = 1.0, std = 0.5 }
delay = 1.0
[[projections]]
source = "I"
target = "E"
rule = "pairwise_bernoulli"
p = 0.5
weight = -20.0
delay = { distribution = "uniform", low = 0.1, high = 2.0 }
[[stimuli]]
kind = "poisson"
target = "E"
rate = 8000.0
weight = 80.0
"#;

fn values() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("1e308".to_string()),
        Just("-1e308".to_string()),
        Just("nan".to_string()),
        Just("inf".to_string()),
        Just("\"x\"".to_string()),
        Just("true".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("18446744073709551615".to_string()),
        Just("\"18446744073709551615\"".to_string()),
        Just("1e-300".to_string()),
        Just("3.5e38".to_string()),
        Just("1e-12".to_string()),
        Just("\"a/b.c\"".to_string()),
        Just("9223372036854775807".to_string()),
        (-1e6f64..1e6).prop_map(|x| format!("{x:?}")),
        (0u64..100).prop_map(|x| x.to_string()),
    ]
}

/// A small hand-written rate model.
const RATE_BASE: &str = r#"
[[rate_populations]]
name = "E"
tau = 20.0
transfer = { kind = "threshold_linear", gain = 1.0, threshold = 0.0 }
r0 = 1.0
bias = 2.0
[[rate_populations]]
name = "I"
tau = 10.0
transfer = { kind = "sigmoid", max_rate = 100.0, gain = 1.0, threshold = 5.0 }
kinetics = { kind = "gating", gamma = 1.282, saturating = true }
[[rate_projections]]
source = "E"
target = "I"
weight = 0.5
[[rate_projections]]
source = "I"
target = "E"
weight = -0.3
[simulation]
dt = 0.1
t_stop = 50.0
seed = 1
record_every = 2
[[stimuli]]
kind = "noise"
target = "E"
sigma = 0.5
tau = 1.0
"#;

/// Replace the value of line `line` (if it is `key = value`) by `v`.
fn substitute(base: &str, line: usize, v: &str) -> String {
    let lines: Vec<&str> = base.lines().collect();
    let i = line % lines.len();
    lines
        .iter()
        .enumerate()
        .map(|(k, l)| {
            if k == i && l.contains(" = ") && !l.starts_with('[') {
                let key = l.split(" = ").next().unwrap();
                format!("{key} = {v}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Longest run of digits (and `.`) in a message: a 300-digit number is a bug.
fn longest_number(s: &str) -> usize {
    s.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map(str::len)
        .max()
        .unwrap_or(0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        let _ = Network::from_toml_str(&s);
    }

    #[test]
    fn substituted_values_never_panic(line in 0usize..40, v in values()) {
        let lines: Vec<&str> = BASE.lines().collect();
        let i = line % lines.len();
        let mutated: Vec<String> = lines.iter().enumerate().map(|(k, l)| {
            if k == i && l.contains(" = ") && !l.starts_with('[') {
                let key = l.split(" = ").next().unwrap();
                format!("{key} = {v}")
            } else {
                l.to_string()
            }
        }).collect();
        match Network::from_toml_str(&mutated.join("\n")) {
            Err(e) => {
                prop_assert!(!e.path.is_empty(), "error without a path: {e}");
                prop_assert!(longest_number(&e.to_string()) <= 25, "long number: {e}");
            }
            Ok(net) => {
                // Small valid networks build and run without panicking (an Err is fine).
                if net.n_neurons() <= 1000 && net.simulation.steps <= 100_000 {
                    if let Ok(mut sim) = Simulation::build(&net, &BuildOptions { threads: 1, max_memory: Some(1 << 30), keep_spikes: false, ..Default::default() }) {
                        let _ = sim.run_for(net.simulation.steps.min(100), |_| {});
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    /// Rate files: loading never panics, every rejection names its key, and small valid
    /// ones run (an error is fine, a panic or an abort is not).
    #[test]
    fn rate_files_never_panic(line in 0usize..40, v in values()) {
        let text = substitute(RATE_BASE, line, &v);
        let Ok(table) = text.parse::<toml::Table>() else { return Ok(()) };
        match cortexsim::models::load::load_table(&table, None) {
            Err(e) => {
                prop_assert!(!e.path.is_empty() || !e.msg.is_empty(), "empty error");
                prop_assert!(longest_number(&e.to_string()) <= 25, "long number: {e}");
            }
            Ok(cortexsim::models::Loaded::Rate(f)) => {
                let opts = f.sim.run_opts();
                if opts.memory_bytes(f.net.n()) < 64 << 20 && opts.n_steps() <= 1_000_000 {
                    let _ = cortexsim::rate::run(&f.net, &opts);
                }
            }
            Ok(_) => {}
        }
    }
}

/// One value for a command-line flag of `run`.
fn flag() -> impl Strategy<Value = (String, String)> {
    let v = prop_oneof![
        Just("0"),
        Just("1"),
        Just("-1"),
        Just("4096"),
        Just("4097"),
        Just("100000"),
        Just("18446744073709551615"),
        Just("18446744073709551616"),
        Just("1e300"),
        Just("-1e300"),
        Just("nan"),
        Just("inf"),
        Just("0.05"),
        Just("1e-12"),
        Just(""),
        Just("x"),
        Just("5M"),
        Just("1k"),
        Just("2G"),
        Just("0.5"),
        Just("10"),
    ];
    let k = prop_oneof![
        Just("--threads"),
        Just("--seed"),
        Just("--t-stop"),
        Just("--max-memory"),
        Just("--warmup"),
        Just("--set"),
    ];
    (k, v).prop_map(|(k, v)| {
        let v = if k == "--set" {
            format!("simulation.dt={v}")
        } else {
            v.to_string()
        };
        (k.to_string(), v)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, .. ProptestConfig::default() })]

    /// `run` with random flag values: exit 0 (accepted), 2 (usage), 3 (invalid) or 5
    /// (memory); never a panic or a signal. Runs are short (the base network, 5 ms at most
    /// unless a flag asks for more: then the t-stop is capped by the check below).
    #[test]
    fn cli_flags_never_panic(flags in proptest::collection::vec(flag(), 1..4)) {
        let dir = tempfile::tempdir().unwrap();
        let net = dir.path().join("net.toml");
        std::fs::write(&net, BASE).unwrap();
        let mut args = vec!["run".to_string(), net.display().to_string(), "--no-output".into()];
        for (k, v) in &flags {
            // Keep runs short: long --t-stop values are tried with an absurd dt only.
            if k == "--t-stop" && v.parse::<f64>().is_ok_and(|t| t > 10.0) {
                args.extend(["--set".into(), "simulation.dt=1e-300".into()]);
            }
            args.extend([k.clone(), v.clone()]);
        }
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cortexsim"))
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        prop_assert!(out.status.code().is_some(), "killed by a signal: {args:?}");
        let code = out.status.code().unwrap();
        prop_assert!([0, 2, 3, 5].contains(&code), "exit {code}: {args:?}\n{err}");
        prop_assert!(!err.contains("panicked"), "{args:?}: {err}");
        prop_assert!(longest_number(&err) <= 25, "long number: {err}");
    }
}

#[test]
fn base_network_is_valid() {
    Network::from_toml_str(BASE).unwrap();
    let t: toml::Table = RATE_BASE.parse().unwrap();
    assert!(matches!(
        cortexsim::models::load::load_table(&t, None),
        Ok(cortexsim::models::Loaded::Rate(_))
    ));
}
