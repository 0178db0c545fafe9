//! Comparisons with NEST reference runs: single-neuron traces, the Brunel network,
//! the full microcircuit (`#[ignore]`d, slow).
//!
//! One test binary per area (each binary links the library and HDF5 once);
//! the tests are the modules in `tests/reference/`.

mod common;

#[path = "reference/conductance.rs"]
mod conductance;

#[path = "reference/nest_single_neuron.rs"]
mod nest_single_neuron;

#[path = "reference/brunel_vs_nest.rs"]
mod brunel_vs_nest;

#[path = "reference/pd14_full.rs"]
mod pd14_full;
