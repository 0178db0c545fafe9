//! The multi-area model generator (`schmidt2018_mam`). Its data set (CC BY-NC-SA 4.0) is
//! not shipped: the tests that read it are `#[ignore]`d and read `$CORTEXSIM_DATA`
//! (`.ci/run` runs them from `../shared/data`, like the NNMT fixtures):
//! `CORTEXSIM_DATA=/abs/path/to/shared/data cargo test --release --test models -- --ignored schmidt2018::mam_`.

use crate::common;
use cortexsim::engine::{BuildOptions, Simulation, memory};
use cortexsim::models::{self, Origin};
use cortexsim::spec::{Dist, Network, Rule, Storage};
use std::path::PathBuf;

/// `$CORTEXSIM_DATA`, which must hold `schmidt2018-mam/` (the ignored tests need it).
fn data() -> PathBuf {
    let d = std::env::var_os("CORTEXSIM_DATA")
        .map(PathBuf::from)
        .expect("set CORTEXSIM_DATA to a directory holding schmidt2018-mam/");
    assert!(
        d.join("schmidt2018-mam/connections.csv").is_file(),
        "schmidt2018-mam not found in {}",
        d.display()
    );
    d
}

fn load(sets: &[&str]) -> Network {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let origin = Origin::resolve(&common::manifest().join("networks/schmidt2018_mam.toml"));
    models::load::load(&origin, &sets, Some(&data()))
        .and_then(|l| l.into_spiking(&origin, "test"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn total_synapses(net: &Network) -> u64 {
    net.projections
        .iter()
        .map(|p| match p.rule {
            Rule::FixedTotalNumber { n } => n,
            _ => panic!("not fixed_total_number"),
        })
        .sum()
}

/// Without the data set the error names the key and says where the data come from.
#[test]
fn missing_data_set_is_a_clear_error() {
    let empty = std::env::temp_dir().join(format!("cortexsim_no_mam_{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let origin = Origin::resolve(&common::manifest().join("networks/schmidt2018_mam.toml"));
    let err = models::load::load(&origin, &[], Some(&empty)).unwrap_err();
    let _ = std::fs::remove_dir_all(&empty);
    assert_eq!(err.path, "model.data");
    assert!(err.msg.contains("schmidt2018-mam"), "{err}");
}

/// The shipped file at 1 %: NEST's 1 % numbers (41,292 neurons, round(K N) synapses),
/// every projection procedural; at full scale with `truncate`, exactly the numbers NEST
/// creates (4,129,924 neurons, 24,126,516,728 synapses), and the memory estimate of
/// the whole model is made without building anything.
#[test]
#[ignore]
fn mam_counts_and_full_scale_estimate() {
    let net = load(&[]);
    assert_eq!(net.populations.len(), 254);
    assert_eq!(net.n_neurons(), 41_292);
    assert_eq!(total_synapses(&net), 241_220_571);
    assert!(
        net.projections
            .iter()
            .all(|p| p.storage == Storage::Procedural)
    );
    assert!(net.projections.iter().all(|p| p.autapses && p.multapses));
    let full = load(&["simulation.scale=1.0", "model.rounding=\"truncate\""]);
    assert_eq!(full.n_neurons(), 4_129_924);
    assert_eq!(total_synapses(&full), 24_126_516_728);
    let e = memory::estimate(&full);
    assert_eq!(e.n_synapses, 24_126_516_728);
    assert_eq!(e.synapses, 0, "procedural synapses cost nothing");
    assert!(e.stored_equivalent > 100 << 30, "{}", e.stored_equivalent);
    // The whole model fits in 20 GiB: event lists for the spikes in flight, no rings
    // sized by the largest delay (62.9 ms) × 4.1 million neurons.
    assert!(e.total <= 20 << 30, "{}", e.detail());
    assert_eq!(e.ring_buffers, 0, "every population has per-synapse delays");
    eprintln!("full scale: estimate {}", e.detail());
}

/// Weights and delays follow the data set's rules; the metastable state changes only
/// the cortico-cortical weights, and gives the data set's own metastable columns.
#[test]
#[ignore]
fn mam_weights_delays_and_states() {
    let data =
        cortexsim::models::schmidt2018::MamData::load(&data().join("schmidt2018-mam")).unwrap();
    let ground = load(&[]);
    let meta = load(&["model.state=\"metastable\""]);
    let chi = load(&["model.chi=1.9", "model.chi_i=2.0"]);
    assert_eq!(meta, chi, "state = metastable is chi = 1.9, chi_i = 2");
    let names: Vec<String> = data
        .populations
        .iter()
        .map(cortexsim::models::schmidt2018::pop_name)
        .collect();
    let mut checked = 0;
    for c in &data.connections {
        let (s, t) = (
            ground.pop_index(&names[c.source]).unwrap(),
            ground.pop_index(&names[c.target]).unwrap(),
        );
        let Some(i) = ground
            .projections
            .iter()
            .position(|p| p.source == s && p.target == t)
        else {
            continue; // no synapse at this scale
        };
        let (g, m) = (&ground.projections[i], &meta.projections[i]);
        let Dist::Normal {
            mean,
            std,
            min,
            max,
        } = g.weight
        else {
            panic!("weight not normal")
        };
        assert_eq!((mean, std), (c.w_mean, c.w_sd));
        if c.w_sign > 0.0 {
            assert_eq!((min, max), (0.0, f64::INFINITY));
        } else {
            assert_eq!((min, max), (f64::NEG_INFINITY, 0.0));
        }
        let Dist::Normal {
            mean: mm, std: ms, ..
        } = m.weight
        else {
            panic!("weight not normal")
        };
        let rel = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
        assert!(
            rel(mm, c.w_mean_metastable) && rel(ms, c.w_sd_metastable),
            "{c:?}"
        );
        if !c.cortico_cortical {
            assert_eq!((mm, ms), (mean, std));
        }
        let Dist::Normal {
            mean: dm,
            std: ds,
            min: dmin,
            ..
        } = g.delay
        else {
            panic!("delay not normal")
        };
        assert_eq!((dm, ds, dmin), (c.delay_mean, c.delay_sd, 0.1));
        checked += 1;
    }
    assert!(checked > 7900, "{checked} projections checked");
}

/// A small scale runs, and its spikes do not depend on the thread count.
#[test]
#[ignore]
fn mam_small_scale_runs_and_is_thread_invariant() {
    let net = load(&["simulation.scale=0.002", "simulation.t_stop=60.0"]);
    let mut runs = Vec::new();
    for threads in [1, 2] {
        let mut sim = Simulation::build(
            &net,
            &BuildOptions {
                threads,
                keep_spikes: true,
                ..Default::default()
            },
        )
        .unwrap();
        sim.run().unwrap();
        runs.push(sim.recording.kept.clone());
    }
    assert!(runs[0].len() > 100, "{} spikes", runs[0].len());
    assert!(runs[0] == runs[1], "spikes differ between 1 and 2 threads");
}
