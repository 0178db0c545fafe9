//! The default network against NEST 3.10 (reference from `scripts/nest_brunel_reference.py`,
//! 3 seeds, in tests/data/nest/brunel2000_reference.json): full size, 1 s, same statistics
//! rules. Rates within 5% of NEST's mean; the ISI CV within 0.05 of NEST's (the network
//! fires regularly in NEST too: CV ≈ 0.18); every neuron active; spike file = summary.

use crate::common;
use std::process::Command;

#[test]
fn brunel2000_matches_nest() {
    let refj: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            common::manifest().join("tests/data/nest/brunel2000_reference.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let runs = refj["runs"].as_array().unwrap();
    let mean =
        |k: &str| runs.iter().map(|r| r[k].as_f64().unwrap()).sum::<f64>() / runs.len() as f64;
    let (nest_e, nest_i, nest_cv) = (mean("rate_E_hz"), mean("rate_I_hz"), mean("cv_isi_E_mean"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.h5");
    let net = common::manifest().join("networks/brunel2000.toml");
    let o = Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args([
            "run",
            net.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--json",
            "--threads",
            "2",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let e = &j["populations"]["E"];
    let (re, ri) = (
        e["rate_hz"].as_f64().unwrap(),
        j["populations"]["I"]["rate_hz"].as_f64().unwrap(),
    );
    let cv = e["cv_isi"].as_f64().unwrap();
    eprintln!(
        "cortexsim E {re:.3} Hz, I {ri:.3} Hz, CV {cv:.3}; NEST E {nest_e:.3}, I {nest_i:.3}, CV {nest_cv:.3}"
    );
    assert!(
        (re / nest_e - 1.0).abs() < 0.05,
        "E rate {re} vs NEST {nest_e}"
    );
    assert!(
        (ri / nest_i - 1.0).abs() < 0.05,
        "I rate {ri} vs NEST {nest_i}"
    );
    assert!(
        (cv - nest_cv).abs() < 0.05,
        "E ISI CV {cv} vs NEST {nest_cv}"
    );
    assert_eq!(e["active_fraction"].as_f64(), Some(1.0));
    let f = hdf5::File::open(&out).unwrap();
    let n: usize = ["E", "I"]
        .iter()
        .map(|p| f.dataset(&format!("spikes/{p}/node_ids")).unwrap().size())
        .sum();
    let total = e["spikes"].as_u64().unwrap() + j["populations"]["I"]["spikes"].as_u64().unwrap();
    assert_eq!(n as u64, total, "spikes in the file vs the summary");
}
