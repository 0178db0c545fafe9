//! Rate integrator and cortex models: rate-file loading, the 29-area generators
//! (rate and spiking), Mejias-Wang local circuit, model plots.
//!
//! One test binary per area (each binary links the library and HDF5 once);
//! the tests are the modules in `tests/models/`.

mod common;

#[path = "models/rate_integrator.rs"]
mod rate_integrator;

#[path = "models/files.rs"]
mod files;

#[path = "models/large_scale.rs"]
mod large_scale;

#[path = "models/joglekar_spiking.rs"]
mod joglekar_spiking;

#[path = "models/mejias_wang.rs"]
mod mejias_wang;

#[path = "models/plots.rs"]
mod plots;

#[path = "models/mejias_wang2022.rs"]
mod mejias_wang2022;

#[path = "models/task_protocol.rs"]
mod task_protocol;
#[path = "models/wong_wang.rs"]
mod wong_wang;

#[path = "models/schmidt2018.rs"]
mod schmidt2018;

#[path = "models/froudist_walsh2021.rs"]
mod froudist_walsh2021;
