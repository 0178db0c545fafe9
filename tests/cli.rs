//! The binary's command lines: the bad-input matrix, the rate commands and the plots.
//!
//! One test binary per area (each binary links the library and HDF5 once);
//! the tests are the modules in `tests/cli/`.

mod common;

#[path = "cli/bad_input.rs"]
mod bad_input;

#[path = "cli/checkpoint.rs"]
mod checkpoint;

#[path = "cli/cli_rate.rs"]
mod cli_rate;

#[path = "cli/plots_cli.rs"]
mod plots_cli;

/// Only with `--features mpi`, and `mpirun` on the PATH (`scripts/test_mpi.sh`).
#[cfg(feature = "mpi")]
#[path = "cli/mpi.rs"]
mod mpi;
