//! 29-area spiking model of the macaque cortex of Joglekar et al. 2018 (Neuron 98:222),
//! asynchronous regime, weak or strong global balanced amplification (GBA), following the
//! original Brian2 code (OpenSourceBrain/JoglekarEtAl18,
//! `Brian/OriginalCodes/rishimodelpython_brian2_spiking.py`) and Joglekar et al. 2018, Neuron 98:222.
//!
//! Per area `i` (data order of `markov2014-29areas`) an excitatory population `<area>_E`
//! and an inhibitory population `<area>_I` (default 1600 + 400 neurons) of leaky
//! integrate-and-fire neurons with delta synapses (`iaf_psc_delta`, a spike makes the
//! target potential jump by the weight, in mV):
//!
//! ```text
//! τ_x dV/dt = −(V − V_r) + μ_x + I_stim(t) + σ √τ_x ξ(t)      (x = E, I)
//! V ≥ V_t → V = V_reset, refractory 2 ms
//! V_r = −70, V_reset = −60, V_t = −50 mV, τ_E = 20 ms, τ_I = 10 ms, σ = 3 mV
//! ```
//!
//! The background `μ_x + σ √τ ξ` is the `noise` stimulus (Brian's
//! `(μ − (V − V_r))/τ + σ √(1/τ) ξ`). Initial potentials are uniform in `[V_r, V_t]`.
//!
//! Population names are SONATA-safe (they become HDF5 groups `/spikes/<name>`): an area's
//! characters other than ASCII letters, digits, `_` and `-` become `_`, then `_E` or `_I`
//! is appended — `V1_E`, `9_46d_E`, `9_46v_I` (until 2026-11 `V1.E`, `9/46d.E`, which
//! HDF5 stored as the nested group `/spikes/9/46d.E`). [`area_key`] maps names of both
//! forms, and the rate models' `<area>.E`, to the same key.
//!
//! Connections, pairwise Bernoulli (autapses allowed, as Brian's `connect(p=…)`), weights in
//! mV, names target←source as in the code (`ω_EE` E←E, `ω_IE` I←E, `ω_EI` E←I, `ω_II` I←I):
//!
//! ```text
//! local (p = 0.1, delay 2 ms):
//!   E_i ← E_i : (1 + α h_i) ω_EE        I_i ← E_i : (1 + α h_i) ω_IE
//!   E_i ← I_i : −ω_EI                   I_i ← I_i : −ω_II
//! long range, source area j ≠ i (p = 0.1, E sources only):
//!   E_i ← E_j : (1 + α h_i) μ_EE FLN[i, j]
//!   I_i ← E_j : (1 + α h_i) μ_IE FLN[i, j]
//!   delay ~ Normal(d_ij / v, 0.1 d_ij / v),  d_ij = distance[i, j] (mm), v = 3.5 m/s
//! ```
//!
//! `h_i` is `hier_norm` (hierarchy normalised to [0, 1]); FLN and distance are
//! `[target, source]`. Projections with FLN = 0 are left out (Brian creates them with weight 0,
//! which has no effect). Long-range delays are drawn per synapse, truncated to
//! `[dt, mean + 10 sd]` (the lower bound is never reached: the shortest mean is 2.7 ms).
//!
//! Asynchronous-regime parameters (code, Joglekar et al. 2018, Neuron 98:222): `ω_EE` 0.01, `ω_IE` 0.075,
//! `ω_II` 0.075, `μ_IE` 0.0475 mV, `α` 0.68 in the paper (4.0 here, below), `μ_E` 14.2, `μ_I` 14.7 mV; weak GBA
//! `ω_EI` = `μ_EE` = 0.0375 mV, strong GBA `ω_EI` = `μ_EE` = 0.05 mV. Optional input: a
//! 6.3 mV drive to V1-E for 150 ms from 300 ms (the code's 1500 steps of 0.1 ms from step
//! 3000).
//!
//! Units: `C_m` is set numerically equal to `τ_m` (20 pF for E, 10 pF for I), so the
//! membrane resistance is 1 GΩ and a current of X pA is a drive of exactly X mV; the pulse
//! is therefore a `step` stimulus of `amplitude` pA = mV. With delta synapses `C_m` has no
//! other effect.
//!
//! Size: `n_per_area` neurons per area, split 80/20. By default (`keep_indegree`) the
//! connection probabilities are multiplied by `2000 / n_per_area` (capped at 1) so that
//! every neuron keeps the in-degrees of the published network (160 local E, 40 local I,
//! 160 per source area) and the mean and variance of its input are unchanged.
//!
//! Differences from Brian2: the engine integrates the membrane exactly (Brian: Euler–
//! Maruyama at 0.1 ms), thresholds with `V ≥ V_t` (Brian `V > V_t`), and ignores input
//! spikes during the refractory period (Brian adds them to the clamped potential).
//!
//! Hierarchy gradient α = 4.0, not the paper's 0.68: in the original script
//! (`rishimodelpython_brian2_spiking.py`, OpenSourceBrain/JoglekarEtAl18) the line that
//! sets the *synchronous* regime — including `alpha = 4` — is active, and the
//! asynchronous-regime lines that follow only reset the weights and drives, so the
//! published asynchronous runs used α = 4. Measured here (full size, 600 ms, pulse off):
//! α = 0.68 gives E 0.98 Hz, I 3.4 Hz and strong GBA does not reach prefrontal areas;
//! α = 4 gives E 1.31 Hz, I 5.56 Hz (ReScience NEST replication: 1.30 / 5.59 Hz), the weak
//! pulse stays in V1–V4/DP/MT/TEO and the strong one reaches 8l, 7A, 46d, 9/46d, 7m, 7B, 8B
//! — the published picture. `--set model.alpha=0.68` gives the paper's value.

use super::large_scale::Gba;
use super::markov::MacaqueData;
use cortexsim_core::error::SpecError;
use cortexsim_spec::{Network, NetworkBuilder};
use serde::{Deserialize, Serialize};
use toml::{Table, Value};

/// An input pulse: a constant drive of `amplitude_mv` into `area`'s E population during
/// `[start_ms, start_ms + duration_ms)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pulse {
    pub area: String,
    pub start_ms: f64,
    pub duration_ms: f64,
    pub amplitude_mv: f64,
}

impl Default for Pulse {
    /// The code's asynchronous-regime input: 6.3 mV into V1 for 150 ms from 300 ms.
    fn default() -> Self {
        Pulse {
            area: "V1".into(),
            start_ms: 300.0,
            duration_ms: 150.0,
            amplitude_mv: 6.3,
        }
    }
}

/// Parameters of the spiking 29-area model (mV, ms). See the module docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoglekarSpikingParams {
    /// Neurons per area (80 % E, 20 % I).
    pub n_per_area: u32,
    /// Scale connection probabilities by `2000 / n_per_area` to keep in-degrees.
    pub keep_indegree: bool,
    /// Local and long-range connection probabilities (at 2000 neurons per area).
    pub p_local: f64,
    pub p_long: f64,
    /// Local weights (mV), target←source; inhibitory ones are given positive and applied
    /// negative.
    pub omega_ee: f64,
    pub omega_ie: f64,
    pub omega_ei: f64,
    pub omega_ii: f64,
    /// Long-range scales (mV): E←E and I←E.
    pub mu_ee: f64,
    pub mu_ie: f64,
    /// Hierarchy gradient α.
    pub alpha: f64,
    /// Background mean drive (mV) of E and I neurons and noise amplitude σ (mV).
    pub mu_e: f64,
    pub mu_i: f64,
    pub sigma: f64,
    /// Neuron parameters.
    pub v_rest: f64,
    pub v_reset: f64,
    pub v_th: f64,
    pub tau_e: f64,
    pub tau_i: f64,
    pub t_ref: f64,
    /// Local delay (ms), conduction speed (m/s = mm/ms), relative sd of long-range delays.
    pub delay_local: f64,
    pub speed: f64,
    pub delay_jitter: f64,
    /// Optional input pulse.
    pub pulse: Option<Pulse>,
    /// Simulation: time step and duration (ms), seed, threads (0 = all cores), rate bin (ms).
    pub dt: f64,
    pub t_stop: f64,
    pub seed: u64,
    pub threads: usize,
    pub rate_bin: f64,
}

impl JoglekarSpikingParams {
    /// Asynchronous regime with weak or strong GBA (Joglekar et al. 2018, Neuron 98:222), full size, no pulse.
    pub fn asynchronous(gba: Gba) -> Self {
        let (omega_ei, mu_ee) = match gba {
            Gba::Weak => (0.0375, 0.0375),
            Gba::Strong => (0.05, 0.05),
        };
        JoglekarSpikingParams {
            n_per_area: 2000,
            keep_indegree: true,
            p_local: 0.1,
            p_long: 0.1,
            omega_ee: 0.01,
            omega_ie: 0.075,
            omega_ei,
            omega_ii: 0.075,
            mu_ee,
            mu_ie: 0.19 / 4.0,
            // As the published script runs (see the module docs): 4.0, not 0.68.
            alpha: 4.0,
            mu_e: 14.2,
            mu_i: 14.7,
            sigma: 3.0,
            v_rest: -70.0,
            v_reset: -60.0,
            v_th: -50.0,
            tau_e: 20.0,
            tau_i: 10.0,
            t_ref: 2.0,
            delay_local: 2.0,
            speed: 3.5,
            delay_jitter: 0.1,
            pulse: None,
            dt: 0.1,
            t_stop: 1000.0,
            seed: 1,
            threads: 0,
            rate_bin: 5.0,
        }
    }

    /// Weak GBA preset.
    pub fn weak() -> Self {
        Self::asynchronous(Gba::Weak)
    }

    /// Strong GBA preset.
    pub fn strong() -> Self {
        Self::asynchronous(Gba::Strong)
    }

    /// E and I population sizes per area.
    pub fn sizes(&self) -> (u32, u32) {
        let ne = (0.8 * self.n_per_area as f64).round() as u32;
        (ne, self.n_per_area - ne)
    }

    /// Connection probability actually used for a published probability `p`.
    pub fn effective_p(&self, p: f64) -> f64 {
        if self.keep_indegree {
            (p * 2000.0 / self.n_per_area as f64).min(1.0)
        } else {
            p
        }
    }

    /// Mean long-range delay (ms) over `distance_mm`.
    pub fn delay_mean(&self, distance_mm: f64) -> f64 {
        distance_mm / self.speed
    }

    fn check(&self) -> Result<(), SpecError> {
        let pos = [
            ("n_per_area", self.n_per_area as f64),
            ("tau_e", self.tau_e),
            ("tau_i", self.tau_i),
            ("speed", self.speed),
            ("dt", self.dt),
        ];
        for (k, v) in pos {
            if !(v > 0.0 && v.is_finite()) {
                return Err(SpecError::new(format!("model.{k}"), "must be > 0"));
            }
        }
        if self.n_per_area < 2 {
            return Err(SpecError::new(
                "model.n_per_area",
                "must be at least 2 (one E and one I neuron)",
            ));
        }
        for (k, v) in [("p_local", self.p_local), ("p_long", self.p_long)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(SpecError::new(
                    format!("model.{k}"),
                    format!("probability must be in [0, 1], got {v}"),
                ));
            }
        }
        if self.delay_jitter.is_nan() || self.delay_jitter < 0.0 {
            return Err(SpecError::new("model.delay_jitter", "must be >= 0"));
        }
        Ok(())
    }
}

/// SONATA-safe form of an area name: every character outside ASCII letters, digits, `_`
/// and `-` becomes `_` (`9/46d` → `9_46d`, `9/46v` → `9_46v`; the 29 Markov areas stay
/// distinct, and a data set whose areas collide is refused as a duplicate population).
pub fn safe_area(area: &str) -> String {
    area.chars()
        .map(|c| {
            if cortexsim_spec::validate::name_char(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// E population of `area`: `<safe area>_E` (`V1_E`, `9_46d_E`), a valid HDF5 group name
/// (rate models keep `<area>.E`, see [`super::large_scale::e_pop`]).
pub fn e_pop(area: &str) -> String {
    format!("{}_E", safe_area(area))
}

/// I population of `area`: `<safe area>_I`.
pub fn i_pop(area: &str) -> String {
    format!("{}_I", safe_area(area))
}

/// The area part of a population name of either model, in its safe form:
/// `9_46d_E` (spiking) and `9/46d.E` (rate) both give `9_46d`; a name without a
/// population suffix is taken whole.
pub fn area_key(name: &str) -> String {
    let area = name
        .rsplit_once(['.', '_'])
        .filter(|(_, pop)| matches!(*pop, "E" | "I"))
        .map_or(name, |(a, _)| a);
    safe_area(area)
}

/// Build the validated network (see the module docs). Errors name the parameter
/// (`model.<key>`) or come from the network validation.
pub fn build(p: &JoglekarSpikingParams, data: &MacaqueData) -> Result<Network, SpecError> {
    p.check()?;
    let (ne, ni) = p.sizes();
    let mut b = NetworkBuilder::new()
        .simulation(&[
            ("dt", p.dt.into()),
            ("t_stop", p.t_stop.into()),
            // Above 2^63 - 1 as a string of digits (`simulation.seed` takes both).
            (
                "seed",
                i64::try_from(p.seed).map_or_else(|_| p.seed.to_string().into(), Value::from),
            ),
            ("threads", (p.threads as i64).into()),
        ])
        .recorders(&[("rate_bin", p.rate_bin.into())]);
    let v0 = || -> Value {
        let mut t = Table::new();
        t.insert("distribution".into(), "uniform".into());
        t.insert("low".into(), p.v_rest.into());
        t.insert("high".into(), p.v_th.into());
        Value::Table(t)
    };
    let neuron = |tau: f64| {
        [
            ("c_m", tau), // C_m = τ_m: R_m = 1 GΩ, 1 pA of current = 1 mV of drive
            ("tau_m", tau),
            ("t_ref", p.t_ref),
            ("e_l", p.v_rest),
            ("v_th", p.v_th),
            ("v_reset", p.v_reset),
        ]
    };
    for area in &data.areas {
        let (e, i) = (e_pop(area), i_pop(area));
        b = b
            .population(&e, ne, "iaf_psc_delta", &neuron(p.tau_e))
            .v_init(&e, v0())
            .population(&i, ni, "iaf_psc_delta", &neuron(p.tau_i))
            .v_init(&i, v0());
        for (pop, mu) in [(&e, p.mu_e), (&i, p.mu_i)] {
            b = b.stimulus(
                "noise",
                pop,
                &[("mean", mu.into()), ("sigma", p.sigma.into())],
            );
        }
    }
    let pl = p.effective_p(p.p_local);
    let pr = p.effective_p(p.p_long);
    for (t, area) in data.areas.iter().enumerate() {
        let scale = 1.0 + p.alpha * data.hier_norm[t];
        let (e, i) = (e_pop(area), i_pop(area));
        for (src, tgt, w) in [
            (&e, &e, scale * p.omega_ee),
            (&e, &i, scale * p.omega_ie),
            (&i, &e, -p.omega_ei),
            (&i, &i, -p.omega_ii),
        ] {
            b = b.projection(
                src,
                tgt,
                "pairwise_bernoulli",
                &[
                    ("p", pl.into()),
                    ("weight", w.into()),
                    ("delay", p.delay_local.into()),
                ],
            );
        }
        for (s, src_area) in data.areas.iter().enumerate() {
            let fln = data.fln(t, s);
            if s == t || fln == 0.0 {
                continue;
            }
            let mean = p.delay_mean(data.distance_mm[t * data.n() + s]);
            let sd = p.delay_jitter * mean;
            let delay: Value = if sd > 0.0 {
                let mut d = Table::new();
                d.insert("distribution".into(), "normal".into());
                d.insert("mean".into(), mean.into());
                d.insert("std".into(), sd.into());
                d.insert("min".into(), p.dt.into());
                d.insert("max".into(), (mean + 10.0 * sd).into());
                Value::Table(d)
            } else {
                mean.max(p.dt).into()
            };
            let es = e_pop(src_area);
            for (tgt, mu) in [(&e, p.mu_ee), (&i, p.mu_ie)] {
                b = b.projection(
                    &es,
                    tgt,
                    "pairwise_bernoulli",
                    &[
                        ("p", pr.into()),
                        ("weight", (scale * mu * fln).into()),
                        ("delay", delay.clone()),
                    ],
                );
            }
        }
    }
    if let Some(pulse) = &p.pulse {
        if data.area_index(&pulse.area).is_none() {
            return Err(SpecError::new(
                "model.pulse.area",
                format!(
                    "unknown area `{}`{}",
                    pulse.area,
                    cortexsim_core::reader::did_you_mean(
                        &pulse.area,
                        data.areas.iter().map(String::as_str)
                    )
                    .map(|h| format!("; did you mean `{h}`?"))
                    .unwrap_or_default()
                ),
            ));
        }
        let mut ep = Table::new();
        ep.insert("start".into(), pulse.start_ms.into());
        ep.insert("stop".into(), (pulse.start_ms + pulse.duration_ms).into());
        // pA = mV because R_m = 1 GΩ (C_m = τ_m).
        ep.insert("amplitude".into(), pulse.amplitude_mv.into());
        b = b.stimulus(
            "step",
            &e_pop(&pulse.area),
            &[("epochs", Value::Array(vec![Value::Table(ep)]))],
        );
    }
    b.build()
}
