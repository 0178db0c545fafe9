//! Receptor ports, spike payloads and the state contract, end to end through
//! [`Simulation`].

use crate::{BuildOptions, Simulation};
use cortexsim_neuron::NeuronModel;
use cortexsim_neuron::test_payload::PayloadParams;
use cortexsim_spec::Network;

fn build(net: &Network, threads: usize) -> Simulation {
    Simulation::build(
        net,
        &BuildOptions {
            threads,
            keep_spikes: true,
            ..Default::default()
        },
    )
    .unwrap()
}

/// A driver population `S` (iaf_psc_delta, spiking from DC) onto an iaf_psc_exp
/// population `T` (threshold out of reach), with `proj` as the projection's extra keys.
fn two_port_net(proj: &str, stim: &str) -> Network {
    Network::from_toml_str(&format!(
        r#"
[simulation]
dt = 0.1
t_stop = 30.0

[[populations]]
name = "S"
size = 20
model = "iaf_psc_delta"
params = {{ I_e = 400.0, tau_m = 10.0, C_m = 250.0 }}
v_init = {{ distribution = "uniform", low = -70.0, high = -56.0 }}

[[populations]]
name = "T"
size = 10
model = "iaf_psc_exp"
params = {{ V_th = 1000.0, tau_syn_ex = 1.0, tau_syn_in = 3.0 }}

[[projections]]
source = "S"
target = "T"
rule = "fixed_indegree"
indegree = 5
delay = 1.0
{proj}

[[stimuli]]
kind = "poisson"
target = "T"
rate = 1000.0
indegree = 1
start = 0.0
{stim}
"#
    ))
    .unwrap()
}

fn currents(sim: &Simulation) -> (f64, f64) {
    let t = sim.parts.iter().filter(|p| p.pop == 1);
    t.fold((0.0, 0.0), |(e, i), p| {
        (
            e + p.state.i_ex.iter().sum::<f64>(),
            i + p.state.i_in.iter().sum::<f64>(),
        )
    })
}

/// A projection with `receptor` routes to that port, whatever the weight's sign; the
/// receptor the sign would pick anyway gives bit-identical results.
#[test]
fn receptor_routes_to_the_named_port() {
    let run = |proj: &str, stim: &str| {
        let mut sim = build(&two_port_net(proj, stim), 2);
        sim.run().unwrap();
        let c = currents(&sim);
        (c, sim.state_hash())
    };
    // By sign (default): positive weights to ex.
    let ((ex, inh), h_default) = run("weight = 50.0", "weight = 20.0");
    assert!(ex > 0.0 && inh == 0.0, "{ex} {inh}");
    // Named, equal to the sign default: the same bits.
    let (_, h_named) = run(
        "weight = 50.0\nreceptor = \"ex\"",
        "weight = 20.0\nreceptor = \"ex\"",
    );
    assert_eq!(h_default, h_named);
    // Named `in` with positive weights: everything goes to the inhibitory port.
    let ((ex, inh), _) = run(
        "weight = 50.0\nreceptor = \"in\"",
        "weight = 20.0\nreceptor = \"in\"",
    );
    assert!(ex == 0.0 && inh > 0.0, "{ex} {inh}");
    // Per-synapse weights of both signs, named `ex`: negative currents on ex only.
    let ((ex, inh), _) = run(
        "weight = { distribution = \"normal\", mean = -50.0, std = 10.0 }\nreceptor = \"ex\"",
        "weight = -20.0\nreceptor = \"ex\"",
    );
    assert!(ex < 0.0 && inh == 0.0, "{ex} {inh}");
    // The same weights by sign: on in.
    let ((ex, inh), _) = run(
        "weight = { distribution = \"normal\", mean = -50.0, std = 10.0 }",
        "weight = -20.0",
    );
    assert!(ex == 0.0 && inh < 0.0, "{ex} {inh}");
}

/// An unknown port is refused with the model's list, and a network changed in code
/// after validation is refused by the build (no panic).
#[test]
fn unknown_receptor_is_refused() {
    let err = Network::from_toml_str(&two_port_net_text("weight = 50.0\nreceptor = \"AMPA\""))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("projections[0].receptor")
            && err.contains("\"AMPA\"")
            && err.contains("\"ex\", \"in\""),
        "{err}"
    );
    // A current stimulus reaches no port.
    let text = two_port_net_text("weight = 50.0")
        + "[[stimuli]]\nkind = \"dc\"\ntarget = \"T\"\namplitude = 5.0\nreceptor = \"ex\"\n";
    let err = Network::from_toml_str(&text).unwrap_err().to_string();
    assert!(
        err.contains("stimuli[0].receptor") && err.contains("dc"),
        "{err}"
    );
    let mut net = two_port_net("weight = 50.0", "weight = 20.0");
    net.projections[0].receptor = Some("NMDA".into());
    let err = Simulation::build(&net, &BuildOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("projections[0].receptor") && err.contains("NMDA"),
        "{err}"
    );
}

fn two_port_net_text(proj: &str) -> String {
    format!(
        "[simulation]\ndt = 0.1\nt_stop = 10.0\n[[populations]]\nname = \"S\"\nsize = 2\nmodel = \"iaf_psc_delta\"\n[[populations]]\nname = \"T\"\nsize = 2\nmodel = \"iaf_psc_exp\"\n[[projections]]\nsource = \"S\"\ntarget = \"T\"\nrule = \"all_to_all\"\n{proj}\n"
    )
}

/// A recurrent network whose population `E` has a model with a spike payload
/// (`TestPayload`), with constant and per-synapse weights and delays.
fn payload_net() -> Network {
    let mut net = Network::from_toml_str(
        r#"
[simulation]
dt = 0.1
t_stop = 60.0
partition_size = 37

[[populations]]
name = "E"
size = 150
model = "iaf_psc_delta"
params = { tau_m = 20.0, V_th = 20.0, E_L = 0.0, V_reset = 10.0, C_m = 1.0 }
v_init = { distribution = "uniform", low = 0.0, high = 20.0 }

[[populations]]
name = "I"
size = 40
model = "iaf_psc_delta"
params = { tau_m = 20.0, V_th = 20.0, E_L = 0.0, V_reset = 10.0, C_m = 1.0 }
v_init = { distribution = "uniform", low = 0.0, high = 20.0 }

[[projections]]
source = "E"
target = "E"
rule = "fixed_indegree"
indegree = 30
weight = { distribution = "normal", mean = 0.4, std = 0.1 }
delay = { distribution = "uniform", low = 0.5, high = 2.0 }

[[projections]]
source = "E"
target = "I"
rule = "fixed_indegree"
indegree = 30
weight = 0.5
delay = 1.0

[[projections]]
source = "I"
target = "E"
rule = "fixed_indegree"
indegree = 10
weight = -1.5
delay = { distribution = "uniform", low = 0.5, high = 1.5 }

[[stimuli]]
kind = "poisson"
target = "E"
rate = 20000.0
weight = 0.1

[[stimuli]]
kind = "poisson"
target = "I"
rate = 20000.0
weight = 0.1
"#,
    )
    .unwrap();
    net.populations[0].model = NeuronModel::TestPayload(PayloadParams {
        core: net.populations[0].model.core(),
        tau_trace: 30.0,
        alpha: 0.5,
    });
    net
}

/// Payload spikes are summed in the same order for 1, 2, 3 and 7 threads, and the
/// payload does reach the targets (the run differs from one without it).
#[test]
fn payload_spikes_are_summed_identically_for_any_thread_count() {
    let net = payload_net();
    let mut reference = None;
    for threads in [1, 2, 3, 7] {
        let mut sim = build(&net, threads);
        assert!(sim.prev_spikes.carries_payload());
        sim.run().unwrap();
        let out = (sim.recording.kept.clone(), sim.state_hash());
        assert!(out.0.len() > 200, "too few spikes: {}", out.0.len());
        match &reference {
            None => reference = Some(out),
            Some(r) => assert!(*r == out, "{threads} threads differ from 1"),
        }
    }
    // Paused mid-slice with payload spikes pending, saved and restored: the same run.
    let mut first = build(&net, 2);
    first.run_for(233, |_| {}).unwrap();
    while first.prev_spikes.payloads().is_empty() {
        first.run_for(1, |_| {}).unwrap();
    }
    let pause = first.t;
    let mut bytes = Vec::new();
    first.save_state(&mut bytes).unwrap();
    let mut second = build(&net, 3);
    second.load_state(&mut &bytes[..]).unwrap();
    second
        .run_for(net.simulation.steps - pause, |_| {})
        .unwrap();
    let out = (second.recording.kept.clone(), second.state_hash());
    assert!(
        reference.as_ref() == Some(&out),
        "restored payload run differs"
    );
    let mut plain = net.clone();
    let core = plain.populations[0].model.core();
    plain.populations[0].model = NeuronModel::parse("iaf_psc_delta", None, "m").unwrap();
    if let NeuronModel::IafPscDelta(p) = &mut plain.populations[0].model {
        p.core = core;
    }
    let mut sim = build(&plain, 2);
    assert!(!sim.prev_spikes.carries_payload());
    sim.run().unwrap();
    assert_ne!(reference.unwrap().0, sim.recording.kept);
}

/// The first spike of a payload neuron carries `alpha (1 - 0)`, and delivery adds
/// `w * payload` to its targets' ring where the target's port takes the payload
/// (`Port::payload`: the test model's `V_m`), the plain `w` where it does not
/// (`iaf_psc_delta`'s `V_m`).
#[test]
fn delivery_multiplies_the_payload_into_the_weight() {
    for (payload_target, expected) in [(true, 3.0 * 2.0 * 0.5), (false, 3.0 * 2.0)] {
        assert_eq!(
            first_delivery(payload_target),
            expected,
            "payload port: {payload_target}"
        );
    }
}

fn first_delivery(payload_target: bool) -> f64 {
    let mut net = Network::from_toml_str(
        r#"
[simulation]
dt = 0.1
t_stop = 5.0

[[populations]]
name = "S"
size = 1
model = "iaf_psc_delta"
params = { I_e = 1000.0 }
v_init = -56.0

[[populations]]
name = "T"
size = 3
model = "iaf_psc_delta"

[[projections]]
source = "S"
target = "T"
rule = "all_to_all"
weight = 2.0
delay = 3.0
"#,
    )
    .unwrap();
    let targets = if payload_target { 0..2 } else { 0..1 };
    for p in targets {
        net.populations[p].model = NeuronModel::TestPayload(PayloadParams {
            core: net.populations[p].model.core(),
            tau_trace: 100.0,
            alpha: 0.5,
        });
    }
    let mut sim = build(&net, 1);
    // Run until the first spike, then deliver it.
    while sim.recording.kept.is_empty() {
        sim.run_for(1, |_| {}).unwrap();
    }
    assert_eq!(sim.prev_spikes.payloads().last(), Some(&0.5));
    sim.deliver_pending();
    let t = sim.parts.iter().find(|p| p.pop == 1).unwrap();
    t.ring.iter().sum()
}

/// The state contract: save a running simulation (mid-slice, with spikes pending and
/// events queued), read it into a freshly built one, continue: bit-identical spikes,
/// samples and state to an uninterrupted run.
#[test]
fn save_restore_continues_bit_identically() {
    let text = r#"
[simulation]
dt = 0.1
t_stop = 80.0
seed = 3

[[populations]]
name = "E"
size = 160
model = "iaf_psc_exp"
v_init = { distribution = "uniform", low = -70.0, high = -55.0 }

[[populations]]
name = "I"
size = 40
model = "iaf_psc_alpha"

[[projections]]
source = "E"
target = "E"
rule = "pairwise_bernoulli"
p = 0.1
weight = { distribution = "normal", mean = 60.0, std = 20.0 }
delay = { distribution = "uniform", low = 1.0, high = 3.0 }

[[projections]]
source = "E"
target = "I"
rule = "fixed_indegree"
indegree = 20
weight = 60.0
delay = 1.5

[[projections]]
source = "I"
target = "E"
rule = "fixed_indegree"
indegree = 10
weight = -200.0
delay = 1.0
receptor = "in"

[[stimuli]]
kind = "poisson"
target = "E"
rate = 8.0
indegree = 1500
weight = 60.0

[[stimuli]]
kind = "step"
target = "I"
amplitude_times = [10.0, 40.0]
amplitude_values = [300.0, 0.0]

[[stimuli]]
kind = "spike_train"
target = "I"
spike_times = [5.0, 25.0, 55.0]
weight = 500.0

[recorders]
rate_bin = 2.0
v_m = [{ population = "E", n = 5, interval = 0.5 }]
"#;
    let net = Network::from_toml_str(text).unwrap();
    let total = net.simulation.steps;
    let mut whole = build(&net, 2);
    whole.run().unwrap();
    assert!(whole.parts.iter().any(|p| p.queue.is_some()));
    assert!(whole.recording.kept.len() > 200);
    // Pause at a step that is not a slice boundary.
    for pause in [1, 237, 555] {
        let mut first = build(&net, 3);
        first.run_for(pause, |_| {}).unwrap();
        let mut bytes = Vec::new();
        first.save_state(&mut bytes).unwrap();
        let mut second = build(&net, 1);
        second.load_state(&mut &bytes[..]).unwrap();
        // Reading does not change what is written.
        let mut again = Vec::new();
        second.save_state(&mut again).unwrap();
        assert!(
            again == bytes,
            "pause {pause}: the state does not round-trip"
        );
        second.run_for(total - pause, |_| {}).unwrap();
        assert!(
            second.recording.kept == whole.recording.kept,
            "pause {pause}: spikes differ"
        );
        assert_eq!(second.vm_samples(0), whole.vm_samples(0), "pause {pause}");
        assert_eq!(second.recording.rate_bins, whole.recording.rate_bins);
        assert_eq!(second.state_hash(), whole.state_hash(), "pause {pause}");
    }
    // A state of another network is refused, naming what differs.
    let other = Network::from_toml_str(&text.replace("size = 160", "size = 161")).unwrap();
    let mut bytes = Vec::new();
    whole.save_state(&mut bytes).unwrap();
    let err = build(&other, 1).load_state(&mut &bytes[..]).unwrap_err();
    assert!(err.to_string().contains("the state has"), "{err}");
    let err = build(&net, 1)
        .load_state(&mut &b"not a state"[..])
        .unwrap_err();
    assert!(
        err.kind() == std::io::ErrorKind::UnexpectedEof
            || err.to_string().contains("not a cortexsim")
    );
}

/// A small `iaf_bw_2001` network (E with AMPA, NMDA and GABA, I), Poisson background
/// whose rate is redrawn every 20 ms, for the conductance models' engine contracts.
fn bw_net() -> Network {
    let par = "C_m = 500.0, g_L = 25.0, V_th = -50.0, V_reset = -55.0";
    Network::from_toml_str(&format!(
        r#"
[simulation]
dt = 0.1
t_stop = 200.0
[[populations]]
name = "E"
size = 60
model = "iaf_bw_2001"
params = {{ {par} }}
v_init = {{ distribution = "uniform", low = -70.0, high = -51.0 }}
[[populations]]
name = "I"
size = 20
model = "iaf_bw_2001"
params = {{ {par} }}
[[projections]]
source = "E"
target = "E"
rule = "all_to_all"
weight = 0.3
delay = 0.5
receptor = "AMPA"
[[projections]]
source = "E"
target = "E"
rule = "pairwise_bernoulli"
p = 0.5
weight = {{ distribution = "uniform", low = 0.5, high = 1.5 }}
delay = {{ distribution = "uniform", low = 0.5, high = 2.0 }}
receptor = "NMDA"
[[projections]]
source = "E"
target = "I"
rule = "all_to_all"
weight = 0.5
delay = 0.5
receptor = "NMDA"
[[projections]]
source = "I"
target = "E"
rule = "all_to_all"
weight = 1.0
delay = 0.5
receptor = "GABA"
[[stimuli]]
target = "E"
kind = "poisson"
rate = 2400.0
rate_sd = 600.0
rate_redraw = 20.0
weight = 2.5
receptor = "AMPA"
[[stimuli]]
target = "I"
kind = "poisson"
rate = 2400.0
weight = 2.0
receptor = "AMPA"
"#
    ))
    .unwrap()
}

/// The conductance state (g, the NMDA trace, the integrator's substep) is part of the
/// state contract, and payload runs do not depend on the thread count.
#[test]
fn bw_2001_runs_are_thread_invariant_and_restore_bit_for_bit() {
    let net = bw_net();
    let mut reference = None;
    for threads in [1, 3] {
        let mut sim = build(&net, threads);
        sim.run().unwrap();
        let out = (sim.recording.kept.clone(), sim.state_hash());
        assert!(out.0.len() > 100, "too few spikes: {}", out.0.len());
        match &reference {
            None => reference = Some(out),
            Some(r) => assert!(*r == out, "{threads} threads differ from 1"),
        }
    }
    let mut first = build(&net, 2);
    first.run_for(977, |_| {}).unwrap();
    let mut bytes = Vec::new();
    first.save_state(&mut bytes).unwrap();
    let mut second = build(&net, 1);
    second.load_state(&mut &bytes[..]).unwrap();
    second.run_for(net.simulation.steps - 977, |_| {}).unwrap();
    let out = (second.recording.kept.clone(), second.state_hash());
    assert!(reference.as_ref() == Some(&out), "restored bw run differs");
}

/// One `iaf_bw_2001` spike reaches an AMPA and an NMDA projection of weight 1: the
/// AMPA conductance jumps by the plain weight, the NMDA one by NEST's increment `k₀`
/// (the payload of a first spike); stimulus spikes carry no payload.
#[test]
fn the_nmda_payload_scales_only_the_nmda_port() {
    let net = Network::from_toml_str(
        r#"
[simulation]
dt = 0.1
t_stop = 20.0
[[populations]]
name = "S"
size = 1
model = "iaf_bw_2001"
[[populations]]
name = "T"
size = 1
model = "iaf_bw_2001"
[[projections]]
source = "S"
target = "T"
rule = "all_to_all"
weight = 1.0
delay = 0.5
receptor = "AMPA"
[[projections]]
source = "S"
target = "T"
rule = "all_to_all"
weight = 1.0
delay = 0.5
receptor = "NMDA"
[[stimuli]]
target = "S"
kind = "spike_train"
spike_times = [1.0]
weights = [200.0]
receptor = "AMPA"
"#,
    )
    .unwrap();
    let NeuronModel::IafBw2001(p) = &net.populations[1].model else {
        panic!("model")
    };
    let (k0, _) = p.nmda_k();
    let mut sim = build(&net, 1);
    let t = sim.parts.iter().position(|q| q.pop == 1).unwrap();
    for _ in 0..200 {
        sim.run_for(1, |_| {}).unwrap();
        let s = &sim.parts[t].state;
        if s.g_ex[0] > 0.0 {
            assert_eq!(s.g_ex[0], 1.0, "AMPA: the plain weight");
            assert_eq!(s.g_nmda[0], k0, "NMDA: weight times the increment k0");
            assert_eq!(sim.recording.kept.len(), 1, "one spike of S");
            return;
        }
    }
    panic!("no input reached T");
}
