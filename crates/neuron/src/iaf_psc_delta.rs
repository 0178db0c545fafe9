//! `iaf_psc_delta`: leaky integrate-and-fire neuron with delta-shaped synaptic
//! currents (each spike makes the membrane potential jump by its weight, in mV).
//!
//! ```text
//! tau_m dV/dt = -(V - E_L) + tau_m/C_m (I_e + I_stim(t))  +  sum_k w_k delta(t - t_k)
//! V >= V_th  ->  spike, V = V_reset, clamped for t_ref
//! ```
//!
//! Integration is exact on the grid (Rotter & Diesmann 1999): with `y = V - E_L`,
//! `y(t+h) = P33 y(t) + P30 (I_e + I_stim) + sum of jumps arriving in (t, t+h]`,
//! `P33 = e^{-h/tau_m}`, `P30 = -tau_m/C_m expm1(-h/tau_m)`; then `y = max(y, V_min - E_L)`.
//! Jumps arriving while refractory are discarded (NEST's default `refractory_input = false`);
//! with `refractory_input = true` they are summed, each discounted by `e^{-r h/tau_m}` (`r` =
//! refractory steps left when it arrives), and added at the first free step, as NEST does.
//!
//! | parameter | NEST name | default | unit | constraint |
//! |---|---|---|---|---|
//! | `c_m` | `C_m` | 250 | pF | > 0 |
//! | `tau_m` | `tau_m` | 10 | ms | > 0 |
//! | `t_ref` | `t_ref` | 2 | ms | >= 0, counted as round(t_ref/dt) steps |
//! | `e_l` | `E_L` | -70 | mV | |
//! | `v_th` | `V_th` | -55 | mV | > V_reset |
//! | `v_reset` | `V_reset` | -70 | mV | < V_th |
//! | `i_e` | `I_e` | 0 | pA | |
//! | `v_min` | `V_min` | -inf | mV | lower bound of V |
//! | `refractory_input` | `refractory_input` | false | | keep inputs arriving while refractory |
//!
//! Reference: NEST `models/iaf_psc_delta.{h,cpp}`.

use super::{LifCore, Model, Port, PortKind, SignRoute, State, Step, parse_core, parse_v_min};
use cortexsim_core::error::SpecError;
use cortexsim_core::reader::Obj;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DeltaParams {
    #[serde(flatten)]
    pub core: LifCore,
    /// Lower bound of the membrane potential, mV (-inf: none).
    pub v_min: f64,
    /// Keep (discounted) inputs that arrive during the refractory period.
    pub refractory_input: bool,
}

impl DeltaParams {
    pub fn parse(p: Option<&Obj>) -> Result<Self, SpecError> {
        let core = parse_core(p)?;
        let v_min = parse_v_min(p)?;
        let refractory_input = match p {
            Some(p) => p.bool_or("refractory_input", false)?,
            None => false,
        };
        Ok(DeltaParams {
            core,
            v_min,
            refractory_input,
        })
    }

    pub fn kernel(&self, h: f64, refr: u32) -> DeltaKernel {
        let c = &self.core;
        DeltaKernel {
            p33: (-h / c.tau_m).exp(),
            p30: -c.tau_m / c.c_m * (-h / c.tau_m).exp_m1(),
            i_e: c.i_e,
            v_th: c.v_th - c.e_l,
            v_reset: c.v_reset - c.e_l,
            v_min: self.v_min - c.e_l,
            refr,
            e_l: c.e_l,
            // NEST: exp(-r h / tau_m) for r refractory steps left.
            refr_discount: if self.refractory_input {
                (0..=refr)
                    .map(|r| (-(r as f64) * h / c.tau_m).exp())
                    .collect()
            } else {
                Vec::new()
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct DeltaKernel {
    pub p33: f64,
    pub p30: f64,
    pub i_e: f64,
    pub v_th: f64,
    pub v_reset: f64,
    pub v_min: f64,
    pub refr: u32,
    pub e_l: f64,
    /// `exp(-r h/tau_m)` for r = 0..=refr when `refractory_input` is on, else empty.
    pub refr_discount: Vec<f64>,
}

impl DeltaKernel {
    #[inline]
    pub fn step(&self, s: &mut State, input: &mut [f64], i_stim: f64, spikes: &mut Vec<u32>) {
        let n = s.v.len();
        let drive = self.p30 * (self.i_e + i_stim);
        let input = &mut input[..n];
        let (v, r) = (&mut s.v[..n], &mut s.r[..n]);
        let cell = &s.i_cell[..];
        let drive_of = |i: usize| {
            if cell.is_empty() {
                drive
            } else {
                drive + self.p30 * cell[i]
            }
        };
        if self.refr_discount.is_empty() {
            for i in 0..n {
                let jump = input[i];
                input[i] = 0.0;
                if r[i] == 0 {
                    let y = drive_of(i) + self.p33 * v[i] + jump;
                    v[i] = if y < self.v_min { self.v_min } else { y };
                } else {
                    r[i] -= 1;
                }
                if v[i] >= self.v_th {
                    r[i] = self.refr;
                    v[i] = self.v_reset;
                    spikes.push(i as u32);
                }
            }
            return;
        }
        // refractory_input = true: inputs during refractoriness are kept, discounted.
        let buf = &mut s.refr_buf[..n];
        for i in 0..n {
            let jump = input[i];
            input[i] = 0.0;
            if r[i] == 0 {
                let mut y = drive_of(i) + self.p33 * v[i] + jump;
                if buf[i] != 0.0 {
                    y += buf[i];
                    buf[i] = 0.0;
                }
                v[i] = if y < self.v_min { self.v_min } else { y };
            } else {
                buf[i] += jump * self.refr_discount[r[i] as usize];
                r[i] -= 1;
            }
            if v[i] >= self.v_th {
                r[i] = self.refr;
                v[i] = self.v_reset;
                spikes.push(i as u32);
            }
        }
    }
}

impl Model for DeltaParams {
    type Kernel = DeltaKernel;
    fn parse(p: Option<&Obj>) -> Result<Self, SpecError> {
        DeltaParams::parse(p)
    }
    fn core(&self) -> LifCore {
        self.core
    }
    /// One port, `V_m`: every weight (mV) is a jump of the membrane potential.
    fn ports(&self) -> Vec<Port> {
        vec![Port {
            name: "V_m",
            kind: PortKind::VoltageJump,
            tau_syn: 0.0,
            e_rev: None,
            by_sign: SignRoute::Any,
            payload: false,
        }]
    }
    fn v_min(&self) -> f64 {
        self.v_min
    }
    fn state_bytes_per_neuron(&self) -> usize {
        12 + if self.refractory_input { 8 } else { 0 }
    }
    fn kernel(&self, h: f64, refr: u32) -> DeltaKernel {
        DeltaParams::kernel(self, h, refr)
    }
}

impl Step for DeltaKernel {
    #[inline]
    fn step(
        &self,
        s: &mut State,
        input: &mut [f64],
        i_stim: f64,
        spikes: &mut Vec<u32>,
        _: &mut Vec<f64>,
    ) {
        DeltaKernel::step(self, s, input, i_stim, spikes)
    }
    fn e_l(&self) -> f64 {
        self.e_l
    }
    fn new_state(&self, v0_rel: Vec<f64>) -> State {
        let n = v0_rel.len();
        let refr = if self.refr_discount.is_empty() { 0 } else { n };
        State {
            v: v0_rel,
            r: vec![0; n],
            refr_buf: vec![0.0; refr],
            ..State::default()
        }
    }
}
