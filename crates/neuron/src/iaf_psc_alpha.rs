//! `iaf_psc_alpha`: leaky integrate-and-fire neuron with alpha-shaped synaptic
//! currents `I(t) = w e/tau_syn t e^{-t/tau_syn}` (peak `w` pA at `t = tau_syn`).
//!
//! ```text
//! tau_m dV/dt = -(V - E_L) + tau_m/C_m (I_ex + I_in + I_e + I_stim)
//! dI/dt = dI' ,  d(dI')/dt = -2 dI'/tau_syn - I/tau_syn^2   (alpha kernel)
//! ```
//!
//! Exact integration, `y = V - E_L` (if not refractory):
//! `y <- P30 (I_e + I_stim) + P31x dI_x + P32x I_x + expm1(-h/tau_m) y + y`, `y = max(y, V_min - E_L)`;
//! then `I_x <- P21x dI_x + P22x I_x`, `dI_x <- P11x dI_x + (e/tau_syn_x) (weights arriving)`;
//! then the threshold test. `P11 = P22 = e^{-h/tau_syn}`, `P21 = h e^{-h/tau_syn}`,
//! `P30 = -tau_m/C_m expm1(-h/tau_m)`, `P31 = propagator_31`, `P32 = propagator_32`
//! (stable at `tau_m = tau_syn`, see [`super::propagators`]).
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
//! | `v_min` | `V_min` | -inf | mV | lower bound of V |
//!
//! Reference: NEST `models/iaf_psc_alpha.{h,cpp}`.

use super::propagators::{propagator_31, propagator_32};
use super::{
    LifCore, Model, Port, State, Step, ex_in_ports, parse_core, parse_tau_syn, parse_v_min,
};
use cortexsim_core::error::SpecError;
use cortexsim_core::reader::Obj;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AlphaParams {
    #[serde(flatten)]
    pub core: LifCore,
    pub tau_syn_ex: f64,
    pub tau_syn_in: f64,
    pub v_min: f64,
}

impl AlphaParams {
    pub fn parse(p: Option<&Obj>) -> Result<Self, SpecError> {
        let core = parse_core(p)?;
        let (tau_syn_ex, tau_syn_in) = parse_tau_syn(p)?;
        Ok(AlphaParams {
            core,
            tau_syn_ex,
            tau_syn_in,
            v_min: parse_v_min(p)?,
        })
    }

    pub fn kernel(&self, h: f64, refr: u32) -> AlphaKernel {
        let c = &self.core;
        let e = std::f64::consts::E;
        AlphaKernel {
            p11ex: (-h / self.tau_syn_ex).exp(),
            p11in: (-h / self.tau_syn_in).exp(),
            p21ex: h * (-h / self.tau_syn_ex).exp(),
            p21in: h * (-h / self.tau_syn_in).exp(),
            expm1_tau_m: (-h / c.tau_m).exp_m1(),
            p30: -c.tau_m / c.c_m * (-h / c.tau_m).exp_m1(),
            p31ex: propagator_31(self.tau_syn_ex, c.tau_m, c.c_m, h),
            p32ex: propagator_32(self.tau_syn_ex, c.tau_m, c.c_m, h),
            p31in: propagator_31(self.tau_syn_in, c.tau_m, c.c_m, h),
            p32in: propagator_32(self.tau_syn_in, c.tau_m, c.c_m, h),
            psc_ex: e / self.tau_syn_ex,
            psc_in: e / self.tau_syn_in,
            i_e: c.i_e,
            v_th: c.v_th - c.e_l,
            v_reset: c.v_reset - c.e_l,
            v_min: self.v_min - c.e_l,
            refr,
            e_l: c.e_l,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AlphaKernel {
    pub p11ex: f64,
    pub p11in: f64,
    pub p21ex: f64,
    pub p21in: f64,
    pub expm1_tau_m: f64,
    pub p30: f64,
    pub p31ex: f64,
    pub p32ex: f64,
    pub p31in: f64,
    pub p32in: f64,
    pub psc_ex: f64,
    pub psc_in: f64,
    pub i_e: f64,
    pub v_th: f64,
    pub v_reset: f64,
    pub v_min: f64,
    pub refr: u32,
    pub e_l: f64,
}

impl AlphaKernel {
    #[inline]
    pub fn step(&self, s: &mut State, input: &mut [f64], i_stim: f64, spikes: &mut Vec<u32>) {
        let n = s.v.len();
        let drive = self.p30 * (self.i_e + i_stim);
        let (inp_ex, inp_in) = input[..2 * n].split_at_mut(n);
        let State {
            v,
            r,
            i_ex,
            i_in,
            di_ex,
            di_in,
            i_cell,
            ..
        } = s;
        for i in 0..n {
            if r[i] == 0 {
                let drive = if i_cell.is_empty() {
                    drive
                } else {
                    drive + self.p30 * i_cell[i]
                };
                let y = drive
                    + self.p31ex * di_ex[i]
                    + self.p32ex * i_ex[i]
                    + self.p31in * di_in[i]
                    + self.p32in * i_in[i]
                    + self.expm1_tau_m * v[i]
                    + v[i];
                v[i] = if y < self.v_min { self.v_min } else { y };
            } else {
                r[i] -= 1;
            }
            i_ex[i] = self.p21ex * di_ex[i] + self.p11ex * i_ex[i];
            di_ex[i] = di_ex[i] * self.p11ex + self.psc_ex * inp_ex[i];
            i_in[i] = self.p21in * di_in[i] + self.p11in * i_in[i];
            di_in[i] = di_in[i] * self.p11in + self.psc_in * inp_in[i];
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

impl Model for AlphaParams {
    type Kernel = AlphaKernel;
    fn parse(p: Option<&Obj>) -> Result<Self, SpecError> {
        AlphaParams::parse(p)
    }
    fn core(&self) -> LifCore {
        self.core
    }
    /// `ex` (index 0) and `in` (1): alpha currents with `tau_syn_ex`/`tau_syn_in`;
    /// without a `receptor`, weights `>= 0` go to `ex`, weights `< 0` to `in`.
    fn ports(&self) -> Vec<Port> {
        ex_in_ports(self.tau_syn_ex, self.tau_syn_in)
    }
    fn v_min(&self) -> f64 {
        self.v_min
    }
    fn state_bytes_per_neuron(&self) -> usize {
        44
    }
    fn kernel(&self, h: f64, refr: u32) -> AlphaKernel {
        AlphaParams::kernel(self, h, refr)
    }
}

impl Step for AlphaKernel {
    #[inline]
    fn step(
        &self,
        s: &mut State,
        input: &mut [f64],
        i_stim: f64,
        spikes: &mut Vec<u32>,
        _: &mut Vec<f64>,
    ) {
        AlphaKernel::step(self, s, input, i_stim, spikes)
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
            di_ex: vec![0.0; n],
            di_in: vec![0.0; n],
            ..State::default()
        }
    }
}
