//! The full Potjans–Diesmann microcircuit (77,169 neurons, 3e8 synapses, ~3 GB) against
//! the published NEST reference rates (INM-6/microcircuit-PD14-model, `full_mean_rates`),
//! within 10% per population. Slow (about 1.5 min on 2 cores): run with
//! `cargo test --release --test reference pd14_full -- --ignored`.

use std::process::Command;

#[test]
#[ignore]
fn pd14_full_scale_rates_match_nest_reference() {
    let net =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("networks/potjans_diesmann2014.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args(["run", net.to_str().unwrap(), "--no-output", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reference = [
        ("L23E", 0.903),
        ("L23I", 2.965),
        ("L4E", 4.414),
        ("L4I", 5.876),
        ("L5E", 7.569),
        ("L5I", 8.633),
        ("L6E", 1.105),
        ("L6I", 7.829),
    ];
    for (pop, r) in reference {
        let ours = j["populations"][pop]["rate_hz"].as_f64().unwrap();
        eprintln!(
            "{pop}: {ours:.3} Hz vs NEST {r} Hz ({:+.1}%)",
            100.0 * (ours / r - 1.0)
        );
        assert!(
            (ours / r - 1.0).abs() < 0.10,
            "{pop}: {ours} Hz vs NEST reference {r} Hz"
        );
    }
}
