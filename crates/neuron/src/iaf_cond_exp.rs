//! `iaf_cond_exp`: leaky integrate-and-fire neuron with exponentially decaying
//! synaptic conductances (NEST `iaf_cond_exp`; weights in nS).
//!
//! ```text
//! C_m dV/dt = -g_L (V - E_L) - g_ex (V - E_ex) - g_in (V - E_in) + I_e + I_stim
//! dg_ex/dt = -g_ex / tau_syn_ex        dg_in/dt = -g_in / tau_syn_in
//! ```
//!
//! Ports: `ex` (index 0) receives weights `>= 0`, `in` (1) weights `< 0` (NEST's sign
//! convention: an inhibitory weight is negative and its magnitude is the conductance
//! jump, `g_in += -w`). A projection that names `receptor = "in"` gives negative weights
//! as well.
//!
//! One step `(t, t+h]`, as NEST 3: if not refractory, integrate `V` over the step with
//! the conductances as exact exponentials ([`super::conductance`]: Dormand–Prince 5(4),
//! 1e-7 mV per substep), using `min(V, V_th)` in the currents as NEST does; else count
//! the refractory step down (V stays at `V_reset`). Then the conductances decay exactly
//! over `h` and the weights arriving in this step are added (they act from the next
//! step); then the threshold test (`V >= V_th`: spike at `t+h`, `V = V_reset`,
//! refractory for `ceil(t_ref/h)` steps).
//!
//! | parameter | NEST name | default | unit | constraint |
//! |---|---|---|---|---|
//! | `c_m` | `C_m` | 250 | pF | > 0 |
//! | `g_l` | `g_L` | 16.6667 | nS | > 0 |
//! | `t_ref` | `t_ref` | 2 | ms | >= 0 |
//! | `e_l` | `E_L` | -70 | mV | |
//! | `e_ex` | `E_ex` | 0 | mV | |
//! | `e_in` | `E_in` | -85 | mV | |
//! | `v_th` | `V_th` | -55 | mV | > V_reset |
//! | `v_reset` | `V_reset` | -60 | mV | |
//! | `tau_syn_ex` | `tau_syn_ex` | 0.2 | ms | > 0 |
//! | `tau_syn_in` | `tau_syn_in` | 2 | ms | > 0 |
//! | `i_e` | `I_e` | 0 | pA | |
//! | `ode_tolerance` | — (cortexsim's) | 1e-7 | mV | > 0 |
//!
//! `ode_tolerance` is the integrator's absolute tolerance on `V` per substep
//! ([`super::conductance`]); NEST's GSL integrator uses 1e-3 (on `V` and the
//! conductances): faster (one substep per step), no longer reference quality.
//!
//! Reference: NEST `models/iaf_cond_exp.{h,cpp}`.

use super::conductance::{
    decay, get, integrate, ode_tolerance, parse_membrane, positive, stage_decays,
};
use super::{LifCore, Model, Port, PortKind, SignRoute, State, Step};
use cortexsim_core::error::SpecError;
use cortexsim_core::reader::Obj;
use serde::Serialize;

/// NEST's defaults shared by `iaf_cond_exp` and `iaf_cond_alpha`.
pub(crate) const COND_DEFAULTS: LifCore = LifCore {
    c_m: 250.0,
    tau_m: 250.0 / 16.6667,
    t_ref: 2.0,
    e_l: -70.0,
    v_th: -55.0,
    v_reset: -60.0,
    i_e: 0.0,
};

/// The parameters `iaf_cond_exp` and `iaf_cond_alpha` share (the same names and defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CondParams {
    #[serde(flatten)]
    pub core: LifCore,
    pub g_l: f64,
    pub e_ex: f64,
    pub e_in: f64,
    pub tau_syn_ex: f64,
    pub tau_syn_in: f64,
    /// Absolute tolerance of the membrane integrator per substep, mV.
    pub ode_tolerance: f64,
}

impl CondParams {
    pub(crate) fn parse(p: Option<&Obj>) -> Result<Self, SpecError> {
        let (core, g_l) = parse_membrane(p, COND_DEFAULTS, 16.6667, true)?;
        let what = "synaptic time constant";
        Ok(CondParams {
            core,
            g_l,
            e_ex: get(p, "e_ex", "E_ex", 0.0)?,
            e_in: get(p, "e_in", "E_in", -85.0)?,
            tau_syn_ex: positive(p, "tau_syn_ex", "tau_syn_ex", 0.2, what, "ms")?,
            tau_syn_in: positive(p, "tau_syn_in", "tau_syn_in", 2.0, what, "ms")?,
            ode_tolerance: ode_tolerance(p)?,
        })
    }

    /// `ex` and `in`, conductance ports routed by sign (NEST).
    pub(crate) fn ports(&self) -> Vec<Port> {
        vec![
            Port {
                name: "ex",
                kind: PortKind::Conductance,
                tau_syn: self.tau_syn_ex,
                e_rev: Some(self.e_ex),
                by_sign: SignRoute::NonNegative,
                payload: false,
            },
            Port {
                name: "in",
                kind: PortKind::Conductance,
                tau_syn: self.tau_syn_in,
                e_rev: Some(self.e_in),
                by_sign: SignRoute::Negative,
                payload: false,
            },
        ]
    }
}

/// `iaf_cond_exp` parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct CondExpParams(pub CondParams);

#[derive(Debug, Clone)]
pub struct CondExpKernel {
    pub h: f64,
    pub c_m: f64,
    pub g_l: f64,
    /// Reversal potentials relative to E_L, mV.
    pub e_ex: f64,
    pub e_in: f64,
    pub inv_tau_ex: f64,
    pub inv_tau_in: f64,
    /// `e^{-h/tau_syn}`.
    pub p_ex: f64,
    pub p_in: f64,
    /// `e^{-t/tau_syn}` at the integrator's stage times of a whole step.
    pub tab_ex: [f64; 6],
    pub tab_in: [f64; 6],
    pub i_e: f64,
    pub v_th: f64,
    pub v_reset: f64,
    pub refr: u32,
    pub e_l: f64,
    /// The integrator's absolute tolerance, mV.
    pub atol: f64,
}

impl Model for CondExpParams {
    type Kernel = CondExpKernel;
    fn parse(p: Option<&Obj>) -> Result<Self, SpecError> {
        CondParams::parse(p).map(CondExpParams)
    }
    fn core(&self) -> LifCore {
        self.0.core
    }
    /// `ex` (index 0) and `in` (1): conductances with `tau_syn_ex`/`tau_syn_in` towards
    /// `E_ex`/`E_in`; without a `receptor`, weights `>= 0` go to `ex`, weights `< 0` to `in`.
    fn ports(&self) -> Vec<Port> {
        self.0.ports()
    }
    /// `v_m` and both conductances (NEST: `V_m`, `g_ex`, `g_in`).
    fn records(&self, var: super::Analog) -> bool {
        matches!(
            var,
            super::Analog::VM | super::Analog::GEx | super::Analog::GIn
        )
    }
    fn state_bytes_per_neuron(&self) -> usize {
        36
    }
    fn kernel(&self, h: f64, refr: u32) -> CondExpKernel {
        let p = &self.0;
        let c = &p.core;
        CondExpKernel {
            h,
            c_m: c.c_m,
            g_l: p.g_l,
            e_ex: p.e_ex - c.e_l,
            e_in: p.e_in - c.e_l,
            inv_tau_ex: 1.0 / p.tau_syn_ex,
            inv_tau_in: 1.0 / p.tau_syn_in,
            p_ex: (-h / p.tau_syn_ex).exp(),
            p_in: (-h / p.tau_syn_in).exp(),
            tab_ex: stage_decays(h, 1.0 / p.tau_syn_ex),
            tab_in: stage_decays(h, 1.0 / p.tau_syn_in),
            i_e: c.i_e,
            v_th: c.v_th - c.e_l,
            v_reset: c.v_reset - c.e_l,
            refr,
            e_l: c.e_l,
            atol: p.ode_tolerance,
        }
    }
}

impl Step for CondExpKernel {
    fn step(
        &self,
        s: &mut State,
        input: &mut [f64],
        i_stim: f64,
        spikes: &mut Vec<u32>,
        _: &mut Vec<f64>,
    ) {
        let n = s.v.len();
        let i0 = self.i_e + i_stim;
        let (inp_ex, inp_in) = input[..2 * n].split_at_mut(n);
        let (v, r, gex, gin, hs) = (
            &mut s.v[..n],
            &mut s.r[..n],
            &mut s.g_ex[..n],
            &mut s.g_in[..n],
            &mut s.h_int[..n],
        );
        let cell = &s.i_cell[..];
        let k = self;
        for i in 0..n {
            let i0 = if cell.is_empty() { i0 } else { i0 + cell[i] };
            let (ge, gi) = (gex[i], gin[i]);
            if r[i] == 0 {
                let f = |t: f64, st: usize, y: f64| {
                    let y = y.min(k.v_th);
                    let ge_t = ge * decay(t, st, k.inv_tau_ex, &k.tab_ex);
                    let gi_t = gi * decay(t, st, k.inv_tau_in, &k.tab_in);
                    (-k.g_l * y - ge_t * (y - k.e_ex) - gi_t * (y - k.e_in) + i0) / k.c_m
                };
                v[i] = integrate(f, v[i], k.h, &mut hs[i], k.atol);
            } else {
                r[i] -= 1;
            }
            gex[i] = ge * k.p_ex + inp_ex[i];
            gin[i] = gi * k.p_in - inp_in[i];
            inp_ex[i] = 0.0;
            inp_in[i] = 0.0;
            if v[i] >= k.v_th {
                r[i] = k.refr;
                v[i] = k.v_reset;
                spikes.push(i as u32);
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
            h_int: vec![self.h; n],
            ..State::default()
        }
    }
}
