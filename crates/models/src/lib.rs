//! Data-driven model generators and the rate-network file format.
//!
//! A rate file is a TOML document with either a `[model]` table (a generator) or
//! hand-written `[[rate_populations]]` + `[[rate_projections]]`, plus `[simulation]` and
//! optional `[[stimuli]]`. Times in ms, rates in Hz, inputs in the model's input unit.
//!
//! ```toml
//! [model]                       # generator; kinds: chaudhuri2015, joglekar2018_rate, ei_local,
//!                               # mejias_wang_local (j_s = ..., see models::mejias_wang),
//!                               # mejias_wang2022 (29 areas, see models::mejias_wang2022),
//!                               # froudist_walsh2021 (40 areas, data never built in: see
//!                               #   models::froudist_walsh2021)
//!                               # (joglekar2018_spiking makes a spiking network: load_spiking_generator)
//! kind = "joglekar2018_rate"
//! data = "markov2014-29areas"   # folder in the data directory (argument or $CORTEXSIM_DATA)
//! gba = "weak"                  # joglekar2018_rate: weak | strong (sets w_ei, mu_ee)
//! eta = 0.68                    # any LargeScaleParams field overrides the preset
//!
//! [[rate_populations]]          # hand-written alternative to [model]
//! name = "E"
//! tau = 20.0                    # ms
//! transfer = { kind = "threshold_linear", gain = 1.0, threshold = 0.0 }
//! r0 = 1.0                      # initial rate (Hz), default 0
//! bias = 0.0                    # constant input, default 0
//! lower_clamp = 0.0             # optional
//! kinetics = { kind = "gating", gamma = 1.282, saturating = true }  # optional; default
//!                               # leaky (a rate); gating: dS/dt = -S/tau + 1e-3 gamma (1-S) f(x)
//!
//! [[rate_projections]]
//! source = "E"
//! target = "I"
//! weight = 4.29
//!
//! [simulation]
//! dt = 0.2                      # ms
//! t_stop = 4000.0               # ms
//! seed = 1                      # default 0
//! method = "euler"              # or "exponential"
//! record_every = 5              # steps, default 1
//!
//! [[stimuli]]                   # kind = pulse | step | noise
//! kind = "pulse"
//! name = "motion_1"             # optional: --set stimuli.motion_1.amplitude=...
//! target = "V1.E"               # a name, a pattern with one `*` ("*.E"), or a list
//! start = 100.0
//! stop = 350.0                  # pulse only; a step lasts to the end
//! amplitude = 41.8646
//!
//! [[stimuli]]
//! kind = "noise"                # OU noise; one tau for the whole network
//! target = "V1.E"
//! sigma = 0.5
//! tau = 1.0
//! mean = 2.0                    # optional, added to the constant input
//!
//! [trials]                      # optional: the decision task of `cortexsim trials`
//! pools = ["S1", "S2"]          # (see models::task)
//! stimulus = ["stimuli.motion_1.amplitude", "stimuli.motion_2.amplitude"]
//! ```
//!
//! Unknown keys are errors with a "did you mean" hint; every error is a [`SpecError`] whose
//! path names the key (`model.eta`, `rate_populations[2].tau`, `stimuli[0].target`).

pub mod builtin;
pub mod ei_local;
pub mod froudist_walsh2021;
pub mod load;
pub use load::{FileKind, Loaded, Origin};
pub mod joglekar_spiking;
pub mod large_scale;
pub mod markov;
pub mod mejias_wang;
pub mod mejias_wang2022;
pub mod schmidt2018;
pub mod task;

use cortexsim_core::error::SpecError;
use cortexsim_core::reader::{Obj, check_keys, hint};
use cortexsim_theory::rate::{
    Epoch, Kinetics, Method, OuNoise, RateNetwork, RatePop, RunOpts, Transfer,
};
use serde::{Deserialize, Serialize};
use std::path::Path;
use toml::{Table, Value};

/// Simulation settings of a rate file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateSim {
    pub dt_ms: f64,
    pub t_stop_ms: f64,
    pub seed: u64,
    pub method: Method,
    pub record_every: usize,
}

impl RateSim {
    /// The corresponding [`RunOpts`].
    pub fn run_opts(&self) -> RunOpts {
        RunOpts {
            dt_ms: self.dt_ms,
            t_stop_ms: self.t_stop_ms,
            seed: self.seed,
            record_every: self.record_every,
            method: self.method,
        }
    }
}

/// A loaded rate file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateNetworkFile {
    pub net: RateNetwork,
    pub sim: RateSim,
    /// `(area, normalised hierarchy)` in data order, for data-driven models.
    pub hierarchy: Option<Vec<(String, f64)>>,
    /// Experimental evidence of delay activity per area (`froudist_walsh2021`, and
    /// `mejias_wang2022` with `model.evidence`): the protocols compare the areas that
    /// hold activity with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Vec<froudist_walsh2021::AreaEvidence>>,
}

impl RateNetworkFile {
    /// E-population names (`<area>.E`) ordered by increasing hierarchy, for data-driven
    /// models; `None` for hand-written networks.
    pub fn e_pops_by_hierarchy(&self) -> Option<Vec<String>> {
        let mut h = self.hierarchy.clone()?;
        h.sort_by(|a, b| a.1.total_cmp(&b.1));
        Some(h.iter().map(|(a, _)| large_scale::e_pop(a)).collect())
    }

    /// Population names for reports and plots: for data-driven models (populations named
    /// `<area>.<kind>`) every kind in turn, in the order kinds first appear in the network
    /// (`E` then `I`; `A`, `B`, `C`, `S_A`, ...), each with its areas by increasing
    /// hierarchy; else network order.
    pub fn report_order(&self) -> Vec<String> {
        match &self.hierarchy {
            Some(h) => {
                let mut h = h.clone();
                h.sort_by(|a, b| a.1.total_cmp(&b.1));
                let mut kinds: Vec<&str> = Vec::new();
                for p in &self.net.pops {
                    if let Some((_, k)) = p.name.rsplit_once('.')
                        && !kinds.contains(&k)
                    {
                        kinds.push(k);
                    }
                }
                let mut v: Vec<String> = Vec::new();
                for k in kinds {
                    v.extend(h.iter().map(|(a, _)| format!("{a}.{k}")));
                }
                v.retain(|p| self.net.index_of(p).is_some());
                v
            }
            None => self.net.pops.iter().map(|p| p.name.clone()).collect(),
        }
    }
}

/// Read and parse a rate file from disk; `Ok(None)` if it is not a rate/model file.
pub fn load_rate_path(
    path: &Path,
    data_dir: Option<&Path>,
) -> Result<Option<RateNetworkFile>, SpecError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SpecError::new(path.display().to_string(), format!("cannot read: {e}")))?;
    let doc: Table = text
        .parse()
        .map_err(|e| SpecError::new(path.display().to_string(), format!("invalid TOML: {e}")))?;
    load_rate_file(&doc, data_dir)
}

/// Interpret a parsed TOML document as a rate network. `Ok(None)` if it has neither
/// `[model]` nor `rate_populations`. `data_dir` (else `$CORTEXSIM_DATA`) is searched for
/// the `model.data` folder.
pub fn load_rate_file(
    doc: &Table,
    data_dir: Option<&Path>,
) -> Result<Option<RateNetworkFile>, SpecError> {
    let has_model = doc.contains_key("model");
    let has_pops = doc.contains_key("rate_populations");
    if (!has_model && !has_pops) || is_spiking_generator(doc) {
        return Ok(None);
    }
    check_keys(
        doc,
        "",
        &[
            "model",
            "rate_populations",
            "rate_projections",
            "simulation",
            "stimuli",
            "description",
            "trials",
        ],
    )?;
    let trials = task::trials_spec(doc)?;
    let top = Obj::new("", doc);
    top.str_opt("description")?;
    if has_model && (has_pops || doc.contains_key("rate_projections")) {
        return Err(SpecError::new(
            "model",
            "a file has either [model] or [[rate_populations]]/[[rate_projections]], not both",
        ));
    }
    let (mut net, hierarchy) = match top.table_opt("model")? {
        Some(model) => build_model(&model, data_dir)?,
        None => (hand_written(&top)?, None),
    };
    let evidence = match top.table_opt("model")? {
        Some(model) => model_evidence(&model, data_dir)?,
        None => None,
    };
    let sim = match top.table_opt("simulation")? {
        Some(s) => parse_sim(&s)?,
        None => {
            return Err(SpecError::new(
                "simulation",
                "missing [simulation] table (dt, t_stop)",
            ));
        }
    };
    if let Some(arr) = top.array_opt("stimuli")? {
        apply_stimuli(&mut net, arr)?;
    }
    net.validate()?;
    if let Some(t) = &trials {
        for (k, p) in t.pools.iter().enumerate() {
            if net.index_of(p).is_none() {
                let names: Vec<&str> = net.pops.iter().map(|p| p.name.as_str()).collect();
                return Err(SpecError::new(
                    format!("trials.pools[{k}]"),
                    format!("no rate population `{p}`{}", hint(p, &names)),
                ));
            }
        }
    }
    Ok(Some(RateNetworkFile {
        net,
        sim,
        hierarchy,
        evidence,
    }))
}

/// The experimental map of delay activity a generator brings: always for
/// `froudist_walsh2021`, for `mejias_wang2022` when `model.evidence` names the
/// `froudist-walsh2021-40areas` data set (read from the data directory).
fn model_evidence(
    m: &Obj,
    data_dir: Option<&Path>,
) -> Result<Option<Vec<froudist_walsh2021::AreaEvidence>>, SpecError> {
    let want = match m.str_req("kind")? {
        "froudist_walsh2021" => true,
        "mejias_wang2022" => match m.str_opt("evidence")? {
            None => false,
            Some(s) if s == froudist_walsh2021::FW2021 => true,
            Some(s) => {
                return Err(m.err(
                    "evidence",
                    format!(
                        "unknown data set `{s}` (the experimental map is in `{}`)",
                        froudist_walsh2021::FW2021
                    ),
                ));
            }
        },
        _ => false,
    };
    if !want {
        return Ok(None);
    }
    let d = froudist_walsh2021::Fw2021Data::load_from(data_dir)?;
    Ok(Some(d.evidence))
}

// ---------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------

const LARGE_SCALE_KEYS: &[&str] = &[
    "eta", "mu_ee", "mu_ie", "w_ee", "w_ie", "w_ei", "w_ii", "beta_e", "beta_i", "tau_e", "tau_i",
    "r_e", "r_i",
];

const MW_KEYS: &[&str] = &[
    "j_s", "j_c", "j_ei", "j_ii", "j_ie", "j_0", "i_0a", "i_0b", "i_0c", "tau_n", "tau_g", "tau_r",
    "gamma", "gamma_i", "a", "b", "d", "g_i", "c1", "c0", "r0",
];

/// Keys of `[model] kind = "froudist_walsh2021"`.
const FW_KEYS: &[&str] = &[
    "kind",
    "data",
    "dopamine",
    "mu_ee",
    "mu_ie",
    "e_grad_min",
    "fln_power",
    "g_e_self",
    "g_m",
    "g_nmda_da",
    "tau_dend",
    "da_nmda",
    "da_pv",
    "da_sst",
    "da_m",
    "fef_targets",
];

type Built = (RateNetwork, Option<Vec<(String, f64)>>);

fn build_model(m: &Obj, data_dir: Option<&Path>) -> Result<Built, SpecError> {
    let kind = m.str_req("kind")?;
    match kind {
        "chaudhuri2015" | "joglekar2018_rate" => {
            let jog = kind == "joglekar2018_rate";
            let mut allowed: Vec<&str> = vec!["kind", "data", "clamp_at_baseline"];
            allowed.extend_from_slice(LARGE_SCALE_KEYS);
            if jog {
                allowed.push("gba");
            }
            check_keys(m.table(), "model", &allowed)?;
            let mut p = if jog {
                let gba = if strong(m, "gba")? {
                    large_scale::Gba::Strong
                } else {
                    large_scale::Gba::Weak
                };
                large_scale::LargeScaleParams::joglekar2018(gba)
            } else {
                large_scale::LargeScaleParams::chaudhuri2015()
            };
            for &key in LARGE_SCALE_KEYS {
                if let Some(v) = m.f64_opt(key)? {
                    let slot = match key {
                        "eta" => &mut p.eta,
                        "mu_ee" => &mut p.mu_ee,
                        "mu_ie" => &mut p.mu_ie,
                        "w_ee" => &mut p.w_ee,
                        "w_ie" => &mut p.w_ie,
                        "w_ei" => &mut p.w_ei,
                        "w_ii" => &mut p.w_ii,
                        "beta_e" => &mut p.beta_e,
                        "beta_i" => &mut p.beta_i,
                        "tau_e" => &mut p.tau_e,
                        "tau_i" => &mut p.tau_i,
                        "r_e" => &mut p.r_e,
                        _ => &mut p.r_i,
                    };
                    *slot = v;
                }
            }
            p.clamp_at_baseline = m.bool_or("clamp_at_baseline", p.clamp_at_baseline)?;
            for (key, v) in [("tau_e", p.tau_e), ("tau_i", p.tau_i)] {
                if v <= 0.0 {
                    return Err(SpecError::new(format!("model.{key}"), "must be > 0 ms"));
                }
            }
            let data = load_macaque_data(m, data_dir)?;
            let net = large_scale::build(&data, &p);
            let hier = data
                .areas
                .iter()
                .cloned()
                .zip(data.hier_norm.iter().copied())
                .collect();
            Ok((net, Some(hier)))
        }
        "ei_local" => {
            let keys = [
                "tau_e", "tau_i", "w_ee", "w_ie", "w_ei", "w_ii", "beta", "i_e", "i_i", "r0_e",
                "r0_i",
            ];
            let mut allowed = vec!["kind", "lba"];
            allowed.extend_from_slice(&keys);
            check_keys(m.table(), "model", &allowed)?;
            let lba = if strong(m, "lba")? {
                ei_local::Lba::Strong
            } else {
                ei_local::Lba::Weak
            };
            let mut p = ei_local::EiLocalParams::joglekar2018(lba);
            for key in keys {
                if let Some(v) = m.f64_opt(key)? {
                    let slot = match key {
                        "tau_e" => &mut p.tau_e,
                        "tau_i" => &mut p.tau_i,
                        "w_ee" => &mut p.w_ee,
                        "w_ie" => &mut p.w_ie,
                        "w_ei" => &mut p.w_ei,
                        "w_ii" => &mut p.w_ii,
                        "beta" => &mut p.beta,
                        "i_e" => &mut p.i_e,
                        "i_i" => &mut p.i_i,
                        "r0_e" => &mut p.r0_e,
                        _ => &mut p.r0_i,
                    };
                    *slot = v;
                }
            }
            Ok((ei_local::build(&p), None))
        }
        "mejias_wang2022" => {
            let mut allowed = vec![
                "kind",
                "data",
                "j_min",
                "j_max",
                "g",
                "k1",
                "k2",
                "normalise",
                "counterstream",
                "c_scale",
                "evidence",
            ];
            allowed.extend(MW_KEYS.iter().filter(|k| !["j_s", "j_ie"].contains(k)));
            check_keys(m.table(), "model", &allowed)?;
            let mut p = mejias_wang2022::MejiasWang2022Params::default();
            p.local = mw_local(m, p.local.clone())?;
            for (key, slot) in [
                ("j_min", &mut p.j_min),
                ("j_max", &mut p.j_max),
                ("g", &mut p.g),
                ("k1", &mut p.k1),
                ("k2", &mut p.k2),
            ] {
                *slot = m.f64_or(key, *slot)?;
            }
            if p.j_max <= 0.0 {
                return Err(m.err("j_max", format!("must be > 0 nA, got {}", p.j_max)));
            }
            p.normalise = match m.choice("normalise", &["rows", "none"], Some("rows"))? {
                "none" => mejias_wang2022::Normalise::None,
                _ => mejias_wang2022::Normalise::Rows,
            };
            p.counterstream = m.bool_or("counterstream", p.counterstream)?;
            p.c_scale_j_ie = m.choice("c_scale", &["j_ie", "j_s"], Some("j_ie"))? == "j_ie";
            let data = load_macaque_data(m, data_dir)?;
            let spines = mejias_wang2022::SpineCounts::load(data_dir)?;
            let h = spines.gradient(&data);
            let mut probe = p.local.clone();
            for j_s in mejias_wang2022::j_s(&p, &h) {
                probe.j_s = j_s;
                if !probe.j_ie().is_finite() {
                    return Err(m.err("j_ei", "derived J_IE is not finite (J_EI or zeta is 0)"));
                }
            }
            let net = mejias_wang2022::build(&data, &h, &p);
            let hier = data
                .areas
                .iter()
                .cloned()
                .zip(data.hier_norm.iter().copied())
                .collect();
            Ok((net, Some(hier)))
        }
        "froudist_walsh2021" => {
            check_keys(m.table(), "model", FW_KEYS)?;
            if let Some(set) = m.str_opt("data")?
                && set != froudist_walsh2021::FW2021
            {
                return Err(m.err(
                    "data",
                    format!(
                        "unknown data set `{set}` (this model uses `{}`)",
                        froudist_walsh2021::FW2021
                    ),
                ));
            }
            let mut p = froudist_walsh2021::Fw2021Params::default();
            for (key, slot) in [
                ("dopamine", &mut p.dopamine),
                ("mu_ee", &mut p.mu_ee),
                ("mu_ie", &mut p.mu_ie),
                ("e_grad_min", &mut p.e_grad_min),
                ("fln_power", &mut p.fln_power),
                ("g_e_self", &mut p.g_e_self),
                ("g_m", &mut p.g_m),
                ("g_nmda_da", &mut p.g_nmda_da),
                ("tau_dend", &mut p.tau_dend),
            ] {
                *slot = m.f64_or(key, *slot)?;
            }
            if !p.dopamine.is_finite() || p.dopamine < 0.0 {
                return Err(m.err("dopamine", format!("must be >= 0, got {}", p.dopamine)));
            }
            if !p.tau_dend.is_finite() || p.tau_dend <= 0.0 {
                return Err(m.err("tau_dend", format!("must be > 0 ms, got {}", p.tau_dend)));
            }
            for (key, slot) in [
                ("da_nmda", &mut p.da_nmda),
                ("da_pv", &mut p.da_pv),
                ("da_sst", &mut p.da_sst),
                ("da_m", &mut p.da_m),
                ("fef_targets", &mut p.fef_targets),
            ] {
                *slot = m.bool_or(key, *slot)?;
            }
            let data = froudist_walsh2021::Fw2021Data::load_from(data_dir)?;
            let net = froudist_walsh2021::build(&data, &p);
            let hier = data
                .areas
                .iter()
                .cloned()
                .zip(data.hierarchy.iter().copied())
                .collect();
            Ok((net, Some(hier)))
        }
        "mejias_wang_local" => {
            let mut allowed = vec!["kind"];
            allowed.extend_from_slice(MW_KEYS);
            check_keys(m.table(), "model", &allowed)?;
            let p = mw_local(m, mejias_wang::MejiasWangLocalParams::mejias_wang2022(0.4))?;
            if !m.has("j_s") {
                return Err(SpecError::new(
                    "model.j_s",
                    "missing (E self-coupling in nA; bistable above ~0.4655)",
                ));
            }
            let j_ie = p.j_ie();
            if !j_ie.is_finite() {
                return Err(SpecError::new(
                    "model.j_ie",
                    format!("derived J_IE = (J_0 - J_s - J_c)/(2 J_EI zeta) is {j_ie}; set j_ie"),
                ));
            }
            Ok((mejias_wang::build(&p), None))
        }
        other => Err(SpecError::new(
            "model.kind",
            format!(
                "unknown model `{other}`{}",
                hint(
                    other,
                    &[
                        "chaudhuri2015",
                        "joglekar2018_rate",
                        "ei_local",
                        "mejias_wang_local",
                        "mejias_wang2022",
                        "froudist_walsh2021",
                        "joglekar2018_spiking"
                    ]
                )
            ),
        )),
    }
}

/// The local-circuit keys of `m` ([`MW_KEYS`]) over `p`, with the checks both Mejias–Wang
/// models share.
fn mw_local(
    m: &Obj,
    mut p: mejias_wang::MejiasWangLocalParams,
) -> Result<mejias_wang::MejiasWangLocalParams, SpecError> {
    for &key in MW_KEYS {
        if let Some(v) = m.f64_opt(key)? {
            let slot = match key {
                "j_s" => &mut p.j_s,
                "j_c" => &mut p.j_c,
                "j_ei" => &mut p.j_ei,
                "j_ii" => &mut p.j_ii,
                "j_ie" => {
                    p.j_ie = Some(v);
                    continue;
                }
                "j_0" => &mut p.j_0,
                "i_0a" => &mut p.i_0a,
                "i_0b" => &mut p.i_0b,
                "i_0c" => &mut p.i_0c,
                "tau_n" => &mut p.tau_n,
                "tau_g" => &mut p.tau_g,
                "tau_r" => &mut p.tau_r,
                "gamma" => &mut p.gamma,
                "gamma_i" => &mut p.gamma_i,
                "a" => &mut p.a,
                "b" => &mut p.b,
                "d" => &mut p.d,
                "g_i" => &mut p.g_i,
                "c1" => &mut p.c1,
                "c0" => &mut p.c0,
                _ => &mut p.r0,
            };
            *slot = v;
        }
    }
    for (key, v) in [("tau_n", p.tau_n), ("tau_g", p.tau_g), ("tau_r", p.tau_r)] {
        if v <= 0.0 {
            return Err(SpecError::new(format!("model.{key}"), "must be > 0 ms"));
        }
    }
    if p.g_i == 0.0 || p.c1 == 0.0 {
        return Err(SpecError::new("model", "g_i and c1 must be non-zero"));
    }
    Ok(p)
}

// ---------------------------------------------------------------------------------------
// Spiking generators
// ---------------------------------------------------------------------------------------

/// `[model] kind`s that generate a spiking [`cortexsim_spec::Network`].
pub const SPIKING_KINDS: &[&str] = &["joglekar2018_spiking", "schmidt2018_mam"];

/// Whether `doc` names a spiking generator (`[model] kind = "joglekar2018_spiking"`).
pub fn is_spiking_generator(doc: &Table) -> bool {
    doc.get("model")
        .and_then(|m| m.get("kind"))
        .and_then(Value::as_str)
        .is_some_and(|k| SPIKING_KINDS.contains(&k))
}

const JOG_SPIKING_F64_KEYS: &[&str] = &[
    "p_local",
    "p_long",
    "omega_ee",
    "omega_ie",
    "omega_ei",
    "omega_ii",
    "mu_ee",
    "mu_ie",
    "alpha",
    "mu_e",
    "mu_i",
    "sigma",
    "v_rest",
    "v_reset",
    "v_th",
    "tau_e",
    "tau_i",
    "t_ref",
    "delay_local",
    "speed",
    "delay_jitter",
    "rate_bin",
];

/// Interpret a parsed TOML document (after `--set` overrides) as a spiking generator file:
/// `Ok(None)` unless `[model] kind` is one of [`SPIKING_KINDS`]. `data_dir` (else
/// `$CORTEXSIM_DATA`) is searched for the `model.data` folder.
///
/// ```toml
/// [model]
/// kind = "joglekar2018_spiking"
/// gba = "weak"             # weak | strong: the asynchronous-regime preset
/// n_per_area = 2000        # neurons per area, 80 % E
/// keep_indegree = true     # scale p by 2000 / n_per_area
/// pulse = true             # 6.3 mV into V1.E, 300-450 ms; or a table:
/// # pulse = { area = "V1", start = 300.0, duration = 150.0, amplitude = 6.3 }
/// mu_e = 14.2              # any JoglekarSpikingParams number overrides the preset
///
/// [simulation]
/// dt = 0.1
/// t_stop = 1000.0
/// seed = 1
/// threads = 0
/// ```
pub fn load_spiking_generator(
    doc: &Table,
    data_dir: Option<&Path>,
) -> Result<Option<cortexsim_spec::Network>, SpecError> {
    if !is_spiking_generator(doc) {
        return Ok(None);
    }
    if doc
        .get("model")
        .and_then(|m| m.get("kind"))
        .and_then(Value::as_str)
        == Some("schmidt2018_mam")
    {
        return load_schmidt2018(doc, data_dir).map(Some);
    }
    check_keys(doc, "", &["model", "simulation", "description"])?;
    let top = Obj::new("", doc);
    top.str_opt("description")?;
    let m = top
        .table_opt("model")?
        .ok_or_else(|| top.err("model", "is required"))?;
    let mut allowed = vec![
        "kind",
        "data",
        "gba",
        "n_per_area",
        "keep_indegree",
        "pulse",
    ];
    allowed.extend_from_slice(JOG_SPIKING_F64_KEYS);
    check_keys(m.table(), "model", &allowed)?;
    let gba = if strong(&m, "gba")? {
        large_scale::Gba::Strong
    } else {
        large_scale::Gba::Weak
    };
    let mut p = joglekar_spiking::JoglekarSpikingParams::asynchronous(gba);
    for &key in JOG_SPIKING_F64_KEYS {
        if let Some(v) = m.f64_opt(key)? {
            let slot = match key {
                "p_local" => &mut p.p_local,
                "p_long" => &mut p.p_long,
                "omega_ee" => &mut p.omega_ee,
                "omega_ie" => &mut p.omega_ie,
                "omega_ei" => &mut p.omega_ei,
                "omega_ii" => &mut p.omega_ii,
                "mu_ee" => &mut p.mu_ee,
                "mu_ie" => &mut p.mu_ie,
                "alpha" => &mut p.alpha,
                "mu_e" => &mut p.mu_e,
                "mu_i" => &mut p.mu_i,
                "sigma" => &mut p.sigma,
                "v_rest" => &mut p.v_rest,
                "v_reset" => &mut p.v_reset,
                "v_th" => &mut p.v_th,
                "tau_e" => &mut p.tau_e,
                "tau_i" => &mut p.tau_i,
                "t_ref" => &mut p.t_ref,
                "delay_local" => &mut p.delay_local,
                "speed" => &mut p.speed,
                "delay_jitter" => &mut p.delay_jitter,
                _ => &mut p.rate_bin,
            };
            *slot = v;
        }
    }
    if let Some(n) = m.u64_opt("n_per_area")? {
        p.n_per_area = u32::try_from(n)
            .map_err(|_| SpecError::new("model.n_per_area", format!("too large: {n}")))?;
    }
    p.keep_indegree = m.bool_or("keep_indegree", p.keep_indegree)?;
    p.pulse = match m.get("pulse") {
        None | Some(Value::Boolean(false)) => None,
        Some(Value::Boolean(true)) => Some(joglekar_spiking::Pulse::default()),
        Some(Value::Table(t)) => {
            let path = "model.pulse";
            check_keys(t, path, &["area", "start", "duration", "amplitude"])?;
            let o = Obj::new(path, t);
            let d = joglekar_spiking::Pulse::default();
            let pulse = joglekar_spiking::Pulse {
                area: o.str_opt("area")?.unwrap_or(&d.area).to_string(),
                start_ms: o.f64_or("start", d.start_ms)?,
                duration_ms: o.f64_or("duration", d.duration_ms)?,
                amplitude_mv: o.f64_or("amplitude", d.amplitude_mv)?,
            };
            if pulse.start_ms < 0.0 || pulse.duration_ms < 0.0 {
                return Err(SpecError::new(path, "start and duration must be >= 0 ms"));
            }
            Some(pulse)
        }
        Some(_) => {
            return Err(SpecError::new(
                "model.pulse",
                "must be true, false or a table { area, start, duration, amplitude }",
            ));
        }
    };
    if let Some(s) = top.table_opt("simulation")? {
        check_keys(
            s.table(),
            "simulation",
            &["dt", "t_stop", "seed", "threads"],
        )?;
        p.dt = s.f64_or("dt", p.dt)?;
        p.t_stop = s.f64_or("t_stop", p.t_stop)?;
        if let Some(seed) = s.u64_full_opt("seed")? {
            p.seed = seed;
        }
        if let Some(th) = s.u64_opt("threads")? {
            p.threads = th as usize;
        }
    }
    let data = load_macaque_data(&m, data_dir)?;
    joglekar_spiking::build(&p, &data).map(Some)
}

/// A `schmidt2018_mam` generator file ([`schmidt2018`]):
///
/// ```toml
/// [model]
/// kind = "schmidt2018_mam"
/// state = "ground"          # ground (chi = chi_i = 1) | metastable (chi = 1.9, chi_i = 2)
/// chi = 1.9                 # overrides the state's chi (and chi_i)
/// rounding = "round"        # round | truncate (the original code's N_scaling)
/// procedural_above = 0      # projections with more synapses are procedural
/// delay_max_sd = 5.0        # delays redrawn above mean + delay_max_sd sd
///
/// [simulation]
/// scale = 0.01              # neuron numbers × scale, in-degrees kept
/// dt = 0.1
/// t_stop = 1000.0
/// seed = 1
/// threads = 0
/// partition_size = 2048     # optional
/// rate_bin = 0.0            # population-rate bins (ms, 0 = off)
/// ```
fn load_schmidt2018(
    doc: &Table,
    data_dir: Option<&Path>,
) -> Result<cortexsim_spec::Network, SpecError> {
    check_keys(doc, "", &["model", "simulation", "description"])?;
    let top = Obj::new("", doc);
    top.str_opt("description")?;
    let m = top
        .table_opt("model")?
        .ok_or_else(|| top.err("model", "is required"))?;
    check_keys(
        m.table(),
        "model",
        &[
            "kind",
            "data",
            "state",
            "chi",
            "chi_i",
            "rounding",
            "procedural_above",
            "delay_max_sd",
            "rate_ext",
        ],
    )?;
    if let Some(set) = m.str_opt("data")?
        && set != schmidt2018::SCHMIDT2018
    {
        return Err(SpecError::new(
            "model.data",
            format!(
                "unknown data set `{set}` (this model uses `{}`)",
                schmidt2018::SCHMIDT2018
            ),
        ));
    }
    let mut p = match m.choice("state", &["ground", "metastable"], Some("ground"))? {
        "metastable" => schmidt2018::MamParams::metastable(),
        _ => schmidt2018::MamParams::ground(),
    };
    p.chi = m.f64_or("chi", p.chi)?;
    p.chi_i = m.f64_or("chi_i", p.chi_i)?;
    p.delay_max_sd = m.f64_or("delay_max_sd", p.delay_max_sd)?;
    p.rate_ext = m.f64_or("rate_ext", p.rate_ext)?;
    p.rounding = match m.choice("rounding", &["round", "truncate"], Some("round"))? {
        "truncate" => schmidt2018::Rounding::Truncate,
        _ => schmidt2018::Rounding::Round,
    };
    if let Some(n) = m.u64_opt("procedural_above")? {
        p.procedural_above = n;
    }
    if let Some(s) = top.table_opt("simulation")? {
        check_keys(
            s.table(),
            "simulation",
            &[
                "dt",
                "t_stop",
                "seed",
                "threads",
                "scale",
                "partition_size",
                "rate_bin",
            ],
        )?;
        p.dt = s.f64_or("dt", p.dt)?;
        p.t_stop = s.f64_or("t_stop", p.t_stop)?;
        p.scale = s.f64_or("scale", p.scale)?;
        p.rate_bin = s.f64_or("rate_bin", p.rate_bin)?;
        if let Some(seed) = s.u64_full_opt("seed")? {
            p.seed = seed;
        }
        if let Some(th) = s.u64_opt("threads")? {
            p.threads = th as usize;
        }
        p.partition_size = s.u64_opt("partition_size")?;
    }
    let data = schmidt2018::MamData::load_from(data_dir)?;
    schmidt2018::build(&p, &data)
}

/// The 29-area data named by `model.data` (only `markov2014-29areas`), from `--data` /
/// `CORTEXSIM_DATA`; used by every generator built on it.
fn load_macaque_data(m: &Obj, data_dir: Option<&Path>) -> Result<markov::MacaqueData, SpecError> {
    let set = m.str_opt("data")?.unwrap_or(markov::MARKOV2014);
    if set != markov::MARKOV2014 {
        return Err(SpecError::new(
            "model.data",
            format!(
                "unknown data set `{set}` (this model uses `{}`)",
                markov::MARKOV2014
            ),
        ));
    }
    markov::load_markov2014(data_dir)
}

/// `kinetics = { kind = "leaky" }` or `{ kind = "gating", gamma = 1.282, saturating = true }`
/// (`saturating` defaults to true).
fn parse_kinetics(o: &Obj) -> Result<Kinetics, SpecError> {
    let t = o.table();
    let path = o.path.as_str();
    match o.str_req("kind")? {
        "leaky" => {
            check_keys(t, path, &["kind"])?;
            Ok(Kinetics::Leaky)
        }
        "gating" => {
            check_keys(t, path, &["kind", "gamma", "saturating"])?;
            let gamma = o.f64_req("gamma")?;
            let saturating = o.bool_or("saturating", true)?;
            Ok(Kinetics::Gating { gamma, saturating })
        }
        other => Err(o.err(
            "kind",
            format!(
                "unknown kinetics `{other}`{}",
                hint(other, &["leaky", "gating"])
            ),
        )),
    }
}

fn hand_written(top: &Obj) -> Result<RateNetwork, SpecError> {
    let pops_v = top.array_opt("rate_populations")?.ok_or_else(|| {
        top.err(
            "rate_populations",
            "must be an array of tables [[rate_populations]]",
        )
    })?;
    let mut pops = Vec::with_capacity(pops_v.len());
    let mut bias = Vec::with_capacity(pops_v.len());
    let mut kinetics = Vec::with_capacity(pops_v.len());
    for (k, v) in pops_v.iter().enumerate() {
        let path = format!("rate_populations[{k}]");
        let t = entry(v, &path)?;
        check_keys(
            t,
            &path,
            &[
                "name",
                "tau",
                "transfer",
                "r0",
                "bias",
                "lower_clamp",
                "kinetics",
            ],
        )?;
        let o = Obj::new(path.as_str(), t);
        let name = o.str_req("name")?.to_string();
        // Names are CSV column headers of `run --out` and pattern targets.
        if name.is_empty()
            || name.len() > 255
            || name.contains([',', '"', '*'])
            || name.chars().any(char::is_control)
        {
            return Err(o.err(
                "name",
                format!(
                    "invalid rate population name {}: 1 to 255 characters, no `,`, `\"`, `*` or control characters (names are CSV column headers)",
                    cortexsim_core::reader::short_str(&name)
                ),
            ));
        }
        let tau_ms = o.f64_req("tau")?;
        let tr_path = o.key_path("transfer");
        let tr = o
            .get("transfer")
            .ok_or_else(|| SpecError::new(&tr_path, "missing (e.g. { kind = \"relu\" })"))?;
        let tr_obj = o
            .table_opt("transfer")?
            .ok_or_else(|| SpecError::new(&tr_path, "must be a table"))?;
        let tr_tab = tr_obj.table();
        let kind = tr_obj.str_req("kind")?;
        let params: &[&str] = match kind {
            "threshold_linear" => &["gain", "threshold"],
            "abbott_chance" => &["a", "b", "d"],
            "sigmoid" => &["max_rate", "gain", "threshold"],
            "tanh" | "relu" | "linear" => &[],
            other => {
                return Err(SpecError::new(
                    format!("{tr_path}.kind"),
                    format!(
                        "unknown transfer `{other}`{}",
                        hint(
                            other,
                            &[
                                "threshold_linear",
                                "abbott_chance",
                                "sigmoid",
                                "tanh",
                                "relu",
                                "linear"
                            ]
                        )
                    ),
                ));
            }
        };
        let mut allowed = vec!["kind"];
        allowed.extend_from_slice(params);
        check_keys(tr_tab, &tr_path, &allowed)?;
        for p in params {
            tr_obj.f64_req(p)?;
        }
        let transfer: Transfer = tr
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| SpecError::new(&tr_path, e.message().to_string()))?;
        pops.push(RatePop {
            name,
            tau_ms,
            transfer,
            lower_clamp_hz: o.f64_opt("lower_clamp")?,
            r0_hz: o.f64_or("r0", 0.0)?,
        });
        bias.push(o.f64_or("bias", 0.0)?);
        kinetics.push(match o.table_opt("kinetics")? {
            None => Kinetics::Leaky,
            Some(k) => parse_kinetics(&k)?,
        });
    }
    let mut net = RateNetwork::new(pops);
    net.bias = bias;
    if kinetics.iter().any(|k| *k != Kinetics::Leaky) {
        net.kinetics = Some(kinetics);
    }
    net.validate()?;
    let names: Vec<&str> = net.pops.iter().map(|p| p.name.as_str()).collect();
    let lookup = |name: &str, path: String| {
        names.iter().position(|&p| p == name).ok_or_else(|| {
            SpecError::new(
                path,
                format!("no population `{name}`{}", hint(name, &names)),
            )
        })
    };
    let mut seen = vec![false; net.n() * net.n()];
    let mut weights = Vec::new();
    if let Some(arr) = top.array_opt("rate_projections")? {
        for (k, v) in arr.iter().enumerate() {
            let path = format!("rate_projections[{k}]");
            let t = entry(v, &path)?;
            check_keys(t, &path, &["source", "target", "weight"])?;
            let o = Obj::new(path.as_str(), t);
            let s = lookup(o.str_req("source")?, o.key_path("source"))?;
            let tg = lookup(o.str_req("target")?, o.key_path("target"))?;
            let w = o.f64_req("weight")?;
            if std::mem::replace(&mut seen[tg * names.len() + s], true) {
                return Err(SpecError::new(
                    path,
                    format!("second projection {} -> {}", names[s], names[tg]),
                ));
            }
            weights.push((tg, s, w));
        }
    }
    for (tg, s, w) in weights {
        net.set_weight(tg, s, w);
    }
    Ok(net)
}

fn parse_sim(o: &Obj) -> Result<RateSim, SpecError> {
    check_keys(
        o.table(),
        "simulation",
        &["dt", "t_stop", "seed", "method", "record_every"],
    )?;
    let method = match o.str_opt("method")?.unwrap_or("euler") {
        "euler" => Method::Euler,
        "exponential" => Method::Exponential,
        other => {
            return Err(SpecError::new(
                "simulation.method",
                format!("`{other}`: expected \"euler\" or \"exponential\""),
            ));
        }
    };
    let sim = RateSim {
        dt_ms: o.f64_req("dt")?,
        t_stop_ms: o.f64_req("t_stop")?,
        seed: o.u64_full_opt("seed")?.unwrap_or(0),
        method,
        record_every: o.u64_opt("record_every")?.unwrap_or(1) as usize,
    };
    // Same checks the integrator applies, reported at load time.
    if !(sim.dt_ms > 0.0 && sim.dt_ms.is_finite()) {
        return Err(SpecError::new(
            "simulation.dt",
            "must be a finite number > 0 ms",
        ));
    }
    if !(sim.t_stop_ms >= 0.0 && sim.t_stop_ms.is_finite()) {
        return Err(SpecError::new(
            "simulation.t_stop",
            "must be a finite number >= 0 ms",
        ));
    }
    if sim.record_every == 0 {
        return Err(SpecError::new("simulation.record_every", "must be >= 1"));
    }
    if sim.dt_ms < RunOpts::MIN_DT_MS {
        return Err(SpecError::new(
            "simulation.dt",
            format!(
                "time step {} ms is below the supported {} ms",
                cortexsim_core::fmt::num(sim.dt_ms),
                cortexsim_core::fmt::num(RunOpts::MIN_DT_MS)
            ),
        ));
    }
    Ok(sim)
}

/// Population indices selected by a `target` value: a name, a pattern with one `*`, or a
/// list of those; `path` names the key in errors (a pattern that matches nothing is an
/// error with the closest name).
pub fn select_targets(net: &RateNetwork, v: &Value, path: &str) -> Result<Vec<usize>, SpecError> {
    let pats: Vec<&str> = match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .ok_or_else(|| SpecError::new(path, "list entries must be strings"))
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(SpecError::new(
                path,
                "must be a name, a pattern or a list of them",
            ));
        }
    };
    let names: Vec<&str> = net.pops.iter().map(|p| p.name.as_str()).collect();
    let mut sel = Vec::new();
    for pat in pats {
        let hits: Vec<usize> = match pat.split_once('*') {
            Some((pre, post)) if !post.contains('*') => names
                .iter()
                .enumerate()
                .filter(|(_, n)| {
                    n.len() >= pre.len() + post.len() && n.starts_with(pre) && n.ends_with(post)
                })
                .map(|(i, _)| i)
                .collect(),
            Some(_) => return Err(SpecError::new(path, format!("`{pat}`: at most one `*`"))),
            None => names.iter().position(|&n| n == pat).into_iter().collect(),
        };
        if hits.is_empty() {
            return Err(SpecError::new(
                path,
                format!("`{pat}` matches no population{}", hint(pat, &names)),
            ));
        }
        for h in hits {
            if !sel.contains(&h) {
                sel.push(h);
            }
        }
    }
    Ok(sel)
}

fn apply_stimuli(net: &mut RateNetwork, arr: &[Value]) -> Result<(), SpecError> {
    let n = net.n();
    for (k, v) in arr.iter().enumerate() {
        let path = format!("stimuli[{k}]");
        let t = entry(v, &path)?;
        let o = Obj::new(path.as_str(), t);
        let kind = o.str_req("kind")?;
        let target_path = o.key_path("target");
        let target = || -> Result<Vec<usize>, SpecError> {
            let tv = o.get("target").ok_or_else(|| o.err("target", "missing"))?;
            select_targets(net, tv, &target_path)
        };
        match kind {
            "pulse" | "step" => {
                let allowed: &[&str] = if kind == "pulse" {
                    &["kind", "name", "target", "start", "stop", "amplitude"]
                } else {
                    &["kind", "name", "target", "start", "amplitude"]
                };
                check_keys(t, &path, allowed)?;
                o.str_opt("name")?;
                let sel = target()?;
                let start_ms = o.f64_req("start")?;
                let stop_ms = if kind == "pulse" {
                    o.f64_req("stop")?
                } else {
                    f64::INFINITY
                };
                if stop_ms < start_ms {
                    return Err(SpecError::new(
                        format!("{path}.stop"),
                        format!("stop ({stop_ms}) is before start ({start_ms})"),
                    ));
                }
                let amp = o.f64_req("amplitude")?;
                let mut amplitude = vec![0.0; n];
                for i in sel {
                    amplitude[i] = amp;
                }
                net.schedules.push(Epoch {
                    start_ms,
                    stop_ms,
                    amplitude,
                });
            }
            "noise" => {
                check_keys(
                    t,
                    &path,
                    &["kind", "name", "target", "sigma", "tau", "mean"],
                )?;
                o.str_opt("name")?;
                let sel = target()?;
                let sigma = o.f64_req("sigma")?;
                if sigma < 0.0 {
                    return Err(SpecError::new(format!("{path}.sigma"), "must be >= 0"));
                }
                let tau = o.f64_req("tau")?;
                if tau <= 0.0 {
                    return Err(SpecError::new(format!("{path}.tau"), "must be > 0 ms"));
                }
                let mean = o.f64_or("mean", 0.0)?;
                let ou = net.noise.get_or_insert_with(|| OuNoise {
                    tau_ms: tau,
                    sigma: vec![0.0; n],
                });
                if ou.tau_ms != tau {
                    return Err(SpecError::new(
                        format!("{path}.tau"),
                        format!(
                            "all noise stimuli share one correlation time; an earlier one has {} ms",
                            ou.tau_ms
                        ),
                    ));
                }
                for i in sel {
                    // Independent sources add in variance.
                    ou.sigma[i] = ou.sigma[i].hypot(sigma);
                    net.bias[i] += mean;
                }
            }
            other => {
                return Err(SpecError::new(
                    format!("{path}.kind"),
                    format!(
                        "unknown stimulus `{other}`{}",
                        hint(other, &["pulse", "step", "noise"])
                    ),
                ));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reading helpers (values are read through `cortexsim_core::reader`)
// ---------------------------------------------------------------------------------------

/// An array entry that must be a table; `path` names it (`stimuli[3]`).
fn entry<'a>(v: &'a Value, path: &str) -> Result<&'a Table, SpecError> {
    v.as_table().ok_or_else(|| {
        SpecError::new(
            path,
            format!(
                "expected a table, found {}",
                cortexsim_core::reader::describe(v)
            ),
        )
    })
}

/// `key` of the model table: "weak" (default) or "strong"; true for "strong".
fn strong(m: &Obj, key: &str) -> Result<bool, SpecError> {
    match m.str_opt(key)?.unwrap_or("weak") {
        "weak" => Ok(false),
        "strong" => Ok(true),
        other => Err(m.err(key, format!("`{other}`: expected \"weak\" or \"strong\""))),
    }
}
