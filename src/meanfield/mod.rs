//! Mean-field theory of networks of leaky integrate-and-fire (LIF) neurons.
//!
//! What this module owns (formulas and sources in each file's docs):
//! * [`mod@siegert`]: stationary rate `Phi(mu, sigma)` (Siegert formula,
//!   overflow-free), Fourcaud–Brunel shift for exponential synapses, the
//!   derivatives `dPhi/dmu`, `dPhi/dsigma` and the ISI CV (Brunel 2000 eq. 22);
//! * [`transfer`]: the dynamic transfer function `N(omega)` (Schuecker et al.
//!   2015 / NNMT) via scaled parabolic cylinder functions of complex order
//!   (private `pcf`);
//! * [`network`]: [`MeanFieldNetwork`] (populations, in-degrees, PSP moments,
//!   external drive), input statistics `mu, sigma`, fixed points by relaxation
//!   + Newton, effective connectivity, eigenvalues and stability;
//! * [`mod@reduce`]: the reduction of a validated spiking [`crate::spec::Network`]
//!   to a [`MeanFieldNetwork`] (in-degrees, delta-equivalent PSP moments,
//!   external drive; what the stationary theory does not cover is refused);
//! * [`mod@compare`]: the primary stationary state of a network file and its
//!   comparison with a spiking simulation of the same file.
//!
//! Units at every public API: mV (relative to E_L), ms, Hz, pF; derivatives in
//! Hz/mV; angular frequency in rad/s. Internally times are converted to s so
//! that `tau * nu` is dimensionless. Only [`mod@reduce`] (on `spec`) and
//! [`mod@compare`] (on `spec` and `engine`) depend on the rest of the crate; all
//! public result types are `serde::Serialize` for JSON output.
//!
//! Validation: NNMT test vectors (tests/meanfield_fixtures.rs) and the
//! network tests in tests/meanfield_network.rs.
pub mod compare;
mod linalg;
pub mod network;
mod pcf;
mod quad;
pub mod reduce;
pub mod siegert;
pub mod transfer;
pub use compare::{CompareOptions, Comparison, StationaryReport, compare, stationary};
pub use network::{FixedPoint, MeanFieldNetwork, MfInput, MfPopulation, SolverOptions, Stability};
pub use reduce::{reduce, reduce_with_warnings};
pub use siegert::*;
pub use transfer::transfer_function;
