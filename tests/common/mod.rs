//! Helpers shared by integration tests.
#![allow(dead_code)]
use cortexsim::engine::{BuildOptions, Simulation};
use cortexsim::spec::Network;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run a network to its t_stop with `threads`, keeping all spikes.
pub fn run(net: &Network, threads: usize) -> Simulation {
    let mut sim = Simulation::build(
        net,
        &BuildOptions {
            threads,
            max_memory: None,
            keep_spikes: true,
            ..Default::default()
        },
    )
    .expect("build");
    sim.run().expect("run");
    sim
}

pub fn load(rel: &str, sets: &[&str]) -> Network {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Network::load(&manifest().join(rel), &sets).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The repository's own data directory, `<CARGO_MANIFEST_DIR>/data` (licence-compatible
/// data only; see the PROVENANCE.md of each folder).
pub fn repo_data_dir() -> PathBuf {
    manifest().join("data")
}

/// Data directory: `$CORTEXSIM_DATA` if set and not empty, else the repository's own
/// `data/` ([`repo_data_dir`]); fails loudly, naming the path, if the 29-area data are
/// not there.
pub fn data_dir() -> PathBuf {
    let dir = match std::env::var_os("CORTEXSIM_DATA") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => repo_data_dir(),
    };
    assert!(
        dir.join("markov2014-29areas/fln_29x29.csv").is_file(),
        "macaque data not found in {} (CORTEXSIM_DATA, else the repository's data/)",
        dir.display()
    );
    dir
}

pub fn network(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("networks")
        .join(file)
        .display()
        .to_string()
}

pub fn cortexsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cortexsim"))
        .args(args)
        .env("CORTEXSIM_DATA", data_dir())
        .output()
        .expect("run cortexsim")
}

pub fn json_of(args: &[&str]) -> Value {
    let out = cortexsim(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
