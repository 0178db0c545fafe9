//! `iaf_psc_exp`: leaky integrate-and-fire neuron with exponentially decaying
//! synaptic currents (weights in pA; positive weights go to the excitatory, negative
//! to the inhibitory current).
//!
//! ```text
//! tau_m dV/dt = -(V - E_L) + tau_m/C_m (I_ex + I_in + I_e + I_stim)
//! tau_syn_ex dI_ex/dt = -I_ex + sum_k w_k tau... (jump by w at each arrival)
//! ```
//!
//! Exact integration (Rotter & Diesmann 1999), `y = V - E_L`:
//! `y <- P22 y + P21ex I_ex + P21in I_in + P20 (I_e + I_stim)` (if not refractory),
//! then `I_x <- P11x I_x + (weights arriving this step)`, then the threshold test.
//! `P22 = e^{-h/tau_m}`, `P11x = e^{-h/tau_syn_x}`, `P20 = -tau_m/C_m expm1(-h/tau_m)`,
//! `P21x = propagator_32(tau_syn_x, tau_m, C_m, h)` — the stable form that handles
//! `tau_m = tau_syn` exactly (see [`super::propagators`]).
//!
//! | parameter | NEST name | default | unit | constraint |
//! |---|---|---|---|---|
//! | `c_m` | `C_m` | 250 | pF | > 0 |
//! | `tau_m` | `tau_m` | 10 | ms | > 0 |
//! | `tau_syn_ex` | `tau_syn_ex` | 2 | ms | > 0 |
//! | `tau_syn_in` | `tau_syn_in` | 2 | ms | > 0 |
//! | `t_ref` | `t_ref` | 2 | ms | >= 0 |
//! | `e_l` | `E_L` | -70 | mV | |
//! | `v_th` | `V_th` | -55 | mV | > V_reset |
//! | `v_reset` | `V_reset` | -70 | mV | |
//! | `i_e` | `I_e` | 0 | pA | |
//!
//! Reference: NEST `models/iaf_psc_exp.{h,cpp}`.

use super::propagators::propagator_32;
use super::{LifCore, Model, Port, State, Step, ex_in_ports, parse_core, parse_tau_syn};
use cortexsim_core::error::SpecError;
use cortexsim_core::reader::Obj;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExpParams {
    #[serde(flatten)]
    pub core: LifCore,
    pub tau_syn_ex: f64,
    pub tau_syn_in: f64,
}

impl ExpParams {
    pub fn parse(p: Option<&Obj>) -> Result<Self, SpecError> {
        let core = parse_core(p)?;
        let (tau_syn_ex, tau_syn_in) = parse_tau_syn(p)?;
        Ok(ExpParams {
            core,
            tau_syn_ex,
            tau_syn_in,
        })
    }

    pub fn kernel(&self, h: f64, refr: u32) -> ExpKernel {
        let c = &self.core;
        ExpKernel {
            p22: (-h / c.tau_m).exp(),
            p20: -c.tau_m / c.c_m * (-h / c.tau_m).exp_m1(),
            p11ex: (-h / self.tau_syn_ex).exp(),
            p11in: (-h / self.tau_syn_in).exp(),
            p21ex: propagator_32(self.tau_syn_ex, c.tau_m, c.c_m, h),
            p21in: propagator_32(self.tau_syn_in, c.tau_m, c.c_m, h),
            i_e: c.i_e,
            v_th: c.v_th - c.e_l,
            v_reset: c.v_reset - c.e_l,
            refr,
            e_l: c.e_l,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExpKernel {
    pub p22: f64,
    pub p20: f64,
    pub p11ex: f64,
    pub p11in: f64,
    pub p21ex: f64,
    pub p21in: f64,
    pub i_e: f64,
    pub v_th: f64,
    pub v_reset: f64,
    pub refr: u32,
    pub e_l: f64,
}

impl ExpKernel {
    #[inline]
    pub fn step(&self, s: &mut State, input: &mut [f64], i_stim: f64, spikes: &mut Vec<u32>) {
        let n = s.v.len();
        let drive = (self.i_e + i_stim) * self.p20;
        let (inp_ex, inp_in) = input[..2 * n].split_at_mut(n);
        let (v, r, iex, iin) = (
            &mut s.v[..n],
            &mut s.r[..n],
            &mut s.i_ex[..n],
            &mut s.i_in[..n],
        );
        let cell = &s.i_cell[..];
        for i in 0..n {
            if r[i] == 0 {
                let drive = if cell.is_empty() {
                    drive
                } else {
                    drive + cell[i] * self.p20
                };
                v[i] = v[i] * self.p22 + iex[i] * self.p21ex + iin[i] * self.p21in + drive;
            } else {
                r[i] -= 1;
            }
            iex[i] = iex[i] * self.p11ex + inp_ex[i];
            iin[i] = iin[i] * self.p11in + inp_in[i];
            inp_ex[i] = 0.0;
            inp_in[i] = 0.0;
            if v[i] >= self.v_th {
                r[i] = self.refr;
                v[i] = self.v_reset;
                spikes.push(i as u32);
            }
        }
    }
}

impl Model for ExpParams {
    type Kernel = ExpKernel;
    fn parse(p: Option<&Obj>) -> Result<Self, SpecError> {
        ExpParams::parse(p)
    }
    fn core(&self) -> LifCore {
        self.core
    }
    /// `ex` (index 0) and `in` (1): currents with `tau_syn_ex`/`tau_syn_in`; without a
    /// `receptor`, weights `>= 0` go to `ex`, weights `< 0` to `in`.
    fn ports(&self) -> Vec<Port> {
        ex_in_ports(self.tau_syn_ex, self.tau_syn_in)
    }
    fn state_bytes_per_neuron(&self) -> usize {
        28
    }
    fn kernel(&self, h: f64, refr: u32) -> ExpKernel {
        ExpParams::kernel(self, h, refr)
    }
}

impl Step for ExpKernel {
    #[inline]
    fn step(
        &self,
        s: &mut State,
        input: &mut [f64],
        i_stim: f64,
        spikes: &mut Vec<u32>,
        _: &mut Vec<f64>,
    ) {
        ExpKernel::step(self, s, input, i_stim, spikes)
    }
    fn e_l(&self) -> f64 {
        self.e_l
    }
    fn new_state(&self, v0_rel: Vec<f64>) -> State {
        let n = v0_rel.len();
        State {
            v: v0_rel,
            r: vec![0; n],
            i_ex: vec![0.0; n],
            i_in: vec![0.0; n],
            ..State::default()
        }
    }
}
