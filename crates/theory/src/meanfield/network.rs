//! Mean-field network of LIF populations: input statistics, self-consistent
//! stationary states, linearisation and stability. Independent of the rest of
//! the crate (the engine reduces a network file to [`MeanFieldNetwork`]).
//!
//! # Input statistics (Fourcaud & Brunel 2002 eq. 3.4; NNMT `lif._general._mean_input/_std_input`)
//!
//! For target population a, with `tau_m` in **seconds** and rates in Hz:
//! ```text
//! mu_a      = ext_mu_a      + tau_m,a * sum_b K_ab J_ab  nu_b      (mV)
//! sigma_a^2 = ext_sigma2_a  + tau_m,a * sum_b K_ab J2_ab nu_b      (mV^2)
//! ```
//! `J` is the mean delta-equivalent PSP jump (exp synapses: `w tau_s / C`) and
//! `J2` its second moment (`J^2 (1 + c_w^2)` for relative weight sd `c_w`).
//!
//! # Stationary states (Hahne 2017 eq. 30; NNMT `_solvers._firing_rate_integration`)
//!
//! Solutions of `nu_a = Phi_a(mu_a(nu), sigma_a(nu))`, `Phi` = [`super::phi`]:
//! 1. pseudo-time relaxation `tau dnu/dt = -nu + Phi(nu)` by explicit Euler with
//!    step `relax_dt` (in units of tau; halved whenever the residual grows)
//!    from each initial condition (deterministic list, [`SolverOptions`]);
//!    relaxation only reaches stable states;
//! 2. Newton polish of `F(nu) = Phi(nu) - nu` with the analytic Jacobian
//!    `W_eff - I` and backtracking;
//! 3. optionally plain Newton from every initial condition as well, which can
//!    also land on unstable states (the saddle between two stable states);
//! 4. deduplication (max |d nu| <= `dedup_tol_hz` (1 + nu)).
//!
//! # Linearisation (Helias et al. 2013 eq. A.3; NNMT `_derivative_of_firing_rates_wrt_input_rate`)
//! ```text
//! W_eff_ab = d nu_a / d nu_b = tau_m,a K_ab ( J_ab dPhi_a/dmu + J2_ab / (2 sigma_a) dPhi_a/dsigma )
//! ```
//! The Jacobian of the rate dynamics is `(W_eff - I)/tau`, so a fixed point is
//! stable (to non-oscillatory, slow perturbations; delays and the frequency
//! dependence of N(omega) are not included) iff every eigenvalue of `W_eff` has
//! real part < 1. A real eigenvalue crossing 1 is the rate (saddle-node)
//! instability: there `det(I - W_eff) = 0` and two fixed points merge.

use super::linalg::eigenvalues;
use super::siegert::{LifParams, cv_isi, dphi, phi};
use num_complex::Complex64;
use serde::{Deserialize, Serialize};

/// One LIF population.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MfPopulation {
    pub name: String,
    /// Neuron parameters (mV relative to E_L, ms).
    pub lif: LifParams,
    /// Membrane capacitance, pF (informational: DC drive is already in `ext_mu_mv`).
    pub c_m_pf: f64,
}

/// Recurrent input from one source population to one target population.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MfInput {
    /// In-degree: number of source neurons per target neuron.
    pub k: f64,
    /// Mean delta-equivalent PSP jump, mV (negative for inhibition).
    pub j_mv: f64,
    /// Second moment of the jump, mV^2 (`j_mv^2` without weight variability).
    pub j2_mv2: f64,
    /// Mean transmission delay, ms (used only by the dynamic, frequency-resolved
    /// stability analysis [`super::oscillation`]; the stationary theory does not
    /// depend on it). Defaults to 0 when absent from serialised input.
    #[serde(default)]
    pub delay_ms: f64,
}

/// Mean-field description of a network of LIF populations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanFieldNetwork {
    pub pops: Vec<MfPopulation>,
    /// `recurrent[target][source]`.
    pub recurrent: Vec<Vec<MfInput>>,
    /// External mean input per population, mV (Poisson drive
    /// `tau_m K_ext J_ext nu_ext` plus DC `I tau_m / C`).
    pub ext_mu_mv: Vec<f64>,
    /// External input variance per population, mV^2 (`tau_m K_ext J_ext^2 nu_ext`).
    pub ext_sigma2_mv2: Vec<f64>,
}

/// Options of [`MeanFieldNetwork::fixed_points`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SolverOptions {
    /// Uniform initial rates (Hz) tried in turn; every population starts at the
    /// same value.
    pub initial_rates_hz: Vec<f64>,
    /// Additional per-population initial conditions (Hz).
    pub extra_initial_conditions: Vec<Vec<f64>>,
    /// Euler step of the relaxation in units of tau (0 < dt <= 1).
    pub relax_dt: f64,
    /// Maximum number of relaxation steps per initial condition.
    pub relax_max_steps: usize,
    /// Relaxation stops when `max_a |Phi_a - nu_a| / max(1, nu_a)` falls below this.
    pub relax_tol: f64,
    /// Newton stops when the relative residual falls below this; it is also
    /// the threshold for `FixedPoint::converged`.
    pub newton_tol: f64,
    /// Maximum Newton iterations.
    pub newton_max_iter: usize,
    /// Also run Newton directly from every initial condition (finds unstable states).
    pub newton_from_initial: bool,
    /// Two solutions are the same if `max_a |nu_a - nu'_a| <= dedup_tol_hz (1 + nu_a)`.
    pub dedup_tol_hz: f64,
}

impl Default for SolverOptions {
    fn default() -> Self {
        SolverOptions {
            initial_rates_hz: vec![0.0, 0.1, 1.0, 5.0, 20.0, 50.0, 100.0, 200.0, 400.0],
            extra_initial_conditions: Vec::new(),
            relax_dt: 0.2,
            relax_max_steps: 20_000,
            relax_tol: 1e-8,
            newton_tol: 1e-12,
            newton_max_iter: 100,
            newton_from_initial: true,
            dedup_tol_hz: 1e-6,
        }
    }
}

/// A stationary state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FixedPoint {
    /// Rates, Hz.
    pub rates_hz: Vec<f64>,
    /// Mean input, mV.
    pub mu_mv: Vec<f64>,
    /// Input std, mV.
    pub sigma_mv: Vec<f64>,
    /// ISI CV per population (`None`: the population does not fire; no noise, mu <= V_th).
    pub cv_isi: Vec<Option<f64>>,
    /// Whether the relative residual is below `SolverOptions::newton_tol`.
    pub converged: bool,
    /// `max_a |Phi_a(nu) - nu_a| / max(1 Hz, nu_a)`.
    pub residual: f64,
}

/// Linear stability of a fixed point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stability {
    /// Eigenvalues of `W_eff` (serialised as `[re, im]`), sorted by decreasing real part.
    pub eigenvalues: Vec<Complex64>,
    /// Largest real part.
    pub max_real_part: f64,
    /// `1 - max_real_part`: distance to the rate-instability boundary (> 0: stable).
    pub margin: f64,
    /// Stable iff all `Re lambda < 1`.
    pub stable: bool,
}

impl MeanFieldNetwork {
    /// Number of populations.
    pub fn len(&self) -> usize {
        self.pops.len()
    }

    /// True if there are no populations.
    pub fn is_empty(&self) -> bool {
        self.pops.is_empty()
    }

    /// Checks shapes and parameters; `Err` names the offending item like
    /// `recurrent[1][0].k` or `pops[2].lif: tau_m_ms must be > 0`.
    pub fn validate(&self) -> Result<(), String> {
        let n = self.pops.len();
        if self.recurrent.len() != n || self.ext_mu_mv.len() != n || self.ext_sigma2_mv2.len() != n
        {
            return Err(format!(
                "shape: {n} pops but recurrent has {} rows, ext_mu_mv {}, ext_sigma2_mv2 {}",
                self.recurrent.len(),
                self.ext_mu_mv.len(),
                self.ext_sigma2_mv2.len()
            ));
        }
        for (a, p) in self.pops.iter().enumerate() {
            p.lif
                .validate()
                .map_err(|e| format!("pops[{a}].lif: {e}"))?;
            if self.recurrent[a].len() != n {
                return Err(format!(
                    "recurrent[{a}] has {} entries, expected {n}",
                    self.recurrent[a].len()
                ));
            }
            for (b, inp) in self.recurrent[a].iter().enumerate() {
                if !(inp.k.is_finite() && inp.k >= 0.0) {
                    return Err(format!("recurrent[{a}][{b}].k must be finite and >= 0"));
                }
                if !inp.j_mv.is_finite() || !inp.j2_mv2.is_finite() || inp.j2_mv2 < 0.0 {
                    return Err(format!(
                        "recurrent[{a}][{b}]: j_mv finite and j2_mv2 >= 0 required"
                    ));
                }
                if !(inp.delay_ms.is_finite() && inp.delay_ms >= 0.0) {
                    return Err(format!(
                        "recurrent[{a}][{b}].delay_ms must be finite and >= 0"
                    ));
                }
            }
            if !self.ext_mu_mv[a].is_finite()
                || !self.ext_sigma2_mv2[a].is_finite()
                || self.ext_sigma2_mv2[a] < 0.0
            {
                return Err(format!(
                    "ext input of population {a}: finite mu and variance >= 0 required"
                ));
            }
        }
        Ok(())
    }

    /// Mean input (mV) and input std (mV) of every population for the given
    /// rates (Hz); module docs for the formulas. Negative variances (only
    /// possible with inconsistent inputs) are clamped to 0.
    pub fn mu_sigma(&self, rates_hz: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = self.pops.len();
        let mut mu = Vec::with_capacity(n);
        let mut sigma = Vec::with_capacity(n);
        for a in 0..n {
            let tau_s = self.pops[a].lif.tau_m_ms * 1e-3;
            let (mut m, mut v) = (0.0, 0.0);
            for (inp, &nu) in self.recurrent[a].iter().zip(rates_hz) {
                m += inp.k * inp.j_mv * nu;
                v += inp.k * inp.j2_mv2 * nu;
            }
            mu.push(self.ext_mu_mv[a] + tau_s * m);
            sigma.push((self.ext_sigma2_mv2[a] + tau_s * v).max(0.0).sqrt());
        }
        (mu, sigma)
    }

    /// `Phi_a(mu_a(nu), sigma_a(nu))` for every population, Hz.
    pub fn transfer(&self, rates_hz: &[f64]) -> Vec<f64> {
        let (mu, sigma) = self.mu_sigma(rates_hz);
        (0..self.pops.len())
            .map(|a| phi(&self.pops[a].lif, mu[a], sigma[a]))
            .collect()
    }

    /// Effective connectivity `W_eff[a][b] = d nu_a / d nu_b` (dimensionless)
    /// at the given rates (module docs). Where `sigma_a = 0` the variance term
    /// is dropped (dPhi/dsigma vanishes in the noiseless limit).
    pub fn effective_connectivity_at(&self, rates_hz: &[f64]) -> Vec<Vec<f64>> {
        let (mu, sigma) = self.mu_sigma(rates_hz);
        (0..self.pops.len())
            .map(|a| {
                let (dmu, dsig) = dphi(&self.pops[a].lif, mu[a], sigma[a]);
                let tau_s = self.pops[a].lif.tau_m_ms * 1e-3;
                self.recurrent[a]
                    .iter()
                    .map(|inp| {
                        let var_term = if sigma[a] > 0.0 {
                            inp.j2_mv2 / (2.0 * sigma[a]) * dsig
                        } else {
                            0.0
                        };
                        tau_s * inp.k * (inp.j_mv * dmu + var_term)
                    })
                    .collect()
            })
            .collect()
    }

    /// Effective connectivity at a fixed point.
    pub fn effective_connectivity(&self, fp: &FixedPoint) -> Vec<Vec<f64>> {
        self.effective_connectivity_at(&fp.rates_hz)
    }

    /// Eigenvalues of `W_eff` at a fixed point, sorted by decreasing real part.
    pub fn eigenvalues(&self, fp: &FixedPoint) -> Vec<Complex64> {
        let mut e = eigenvalues(&self.effective_connectivity(fp));
        e.sort_by(|a, b| b.re.total_cmp(&a.re).then(b.im.total_cmp(&a.im)));
        e
    }

    /// Stability verdict of a fixed point: stable iff all `Re lambda(W_eff) < 1`.
    pub fn stability(&self, fp: &FixedPoint) -> Stability {
        let eigenvalues = self.eigenvalues(fp);
        let max_real_part = eigenvalues
            .iter()
            .map(|e| e.re)
            .fold(f64::NEG_INFINITY, f64::max);
        let max_real_part = if eigenvalues.is_empty() {
            f64::NEG_INFINITY
        } else {
            max_real_part
        };
        Stability {
            margin: 1.0 - max_real_part,
            stable: max_real_part < 1.0,
            eigenvalues,
            max_real_part,
        }
    }

    /// Builds the [`FixedPoint`] record for the given rates.
    pub fn fixed_point_at(&self, rates_hz: &[f64], tol: f64) -> FixedPoint {
        let (mu, sigma) = self.mu_sigma(rates_hz);
        let phi_v = self.transfer(rates_hz);
        let residual = super::solve::residual(rates_hz, &phi_v);
        let cv = (0..self.pops.len())
            .map(|a| cv_isi(&self.pops[a].lif, mu[a], sigma[a]))
            .collect();
        FixedPoint {
            rates_hz: rates_hz.to_vec(),
            mu_mv: mu,
            sigma_mv: sigma,
            cv_isi: cv,
            converged: residual <= tol,
            residual,
        }
    }

    /// Pseudo-time relaxation from `init`; returns the final rates.
    fn relax(&self, init: &[f64], opts: &SolverOptions) -> Vec<f64> {
        let (steps, tol) = (opts.relax_max_steps, opts.relax_tol);
        super::solve::relax(init, opts.relax_dt, steps, tol, |r| self.transfer(r))
    }

    /// Newton iteration on `Phi(nu) - nu = 0` with backtracking; rates kept >= 0.
    fn newton(&self, init: &[f64], opts: &SolverOptions) -> Vec<f64> {
        super::solve::newton(
            init,
            opts.newton_max_iter,
            opts.newton_tol,
            |r| self.transfer(r),
            |r| self.effective_connectivity_at(r),
        )
    }

    /// All stationary states found from the initial conditions of `opts`
    /// (module docs), deduplicated, sorted by increasing mean rate. Each
    /// carries `converged` and `residual`; unconverged candidates are kept only
    /// if no converged state is within the dedup tolerance.
    pub fn fixed_points(&self, opts: &SolverOptions) -> Vec<FixedPoint> {
        let n = self.pops.len();
        let mut inits: Vec<Vec<f64>> = opts.initial_rates_hz.iter().map(|&r| vec![r; n]).collect();
        inits.extend(
            opts.extra_initial_conditions
                .iter()
                .filter(|c| c.len() == n)
                .cloned(),
        );
        let mut candidates: Vec<Vec<f64>> = Vec::new();
        for init in &inits {
            let relaxed = self.relax(init, opts);
            candidates.push(self.newton(&relaxed, opts));
            if opts.newton_from_initial {
                candidates.push(self.newton(init, opts));
            }
        }
        let mut found: Vec<FixedPoint> = Vec::new();
        for c in candidates {
            let fp = self.fixed_point_at(&c, opts.newton_tol);
            let same = |a: &FixedPoint| {
                a.rates_hz
                    .iter()
                    .zip(&fp.rates_hz)
                    .all(|(x, y)| (x - y).abs() <= opts.dedup_tol_hz * (1.0 + x.abs()))
            };
            match found.iter().position(same) {
                Some(i) => {
                    if fp.residual < found[i].residual {
                        found[i] = fp;
                    }
                }
                None => found.push(fp),
            }
        }
        // drop unconverged candidates when converged ones exist
        if found.iter().any(|f| f.converged) {
            found.retain(|f| f.converged);
        }
        let mean = |f: &FixedPoint| f.rates_hz.iter().sum::<f64>() / n.max(1) as f64;
        found.sort_by(|a, b| mean(a).total_cmp(&mean(b)));
        found
    }
}
