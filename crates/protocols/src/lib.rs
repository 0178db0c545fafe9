//! cortexsim protocols: the experiments a user runs, as library functions that the
//! command line, the plots and a Python package all call.
//!
//! * [`compare`]: a spiking run of a network file against its mean-field stationary state
//!   and its derived rate models.
//! * [`run`]: the run of a spiking network — build, warm-up, simulate, event count,
//!   summary, output — as `cortexsim run` reports it.
//! * [`checkpoint`]: what a checkpoint of a run says, and how a run continues from one.
//! * [`raster`]: the populations, neurons and binned rates of a spike raster.
//! * [`pulse`]: response of a population to an input pulse (baseline, peak, noise level,
//!   attenuation), for spiking runs and rate runs alike.
//! * [`pulse::pulse_compare`]: both models of `cortexsim pulse-compare` run and compared
//!   area by area.
//! * [`scan`]: a parameter of a rate model swept up and down (hysteresis, bistability).
//! * [`timescales`]: autocorrelation timescales of a rate model against its hierarchy.
//! * [`task`]: task protocols as data (named epochs with inputs, stimulus sequences), the
//!   mean rate of every population in every epoch, persistent activity in a delay.
//! * [`phase_plane`]: vector field, nullclines and fixed points (with stability) of a
//!   two-variable rate model.
//! * [`trials`]: many trials of a two-choice decision task on a rate model or a spiking
//!   network: accuracy, decision time, pool rates, Weibull fit.
//! * [`inspect`]: a network described without building it (synapses, memory estimate).
//! * [`reports`]: the JSON documents of `meanfield`, `compare` and rate runs.
//! * [`analysis`]: signal analysis of recorded population activity (Welch spectrum, peaks).
//!
//! Protocols that read files and run models report a [`ProtocolError`].
//!
//! Protocols sit above the engine, io, theory and models (docs/ARCHITECTURE.md); nothing
//! below imports them.
pub mod analysis;
pub mod checkpoint;
pub mod compare;
pub mod error;
pub mod inspect;
pub mod phase_plane;
pub mod pulse;
pub mod raster;
pub mod reports;
pub mod run;
pub mod scan;
pub mod task;
pub mod timescales;
pub mod trials;

pub use error::ProtocolError;
