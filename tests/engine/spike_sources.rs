//! Spike sources: `parrot_neuron` and `model = "spike_source_poisson"` (PyNN's
//! `SpikeSourcePoisson`): one spike train per source neuron, recorded, and the same
//! train reaching every target; Poisson statistics; independent of threads.

use crate::common;
use cortexsim::spec::{Network, StimulusKind};

/// S: `n_src` Poisson sources at `rate` Hz; T: 10 `iaf_psc_delta` neurons without
/// refractoriness that spike at every input (weight 100 mV over a 20 mV threshold);
/// S → T all to all, delay 1 ms.
fn net(n_src: u32, rate: f64, t_stop: f64) -> Network {
    Network::from_toml_str(&format!(
        r#"
[simulation]
dt = 0.1
t_stop = {t_stop}
seed = 9
partition_size = 64

[[populations]]
name = "S"
size = {n_src}
model = "spike_source_poisson"
params = {{ rate = {rate:?} }}

[[populations]]
name = "T"
size = 10
model = "iaf_psc_delta"
params = {{ tau_m = 20.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0, t_ref = 0.0 }}

[[projections]]
source = "S"
target = "T"
rule = "all_to_all"
weight = 100.0
delay = 1.0
"#
    ))
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_poisson_source_is_parrots_with_one_input_each() {
    let n = net(5, 20.0, 100.0);
    assert_eq!(n.populations[0].model.name(), "parrot_neuron");
    assert_eq!(n.stimuli.len(), 1);
    assert_eq!(n.stimuli[0].target, 0);
    assert!(matches!(
        n.stimuli[0].kind,
        StimulusKind::Poisson { rate, indegree: 1, weight, .. } if rate == 20.0 && weight == 1.0
    ));
}

#[test]
fn one_spike_train_per_source_reaches_every_target() {
    let sim = common::run(&net(5, 20.0, 2000.0), 2);
    let spikes = &sim.recording.kept;
    let mut src_steps: Vec<u64> = spikes.iter().filter(|s| s.1 < 5).map(|s| s.0).collect();
    // 5 sources × 20 Hz × 2 s = 200 expected.
    assert!(
        (140..=260).contains(&src_steps.len()),
        "{} source spikes",
        src_steps.len()
    );
    src_steps.sort_unstable();
    src_steps.dedup();
    // Each target spikes exactly 10 steps (the delay) after every step in which any
    // source spiked, and nowhere else: all targets see the same trains.
    let expect: Vec<u64> = src_steps
        .iter()
        .map(|&t| t + 10)
        .filter(|&t| t < 20_000)
        .collect();
    for g in 5..15u32 {
        let got: Vec<u64> = spikes.iter().filter(|s| s.1 == g).map(|s| s.0).collect();
        assert_eq!(got, expect, "target gid {g}");
    }
}

#[test]
fn poisson_source_statistics_and_thread_invariance() {
    // 1000 sources at 10 Hz for 10 s: count per source ~ Poisson(100), ISIs exponential.
    let n = net(1000, 10.0, 10_000.0);
    let a = common::run(&n, 1);
    let b = common::run(&n, 3);
    assert!(
        a.recording.kept == b.recording.kept,
        "threads change the spikes"
    );
    let mut counts = vec![0u64; 1000];
    for s in a.recording.kept.iter().filter(|s| s.1 < 1000) {
        counts[s.1 as usize] += 1;
    }
    let total: u64 = counts.iter().sum();
    let mean = total as f64 / 1000.0;
    // Mean of 1000 Poisson(100) counts: sd 0.32; allow 5 sd (minus rare coincidences).
    assert!((mean - 100.0).abs() < 1.6, "mean count {mean}");
    let var = counts
        .iter()
        .map(|&c| (c as f64 - mean).powi(2))
        .sum::<f64>()
        / 999.0;
    let fano = var / mean;
    // Fano factor of a Poisson process: 1 (sd of the estimate ≈ 0.045).
    assert!((fano - 1.0).abs() < 0.25, "Fano factor {fano}");
    // Sources differ from each other (independent streams).
    assert_ne!(counts[0..10], counts[10..20]);
}

/// A: 3 `spike_source_array` neurons with their own times; B: one list for 4 neurons.
fn arrays() -> Network {
    Network::from_toml_str(
        r#"
[simulation]
dt = 0.1
t_stop = 50.0
partition_size = 2

[[populations]]
name = "A"
size = 3
model = "spike_source_array"
params = { spike_times = [[0.1, 5.0, 5.0, 12.3], [], [7.7, 50.0, 60.0]] }

[[populations]]
name = "B"
size = 4
model = "spike_source_array"
params = { spike_times = [1.0, 2.0] }

[[populations]]
name = "T"
size = 2
model = "iaf_psc_delta"
params = { tau_m = 20.0, E_L = 0.0, V_reset = 0.0, V_th = 20.0, t_ref = 0.0 }

[[projections]]
source = "A"
target = "T"
rule = "all_to_all"
weight = 100.0
delay = 1.0
"#,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn spike_source_arrays_spike_at_their_times() {
    let n = arrays();
    for threads in [1, 3] {
        let mut sim = common::run(&n, threads);
        let got = |sim: &cortexsim::engine::Simulation, g: u32| -> Vec<u64> {
            sim.recording
                .kept
                .iter()
                .filter(|s| s.1 == g)
                .map(|s| s.0)
                .collect()
        };
        // Kept steps (the spike at time T is kept as step T/dt - 1): repeated times give
        // one spike; times beyond t_stop none.
        assert_eq!(got(&sim, 0), vec![0, 49, 122]);
        assert_eq!(got(&sim, 1), Vec::<u64>::new());
        assert_eq!(got(&sim, 2), vec![76, 499]);
        for g in 3..7 {
            assert_eq!(got(&sim, g), vec![9, 19], "B neuron {g}");
        }
        // Through the projection: every target 10 steps later.
        assert_eq!(got(&sim, 7), vec![10, 59, 86, 132]);
        assert_eq!(got(&sim, 8), got(&sim, 7));
        // New times between two runs (PyNN's update_spike_source_array), then reset.
        if threads == 1 {
            sim.reset().unwrap();
            sim.run_for(100, |_| {}).unwrap();
            let mut st = sim.net.stimuli[0].clone();
            st.kind = StimulusKind::SourceTimes {
                times: vec![vec![0.5, 20.0], vec![15.0], vec![]],
            };
            sim.set_stimulus(0, st).unwrap();
            sim.run().unwrap();
            // Times already passed (0.5 ms) are not replayed; the old ones before 10 ms stay.
            assert_eq!(got(&sim, 0), vec![0, 49, 199]);
            assert_eq!(got(&sim, 1), vec![149]);
            assert_eq!(got(&sim, 2), vec![76]);
        }
    }
}

/// A saved state (checkpoint) taken between source spikes continues bit for bit: the
/// position in the per-neuron spike times follows from the step.
#[test]
fn spike_source_arrays_resume_from_a_saved_state() {
    let n = arrays();
    let whole = common::run(&n, 1).recording.kept;
    let opts = cortexsim::engine::BuildOptions {
        threads: 2,
        keep_spikes: true,
        ..Default::default()
    };
    let mut a = cortexsim::engine::Simulation::build(&n, &opts).unwrap();
    a.run_for(300, |_| {}).unwrap();
    let mut bytes = Vec::new();
    a.save_state(&mut bytes).unwrap();
    let mut b = cortexsim::engine::Simulation::build(&n, &opts).unwrap();
    b.load_state(&mut &bytes[..]).unwrap();
    b.run().unwrap();
    assert!(b.recording.kept == whole, "resumed run differs");
}
