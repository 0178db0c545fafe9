//! Output and memory: SONATA round trip, Matrix Market connectivity export, output
//! safety (signals, full disks, a second writer), the memory estimate and `--max-memory`.
//!
//! One test binary per area (each binary links the library and HDF5 once);
//! the tests are the modules in `tests/io/`.

mod common;

#[path = "io/sonata.rs"]
mod sonata;

#[path = "io/connectivity_export.rs"]
mod connectivity_export;

#[path = "io/output_safety.rs"]
mod output_safety;

#[path = "io/memory.rs"]
mod memory;
