//! Membrane white noise (`kind = "noise"`): the free membrane is an Ornstein–Uhlenbeck
//! process with mean E_L + mean and variance sigma²/2 (convention tau dV/dt = -(V-E_L) +
//! mean + sigma sqrt(tau) xi), integrated exactly — so the grid samples have exactly these
//! moments for any dt. Also: noise onto a non-delta model is refused with the key named.

use crate::common;
use cortexsim::spec::Network;

fn net(dt: f64) -> Network {
    Network::from_toml_str(&format!(
        r#"
[simulation]
dt = {dt}
t_stop = 1100.0
seed = 4
[[populations]]
name = "A"
size = 4000
model = "iaf_psc_delta"
v_init = -70.0
params = {{ tau_m = 20.0, E_L = -70.0, V_th = 1000.0, V_reset = -70.0 }}
[[stimuli]]
kind = "noise"
target = "A"
mean = 12.0
sigma = 3.0
[recorders]
spikes = false
v_m = [{{ population = "A", n = 4000, interval = 100.0 }}]
"#
    ))
    .unwrap()
}

#[test]
fn ou_moments_exact_on_the_grid() {
    for dt in [0.1, 0.5] {
        let sim = common::run(&net(dt), 2);
        let vm = sim.vm_samples(0).unwrap();
        let (times, rows) = (vm.times, vm.rows);
        // Samples at 200, 300, ..., 1100 ms: 10 tau_m after the start, 5 tau_m apart (nearly independent).
        let xs: Vec<f64> = times
            .iter()
            .zip(&rows)
            .filter(|(t, _)| **t >= 200.0)
            .flat_map(|(_, r)| r.iter().copied())
            .collect();
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let (m_exp, v_exp) = (-70.0 + 12.0, 9.0 / 2.0);
        let se_m = (v_exp / n).sqrt();
        let se_v = v_exp * (2.0 / n).sqrt();
        assert!(
            (mean - m_exp).abs() < 5.0 * se_m + 1e-3,
            "dt={dt}: mean {mean} vs {m_exp} (se {se_m})"
        );
        assert!(
            (var - v_exp).abs() < 5.0 * se_v,
            "dt={dt}: variance {var} vs {v_exp} (se {se_v})"
        );
    }
}

#[test]
fn noise_needs_a_delta_target() {
    let text = r#"
[[populations]]
name = "A"
size = 10
model = "iaf_psc_exp"
[[stimuli]]
kind = "noise"
target = "A"
sigma = 1.0
"#;
    let e = Network::from_toml_str(text).unwrap_err();
    assert_eq!(e.path, "stimuli[0].kind");
    assert!(e.msg.contains("iaf_psc_delta"), "{e}");
}
