//! cortexsim theory: transfer functions and mean-field theory of LIF networks
//! ([`meanfield`]), the one integrator of rate networks ([`rate`]) and psychometric
//! functions of two-choice tasks ([`psychometric`]: the Weibull fit); the agreement of two
//! binary classifications ([`contingency`]: 2×2 table, χ², Fisher's exact test).
//!
//! This crate depends on the network description (`cortexsim-spec`) and never on the
//! engine: the reduction of a spiking network reads the same validated
//! [`cortexsim_spec::Network`] the engine builds from (docs/ARCHITECTURE.md).
pub mod contingency;
pub mod meanfield;
pub mod psychometric;
pub mod rate;
