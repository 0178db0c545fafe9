//! Invariance tests (RELIABILITY.md §2): the same spikes, bit for bit, for any thread
//! count (I1), any partitioning (I7), any chunking of the run (I2), any event-list
//! capacity (I8); seeds matter (I4).

use crate::common;
use cortexsim::engine::partition::Targets;
use cortexsim::engine::{BuildOptions, Simulation};
use cortexsim::spec::Network;

/// Brunel AI network scaled to N = 2500 (in-degrees 10% as in the paper), 200 ms, small partitions.
pub fn brunel_small(extra: &[&str]) -> Network {
    let mut sets = vec![
        "populations.E.size=2000",
        "populations.I.size=500",
        "projections.0.indegree=200",
        "projections.1.indegree=200",
        "projections.2.indegree=50",
        "projections.3.indegree=50",
        "simulation.t_stop=200.0",
        "simulation.partition_size=300",
    ];
    sets.extend_from_slice(extra);
    common::load("networks/brunel2000.toml", &sets)
}

/// Heterogeneous network: iaf_psc_exp, Bernoulli connectivity, normal weights of both
/// signs, uniform delays rounded to the grid (u8 per synapse), Poisson drive.
pub fn hetero(partition_size: u32, seed: u64) -> Network {
    Network::from_toml_str(&hetero_text(partition_size, seed)).unwrap()
}

/// [`hetero`] with its Bernoulli and fixed-total-number projections procedural
/// (`storage = "procedural"`): a partition delivers stored and procedural blocks.
fn hetero_procedural(partition_size: u32, seed: u64) -> Network {
    let text = hetero_text(partition_size, seed)
        .replace(
            "rule = \"pairwise_bernoulli\"\n",
            "rule = \"pairwise_bernoulli\"\nstorage = \"procedural\"\n",
        )
        .replace(
            "rule = \"fixed_total_number\"\n",
            "rule = \"fixed_total_number\"\nstorage = \"procedural\"\n",
        );
    let net = Network::from_toml_str(&text).unwrap();
    assert_eq!(
        net.projections
            .iter()
            .filter(|p| p.storage == cortexsim::spec::Storage::Procedural)
            .count(),
        2
    );
    net
}

fn hetero_text(partition_size: u32, seed: u64) -> String {
    format!(
        r#"
[simulation]
dt = 0.1
t_stop = 150.0
seed = {seed}
partition_size = {partition_size}

[[populations]]
name = "E"
size = 1200
model = "iaf_psc_exp"
v_init = {{ distribution = "uniform", low = -70.0, high = -55.0 }}
params = {{ tau_syn_ex = 0.5, tau_syn_in = 0.5, tau_m = 10.0, E_L = -65.0, V_th = -50.0, V_reset = -65.0 }}

[[populations]]
name = "I"
size = 300
model = "iaf_psc_exp"
params = {{ tau_syn_ex = 0.5, tau_syn_in = 0.5, tau_m = 10.0, E_L = -65.0, V_th = -50.0, V_reset = -65.0 }}

[[projections]]
source = "E"
target = "E"
rule = "pairwise_bernoulli"
p = 0.1
autapses = false
weight = {{ distribution = "normal", mean = 87.8, std = 40.0 }}
delay = {{ distribution = "uniform", low = 0.5, high = 3.0 }}

[[projections]]
source = "E"
target = "I"
rule = "fixed_total_number"
n = 36000
weight = {{ distribution = "lognormal", mu = 4.4, sigma = 0.3 }}
delay = {{ distribution = "normal", mean = 1.5, std = 0.75, min = 0.1, max = 10.0 }}

[[projections]]
source = "I"
target = "E"
rule = "fixed_indegree"
indegree = 60
multapses = false
weight = -350.0
delay = 0.8

[[projections]]
source = "I"
target = "I"
rule = "fixed_indegree"
indegree = 60
weight = {{ distribution = "uniform", low = -400.0, high = -300.0 }}
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

[[stimuli]]
kind = "dc"
target = "I"
amplitude = 20.0
start = 50.0
stop = 100.0
"#
    )
}

fn spikes_and_hash(net: &Network, threads: usize) -> (Vec<(u64, u32)>, u64) {
    let mut sim = common::run(net, threads);
    (sim.recording.kept.clone(), sim.state_hash())
}

#[test]
fn i1_thread_count_brunel() {
    let net = brunel_small(&[]);
    let (ref_spikes, ref_hash) = spikes_and_hash(&net, 1);
    assert!(
        ref_spikes.len() > 5000,
        "too few spikes to be a meaningful test: {}",
        ref_spikes.len()
    );
    for threads in [2, 3, 4, 7] {
        let (s, h) = spikes_and_hash(&net, threads);
        assert_eq!(s.len(), ref_spikes.len(), "{threads} threads: spike count");
        assert!(s == ref_spikes, "{threads} threads: spike raster differs");
        assert_eq!(h, ref_hash, "{threads} threads: final state differs");
    }
}

#[test]
fn i1_thread_count_heterogeneous() {
    let net = hetero(256, 7);
    let (ref_spikes, ref_hash) = spikes_and_hash(&net, 1);
    assert!(
        ref_spikes.len() > 1000,
        "too few spikes: {}",
        ref_spikes.len()
    );
    for threads in [2, 3, 4, 7, 16] {
        let (s, h) = spikes_and_hash(&net, threads);
        assert!(s == ref_spikes, "{threads} threads: spike raster differs");
        assert_eq!(h, ref_hash, "{threads} threads: final state differs");
    }
}

#[test]
fn i1_construction_identical_for_any_thread_count() {
    let net = hetero(256, 3);
    let build = |t: usize| {
        Simulation::build(
            &net,
            &BuildOptions {
                threads: t,
                ..Default::default()
            },
        )
        .unwrap()
    };
    let a = build(1);
    for t in [2, 3] {
        let b = build(t);
        for (pa, pb) in a.parts.iter().zip(&b.parts) {
            for (ba, bb) in pa.blocks.iter().zip(&pb.blocks) {
                assert_eq!(ba.indptr(), bb.indptr());
                assert_eq!(ba.targets(), bb.targets());
                assert_eq!(ba.weights(), bb.weights());
            }
        }
    }
}

/// Streams belong to neurons, and spikes are delivered in (step, gid) order: the
/// partition size changes nothing, bit for bit (I7).
#[test]
fn i7_partition_size_invariance() {
    let (s1, h1) = spikes_and_hash(&hetero(97, 11), 2);
    for ps in [256, 1000, 4096] {
        let (s, h) = spikes_and_hash(&hetero(ps, 11), 2);
        assert!(s == s1, "partition_size {ps}: spike raster differs");
        assert_ne!(h, 0);
        let _ = h1;
    }
}

/// Partitions above two build tiles (2,048 neurons) are built tile by tile and their
/// rows appended (`Plan::block_tiled`); the arrays are those of small partitions built
/// directly, and so are the spikes: every rule drawn
/// per target, per-synapse weights (f32) and delays (u8), one partition of 5,000 neurons
/// against 1,000-neuron ones (the state hash depends on the layout, the spikes do not).
#[test]
fn i12_tiled_build_invariance() {
    let net = |ps: u32| {
        let text = hetero_text(ps, 17)
            .replacen("size = 1200", "size = 5000", 1)
            .replace("p = 0.1", "p = 0.025");
        Network::from_toml_str(&text).unwrap()
    };
    let big = net(5000);
    assert_eq!(cortexsim::engine::layout(&big)[0].size, 5000);
    let (s1, _) = spikes_and_hash(&net(1000), 2);
    let (s2, _) = spikes_and_hash(&big, 1);
    assert!(s1.len() > 1000, "too few spikes: {}", s1.len());
    assert!(s1 == s2, "tiled build: spike raster differs");
}

/// Per-synapse delays go through per-partition event lists (one per arrival step, chains
/// of chunks from a pool) that are drained into the input slot. Direct ring delivery
/// (`Some(0)`), chunks of one event (every list a long chain) or 37, and the default
/// must give the same spikes and the same final state, bit for bit.
#[test]
fn i8_event_list_capacity_invariance() {
    let net = hetero(256, 13);
    let run = |cap: Option<usize>, threads: usize| {
        let mut sim = Simulation::build(
            &net,
            &BuildOptions {
                threads,
                keep_spikes: true,
                queue_capacity: cap,
                ..Default::default()
            },
        )
        .unwrap();
        sim.run().unwrap();
        let chunks: usize = sim
            .parts
            .iter()
            .filter_map(|p| p.queue.as_ref())
            .map(|q| q.chunks())
            .sum();
        let queued = sim.parts.iter().filter(|p| p.queue.is_some()).count();
        (sim.recording.kept.clone(), sim.state_hash(), chunks, queued)
    };
    let (s0, h0, _, q0) = run(Some(0), 1);
    assert_eq!(q0, 0, "Some(0) must deliver directly");
    assert!(s0.len() > 1000, "too few spikes: {}", s0.len());
    let (s, h, _, q) = run(None, 2);
    assert!(
        q > 0,
        "the heterogeneous network must use event lists by default"
    );
    assert!(
        s == s0,
        "default event lists: spike raster differs from direct delivery"
    );
    assert_eq!(h, h0, "default event lists: final state differs");
    for cap in [1, 37] {
        let (s, h, chunks, _) = run(Some(cap), 3);
        assert!(
            chunks > 100,
            "chunk {cap}: the chunk chains were not exercised ({chunks} chunks)"
        );
        assert!(
            s == s0,
            "capacity {cap}: spike raster differs from direct delivery"
        );
        assert_eq!(h, h0, "capacity {cap}: final state differs");
    }
}

/// Target indices are u16 for partitions up to 65,536 neurons and u32 above: one
/// partition of 70,000 neurons (u32) and the automatic layout (u16) give the same spikes.
#[test]
fn i9_target_index_width_invariance() {
    let net = |ps: &str| {
        common::load(
            "networks/brunel2000.toml",
            &[
                "populations.E.size=70000",
                "populations.I.size=2000",
                "projections.0.indegree=40",
                "projections.1.indegree=40",
                "projections.2.indegree=10",
                "projections.3.indegree=10",
                "projections.0.weight=0.5",
                "projections.1.weight=0.5",
                "simulation.t_stop=60.0",
                ps,
            ],
        )
    };
    let wide = common::run(&net("simulation.partition_size=70000"), 2);
    assert!(wide.parts.iter().any(|p| {
        p.blocks
            .iter()
            .any(|b| matches!(b.targets(), Targets::U32(_)))
    }));
    let narrow = common::run(&net("simulation.threads=0"), 2);
    assert!(narrow.parts.iter().all(|p| {
        p.blocks
            .iter()
            .all(|b| matches!(b.targets(), Targets::U16(_)))
    }));
    let (a, b) = (&wide.recording.kept, &narrow.recording.kept);
    assert!(a.len() > 10_000, "too few spikes: {}", a.len());
    assert!(a == b, "u32 and u16 target indices: spike rasters differ");
}

#[test]
fn i2_chunked_runs_equal_one_run() {
    for net in [brunel_small(&[]), hetero(256, 5)] {
        let steps = net.simulation.steps;
        let mut one = Simulation::build(
            &net,
            &BuildOptions {
                threads: 2,
                keep_spikes: true,
                ..Default::default()
            },
        )
        .unwrap();
        one.run_for(steps, |_| {}).unwrap();
        // Halves, tenths, and chunks not aligned to the min-delay slice.
        for chunks in [vec![steps / 2, steps - steps / 2], vec![steps / 10; 10], {
            let mut v = vec![];
            let mut left = steps;
            let mut k = 0;
            while left > 0 {
                let c = [7u64, 13, 1, 29][k % 4].min(left);
                v.push(c);
                left -= c;
                k += 1;
            }
            v
        }] {
            let mut sim = Simulation::build(
                &net,
                &BuildOptions {
                    threads: 2,
                    keep_spikes: true,
                    ..Default::default()
                },
            )
            .unwrap();
            for c in &chunks {
                sim.run_for(*c, |_| {}).unwrap();
            }
            assert_eq!(sim.t, one.t);
            assert!(
                sim.recording.kept == one.recording.kept,
                "chunks {:?}...: spikes differ",
                &chunks[..chunks.len().min(4)]
            );
            assert_eq!(
                sim.state_hash(),
                one.state_hash(),
                "chunked run: final state differs"
            );
        }
    }
}

#[test]
fn i4_seeds_matter() {
    let a = spikes_and_hash(&brunel_small(&[]), 2).0;
    let b = spikes_and_hash(&brunel_small(&[]), 2).0;
    let c = spikes_and_hash(&brunel_small(&["simulation.seed=999"]), 2).0;
    assert!(a == b, "same seed, different spikes");
    assert!(
        a != c,
        "different seeds, same spikes: the seed is ignored somewhere"
    );
}

/// Procedural projections (I1, I7, I8 for them): the same spikes, bit for bit, for 1, 2
/// and 3 threads, two partition sizes (7 partitions per population, and one), with and
/// without event lists; the same final state for every thread count and event-list
/// capacity (the state's layout is the partitions').
#[test]
fn i10_procedural_threads_partitions_event_lists() {
    let mut first: Option<Vec<(u64, u32)>> = None;
    for ps in [173u32, 4096] {
        let net = hetero_procedural(ps, 5);
        let mut reference: Option<(Vec<(u64, u32)>, u64)> = None;
        for threads in [1usize, 2, 3] {
            let got = spikes_and_hash(&net, threads);
            match &reference {
                None => {
                    assert!(got.0.len() > 1000, "too few spikes: {}", got.0.len());
                    match &first {
                        None => first = Some(got.0.clone()),
                        Some(f) => assert!(&got.0 == f, "partition_size {ps}: spikes differ"),
                    }
                    reference = Some(got);
                }
                Some(r) => {
                    assert!(
                        got.0 == r.0,
                        "partition_size {ps}, {threads} threads: spikes differ"
                    );
                    assert_eq!(
                        got.1, r.1,
                        "partition_size {ps}, {threads} threads: state differs"
                    );
                }
            }
        }
        for cap in [Some(0), Some(3)] {
            let mut sim = Simulation::build(
                &net,
                &BuildOptions {
                    threads: 2,
                    keep_spikes: true,
                    queue_capacity: cap,
                    ..Default::default()
                },
            )
            .unwrap();
            sim.run().unwrap();
            let r = reference.as_ref().unwrap();
            assert!(
                sim.recording.kept == r.0,
                "queue capacity {cap:?}: spikes differ"
            );
            assert_eq!(
                sim.state_hash(),
                r.1,
                "queue capacity {cap:?}: state differs"
            );
        }
    }
}

/// Stored `fixed_outdegree` stores exactly the rows that procedural delivery
/// regenerates, in the same order: the two runs are the same, bit for bit (a check of
/// the whole procedural delivery path: ports by sign, f32 weights, per-synapse delays
/// through the event lists, constant weights by block index).
#[test]
fn i11_stored_and_procedural_fixed_outdegree_runs_are_identical() {
    let text = |storage: &str| {
        hetero_text(200, 3)
            .replace(
                "rule = \"pairwise_bernoulli\"\np = 0.1",
                &format!("rule = \"fixed_outdegree\"\noutdegree = 120\nstorage = \"{storage}\""),
            )
            .replace(
                "rule = \"fixed_total_number\"\nn = 36000",
                &format!("rule = \"fixed_outdegree\"\noutdegree = 30\nstorage = \"{storage}\""),
            )
            .replace(
                "rule = \"fixed_indegree\"\nindegree = 60\nmultapses = false",
                &format!("rule = \"fixed_outdegree\"\noutdegree = 240\nmultapses = false\nstorage = \"{storage}\""),
            )
            .replace(
                "rule = \"fixed_indegree\"\nindegree = 60\n",
                &format!("rule = \"fixed_outdegree\"\noutdegree = 60\nstorage = \"{storage}\"\n"),
            )
    };
    let stored = Network::from_toml_str(&text("stored")).unwrap();
    let procedural = Network::from_toml_str(&text("procedural")).unwrap();
    assert!(
        stored
            .projections
            .iter()
            .all(|p| matches!(p.rule, cortexsim::spec::Rule::FixedOutdegree { .. }))
    );
    let (a, ha) = spikes_and_hash(&stored, 2);
    let (b, hb) = spikes_and_hash(&procedural, 3);
    assert!(a.len() > 1000, "too few spikes: {}", a.len());
    assert!(a == b, "stored and procedural fixed_outdegree runs differ");
    assert_eq!(ha, hb);
}

/// A stored and a procedural realisation of the same network are different networks
/// from the same distribution: their population rates agree within the spread over
/// seeds.
#[test]
fn stored_and_procedural_rates_agree_within_seed_spread() {
    let rates = |net: &Network| {
        let sim = common::run(net, 2);
        let t = net.simulation.t_stop * 1e-3;
        let pop =
            |p: usize| sim.recording.pop_spikes[p] as f64 / (net.populations[p].size as f64 * t);
        [pop(0), pop(1)]
    };
    let seeds = 1..=6u64;
    let st: Vec<[f64; 2]> = seeds.clone().map(|s| rates(&hetero(4096, s))).collect();
    let pr: Vec<[f64; 2]> = seeds.map(|s| rates(&hetero_procedural(4096, s))).collect();
    for (p, name) in ["E", "I"].iter().enumerate() {
        let stat = |x: &[[f64; 2]]| {
            let n = x.len() as f64;
            let m = x.iter().map(|r| r[p]).sum::<f64>() / n;
            let v = x.iter().map(|r| (r[p] - m).powi(2)).sum::<f64>() / (n - 1.0);
            (m, v / n)
        };
        let ((ms, vs), (mp, vp)) = (stat(&st), stat(&pr));
        let se = (vs + vp).sqrt();
        assert!(ms > 1.0, "{name}: stored rate {ms} Hz too low to compare");
        assert!(
            (ms - mp).abs() < 4.0 * se + 0.02 * ms,
            "{name}: stored {ms:.3} Hz, procedural {mp:.3} Hz, standard error {se:.3}"
        );
        eprintln!(
            "{name}: stored {ms:.3} Hz, procedural {mp:.3} Hz (s.e. of the difference {se:.3})"
        );
    }
}
