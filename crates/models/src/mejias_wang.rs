//! Local working-memory circuit of Mejias & Wang 2022 (eLife 11:e72136, Methods), the
//! Wong–Wang reduction with two selective excitatory pools `A`, `B` (NMDA gating `S_A`,
//! `S_B`) and one inhibitory pool `C` (GABA gating `S_C`), as one [`RateNetwork`] of three
//! rate populations and three gating populations ([`Kinetics::Gating`]):
//!
//! ```text
//! dS_A/dt = −S_A/τ_N + γ (1 − S_A) r_A          (same for B)
//! dS_C/dt = −S_C/τ_G + γ_I r_C
//! I_A = J_s S_A + J_c S_B + J_EI S_C + I_0A + x_A       (same for B, with A ↔ B)
//! I_C = J_IE (S_A + S_B) + J_II S_C + I_0C + x_C
//! τ_r dr_A/dt = −r_A + φ_E(I_A),   φ_E(I) = (a I − b)/(1 − exp(−d (a I − b)))
//! τ_r dr_C/dt = −r_C + φ_I(I_C),   φ_I(I) = [(c1 I − c0)/g_I + r0]_+
//! ```
//!
//! `x_A`, `x_B`, `x_C` are the file's `[[stimuli]]` (pulses and OU noise into `A`, `B`,
//! `C`). `φ_I` is [`Transfer::ThresholdLinear`] with gain `c1/g_I` and threshold
//! `(c0 − g_I r0)/c1`; `φ_E` is [`Transfer::AbbottChance`]. Parameters (Mejias & Wang 2022, eLife 11:e72136):
//! `τ_N` = 60 ms, `τ_G` = 5 ms, `τ_r` = 2 ms, `γ` = 1.282, `γ_I` = 2, `a` = 135 Hz/nA,
//! `b` = 54 Hz, `d` = 0.308 s, `g_I` = 4, `c1` = 615 Hz/nA, `c0` = 177 Hz, `r0` = 5.5 Hz,
//! `J_c` = 0.0107, `J_EI` = −0.31, `J_II` = −0.12 nA, `I_0A = I_0B` = 0.3294, `I_0C` = 0.26 nA.
//!
//! Unless given, `J_IE` is set so that the spontaneous state does not depend on `J_s`:
//! in the spontaneous state `C` is in the linear part of `φ_I`, so
//! `S_C = ζ (2 J_IE S + I_0C − (c0 − g_I r0)/c1)` with
//! `ζ = τ_G γ_I c1/(g_I − J_II τ_G γ_I c1)` (τ_G in s), and the E input is
//! `(J_s + J_c + 2 J_EI ζ J_IE) S + const`; `J_IE = (J_0 − J_s − J_c)/(2 J_EI ζ)` makes the
//! recurrent E gain `J_0` = 0.2112 nA for every `J_s` (spontaneous E rate ≈ 0.655 Hz).
//! The isolated area becomes bistable (a high, self-sustained state appears) at
//! `J_s` ≈ 0.4655 nA (paper); [`bistability_onset`] finds it by bisection on simulations
//! (here 0.46527 ± 0.00002 nA with 60–120 s runs, see [`Protocol`]; 2·10⁻⁴ nA below the
//! published value).

use cortexsim_theory::rate::{
    self, Epoch, Kinetics, Method, RateError, RateNetwork, RatePop, RunOpts, Transfer,
};
use serde::{Deserialize, Serialize};

/// Population names, in network order.
pub const POPS: [&str; 6] = ["A", "B", "C", "S_A", "S_B", "S_C"];

/// Parameters (currents in nA, rates in Hz, times in ms unless noted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MejiasWangLocalParams {
    /// Self-coupling of each E pool (nA).
    pub j_s: f64,
    /// Cross-coupling between the E pools (nA).
    pub j_c: f64,
    /// I → E coupling (nA, negative).
    pub j_ei: f64,
    /// I → I coupling (nA, negative).
    pub j_ii: f64,
    /// E → I coupling (nA); `None`: [`MejiasWangLocalParams::j_ie_balanced`].
    pub j_ie: Option<f64>,
    /// Target recurrent E gain of the spontaneous state (nA).
    pub j_0: f64,
    pub i_0a: f64,
    pub i_0b: f64,
    pub i_0c: f64,
    /// NMDA, GABA and rate time constants (ms).
    pub tau_n: f64,
    pub tau_g: f64,
    pub tau_r: f64,
    /// Gating coupling of NMDA and GABA (rates in Hz, time in s).
    pub gamma: f64,
    pub gamma_i: f64,
    /// `φ_E`: `a` (Hz/nA), `b` (Hz), `d` (s).
    pub a: f64,
    pub b: f64,
    pub d: f64,
    /// `φ_I`: `g_I`, `c1` (Hz/nA), `c0` (Hz), `r0` (Hz).
    pub g_i: f64,
    pub c1: f64,
    pub c0: f64,
    pub r0: f64,
}

impl MejiasWangLocalParams {
    /// Mejias & Wang 2022 local-circuit parameters with the given `J_s` (nA).
    pub fn mejias_wang2022(j_s: f64) -> Self {
        MejiasWangLocalParams {
            j_s,
            j_c: 0.0107,
            j_ei: -0.31,
            j_ii: -0.12,
            j_ie: None,
            j_0: 0.2112,
            i_0a: 0.3294,
            i_0b: 0.3294,
            i_0c: 0.26,
            tau_n: 60.0,
            tau_g: 5.0,
            tau_r: 2.0,
            gamma: 1.282,
            gamma_i: 2.0,
            a: 135.0,
            b: 54.0,
            d: 0.308,
            g_i: 4.0,
            c1: 615.0,
            c0: 177.0,
            r0: 5.5,
        }
    }

    /// `ζ = τ_G γ_I c1/(g_I − J_II τ_G γ_I c1)` (1/nA; τ_G in s): the gain from the E
    /// drive of `C` to `S_C` in the linear part of `φ_I`.
    pub fn zeta(&self) -> f64 {
        let k = 1e-3 * self.tau_g * self.gamma_i * self.c1;
        k / (self.g_i - self.j_ii * k)
    }

    /// `J_IE = (J_0 − J_s − J_c)/(2 J_EI ζ)` (nA).
    pub fn j_ie_balanced(&self) -> f64 {
        (self.j_0 - self.j_s - self.j_c) / (2.0 * self.j_ei * self.zeta())
    }

    /// `J_IE` in use: the given value, else [`Self::j_ie_balanced`].
    pub fn j_ie(&self) -> f64 {
        self.j_ie.unwrap_or_else(|| self.j_ie_balanced())
    }
}

/// Build the network [`POPS`] (all states start at 0: the low state).
pub fn build(p: &MejiasWangLocalParams) -> RateNetwork {
    let pop = |name: &str, tau_ms: f64, transfer: Transfer| RatePop {
        name: name.into(),
        tau_ms,
        transfer,
        lower_clamp_hz: None,
        r0_hz: 0.0,
    };
    let phi_e = Transfer::AbbottChance {
        a: p.a,
        b: p.b,
        d: p.d,
    };
    let phi_i = Transfer::ThresholdLinear {
        gain: p.c1 / p.g_i,
        threshold: (p.c0 - p.g_i * p.r0) / p.c1,
    };
    let mut net = RateNetwork::new(vec![
        pop("A", p.tau_r, phi_e),
        pop("B", p.tau_r, phi_e),
        pop("C", p.tau_r, phi_i),
        pop("S_A", p.tau_n, Transfer::Linear),
        pop("S_B", p.tau_n, Transfer::Linear),
        pop("S_C", p.tau_g, Transfer::Linear),
    ]);
    let (a, b, c, sa, sb, sc) = (0, 1, 2, 3, 4, 5);
    let j_ie = p.j_ie();
    for (t, s, w) in [
        (a, sa, p.j_s),
        (a, sb, p.j_c),
        (a, sc, p.j_ei),
        (b, sb, p.j_s),
        (b, sa, p.j_c),
        (b, sc, p.j_ei),
        (c, sa, j_ie),
        (c, sb, j_ie),
        (c, sc, p.j_ii),
        (sa, a, 1.0),
        (sb, b, 1.0),
        (sc, c, 1.0),
    ] {
        net.set_weight(t, s, w);
    }
    net.bias = vec![p.i_0a, p.i_0b, p.i_0c, 0.0, 0.0, 0.0];
    let nmda = Kinetics::Gating {
        gamma: p.gamma,
        saturating: true,
    };
    net.set_kinetics(sa, nmda);
    net.set_kinetics(sb, nmda);
    net.set_kinetics(
        sc,
        Kinetics::Gating {
            gamma: p.gamma_i,
            saturating: false,
        },
    );
    net
}

/// Stimulus protocol of [`persistent_state`] and [`bistability_onset`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// Pulse into `A` (nA), from `start_ms` for `duration_ms`.
    pub amplitude_na: f64,
    pub start_ms: f64,
    pub duration_ms: f64,
    /// Length of each run (ms); the state is read at the end.
    pub t_stop_ms: f64,
    pub dt_ms: f64,
}

impl Default for Protocol {
    /// 0.3 nA for 0.5 s from 0.5 s (the paper's stimulus), runs of 60 s, `Δt` = 0.1 ms.
    /// Just below the onset the decay from the pulse is slow (a saddle-node ghost:
    /// ~9 s at 0.3 pA below it), so shorter runs place the onset too low: 10 s runs give
    /// 0.46505 nA, 60 s 0.46526, 120 s 0.46528; `Δt` = 0.05 or 0.025 ms changes nothing
    /// at the 2·10⁻⁵ nA level.
    fn default() -> Self {
        Protocol {
            amplitude_na: 0.3,
            start_ms: 500.0,
            duration_ms: 500.0,
            t_stop_ms: 60_000.0,
            dt_ms: 0.1,
        }
    }
}

/// End state (rates `A`, `B`, `C` in Hz) of a run from the low state, without (`false`)
/// or with (`true`) the protocol's pulse into `A`.
pub fn end_rates(
    p: &MejiasWangLocalParams,
    proto: &Protocol,
    stimulated: bool,
) -> Result<[f64; 3], RateError> {
    let mut net = build(p);
    if stimulated {
        net.schedules.push(Epoch {
            start_ms: proto.start_ms,
            stop_ms: proto.start_ms + proto.duration_ms,
            amplitude: vec![proto.amplitude_na, 0.0, 0.0, 0.0, 0.0, 0.0],
        });
    }
    let mut opts = RunOpts::new(proto.dt_ms, proto.t_stop_ms);
    opts.method = Method::Euler;
    opts.record_every = opts.n_steps().max(1) as usize;
    let run = rate::run(&net, &opts)?;
    let last = |i: usize| *run.rates[i].last().expect("at least one sample");
    Ok([last(0), last(1), last(2)])
}

/// Spontaneous and persistent end states: `(without pulse, with pulse)`, rates of `A`, `B`, `C`.
pub fn persistent_state(
    p: &MejiasWangLocalParams,
    proto: &Protocol,
) -> Result<([f64; 3], [f64; 3]), RateError> {
    Ok((end_rates(p, proto, false)?, end_rates(p, proto, true)?))
}

/// Whether the pulse leaves `A` in a self-sustained state: at the end of the run its rate
/// exceeds the spontaneous one by more than `min_gap_hz`.
pub fn is_bistable(
    p: &MejiasWangLocalParams,
    proto: &Protocol,
    min_gap_hz: f64,
) -> Result<bool, RateError> {
    let (spont, stim) = persistent_state(p, proto)?;
    Ok(stim[0] - spont[0] > min_gap_hz)
}

/// Onset of bistability in `J_s` (nA): bisection on [`is_bistable`] (gap 1 Hz) between
/// `lo` (must be monostable) and `hi` (must be bistable) until the bracket is narrower than
/// `tol`; returns the bracket `(lo, hi)`, or `None` if the ends do not bracket an onset.
/// `J_IE` follows `J_s` unless `base.j_ie` is set.
pub fn bistability_onset(
    base: &MejiasWangLocalParams,
    proto: &Protocol,
    mut lo: f64,
    mut hi: f64,
    tol: f64,
) -> Result<Option<(f64, f64)>, RateError> {
    let test = |j_s: f64| {
        let mut p = base.clone();
        p.j_s = j_s;
        is_bistable(&p, proto, 1.0)
    };
    if test(lo)? || !test(hi)? {
        return Ok(None);
    }
    while hi - lo > tol {
        let mid = 0.5 * (lo + hi);
        if test(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(Some((lo, hi)))
}
