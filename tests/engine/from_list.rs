//! Explicit connection lists (`rule = "from_list"`, `Network::set_connections`): the
//! listed synapses are built, with their weights and delays, into the same synapse
//! blocks as any rule; a list equal to a rule's synapses gives that rule's spikes bit for
//! bit; results do not depend on threads or partitions.

use crate::common;
use cortexsim::engine::partition::Delays;
use cortexsim::engine::{BuildOptions, Simulation};
use cortexsim::spec::{Network, Rule};

/// E (300) and I (80) `iaf_psc_exp` with Poisson drive; projection 0 (E → E) has the
/// rule and weight/delay laws given in `e_to_e`.
fn net(e_to_e: &str, partition_size: u32) -> Network {
    let text = format!(
        r#"
[simulation]
dt = 0.1
t_stop = 200.0
seed = 5
partition_size = {partition_size}

[[populations]]
name = "E"
size = 300
model = "iaf_psc_exp"
v_init = {{ distribution = "uniform", low = -70.0, high = -55.0 }}
params = {{ tau_syn_ex = 0.5, tau_syn_in = 0.5, tau_m = 10.0, E_L = -65.0, V_th = -50.0, V_reset = -65.0 }}

[[populations]]
name = "I"
size = 80
model = "iaf_psc_exp"
params = {{ tau_syn_ex = 0.5, tau_syn_in = 0.5, tau_m = 10.0, E_L = -65.0, V_th = -50.0, V_reset = -65.0 }}

[[projections]]
source = "E"
target = "E"
{e_to_e}

[[projections]]
source = "E"
target = "I"
rule = "fixed_indegree"
indegree = 30
weight = 80.0
delay = 1.0

[[projections]]
source = "I"
target = "E"
rule = "fixed_indegree"
indegree = 20
weight = -300.0
delay = 0.8

[[stimuli]]
kind = "poisson"
target = "E"
rate = 8.0
indegree = 2000
weight = 87.8

[[stimuli]]
kind = "poisson"
target = "I"
rate = 8.0
indegree = 1900
weight = 87.8
"#
    );
    Network::from_toml_str(&text).unwrap_or_else(|e| panic!("{e}"))
}

const LAWS: &str = r#"weight = { distribution = "normal", mean = 60.0, std = 30.0 }
delay = { distribution = "uniform", low = 0.5, high = 3.0 }"#;

/// A deterministic pseudo-random list: (source, target, weight, delay on the grid).
fn random_list(n: usize, n_src: u64, n_tgt: u64) -> (Vec<u64>, Vec<u64>, Vec<f64>, Vec<f64>) {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = (vec![], vec![], vec![], vec![]);
    for _ in 0..n {
        out.0.push(next() % n_src);
        out.1.push(next() % n_tgt);
        out.2.push((next() % 2000) as f64 / 10.0 - 60.0);
        out.3.push((1 + next() % 40) as f64 / 10.0);
    }
    out
}

#[test]
fn a_list_of_a_rules_synapses_gives_its_spikes() {
    // all_to_all draws the weight and delay of target j's synapses from j's stream in
    // source order; a list of the same pairs in that order without weight/delay columns
    // draws the same values from the same streams.
    let rule = net(&format!("rule = \"all_to_all\"\n{LAWS}"), 128);
    let (mut src, mut tgt) = (vec![], vec![]);
    for t in 0..300u64 {
        for s in 0..300u64 {
            src.push(s);
            tgt.push(t);
        }
    }
    let mut listed = net(
        &format!("rule = \"from_list\"\nconnections = []\n{LAWS}"),
        128,
    );
    listed.set_connections(0, &src, &tgt, None, None).unwrap();
    assert_eq!(listed.projections[0].rule, Rule::FromList);
    let mut a = common::run(&rule, 2);
    let mut b = common::run(&listed, 2);
    assert_eq!(a.synapses_per_projection, b.synapses_per_projection);
    assert!(a.recording.kept.len() > 500, "{}", a.recording.kept.len());
    assert!(a.recording.kept == b.recording.kept, "spikes differ");
    assert_eq!(a.state_hash(), b.state_hash());

    // one_to_one with constant weight and delay vs. 4-column rows of the same values.
    let rows: Vec<String> = (0..300).map(|i| format!("[{i}, {i}, 40.0, 1.5]")).collect();
    let one = net("rule = \"one_to_one\"\nweight = 40.0\ndelay = 1.5", 128);
    let listed = net(
        &format!("rule = \"from_list\"\nconnections = [{}]", rows.join(", ")),
        128,
    );
    assert_eq!(listed.projections[0].weight, one.projections[0].weight);
    let (a, b) = (common::run(&one, 1), common::run(&listed, 1));
    assert!(a.recording.kept == b.recording.kept, "spikes differ");
}

#[test]
fn toml_rows_and_bulk_columns_are_the_same_network() {
    let (s, t, w, d) = random_list(500, 300, 300);
    let rows: Vec<String> = (0..s.len())
        .map(|k| format!("[{}, {}, {:?}, {:?}]", s[k], t[k], w[k], d[k]))
        .collect();
    let toml = net(
        &format!("rule = \"from_list\"\nconnections = [{}]", rows.join(", ")),
        128,
    );
    let mut bulk = net("rule = \"one_to_one\"\nweight = 1.0", 128);
    bulk.set_connections(0, &s, &t, Some(&w), Some(&d)).unwrap();
    assert_eq!(toml, bulk);
}

#[test]
fn listed_weights_and_delays_are_built_and_thread_independent() {
    let (s, t, w, d) = random_list(20_000, 300, 300);
    let make = |ps: u32| {
        let mut n = net("rule = \"one_to_one\"\nweight = 1.0", ps);
        n.set_connections(0, &s, &t, Some(&w), Some(&d)).unwrap();
        n
    };
    let n = make(128);
    // Every listed synapse is in the blocks with its weight and delay (as a multiset).
    let sim = Simulation::build(
        &n,
        &BuildOptions {
            threads: 2,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(sim.synapses_per_projection[0], 20_000);
    let mut built = vec![];
    for p in sim.parts.iter().filter(|p| p.pop == 0) {
        for b in p.blocks.iter().filter(|b| b.projection() == 0) {
            let ws = b.weights().expect("heterogeneous weights are stored");
            let ptr = b.indptr();
            for src in 0..ptr.len() - 1 {
                for k in ptr[src] as usize..ptr[src + 1] as usize {
                    let delay = match b.delays() {
                        Delays::U8(v) => v[k] as u32,
                        Delays::U16(v) => v[k] as u32,
                        Delays::Const(c) => *c,
                    };
                    let tgt = p.pop_offset as usize + b.targets().get(k);
                    built.push((src as u64, tgt as u64, ws[k].to_bits(), delay));
                }
            }
        }
    }
    let mut want: Vec<_> = (0..s.len())
        .map(|k| {
            let steps = (d[k] / 0.1).round() as u32;
            (s[k], t[k], (w[k] as f32).to_bits(), steps)
        })
        .collect();
    built.sort_unstable();
    want.sort_unstable();
    assert!(built == want, "built synapses differ from the list");
    drop(sim);

    let reference = common::run(&n, 1);
    assert!(reference.recording.kept.len() > 500);
    for (threads, ps) in [(3, 128), (2, 37), (4, 1000)] {
        let other = common::run(&make(ps), threads);
        assert!(
            other.recording.kept == reference.recording.kept,
            "{threads} threads, partition_size {ps}: spikes differ"
        );
    }
}

#[test]
fn bulk_lists_are_validated_with_key_paths() {
    let mut n = net("rule = \"one_to_one\"\nweight = 1.0", 128);
    let e = n
        .set_connections(0, &[0, 300], &[0, 0], None, None)
        .unwrap_err();
    assert_eq!(e.path, "projections[0].connections[1]");
    assert!(e.msg.contains("source index 300"), "{}", e.msg);
    let e = n
        .set_connections(0, &[0], &[0], None, Some(&[0.05]))
        .unwrap_err();
    assert!(e.msg.contains("below the time step"), "{}", e.msg);
    let e = n
        .set_connections(0, &[0], &[0], Some(&[f64::NAN]), None)
        .unwrap_err();
    assert!(e.msg.contains("finite"), "{}", e.msg);
    let e = n.set_connections(7, &[0], &[0], None, None).unwrap_err();
    assert_eq!(e.path, "projections[7]");
    // A refused list leaves the projection as it was.
    assert_eq!(n.projections[0].rule, Rule::OneToOne);
}
