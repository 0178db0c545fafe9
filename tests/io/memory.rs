//! M1/M2 of RELIABILITY.md: the memory estimate made before building is within
//! [0.8, 1.25] of the peak RSS a run measures (each run in its own process), and
//! `--max-memory` below the estimate refuses the network before allocating (exit 5).

use crate::common;
use std::process::Command;

fn run_json(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn m1_estimate_matches_measured_peak() {
    let dir = tempfile::tempdir().unwrap();
    let h5 = dir.path().join("m.h5");
    let h5 = h5.to_str().unwrap();
    let m = common::manifest();
    let net = |f: &str| m.join("networks").join(f).to_string_lossy().to_string();
    let cases: Vec<Vec<String>> = vec![
        vec![
            net("vogels_abbott_cuba.toml"),
            "--t-stop".into(),
            "50".into(),
        ],
        vec![
            net("brunel2000.toml"),
            "--t-stop".into(),
            "50".into(),
            "--set".into(),
            "populations.E.size=1000".into(),
            "--set".into(),
            "populations.I.size=250".into(),
        ],
        vec![net("brunel2000.toml"), "--t-stop".into(), "100".into()],
        vec![
            net("brunel2000_si_fast.toml"),
            "--t-stop".into(),
            "50".into(),
        ],
        vec![
            net("potjans_diesmann2014.toml"),
            "--t-stop".into(),
            "20".into(),
            "--set".into(),
            "simulation.scale=0.05".into(),
        ],
    ];
    for c in cases {
        let mut args: Vec<&str> = vec!["run"];
        args.extend(c.iter().map(|s| s.as_str()));
        args.extend(["--json", "--out", h5, "--overwrite", "--threads", "2"]);
        let j = run_json(&args);
        let est = j["memory_bytes"]["estimate"].as_f64().unwrap();
        let peak = j["memory_bytes"]["peak_rss"].as_f64().unwrap();
        let ratio = peak / est;
        eprintln!(
            "{:?}: estimate {:.1} MB, peak {:.1} MB, ratio {ratio:.3}",
            &c[..1],
            est / 1e6,
            peak / 1e6
        );
        assert!(
            (0.8..=1.25).contains(&ratio),
            "{c:?}: peak RSS {peak} vs estimate {est} (ratio {ratio:.3})"
        );
    }
}

#[test]
fn m2_max_memory_refuses_before_allocating() {
    let net = common::manifest().join("networks/potjans_diesmann2014.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args([
            "run",
            net.to_str().unwrap(),
            "--no-output",
            "--max-memory",
            "500M",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "exit code");
    let err = String::from_utf8_lossy(&out.stderr);
    // --no-output: the estimate without the output file's per-population costs.
    let est = cortexsim::engine::memory::estimate_with(
        &cortexsim::spec::Network::load(&net, &[]).unwrap(),
        false,
    );
    let needs = format!(
        "needs about {}",
        cortexsim::engine::memory::human(est.total)
    );
    assert!(
        err.contains(&needs) && err.contains("GiB") && err.contains("298880968 synapses"),
        "message should say \"{needs}\": {err}"
    );
    assert!(!err.contains("panicked"));
}
