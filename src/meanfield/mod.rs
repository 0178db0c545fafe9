//! Mean-field theory of LIF networks.
mod pcf;
mod quad;
pub mod siegert;
pub mod transfer;
pub use siegert::*;
pub use transfer::transfer_function;
