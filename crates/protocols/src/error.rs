//! The error of the protocols that read files and run models ([`crate::scan`],
//! [`crate::timescales`], [`crate::pulse`], [`crate::inspect`]): each variant says what
//! went wrong in a way a caller can map to its own convention (the CLI: exit code 3 for
//! [`ProtocolError::Spec`], [`ProtocolError::Invalid`] and
//! [`ProtocolError::UnknownPopulation`], 4 for [`ProtocolError::Runtime`] and
//! simulation failures, 5 for out-of-memory builds).

use cortexsim_core::error::SpecError;
use cortexsim_engine::{BuildError, SimError};
use cortexsim_theory::rate::RateError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ProtocolError {
    /// An invalid network or rate file (after overrides).
    #[error("{0}")]
    Spec(#[from] SpecError),
    /// Inputs that do not fit the protocol (no pulse, no shared population, ...).
    #[error("{0}")]
    Invalid(String),
    /// A population selection names no population; `option` is the caller's name for
    /// the selection (the CLI's flag, e.g. `--pop`).
    #[error("{option}: no population `{name}`")]
    UnknownPopulation { option: &'static str, name: String },
    /// A model that could not be run to the end (a rate that diverged).
    #[error("{0}")]
    Runtime(String),
    #[error("{0}")]
    Build(#[from] BuildError),
    #[error("{0}")]
    Sim(#[from] SimError),
    /// Another error, with what the protocol was doing (e.g. `model.mu_ee = 30`).
    #[error("{context}: {source}")]
    Context {
        context: String,
        source: Box<ProtocolError>,
    },
}

impl From<RateError> for ProtocolError {
    fn from(e: RateError) -> Self {
        match e {
            RateError::Spec(s) => ProtocolError::Spec(s),
            d @ RateError::Diverged { .. } => ProtocolError::Runtime(d.to_string()),
        }
    }
}

impl ProtocolError {
    /// This error with `context` in front of it.
    pub fn context(self, context: impl Into<String>) -> ProtocolError {
        ProtocolError::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }
}
