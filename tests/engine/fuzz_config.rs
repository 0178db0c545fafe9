//! F1/F3 of RELIABILITY.md: the network parser and validator never panic — on arbitrary
//! text, and on valid networks with random values substituted anywhere (every rejection
//! must carry a non-empty path). Validated networks must also build without panicking
//! when small.

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
        Just("9223372036854775807".to_string()),
        (-1e6f64..1e6).prop_map(|x| format!("{x:?}")),
        (0u64..100).prop_map(|x| x.to_string()),
    ]
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
            Err(e) => prop_assert!(!e.path.is_empty(), "error without a path: {e}"),
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

#[test]
fn base_network_is_valid() {
    Network::from_toml_str(BASE).unwrap();
}
