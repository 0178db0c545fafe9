//! cortexsim: sparse spiking-network simulator with exact LIF integration, a mean-field
//! module and data-driven cortex models.
//!
//! Data flow (one way): `spec` (network description, validated) → `engine::Simulation`
//! (partitions, CSR connectivity, ring buffers, random streams; parallel step loop) →
//! `record` / `io::sonata` (spikes, rates, potentials). On the rate side: `models`
//! (generators and rate files) and `meanfield` (reduction of a spiking network) →
//! `rate` (one integrator for all rate networks). `cli` only parses arguments and
//! calls the library.
pub mod analysis;
pub mod cli;
pub mod connect;
pub mod engine;
pub mod error;
pub mod io;
pub mod meanfield;
pub mod models;
pub mod neuron;
#[cfg(feature = "plots")]
pub mod plot;
pub mod rate;
pub mod record;
pub mod spec;
pub mod stimulus;
