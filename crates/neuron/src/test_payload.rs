//! A test aid, not a model for network files (it is not in [`super::MODEL_NAMES`]):
//! `iaf_psc_delta` whose spikes carry a payload computed at the spike, in the way of
//! NEST `iaf_bw_2001`'s NMDA increment. Each neuron keeps a trace `x` that decays with
//! `tau_trace`; at a spike the payload is `alpha (1 - x)` and `x` grows by it. Delivery
//! multiplies the payload into the synaptic weight. Built in code by the engine's tests
//! (`NeuronModel::TestPayload`), so the payload path is exercised before a shipped model
//! needs it.

use super::{LifCore, Model, Port, PortKind, SignRoute, State, Step, parse_core};
use cortexsim_core::error::SpecError;
use cortexsim_core::reader::Obj;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PayloadParams {
    #[serde(flatten)]
    pub core: LifCore,
    /// Decay time of the trace, ms.
    pub tau_trace: f64,
    /// Fraction of `1 - x` sent with a spike.
    pub alpha: f64,
}

impl Model for PayloadParams {
    type Kernel = PayloadKernel;
    fn parse(p: Option<&Obj>) -> Result<Self, SpecError> {
        Ok(PayloadParams {
            core: parse_core(p)?,
            tau_trace: 100.0,
            alpha: 0.5,
        })
    }
    fn core(&self) -> LifCore {
        self.core
    }
    /// One port, `V_m` (voltage jumps), as `iaf_psc_delta`.
    fn ports(&self) -> Vec<Port> {
        vec![Port {
            name: "V_m",
            kind: PortKind::VoltageJump,
            tau_syn: 0.0,
            e_rev: None,
            by_sign: SignRoute::Any,
            payload: true,
        }]
    }
    fn has_payload(&self) -> bool {
        true
    }
    fn state_bytes_per_neuron(&self) -> usize {
        20
    }
    fn kernel(&self, h: f64, refr: u32) -> PayloadKernel {
        let c = &self.core;
        PayloadKernel {
            p33: (-h / c.tau_m).exp(),
            p30: -c.tau_m / c.c_m * (-h / c.tau_m).exp_m1(),
            decay: (-h / self.tau_trace).exp(),
            alpha: self.alpha,
            i_e: c.i_e,
            v_th: c.v_th - c.e_l,
            v_reset: c.v_reset - c.e_l,
            refr,
            e_l: c.e_l,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PayloadKernel {
    pub p33: f64,
    pub p30: f64,
    pub decay: f64,
    pub alpha: f64,
    pub i_e: f64,
    pub v_th: f64,
    pub v_reset: f64,
    pub refr: u32,
    pub e_l: f64,
}

impl Step for PayloadKernel {
    fn step(
        &self,
        s: &mut State,
        input: &mut [f64],
        i_stim: f64,
        spikes: &mut Vec<u32>,
        payload: &mut Vec<f64>,
    ) {
        let n = s.v.len();
        let drive = self.p30 * (self.i_e + i_stim);
        let (v, r, x) = (&mut s.v[..n], &mut s.r[..n], &mut s.trace[..n]);
        let cell = &s.i_cell[..];
        for i in 0..n {
            let jump = input[i];
            input[i] = 0.0;
            if r[i] == 0 {
                let drive = if cell.is_empty() {
                    drive
                } else {
                    drive + self.p30 * cell[i]
                };
                v[i] = drive + self.p33 * v[i] + jump;
            } else {
                r[i] -= 1;
            }
            x[i] *= self.decay;
            if v[i] >= self.v_th {
                r[i] = self.refr;
                v[i] = self.v_reset;
                let m = self.alpha * (1.0 - x[i]);
                x[i] += m;
                spikes.push(i as u32);
                payload.push(m);
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
            trace: vec![0.0; n],
            ..State::default()
        }
    }
}
