//! Helpers shared by integration tests.
#![allow(dead_code)]
use cortexsim::engine::{BuildOptions, Simulation};
use cortexsim::spec::Network;
use std::path::PathBuf;

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
