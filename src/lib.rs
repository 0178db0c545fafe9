//! cortexsim: sparse spiking-network simulator with exact LIF integration, a mean-field
//! module and data-driven cortex models.
//!
//! This crate is the façade of the workspace: it re-exports every layer under one name,
//! so `cortexsim::spec::Network`, `cortexsim::engine::Simulation` or
//! `cortexsim::meanfield::siegert` work from one dependency. The layers themselves are
//! crates (`crates/*`), and the compiler keeps their order (docs/ARCHITECTURE.md):
//!
//! ```text
//! core ─► neuron ─► spec ─► engine ─► io
//!                     └───► theory (meanfield, rate) ─► models
//!          engine, io, theory, models ─► protocols ─► plot, CLI (this crate's binary)
//! ```
//!
//! The command line (`src/main.rs`, `src/cli/`) belongs to the binary only: the
//! library has no argument parsing.
pub use cortexsim_core::{error, fmt, reader};
pub use cortexsim_engine as engine;
pub use cortexsim_engine::{connect, record, stimulus};
pub use cortexsim_io as io;
pub use cortexsim_models as models;
pub use cortexsim_neuron as neuron;
#[cfg(feature = "plots")]
pub use cortexsim_plot as plot;
pub use cortexsim_protocols as protocols;
pub use cortexsim_protocols::analysis;
pub use cortexsim_spec as spec;
pub use cortexsim_theory::{meanfield, rate};
