//! Layer 0 of cortexsim: what every other layer needs and nothing else.
//!
//! * [`error`]: [`error::SpecError`] names the offending key
//!   path (`populations[E].params.tau_m`) of any user input.
//! * [`fmt`]: [`fmt::num`], numbers in messages in a short form (never 300 digits).
//! * [`reader`]: the one strict TOML reader of the project — network files, rate files
//!   and generator files are all read through [`reader::Obj`], so every unknown key is
//!   refused with the same "did you mean" rule ([`reader::did_you_mean`]).
//! * [`state`]: the state contract [`state::SaveState`] — every component of a running
//!   simulation writes its state to a byte stream and reads it back.
//!
//! The layers are described in `docs/ARCHITECTURE.md` of the repository.
pub mod error;
pub mod fmt;
pub mod reader;
pub mod state;
