//! Distributed working memory, Mejias & Wang 2022 (`networks/mejias_wang2022.toml`, 29
//! areas, built-in data), run through the task protocol `protocols/wm_visual.toml`
//! (1 s fixation, 0.5 s of 0.3 nA into V1's pool A, 4 s delay; persistent: mean rate of
//! pool A in the last second of the delay above its fixation mean by more than 5 Hz).
//!
//! The published result (SCIENCE.md §10): with J_max = 0.42 nA < 0.4655 nA no isolated
//! area is bistable, yet after the stimulus activity persists in frontal, temporal and
//! parietal areas and not in early sensory areas; with every long-range projection onto
//! the E pools it fails. Each run takes well under a second (release build).

use cortexsim::models::{RateNetworkFile, load_rate_file};
use cortexsim::protocols::task::{self, TaskProtocol, TaskRun};
use std::path::Path;
use toml::{Table, Value};

fn repo(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The shipped network with `model` keys overridden (built-in data).
fn model(sets: &[(&str, Value)], seed: i64) -> RateNetworkFile {
    let mut doc: Table = repo("networks/mejias_wang2022.toml").parse().unwrap();
    let m = doc["model"].as_table_mut().unwrap();
    for (k, v) in sets {
        m.insert(k.to_string(), v.clone());
    }
    doc["simulation"]
        .as_table_mut()
        .unwrap()
        .insert("seed".into(), Value::Integer(seed));
    load_rate_file(&doc, None).unwrap().unwrap()
}

fn protocol(edit: impl Fn(&mut Table)) -> TaskProtocol {
    let mut doc: Table = repo("protocols/wm_visual.toml").parse().unwrap();
    edit(&mut doc);
    task::parse(&doc).unwrap()
}

fn visual() -> TaskProtocol {
    protocol(|_| {})
}

/// The same protocol with the target input sent to `target` (or nowhere).
fn stimulus_to(target: Option<&str>) -> TaskProtocol {
    protocol(|d| {
        let e = d["epochs"].as_array_mut().unwrap()[1]
            .as_table_mut()
            .unwrap();
        match target {
            Some(t) => {
                let inp = e["inputs"].as_array_mut().unwrap()[0]
                    .as_table_mut()
                    .unwrap();
                inp.insert("target".into(), Value::String(t.into()));
            }
            None => {
                e.remove("inputs");
            }
        }
    })
}

fn persistent_areas(r: &TaskRun) -> Vec<String> {
    r.persistence
        .as_ref()
        .unwrap()
        .persistent()
        .iter()
        .map(|p| p.trim_end_matches(".A").to_string())
        .collect()
}

/// Largest rate of any E pool (A or B) in the last epoch.
fn max_e_rate_last_epoch(r: &TaskRun) -> (String, f64) {
    r.epochs
        .last()
        .unwrap()
        .rates
        .iter()
        .filter(|(p, _)| p.ends_with(".A") || p.ends_with(".B"))
        .map(|(p, v)| (p.clone(), v.unwrap()))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
}

const EARLY_SENSORY: [&str; 5] = ["V1", "V2", "V4", "MT", "DP"];
const ASSOCIATION: [&str; 14] = [
    "9/46d", "9/46v", "46d", "8B", "10", "24c", "F7", "STPc", "STPi", "STPr", "TEpd", "7A", "7B",
    "7m",
];

#[test]
fn no_isolated_area_is_bistable() {
    // G = 0: 29 isolated areas (J_s from 0.21 to 0.42 nA); the stimulus into every A pool
    // drives them all, and none stays up.
    let f = model(&[("g", Value::Float(0.0))], 1);
    let r = task::run_task(&f, &stimulus_to(Some("*.A"))).unwrap();
    let target = &r.epochs[1];
    let driven = target
        .rates
        .iter()
        .filter(|(p, v)| p.ends_with(".A") && v.unwrap() > 5.0)
        .count();
    assert_eq!(driven, 29, "the stimulus drives every area");
    assert_eq!(persistent_areas(&r), Vec::<String>::new());
    let (p, v) = max_e_rate_last_epoch(&r);
    assert!(v < 3.0, "{p} at {v} Hz in the delay");
}

#[test]
fn spontaneous_state_is_stable() {
    // No stimulus, OU noise only (sigma 0.005 nA), three seeds: no area ignites.
    for seed in 1..=3 {
        let r = task::run_task(&model(&[], seed), &stimulus_to(None)).unwrap();
        let (p, v) = max_e_rate_last_epoch(&r);
        assert!(v < 2.0, "seed {seed}: {p} at {v} Hz without a stimulus");
        assert!(persistent_areas(&r).is_empty(), "seed {seed}");
    }
}

#[test]
fn delay_activity_is_distributed_over_association_areas_only() {
    for seed in 1..=3 {
        let r = task::run_task(&model(&[], seed), &visual()).unwrap();
        let areas = persistent_areas(&r);
        for a in ASSOCIATION {
            assert!(
                areas.iter().any(|x| x == a),
                "seed {seed}: {a} not in {areas:?}"
            );
        }
        for a in EARLY_SENSORY {
            assert!(
                !areas.iter().any(|x| x == a),
                "seed {seed}: {a} in {areas:?}"
            );
        }
        assert!(
            (18..=23).contains(&areas.len()),
            "seed {seed}: {} areas: {areas:?}",
            areas.len()
        );
        // A gap along the hierarchy: every association area above 10 Hz, every early
        // sensory area below 3 Hz (late delay).
        let p = r.persistence.as_ref().unwrap();
        let rate = |a: &str| {
            p.populations
                .iter()
                .find(|q| q.population == format!("{a}.A"))
                .unwrap()
                .rate_hz
        };
        for a in ASSOCIATION {
            assert!(rate(a) > 10.0, "seed {seed}: {a} {} Hz", rate(a));
        }
        for a in EARLY_SENSORY {
            assert!(rate(a) < 3.0, "seed {seed}: {a} {} Hz", rate(a));
        }
    }
}

#[test]
fn all_long_range_input_onto_excitatory_cells_fails() {
    let f = model(&[("counterstream", Value::Boolean(false))], 1);
    // Without a stimulus, noise alone switches areas on ...
    let r = task::run_task(&f, &stimulus_to(None)).unwrap();
    let (p, v) = max_e_rate_last_epoch(&r);
    assert!(v > 10.0, "spontaneous state survived: max {p} {v} Hz");
    // ... and after the stimulus early sensory areas are up too.
    let r = task::run_task(&f, &visual()).unwrap();
    let areas = persistent_areas(&r);
    assert!(areas.iter().any(|a| a == "V1"), "{areas:?}");
}

#[test]
fn literal_weights_have_no_stable_spontaneous_state() {
    // W = k1 FLN^k2 without normalising the rows (SCIENCE.md addendum).
    let f = model(&[("normalise", Value::String("none".into()))], 1);
    let r = task::run_task(&f, &stimulus_to(None)).unwrap();
    let ignited = r
        .epochs
        .last()
        .unwrap()
        .rates
        .iter()
        .filter(|(p, v)| (p.ends_with(".A") || p.ends_with(".B")) && v.unwrap() > 5.0)
        .count();
    assert!(ignited >= 20, "{ignited} pools ignited by noise alone");
}
