//! The primary stationary state of a network file.
//!
//! [`stationary`] reduces the network ([`super::reduce()`]), finds all fixed
//! points with the default [`SolverOptions`] (sorted by increasing mean rate)
//! and their linear stability. The **primary** state is the stable, converged
//! fixed point with the lowest mean rate (the state a network started from rest
//! settles in when several are stable); if no converged state is stable, the
//! lowest-rate converged one (with `stable = false`); if none converged, the
//! lowest-rate candidate. A warning says when the primary state is unstable or
//! unconverged.
//!
//! A network with conductance-based populations is reduced by
//! [`super::reduce::reduce_conductance`] and solved by [`super::conductance`]
//! (Brunel & Wang 2001): the states and their stability are the conductance
//! network's; the report's `network` is the effective current-based network
//! linearised at the primary state.

use super::network::{FixedPoint, MeanFieldNetwork, SolverOptions, Stability};
use super::reduce::{is_conductance_based, reduce_conductance, reduce_with_warnings};
use cortexsim_core::error::SpecError;
use cortexsim_spec::Network;
use serde::Serialize;

/// A fixed point with its stability.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StationaryState {
    #[serde(flatten)]
    pub fixed_point: FixedPoint,
    pub stability: Stability,
}

/// All stationary states of a reduced network and the primary one (module docs).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StationaryReport {
    pub network: MeanFieldNetwork,
    /// Sorted by increasing mean rate; never empty.
    pub states: Vec<StationaryState>,
    /// Index of the primary state in `states`.
    pub primary: usize,
    /// Approximations in force and remarks on the primary state.
    pub warnings: Vec<String>,
}

impl StationaryReport {
    /// The primary stationary state.
    pub fn primary(&self) -> &StationaryState {
        &self.states[self.primary]
    }

    /// Population names, in network order.
    pub fn names(&self) -> Vec<&str> {
        self.network.pops.iter().map(|p| p.name.as_str()).collect()
    }
}

/// Reduce `net` and solve for its stationary states (module docs). Errors are
/// those of the reduction: inputs the stationary theory does not cover.
pub fn stationary(net: &Network) -> Result<StationaryReport, SpecError> {
    if is_conductance_based(net) {
        return stationary_conductance(net);
    }
    let (mf, warnings) = reduce_with_warnings(net)?;
    let states: Vec<StationaryState> = mf
        .fixed_points(&SolverOptions::default())
        .into_iter()
        .map(|fp| StationaryState {
            stability: mf.stability(&fp),
            fixed_point: fp,
        })
        .collect();
    report(mf, states, warnings, None)
}

/// [`stationary`] of a conductance-based network: the Brunel–Wang fixed points
/// ([`super::conductance`]), their stability from the conductance network's own
/// Jacobian, and as `network` the effective current-based network linearised at
/// the primary state (a warning says so).
fn stationary_conductance(net: &Network) -> Result<StationaryReport, SpecError> {
    let (cm, mut warnings) = reduce_conductance(net)?;
    let states: Vec<StationaryState> = cm
        .fixed_points(&SolverOptions::default())
        .into_iter()
        .map(|fp| StationaryState {
            stability: cm.stability(&fp.rates_hz),
            fixed_point: fp,
        })
        .collect();
    if states.is_empty() {
        panic!("fixed_points returned no candidate");
    }
    let primary = primary_index(&states);
    let rates = &states[primary].fixed_point.rates_hz;
    for (a, p) in cm.pops.iter().enumerate() {
        let (j, what) = cm.largest_jump(a, rates);
        let gap = p.v_th_mv - p.v_reset_mv;
        if j > 0.2 * gap {
            warnings.push(format!(
                "{}: the input {what} moves the membrane by {j:.3} mV per spike (delta-equivalent, at the mean potential), more than 20% of V_th - V_reset = {gap} mV: the diffusion approximation of the mean field does not hold and its rates are not reliable",
                p.name
            ));
        }
    }
    let mf = cm.effective_network(rates);
    warnings.push(
        "the oscillatory analysis and derived rate models use the effective current-based network linearised at the primary state (tau_eff and driving forces frozen)".to_string(),
    );
    report(mf, states, warnings, Some(primary))
}

fn primary_index(states: &[StationaryState]) -> usize {
    states
        .iter()
        .position(|s| s.fixed_point.converged && s.stability.stable)
        .or_else(|| states.iter().position(|s| s.fixed_point.converged))
        .unwrap_or(0)
}

fn report(
    mf: MeanFieldNetwork,
    states: Vec<StationaryState>,
    mut warnings: Vec<String>,
    primary: Option<usize>,
) -> Result<StationaryReport, SpecError> {
    if states.is_empty() {
        // fixed_points keeps unconverged candidates when nothing converged, and
        // the default options have initial conditions: this is a broken invariant.
        panic!("fixed_points returned no candidate");
    }
    let primary = primary.unwrap_or_else(|| primary_index(&states));
    let p = &states[primary];
    if !p.fixed_point.converged {
        warnings.push(format!(
            "the mean-field solver did not converge (relative residual {:.3e}); the reported state is the best candidate",
            p.fixed_point.residual
        ));
    } else if !p.stability.stable {
        warnings.push(format!(
            "no stable stationary state: the reported one is unstable (max Re lambda(W_eff) = {:.4} >= 1)",
            p.stability.max_real_part
        ));
    }
    let n_stable = states
        .iter()
        .filter(|s| s.fixed_point.converged && s.stability.stable)
        .count();
    if n_stable > 1 {
        warnings.push(format!(
            "{n_stable} stable stationary states: the one with the lowest rates is reported as primary"
        ));
    }
    Ok(StationaryReport {
        network: mf,
        states,
        primary,
        warnings,
    })
}
