//! The multi-area spiking model of macaque visual cortex of Schmidt et al. (2018, Brain
//! Struct Funct 223:1409; PLoS Comput Biol 14:e1006359): 32 areas, 254 populations of
//! `iaf_psc_exp` neurons, generated from the data set `schmidt2018-mam` (CC BY-NC-SA
//! 4.0: read from `--data` / `$CORTEXSIM_DATA`, never compiled in or shipped; its
//! PROVENANCE.md says how it was produced from INM-6/multi-area-model).
//!
//! What the generator makes, per the data set's rules:
//!
//! * one population `<area>_<pop>` (`V1_23E`, `TH_6I`, …) per row of `populations.csv`,
//!   `iaf_psc_exp` with C_m 250 pF, τ_m 10 ms, τ_syn 0.5 ms, t_ref 2 ms, E_L = V_reset =
//!   −65 mV, V_th −50 mV, initial V_m ~ N(−150, 50) mV unbounded;
//! * one `fixed_total_number` projection (autapses and multapses allowed) per row of
//!   `connections.csv` with at least one synapse at this scale; weights normal with the
//!   row's mean and sd, redrawn to keep their sign; delays normal with the row's mean and
//!   sd, redrawn below `dt` and above `mean + delay_max_sd · sd` (the data set has no upper
//!   bound; the default 5 sd drops 3·10⁻⁷ of the mass and bounds the ring buffers);
//! * one Poisson drive per population: `10 Hz × K_ext` (the data's total rate, `K_ext`
//!   not rounded) with weight J_ext = 87.8 pA.
//!
//! **States.** `state = "ground"` (default: χ = χ_I = 1) or `"metastable"` (χ = 1.9,
//! χ_I = 2); `chi` and `chi_i` override either. Only cortico-cortical weights change:
//! onto E populations the ground weight × χ, onto I populations × χ · χ_I.
//!
//! **Scale.** `[simulation] scale = s` multiplies neuron numbers and keeps in-degrees.
//! `model.rounding = "round"` (default): `N = max(1, round(s · N))` with `N` the full
//! model's created number (`populations.csv` column `N`), and `round(K · N_target)`
//! synapses per pair, halves to even as Python's `round` — at s = 0.01 41,292 neurons
//! and 2.41·10⁸ synapses, the numbers of NEST's 1 % benchmark. `"truncate"`: the original code's `N_scaling` with
//! `K_scaling = 1`, `N = max(1, int(s · N_float))` and `int(K · s · N_float)` synapses — at
//! s = 1 exactly NEST's 4,129,924 neurons and 24,126,516,728 synapses. No DC compensation
//! either way. Below full scale the small inhibitory populations make the rates depend
//! on s: compare simulators at the same s.
//!
//! **Storage.** A projection with more than `procedural_above` synapses (at this scale)
//! is procedural (`storage = "procedural"`: no memory per synapse, rows regenerated at
//! every spike); the others are stored. Default 0: all procedural.

use cortexsim_core::error::SpecError;
use cortexsim_spec::{Network, NetworkBuilder};
use std::path::Path;
use toml::{Table, Value};

/// Folder of the data set inside the data directory.
pub const SCHMIDT2018: &str = "schmidt2018-mam";

/// One population of the data set.
#[derive(Debug, Clone, PartialEq)]
pub struct MamPopulation {
    pub area: String,
    /// `23E`, `23I`, `4E`, …
    pub pop: String,
    /// Pipeline value (float) and the number NEST creates at full scale (`int`).
    pub n_float: f64,
    pub n: u64,
    /// External Poisson in-degree (rate 10 Hz each).
    pub k_ext: f64,
    /// Weight of the external input, pA.
    pub w_ext: f64,
}

impl MamPopulation {
    pub fn inhibitory(&self) -> bool {
        self.pop.ends_with('I')
    }
}

/// One connected pair (`connections.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct MamConnection {
    pub target: usize,
    pub source: usize,
    pub cortico_cortical: bool,
    /// In-degree K (float).
    pub indegree: f64,
    /// Ground-state weight mean and sd (pA), and the metastable ones of the data set.
    pub w_mean: f64,
    pub w_sd: f64,
    pub w_mean_metastable: f64,
    pub w_sd_metastable: f64,
    /// +1: weights redrawn into [0, ∞); −1: into (−∞, 0].
    pub w_sign: f64,
    pub delay_mean: f64,
    pub delay_sd: f64,
}

/// The data set (populations in `pop_index` order).
#[derive(Debug, Clone, PartialEq)]
pub struct MamData {
    pub populations: Vec<MamPopulation>,
    pub connections: Vec<MamConnection>,
}

/// One CSV row as (column, value) pairs.
type CsvRow = Vec<(String, String)>;

/// The file's path (for messages) and its rows (lines starting with `#` skipped).
fn read_csv(dir: &Path, name: &str) -> Result<(String, Vec<CsvRow>), SpecError> {
    let path = dir.join(name);
    let shown = path.display().to_string();
    let text = crate::markov::read_data_file(&path)?;
    let mut lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .ok_or_else(|| SpecError::new(&shown, "empty file"))?
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for (i, l) in lines.enumerate() {
        let cells: Vec<&str> = l.split(',').collect();
        if cells.len() != header.len() {
            return Err(SpecError::new(
                &shown,
                format!(
                    "row {}: {} fields, the header has {}",
                    i + 1,
                    cells.len(),
                    header.len()
                ),
            ));
        }
        rows.push(
            header
                .iter()
                .cloned()
                .zip(cells.iter().map(|c| c.trim().to_string()))
                .collect(),
        );
    }
    Ok((shown, rows))
}

/// A field of a row, parsed; errors name the file, row and column.
fn field<T: std::str::FromStr>(
    file: &str,
    row: usize,
    r: &[(String, String)],
    key: &str,
) -> Result<T, SpecError> {
    let v = r
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| SpecError::new(file, format!("no column `{key}`")))?;
    v.parse().map_err(|_| {
        SpecError::new(
            file,
            format!("row {}: column `{key}`: cannot read `{v}`", row + 1),
        )
    })
}

impl MamData {
    /// Load `populations.csv` and `connections.csv` from the data-set folder.
    pub fn load(dir: &Path) -> Result<MamData, SpecError> {
        let (pf, prow) = read_csv(dir, "populations.csv")?;
        let mut populations = Vec::with_capacity(prow.len());
        for (i, r) in prow.iter().enumerate() {
            let idx: usize = field(&pf, i, r, "pop_index")?;
            if idx != i {
                return Err(SpecError::new(
                    &pf,
                    format!("row {}: pop_index {idx}, expected {i}", i + 1),
                ));
            }
            let p = MamPopulation {
                area: field(&pf, i, r, "area")?,
                pop: field(&pf, i, r, "population")?,
                n_float: field(&pf, i, r, "N_float")?,
                n: field(&pf, i, r, "N")?,
                k_ext: field(&pf, i, r, "K_ext")?,
                w_ext: field(&pf, i, r, "w_ext_pA")?,
            };
            if !(p.n_float >= 1.0 && p.k_ext >= 0.0 && p.w_ext.is_finite()) {
                return Err(SpecError::new(
                    &pf,
                    format!("row {}: N_float, K_ext or w_ext_pA out of range", i + 1),
                ));
            }
            populations.push(p);
        }
        let (cf, crow) = read_csv(dir, "connections.csv")?;
        let mut connections = Vec::with_capacity(crow.len());
        for (i, r) in crow.iter().enumerate() {
            let c = MamConnection {
                target: field(&cf, i, r, "target_index")?,
                source: field(&cf, i, r, "source_index")?,
                cortico_cortical: field::<u8>(&cf, i, r, "cortico_cortical")? == 1,
                indegree: field(&cf, i, r, "indegree_K")?,
                w_mean: field(&cf, i, r, "w_mean_ground_pA")?,
                w_sd: field(&cf, i, r, "w_sd_ground_pA")?,
                w_mean_metastable: field(&cf, i, r, "w_mean_metastable_pA")?,
                w_sd_metastable: field(&cf, i, r, "w_sd_metastable_pA")?,
                w_sign: field(&cf, i, r, "w_sign")?,
                delay_mean: field(&cf, i, r, "delay_mean_ms")?,
                delay_sd: field(&cf, i, r, "delay_sd_ms")?,
            };
            let n = populations.len();
            if c.target >= n || c.source >= n {
                return Err(SpecError::new(
                    &cf,
                    format!("row {}: population index out of range", i + 1),
                ));
            }
            if !(c.indegree >= 0.0 && c.delay_mean > 0.0 && c.delay_sd >= 0.0 && c.w_sd >= 0.0) {
                return Err(SpecError::new(
                    &cf,
                    format!("row {}: negative in-degree, delay or sd", i + 1),
                ));
            }
            connections.push(c);
        }
        Ok(MamData {
            populations,
            connections,
        })
    }

    /// From the data directory (`--data`, else `$CORTEXSIM_DATA`); there is no built-in
    /// copy (the licence does not allow shipping it).
    pub fn load_from(data_dir: Option<&Path>) -> Result<MamData, SpecError> {
        let dir = crate::markov::data_dir(data_dir).ok_or_else(|| {
            SpecError::new(
                "model.data",
                format!(
                    "the `{SCHMIDT2018}` data set is not built in (CC BY-NC-SA 4.0): pass --data DIR or set CORTEXSIM_DATA to a directory holding {SCHMIDT2018}/"
                ),
            )
        })?;
        let set = dir.join(SCHMIDT2018);
        if !set.is_dir() {
            return Err(SpecError::new(
                "model.data",
                format!(
                    "no `{SCHMIDT2018}` folder in the data directory {}",
                    dir.display()
                ),
            ));
        }
        MamData::load(&set)
    }
}

/// How neuron and synapse numbers are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// `max(1, round(s N))`, `round(K N_target)`.
    Round,
    /// `max(1, int(s N_float))`, `int(K s N_float)` (the original code's `N_scaling`).
    Truncate,
}

/// Parameters of the generator (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct MamParams {
    pub chi: f64,
    pub chi_i: f64,
    pub scale: f64,
    pub rounding: Rounding,
    /// Projections with more synapses than this are procedural.
    pub procedural_above: u64,
    pub delay_max_sd: f64,
    /// External rate per Poisson input, Hz.
    pub rate_ext: f64,
    pub dt: f64,
    pub t_stop: f64,
    pub seed: u64,
    pub threads: usize,
    pub partition_size: Option<u64>,
    pub rate_bin: f64,
}

impl MamParams {
    /// The ground state (χ = χ_I = 1), full scale.
    pub fn ground() -> Self {
        MamParams {
            chi: 1.0,
            chi_i: 1.0,
            scale: 1.0,
            rounding: Rounding::Round,
            procedural_above: 0,
            delay_max_sd: 5.0,
            rate_ext: 10.0,
            dt: 0.1,
            t_stop: 1000.0,
            seed: 1,
            threads: 0,
            partition_size: None,
            rate_bin: 0.0,
        }
    }

    /// The metastable state (χ = 1.9, χ_I = 2).
    pub fn metastable() -> Self {
        MamParams {
            chi: 1.9,
            chi_i: 2.0,
            ..Self::ground()
        }
    }

    /// Neurons of a population at this scale.
    pub fn neurons(&self, p: &MamPopulation) -> u64 {
        match self.rounding {
            Rounding::Round => ((self.scale * p.n as f64).round_ties_even() as u64).max(1),
            Rounding::Truncate => ((self.scale * p.n_float) as u64).max(1),
        }
    }

    /// Synapses of a pair at this scale.
    pub fn synapses(&self, c: &MamConnection, target: &MamPopulation) -> u64 {
        match self.rounding {
            Rounding::Round => (c.indegree * self.neurons(target) as f64).round_ties_even() as u64,
            Rounding::Truncate => (c.indegree * self.scale * target.n_float) as u64,
        }
    }

    /// Weight mean and sd of a pair in this state.
    pub fn weight(&self, c: &MamConnection, target: &MamPopulation) -> (f64, f64) {
        if !c.cortico_cortical {
            return (c.w_mean, c.w_sd);
        }
        let f = if target.inhibitory() {
            self.chi * self.chi_i
        } else {
            self.chi
        };
        (c.w_mean * f, c.w_sd * f)
    }

    fn check(&self) -> Result<(), SpecError> {
        for (k, v) in [
            ("model.chi", self.chi),
            ("model.chi_i", self.chi_i),
            ("simulation.scale", self.scale),
            ("model.delay_max_sd", self.delay_max_sd),
            ("model.rate_ext", self.rate_ext),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(SpecError::new(k, format!("must be > 0, got {v}")));
            }
        }
        if self.scale > 1.0 {
            return Err(SpecError::new(
                "simulation.scale",
                format!("at most 1 (the full model), got {}", self.scale),
            ));
        }
        Ok(())
    }
}

/// The population name of a data-set population.
pub fn pop_name(p: &MamPopulation) -> String {
    format!("{}_{}", crate::joglekar_spiking::safe_area(&p.area), p.pop)
}

fn dist(kv: &[(&str, f64)], kind: &str) -> Value {
    let mut t = Table::new();
    t.insert("distribution".into(), kind.into());
    for (k, v) in kv {
        t.insert((*k).into(), (*v).into());
    }
    Value::Table(t)
}

/// The validated network (see the module docs).
pub fn build(p: &MamParams, data: &MamData) -> Result<Network, SpecError> {
    p.check()?;
    let mut sim: Vec<(&str, Value)> = vec![
        ("dt", p.dt.into()),
        ("t_stop", p.t_stop.into()),
        (
            "seed",
            i64::try_from(p.seed).map_or_else(|_| p.seed.to_string().into(), Value::from),
        ),
        ("threads", (p.threads as i64).into()),
    ];
    if let Some(ps) = p.partition_size {
        sim.push(("partition_size", (ps as i64).into()));
    }
    let mut b = NetworkBuilder::new()
        .simulation(&sim)
        .recorders(&[("rate_bin", p.rate_bin.into())]);
    let neuron = [
        ("C_m", 250.0),
        ("tau_m", 10.0),
        ("tau_syn_ex", 0.5),
        ("tau_syn_in", 0.5),
        ("t_ref", 2.0),
        ("E_L", -65.0),
        ("V_th", -50.0),
        ("V_reset", -65.0),
        ("I_e", 0.0),
    ];
    let names: Vec<String> = data.populations.iter().map(pop_name).collect();
    let v0 = dist(&[("mean", -150.0), ("std", 50.0)], "normal");
    for (pop, name) in data.populations.iter().zip(&names) {
        let n = p.neurons(pop);
        let n = u32::try_from(n)
            .map_err(|_| SpecError::new("simulation.scale", format!("{name}: {n} neurons")))?;
        b = b
            .population(name, n, "iaf_psc_exp", &neuron)
            .v_init(name, v0.clone())
            .stimulus(
                "poisson",
                name,
                &[
                    ("rate", (p.rate_ext * pop.k_ext).into()),
                    ("indegree", 1.into()),
                    ("weight", pop.w_ext.into()),
                ],
            );
    }
    for c in &data.connections {
        let tgt = &data.populations[c.target];
        let n = p.synapses(c, tgt);
        if n == 0 {
            continue;
        }
        let (wm, wsd) = p.weight(c, tgt);
        let bound = if c.w_sign < 0.0 { "max" } else { "min" };
        let weight = dist(&[("mean", wm), ("std", wsd), (bound, 0.0)], "normal");
        let delay = dist(
            &[
                ("mean", c.delay_mean),
                ("std", c.delay_sd),
                ("min", p.dt),
                ("max", c.delay_mean + p.delay_max_sd * c.delay_sd),
            ],
            "normal",
        );
        let storage = if n > p.procedural_above {
            "procedural"
        } else {
            "stored"
        };
        b = b.projection(
            &names[c.source],
            &names[c.target],
            "fixed_total_number",
            &[
                ("n", (n as i64).into()),
                ("weight", weight),
                ("delay", delay),
                ("storage", storage.into()),
            ],
        );
    }
    b.build()
}
