//! Large-scale working-memory model with a dopamine gradient, Froudist-Walsh, Bliss,
//! Ding, …, Wang (2021), Neuron 109:3500: 40 areas of the Lyon macaque connectome, per
//! area two selective excitatory pools with a dendritic compartment each, PV, two SST
//! and two VIP populations, the spine-count gradient of excitation and the D1-receptor
//! gradient through which dopamine modulates NMDA currents, PV→soma and SST→dendrite
//! inhibition and an M-current.
//!
//! The data set `froudist-walsh2021-40areas` (GPL-3.0 / CC-BY-NC, never shipped) is read
//! from `--data DIR` / `$CORTEXSIM_DATA` (`scripts/fetch_froudist_walsh2021.sh` installs
//! it): `areas_40.csv` (area, hierarchy, D1R density, spine count, experimental evidence
//! of delay activity, well studied), `fln_40x40.csv`, `sln_40x40.csv`.
//!
//! The equations are those of the paper's methods and Table S6 as implemented in the
//! authors' notebook (seanfw/dopamine-dist-wm, `Fig_2_3_5_Large_scale_visualWM_DA.ipynb`;
//! re-implemented here from the equations, currents in pA, rates in Hz):
//!
//! ```text
//! rate populations (τ = τ_AMPA = 2 ms): E1, E2 (soma, Abbott–Chance a = 0.135/pA, b = 54 Hz,
//!   d = 0.308 s), PV (0.33 Hz/pA, r0 = −95 Hz), SST1,2 and VIP1,2 (0.132 Hz/pA, −33 Hz)
//! dendrites E1d, E2d: I_d→soma = c1 tanh((I_exc − c3 |I_inh|)/(c5 e^{|I_inh|/c6})) + c2
//!   (c1 120, c2 136.24, c3 7, c5 9.64, c6 20 pA; rate::Transfer::Dendrite)
//! gating: NMDA N1,2 (τ 60 ms, γ 1.282, saturating), AMPA A1,2 (τ 2 ms, γ 5), GABA onto somata
//!   G_* (τ 5 ms, γ 2) and onto dendrites GD1,2 (τ 10 ms, γ 2), adaptation AD_* (τ 100 ms, γ 1)
//! local, area x (e = e_grad_x, n = nmda_da_x):
//!   E1 ← 0.18 nA (0.9 n e N1 + 0.1 e A1) ;  PV ← 0.174 (0.8 n e N + 0.2 e A) from both pools
//!   SST1 ← 0.0435 (NMDA/AMPA 0.9/0.1, both pools) ;  VIP1 ← 0.058 (pool 1)
//!   E ← G_PV g_E←PV,x ;  PV ← −0.18 G_PV − 0.17 (G_SST1 + G_SST2) ;  VIP1 ← −0.1 G_SST1
//!   SST1 ← −0.05 G_VIP1 ;  E1d inhibition |g_d←SST,x| GD1 ;  E1 ← E1d (weight 1)
//!   E, SST, VIP ← adaptation −4 pA AD (E also −500 pA · m_x AD: the M-current)
//! long range, y → x (W = FLN^0.3 row-normalised; superficial W·SLN, deep W·(1 − SLN)):
//!   E1d ← μ_EE e_x W_sup (0.9 n_x N1_y + 0.1 A1_y) (0.9 nA from pool 1, 0.1 nA from pool 2)
//!   PV  ← μ_IE e_x W_deep (0.8 n_x N_y + 0.2 A_y) 0.31 nA ;  SST1 ← … 0.22 nA ;  VIP1 ← … 0.47 nA
//!   (8l, 8m: 0.2 / 0.1 / 0.7 nA; NMDA/AMPA 0.9/0.1 for SST, VIP)
//! e_grad = 0.45 + 0.55 (spines − min)/(max − min) ;  d = (D1R − min)/(max − min)
//! occupancy o = σ(2 (DA − 1)) ;  n_x = 1 + 0.6 σ(10 (o d_x − 0.35)) ;  m_x = σ(14 (o d_x − 0.85))
//! g_E←PV,x = −400 + 399 o d_x pA ;  g_d←SST,x = −90 − 20 o d_x pA
//! background E 310, dendrite 30, interneurons 300 pA; OU noise (τ_AMPA) on somata and interneurons
//! ```
//!
//! Departures: the dendrite is a population with a 0.5 ms time constant, so at the
//! notebook's step (Euler, 0.5 ms) it is the notebook's instantaneous I/O function one
//! step behind; every variable is advanced from the state at the start of the step (the
//! notebook advances the gating with the freshly updated rates); the notebook's noise,
//! `dξ = −ξ dt/τ + σ √(τ) √(dt)/τ N(0,1)` with σ = 5 pA, is an OU process of stationary
//! s.d. σ/√2 = 3.54 pA (its Euler steps of 0.5 ms give σ/√1.75 = 3.78 pA); here it is the
//! network file's `[[stimuli]] kind = "noise"` (exact OU update) with s.d. σ/√2.

use crate::markov::{parse_num, read_csv};
use cortexsim_core::error::SpecError;
use cortexsim_theory::rate::{Kinetics, RateNetwork, RatePop, Transfer, VarianceInput};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Name of the data folder inside the data directory.
pub const FW2021: &str = "froudist-walsh2021-40areas";

/// Population suffixes of one area, in network order.
pub const AREA_POPS: [&str; 26] = [
    "E1", "E2", "E1d", "E2d", "PV", "SST1", "SST2", "VIP1", "VIP2", "N1", "N2", "A1", "A2", "G_PV",
    "G_SST1", "G_SST2", "G_VIP1", "G_VIP2", "GD1", "GD2", "AD_E1", "AD_E2", "AD_SST1", "AD_SST2",
    "AD_VIP1", "AD_VIP2",
];

/// Experimental evidence of delay activity in one area (Leavitt et al. 2017 compilation,
/// as coded by Froudist-Walsh et al. 2021).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaEvidence {
    pub area: String,
    /// Evidence of persistent activity in the delay.
    pub persistent: bool,
    /// Enough studies to count (more than two).
    pub well_studied: bool,
}

/// The dendrite transfer of the E1d/E2d populations (the paper's constants).
const DENDRITE: Transfer = Transfer::Dendrite {
    c1: 120.0,
    c2: 136.24,
    c3: 7.0,
    c4: 0.0,
    c5: 9.64,
    c6: 20.0,
};

/// The 40-area data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Fw2021Data {
    pub areas: Vec<String>,
    /// Beta-binomial hierarchy, normalised to [0, 1].
    pub hierarchy: Vec<f64>,
    /// D1 receptor density (arbitrary units).
    pub d1r: Vec<f64>,
    /// Spine counts of L2/3 pyramidal cells.
    pub spines: Vec<f64>,
    pub evidence: Vec<AreaEvidence>,
    /// `[target * n + source]`.
    pub fln: Vec<f64>,
    pub sln: Vec<f64>,
}

impl Fw2021Data {
    pub fn n(&self) -> usize {
        self.areas.len()
    }

    pub fn area_index(&self, name: &str) -> Option<usize> {
        self.areas.iter().position(|a| a == name)
    }

    /// From `--data DIR` / `$CORTEXSIM_DATA`; never built in.
    pub fn load_from(data_dir: Option<&Path>) -> Result<Self, SpecError> {
        let dir = crate::markov::data_dir(data_dir).ok_or_else(|| {
            SpecError::new(
                "model.data",
                format!(
                    "the `{FW2021}` data set is not built in (GPL-3.0 / CC-BY-NC): pass --data DIR or set CORTEXSIM_DATA to a directory holding {FW2021}/ (scripts/fetch_froudist_walsh2021.sh installs it)"
                ),
            )
        })?;
        let set = dir.join(FW2021);
        if !set.is_dir() {
            return Err(SpecError::new(
                "model.data",
                format!(
                    "no `{FW2021}` folder in the data directory {}",
                    dir.display()
                ),
            ));
        }
        Self::load(&set)
    }

    /// From the data-set folder itself. Errors name the file.
    pub fn load(dir: &Path) -> Result<Self, SpecError> {
        let read = |name: &str| {
            let path = dir.join(name);
            crate::markov::read_data_file(&path).map(|text| (path, text))
        };
        let (path, text) = read("areas_40.csv")?;
        let rows = read_csv(&text);
        let bad = |path: &Path, msg: String| SpecError::new(path.display().to_string(), msg);
        let header = rows
            .first()
            .ok_or_else(|| bad(&path, "empty file".into()))?;
        let col = |c: &str| {
            header
                .iter()
                .position(|h| h == c)
                .ok_or_else(|| bad(&path, format!("no `{c}` column in header {header:?}")))
        };
        let cols = [
            col("area")?,
            col("hierarchy")?,
            col("d1r_density")?,
            col("spine_count")?,
            col("persistent_activity_evidence")?,
            col("well_studied")?,
        ];
        let mut d = Fw2021Data {
            areas: Vec::new(),
            hierarchy: Vec::new(),
            d1r: Vec::new(),
            spines: Vec::new(),
            evidence: Vec::new(),
            fln: Vec::new(),
            sln: Vec::new(),
        };
        for (k, r) in rows[1..].iter().enumerate() {
            let get = |c: usize| {
                r.get(c)
                    .map(String::as_str)
                    .ok_or_else(|| bad(&path, format!("data row {} has {} fields", k + 1, r.len())))
            };
            let flag = |c: usize| -> Result<bool, SpecError> {
                match get(c)? {
                    "0" => Ok(false),
                    "1" => Ok(true),
                    s => Err(bad(
                        &path,
                        format!("data row {}: `{s}` is not 0 or 1", k + 1),
                    )),
                }
            };
            let area = get(cols[0])?.to_string();
            d.hierarchy.push(parse_num(get(cols[1])?, &path, k + 1)?);
            d.d1r.push(parse_num(get(cols[2])?, &path, k + 1)?);
            d.spines.push(parse_num(get(cols[3])?, &path, k + 1)?);
            d.evidence.push(AreaEvidence {
                area: area.clone(),
                persistent: flag(cols[4])?,
                well_studied: flag(cols[5])?,
            });
            d.areas.push(area);
        }
        if d.areas.len() < 2 {
            return Err(bad(&path, "fewer than two areas".into()));
        }
        for v in [&d.d1r, &d.spines] {
            let (lo, hi) = min_max(v);
            if v.iter().any(|x| !x.is_finite()) || hi <= lo {
                return Err(bad(
                    &path,
                    "d1r_density and spine_count must each vary across areas".into(),
                ));
            }
        }
        let (p, t) = read("fln_40x40.csv")?;
        d.fln = read_matrix(&p, &t, &d.areas)?;
        let (p, t) = read("sln_40x40.csv")?;
        d.sln = read_matrix(&p, &t, &d.areas)?;
        if let Some(k) = d.fln.iter().position(|v| !v.is_finite() || *v < 0.0) {
            return Err(bad(
                &dir.join("fln_40x40.csv"),
                format!("FLN entry {k} is negative or not a number"),
            ));
        }
        if let Some(k) = d
            .sln
            .iter()
            .position(|v| !v.is_finite() || !(0.0..=1.0).contains(v))
        {
            return Err(bad(&p, format!("SLN entry {k} is not in [0, 1]")));
        }
        Ok(d)
    }
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        })
}

/// An `n × n` matrix CSV whose header and first column list `areas` in order.
fn read_matrix(path: &Path, text: &str, areas: &[String]) -> Result<Vec<f64>, SpecError> {
    let rows = read_csv(text);
    let bad = |msg: String| SpecError::new(path.display().to_string(), msg);
    let n = areas.len();
    let header = rows.first().ok_or_else(|| bad("empty file".into()))?;
    if header.len() != n + 1 || header[1..] != *areas {
        return Err(bad(format!(
            "header does not list the {n} areas of areas_40.csv in order"
        )));
    }
    if rows.len() != n + 1 {
        return Err(bad(format!("{} data rows, expected {n}", rows.len() - 1)));
    }
    let mut m = Vec::with_capacity(n * n);
    for (i, r) in rows[1..].iter().enumerate() {
        if r.len() != n + 1 || r[0] != areas[i] {
            return Err(bad(format!(
                "data row {} should be area `{}` with {n} values",
                i + 1,
                areas[i]
            )));
        }
        for v in &r[1..] {
            m.push(parse_num(v, path, i + 1)?);
        }
    }
    Ok(m)
}

/// Parameters (currents in pA, times in ms); defaults: the paper's Table S6.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fw2021Params {
    /// Dopamine release level (the paper's `da_rel`; 1.5 in Fig. 2).
    pub dopamine: f64,
    pub g_e_self: f64,
    pub g_pv_e: f64,
    pub g_sst_e: f64,
    pub g_vip_e: f64,
    /// PV→soma strength at no / full D1 stimulation (`g_e_pv_max` / `_min` in the paper).
    pub g_e_pv_max: f64,
    pub g_e_pv_min: f64,
    pub g_pv_self: f64,
    /// SST→dendrite at no / full D1 stimulation.
    pub g_d_sst_min: f64,
    pub g_d_sst_max: f64,
    pub g_pv_sst: f64,
    pub g_vip_sst: f64,
    pub g_sst_vip: f64,
    pub g_adapt: f64,
    /// M-current strength at full activation.
    pub g_m: f64,
    pub g_nmda_da: f64,
    pub mu_ee: f64,
    pub mu_ie: f64,
    pub e_grad_min: f64,
    /// FLN compression exponent.
    pub fln_power: f64,
    pub i_e: f64,
    pub i_i: f64,
    pub i_dend: f64,
    /// Time constant of the dendrite population (ms; see the module docs).
    pub tau_dend: f64,
    /// Dopamine acts on NMDA, PV→soma, SST→dendrite and the M-current (each can be
    /// switched off, the paper's controls).
    pub da_nmda: bool,
    pub da_pv: bool,
    pub da_sst: bool,
    pub da_m: bool,
    /// 8l and 8m (FEF) get the larger VIP share of long-range input.
    pub fef_targets: bool,
}

impl Default for Fw2021Params {
    fn default() -> Self {
        Fw2021Params {
            dopamine: 1.5,
            g_e_self: 180.0,
            g_pv_e: 174.0,
            g_sst_e: 43.5,
            g_vip_e: 58.0,
            g_e_pv_max: -400.0,
            g_e_pv_min: -1.0,
            g_pv_self: -180.0,
            g_d_sst_min: -90.0,
            g_d_sst_max: -110.0,
            g_pv_sst: -170.0,
            g_vip_sst: -100.0,
            g_sst_vip: -50.0,
            g_adapt: -4.0,
            g_m: -500.0,
            g_nmda_da: 0.6,
            mu_ee: 1.45,
            mu_ie: 2.24,
            e_grad_min: 0.45,
            fln_power: 0.3,
            i_e: 310.0,
            i_i: 300.0,
            i_dend: 30.0,
            tau_dend: 0.5,
            da_nmda: true,
            da_pv: true,
            da_sst: true,
            da_m: true,
            fef_targets: true,
        }
    }
}

/// `e^{s (x − m)}/(1 + e^{s (x − m)})`.
fn sigmoid(x: f64, midpoint: f64, slope: f64) -> f64 {
    1.0 / (1.0 + (-slope * (x - midpoint)).exp())
}

/// Per-area gradients derived from the data and the dopamine level.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    /// Excitatory (spine-count) gradient `e_grad`.
    pub e_grad: Vec<f64>,
    /// D1 receptor density rescaled to [0, 1].
    pub d1: Vec<f64>,
    /// D1 occupancy at this dopamine level.
    pub occupancy: f64,
    /// NMDA factor `n_x`.
    pub nmda: Vec<f64>,
    /// M-current activation `m_x`.
    pub m: Vec<f64>,
    /// PV→soma and SST→dendrite strengths (pA).
    pub g_e_pv: Vec<f64>,
    pub g_d_sst: Vec<f64>,
}

pub fn gradients(d: &Fw2021Data, p: &Fw2021Params) -> Gradients {
    let rescale = |v: &[f64]| {
        let (lo, hi) = min_max(v);
        v.iter().map(|x| (x - lo) / (hi - lo)).collect::<Vec<f64>>()
    };
    let spines = rescale(&d.spines);
    let d1 = rescale(&d.d1r);
    let occ = sigmoid(p.dopamine, 1.0, 2.0);
    let on = |b: bool| if b { occ } else { 0.0 };
    Gradients {
        e_grad: spines
            .iter()
            .map(|s| p.e_grad_min + (1.0 - p.e_grad_min) * s)
            .collect(),
        nmda: d1
            .iter()
            .map(|g| 1.0 + p.g_nmda_da * sigmoid(on(p.da_nmda) * g, 0.35, 10.0))
            .collect(),
        m: d1
            .iter()
            .map(|g| sigmoid(on(p.da_m) * g, 0.85, 14.0))
            .collect(),
        g_e_pv: d1
            .iter()
            .map(|g| p.g_e_pv_max + on(p.da_pv) * g * (p.g_e_pv_min - p.g_e_pv_max))
            .collect(),
        g_d_sst: d1
            .iter()
            .map(|g| p.g_d_sst_min + on(p.da_sst) * g * (p.g_d_sst_max - p.g_d_sst_min))
            .collect(),
        d1,
        occupancy: occ,
    }
}

/// Long-range weights `W = FLN^b` row-normalised (`[target * n + source]`, diagonal 0).
pub fn long_range_weights(d: &Fw2021Data, p: &Fw2021Params) -> Vec<f64> {
    let n = d.n();
    let mut w = vec![0.0; n * n];
    for x in 0..n {
        let row = &mut w[x * n..(x + 1) * n];
        for (y, v) in row.iter_mut().enumerate() {
            let f = d.fln[x * n + y];
            if x != y && f > 0.0 {
                *v = f.powf(p.fln_power);
            }
        }
        let s: f64 = row.iter().sum();
        if s > 0.0 {
            row.iter_mut().for_each(|v| *v /= s);
        }
    }
    w
}

/// Index of population `suffix` of area `x`.
fn idx(x: usize, suffix: &str) -> usize {
    x * AREA_POPS.len()
        + AREA_POPS
            .iter()
            .position(|s| *s == suffix)
            .expect("a population of AREA_POPS")
}

/// Build the network. Somata and interneurons start at 5 Hz, everything else at 0.
pub fn build(d: &Fw2021Data, p: &Fw2021Params) -> RateNetwork {
    let n = d.n();
    let g = gradients(d, p);
    let e_soma = Transfer::AbbottChance {
        a: 0.135,
        b: 54.0,
        d: 0.308,
    };
    let lin = |gain: f64, r0: f64| Transfer::ThresholdLinear {
        gain,
        threshold: -r0 / gain,
    };
    let dend = DENDRITE;
    let mut pops = Vec::with_capacity(AREA_POPS.len() * n);
    for area in &d.areas {
        for s in AREA_POPS {
            let (tau, transfer, r0) = match s {
                "E1" | "E2" => (2.0, e_soma, 5.0),
                "E1d" | "E2d" => (p.tau_dend, dend, 0.0),
                "PV" => (2.0, lin(0.330, -95.0), 5.0),
                "SST1" | "SST2" | "VIP1" | "VIP2" => (2.0, lin(0.132, -33.0), 5.0),
                "N1" | "N2" => (60.0, Transfer::Linear, 0.0),
                "A1" | "A2" => (2.0, Transfer::Linear, 0.0),
                "GD1" | "GD2" => (10.0, Transfer::Linear, 0.0),
                _ if s.starts_with("G_") => (5.0, Transfer::Linear, 0.0),
                _ => (100.0, Transfer::Linear, 0.0),
            };
            pops.push(RatePop {
                name: format!("{area}.{s}"),
                tau_ms: tau,
                transfer,
                lower_clamp_hz: None,
                r0_hz: r0,
            });
        }
    }
    let mut net = RateNetwork::new(pops);
    let total = net.n();
    let mut w2 = vec![0.0; total * total];
    let gating = |gamma: f64, saturating: bool| Kinetics::Gating { gamma, saturating };
    let (nmda_e, nmda_pv) = (0.9, 0.8);
    for x in 0..n {
        let at = |s: &str| idx(x, s);
        let (e, nf) = (g.e_grad[x], g.nmda[x]);
        // Gating variables follow their pools.
        for (s, src, k) in [
            ("N1", "E1", gating(1.282, true)),
            ("N2", "E2", gating(1.282, true)),
            ("A1", "E1", gating(5.0, false)),
            ("A2", "E2", gating(5.0, false)),
            ("G_PV", "PV", gating(2.0, false)),
            ("G_SST1", "SST1", gating(2.0, false)),
            ("G_SST2", "SST2", gating(2.0, false)),
            ("G_VIP1", "VIP1", gating(2.0, false)),
            ("G_VIP2", "VIP2", gating(2.0, false)),
            ("GD1", "SST1", gating(2.0, false)),
            ("GD2", "SST2", gating(2.0, false)),
            ("AD_E1", "E1", gating(1.0, false)),
            ("AD_E2", "E2", gating(1.0, false)),
            ("AD_SST1", "SST1", gating(1.0, false)),
            ("AD_SST2", "SST2", gating(1.0, false)),
            ("AD_VIP1", "VIP1", gating(1.0, false)),
            ("AD_VIP2", "VIP2", gating(1.0, false)),
        ] {
            net.set_weight(at(s), at(src), 1.0);
            net.set_kinetics(at(s), k);
        }
        // Local excitation: NMDA and AMPA shares of each excitatory strength.
        let mut exc = |t: &str, pool: usize, strength: f64, nmda_frac: f64| {
            let (ns, as_) = if pool == 1 {
                ("N1", "A1")
            } else {
                ("N2", "A2")
            };
            net.set_weight(at(t), at(ns), nmda_frac * nf * e * strength);
            net.set_weight(at(t), at(as_), (1.0 - nmda_frac) * e * strength);
        };
        exc("E1", 1, p.g_e_self, nmda_e);
        exc("E2", 2, p.g_e_self, nmda_e);
        for pool in [1, 2] {
            exc("PV", pool, p.g_pv_e, nmda_pv);
            exc("SST1", pool, p.g_sst_e, nmda_e);
            exc("SST2", pool, p.g_sst_e, nmda_e);
        }
        exc("VIP1", 1, p.g_vip_e, nmda_e);
        exc("VIP2", 2, p.g_vip_e, nmda_e);
        // Local inhibition, dendrites and adaptation.
        let m_current = p.g_m * g.m[x];
        for (t, s, wv) in [
            ("E1", "G_PV", g.g_e_pv[x]),
            ("E2", "G_PV", g.g_e_pv[x]),
            ("PV", "G_PV", p.g_pv_self),
            ("PV", "G_SST1", p.g_pv_sst),
            ("PV", "G_SST2", p.g_pv_sst),
            ("VIP1", "G_SST1", p.g_vip_sst),
            ("VIP2", "G_SST2", p.g_vip_sst),
            ("SST1", "G_VIP1", p.g_sst_vip),
            ("SST2", "G_VIP2", p.g_sst_vip),
            ("E1", "E1d", 1.0),
            ("E2", "E2d", 1.0),
            ("E1", "AD_E1", p.g_adapt + m_current),
            ("E2", "AD_E2", p.g_adapt + m_current),
            ("SST1", "AD_SST1", p.g_adapt),
            ("SST2", "AD_SST2", p.g_adapt),
            ("VIP1", "AD_VIP1", p.g_adapt),
            ("VIP2", "AD_VIP2", p.g_adapt),
        ] {
            net.set_weight(at(t), at(s), wv);
        }
        // The dendrites' inhibitory input, by its size.
        w2[at("E1d") * total + at("GD1")] = -g.g_d_sst[x];
        w2[at("E2d") * total + at("GD2")] = -g.g_d_sst[x];
        for s in ["E1", "E2"] {
            net.bias[at(s)] = p.i_e;
        }
        for s in ["E1d", "E2d"] {
            net.bias[at(s)] = p.i_dend;
        }
        for s in ["PV", "SST1", "SST2", "VIP1", "VIP2"] {
            net.bias[at(s)] = p.i_i;
        }
    }
    // Long range.
    let w = long_range_weights(d, p);
    let fef: Vec<bool> = d
        .areas
        .iter()
        .map(|a| p.fef_targets && (a == "8l" || a == "8m"))
        .collect();
    for x in 0..n {
        let (e, nf) = (g.e_grad[x], g.nmda[x]);
        let (to_pv, to_sst, to_vip) = if fef[x] {
            (200.0, 100.0, 700.0)
        } else {
            (310.0, 220.0, 470.0)
        };
        for y in 0..n {
            let wxy = w[x * n + y];
            if wxy == 0.0 {
                continue;
            }
            let sln = d.sln[x * n + y];
            let (sup, deep) = (p.mu_ee * e * wxy * sln, p.mu_ie * e * wxy * (1.0 - sln));
            for (pool, ns, as_) in [(1, "N1", "A1"), (2, "N2", "A2")] {
                let (src_n, src_a) = (idx(y, ns), idx(y, as_));
                let mut set = |t: &str, strength: f64, nmda_frac: f64| {
                    net.set_weight(idx(x, t), src_n, nmda_frac * nf * strength);
                    net.set_weight(idx(x, t), src_a, (1.0 - nmda_frac) * strength);
                };
                let (own, other) = if pool == 1 { ("1", "2") } else { ("2", "1") };
                set(&format!("E{own}d"), sup * 900.0, nmda_e);
                set(&format!("E{other}d"), sup * 100.0, nmda_e);
                set("PV", deep * to_pv, nmda_pv);
                set(&format!("SST{own}"), deep * to_sst, nmda_e);
                set(&format!("VIP{own}"), deep * to_vip, nmda_e);
            }
        }
    }
    net.variance = Some(VarianceInput {
        w2,
        bias2: vec![0.0; total],
    });
    net
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dopamine_gradients_at_the_papers_level() {
        let d = Fw2021Data {
            areas: vec!["a".into(), "b".into()],
            hierarchy: vec![0.0, 1.0],
            d1r: vec![1.0, 3.0],
            spines: vec![600.0, 1000.0],
            evidence: Vec::new(),
            fln: vec![0.0, 0.2, 0.1, 0.0],
            sln: vec![0.0, 0.5, 0.5, 0.0],
        };
        let g = gradients(&d, &Fw2021Params::default());
        // o = σ(2 · 0.5) = e/(1 + e)
        let o = std::f64::consts::E / (1.0 + std::f64::consts::E);
        assert!((g.occupancy - o).abs() < 1e-12);
        assert_eq!(g.e_grad, vec![0.45, 1.0]);
        assert_eq!(g.d1, vec![0.0, 1.0]);
        assert!((g.g_e_pv[1] - (-400.0 + 399.0 * o)).abs() < 1e-9);
        assert!((g.g_d_sst[1] - (-90.0 - 20.0 * o)).abs() < 1e-9);
        let n1 = 1.0 + 0.6 / (1.0 + (-10.0 * (o - 0.35f64)).exp());
        assert!((g.nmda[1] - n1).abs() < 1e-12);
        let w = long_range_weights(&d, &Fw2021Params::default());
        assert_eq!(w, vec![0.0, 1.0, 1.0, 0.0]);
        let net = build(&d, &Fw2021Params::default());
        assert_eq!(net.n(), 2 * AREA_POPS.len());
        net.validate().unwrap();
        // b.E1d ← a.N1: μ_EE e_b n_b W SLN 0.9 · 900 pA
        let want = 1.45 * 1.0 * g.nmda[1] * 1.0 * 0.5 * 0.9 * 900.0;
        assert!((net.weight(idx(1, "E1d"), idx(0, "N1")) - want).abs() < 1e-9);
    }

    #[test]
    fn dendrite_transfer_matches_the_formula() {
        let t = DENDRITE;
        // no inhibition, 30 pA: 120 tanh(30/9.64) + 136.24
        assert!(
            (t.apply_with_variance(30.0, 0.0) - (120.0 * (30.0f64 / 9.64).tanh() + 136.24)).abs()
                < 1e-12
        );
        // 10 pA of inhibition: 120 tanh((30 − 70)/(9.64 e^{0.5})) + 136.24
        let want = 120.0 * ((30.0 - 70.0) / (9.64 * 0.5f64.exp())).tanh() + 136.24;
        assert!((t.apply_with_variance(30.0, 10.0) - want).abs() < 1e-12);
    }
}
