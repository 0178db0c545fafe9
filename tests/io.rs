//! Output and memory: SONATA round trip, Matrix Market connectivity export, the
//! memory estimate and `--max-memory`.
//!
//! One test binary per area (each binary links the library and HDF5 once);
//! the tests are the modules in `tests/io/`.

mod common;

#[path = "io/sonata.rs"]
mod sonata;

#[path = "io/connectivity_export.rs"]
mod connectivity_export;

#[path = "io/memory.rs"]
mod memory;
