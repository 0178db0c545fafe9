//! The error of user input: [`SpecError`] names the offending key path of a network, rate or
//! generator file (build and simulation errors belong to the engine: `BuildError`, `SimError`).
use thiserror::Error;

/// A problem with the user's network description: `path` names the offending key
/// (e.g. `projections[3].delay`, `populations[E].params.tau_m`).
#[derive(Debug, Clone, Error, PartialEq)]
#[error("{path}: {msg}")]
pub struct SpecError {
    pub path: String,
    pub msg: String,
}

impl SpecError {
    pub fn new(path: impl Into<String>, msg: impl Into<String>) -> Self {
        SpecError {
            path: path.into(),
            msg: crate::fmt::shorten_numbers(&msg.into()),
        }
    }
}
