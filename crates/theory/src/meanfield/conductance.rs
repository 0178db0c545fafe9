//! Mean field of networks of conductance-based LIF neurons (Brunel & Wang 2001,
//! J Comput Neurosci 11:63; Wang 2002): `iaf_cond_exp` and `iaf_bw_2001` (AMPA,
//! GABA_A and NMDA with the Mg²⁺ block and NEST's presynaptic NMDA increment).
//!
//! # The reduction at given rates
//!
//! For a target population with capacitance `C`, leak `g_L`, `E_L`, and rates `nu_b`
//! of its sources, every conductance channel `c` (reversal `E_c`, decay `tau_c`) has
//! the mean conductance (nS; `R = K nu` spikes/s arriving, `w` the weight in nS)
//! ```text
//! fast channel (exponential):         G_c = sum R w tau_c
//! NMDA from an iaf_bw_2001 source:    G_c = sum K w psi(nu),
//!     psi(nu) = k0 nu tau_d / (1 + nu tau_d (1 - e^{-alpha tau_r}))
//! ```
//! `psi` is the time average of NEST's presynaptic NMDA trace under a Poisson train
//! of rate `nu` (at a spike `delta = k0 + k1 s_pre`, `s_pre += delta`, decay `tau_d`;
//! `k1 = e^{-alpha tau_r} - 1`): with `m+` the mean trace just after a spike,
//! `m+ = k0 + (1 + k1) m+ nu tau_d / (1 + nu tau_d)` and the mean is `nu tau_d E[delta]`,
//! `E[delta] = m+ / (1 + nu tau_d)`; it saturates at `k0 / (1 - e^{-alpha tau_r})` (the
//! NMDA saturation of Brunel & Wang, for the form NEST integrates). An NMDA input
//! from a source without payload (a Poisson stimulus) is a fast channel with `tau_d`.
//!
//! **Mg²⁺ block, linearised** around the mean membrane potential `V̄`:
//! `f(V) = (V - E) B(V)`, `B = 1 / (1 + [Mg] e^{-0.062 V} / 3.57)`, `B' = 0.062 B (1 - B)`,
//! `f(V) ≈ f'(V̄) (V - E) - (V̄ - E)² B'(V̄)`: a conductance `G_N f'(V̄)` (negative
//! below about -40 mV: the negative slope of the NMDA current) plus a constant
//! depolarising current `G_N (V̄ - E)² B'(V̄)`.
//!
//! **Effective membrane** (all conductances replaced by their means):
//! ```text
//! G     = g_L + sum_fast G_c + sum_NMDA G_c f'          tau_eff = C / G
//! mu_V  = (g_L E_L + sum_fast G_c E_c + sum_NMDA [G_c f' E_c + G_c (V̄-E_c)² B'] + I_e) / G
//! sigma² = tau_eff sum_fast-inputs q R J²,   J = w tau_c |V̄ - E_c| / C     (mV², tau_eff in s)
//! ```
//! The fluctuations of the fast channels (AMPA, GABA; `ex`, `in`) are those of shot
//! noise with the delta-equivalent jump `J` at the driving force of `V̄`, counted with
//! the weight `q`: 1 for external Poisson inputs, `1 - K/N_source` for a recurrent
//! projection. A recurrent input is shared with the other neurons of the population in
//! the proportion `K/N_source` (all of it in an all-to-all network); the shared
//! fluctuations are those of the population rates, which the recurrent feedback
//! cancels to a large part (Renart et al. 2010; Tetzlaff et al. 2012), and they are
//! neglected, as Brunel & Wang (2001) neglect the recurrent fluctuations of their
//! all-to-all network (their `sigma` has the external input only; with the recurrent
//! fluctuations counted in full, `networks/wang2002.toml` gives E 6.1 Hz, I 13.8 Hz
//! against the spiking network's 2.7 and 8.4). A sparse network (`q` ≈ 1) keeps them
//! (Brunel 2000). The NMDA
//! conductance (`tau_d` = 100 ms) is taken as constant (its fluctuations are filtered
//! out, as in Brunel & Wang). `V̄` is the time average of the membrane potential of the
//! LIF neuron firing at the population's own rate `nu` (from the mean of the Langevin
//! equation between resets): `V̄ = (1 - nu t_ref) mu_V - nu tau_eff (V_th - V_reset) + nu t_ref V_reset`;
//! it is found by fixed-point iteration (it enters `f'`, the NMDA current and `J`).
//!
//! **Transfer function**: the Siegert formula ([`super::phi`]) with `tau_m = tau_eff`,
//! `mu = mu_V - E_L`, `sigma`, the refractory period as integrated, and the
//! Fourcaud–Brunel synaptic-filtering shift with the variance-weighted synaptic time
//! constant `sqrt(tau_s) = sum sigma_c² sqrt(tau_c) / sigma²` (for one channel it is
//! Brunel & Wang's `sqrt(tau_AMPA / tau_eff)` correction; for several it is an
//! approximation).
//!
//! # Stationary states
//!
//! Solutions of `nu_a = Phi_a(nu)`: pseudo-time relaxation and Newton (Jacobian by
//! central differences) from the same uniform initial rates as the current-based
//! solver, plus initial conditions with one population high (10–80 Hz) and the
//! others low (1–5 Hz) — where selective pools compete these lead to the
//! selective (working-memory) states. Stability: eigenvalues of `dPhi/dnu` (all
//! `Re < 1`), the same criterion as [`MeanFieldNetwork::stability`].
//!
//! # The effective current-based network
//!
//! [`CondMeanField::effective_network`] linearises the conductance network at a fixed
//! point into a [`MeanFieldNetwork`] with `tau_m = tau_eff`: a recurrent input
//! `b -> a` has the jump `J = w tau_c (E_c - V̄) / C` (NMDA from an `iaf_bw_2001`
//! source: `w psi'(nu_b) f' (E - V̄) / C`, per unit rate) and the second moment
//! `q J²` (0 for NMDA), the external mean and
//! variance make up the rest of `mu` and `sigma²`. At the fixed point its rates,
//! `mu` and `sigma` are those of the conductance network; the oscillatory analysis and
//! the derived rate models use it, with `tau_eff` and the driving forces frozen.

use super::linalg::eigenvalues;
use super::network::{
    FixedPoint, MeanFieldNetwork, MfInput, MfPopulation, SolverOptions, Stability,
};
use super::siegert::{LifParams, cv_isi, phi};
use super::solve;
use serde::Serialize;

/// Slope of the Mg²⁺ block exponent, 1/mV (Jahr & Stevens; NEST `iaf_bw_2001`).
const MG_BETA: f64 = 0.062;
/// Mg²⁺ concentration scale of the block, mM.
const MG_GAMMA: f64 = 3.57;

/// NMDA kinetics of an `iaf_bw_2001` port (NEST's approximation).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NmdaKinetics {
    pub k0: f64,
    pub k1: f64,
    pub tau_decay_ms: f64,
    /// Mg²⁺ concentration, mM.
    pub conc_mg2: f64,
}

impl NmdaKinetics {
    /// Mean presynaptic NMDA trace of a Poisson train at `nu_hz` (module docs).
    pub fn psi(&self, nu_hz: f64) -> f64 {
        let x = nu_hz.max(0.0) * self.tau_decay_ms * 1e-3;
        self.k0 * x / (1.0 - self.k1 * x)
    }
    /// `d psi / d nu`, per Hz.
    pub fn dpsi(&self, nu_hz: f64) -> f64 {
        let td = self.tau_decay_ms * 1e-3;
        let x = nu_hz.max(0.0) * td;
        self.k0 * td / ((1.0 - self.k1 * x) * (1.0 - self.k1 * x))
    }
    /// Mg²⁺ block `B(V)`.
    fn block(&self, v_mv: f64) -> f64 {
        1.0 / (1.0 + self.conc_mg2 * (-MG_BETA * v_mv).exp() / MG_GAMMA)
    }
}

/// One conductance channel (port) of a population.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CondChannel {
    pub name: String,
    /// Decay time constant, ms.
    pub tau_ms: f64,
    /// Reversal potential, mV (absolute).
    pub e_rev_mv: f64,
    /// The NMDA port of `iaf_bw_2001` (Mg²⁺ block; saturating input from payload sources).
    pub nmda: Option<NmdaKinetics>,
}

/// One conductance-based population.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CondPopulation {
    pub name: String,
    pub c_m_pf: f64,
    pub g_l_ns: f64,
    pub e_l_mv: f64,
    pub v_th_mv: f64,
    pub v_reset_mv: f64,
    /// Refractory period as integrated (whole steps), ms.
    pub t_ref_ms: f64,
    /// Constant current (I_e plus DC stimuli), pA.
    pub i_e_pa: f64,
    pub channels: Vec<CondChannel>,
}

/// A recurrent input onto a channel of the target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CondInput {
    pub source: usize,
    pub channel: usize,
    /// In-degree.
    pub k: f64,
    /// Weight (conductance jump), nS.
    pub w_ns: f64,
    /// Whether the source's spike payload (NMDA increment) multiplies the weight.
    pub payload: bool,
    pub delay_ms: f64,
    /// `1 - K / N_source`: the part of the input's fluctuations that counts in
    /// `sigma²` (module docs).
    pub private_fraction: f64,
}

/// An external Poisson input onto a channel (no payload).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CondExternal {
    pub channel: usize,
    /// Total rate of arriving spikes, Hz.
    pub rate_hz: f64,
    pub w_ns: f64,
}

/// Mean-field description of a conductance-based network (module docs).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CondMeanField {
    pub pops: Vec<CondPopulation>,
    /// Recurrent inputs per target population.
    pub recurrent: Vec<Vec<CondInput>>,
    /// External inputs per target population.
    pub external: Vec<Vec<CondExternal>>,
}

/// The effective membrane of one population at given rates (module docs).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CondMoments {
    /// Total effective conductance `G`, nS.
    pub g_total_ns: f64,
    /// `C / G`, ms.
    pub tau_eff_ms: f64,
    /// Mean input `mu_V`, mV (absolute).
    pub mu_v_mv: f64,
    /// Time-averaged membrane potential `V̄`, mV (absolute).
    pub v_mean_mv: f64,
    /// Input std, mV.
    pub sigma_mv: f64,
    /// Variance-weighted synaptic time constant of the shift, ms.
    pub tau_s_ms: f64,
    /// Mean conductance per channel, nS (NMDA: before the Mg²⁺ factor).
    pub g_channel_ns: Vec<f64>,
}

/// Finite-difference step of the Jacobian, Hz (relative to `max(1, nu)`).
const FD_STEP: f64 = 1e-5;

impl CondMeanField {
    pub fn len(&self) -> usize {
        self.pops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pops.is_empty()
    }

    /// Mean conductance of every channel of population `a`, nS.
    fn channel_means(&self, a: usize, rates: &[f64]) -> Vec<f64> {
        let p = &self.pops[a];
        let mut g = vec![0.0; p.channels.len()];
        for inp in &self.recurrent[a] {
            let ch = &p.channels[inp.channel];
            let nu = rates[inp.source].max(0.0);
            g[inp.channel] += match (&ch.nmda, inp.payload) {
                (Some(n), true) => inp.k * inp.w_ns * n.psi(nu),
                _ => inp.k * nu * inp.w_ns * ch.tau_ms * 1e-3,
            };
        }
        for e in &self.external[a] {
            g[e.channel] += e.rate_hz * e.w_ns * p.channels[e.channel].tau_ms * 1e-3;
        }
        g
    }

    /// The effective membrane of population `a` at the given rates (module docs).
    pub fn moments(&self, a: usize, rates: &[f64]) -> CondMoments {
        let p = &self.pops[a];
        let g_ch = self.channel_means(a, rates);
        let nu = rates[a].max(0.0) * 1e-3; // per ms
        let refr = (nu * p.t_ref_ms).min(1.0);
        let mut v_bar = p.e_l_mv;
        let mut out = None;
        for _ in 0..200 {
            let (mut g, mut num) = (p.g_l_ns, p.g_l_ns * p.e_l_mv + p.i_e_pa);
            for (c, ch) in p.channels.iter().enumerate() {
                match &ch.nmda {
                    Some(n) => {
                        let b = n.block(v_bar);
                        let db = MG_BETA * b * (1.0 - b);
                        let slope = b + (v_bar - ch.e_rev_mv) * db;
                        g += g_ch[c] * slope;
                        num += g_ch[c] * (slope * ch.e_rev_mv + (v_bar - ch.e_rev_mv).powi(2) * db);
                    }
                    None => {
                        g += g_ch[c];
                        num += g_ch[c] * ch.e_rev_mv;
                    }
                }
            }
            // a negative total conductance (NMDA's negative slope beyond the leak) has
            // no stationary membrane: keep the effective membrane leaky
            let g = g.max(1e-3 * p.g_l_ns);
            let mu = num / g;
            let tau_eff = p.c_m_pf / g;
            let v_new =
                (1.0 - refr) * mu - nu * tau_eff * (p.v_th_mv - p.v_reset_mv) + refr * p.v_reset_mv;
            let done = (v_new - v_bar).abs() < 1e-12 * (1.0 + v_bar.abs());
            v_bar = v_new;
            out = Some((g, mu, tau_eff));
            if done {
                break;
            }
        }
        let (g, mu, tau_eff) = out.unwrap_or((p.g_l_ns, p.e_l_mv, p.c_m_pf / p.g_l_ns));
        let (var, sq) = self.fast_variance(a, rates, v_bar, tau_eff);
        CondMoments {
            g_total_ns: g,
            tau_eff_ms: tau_eff,
            mu_v_mv: mu,
            v_mean_mv: v_bar,
            sigma_mv: var.max(0.0).sqrt(),
            tau_s_ms: if var > 0.0 { (sq / var).powi(2) } else { 0.0 },
            g_channel_ns: g_ch,
        }
    }

    /// `(sigma², sum sigma_c² sqrt(tau_c))` of the fast channels.
    fn fast_variance(&self, a: usize, rates: &[f64], v_bar: f64, tau_eff_ms: f64) -> (f64, f64) {
        let p = &self.pops[a];
        let tau_s = tau_eff_ms * 1e-3;
        let add = |ch: &CondChannel, r: f64, w: f64, var: &mut f64, sq: &mut f64| {
            let j = w * ch.tau_ms * (v_bar - ch.e_rev_mv).abs() / p.c_m_pf;
            let v = tau_s * r * j * j;
            *var += v;
            *sq += v * ch.tau_ms.sqrt();
        };
        let (mut var, mut sq) = (0.0, 0.0);
        for inp in &self.recurrent[a] {
            let ch = &p.channels[inp.channel];
            if ch.nmda.is_none() && inp.private_fraction > 0.0 {
                let r = inp.private_fraction * inp.k * rates[inp.source].max(0.0);
                add(ch, r, inp.w_ns, &mut var, &mut sq);
            }
        }
        for e in &self.external[a] {
            let ch = &p.channels[e.channel];
            if ch.nmda.is_none() {
                add(ch, e.rate_hz, e.w_ns, &mut var, &mut sq);
            }
        }
        (var, sq)
    }

    /// The largest delta-equivalent jump `J = w tau_c |V̄ - E_c| / C` (mV) of a fast
    /// input onto population `a` at the given rates, with the input's description. The
    /// diffusion approximation behind the Siegert formula needs `J` small against
    /// `V_th - V_reset`.
    pub fn largest_jump(&self, a: usize, rates: &[f64]) -> (f64, String) {
        let p = &self.pops[a];
        let v_bar = self.moments(a, rates).v_mean_mv;
        let jump = |c: usize, w: f64| {
            let ch = &p.channels[c];
            w * ch.tau_ms * (v_bar - ch.e_rev_mv).abs() / p.c_m_pf
        };
        let mut best = (0.0, String::new());
        for inp in &self.recurrent[a] {
            if p.channels[inp.channel].nmda.is_none() {
                let j = jump(inp.channel, inp.w_ns);
                if j > best.0 {
                    let src = &self.pops[inp.source].name;
                    best = (
                        j,
                        format!("{src} -> {} on {}", p.name, p.channels[inp.channel].name),
                    );
                }
            }
        }
        for e in &self.external[a] {
            if p.channels[e.channel].nmda.is_none() {
                let j = jump(e.channel, e.w_ns);
                if j > best.0 {
                    best = (
                        j,
                        format!("external -> {} on {}", p.name, p.channels[e.channel].name),
                    );
                }
            }
        }
        best
    }

    /// The LIF parameters of the effective membrane.
    fn lif(&self, a: usize, m: &CondMoments) -> LifParams {
        let p = &self.pops[a];
        LifParams {
            tau_m_ms: m.tau_eff_ms,
            t_ref_ms: p.t_ref_ms,
            v_th_mv: p.v_th_mv - p.e_l_mv,
            v_reset_mv: p.v_reset_mv - p.e_l_mv,
            tau_s_ms: m.tau_s_ms,
        }
    }

    /// `Phi_a(nu)` for every population, Hz.
    pub fn transfer(&self, rates: &[f64]) -> Vec<f64> {
        (0..self.len())
            .map(|a| {
                let m = self.moments(a, rates);
                phi(
                    &self.lif(a, &m),
                    m.mu_v_mv - self.pops[a].e_l_mv,
                    m.sigma_mv,
                )
            })
            .collect()
    }

    /// `dPhi_a / dnu_b` by central differences (one-sided at 0 Hz).
    pub fn jacobian(&self, rates: &[f64]) -> Vec<Vec<f64>> {
        let n = self.len();
        let mut jac = vec![vec![0.0; n]; n];
        for b in 0..n {
            let h = FD_STEP * rates[b].abs().max(1.0);
            let mut up = rates.to_vec();
            let mut dn = rates.to_vec();
            up[b] += h;
            dn[b] = (dn[b] - h).max(0.0);
            let span = up[b] - dn[b];
            let (fu, fd) = (self.transfer(&up), self.transfer(&dn));
            for a in 0..n {
                jac[a][b] = (fu[a] - fd[a]) / span;
            }
        }
        jac
    }

    /// Stability of a fixed point: all eigenvalues of `dPhi/dnu` with `Re < 1`.
    pub fn stability(&self, rates: &[f64]) -> Stability {
        let mut e = eigenvalues(&self.jacobian(rates));
        e.sort_by(|a, b| b.re.total_cmp(&a.re).then(b.im.total_cmp(&a.im)));
        let max_real_part = e.iter().map(|x| x.re).fold(f64::NEG_INFINITY, f64::max);
        Stability {
            margin: 1.0 - max_real_part,
            stable: max_real_part < 1.0,
            eigenvalues: e,
            max_real_part,
        }
    }

    /// The [`FixedPoint`] record at the given rates (`mu` relative to `E_L`).
    pub fn fixed_point_at(&self, rates: &[f64], tol: f64) -> FixedPoint {
        let f = self.transfer(rates);
        let residual = solve::residual(rates, &f);
        let (mut mu, mut sigma, mut cv) = (Vec::new(), Vec::new(), Vec::new());
        for a in 0..self.len() {
            let m = self.moments(a, rates);
            let mu_rel = m.mu_v_mv - self.pops[a].e_l_mv;
            cv.push(cv_isi(&self.lif(a, &m), mu_rel, m.sigma_mv));
            mu.push(mu_rel);
            sigma.push(m.sigma_mv);
        }
        FixedPoint {
            rates_hz: rates.to_vec(),
            mu_mv: mu,
            sigma_mv: sigma,
            cv_isi: cv,
            converged: residual <= tol,
            residual,
        }
    }

    fn relax(&self, init: &[f64], opts: &SolverOptions) -> Vec<f64> {
        let (steps, tol) = (opts.relax_max_steps.min(5000), opts.relax_tol.max(1e-6));
        solve::relax(init, opts.relax_dt, steps, tol, |r| self.transfer(r))
    }

    fn newton(&self, init: &[f64], opts: &SolverOptions) -> Vec<f64> {
        solve::newton(
            init,
            opts.newton_max_iter,
            opts.newton_tol,
            |r| self.transfer(r),
            |r| self.jacobian(r),
        )
    }

    /// All stationary states found (module docs), deduplicated, sorted by
    /// increasing mean rate; unconverged candidates only when none converged.
    /// The Newton tolerance is the larger of `opts.newton_tol` and 1e-9 (the
    /// Jacobian is a finite difference).
    pub fn fixed_points(&self, opts: &SolverOptions) -> Vec<FixedPoint> {
        let n = self.len();
        let tol = opts.newton_tol.max(1e-9);
        let opts = SolverOptions {
            newton_tol: tol,
            ..opts.clone()
        };
        let mut inits: Vec<Vec<f64>> = opts.initial_rates_hz.iter().map(|&r| vec![r; n]).collect();
        for a in 0..n {
            for (high, low) in [
                (10.0, 3.0),
                (20.0, 3.0),
                (40.0, 3.0),
                (50.0, 1.0),
                (80.0, 5.0),
            ] {
                let mut v = vec![low; n];
                v[a] = high;
                inits.push(v);
            }
        }
        inits.extend(
            opts.extra_initial_conditions
                .iter()
                .filter(|c| c.len() == n)
                .cloned(),
        );
        let mut found: Vec<FixedPoint> = Vec::new();
        for init in &inits {
            let relaxed = self.relax(init, &opts);
            let mut cands = vec![self.newton(&relaxed, &opts)];
            if opts.newton_from_initial {
                cands.push(self.newton(init, &opts));
            }
            for c in cands {
                let fp = self.fixed_point_at(&c, tol);
                let dedup = opts.dedup_tol_hz.max(1e-5);
                let same = |x: &FixedPoint| {
                    x.rates_hz
                        .iter()
                        .zip(&fp.rates_hz)
                        .all(|(p, q)| (p - q).abs() <= dedup * (1.0 + p.abs()))
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
        }
        if found.iter().any(|f| f.converged) {
            found.retain(|f| f.converged);
        }
        let mean = |f: &FixedPoint| f.rates_hz.iter().sum::<f64>() / n.max(1) as f64;
        found.sort_by(|a, b| mean(a).total_cmp(&mean(b)));
        found
    }

    /// The current-based network linearised at `rates` (module docs).
    pub fn effective_network(&self, rates: &[f64]) -> MeanFieldNetwork {
        let n = self.len();
        let mut pops = Vec::with_capacity(n);
        let mut recurrent = Vec::with_capacity(n);
        let (mut ext_mu, mut ext_var) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for a in 0..n {
            let p = &self.pops[a];
            let m = self.moments(a, rates);
            let tau_s = m.tau_eff_ms * 1e-3;
            // (K, K J, K J2, K |J| d, K |J|) per source
            let mut acc = vec![(0.0, 0.0, 0.0, 0.0, 0.0); n];
            for inp in &self.recurrent[a] {
                let ch = &p.channels[inp.channel];
                let drive = ch.e_rev_mv - m.v_mean_mv;
                let (j, j2) = match (&ch.nmda, inp.payload) {
                    (Some(nm), pay) => {
                        let b = nm.block(m.v_mean_mv);
                        let slope = b + (m.v_mean_mv - ch.e_rev_mv) * MG_BETA * b * (1.0 - b);
                        let dg = if pay {
                            nm.dpsi(rates[inp.source])
                        } else {
                            ch.tau_ms * 1e-3
                        };
                        // mu_a changes by K w dg slope (E - V̄) / G per Hz = tau_eff K J
                        // with J = w dg slope (E - V̄) / C (dg in s, hence 1e3 for ms)
                        (inp.w_ns * dg * slope * drive / p.c_m_pf * 1e3, 0.0)
                    }
                    (None, _) => {
                        let j = inp.w_ns * ch.tau_ms * drive / p.c_m_pf;
                        (j, inp.private_fraction * j * j)
                    }
                };
                let e = &mut acc[inp.source];
                e.0 += inp.k;
                e.1 += inp.k * j;
                e.2 += inp.k * j2;
                let wt = inp.k * j.abs().max(1e-300);
                e.3 += wt * inp.delay_ms;
                e.4 += wt;
            }
            let row: Vec<MfInput> = acc
                .iter()
                .map(|&(k, kj, kj2, kd, kw)| {
                    if k > 0.0 {
                        MfInput {
                            k,
                            j_mv: kj / k,
                            j2_mv2: kj2 / k,
                            delay_ms: if kw > 0.0 { kd / kw } else { 0.0 },
                        }
                    } else {
                        MfInput {
                            k: 0.0,
                            j_mv: 0.0,
                            j2_mv2: 0.0,
                            delay_ms: 0.0,
                        }
                    }
                })
                .collect();
            let (mut rec_mu, mut rec_var) = (0.0, 0.0);
            for (inp, &nu) in row.iter().zip(rates) {
                rec_mu += inp.k * inp.j_mv * nu;
                rec_var += inp.k * inp.j2_mv2 * nu;
            }
            ext_mu.push(m.mu_v_mv - p.e_l_mv - tau_s * rec_mu);
            ext_var.push((m.sigma_mv * m.sigma_mv - tau_s * rec_var).max(0.0));
            pops.push(MfPopulation {
                name: p.name.clone(),
                lif: self.lif(a, &m),
                c_m_pf: p.c_m_pf,
            });
            recurrent.push(row);
        }
        MeanFieldNetwork {
            pops,
            recurrent,
            ext_mu_mv: ext_mu,
            ext_sigma2_mv2: ext_var,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pop(channels: Vec<CondChannel>) -> CondPopulation {
        CondPopulation {
            name: "P".into(),
            c_m_pf: 250.0,
            g_l_ns: 250.0 / 15.0,
            e_l_mv: -70.0,
            v_th_mv: -50.0,
            v_reset_mv: -60.0,
            t_ref_ms: 2.0,
            i_e_pa: 0.0,
            channels,
        }
    }

    fn ch(name: &str, tau: f64, e: f64) -> CondChannel {
        CondChannel {
            name: name.into(),
            tau_ms: tau,
            e_rev_mv: e,
            nmda: None,
        }
    }

    /// `iaf_cond_exp` with external excitation and inhibition, not firing:
    /// tau_eff, mu and sigma in closed form, written out by hand.
    #[test]
    fn effective_membrane_of_two_poisson_conductances_in_closed_form() {
        let mf = CondMeanField {
            pops: vec![pop(vec![ch("ex", 2.0, 0.0), ch("in", 5.0, -80.0)])],
            recurrent: vec![vec![]],
            external: vec![vec![
                CondExternal {
                    channel: 0,
                    rate_hz: 5000.0,
                    w_ns: 1.0,
                },
                CondExternal {
                    channel: 1,
                    rate_hz: 2000.0,
                    w_ns: 2.0,
                },
            ]],
        };
        let m = mf.moments(0, &[0.0]);
        // G_ex = 5000/s * 1 nS * 2 ms = 10 nS; G_in = 2000 * 2 * 5e-3 = 20 nS
        let g = 250.0 / 15.0 + 10.0 + 20.0;
        assert!((m.g_total_ns - g).abs() < 1e-12, "{}", m.g_total_ns);
        assert!((m.tau_eff_ms - 250.0 / g).abs() < 1e-12);
        let mu = (250.0 / 15.0 * -70.0 + 20.0 * -80.0) / g;
        assert!((m.mu_v_mv - mu).abs() < 1e-12, "{} vs {mu}", m.mu_v_mv);
        // at 0 Hz the mean potential is mu
        assert!((m.v_mean_mv - mu).abs() < 1e-12);
        let j_ex = 1.0 * 2.0 * (mu - 0.0f64).abs() / 250.0;
        let j_in = 2.0 * 5.0 * (mu + 80.0f64).abs() / 250.0;
        let (v_ex, v_in) = (
            250.0 / g * 1e-3 * 5000.0 * j_ex * j_ex,
            250.0 / g * 1e-3 * 2000.0 * j_in * j_in,
        );
        assert!((m.sigma_mv - (v_ex + v_in).sqrt()).abs() < 1e-12);
        let ts = ((v_ex * 2f64.sqrt() + v_in * 5f64.sqrt()) / (v_ex + v_in)).powi(2);
        assert!((m.tau_s_ms - ts).abs() < 1e-12, "{} vs {ts}", m.tau_s_ms);
        // the transfer function is the shifted Siegert rate of that membrane
        let lif = LifParams {
            tau_m_ms: 250.0 / g,
            t_ref_ms: 2.0,
            v_th_mv: 20.0,
            v_reset_mv: 10.0,
            tau_s_ms: ts,
        };
        let want = phi(&lif, mu + 70.0, (v_ex + v_in).sqrt());
        assert!((mf.transfer(&[0.0])[0] - want).abs() <= 1e-12 * want.max(1.0));
    }

    fn nmda() -> NmdaKinetics {
        // iaf_bw_2001 defaults: alpha 0.5/ms, tau_rise 2 ms, tau_decay 100 ms
        NmdaKinetics {
            k0: 0.648_416_739_116_325_7,
            k1: -0.632_120_558_828_557_7,
            tau_decay_ms: 100.0,
            conc_mg2: 1.0,
        }
    }

    /// `psi` against a direct simulation of NEST's presynaptic trace driven by a
    /// Poisson train (exact decay between spikes, time-integrated exactly).
    #[test]
    fn nmda_gating_of_a_poisson_train_matches_a_simulation_of_the_trace() {
        let n = nmda();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        for nu in [2.0, 10.0, 40.0] {
            let (mut s, mut area, mut t) = (0.0f64, 0.0f64, 0.0f64);
            let td = n.tau_decay_ms * 1e-3;
            for _ in 0..400_000 {
                let isi = -uniform().ln() / nu;
                area += s * td * (1.0 - (-isi / td).exp());
                s *= (-isi / td).exp();
                t += isi;
                s += n.k0 + n.k1 * s;
            }
            let sim = area / t;
            let rel = (n.psi(nu) - sim).abs() / sim;
            assert!(rel < 5e-3, "nu {nu}: psi {} vs simulated {sim}", n.psi(nu));
        }
        // saturation k0 / (1 - e^{-alpha tau_r}) and the derivative
        let sat = n.k0 / (-n.k1);
        assert!((n.psi(1e9) - sat).abs() < 1e-6 * sat);
        let h = 1e-4;
        let fd = (n.psi(5.0 + h) - n.psi(5.0 - h)) / (2.0 * h);
        assert!((n.dpsi(5.0) - fd).abs() < 1e-8 * fd);
    }

    /// With the Mg²⁺ block linearised at V̄ = mu (0 Hz), the membrane current of the
    /// mean conductances, exact nonlinear NMDA term included, vanishes at mu.
    #[test]
    fn linearised_mg_block_is_exact_at_the_mean_potential() {
        let mut nm = ch("NMDA", 100.0, 0.0);
        nm.nmda = Some(nmda());
        let mut p = pop(vec![ch("AMPA", 2.0, 0.0), ch("GABA", 5.0, -70.0), nm]);
        p.i_e_pa = 40.0;
        let mf = CondMeanField {
            pops: vec![p.clone()],
            recurrent: vec![vec![]],
            external: vec![vec![
                CondExternal {
                    channel: 0,
                    rate_hz: 2400.0,
                    w_ns: 2.1,
                },
                CondExternal {
                    channel: 1,
                    rate_hz: 3000.0,
                    w_ns: 1.3,
                },
                CondExternal {
                    channel: 2,
                    rate_hz: 4000.0,
                    w_ns: 0.1,
                },
            ]],
        };
        let m = mf.moments(0, &[0.0]);
        let v = m.mu_v_mv;
        let g = &m.g_channel_ns;
        let block = 1.0 / (1.0 + (-0.062 * v).exp() / 3.57);
        let current =
            p.g_l_ns * (v + 70.0) + g[0] * v + g[1] * (v + 70.0) + g[2] * block * v - p.i_e_pa;
        assert!(current.abs() < 1e-9, "net current {current} pA at {v} mV");
        // NMDA channel means: plain weights (Poisson source) decay with tau_d
        assert!((g[2] - 4000.0 * 0.1 * 0.1).abs() < 1e-12);
    }
}
