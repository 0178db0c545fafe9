//! `iaf_bw_2001`: the conductance-based neuron of Brunel & Wang (2001) and Wang (2002)
//! with AMPA, GABA_A and NMDA synapses, in NEST's form (NEST ≥ 3.8, `iaf_bw_2001`).
//!
//! ```text
//! C_m dV/dt = -g_L (V - E_L) - s_AMPA (V - E_ex) - s_GABA (V - E_in)
//!             - s_NMDA (V - E_ex) / (1 + [Mg²⁺] e^{-0.062 V/mV} / 3.57) + I_stim
//! ds_X/dt = -s_X / tau_X   (X = AMPA, GABA; NMDA with tau_decay_NMDA)
//! ```
//! The conductances are folded into the weights (nS): `s_X` is a sum of weights.
//!
//! **Ports** (NEST's receptor types 1, 2, 3): `AMPA` (index 0), `GABA` (1), `NMDA` (2).
//! Every projection and stimulus names one (`receptor = "AMPA"`); weights are
//! conductances, positive for all three (NEST's convention for this model).
//!
//! **NMDA, NEST's approximation.** The NMDA gating of the presynaptic neuron is not
//! integrated at each synapse. Each neuron keeps `s_pre` (`State::trace`), which decays
//! with `tau_decay_NMDA`; at a spike
//! `δ = k₀ + k₁ s_pre`, `s_pre += δ`, with `k₁ = expm1(-α τ_rise)` and
//! `k₀ = (α τ_rise)^(τ_rise/τ_decay) γ(1 - τ_rise/τ_decay, α τ_rise)` (lower incomplete
//! gamma), and `δ` travels with the spike as its payload: the target adds `w δ` to its
//! `s_NMDA` (only the `NMDA` port multiplies the payload; `AMPA` and `GABA` receive `w`).
//! (NEST carries δ in the spike's offset, so its spike recorders show off-grid times;
//! here spike times stay on the grid.)
//!
//! One step: as [`super::iaf_cond_exp`] (same integrator; no `min(V, V_th)`, as in
//! NEST's `iaf_bw_2001`), then `s_X` decay exactly over `h` and the arriving weights
//! are added, then the threshold test; a spike computes δ as above. With no NMDA input
//! the model is `iaf_cond_exp` with `tau_syn_ex = tau_AMPA`, `tau_syn_in = tau_GABA`
//! (tested).
//!
//! | parameter | NEST name | default | unit | constraint |
//! |---|---|---|---|---|
//! | `c_m` | `C_m` | 500 | pF | > 0 |
//! | `g_l` | `g_L` | 25 | nS | > 0 |
//! | `t_ref` | `t_ref` | 2 | ms | >= 0 |
//! | `e_l` | `E_L` | -70 | mV | |
//! | `e_ex` | `E_ex` | 0 | mV | |
//! | `e_in` | `E_in` | -70 | mV | |
//! | `v_th` | `V_th` | -55 | mV | > V_reset |
//! | `v_reset` | `V_reset` | -60 | mV | |
//! | `tau_ampa` | `tau_AMPA` | 2 | ms | > 0 |
//! | `tau_gaba` | `tau_GABA` | 5 | ms | > 0 |
//! | `tau_decay_nmda` | `tau_decay_NMDA` | 100 | ms | > tau_rise_NMDA |
//! | `tau_rise_nmda` | `tau_rise_NMDA` | 2 | ms | > 0 |
//! | `alpha` | `alpha` | 0.5 | 1/ms | > 0, alpha·tau_rise_NMDA <= 700 |
//! | `conc_mg2` | `conc_Mg2` | 1 | mM | > 0 |
//! | `ode_tolerance` | — (cortexsim's) | 1e-7 | mV | > 0 (as for `iaf_cond_exp`) |
//!
//! No `I_e` (as NEST); a `dc`/`step` stimulus gives a current.
//!
//! Reference: NEST `models/iaf_bw_2001.{h,cpp}`; Wang 2002, Neuron 36:955.

use super::conductance::{
    bad, decay, gamma_lower, get, integrate, mg_block, ode_tolerance, parse_membrane, positive,
    stage_decays,
};
use super::{LifCore, Model, Port, PortKind, SignRoute, State, Step};
use cortexsim_core::error::SpecError;
use cortexsim_core::reader::Obj;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BwParams {
    #[serde(flatten)]
    pub core: LifCore,
    pub g_l: f64,
    pub e_ex: f64,
    pub e_in: f64,
    pub tau_ampa: f64,
    pub tau_gaba: f64,
    pub tau_decay_nmda: f64,
    pub tau_rise_nmda: f64,
    pub alpha: f64,
    pub conc_mg2: f64,
    /// Absolute tolerance of the membrane integrator per substep, mV.
    pub ode_tolerance: f64,
}

impl BwParams {
    /// `(k₀, k₁)` of NEST's NMDA approximation.
    pub fn nmda_k(&self) -> (f64, f64) {
        let at = self.alpha * self.tau_rise_nmda;
        let ratio = self.tau_rise_nmda / self.tau_decay_nmda;
        (
            at.powf(ratio) * gamma_lower(1.0 - ratio, at),
            (-at).exp_m1(),
        )
    }
}

#[derive(Debug, Clone)]
pub struct BwKernel {
    pub h: f64,
    pub c_m: f64,
    pub g_l: f64,
    /// Reversal potentials relative to E_L, mV.
    pub e_ex: f64,
    pub e_in: f64,
    pub inv_tau_ampa: f64,
    pub inv_tau_gaba: f64,
    pub inv_tau_nmda: f64,
    /// `e^{-h/tau}`.
    pub p_ampa: f64,
    pub p_gaba: f64,
    pub p_nmda: f64,
    /// `e^{-t/tau}` at the integrator's stage times of a whole step.
    pub tab_ampa: [f64; 6],
    pub tab_gaba: [f64; 6],
    pub tab_nmda: [f64; 6],
    pub conc_mg2: f64,
    pub k0: f64,
    pub k1: f64,
    pub v_th: f64,
    pub v_reset: f64,
    pub refr: u32,
    pub e_l: f64,
    /// The integrator's absolute tolerance, mV.
    pub atol: f64,
}

impl Model for BwParams {
    type Kernel = BwKernel;
    fn parse(p: Option<&Obj>) -> Result<Self, SpecError> {
        let d = LifCore {
            c_m: 500.0,
            tau_m: 20.0,
            t_ref: 2.0,
            e_l: -70.0,
            v_th: -55.0,
            v_reset: -60.0,
            i_e: 0.0,
        };
        let (core, g_l) = parse_membrane(p, d, 25.0, false)?;
        let tc = "time constant";
        let tau_rise_nmda = positive(p, "tau_rise_nmda", "tau_rise_NMDA", 2.0, tc, "ms")?;
        let tau_decay_nmda = positive(p, "tau_decay_nmda", "tau_decay_NMDA", 100.0, tc, "ms")?;
        if tau_decay_nmda <= tau_rise_nmda {
            return Err(bad(
                p,
                "tau_decay_nmda",
                "tau_decay_NMDA",
                format!(
                    "must be > tau_rise_NMDA ({tau_rise_nmda} ms), got {tau_decay_nmda} ms (the NMDA increment k₀ needs it)"
                ),
            ));
        }
        let alpha = get(p, "alpha", "alpha", 0.5)?;
        if alpha <= 0.0 || alpha * tau_rise_nmda > 700.0 {
            return Err(bad(
                p,
                "alpha",
                "alpha",
                format!(
                    "must be > 0 /ms with alpha·tau_rise_NMDA <= 700, got {alpha} /ms (tau_rise_NMDA = {tau_rise_nmda} ms)"
                ),
            ));
        }
        Ok(BwParams {
            core,
            g_l,
            e_ex: get(p, "e_ex", "E_ex", 0.0)?,
            e_in: get(p, "e_in", "E_in", -70.0)?,
            tau_ampa: positive(p, "tau_ampa", "tau_AMPA", 2.0, tc, "ms")?,
            tau_gaba: positive(p, "tau_gaba", "tau_GABA", 5.0, tc, "ms")?,
            tau_decay_nmda,
            tau_rise_nmda,
            alpha,
            conc_mg2: positive(p, "conc_mg2", "conc_Mg2", 1.0, "Mg2+ concentration", "mM")?,
            ode_tolerance: ode_tolerance(p)?,
        })
    }
    fn core(&self) -> LifCore {
        self.core
    }
    /// `AMPA` (index 0), `GABA` (1), `NMDA` (2): conductances (nS) towards `E_ex`,
    /// `E_in`, `E_ex`; each must be named (`receptor`); only `NMDA` multiplies the payload.
    fn ports(&self) -> Vec<Port> {
        let port = |name, tau, e, payload| Port {
            name,
            kind: PortKind::Conductance,
            tau_syn: tau,
            e_rev: Some(e),
            by_sign: SignRoute::Never,
            payload,
        };
        vec![
            port("AMPA", self.tau_ampa, self.e_ex, false),
            port("GABA", self.tau_gaba, self.e_in, false),
            port("NMDA", self.tau_decay_nmda, self.e_ex, true),
        ]
    }
    fn has_payload(&self) -> bool {
        true
    }
    fn state_bytes_per_neuron(&self) -> usize {
        52
    }
    fn kernel(&self, h: f64, refr: u32) -> BwKernel {
        let c = &self.core;
        let (k0, k1) = self.nmda_k();
        BwKernel {
            h,
            c_m: c.c_m,
            g_l: self.g_l,
            e_ex: self.e_ex - c.e_l,
            e_in: self.e_in - c.e_l,
            inv_tau_ampa: 1.0 / self.tau_ampa,
            inv_tau_gaba: 1.0 / self.tau_gaba,
            inv_tau_nmda: 1.0 / self.tau_decay_nmda,
            p_ampa: (-h / self.tau_ampa).exp(),
            p_gaba: (-h / self.tau_gaba).exp(),
            p_nmda: (-h / self.tau_decay_nmda).exp(),
            tab_ampa: stage_decays(h, 1.0 / self.tau_ampa),
            tab_gaba: stage_decays(h, 1.0 / self.tau_gaba),
            tab_nmda: stage_decays(h, 1.0 / self.tau_decay_nmda),
            conc_mg2: self.conc_mg2,
            k0,
            k1,
            v_th: c.v_th - c.e_l,
            v_reset: c.v_reset - c.e_l,
            refr,
            e_l: c.e_l,
            atol: self.ode_tolerance,
        }
    }
}

impl Step for BwKernel {
    fn step(
        &self,
        s: &mut State,
        input: &mut [f64],
        i_stim: f64,
        spikes: &mut Vec<u32>,
        payload: &mut Vec<f64>,
    ) {
        let n = s.v.len();
        let (inp_a, rest) = input[..3 * n].split_at_mut(n);
        let (inp_g, inp_n) = rest.split_at_mut(n);
        let (v, r, sa, sg, sn, pre, hs) = (
            &mut s.v[..n],
            &mut s.r[..n],
            &mut s.g_ex[..n],
            &mut s.g_in[..n],
            &mut s.g_nmda[..n],
            &mut s.trace[..n],
            &mut s.h_int[..n],
        );
        let cell = &s.i_cell[..];
        let k = self;
        for i in 0..n {
            let i_stim = if cell.is_empty() {
                i_stim
            } else {
                i_stim + cell[i]
            };
            let (a, g, m) = (sa[i], sg[i], sn[i]);
            if r[i] == 0 {
                let f = |t: f64, st: usize, y: f64| {
                    let a_t = a * decay(t, st, k.inv_tau_ampa, &k.tab_ampa);
                    let g_t = g * decay(t, st, k.inv_tau_gaba, &k.tab_gaba);
                    let m_t = m * decay(t, st, k.inv_tau_nmda, &k.tab_nmda);
                    let block = mg_block(y + k.e_l, k.conc_mg2);
                    (-k.g_l * y
                        - a_t * (y - k.e_ex)
                        - g_t * (y - k.e_in)
                        - m_t * (y - k.e_ex) * block
                        + i_stim)
                        / k.c_m
                };
                v[i] = integrate(f, v[i], k.h, &mut hs[i], k.atol);
            } else {
                r[i] -= 1;
            }
            sa[i] = a * k.p_ampa + inp_a[i];
            sg[i] = g * k.p_gaba + inp_g[i];
            sn[i] = m * k.p_nmda + inp_n[i];
            inp_a[i] = 0.0;
            inp_g[i] = 0.0;
            inp_n[i] = 0.0;
            pre[i] *= k.p_nmda;
            if v[i] >= k.v_th {
                r[i] = k.refr;
                v[i] = k.v_reset;
                let delta = k.k0 + k.k1 * pre[i];
                pre[i] += delta;
                spikes.push(i as u32);
                payload.push(delta);
            }
        }
    }
    fn e_l(&self) -> f64 {
        self.e_l
    }
    fn new_state(&self, v0_rel: Vec<f64>) -> State {
        let n = v0_rel.len();
        State {
            v: v0_rel,
            r: vec![0; n],
            g_ex: vec![0.0; n],
            g_in: vec![0.0; n],
            g_nmda: vec![0.0; n],
            trace: vec![0.0; n],
            h_int: vec![self.h; n],
            ..State::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nmda_increment_constants_match_nest_defaults() {
        let p = BwParams::parse(None).unwrap();
        let (k0, k1) = p.nmda_k();
        // scipy: 1**0.02 * gammainc(0.98, 1) * gamma(0.98); expm1(-1).
        assert!((k0 - 0.648_416_739_116_325_7).abs() < 1e-14, "{k0}");
        assert!((k1 + 0.632_120_558_828_557_7).abs() < 1e-15, "{k1}");
    }
}
