//! Engine tests: exact integration (analytic solutions), invariance under threads,
//! partitions and chunking, connection-rule, Poisson and noise statistics, config fuzzing.
//!
//! One test binary per area (each binary links the library and HDF5 once);
//! the tests are the modules in `tests/engine/`.

mod common;

#[path = "engine/analytic.rs"]
mod analytic;

#[path = "engine/invariance.rs"]
mod invariance;

#[path = "engine/connect_stats.rs"]
mod connect_stats;

#[path = "engine/poisson_stats.rs"]
#[allow(clippy::needless_range_loop)] // histogram bins indexed as in the formulas
mod poisson_stats;

#[path = "engine/noise_stats.rs"]
mod noise_stats;

#[path = "engine/fuzz_config.rs"]
#[allow(clippy::collapsible_if)]
mod fuzz_config;

#[path = "engine/ranks.rs"]
mod ranks;

#[path = "engine/from_list.rs"]
mod from_list;

#[path = "engine/spike_sources.rs"]
mod spike_sources;

#[path = "engine/control.rs"]
mod control;

#[path = "engine/current_stimuli.rs"]
mod current_stimuli;
