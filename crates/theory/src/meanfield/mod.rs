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
//! * [`oscillation`]: frequency-resolved stability with delays (roots of
//!   `det(I - N(omega) M(omega))`, Nyquist count): the oscillatory instability;
//! * [`mod@reduce`]: the reduction of a validated spiking [`cortexsim_spec::Network`]
//!   to a [`MeanFieldNetwork`] (in-degrees, delta-equivalent PSP moments,
//!   external drive; what the stationary theory does not cover is refused);
//! * [`rate_model`]: the rate models derived from a [`MeanFieldNetwork`] and run
//!   by [`crate::rate::run`]: the nonlinear Siegert model (NEST `siegert_neuron`)
//!   and the linearised threshold-linear model with `tau_eff` fitted to `|N(omega)|`;
//! * [`conductance`]: the Brunel–Wang (2001) mean field of conductance-based
//!   networks (`iaf_cond_exp`, `iaf_bw_2001`: effective membrane time constant,
//!   NMDA gating of a Poisson train, linearised Mg²⁺ block) and its fixed points;
//! * [`mod@stationary`]: all stationary states of a network file and the primary one
//!   (the comparison with a spiking run is a protocol: `cortexsim_protocols::compare`).
//!
//! Units at every public API: mV (relative to E_L), ms, Hz, pF; derivatives in
//! Hz/mV; angular frequency in rad/s. Internally times are converted to s so
//! that `tau * nu` is dimensionless. Only [`mod@reduce`] and [`mod@stationary`] (on `spec`)
//! and [`rate_model`] (on `rate`) depend on anything outside this module; all
//! public result types are `serde::Serialize` for JSON output.
//!
//! Validation: high-precision fixtures of our own and, in CI, the NNMT test vectors (tests/meanfield/fixtures.rs) and the
//! network tests in tests/meanfield/network.rs.
pub mod conductance;
mod linalg;
pub mod network;
pub mod oscillation;
mod pcf;
mod quad;
pub mod rate_model;
pub mod reduce;
pub mod siegert;
mod solve;
pub mod stationary;
pub mod transfer;
pub use conductance::CondMeanField;
pub use network::{FixedPoint, MeanFieldNetwork, MfInput, MfPopulation, SolverOptions, Stability};
pub use oscillation::{
    CharacteristicRoot, LinearStability, OscillationOptions, linear_stability,
    linear_stability_with,
};
pub use rate_model::{
    LinearisedModel, LowPassFit, fit_low_pass, fit_omegas, fit_transfer_functions,
    linearised_rate_network, mu_step_mv, to_rate_network,
};
pub use reduce::{is_conductance_based, reduce, reduce_conductance, reduce_with_warnings};
pub use siegert::*;
pub use stationary::{StationaryReport, StationaryState, stationary};
pub use transfer::{
    transfer_function, transfer_function_complex, transfer_function_mean_complex,
    transfer_function_variance_complex,
};
