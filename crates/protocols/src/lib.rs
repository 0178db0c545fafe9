//! cortexsim protocols: the experiments a user runs, as library functions that the
//! command line, the plots and a Python package all call.
//!
//! * [`compare`]: a spiking run of a network file against its mean-field stationary state
//!   and its derived rate models.
//! * [`run`]: the run of a spiking network — build, warm-up, simulate, event count,
//!   summary, output — as `cortexsim run` reports it.
//! * [`analysis`]: signal analysis of recorded population activity (Welch spectrum, peaks).
//!
//! Protocols sit above the engine, io, theory and models (docs/ARCHITECTURE.md); nothing
//! below imports them.
pub mod analysis;
pub mod compare;
pub mod run;
