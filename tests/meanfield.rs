//! Mean-field theory: transfer-function fixtures, network fixed points and
//! stability, oscillatory instability, derived rate models, spiking vs mean field.
//!
//! One test binary per area (each binary links the library and HDF5 once);
//! the tests are the modules in `tests/meanfield/`.

mod common;

#[path = "meanfield/fixtures.rs"]
mod fixtures;

#[path = "meanfield/network.rs"]
mod network;

#[path = "meanfield/oscillatory.rs"]
mod oscillatory;

#[path = "meanfield/rate_model.rs"]
mod rate_model;

#[path = "meanfield/compare.rs"]
mod compare;

#[path = "meanfield/conductance.rs"]
mod conductance;

#[path = "meanfield/spiking_vs_rate.rs"]
mod spiking_vs_rate;
