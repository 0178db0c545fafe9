//! Control between runs of one simulation: `reset()` to t = 0 with the initial values,
//! and stimuli changed between two runs — each against an independent reference built
//! from a network file, bit for bit.

use crate::common;
use cortexsim::engine::{BuildOptions, Simulation};
use cortexsim::spec::Network;

/// E/I `iaf_psc_exp` network with per-synapse delays (event lists), Poisson drive,
/// a DC current, spike sources and a potential recorder; `stimuli` is appended.
fn net(stimuli: &str) -> Network {
    Network::from_toml_str(&format!(
        r#"
[simulation]
dt = 0.1
t_stop = 200.0
seed = 21
partition_size = 100

[[populations]]
name = "E"
size = 240
model = "iaf_psc_exp"
v_init = {{ distribution = "uniform", low = -70.0, high = -52.0 }}
params = {{ tau_syn_ex = 0.5, tau_syn_in = 0.5, tau_m = 10.0, E_L = -65.0, V_th = -50.0, V_reset = -65.0 }}

[[populations]]
name = "I"
size = 60
model = "iaf_psc_exp"
params = {{ tau_syn_ex = 0.5, tau_syn_in = 0.5, tau_m = 10.0, E_L = -65.0, V_th = -50.0, V_reset = -65.0 }}

[[populations]]
name = "S"
size = 20
model = "spike_source_poisson"
params = {{ rate = 30.0 }}

[[projections]]
source = "E"
target = "E"
rule = "pairwise_bernoulli"
p = 0.1
weight = {{ distribution = "normal", mean = 60.0, std = 20.0 }}
delay = {{ distribution = "uniform", low = 0.5, high = 3.0 }}

[[projections]]
source = "I"
target = "E"
rule = "fixed_indegree"
indegree = 20
weight = -300.0
delay = 0.8

[[projections]]
source = "E"
target = "I"
rule = "fixed_indegree"
indegree = 30
weight = 80.0
delay = 1.0

[[projections]]
source = "S"
target = "E"
rule = "fixed_indegree"
indegree = 5
weight = 100.0
delay = 1.0

[recorders]
v_m = [{{ population = "E", n = 5, interval = 1.0 }}]

{stimuli}
"#
    ))
    .unwrap_or_else(|e| panic!("{e}"))
}

const DRIVE: &str = r#"
[[stimuli]]
kind = "poisson"
target = "E"
rate = 8.0
indegree = 2000
weight = 87.8

[[stimuli]]
kind = "dc"
target = "I"
amplitude = 150.0
"#;

fn build(n: &Network, threads: usize) -> Simulation {
    Simulation::build(
        n,
        &BuildOptions {
            threads,
            keep_spikes: true,
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn run_reset_run_gives_the_same_spikes() {
    let n = net(DRIVE);
    let mut fresh = build(&n, 2);
    let h0 = fresh.state_hash();
    fresh.run().unwrap();
    let first = fresh.recording.kept.clone();
    let h_end = fresh.state_hash();
    let vm = fresh.vm_samples(0).unwrap();
    assert!(first.len() > 1000, "{} spikes", first.len());

    // Run in two chunks, reset, run again: the state is the initial one, and the second
    // run repeats the first bit for bit (spikes, potentials, final state).
    let mut sim = build(&n, 3);
    sim.run_for(700, |_| {}).unwrap();
    sim.run().unwrap();
    sim.reset().unwrap();
    assert_eq!(sim.t, 0);
    assert!(sim.recording.kept.is_empty());
    assert_eq!(
        sim.state_hash(),
        h0,
        "reset state differs from a fresh build"
    );
    sim.run().unwrap();
    assert!(sim.recording.kept == first, "spikes after reset differ");
    assert_eq!(sim.state_hash(), h_end);
    let again = sim.vm_samples(0).unwrap();
    assert!(vm.rows.len() == 200 && again.rows == vm.rows && again.times == vm.times);

    // Reset in the middle of a run, with spikes in flight.
    sim.reset().unwrap();
    sim.run_for(1234, |_| {}).unwrap();
    sim.reset().unwrap();
    sim.run().unwrap();
    assert!(
        sim.recording.kept == first,
        "spikes after a mid-run reset differ"
    );
}

#[test]
fn changing_a_rate_and_an_amplitude_between_runs() {
    // Reference: each stimulus split into two windows at 80 ms, from a file.
    let split = r#"
[[stimuli]]
kind = "poisson"
target = "E"
rate = 8.0
indegree = 2000
weight = 87.8
stop = 80.0

[[stimuli]]
kind = "dc"
target = "I"
amplitude = 150.0
stop = 80.0

[[stimuli]]
kind = "poisson"
target = "E"
rate = 11.0
indegree = 2000
weight = 87.8
start = 80.0

[[stimuli]]
kind = "dc"
target = "I"
amplitude = 260.0
start = 80.0
"#;
    let reference = common::run(&net(split), 2).recording.kept;
    let unchanged = common::run(&net(DRIVE), 2).recording.kept;

    let mut sim = build(&net(DRIVE), 2);
    sim.run_for(800, |_| {}).unwrap();
    sim.set_stimulus_rate(0, 11.0).unwrap();
    sim.set_stimulus_amplitude(1, 260.0).unwrap();
    sim.run().unwrap();
    assert!(
        sim.recording.kept == reference,
        "spikes differ from the split stimuli"
    );
    assert!(reference != unchanged, "the change has no effect");
    let before = unchanged.iter().filter(|s| s.0 < 800).count();
    assert_eq!(
        reference.iter().filter(|s| s.0 < 800).count(),
        before,
        "the steps before the change must not change"
    );
}

#[test]
fn changing_a_poisson_source_rate_between_runs() {
    // The spike_source_poisson population's input is the stimulus after the file's.
    let n = net(DRIVE);
    assert_eq!(n.stimuli.len(), 3);
    let src =
        |kept: &[(u64, u32)], from: u64| kept.iter().filter(|s| s.1 >= 300 && s.0 >= from).count();
    let mut sim = build(&n, 2);
    sim.run_for(1000, |_| {}).unwrap();
    sim.set_stimulus_rate(2, 0.0).unwrap();
    sim.run().unwrap();
    assert!(
        src(&sim.recording.kept, 0) > 20,
        "the sources spiked before"
    );
    // Spikes stamped at step 1000 came from the input of step 999.
    assert_eq!(
        src(&sim.recording.kept, 1001),
        0,
        "silenced sources still spike"
    );
    // Refusals.
    assert!(
        sim.set_stimulus_rate(1, 3.0).is_err(),
        "a dc stimulus has no rate"
    );
    assert!(sim.set_stimulus_rate(0, -1.0).is_err());
    assert!(sim.set_stimulus_amplitude(7, 1.0).is_err());
    let mut moved = sim.net.stimuli[0].clone();
    moved.target = 1;
    assert!(
        sim.set_stimulus(0, moved).is_err(),
        "a stimulus keeps its target"
    );
}

/// One population of `model` (`params`) under Poisson drive, recurrent excitation with
/// per-synapse delays and every potential recorded each step; `extra` is appended.
fn one_pop(model: &str, params: &str, extra: &str) -> Network {
    let weight = match model {
        "iaf_psc_delta" => 0.2,
        "iaf_cond_exp" | "iaf_cond_alpha" | "iaf_bw_2001" => 3.0,
        _ => 60.0,
    };
    let receptor = if model == "iaf_bw_2001" {
        "receptor = \"AMPA\""
    } else {
        ""
    };
    Network::from_toml_str(&format!(
        r#"
[simulation]
dt = 0.1
t_stop = 150.0
seed = 5
partition_size = 30

[[populations]]
name = "P"
size = 80
model = "{model}"
v_init = {{ distribution = "uniform", low = -70.0, high = -55.0 }}
params = {{ {params} }}

[[projections]]
source = "P"
target = "P"
rule = "fixed_indegree"
indegree = 8
weight = {weight}
delay = {{ distribution = "uniform", low = 0.5, high = 2.0 }}
{receptor}

[[stimuli]]
kind = "poisson"
target = "P"
rate = 12.0
indegree = 1000
weight = {weight}
{receptor}

[recorders]
v_m = [{{ population = "P", n = 80, interval = 0.1 }}]
{extra}
"#
    ))
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn changing_i_e_between_runs_equals_a_dc_switched_on_then() {
    // The engine adds I_e and a DC stimulus the same way (I_e + i_stim), so I_e set at
    // step 700 is the network whose DC stimulus starts at 70 ms, bit for bit.
    for (model, params) in [
        ("iaf_psc_exp", "tau_syn_ex = 0.5, tau_syn_in = 0.5"),
        ("iaf_cond_exp", ""),
    ] {
        let dc = "[[stimuli]]\nkind = \"dc\"\ntarget = \"P\"\namplitude = 180.0\nstart = 70.0\n";
        let reference = common::run(&one_pop(model, params, dc), 2);
        let unchanged = common::run(&one_pop(model, params, ""), 2);
        let mut sim = build(&one_pop(model, params, ""), 2);
        sim.run_for(700, |_| {}).unwrap();
        sim.set_population_params(0, &[("I_e", 180.0)]).unwrap();
        sim.run().unwrap();
        let (a, b) = (&sim.recording.kept, &reference.recording.kept);
        assert!(a.len() > 100, "{model}: {} spikes", a.len());
        assert!(
            a == b,
            "{model}: spikes differ from the DC switched on at 70 ms"
        );
        assert!(
            *a != unchanged.recording.kept,
            "{model}: the change has no effect"
        );
        let (va, vb) = (sim.vm_samples(0).unwrap(), reference.vm_samples(0).unwrap());
        assert!(
            va.rows.len() == 1500 && va.rows == vb.rows,
            "{model}: potentials differ"
        );
        assert_eq!(sim.net.populations[0].model.core().i_e, 180.0);
    }
}

#[test]
fn changing_e_l_keeps_the_absolute_potential() {
    // No input: v relaxes to E_L with tau_m = 10 ms; E_L goes from -70 to -62 mV at
    // 10 ms, the potential continues from where it was towards the new E_L.
    let net = Network::from_toml_str(
        r#"
[simulation]
dt = 0.1
t_stop = 30.0

[[populations]]
name = "P"
size = 3
model = "iaf_psc_exp"
v_init = -60.0
params = { E_L = -70.0, V_th = -50.0, V_reset = -70.0 }

[recorders]
v_m = [{ population = "P", n = 3, interval = 0.1 }]
"#,
    )
    .unwrap();
    let mut sim = build(&net, 1);
    sim.run_for(100, |_| {}).unwrap();
    let before = sim.v_m();
    sim.set_population_params(0, &[("E_L", -62.0)]).unwrap();
    assert_eq!(sim.v_m(), before, "the absolute potential must not change");
    sim.run().unwrap();
    let vm = sim.vm_samples(0).unwrap();
    let v10 = -70.0 + 10.0 * (-1.0f64).exp();
    for (t, row) in vm.times.iter().zip(&vm.rows) {
        let want = if *t <= 10.0 + 1e-9 {
            -70.0 + 10.0 * (-t / 10.0).exp()
        } else {
            -62.0 + (v10 + 62.0) * (-(t - 10.0) / 10.0).exp()
        };
        for v in row {
            assert!(
                (v - want).abs() < 1e-9,
                "t = {t}: v = {v}, closed form {want}"
            );
        }
    }
    assert_eq!(vm.rows.len(), 300);
}

#[test]
fn refused_parameter_changes_name_the_key_and_change_nothing() {
    let n = one_pop("iaf_psc_exp", "", "");
    let unchanged = common::run(&n, 2).recording.kept;
    let mut sim = build(&n, 2);
    sim.run_for(500, |_| {}).unwrap();
    let err = |r: Result<(), cortexsim::engine::BuildError>| r.unwrap_err().to_string();
    let e = err(sim.set_population_params(0, &[("tau_m", -1.0)]));
    assert!(
        e.contains("populations[P].params.tau_m") && e.contains("-1"),
        "{e}"
    );
    let e = err(sim.set_population_params(0, &[("V_reset", -40.0)]));
    assert!(e.contains("V_reset") && e.contains("-40"), "{e}");
    let e = err(sim.set_population_params(0, &[("tau_x", 3.0)]));
    assert!(e.contains("tau_x"), "{e}");
    let e = err(sim.set_population_params(0, &[("t_ref", -0.5)]));
    assert!(e.contains("params.t_ref") && e.contains("-0.5"), "{e}");
    let e = err(sim.set_population_params(3, &[("I_e", 1.0)]));
    assert!(e.contains("population 3"), "{e}");
    let mut other = sim.net.populations[0].clone();
    other.model = cortexsim::neuron::NeuronModel::parse("iaf_psc_delta", None, "m").unwrap();
    let e = err(sim.set_population(0, other));
    assert!(
        e.contains("populations[P].model") && e.contains("iaf_psc_delta"),
        "{e}"
    );
    let mut bigger = sim.net.populations[0].clone();
    bigger.size += 1;
    assert!(sim.set_population(0, bigger).is_err());
    // The NEST and the snake spelling of one key are one change; no change is a no-op.
    sim.set_population_params(0, &[("c_m", 250.0), ("tau_m", 10.0)])
        .unwrap();
    sim.run().unwrap();
    assert!(
        sim.recording.kept == unchanged,
        "a refused change changed the run"
    );
}

#[test]
fn reset_and_saved_state_after_a_parameter_change() {
    let n = one_pop("iaf_psc_exp", "tau_syn_ex = 0.5", "");
    let mut sim = build(&n, 2);
    sim.run_for(600, |_| {}).unwrap();
    sim.set_population_params(0, &[("tau_m", 14.0), ("E_L", -66.0), ("I_e", 40.0)])
        .unwrap();
    // A state saved now resumes in a simulation built from the changed network.
    let mut bytes = Vec::new();
    sim.save_state(&mut bytes).unwrap();
    let mut resumed = build(&sim.net, 1);
    resumed.load_state(&mut &bytes[..]).unwrap();
    sim.run().unwrap();
    resumed.run().unwrap();
    let after = |k: &[(u64, u32)]| k.iter().filter(|s| s.0 >= 600).cloned().collect::<Vec<_>>();
    assert!(after(&sim.recording.kept).len() > 100);
    assert!(
        after(&resumed.recording.kept) == after(&sim.recording.kept),
        "the resumed run differs"
    );
    assert_eq!(resumed.state_hash(), sim.state_hash());
    // Reset keeps the changed parameters: the run is a fresh build of the changed file.
    let changed = one_pop(
        "iaf_psc_exp",
        "tau_syn_ex = 0.5, tau_m = 14.0, E_L = -66.0, I_e = 40.0",
        "",
    );
    assert_eq!(sim.net.populations, changed.populations);
    let fresh = common::run(&changed, 2);
    sim.reset().unwrap();
    sim.run().unwrap();
    assert!(
        sim.recording.kept == fresh.recording.kept,
        "reset lost the change"
    );
    assert_eq!(
        sim.vm_samples(0).unwrap().rows,
        fresh.vm_samples(0).unwrap().rows
    );
}

#[test]
fn every_model_takes_its_own_parameters_back() {
    // Each model's parameters written as a table and read again are the same model:
    // the run does not change; a real change takes effect.
    for model in cortexsim::neuron::MODEL_NAMES {
        if *model == "parrot_neuron" {
            continue;
        }
        let n = one_pop(model, "", "");
        let unchanged = common::run(&n, 1).recording.kept;
        let mut sim = build(&n, 1);
        sim.run_for(400, |_| {}).unwrap();
        sim.set_population_params(0, &[]).unwrap();
        sim.run().unwrap();
        assert!(
            sim.recording.kept == unchanged,
            "{model}: parameters read back differ"
        );
        let mut sim = build(&n, 1);
        sim.run_for(400, |_| {}).unwrap();
        sim.set_population_params(0, &[("V_th", -58.0)]).unwrap();
        sim.run().unwrap();
        assert!(
            sim.recording.kept != unchanged,
            "{model}: V_th had no effect"
        );
    }
}
