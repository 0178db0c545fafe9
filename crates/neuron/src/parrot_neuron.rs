//! `parrot_neuron` (NEST's name): a spike source that repeats its input. It spikes in
//! every step in which the weights arriving at its one port `spikes` sum to more than 0 (a Poisson
//! stimulus with `indegree = 1, weight = 1`, a spike train, a projection), one spike per
//! step whatever the number of arriving events (NEST's parrot repeats each one; at
//! `rate × dt ≪ 1` the difference is rare coincidences). It has no membrane: no
//! parameters, no refractoriness, `V_m` stays at 0. Its spikes go through projections
//! like any neuron's and are recorded like them: a population of parrots driven by
//! one Poisson input each is PyNN's `SpikeSourcePoisson` — one spike train per source
//! neuron, reaching all of its targets (`model = "spike_source_poisson"` in network
//! files is that pair, see `cortexsim-spec`). Not covered by the mean-field reduction.

use super::{LifCore, Model, Port, PortKind, SignRoute, State, Step};
use cortexsim_core::error::SpecError;
use cortexsim_core::reader::Obj;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct ParrotParams {}

impl Model for ParrotParams {
    type Kernel = ParrotKernel;
    /// No parameters (every key of `params` is unknown).
    fn parse(_p: Option<&Obj>) -> Result<Self, SpecError> {
        Ok(ParrotParams {})
    }
    /// A neutral core (E_L = 0, no refractoriness) for summaries; never integrated.
    fn core(&self) -> LifCore {
        LifCore {
            c_m: 1.0,
            tau_m: 1.0,
            t_ref: 0.0,
            e_l: 0.0,
            v_th: 1.0,
            v_reset: 0.0,
            i_e: 0.0,
        }
    }
    /// One port, `spikes`, taking every weight (only a positive sum in a step spikes).
    fn ports(&self) -> Vec<Port> {
        vec![Port {
            name: "spikes",
            kind: PortKind::VoltageJump,
            tau_syn: 0.0,
            e_rev: None,
            by_sign: SignRoute::Any,
            payload: false,
        }]
    }
    fn state_bytes_per_neuron(&self) -> usize {
        12
    }
    fn kernel(&self, _h: f64, _refr: u32) -> ParrotKernel {
        ParrotKernel
    }
}

#[derive(Debug, Clone)]
pub struct ParrotKernel;

impl Step for ParrotKernel {
    fn step(
        &self,
        s: &mut State,
        input: &mut [f64],
        _i_stim: f64,
        spikes: &mut Vec<u32>,
        _payload: &mut Vec<f64>,
    ) {
        let n = s.v.len();
        for (i, x) in input[..n].iter_mut().enumerate() {
            if *x > 0.0 {
                spikes.push(i as u32);
            }
            *x = 0.0;
        }
    }
    fn e_l(&self) -> f64 {
        0.0
    }
    fn new_state(&self, v0_rel: Vec<f64>) -> State {
        let n = v0_rel.len();
        State {
            v: vec![0.0; n],
            r: vec![0; n],
            ..State::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spikes_exactly_where_input_arrives() {
        let k = ParrotParams {}.kernel(0.1, 0);
        let mut s = k.new_state(vec![0.0; 4]);
        let mut input = vec![0.0, 1.0, 3.0, 0.0];
        let (mut sp, mut pl) = (vec![], vec![]);
        k.step(&mut s, &mut input, 100.0, &mut sp, &mut pl);
        assert_eq!(sp, vec![1, 2]);
        assert!(input.iter().all(|&x| x == 0.0));
        sp.clear();
        k.step(&mut s, &mut input, 100.0, &mut sp, &mut pl);
        assert!(sp.is_empty(), "no input, no spike (a current does nothing)");
    }
}
