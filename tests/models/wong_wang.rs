//! The Wong & Wang (2006) reduction (`networks/wong_wang2006.toml`): its fixed points
//! against an independent mpmath computation, the `[trials]` table, the psychometric and
//! chronometric behaviour of `trials` on it (the fast CI version of the README's curve),
//! and `trials` on a spiking stand-in network.

use crate::common::{cortexsim, json_of, manifest, network};
use cortexsim::models::load::{Origin, load, overridden_table};
use cortexsim::models::task;
use cortexsim::protocols::phase_plane::{PhasePlaneOptions, phase_plane};
use cortexsim::protocols::trials::{TrialsOptions, trials};
use serde_json::Value;

fn ww_origin() -> Origin {
    Origin::File(manifest().join("networks/wong_wang2006.toml"))
}

/// Every fixed point of the fixture (scripts/gen_wong_wang_fixture.py: mpmath Newton
/// from a 25 × 25 grid, 40 digits, the paper's equations in seconds) is found by
/// `phase_plane` on the network file, at 1e-9, with the same stability and kind, and no
/// other: no stimulus (spontaneous, two memory states, two saddles), the stimulus on at
/// c' = 0 (symmetric saddle, two decision states) and at c' = 6.4 %.
#[test]
fn fixed_points_match_the_independent_computation() {
    let text = std::fs::read_to_string(
        manifest().join("tests/data/fixtures/wong_wang2006_fixed_points.json"),
    )
    .unwrap();
    let fx: Value = serde_json::from_str(&text).unwrap();
    let cases = fx["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let c = case["coherence"].as_f64().unwrap();
        let mu0 = case["mu0_hz"].as_f64().unwrap();
        let mut doc = overridden_table(&ww_origin(), &[]).unwrap();
        let spec = task::trials_spec(&doc).unwrap().unwrap();
        let sets = task::coherence_sets(&doc, &spec, c).unwrap();
        cortexsim::spec::overrides::apply_all(&mut doc, &sets).unwrap();
        let f = match cortexsim::models::load::load_table(&doc, None).unwrap() {
            cortexsim::models::Loaded::Rate(f) => f,
            _ => panic!("not a rate file"),
        };
        let at = case["at_ms"].as_f64().unwrap();
        // The fixture's mu0 = 30 Hz is the file's stimulus (J_A,ext mu0 = 0.0156 nA).
        assert!(
            mu0 == 0.0
                || (f.net.schedules[0].amplitude[0] - 5.2e-4 * mu0 * (1.0 + c / 100.0)).abs()
                    < 1e-15
        );
        let pp = phase_plane(
            &f.net,
            &PhasePlaneOptions {
                t_ms: at,
                ..Default::default()
            },
        )
        .unwrap();
        let want = case["fixed_points"].as_array().unwrap();
        assert_eq!(
            pp.fixed_points.len(),
            want.len(),
            "{}: {:?}",
            case["case"],
            pp.fixed_points
        );
        for (got, w) in pp.fixed_points.iter().zip(want) {
            let (s1, s2) = (w["S1"].as_f64().unwrap(), w["S2"].as_f64().unwrap());
            assert!(
                (got.state[0] - s1).abs() < 1e-9 && (got.state[1] - s2).abs() < 1e-9,
                "{}: {:?} vs ({s1}, {s2})",
                case["case"],
                got.state
            );
            assert_eq!(got.stable, w["stable"].as_bool().unwrap());
            assert_eq!(got.kind == "saddle", w["saddle"].as_bool().unwrap());
            let ev = w["eigenvalues_per_s"].as_array().unwrap();
            for (g, e) in got.eigenvalues.iter().zip(ev) {
                let (re, im) = (e[0].as_f64().unwrap(), e[1].as_f64().unwrap());
                assert!(
                    (g.0 - re).abs() < 1e-4 * re.abs().max(1.0)
                        && (g.1.abs() - im.abs()).abs() < 1e-4,
                    "{}: eigenvalue {g:?} vs ({re}, {im})",
                    case["case"]
                );
            }
        }
    }
}

/// The stable points are where the rate integrator goes: without noise, started next to
/// each stable fixed point (no stimulus), a 3 s run ends on it.
#[test]
fn the_integrator_settles_on_the_stable_points() {
    let f = load(&ww_origin(), &[], None)
        .unwrap()
        .into_rate(&ww_origin(), "test")
        .unwrap();
    let pp = phase_plane(&f.net, &PhasePlaneOptions::default()).unwrap();
    let stable: Vec<_> = pp.fixed_points.iter().filter(|p| p.stable).collect();
    assert_eq!(stable.len(), 3);
    for p in stable {
        let mut net = f.net.clone();
        net.noise = None;
        net.schedules.clear();
        for k in 0..2 {
            net.pops[k].r0_hz = p.state[k] + 0.01;
        }
        let run = cortexsim::rate::run(&net, &cortexsim::rate::RunOpts::new(0.1, 3000.0)).unwrap();
        for k in 0..2 {
            let end = *run.rates[k].last().unwrap();
            assert!(
                (end - p.state[k]).abs() < 1e-4,
                "{:?}: ends at {end}",
                p.state
            );
        }
    }
}

#[test]
fn phase_plane_json_names_the_variables() {
    let j = json_of(&[
        "phase-plane",
        &network("wong_wang2006.toml"),
        "--coherence",
        "0",
        "--json",
    ]);
    let fps = j["fixed_points"].as_array().unwrap();
    assert_eq!(fps.len(), 3);
    assert_eq!(j["t_ms"], 500.0);
    let saddle = &fps[1];
    assert_eq!(saddle["stable"], false);
    assert!((saddle["S1"].as_f64().unwrap() - saddle["S2"].as_f64().unwrap()).abs() < 1e-12);
    // A spiking network is refused with a message, not a panic.
    let out = cortexsim(&["phase-plane", &network("brunel2000.toml")]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("two-variable"));
}

/// The `[trials]` table is checked with key paths, and every command accepts a file
/// that has one.
#[test]
fn trials_table_errors_name_the_key() {
    let err = |set: &str| {
        load(&ww_origin(), &[set.to_string()], None)
            .unwrap_err()
            .to_string()
    };
    assert!(err("trials.pools=[\"S1\", \"S3\"]").contains("trials.pools[1]"));
    assert!(
        err("trials.stimulus=[\"stimuli.motion_1.amplitude\", \"stimuli.nope.amplitude\"]")
            .contains("trials.stimulus[1]")
    );
    assert!(err("trials.threshold=0").contains("trials.threshold"));
    assert!(err("trials.treshold=1").contains("threshold"));
    let sp = Origin::File(manifest().join("tests/data/decision/standin_spiking.toml"));
    assert!(load(&sp, &[], None).is_ok());
    let e = load(&sp, &["trials.pools=[\"A\", \"C\"]".into()], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("trials.pools[1]"), "{e}");
}

/// The fast version of the README's curve: 200 trials per coherence of the reduced
/// model (a few seconds). Accuracy ≥ 0.9 at 51.2 %, within [0.35, 0.65] at 0, the
/// Weibull α within a factor 1.5 of Wong & Wang's 7.2 % (and of Wang 2002's 9.2 %),
/// decision time falling with coherence; the same numbers on 1 and 2 threads.
#[test]
fn reduced_model_psychometric_and_chronometric_curves() {
    let doc = overridden_table(&ww_origin(), &[]).unwrap();
    let coh = vec![0.0, 3.2, 6.4, 12.8, 25.6, 51.2];
    let mut opts = TrialsOptions::new(coh.clone(), 200);
    opts.threads = 2;
    let r = trials(&doc, None, &opts).unwrap();
    assert_eq!(r.model, "rate");
    let acc: Vec<f64> = r.results.iter().map(|c| c.accuracy).collect();
    let dt: Vec<f64> = r.results.iter().map(|c| c.decision_time_ms).collect();
    assert!(acc[5] >= 0.9, "{acc:?}");
    assert!((0.35..=0.65).contains(&acc[0]), "{acc:?}");
    let w = r.weibull.unwrap();
    for published in [7.2, 9.2] {
        assert!(
            w.alpha > published / 1.5 && w.alpha < published * 1.5,
            "alpha {} vs {published}",
            w.alpha
        );
    }
    assert!(dt[5] < dt[3] && dt[3] < dt[0], "{dt:?}");
    assert!(r.results.iter().all(|c| c.decided == 200));
    // Winner-take-all: at the end the winner fires far above the loser.
    for c in &r.results {
        assert!(c.winner_hz.last().unwrap() > &20.0 && c.loser_hz.last().unwrap() < &5.0);
    }
    // Deterministic and independent of the thread count.
    let mut small = TrialsOptions::new(vec![0.0, 12.8], 16);
    small.threads = 1;
    let a = trials(&doc, None, &small).unwrap();
    small.threads = 2;
    let b = trials(&doc, None, &small).unwrap();
    for (x, y) in a.results.iter().zip(&b.results) {
        assert_eq!(x.correct, y.correct);
        assert_eq!(x.decision_time_ms.to_bits(), y.decision_time_ms.to_bits());
        assert_eq!(x.winner_hz, y.winner_hz);
    }
}

/// `trials` on a spiking network (a current-based stand-in with two pools and a shared
/// inhibitory pool, tests/data/decision/standin_spiking.toml): the pools' binned rates
/// decide, the strongly favoured pool wins, the JSON has the documented keys.
#[test]
fn trials_on_a_spiking_network() {
    let path = manifest().join("tests/data/decision/standin_spiking.toml");
    let j = json_of(&[
        "trials",
        path.to_str().unwrap(),
        "--coherence",
        "0,51.2",
        "--trials",
        "12",
        "--threads",
        "2",
        "--json",
    ]);
    assert_eq!(j["model"], "spiking");
    assert_eq!(j["coherence"], serde_json::json!([0.0, 51.2]));
    assert_eq!(j["window_ms"], 50.0);
    let acc = j["accuracy"].as_array().unwrap();
    assert!(acc[1].as_f64().unwrap() >= 0.9, "{j}");
    assert!(j["decision_time_ms"][1].as_f64().unwrap() >= 0.0);
    assert!(j["weibull"]["alpha"].is_number() && j["weibull"]["beta"].is_number());
    // --pools overrides the file, and a wrong one is named.
    let out = cortexsim(&[
        "trials",
        path.to_str().unwrap(),
        "--pools",
        "A,X",
        "--trials",
        "1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("`X`"));
    // A file without a task and no options says what is missing.
    let out = cortexsim(&["trials", &network("brunel2000.toml"), "--trials", "1"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--pools"));
}
