//! cortexsim: sparse spiking-network simulator with exact LIF integration.
//!
//! Data flow (one way): `spec` (network description, validated) → `engine::build`
//! (partitions, CSR connectivity, ring buffers, random streams) → `engine::Simulation`
//! (parallel step loop) → `record` / `io::sonata` (spikes, rates, potentials) →
//! `analysis` (summaries). `cli` only parses arguments and calls the library.
pub mod cli;
pub mod connect;
pub mod engine;
pub mod error;
pub mod io;
pub mod meanfield;
pub mod models;
pub mod neuron;
pub mod rate;
pub mod record;
pub mod spec;
pub mod stimulus;
