//! cortexsim: sparse spiking-network simulator.
pub mod error;
pub mod meanfield;
pub mod models;
#[cfg(feature = "plots")]
pub mod plot;
pub mod rate;
