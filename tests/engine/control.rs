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
