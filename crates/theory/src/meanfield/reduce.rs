//! Reduction of a validated spiking [`Network`] to a [`MeanFieldNetwork`]: the
//! bridge between `spec` and the (otherwise spec-independent) mean-field solver.
//!
//! # What is computed (Brunel 2000; Fourcaud & Brunel 2002)
//!
//! For every target population `a` and source population `b`:
//!
//! * **In-degree** `K_ab` (expected number of source neurons per target neuron),
//!   summed over all projections `b -> a`:
//!
//!   | rule | `K` |
//!   |---|---|
//!   | `fixed_indegree` | `indegree` |
//!   | `pairwise_bernoulli` | `p N_src` (`p (N_src - 1)` within a population without autapses) |
//!   | `fixed_total_number` | `n / N_tgt` |
//!   | `one_to_one` | 1 |
//!   | `all_to_all` | `N_src` (`N_src - 1` within a population without autapses) |
//!
//! * **Delta-equivalent PSP jump** `J` (mV) and its second moment `J2` (mV²):
//!   the charge of one PSC divided by `C_m`. Per synapse the channel is chosen by
//!   the sign of the weight, as in the engine (`w >= 0`: excitatory, `w < 0`:
//!   inhibitory), so with `f_x` the charge factor of channel x:
//!   ```text
//!   J  = f_ex   E[w ; w >= 0] + f_in   E[w ; w < 0]
//!   J2 = f_ex^2 E[w²; w >= 0] + f_in^2 E[w²; w < 0]
//!   iaf_psc_delta: f = 1                    (weights are jumps in mV)
//!   iaf_psc_exp:   f_x = tau_syn_x / C_m     (charge of w e^{-t/tau_s})
//!   iaf_psc_alpha: f_x = e tau_syn_x / C_m   (charge of w e/tau_s t e^{-t/tau_s})
//!   ```
//!   The partial moments are those of the distribution *as sampled*: normal and
//!   lognormal weights are redrawn inside `[min, max]`, so their truncated moments
//!   are computed exactly here (unlike [`cortexsim_spec::Dist::moments`], which
//!   ignores the truncation). Several projections `b -> a` are merged into one
//!   [`MfInput`] with `K = sum K_i`, `J = sum K_i J_i / K`, `J2 = sum K_i J2_i / K`,
//!   which leaves `mu`, `sigma` and `W_eff` unchanged (all are linear in `K J`, `K J2`).
//!   Delays do not enter the stationary theory; for the frequency-resolved
//!   stability analysis ([`super::oscillation`]) each [`MfInput`] carries the
//!   **mean** delay `delay_ms` of its projections (mean of the delay
//!   distribution as sampled, truncation included; several projections are
//!   averaged with weights `K |J|`). The spread of the delay distribution is
//!   ignored: the linear response uses `e^{-i omega d_mean}` instead of the
//!   distribution's characteristic function, exact for constant delays (as in
//!   all Brunel 2000 files) and a low-frequency approximation otherwise (a
//!   spread damps the response at `omega ~ 1/sd`, so ignoring it errs on the
//!   unstable side). The engine rounds delays to whole steps when
//!   `grid_policy = "round"`; the mean here is of the unrounded distribution.
//!
//! * **External drive**: a `poisson` stimulus of `indegree` generators of
//!   `rate` Hz and weight `w` adds `tau_m nu K J` to `mu` and `tau_m nu K J²` to
//!   `sigma²` (`nu K = rate * indegree`, `J = f w`); a constant current `I` (the
//!   neuron's `I_e` plus `dc`/`step` stimuli) adds `I tau_m / C_m` to `mu` only.
//!
//! * **Neuron**: `V_th - E_L`, `V_reset - E_L`, `tau_m`, and the refractory period
//!   *as integrated*: `ceil(t_ref/dt)` whole steps (the engine's rule).
//!
//! * **Synaptic time constant** of the Fourcaud–Brunel shift ([`LifParams::tau_s_ms`]):
//!   0 for `iaf_psc_delta`; for `iaf_psc_exp`/`iaf_psc_alpha` the `tau_syn` of the
//!   channel(s) that receive input. The shifted Siegert formula has a single
//!   synaptic time constant, so a population receiving both excitatory and
//!   inhibitory input with `tau_syn_ex != tau_syn_in` is refused (error on its
//!   `params`). For alpha synapses the shift with `tau_s = tau_syn` is an
//!   approximation (the theory is for exponential synapses); a warning says so,
//!   and another when `sqrt(tau_s/tau_m) > 0.3`, beyond the range where NNMT
//!   trusts the shift.
//!
//! # What is refused (the stationary theory does not cover it)
//!
//! Every such input is a [`SpecError`] naming its path and the reason:
//! * a `poisson` stimulus that is not active over the whole run `[0, t_stop)`;
//! * a `dc` or `step` stimulus whose current is not constant over `[0, t_stop)`
//!   (a step whose epochs add up to one constant over the whole run is accepted);
//! * a `spike_train` stimulus with at least one spike;
//! * a finite `V_min` (a lower bound of the membrane potential is not in the
//!   Siegert formula);
//! * mixed `tau_syn_ex != tau_syn_in` as described above;
//! * a `receptor` that is not the port the weight's sign selects anyway (the
//!   reduction knows the ex/in split by sign; `receptor = "ex"` with weights `>= 0`
//!   reduces exactly as no receptor);
//! * a model whose spikes carry a payload;
//! * a conductance-based model (`iaf_cond_exp`, `iaf_cond_alpha`, `iaf_bw_2001`):
//!   these go through [`reduce_conductance`] (Brunel–Wang, [`super::conductance`]),
//!   which [`super::stationary()`] chooses by [`is_conductance_based`];
//! * a `poisson` stimulus whose rate is redrawn in time (`rate_sd`).

use super::conductance::{
    CondChannel, CondExternal, CondInput, CondMeanField, CondPopulation, NmdaKinetics,
};
use super::network::{MeanFieldNetwork, MfInput, MfPopulation};
use super::siegert::LifParams;
use cortexsim_core::error::SpecError;
use cortexsim_neuron::NeuronModel;
use cortexsim_spec::{Dist, Network, Rule, StimulusKind};
use errorfunctions::RealErrorFunctions;
use std::f64::consts::{E, FRAC_1_SQRT_2};

/// Mass below which a weight sign counts as absent when choosing the synaptic
/// time constant (e.g. the far negative tail of an unbounded normal weight).
const CHANNEL_MASS_EPS: f64 = 1e-9;

/// Reduce a validated network to its mean-field description (module docs).
/// Warnings (approximations in force) are dropped; see [`reduce_with_warnings`].
pub fn reduce(net: &Network) -> Result<MeanFieldNetwork, SpecError> {
    reduce_with_warnings(net).map(|(m, _)| m)
}

/// [`reduce`], also returning remarks on approximations that apply to this
/// network (alpha synapses, large `tau_s / tau_m`).
pub fn reduce_with_warnings(net: &Network) -> Result<(MeanFieldNetwork, Vec<String>), SpecError> {
    let n = net.populations.len();
    let dt = net.simulation.dt;
    let t_stop = net.simulation.t_stop;
    let mut warnings = Vec::new();

    // Inputs onto each population: (source or None for external, K or nu*K, partial moments).
    // Accumulated as sums of K*J, K*J2 per source and the channels in use.
    let mut kj = vec![vec![(0.0f64, 0.0f64, 0.0f64); n]; n]; // (K, K J, K J2)
    // Delay weights (sum w, sum w * mean delay), w = K |J| (K if J = 0).
    let mut kd = vec![vec![(0.0f64, 0.0f64); n]; n];
    let mut ext_mu = vec![0.0f64; n];
    let mut ext_var = vec![0.0f64; n];
    let mut uses_ex = vec![false; n];
    let mut uses_in = vec![false; n];
    // First input that uses each channel, for error messages.
    let mut first_ex: Vec<Option<String>> = vec![None; n];
    let mut first_in: Vec<Option<String>> = vec![None; n];

    for p in &net.populations {
        if p.model
            .ports()
            .iter()
            .any(|q| q.kind == cortexsim_neuron::PortKind::Conductance)
        {
            return Err(SpecError::new(
                format!("populations[{}].model", p.name),
                format!(
                    "{}: conductance-based synapses are not covered by the current-based reduction (the stationary mean field reduces such networks with the Brunel–Wang theory: reduce_conductance)",
                    p.model.name()
                ),
            ));
        }
        if p.model.is_spike_source() {
            return Err(SpecError::new(
                format!("populations[{}].model", p.name),
                format!(
                    "{}: spike sources are not covered by the mean-field reduction",
                    p.model.name()
                ),
            ));
        }
        if p.model.has_payload() {
            return Err(SpecError::new(
                format!("populations[{}].model", p.name),
                format!(
                    "{}: spikes that carry a payload are not covered by the mean-field reduction",
                    p.model.name()
                ),
            ));
        }
    }

    for (i, pr) in net.projections.iter().enumerate() {
        let path = format!("projections[{i}]");
        let (ns, nt) = (
            net.populations[pr.source].size as f64,
            net.populations[pr.target].size as f64,
        );
        let same = pr.source == pr.target;
        let k = match pr.rule {
            Rule::FixedIndegree { indegree } => indegree as f64,
            Rule::PairwiseBernoulli { p } => p * if same && !pr.autapses { ns - 1.0 } else { ns },
            Rule::FixedTotalNumber { n } => n as f64 / nt,
            Rule::FixedOutdegree { outdegree } => outdegree as f64 * ns / nt,
            // Mean in-degree; listed weights and delays enter through their range law.
            Rule::FromList => pr.connections.as_ref().map_or(0, |l| l.len()) as f64 / nt,
            Rule::OneToOne => 1.0,
            Rule::AllToAll => {
                if same && !pr.autapses {
                    ns - 1.0
                } else {
                    ns
                }
            }
        };
        let s = SignSplit::of(&pr.weight);
        let model = &net.populations[pr.target].model;
        check_receptor(model, pr.receptor.as_deref(), &s, &path)?;
        let (j, j2) = s.jump_moments(model);
        let a = pr.target;
        if k > 0.0 {
            note_channels(
                &s,
                &path,
                &mut uses_ex[a],
                &mut uses_in[a],
                &mut first_ex[a],
                &mut first_in[a],
            );
        }
        let e = &mut kj[a][pr.source];
        e.0 += k;
        e.1 += k * j;
        e.2 += k * j2;
        // mean delay as sampled (truncated laws exactly, see `partial_moments`)
        let d_mean = partial_moments(&pr.delay, f64::NEG_INFINITY, f64::INFINITY).1;
        let w = if j != 0.0 { k * j.abs() } else { k };
        let e = &mut kd[a][pr.source];
        e.0 += w;
        e.1 += w * d_mean;
    }

    for (i, st) in net.stimuli.iter().enumerate() {
        let path = format!("stimuli[{i}]");
        let a = st.target;
        let core = net.populations[a].model.core();
        match &st.kind {
            StimulusKind::Poisson {
                rate,
                indegree,
                weight,
                rate_sd,
                ..
            } => {
                if *rate_sd > 0.0 {
                    return Err(SpecError::new(
                        format!("{path}.rate_sd"),
                        "a Poisson rate redrawn in time is not covered by the stationary mean-field theory",
                    ));
                }
                let total = rate * *indegree as f64;
                if total == 0.0 {
                    continue;
                }
                if st.start > 0.5 * dt || st.stop < t_stop - 0.5 * dt {
                    return Err(SpecError::new(
                        path,
                        format!(
                            "Poisson input active only in [{}, {}) ms of a {t_stop} ms run: time-dependent input is not covered by the stationary mean-field theory (make it span the whole run)",
                            st.start, st.stop
                        ),
                    ));
                }
                let s = SignSplit::of(&Dist::Const { value: *weight });
                check_receptor(&net.populations[a].model, st.receptor.as_deref(), &s, &path)?;
                let (j, j2) = s.jump_moments(&net.populations[a].model);
                note_channels(
                    &s,
                    &path,
                    &mut uses_ex[a],
                    &mut uses_in[a],
                    &mut first_ex[a],
                    &mut first_in[a],
                );
                let tau_m_s = core.tau_m * 1e-3;
                ext_mu[a] += tau_m_s * total * j;
                ext_var[a] += tau_m_s * total * j2;
            }
            StimulusKind::Noise { mean, sigma } => {
                // Same convention as the diffusion approximation: mu += mean, sigma^2 += sigma^2.
                if constant_current(&[(st.start, st.stop, 1.0)], t_stop) != Some(1.0) {
                    return Err(SpecError::new(
                        &path,
                        format!(
                            "noise active only in [{}, {}) ms of a {t_stop} ms run: time-dependent input is not covered by the stationary mean-field theory",
                            st.start, st.stop
                        ),
                    ));
                }
                ext_mu[a] += mean;
                ext_var[a] += sigma * sigma;
            }
            StimulusKind::Dc { amplitude } => {
                let windows = [(st.start, st.stop, *amplitude)];
                let i_pa = constant_current(&windows, t_stop).ok_or_else(|| {
                    SpecError::new(
                        &path,
                        format!(
                            "DC input active only in [{}, {}) ms of a {t_stop} ms run: time-dependent input is not covered by the stationary mean-field theory (make it span the whole run)",
                            st.start, st.stop
                        ),
                    )
                })?;
                ext_mu[a] += i_pa * core.tau_m / core.c_m;
            }
            k @ (StimulusKind::Ac { .. } | StimulusKind::NoiseCurrent { .. }) => {
                return Err(uncovered_current(&path, k));
            }
            StimulusKind::Step { epochs } => {
                let windows: Vec<(f64, f64, f64)> = epochs
                    .iter()
                    .map(|e| (e.start.max(st.start), e.stop.min(st.stop), e.amplitude))
                    .collect();
                let i_pa = constant_current(&windows, t_stop).ok_or_else(|| {
                    SpecError::new(
                        &path,
                        format!(
                            "a step current that changes during the {t_stop} ms run is not covered by the stationary mean-field theory (only a current constant over [0, t_stop) is)"
                        ),
                    )
                })?;
                ext_mu[a] += i_pa * core.tau_m / core.c_m;
            }
            // Only onto spike sources, which the reduction refuses above.
            StimulusKind::SourceTimes { .. } => {}
            StimulusKind::SpikeTrain { times, .. } => {
                if !times.is_empty() {
                    return Err(SpecError::new(
                        path,
                        "explicit input spike trains are not covered by the stationary mean-field theory",
                    ));
                }
            }
        }
    }

    let mut pops = Vec::with_capacity(n);
    for (a, p) in net.populations.iter().enumerate() {
        let core = p.model.core();
        let ppath = format!("populations[{}].params", p.name);
        let v_min = p.model.v_min();
        if v_min.is_finite() {
            return Err(SpecError::new(
                format!("{ppath}.V_min"),
                format!(
                    "a lower bound of the membrane potential ({v_min} mV) is not covered by the stationary mean-field (Siegert) theory"
                ),
            ));
        }
        let ports = p.model.ports();
        let tau = |i: usize| ports.get(i).map_or(0.0, |q| q.tau_syn);
        let (tex, tin) = (tau(0), tau(1));
        let tau_s = match &p.model {
            NeuronModel::IafPscDelta(_) => 0.0,
            _ => {
                if uses_ex[a] && uses_in[a] && (tex - tin).abs() > 1e-12 * tex.max(tin) {
                    return Err(SpecError::new(
                        ppath.clone(),
                        format!(
                            "tau_syn_ex = {tex} ms differs from tau_syn_in = {tin} ms and the population receives both excitatory ({}) and inhibitory ({}) input: the shifted Siegert rate (Fourcaud & Brunel 2002) has a single synaptic time constant, so this is not covered by the mean-field reduction",
                            first_ex[a].as_deref().unwrap_or("?"),
                            first_in[a].as_deref().unwrap_or("?")
                        ),
                    ));
                }
                if uses_in[a] && !uses_ex[a] { tin } else { tex }
            }
        };
        if tau_s > 0.0 {
            if matches!(p.model, NeuronModel::IafPscAlpha(_)) {
                warnings.push(format!(
                    "{ppath}: alpha synapses are reduced with the Fourcaud–Brunel shift for exponential synapses of tau_s = {tau_s} ms (approximation)"
                ));
            }
            let k = (tau_s / core.tau_m).sqrt();
            if k > 0.3 {
                warnings.push(format!(
                    "{ppath}: sqrt(tau_s/tau_m) = {k:.3} > 0.3: the Fourcaud–Brunel shift is a small-k expansion and may be inaccurate here"
                ));
            }
        }
        let t_ref = cortexsim_neuron::refractory_steps(core.t_ref, dt) as f64 * dt;
        pops.push(MfPopulation {
            name: p.name.clone(),
            lif: LifParams {
                tau_m_ms: core.tau_m,
                t_ref_ms: t_ref,
                v_th_mv: core.v_th - core.e_l,
                v_reset_mv: core.v_reset - core.e_l,
                tau_s_ms: tau_s,
            },
            c_m_pf: core.c_m,
        });
        ext_mu[a] += core.i_e * core.tau_m / core.c_m;
    }

    let recurrent = kj
        .iter()
        .zip(&kd)
        .map(|(row, drow)| {
            row.iter()
                .zip(drow)
                .map(|(&(k, kj, kj2), &(w, wd))| {
                    let delay_ms = if w > 0.0 { wd / w } else { 0.0 };
                    if k > 0.0 {
                        MfInput {
                            k,
                            j_mv: kj / k,
                            j2_mv2: kj2 / k,
                            delay_ms,
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
                .collect()
        })
        .collect();
    let mf = MeanFieldNetwork {
        pops,
        recurrent,
        ext_mu_mv: ext_mu,
        ext_sigma2_mv2: ext_var,
    };
    mf.validate().map_err(|e| {
        SpecError::new(
            "populations",
            format!("the mean-field reduction is not finite: {e}"),
        )
    })?;
    Ok((mf, warnings))
}

fn note_channels(
    s: &SignSplit,
    path: &str,
    uses_ex: &mut bool,
    uses_in: &mut bool,
    first_ex: &mut Option<String>,
    first_in: &mut Option<String>,
) {
    if s.pos.0 > CHANNEL_MASS_EPS {
        *uses_ex = true;
        first_ex.get_or_insert_with(|| path.to_string());
    }
    if s.neg.0 > CHANNEL_MASS_EPS {
        *uses_in = true;
        first_in.get_or_insert_with(|| path.to_string());
    }
}

/// The refusal of a stimulus current that the stationary theory does not cover (`ac`,
/// `noise_current`), shared by the current- and conductance-based reductions.
fn uncovered_current(path: &str, kind: &StimulusKind) -> SpecError {
    let what = match kind {
        StimulusKind::Ac { frequency, .. } => {
            format!("an ac current ({frequency} Hz) is time-dependent input")
        }
        StimulusKind::NoiseCurrent { dt, .. } => {
            format!("a noise_current (redrawn every {dt} ms, a coloured noise)")
        }
        _ => "this input".to_string(),
    };
    SpecError::new(
        path,
        format!("{what}, not covered by the stationary mean-field theory"),
    )
}

/// The current (pA) of piecewise-constant windows `(start, stop, amplitude)` if
/// it is the same at every time of `[0, t_stop)`; `None` if it changes.
fn constant_current(windows: &[(f64, f64, f64)], t_stop: f64) -> Option<f64> {
    let mut cuts = vec![0.0, t_stop];
    for &(s, e, _) in windows {
        for x in [s, e] {
            if x > 0.0 && x < t_stop {
                cuts.push(x);
            }
        }
    }
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    let mut value: Option<f64> = None;
    for w in cuts.windows(2) {
        if w[1] - w[0] <= 1e-9 * t_stop.max(1.0) {
            continue;
        }
        let mid = 0.5 * (w[0] + w[1]);
        let i: f64 = windows
            .iter()
            .filter(|&&(s, e, _)| s <= mid && mid < e)
            .map(|w| w.2)
            .sum();
        match value {
            None => value = Some(i),
            Some(v) if (v - i).abs() <= 1e-12 * v.abs().max(i.abs()) => {}
            Some(_) => return None,
        }
    }
    Some(value.unwrap_or(0.0))
}

/// A named `receptor` reduces as the sign routing only if every sign the weights take
/// (beyond [`CHANNEL_MASS_EPS`]) goes to that port by default anyway.
fn check_receptor(
    model: &NeuronModel,
    receptor: Option<&str>,
    s: &SignSplit,
    path: &str,
) -> Result<(), SpecError> {
    let Some(name) = receptor else {
        return Ok(());
    };
    let named = model.port_index(name);
    let by_sign = model.route(None);
    let agrees = |w: f64| match (named, by_sign) {
        (Some(p), Some(r)) => r.port(w) == p,
        _ => false,
    };
    for (mass, w, sign) in [(s.pos.0, 1.0, ">= 0"), (s.neg.0, -1.0, "< 0")] {
        if mass > CHANNEL_MASS_EPS && !agrees(w) {
            return Err(SpecError::new(
                format!("{path}.receptor"),
                format!(
                    "\"{name}\" receives weights {sign}, which {} routes elsewhere by default: the mean-field reduction covers a receptor only where it equals the routing by sign",
                    model.name()
                ),
            ));
        }
    }
    Ok(())
}

/// Partial moments `(P, E[w 1], E[w² 1])` of a weight distribution over the
/// non-negative (`pos`, excitatory channel) and negative (`neg`, inhibitory
/// channel) weights.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SignSplit {
    pos: (f64, f64, f64),
    neg: (f64, f64, f64),
}

impl SignSplit {
    fn of(d: &Dist) -> SignSplit {
        SignSplit {
            pos: partial_moments(d, 0.0, f64::INFINITY),
            neg: partial_moments(d, f64::NEG_INFINITY, 0.0),
        }
    }

    /// `(J, J2)` of the delta-equivalent jump onto `model` (module docs).
    fn jump_moments(&self, model: &NeuronModel) -> (f64, f64) {
        let (f_ex, f_in) = match model {
            NeuronModel::IafPscDelta(_) => (1.0, 1.0),
            NeuronModel::IafPscExp(p) => (p.tau_syn_ex / p.core.c_m, p.tau_syn_in / p.core.c_m),
            NeuronModel::IafPscAlpha(p) => {
                (E * p.tau_syn_ex / p.core.c_m, E * p.tau_syn_in / p.core.c_m)
            }
            // Refused before any jump is computed (`reduce_with_warnings`).
            NeuronModel::TestPayload(_)
            | NeuronModel::IafCondExp(_)
            | NeuronModel::IafCondAlpha(_)
            | NeuronModel::IafBw2001(_)
            | NeuronModel::ParrotNeuron(_) => (1.0, 1.0),
        };
        (
            f_ex * self.pos.1 + f_in * self.neg.1,
            f_ex * f_ex * self.pos.2 + f_in * f_in * self.neg.2,
        )
    }
}

fn phi_pdf(x: f64) -> f64 {
    if x.is_infinite() {
        0.0
    } else {
        (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
    }
}

/// `x phi(x)`, 0 at +-inf.
fn x_phi(x: f64) -> f64 {
    if x.is_infinite() { 0.0 } else { x * phi_pdf(x) }
}

/// Standard normal mass in `[lo, hi]`, without cancellation in the tails.
fn normal_mass(lo: f64, hi: f64) -> f64 {
    if hi <= lo {
        return 0.0;
    }
    let q = |x: f64| 0.5 * RealErrorFunctions::erfc(x * FRAC_1_SQRT_2); // upper tail P(Z > x)
    if lo >= 0.0 {
        q(lo) - q(hi)
    } else if hi <= 0.0 {
        q(-hi) - q(-lo)
    } else {
        1.0 - q(-lo) - q(hi)
    }
}

/// `(P, E[w 1_{[lo,hi)}], E[w² 1_{[lo,hi)}])` for `w` distributed as `d` is
/// sampled (truncated normal/lognormal, see [`crate::connect::sample`]). The
/// boundary point is assigned to the upper range only for point masses
/// (`lo <= w < hi`); for continuous laws it has measure 0.
fn partial_moments(d: &Dist, lo: f64, hi: f64) -> (f64, f64, f64) {
    match *d {
        Dist::Const { value } => {
            if lo <= value && value < hi {
                (1.0, value, value * value)
            } else {
                (0.0, 0.0, 0.0)
            }
        }
        Dist::Uniform { low, high } => {
            if high <= low {
                return partial_moments(&Dist::Const { value: low }, lo, hi);
            }
            let (a, b) = (low.max(lo), high.min(hi));
            if b <= a {
                return (0.0, 0.0, 0.0);
            }
            let w = high - low;
            (
                (b - a) / w,
                (b * b - a * a) / (2.0 * w),
                (b * b * b - a * a * a) / (3.0 * w),
            )
        }
        Dist::Normal {
            mean,
            std,
            min,
            max,
        } => {
            if std == 0.0 {
                return partial_moments(&Dist::Const { value: mean }, lo, hi);
            }
            let z = |x: f64| (x - mean) / std;
            let z0 = normal_mass(z(min), z(max));
            let (a, b) = (z(min.max(lo)), z(max.min(hi)));
            if b <= a || z0 <= 0.0 {
                return (0.0, 0.0, 0.0);
            }
            let p = normal_mass(a, b);
            let ez = phi_pdf(a) - phi_pdf(b); // E[Z 1]
            let ez2 = p + x_phi(a) - x_phi(b); // E[Z² 1]
            (
                p / z0,
                (mean * p + std * ez) / z0,
                (mean * mean * p + 2.0 * mean * std * ez + std * std * ez2) / z0,
            )
        }
        Dist::Lognormal {
            mu,
            sigma,
            min,
            max,
        } => {
            if sigma == 0.0 {
                return partial_moments(&Dist::Const { value: mu.exp() }, lo, hi);
            }
            // w = e^Y, Y ~ N(mu, sigma) restricted to [ln max(min, 0), ln max].
            let ln = |x: f64| if x <= 0.0 { f64::NEG_INFINITY } else { x.ln() };
            let z = |x: f64| (ln(x) - mu) / sigma;
            let z0 = normal_mass(z(min), z(max));
            let (a, b) = (z(min.max(lo)), z(max.min(hi)));
            if b <= a || z0 <= 0.0 || hi <= 0.0 {
                return (0.0, 0.0, 0.0);
            }
            // E[e^{kY} 1] = e^{k mu + k² sigma²/2} P(a - k sigma < Z < b - k sigma)
            let m = |k: f64| {
                (k * mu + 0.5 * k * k * sigma * sigma).exp()
                    * normal_mass(a - k * sigma, b - k * sigma)
            };
            (normal_mass(a, b) / z0, m(1.0) / z0, m(2.0) / z0)
        }
    }
}

/// Whether any population of `net` has a conductance port: such a network is
/// reduced by [`reduce_conductance`] (Brunel & Wang 2001), not [`reduce`].
pub fn is_conductance_based(net: &Network) -> bool {
    net.populations.iter().any(|p| {
        p.model
            .ports()
            .iter()
            .any(|q| q.kind == cortexsim_neuron::PortKind::Conductance)
    })
}

/// Reduction of a network of conductance-based neurons (`iaf_cond_exp`,
/// `iaf_bw_2001`) to a [`CondMeanField`] (the theory is in
/// [`super::conductance`]), with remarks on the approximations in force.
///
/// Covered: every population `iaf_cond_exp` or `iaf_bw_2001`; constant weights
/// (conductances, nS; `iaf_cond_exp`'s negative weights onto `in` by their magnitude);
/// `poisson` stimuli active over the whole run or not at all during it (a rate redrawn
/// in time, `rate_sd`, enters with its time-averaged rate, the mean of the rectified
/// Gaussian `E[max(0, rate + rate_sd z)]`, with a warning); constant `dc`/`step`
/// currents. Refused, each with its key path: `iaf_cond_alpha` and current-based
/// models in the same network, heterogeneous weights, `noise` stimuli, input spike
/// trains, time-dependent inputs within the run, a finite `V_min`.
pub fn reduce_conductance(net: &Network) -> Result<(CondMeanField, Vec<String>), SpecError> {
    let dt = net.simulation.dt;
    let t_stop = net.simulation.t_stop;
    let mut warnings = vec![
        "conductance-based network: Brunel–Wang (2001) mean field (effective membrane time constant, mean NMDA gating of a Poisson train, Mg2+ block linearised at the mean membrane potential; NMDA fluctuations neglected)".to_string(),
    ];
    let is_cond = |p: &cortexsim_spec::Population| {
        p.model
            .ports()
            .iter()
            .any(|q| q.kind == cortexsim_neuron::PortKind::Conductance)
    };
    if let (Some(c), Some(i)) = (
        net.populations.iter().find(|p| is_cond(p)),
        net.populations.iter().find(|p| !is_cond(p)),
    ) {
        return Err(SpecError::new(
            format!("populations[{}].model", c.name),
            format!(
                "{}: conductance-based populations cannot be mixed with current-based ones ({}: {}) in the mean field",
                c.model.name(),
                i.name,
                i.model.name()
            ),
        ));
    }
    let mut pops = Vec::with_capacity(net.populations.len());
    for p in &net.populations {
        let ppath = format!("populations[{}].model", p.name);
        let core = p.model.core();
        let nmda = match &p.model {
            NeuronModel::IafBw2001(b) => {
                let (k0, k1) = b.nmda_k();
                Some(NmdaKinetics {
                    k0,
                    k1,
                    tau_decay_ms: b.tau_decay_nmda,
                    conc_mg2: b.conc_mg2,
                })
            }
            NeuronModel::IafCondExp(_) => None,
            m => {
                return Err(SpecError::new(
                    ppath,
                    format!(
                        "{}: the mean field of conductance-based networks covers iaf_cond_exp and iaf_bw_2001 only (alpha-shaped conductances are not reduced)",
                        m.name()
                    ),
                ));
            }
        };
        if p.model.v_min().is_finite() {
            return Err(SpecError::new(
                format!("populations[{}].params.V_min", p.name),
                "a lower bound of the membrane potential is not covered by the mean-field (Siegert) theory",
            ));
        }
        let channels = p
            .model
            .ports()
            .iter()
            .map(|q| CondChannel {
                name: q.name.to_string(),
                tau_ms: q.tau_syn,
                e_rev_mv: q.e_rev.unwrap_or(core.e_l),
                nmda: if q.payload { nmda.clone() } else { None },
            })
            .collect();
        pops.push(CondPopulation {
            name: p.name.clone(),
            c_m_pf: core.c_m,
            g_l_ns: core.c_m / core.tau_m,
            e_l_mv: core.e_l,
            v_th_mv: core.v_th,
            v_reset_mv: core.v_reset,
            t_ref_ms: cortexsim_neuron::refractory_steps(core.t_ref, dt) as f64 * dt,
            i_e_pa: core.i_e,
            channels,
        });
    }
    let n = pops.len();
    let channel_of = |a: usize, receptor: Option<&str>, w: f64, path: &str| {
        net.populations[a]
            .model
            .route(receptor)
            .map(|r| r.port(w))
            .ok_or_else(|| {
                SpecError::new(
                    format!("{path}.receptor"),
                    "no port receives this input (the network validation should have refused it)",
                )
            })
    };
    let const_weight = |d: &Dist, path: &str| match d {
        Dist::Const { value } => Ok(*value),
        _ => Err(SpecError::new(
            format!("{path}.weight"),
            "heterogeneous conductances are not covered by the mean field of conductance-based networks (constant weights only)",
        )),
    };
    let mut recurrent = vec![Vec::new(); n];
    for (i, pr) in net.projections.iter().enumerate() {
        let path = format!("projections[{i}]");
        let ns = net.populations[pr.source].size as f64;
        let nt = net.populations[pr.target].size as f64;
        let same = pr.source == pr.target;
        let k = match pr.rule {
            Rule::FixedIndegree { indegree } => indegree as f64,
            Rule::PairwiseBernoulli { p } => p * if same && !pr.autapses { ns - 1.0 } else { ns },
            Rule::FixedTotalNumber { n } => n as f64 / nt,
            Rule::FixedOutdegree { outdegree } => outdegree as f64 * ns / nt,
            Rule::FromList => pr.connections.as_ref().map_or(0, |l| l.len()) as f64 / nt,
            Rule::OneToOne => 1.0,
            Rule::AllToAll => {
                if same && !pr.autapses {
                    ns - 1.0
                } else {
                    ns
                }
            }
        };
        let w = const_weight(&pr.weight, &path)?;
        let channel = channel_of(pr.target, pr.receptor.as_deref(), w, &path)?;
        let port_payload = net.populations[pr.target].model.ports()[channel].payload;
        recurrent[pr.target].push(CondInput {
            source: pr.source,
            channel,
            k,
            w_ns: w.abs(),
            payload: port_payload && net.populations[pr.source].model.has_payload(),
            delay_ms: pr.delay.moments().0,
            private_fraction: (1.0 - k / ns.max(1.0)).clamp(0.0, 1.0),
        });
    }
    let mut external = vec![Vec::new(); n];
    for (i, st) in net.stimuli.iter().enumerate() {
        let path = format!("stimuli[{i}]");
        let a = st.target;
        // not active at any time of the run: no input
        if st.start >= t_stop - 0.5 * dt || st.stop <= 0.5 * dt {
            continue;
        }
        let whole = st.start <= 0.5 * dt && st.stop >= t_stop - 0.5 * dt;
        let partial = |what: &str| {
            SpecError::new(
                &path,
                format!(
                    "{what} active only in [{}, {}) ms of a {t_stop} ms run: time-dependent input is not covered by the stationary mean-field theory (make it span the run, end the run before it starts, or set its weight to 0)",
                    st.start, st.stop
                ),
            )
        };
        match &st.kind {
            StimulusKind::Poisson {
                rate,
                indegree,
                weight,
                rate_sd,
                ..
            } => {
                let mean_rate = if *rate_sd > 0.0 {
                    let x = rate / rate_sd;
                    let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
                    let cdf = 0.5 * RealErrorFunctions::erfc(-x * FRAC_1_SQRT_2);
                    rate * cdf + rate_sd * pdf
                } else {
                    *rate
                };
                let total = mean_rate * *indegree as f64;
                if total == 0.0 || *weight == 0.0 {
                    continue;
                }
                if !whole {
                    return Err(partial("Poisson input"));
                }
                if *rate_sd > 0.0 {
                    warnings.push(format!(
                        "{path}: a rate redrawn in time (rate {rate} Hz, rate_sd {rate_sd} Hz) enters with its mean {mean_rate:.4} Hz"
                    ));
                }
                let channel = channel_of(a, st.receptor.as_deref(), *weight, &path)?;
                external[a].push(CondExternal {
                    channel,
                    rate_hz: total,
                    w_ns: weight.abs(),
                });
            }
            StimulusKind::Dc { amplitude } => {
                if !whole {
                    return Err(partial("DC input"));
                }
                pops[a].i_e_pa += amplitude;
            }
            StimulusKind::Step { epochs } => {
                let windows: Vec<(f64, f64, f64)> = epochs
                    .iter()
                    .map(|e| (e.start.max(st.start), e.stop.min(st.stop), e.amplitude))
                    .collect();
                let i_pa = constant_current(&windows, t_stop).ok_or_else(|| {
                    SpecError::new(
                        &path,
                        "a step current that changes during the run is not covered by the stationary mean-field theory",
                    )
                })?;
                pops[a].i_e_pa += i_pa;
            }
            k @ (StimulusKind::Ac { .. } | StimulusKind::NoiseCurrent { .. }) => {
                return Err(uncovered_current(&path, k));
            }
            StimulusKind::Noise { .. } => {
                return Err(SpecError::new(
                    &path,
                    "a noise current into conductance-based neurons is not covered by their mean field",
                ));
            }
            StimulusKind::SourceTimes { .. } => {
                return Err(SpecError::new(
                    &path,
                    "spike sources (spike_source_array) are not covered by the stationary mean-field theory",
                ));
            }
            StimulusKind::SpikeTrain { times, .. } => {
                if !times.is_empty() {
                    return Err(SpecError::new(
                        path,
                        "explicit input spike trains are not covered by the stationary mean-field theory",
                    ));
                }
            }
        }
    }
    Ok((
        CondMeanField {
            pops,
            recurrent,
            external,
        },
        warnings,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brunel_toml() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../networks/brunel2000.toml"
        ))
        .unwrap()
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn brunel_reduces_to_the_paper_values() {
        let net = Network::from_toml_str(&brunel_toml()).unwrap();
        let mf = reduce(&net).unwrap();
        assert_eq!(mf.len(), 2);
        for a in 0..2 {
            let r = &mf.recurrent[a];
            assert_eq!(r[0].k, 1000.0);
            assert_eq!(r[1].k, 250.0);
            assert!(close(r[0].j_mv, 0.1, 1e-15));
            assert!(close(r[1].j_mv, -0.5, 1e-15));
            assert!(close(r[0].j2_mv2, 0.01, 1e-15));
            assert!(close(r[1].j2_mv2, 0.25, 1e-15));
            // tau_m K_ext J nu_ext = 0.02 s * 20 kHz * 0.1 mV
            assert!(close(mf.ext_mu_mv[a], 40.0, 1e-12), "{}", mf.ext_mu_mv[a]);
            assert!(close(mf.ext_sigma2_mv2[a], 4.0, 1e-12));
            let l = mf.pops[a].lif;
            assert_eq!(
                (l.tau_m_ms, l.v_th_mv, l.v_reset_mv, l.tau_s_ms),
                (20.0, 20.0, 0.0, 0.0)
            );
            assert!(close(l.t_ref_ms, 2.0, 1e-12));
        }
        assert_eq!(mf.pops[1].name, "I");
    }

    /// Two-population skeleton with a configurable projection/stimulus block.
    fn net(model: &str, params: &str, extra: &str) -> Result<Network, SpecError> {
        Network::from_toml_str(&format!(
            r#"
[simulation]
dt = 0.1
t_stop = 100.0
[[populations]]
name = "A"
size = 100
model = "{model}"
params = {{ {params} }}
[[populations]]
name = "B"
size = 40
model = "{model}"
params = {{ {params} }}
{extra}
"#
        ))
    }

    #[test]
    fn indegrees_of_all_rules() {
        let extra = r#"
[[projections]]
source = "A"
target = "A"
rule = "pairwise_bernoulli"
p = 0.1
autapses = false
weight = 1.0
[[projections]]
source = "A"
target = "B"
rule = "pairwise_bernoulli"
p = 0.1
weight = 1.0
[[projections]]
source = "B"
target = "A"
rule = "fixed_total_number"
n = 250
weight = 1.0
[[projections]]
source = "B"
target = "B"
rule = "all_to_all"
autapses = false
weight = 1.0
"#;
        let mf = reduce(&net("iaf_psc_delta", "", extra).unwrap()).unwrap();
        assert!(close(mf.recurrent[0][0].k, 9.9, 1e-14)); // 0.1 * 99
        assert!(close(mf.recurrent[1][0].k, 10.0, 1e-14)); // 0.1 * 100
        assert!(close(mf.recurrent[0][1].k, 2.5, 1e-14)); // 250 / 100
        assert_eq!(mf.recurrent[1][1].k, 39.0);
        let extra2 = r#"
[[projections]]
source = "B"
target = "B"
rule = "one_to_one"
weight = 1.0
[[projections]]
source = "A"
target = "B"
rule = "all_to_all"
weight = 1.0
"#;
        let mf = reduce(&net("iaf_psc_delta", "", extra2).unwrap()).unwrap();
        assert_eq!(mf.recurrent[1][1].k, 1.0);
        assert_eq!(mf.recurrent[1][0].k, 100.0);
        assert_eq!(mf.recurrent[0][0].k, 0.0);
    }

    #[test]
    fn projections_between_the_same_pair_are_merged() {
        let extra = r#"
[[projections]]
source = "A"
target = "B"
rule = "fixed_indegree"
indegree = 30
weight = 0.2
[[projections]]
source = "A"
target = "B"
rule = "fixed_indegree"
indegree = 10
weight = -0.6
"#;
        let mf = reduce(&net("iaf_psc_delta", "", extra).unwrap()).unwrap();
        let inp = mf.recurrent[1][0];
        assert_eq!(inp.k, 40.0);
        // K J = 30*0.2 - 10*0.6 = 0; K J2 = 30*0.04 + 10*0.36 = 4.8
        assert!(inp.j_mv.abs() < 1e-15);
        assert!(close(inp.k * inp.j2_mv2, 4.8, 1e-14));
    }

    #[test]
    fn exp_synapses_use_charge_over_capacitance() {
        // PD14 (Brunel 2000; Fourcaud & Brunel 2002): 87.81 pA, tau_s = 0.5 ms, C = 250 pF -> 0.1756 mV
        let p = "C_m = 250.0, tau_m = 10.0, tau_syn_ex = 0.5, tau_syn_in = 0.5, E_L = -65.0, V_th = -50.0, V_reset = -65.0, I_e = 100.0";
        let extra = r#"
[[projections]]
source = "A"
target = "B"
rule = "fixed_indegree"
indegree = 20
weight = 87.81
[[projections]]
source = "B"
target = "B"
rule = "fixed_indegree"
indegree = 5
weight = -351.24
[[stimuli]]
kind = "poisson"
target = "A"
rate = 8.0
indegree = 1000
weight = 87.81
[[stimuli]]
kind = "dc"
target = "B"
amplitude = 50.0
"#;
        let mf = reduce(&net("iaf_psc_exp", p, extra).unwrap()).unwrap();
        let j = 87.81 * 0.5 / 250.0;
        assert!(close(mf.recurrent[1][0].j_mv, j, 1e-14));
        assert!((j - 0.1756).abs() < 1e-4);
        assert!(close(mf.recurrent[1][1].j_mv, -4.0 * j, 1e-14));
        assert!(close(mf.recurrent[1][1].j2_mv2, 16.0 * j * j, 1e-14));
        // ext: tau_m nu K J + I_e tau_m / C
        let mu_a = 0.01 * 8000.0 * j + 100.0 * 10.0 / 250.0;
        assert!(close(mf.ext_mu_mv[0], mu_a, 1e-13));
        assert!(close(mf.ext_sigma2_mv2[0], 0.01 * 8000.0 * j * j, 1e-13));
        assert!(close(mf.ext_mu_mv[1], 150.0 * 10.0 / 250.0, 1e-13));
        let l = mf.pops[0].lif;
        assert_eq!((l.v_th_mv, l.v_reset_mv, l.tau_s_ms), (15.0, 0.0, 0.5));
    }

    #[test]
    fn a_receptor_equal_to_the_sign_default_reduces_the_same_and_others_are_refused() {
        let p = "C_m = 250.0, tau_m = 10.0, tau_syn_ex = 0.5, tau_syn_in = 0.5";
        let extra = |r_ex: &str, r_in: &str| {
            format!(
                "[[projections]]\nsource = \"A\"\ntarget = \"B\"\nrule = \"fixed_indegree\"\nindegree = 20\nweight = 87.81\n{r_ex}\n[[stimuli]]\nkind = \"poisson\"\ntarget = \"A\"\nrate = 8.0\nindegree = 1000\nweight = -87.81\n{r_in}\n"
            )
        };
        let plain = reduce(&net("iaf_psc_exp", p, &extra("", "")).unwrap()).unwrap();
        let named = reduce(
            &net(
                "iaf_psc_exp",
                p,
                &extra("receptor = \"ex\"", "receptor = \"in\""),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(plain, named);
        let err = reduce(&net("iaf_psc_exp", p, &extra("receptor = \"in\"", "")).unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("projections[0].receptor") && err.contains("\"in\""),
            "{err}"
        );
        let err = reduce(&net("iaf_psc_exp", p, &extra("", "receptor = \"ex\"")).unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("stimuli[0].receptor"), "{err}");
    }

    #[test]
    fn alpha_synapses_carry_e_tau_over_c() {
        let p = "C_m = 200.0, tau_m = 20.0, tau_syn_ex = 1.0, tau_syn_in = 3.0";
        let extra = r#"
[[stimuli]]
kind = "poisson"
target = "A"
rate = 1000.0
weight = 10.0
[[stimuli]]
kind = "poisson"
target = "B"
rate = 1000.0
weight = -10.0
"#;
        let (mf, w) = reduce_with_warnings(&net("iaf_psc_alpha", p, extra).unwrap()).unwrap();
        let ja = E * 1.0 * 10.0 / 200.0;
        let jb = -E * 3.0 * 10.0 / 200.0;
        assert!(close(mf.ext_mu_mv[0], 0.02 * 1000.0 * ja, 1e-13));
        assert!(close(mf.ext_mu_mv[1], 0.02 * 1000.0 * jb, 1e-13));
        // only one channel is used per population: its tau_syn is the shift's tau_s
        assert_eq!(mf.pops[0].lif.tau_s_ms, 1.0);
        assert_eq!(mf.pops[1].lif.tau_s_ms, 3.0);
        assert!(w.iter().any(|x| x.contains("alpha")));
    }

    #[test]
    fn mixed_synaptic_time_constants_are_refused() {
        let p = "tau_syn_ex = 0.5, tau_syn_in = 2.0";
        let extra = r#"
[[projections]]
source = "A"
target = "B"
rule = "fixed_indegree"
indegree = 20
weight = 10.0
[[projections]]
source = "B"
target = "B"
rule = "fixed_indegree"
indegree = 5
weight = -10.0
"#;
        let e = reduce(&net("iaf_psc_exp", p, extra).unwrap()).unwrap_err();
        assert_eq!(e.path, "populations[B].params");
        assert!(e.msg.contains("not covered"), "{e}");
        assert!(e.msg.contains("projections[0]") && e.msg.contains("projections[1]"));
        // Equal time constants: accepted.
        let ok = "tau_syn_ex = 2.0, tau_syn_in = 2.0";
        let mf = reduce(&net("iaf_psc_exp", ok, extra).unwrap()).unwrap();
        assert_eq!(mf.pops[1].lif.tau_s_ms, 2.0);
    }

    #[test]
    fn time_dependent_inputs_are_refused() {
        let cases = [
            (
                "kind = \"poisson\"\ntarget = \"A\"\nrate = 10.0\nweight = 0.1\nstart = 20.0",
                "Poisson",
            ),
            (
                "kind = \"dc\"\ntarget = \"A\"\namplitude = 10.0\nstop = 50.0",
                "DC input",
            ),
            (
                "kind = \"step\"\ntarget = \"A\"\namplitude_times = [0.0, 50.0]\namplitude_values = [1.0, 2.0]",
                "step current",
            ),
            (
                "kind = \"spike_train\"\ntarget = \"A\"\nspike_times = [1.0]\nweight = 1.0",
                "spike trains",
            ),
        ];
        for (stim, what) in cases {
            let e = reduce(&net("iaf_psc_delta", "", &format!("[[stimuli]]\n{stim}\n")).unwrap())
                .unwrap_err();
            assert_eq!(e.path, "stimuli[0]", "{stim}");
            assert!(e.msg.contains(what) && e.msg.contains("not covered"), "{e}");
        }
        // A step that is constant over the whole run is a DC.
        let stim = "[[stimuli]]\nkind = \"step\"\ntarget = \"A\"\namplitude_times = [0.0, 50.0]\namplitude_values = [25.0, 25.0]\n";
        let mf = reduce(&net("iaf_psc_delta", "C_m = 250.0, tau_m = 10.0", stim).unwrap()).unwrap();
        assert!(close(mf.ext_mu_mv[0], 1.0, 1e-14));
    }

    #[test]
    fn a_lower_voltage_bound_is_refused() {
        let e = reduce(&net("iaf_psc_delta", "V_min = -80.0", "").unwrap()).unwrap_err();
        assert_eq!(e.path, "populations[A].params.V_min");
        assert!(e.msg.contains("not covered"));
    }

    #[test]
    fn refractory_period_is_taken_as_integrated() {
        let mf = reduce(&net("iaf_psc_delta", "t_ref = 2.05", "").unwrap()).unwrap();
        assert!(close(mf.pops[0].lif.t_ref_ms, 2.1, 1e-12));
    }

    /// Partial moments against a midpoint rule over the sampled density.
    #[test]
    fn truncated_moments_match_quadrature() {
        let dists = [
            Dist::Normal {
                mean: 1.0,
                std: 2.0,
                min: -1.5,
                max: 4.0,
            },
            Dist::Normal {
                mean: -0.3,
                std: 0.5,
                min: f64::NEG_INFINITY,
                max: f64::INFINITY,
            },
            Dist::Lognormal {
                mu: 0.2,
                sigma: 0.7,
                min: 0.5,
                max: 6.0,
            },
            Dist::Uniform {
                low: -2.0,
                high: 1.0,
            },
        ];
        for d in dists {
            let (lo, hi) = match d {
                Dist::Normal { min, max, .. } => (min.max(-10.0), max.min(10.0)),
                _ => d.bounds(),
            };
            let dens = |x: f64| -> f64 {
                match d {
                    Dist::Normal { mean, std, .. } => phi_pdf((x - mean) / std) / std,
                    Dist::Lognormal { mu, sigma, .. } => {
                        phi_pdf((x.ln() - mu) / sigma) / (sigma * x)
                    }
                    _ => 1.0,
                }
            };
            // midpoint rule on each side of 0 separately
            let n = 200_000;
            let (mut m0, mut m1, mut m2) = ([0.0; 2], [0.0; 2], [0.0; 2]);
            for (s, (a, b)) in [(lo.max(0.0), hi), (lo, hi.min(0.0))]
                .into_iter()
                .enumerate()
            {
                if b <= a {
                    continue;
                }
                let h = (b - a) / n as f64;
                for i in 0..n {
                    let x = a + (i as f64 + 0.5) * h;
                    let w = dens(x) * h;
                    m0[s] += w;
                    m1[s] += w * x;
                    m2[s] += w * x * x;
                }
            }
            let tot = m0[0] + m0[1];
            let sp = SignSplit::of(&d);
            for (s, got) in [sp.pos, sp.neg].iter().enumerate() {
                let want = (m0[s] / tot, m1[s] / tot, m2[s] / tot);
                for (g, w) in [(got.0, want.0), (got.1, want.1), (got.2, want.2)] {
                    assert!((g - w).abs() < 1e-7, "{d:?} sign {s}: {g} vs {w}");
                }
            }
            assert!((sp.pos.0 + sp.neg.0 - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn unbounded_normal_weight_with_a_negligible_negative_tail_uses_one_channel() {
        let p = "tau_syn_ex = 0.5, tau_syn_in = 2.0";
        let extra = r#"
[[projections]]
source = "A"
target = "B"
rule = "fixed_indegree"
indegree = 20
weight = { distribution = "normal", mean = 100.0, std = 10.0 }
"#;
        let mf = reduce(&net("iaf_psc_exp", p, extra).unwrap()).unwrap();
        assert_eq!(mf.pops[1].lif.tau_s_ms, 0.5);
        let j = 0.5 / 250.0;
        assert!(close(mf.recurrent[1][0].j_mv, 100.0 * j, 1e-12));
        assert!(close(mf.recurrent[1][0].j2_mv2, 10100.0 * j * j, 1e-12));
    }
}
