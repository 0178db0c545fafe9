//! Large-scale working-memory model of Mejias & Wang 2022 (eLife 11:e72136): one
//! [`crate::mejias_wang`] local circuit per area of the 29-area Markov data, with the
//! spine-count gradient of excitation and long-range counterstream projections.
//!
//! Per area `x` the populations `x.A`, `x.B` (selective E pools), `x.C` (inhibitory),
//! `x.S_A`, `x.S_B` (NMDA gating), `x.S_C` (GABA gating), in that order, area after area.
//!
//! ```text
//! J_s,x  = J_min + (J_max − J_min) h_x          (h_x: normalised spine count, below)
//! J_IE,x = (J_0 − J_s,x − J_c)/(2 J_EI ζ)         (same spontaneous state in every area)
//! I_net,A^x = G σ_x Σ_y W_xy SLN_xy S_A^y                           (same for B)
//! I_net,C^x = (G/Z) σ_C,x Σ_y W_xy (1 − SLN_xy)(S_A^y + S_B^y)
//! Z = 2 c1 τ_G γ_I J_EI/(c1 τ_G γ_I J_II − g_I) = −2 J_EI ζ
//! σ_x = J_s,x/J_max,   σ_C,x = J_IE,x / max_y J_IE,y
//! W_xy = k1 FLN_xy^k2 / Σ_y' k1 FLN_xy'^k2        (normalisation "rows", the default)
//! ```
//!
//! `h_x` is the spine count (times its age correction) of area `x` (Mejias & Wang 2022,
//! Table 1; `data/mejias-wang2022-spines`) mapped linearly to [0, 1] between the smallest
//! and the largest count of the 30 listed areas; areas without a count take their
//! normalised SLN hierarchy value (the paper's proxy). The paper has 30 areas: the 29 of
//! the Markov data plus LIP, which has no row in this FLN/SLN matrix and is left out
//! (its count still takes part in the min/max, where it is neither).
//!
//! `Z` makes the counterstream input balanced: a long-range input `u` into `C` changes
//! `S_C` by `ζ u` and the E input by `J_EI ζ u`, so with `Z = −2 J_EI ζ` the inhibition
//! that `(S_A^y + S_B^y)` recruits through `C` cancels the excitation it gives `A` and `B`
//! together when `SLN = 1/2` (and `σ_C = σ`); feedforward projections excite on balance,
//! feedback projections inhibit ("counterstream inhibitory bias").
//!
//! **Normalisation and scaling (what the summary in SCIENCE.md §10 leaves open).**
//! Literally `W = k1 FLN^k2` (k1 = 1.2, k2 = 0.3): the compressed weights sum to 1.9–6.9
//! per area (3–8.5 on the paper's 30 areas, SCIENCE.md) and there is no stable
//! spontaneous state (`normalise = "none"`: noise alone switches every area on). What is used here follows a MATLAB implementation of the
//! 30-area model with the paper's parameters found in the public code index (a function
//! `paramJm_G(Jm, G, ut)`; its repository could not be identified): each row of
//! `k1 FLN^k2` is divided by its sum (so `k1` drops out), the long-range input onto the
//! E pools is scaled by `J_s,x/J_max` and the input onto `C` by `J_IE,x/max J_IE`
//! (`c_scale = "j_ie"`; `"j_s"` scales both by `J_s,x/J_max`). With both, at the paper's
//! `G` = 0.48 the spontaneous state is stable and a V1 stimulus leaves persistent activity
//! in frontal, temporal and parietal areas only; with rows normalised but `c_scale = "j_s"`
//! the onset of distributed persistent activity moves to `G` ≈ 0.58 (README, issue 14).
//!
//! `counterstream = false` is the paper's control: every long-range projection onto the
//! E pools (`I_net,A^x = G σ_x Σ_y W_xy S_A^y`, nothing onto `C`).

use crate::markov::MacaqueData;
use crate::mejias_wang::MejiasWangLocalParams;
use cortexsim_core::error::SpecError;
use cortexsim_theory::rate::{Kinetics, RateNetwork, RatePop, Transfer};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Name of the spine data folder inside the data directory.
pub const SPINES: &str = "mejias-wang2022-spines";

/// Population suffixes of one area, in network order.
pub const AREA_POPS: [&str; 6] = ["A", "B", "C", "S_A", "S_B", "S_C"];

/// How the rows of the long-range weight matrix are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalise {
    /// `W = k1 FLN^k2` as written.
    None,
    /// Each row of `k1 FLN^k2` divided by its sum.
    Rows,
}

/// Parameters of the large-scale model (currents in nA).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MejiasWang2022Params {
    /// Local circuit; its `j_s` and `j_ie` are replaced per area.
    pub local: MejiasWangLocalParams,
    pub j_min: f64,
    pub j_max: f64,
    /// Global coupling `G`.
    pub g: f64,
    pub k1: f64,
    pub k2: f64,
    pub normalise: Normalise,
    /// SLN-dependent E/I targeting (true, the paper) or all long-range input onto E.
    pub counterstream: bool,
    /// Scale of the long-range input onto `C` of area `x`: `J_IE,x / max J_IE` (true)
    /// or `J_s,x / J_max` like the input onto the E pools (false).
    pub c_scale_j_ie: bool,
}

impl Default for MejiasWang2022Params {
    /// Mejias & Wang 2022: `J_min` = 0.21, `J_max` = 0.42 nA, `G` = 0.48, `k1` = 1.2,
    /// `k2` = 0.3, rows normalised, counterstream targeting.
    fn default() -> Self {
        MejiasWang2022Params {
            local: MejiasWangLocalParams::mejias_wang2022(0.42),
            j_min: 0.21,
            j_max: 0.42,
            g: 0.48,
            k1: 1.2,
            k2: 0.3,
            normalise: Normalise::Rows,
            counterstream: true,
            c_scale_j_ie: true,
        }
    }
}

/// Spine counts per area (count × age correction); `None` where the table has no count.
#[derive(Debug, Clone, PartialEq)]
pub struct SpineCounts {
    pub areas: Vec<String>,
    pub counts: Vec<Option<f64>>,
}

impl SpineCounts {
    /// Parse `spine_counts_30areas.csv` (`rank,area,spine_count,age_correction`; `#`
    /// comments); `name` is used in messages.
    pub fn parse(name: &str, text: &str) -> Result<Self, SpecError> {
        let bad = |msg: String| SpecError::new(name, msg);
        let mut rows = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        let header: Vec<&str> = rows
            .next()
            .ok_or_else(|| bad("empty file".into()))?
            .split(',')
            .map(str::trim)
            .collect();
        let col = |c: &str| {
            header
                .iter()
                .position(|h| *h == c)
                .ok_or_else(|| bad(format!("no `{c}` column in header {header:?}")))
        };
        let (ca, cc, cf) = (col("area")?, col("spine_count")?, col("age_correction")?);
        let (mut areas, mut counts) = (Vec::new(), Vec::new());
        for (k, line) in rows.enumerate() {
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            let get = |c: usize| {
                f.get(c)
                    .copied()
                    .ok_or_else(|| bad(format!("data row {} has {} fields", k + 1, f.len())))
            };
            let num = |s: &str| {
                s.parse::<f64>()
                    .map_err(|_| bad(format!("data row {}: `{s}` is not a number", k + 1)))
            };
            areas.push(get(ca)?.to_string());
            let (c, a) = (get(cc)?, get(cf)?);
            counts.push(if c.is_empty() {
                None
            } else {
                let factor = if a.is_empty() { 1.0 } else { num(a)? };
                Some(num(c)? * factor)
            });
        }
        if counts.iter().flatten().count() < 2 {
            return Err(bad("fewer than two areas with a spine count".into()));
        }
        Ok(SpineCounts { areas, counts })
    }

    /// The built-in copy (`data/mejias-wang2022-spines` of the repository).
    pub fn builtin() -> Result<Self, SpecError> {
        Self::parse(
            &format!("<built-in {SPINES}>/spine_counts_30areas.csv"),
            crate::builtin::MW_SPINES,
        )
    }

    /// From the data directory ([`crate::markov::data_dir`]) if one is given, else built in.
    pub fn load(arg: Option<&Path>) -> Result<Self, SpecError> {
        match crate::markov::data_dir(arg) {
            Some(d) => {
                let path = d.join(SPINES).join("spine_counts_30areas.csv");
                let text = crate::markov::read_data_file(&path)?;
                Self::parse(&path.display().to_string(), &text)
            }
            None => Self::builtin(),
        }
    }

    /// `h_x` for each area of `data` (see the module docs).
    pub fn gradient(&self, data: &MacaqueData) -> Vec<f64> {
        let known = self.counts.iter().flatten();
        let lo = known.clone().fold(f64::INFINITY, |a, &b| a.min(b));
        let hi = known.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        data.areas
            .iter()
            .enumerate()
            .map(|(i, a)| {
                match self
                    .areas
                    .iter()
                    .position(|s| s == a)
                    .and_then(|k| self.counts[k])
                {
                    Some(c) => (c - lo) / (hi - lo),
                    None => data.hier_norm[i],
                }
            })
            .collect()
    }
}

/// `Z = 2 c1 τ_G γ_I J_EI/(c1 τ_G γ_I J_II − g_I)` (τ_G in s).
pub fn z_factor(p: &MejiasWangLocalParams) -> f64 {
    let k = 1e-3 * p.tau_g * p.gamma_i * p.c1;
    2.0 * k * p.j_ei / (k * p.j_ii - p.g_i)
}

/// Long-range weights `W` (row-major `[target * n + source]`, diagonal 0).
pub fn long_range_weights(data: &MacaqueData, p: &MejiasWang2022Params) -> Vec<f64> {
    let n = data.n();
    let mut w = vec![0.0; n * n];
    for x in 0..n {
        let row = &mut w[x * n..(x + 1) * n];
        for (y, v) in row.iter_mut().enumerate() {
            let f = data.fln(x, y);
            if x != y && f > 0.0 {
                *v = p.k1 * f.powf(p.k2);
            }
        }
        if p.normalise == Normalise::Rows {
            let s: f64 = row.iter().sum();
            if s > 0.0 {
                row.iter_mut().for_each(|v| *v /= s);
            }
        }
    }
    w
}

/// Per-area `J_s` (nA) from the gradient `h`.
pub fn j_s(p: &MejiasWang2022Params, h: &[f64]) -> Vec<f64> {
    h.iter()
        .map(|h| p.j_min + (p.j_max - p.j_min) * h)
        .collect()
}

/// Build the network (all states start at 0).
pub fn build(data: &MacaqueData, h: &[f64], p: &MejiasWang2022Params) -> RateNetwork {
    let n = data.n();
    let lp = &p.local;
    let phi_e = Transfer::AbbottChance {
        a: lp.a,
        b: lp.b,
        d: lp.d,
    };
    let phi_i = Transfer::ThresholdLinear {
        gain: lp.c1 / lp.g_i,
        threshold: (lp.c0 - lp.g_i * lp.r0) / lp.c1,
    };
    let mut pops = Vec::with_capacity(6 * n);
    for area in &data.areas {
        for (s, tau, tr) in [
            ("A", lp.tau_r, phi_e),
            ("B", lp.tau_r, phi_e),
            ("C", lp.tau_r, phi_i),
            ("S_A", lp.tau_n, Transfer::Linear),
            ("S_B", lp.tau_n, Transfer::Linear),
            ("S_C", lp.tau_g, Transfer::Linear),
        ] {
            pops.push(RatePop {
                name: format!("{area}.{s}"),
                tau_ms: tau,
                transfer: tr,
                lower_clamp_hz: None,
                r0_hz: 0.0,
            });
        }
    }
    let mut net = RateNetwork::new(pops);
    let js = j_s(p, h);
    let nmda = Kinetics::Gating {
        gamma: lp.gamma,
        saturating: true,
    };
    let gaba = Kinetics::Gating {
        gamma: lp.gamma_i,
        saturating: false,
    };
    for (x, &j_s) in js.iter().enumerate() {
        let o = 6 * x;
        let (a, b, c, sa, sb, sc) = (o, o + 1, o + 2, o + 3, o + 4, o + 5);
        let mut local = lp.clone();
        local.j_s = j_s;
        local.j_ie = None;
        let j_ie = local.j_ie();
        for (t, s, w) in [
            (a, sa, j_s),
            (a, sb, lp.j_c),
            (a, sc, lp.j_ei),
            (b, sb, j_s),
            (b, sa, lp.j_c),
            (b, sc, lp.j_ei),
            (c, sa, j_ie),
            (c, sb, j_ie),
            (c, sc, lp.j_ii),
            (sa, a, 1.0),
            (sb, b, 1.0),
            (sc, c, 1.0),
        ] {
            net.set_weight(t, s, w);
        }
        net.bias[a] = lp.i_0a;
        net.bias[b] = lp.i_0b;
        net.bias[c] = lp.i_0c;
        net.set_kinetics(sa, nmda);
        net.set_kinetics(sb, nmda);
        net.set_kinetics(sc, gaba);
    }
    let w = long_range_weights(data, p);
    let z = z_factor(lp);
    let j_ie: Vec<f64> = js
        .iter()
        .map(|&j| {
            let mut l = lp.clone();
            l.j_s = j;
            l.j_ie = None;
            l.j_ie()
        })
        .collect();
    let j_ie_max = j_ie.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    for x in 0..n {
        let sigma = js[x] / p.j_max;
        let sigma_c = if p.c_scale_j_ie {
            j_ie[x] / j_ie_max
        } else {
            sigma
        };
        for y in 0..n {
            let wxy = w[x * n + y];
            if wxy == 0.0 {
                continue;
            }
            let sln = data.sln[x * n + y];
            let (to_e, to_c) = if p.counterstream {
                (
                    p.g * sigma * wxy * sln,
                    p.g / z * sigma_c * wxy * (1.0 - sln),
                )
            } else {
                (p.g * sigma * wxy, 0.0)
            };
            let (ox, oy) = (6 * x, 6 * y);
            net.set_weight(ox, oy + 3, to_e);
            net.set_weight(ox + 1, oy + 4, to_e);
            if to_c != 0.0 {
                net.set_weight(ox + 2, oy + 3, to_c);
                net.set_weight(ox + 2, oy + 4, to_c);
            }
        }
    }
    net
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_is_minus_two_j_ei_zeta() {
        let p = MejiasWangLocalParams::mejias_wang2022(0.42);
        assert!((z_factor(&p) + 2.0 * p.j_ei * p.zeta()).abs() < 1e-12);
        assert!((z_factor(&p) - 0.8048).abs() < 1e-3, "{}", z_factor(&p));
    }

    #[test]
    fn gradient_from_spines_with_hierarchy_proxy() {
        let data = MacaqueData::builtin().unwrap();
        let sp = SpineCounts::builtin().unwrap();
        let h = sp.gradient(&data);
        let at = |a: &str| h[data.area_index(a).unwrap()];
        assert_eq!(at("V1"), 0.0);
        // 9/46d: 7800 × 1.15 = 8970, the largest count.
        assert_eq!(at("9/46d"), 1.0);
        // 2 has no count: its hierarchy value.
        assert_eq!(at("2"), data.hier_norm[data.area_index("2").unwrap()]);
        assert!((at("V2") - (1201.0 - 643.0) / (8970.0 - 643.0)).abs() < 1e-12);
    }

    #[test]
    fn rows_sum_to_one_when_normalised() {
        let data = MacaqueData::builtin().unwrap();
        let mut p = MejiasWang2022Params::default();
        let w = long_range_weights(&data, &p);
        let n = data.n();
        for x in 0..n {
            let s: f64 = w[x * n..(x + 1) * n].iter().sum();
            assert!((s - 1.0).abs() < 1e-12, "row {x}: {s}");
        }
        p.normalise = Normalise::None;
        let w = long_range_weights(&data, &p);
        let sums: Vec<f64> = (0..n).map(|x| w[x * n..(x + 1) * n].iter().sum()).collect();
        let (lo, hi) = sums
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(a, b), &s| (a.min(s), b.max(s)));
        // The literal weights sum to several units per area: 1.94–6.93 on these 29 areas
        // (SCIENCE.md addendum, on the paper's 30: 3–8.5).
        assert!(lo > 1.9 && lo < 2.0 && hi > 6.9 && hi < 7.0, "{lo} {hi}");
    }
}
