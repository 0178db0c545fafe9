//! cortexsim: sparse spiking-network simulator.
pub mod error;
pub mod meanfield;
pub mod models;
pub mod rate;
