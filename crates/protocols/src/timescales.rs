//! Intrinsic timescales of a rate model (`cortexsim timescales`): the autocorrelation
//! timescale of every population, and how it grows along the hierarchy (Spearman rank
//! correlation) for data-driven models.
//!
//! Two methods ([`Method`]): `impulse`, the exact autocorrelation from the impulse
//! response to white noise entering one population (deterministic, linear regime;
//! [`cortexsim_theory::rate::analysis::impulse_timescales`]); `noise`, the
//! autocorrelation of the file's own noise-driven run
//! ([`cortexsim_theory::rate::analysis::timescales`]).

use crate::error::ProtocolError;
use cortexsim_models::RateNetworkFile;
use cortexsim_theory::rate::{self, analysis};
use serde_json::{Map, Value as Json, json};
use std::time::Instant;

/// How the autocorrelation is obtained.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// White noise into `source` (default: `V1.E` for data-driven models, else the
    /// first population); the impulse response is recorded for `t_max_ms` (> 0).
    Impulse {
        source: Option<String>,
        t_max_ms: f64,
    },
    /// The file's own noise stimulus; the first `discard_ms` are a transient.
    Noise { discard_ms: f64 },
}

impl Method {
    /// `impulse` or `noise`.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Impulse { .. } => "impulse",
            Method::Noise { .. } => "noise",
        }
    }
}

/// Timescales of the analysed populations.
#[derive(Debug, Clone)]
pub struct Timescales {
    pub method: &'static str,
    /// The population the impulse method drove.
    pub source: Option<String>,
    /// Analysed populations: E populations by hierarchy for data-driven models, else all.
    pub order: Vec<String>,
    /// (population, tau in ms), in `order`.
    pub taus: Vec<(String, f64)>,
    /// (area, normalised hierarchy) of data-driven models.
    pub hierarchy: Option<Vec<(String, f64)>>,
    /// Spearman rank correlation of tau with the hierarchy (data-driven models).
    pub spearman_vs_hierarchy: Option<f64>,
    /// Wall time of the analysis (s).
    pub elapsed_s: f64,
}

/// The timescales of every population of `f` by `method`.
pub fn timescales(f: &RateNetworkFile, method: &Method) -> Result<Timescales, ProtocolError> {
    let order: Vec<String> = match f.e_pops_by_hierarchy() {
        Some(v) => v,
        None => f.net.pops.iter().map(|p| p.name.clone()).collect(),
    };
    let refs: Vec<&str> = order.iter().map(String::as_str).collect();
    let t0 = Instant::now();
    let (taus, source) = match method {
        Method::Impulse { source, t_max_ms } => {
            let source = match source {
                Some(s) => s.clone(),
                None if f.hierarchy.is_some() => "V1.E".to_string(),
                None => f.net.pops[0].name.clone(),
            };
            if f.net.index_of(&source).is_none() {
                return Err(ProtocolError::UnknownPopulation {
                    option: "--source",
                    name: source,
                });
            }
            let opts = analysis::ImpulseOpts {
                dt_ms: f.sim.dt_ms,
                t_max_ms: *t_max_ms,
                sample_ms: f.sim.dt_ms.max(1.0),
                ..Default::default()
            };
            let taus = analysis::impulse_timescales(&f.net, &source, &refs, &opts)?;
            (taus, Some(source))
        }
        Method::Noise { discard_ms } => {
            if f.net.noise.is_none() {
                return Err(ProtocolError::Invalid(
                    "--method noise: the file has no noise stimulus ([[stimuli]] kind = \"noise\")"
                        .into(),
                ));
            }
            let run = rate::run(&f.net, &f.sim.run_opts())?;
            (analysis::timescales(&run, &refs, *discard_ms)?, None)
        }
    };
    let elapsed_s = t0.elapsed().as_secs_f64();
    let mut ts = Timescales {
        method: method.name(),
        source,
        order,
        taus,
        hierarchy: f.hierarchy.clone(),
        spearman_vs_hierarchy: None,
        elapsed_s,
    };
    ts.spearman_vs_hierarchy = ts.hierarchy.as_ref().map(|_| {
        let (hs, taus): (Vec<f64>, Vec<f64>) = ts
            .taus
            .iter()
            .filter(|(_, t)| t.is_finite())
            .filter_map(|(n, t)| ts.hierarchy_of(n).map(|h| (h, *t)))
            .unzip();
        analysis::spearman(&hs, &taus)
    });
    Ok(ts)
}

impl Timescales {
    /// Hierarchy of the area of population `name` (`<area>.<pop>`), if known.
    pub fn hierarchy_of(&self, name: &str) -> Option<f64> {
        let h = self.hierarchy.as_ref()?;
        let area = name.rsplit_once('.').map_or(name, |(a, _)| a);
        h.iter().find(|(x, _)| x == area).map(|x| x.1)
    }

    /// The x axis of the timescale plot: the hierarchy, else the population's position.
    pub fn plot_axis(&self) -> Vec<(String, f64)> {
        match &self.hierarchy {
            Some(h) => h.clone(),
            None => self
                .order
                .iter()
                .enumerate()
                .map(|(k, n)| (n.clone(), k as f64))
                .collect(),
        }
    }

    /// The result as one JSON object (`cortexsim timescales --json`, less its `plot` key).
    pub fn to_json(&self, network: &str) -> Json {
        let mut m = Map::new();
        for (n, t) in &self.taus {
            m.insert(
                n.clone(),
                json!({"tau_ms": t, "hierarchy": self.hierarchy_of(n)}),
            );
        }
        json!({
            "kind": "timescales",
            "network": network,
            "method": self.method,
            "source": self.source,
            "order": self.order,
            "populations": m,
            "spearman_vs_hierarchy": self.spearman_vs_hierarchy,
            "timings_s": {"analysis": self.elapsed_s},
        })
    }
}
