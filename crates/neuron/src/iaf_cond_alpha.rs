//! `iaf_cond_alpha`: leaky integrate-and-fire neuron with alpha-shaped synaptic
//! conductances (NEST `iaf_cond_alpha`; weights in nS, the peak conductance).
//!
//! ```text
//! C_m dV/dt = -g_L (V - E_L) - g_ex (V - E_ex) - g_in (V - E_in) + I_e + I_stim
//! dg_x/dt = dg_x' - g_x / tau_syn_x      d(dg_x')/dt = -dg_x' / tau_syn_x
//! ```
//! A weight `w` arriving at port `x` adds `w e / tau_syn_x` to `dg_x'`: the conductance
//! then peaks at `w` after `tau_syn_x`. Between steps `g(t) = (g + t·dg')·e^{-t/tau}`
//! and `dg'(t) = dg'·e^{-t/tau}` exactly.
//!
//! Ports, signs, update order and integration as [`super::iaf_cond_exp`] (NEST adds the
//! arriving weights after the threshold test; they act from the next step in both).
//! Parameters (names, defaults, constraints) are those of `iaf_cond_exp`.
//!
//! Reference: NEST `models/iaf_cond_alpha.{h,cpp}`.

use super::conductance::{decay, integrate, stage_decays};
use super::iaf_cond_exp::CondParams;
use super::{LifCore, Model, Port, State, Step};
use cortexsim_core::error::SpecError;
use cortexsim_core::reader::Obj;
use serde::Serialize;

/// `iaf_cond_alpha` parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct CondAlphaParams(pub CondParams);

#[derive(Debug, Clone)]
pub struct CondAlphaKernel {
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
    /// `e / tau_syn`: the jump of `dg'` per nS of weight.
    pub init_ex: f64,
    pub init_in: f64,
    pub i_e: f64,
    pub v_th: f64,
    pub v_reset: f64,
    pub refr: u32,
    pub e_l: f64,
    /// The integrator's absolute tolerance, mV.
    pub atol: f64,
}

impl Model for CondAlphaParams {
    type Kernel = CondAlphaKernel;
    fn parse(p: Option<&Obj>) -> Result<Self, SpecError> {
        CondParams::parse(p).map(CondAlphaParams)
    }
    fn core(&self) -> LifCore {
        self.0.core
    }
    /// `ex` (index 0) and `in` (1): alpha conductances with `tau_syn_ex`/`tau_syn_in`
    /// towards `E_ex`/`E_in`; without a `receptor`, weights `>= 0` go to `ex`, `< 0` to `in`.
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
        52
    }
    fn kernel(&self, h: f64, refr: u32) -> CondAlphaKernel {
        let p = &self.0;
        let c = &p.core;
        CondAlphaKernel {
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
            init_ex: std::f64::consts::E / p.tau_syn_ex,
            init_in: std::f64::consts::E / p.tau_syn_in,
            i_e: c.i_e,
            v_th: c.v_th - c.e_l,
            v_reset: c.v_reset - c.e_l,
            refr,
            e_l: c.e_l,
            atol: p.ode_tolerance,
        }
    }
}

impl Step for CondAlphaKernel {
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
        let (v, r, gex, gin, dgex, dgin, hs) = (
            &mut s.v[..n],
            &mut s.r[..n],
            &mut s.g_ex[..n],
            &mut s.g_in[..n],
            &mut s.dg_ex[..n],
            &mut s.dg_in[..n],
            &mut s.h_int[..n],
        );
        let cell = &s.i_cell[..];
        let k = self;
        for i in 0..n {
            let i0 = if cell.is_empty() { i0 } else { i0 + cell[i] };
            let (ge, gi, dge, dgi) = (gex[i], gin[i], dgex[i], dgin[i]);
            if r[i] == 0 {
                let f = |t: f64, st: usize, y: f64| {
                    let y = y.min(k.v_th);
                    let ge_t = (ge + t * dge) * decay(t, st, k.inv_tau_ex, &k.tab_ex);
                    let gi_t = (gi + t * dgi) * decay(t, st, k.inv_tau_in, &k.tab_in);
                    (-k.g_l * y - ge_t * (y - k.e_ex) - gi_t * (y - k.e_in) + i0) / k.c_m
                };
                v[i] = integrate(f, v[i], k.h, &mut hs[i], k.atol);
            } else {
                r[i] -= 1;
            }
            gex[i] = (ge + k.h * dge) * k.p_ex;
            gin[i] = (gi + k.h * dgi) * k.p_in;
            dgex[i] = dge * k.p_ex + inp_ex[i] * k.init_ex;
            dgin[i] = dgi * k.p_in - inp_in[i] * k.init_in;
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
            dg_ex: vec![0.0; n],
            dg_in: vec![0.0; n],
            h_int: vec![self.h; n],
            ..State::default()
        }
    }
}
