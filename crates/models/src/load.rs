//! The one loader of the project: reads a network file (or a built-in network by name),
//! applies the `--set` overrides to its table and decides what it is.
//!
//! * a **spiking network** (`[[populations]]`, validated by [`cortexsim_spec::Network`]);
//! * a **spiking generator** (`[model] kind` in [`crate::SPIKING_KINDS`], e.g.
//!   `joglekar2018_spiking`): generated from its data into a spiking network;
//! * a **rate file** (`[model]` of another kind, or `[[rate_populations]]`): a
//!   [`RateNetworkFile`] for the rate integrator.
//!
//! The CLI, the protocols and the Python package all load through [`load`], so a file
//! means the same thing everywhere.

use crate::{
    RateNetworkFile, builtin, is_spiking_generator, load_rate_file, load_spiking_generator,
};
use cortexsim_core::error::SpecError;
use cortexsim_spec::{Network, overrides, parse_toml};
use std::path::{Path, PathBuf};
use toml::Table;

/// What a file describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Spiking,
    SpikingGenerator,
    Rate,
}

/// Classify a parsed file (before validation).
pub fn kind_of(doc: &Table) -> FileKind {
    if is_spiking_generator(doc) {
        FileKind::SpikingGenerator
    } else if doc.contains_key("model") || doc.contains_key("rate_populations") {
        FileKind::Rate
    } else {
        FileKind::Spiking
    }
}

/// A loaded file: a spiking network (from a network file or a generator) or a rate model.
#[derive(Debug, Clone)]
pub enum Loaded {
    Spiking(Box<Network>),
    Rate(Box<RateNetworkFile>),
}

/// Where a network file comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    /// A built-in network ([`builtin::NETWORKS`]) named by its stem.
    Builtin(String),
}

impl Origin {
    /// `name` as the user gave it: the file if it exists, else a built-in network of that
    /// name (`brunel2000` or `brunel2000.toml`), else the file (whose read then fails with
    /// its path and the list of built-in names).
    pub fn resolve(name: &Path) -> Origin {
        if name.exists() {
            return Origin::File(name.to_path_buf());
        }
        let s = name.to_string_lossy();
        if !s.contains(['/', '\\']) && builtin::network(&s).is_some() {
            return Origin::Builtin(s.strip_suffix(".toml").unwrap_or(&s).to_string());
        }
        Origin::File(name.to_path_buf())
    }

    /// The file's stem (for default output names).
    pub fn stem(&self) -> String {
        match self {
            Origin::File(p) => p
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_else(|| "network".into()),
            Origin::Builtin(n) => n.clone(),
        }
    }

    /// Display name for messages and summaries.
    pub fn display(&self) -> String {
        match self {
            Origin::File(p) => p.display().to_string(),
            Origin::Builtin(n) => format!("{n} (built-in)"),
        }
    }

    /// The parsed TOML table of the file.
    pub fn table(&self) -> Result<Table, SpecError> {
        match self {
            Origin::Builtin(n) => {
                let text = builtin::network(n)
                    .ok_or_else(|| SpecError::new(n.as_str(), "no such built-in network"))?;
                parse_toml(text, &self.display())
            }
            Origin::File(p) => {
                let origin = p.display().to_string();
                let text = std::fs::read_to_string(p).map_err(|e| {
                    let names: Vec<&str> = builtin::NETWORKS.iter().map(|(n, _)| *n).collect();
                    let msg = if p.exists() {
                        format!("cannot read the network file: {e}")
                    } else if p.components().count() == 1 {
                        format!(
                            "network file does not exist, and there is no built-in network of that name (built-in: {}){}",
                            names.join(", "),
                            cortexsim_core::reader::hint(&p.to_string_lossy(), &names)
                        )
                    } else {
                        "network file does not exist".to_string()
                    };
                    SpecError::new(&origin, msg)
                })?;
                parse_toml(&text, &origin)
            }
        }
    }
}

/// The parsed table of `origin` with the `--set` overrides `sets` applied.
pub fn overridden_table(origin: &Origin, sets: &[String]) -> Result<Table, SpecError> {
    let mut table = origin.table()?;
    overrides::apply_all(&mut table, sets)?;
    Ok(table)
}

/// Load `origin` with the `--set` overrides `sets` applied to its table; data-driven
/// models read `data` (else `$CORTEXSIM_DATA`, else the built-in data). A data directory
/// given for a network that reads no data is an error (it would be silently ignored).
pub fn load(origin: &Origin, sets: &[String], data: Option<&Path>) -> Result<Loaded, SpecError> {
    let table = overridden_table(origin, sets)?;
    if let Some(d) = data
        && kind_of(&table) == FileKind::Spiking
    {
        return Err(SpecError::new(
            origin.display(),
            format!(
                "a data directory ({}) applies to data-driven models only; this network reads no data",
                d.display()
            ),
        ));
    }
    load_table(&table, data)
}

/// [`load`] for a table that is already parsed and overridden. A `[trials]` table
/// ([`crate::task`]) is checked (its pools must exist) and is not part of the network.
pub fn load_table(table: &Table, data: Option<&Path>) -> Result<Loaded, SpecError> {
    if kind_of(table) == FileKind::Rate {
        // The rate reader checks `[trials]` itself (rate populations as pools).
        return load_rate_file(table, data)?
            .map(|f| Loaded::Rate(Box::new(f)))
            .ok_or_else(|| {
                SpecError::new("", "not a rate file (no [model] or [[rate_populations]])")
            });
    }
    let trials = crate::task::trials_spec(table)?;
    let stripped = crate::task::without_trials(table);
    let table = stripped.as_ref().unwrap_or(table);
    let loaded = load_spiking_table(table, data)?;
    if let (Some(t), Loaded::Spiking(net)) = (&trials, &loaded) {
        for (k, p) in t.pools.iter().enumerate() {
            if net.pop_index(p).is_none() {
                let names: Vec<&str> = net.populations.iter().map(|p| p.name.as_str()).collect();
                return Err(SpecError::new(
                    format!("trials.pools[{k}]"),
                    format!(
                        "no population `{p}`{}",
                        cortexsim_core::reader::hint(p, &names)
                    ),
                ));
            }
        }
    }
    Ok(loaded)
}

fn load_spiking_table(table: &Table, data: Option<&Path>) -> Result<Loaded, SpecError> {
    match kind_of(table) {
        FileKind::Spiking => Ok(Loaded::Spiking(Box::new(Network::from_table(table)?))),
        FileKind::SpikingGenerator => load_spiking_generator(table, data)?
            .map(|n| Loaded::Spiking(Box::new(n)))
            .ok_or_else(|| SpecError::new("model.kind", "not a spiking generator")),
        FileKind::Rate => load_rate_file(table, data)?
            .map(|f| Loaded::Rate(Box::new(f)))
            .ok_or_else(|| {
                SpecError::new("", "not a rate file (no [model] or [[rate_populations]])")
            }),
    }
}

/// `(area, normalised hierarchy)` of a data-driven spiking generator file (the data set it
/// is generated from: `data`, else `$CORTEXSIM_DATA`, else the built-in copy); `None` for
/// any other file. Rasters and pulse comparisons order areas by it.
pub fn spiking_hierarchy(
    table: &Table,
    data: Option<&Path>,
) -> Result<Option<Vec<(String, f64)>>, SpecError> {
    if kind_of(table) != FileKind::SpikingGenerator
        || table
            .get("model")
            .and_then(|m| m.get("kind"))
            .and_then(toml::Value::as_str)
            != Some("joglekar2018_spiking")
    {
        return Ok(None);
    }
    let d = crate::markov::load_markov2014(data)?;
    Ok(Some(d.areas.into_iter().zip(d.hier_norm).collect()))
}

impl Loaded {
    /// The spiking network; a rate model is an error naming `origin` and `command`.
    pub fn into_spiking(self, origin: &Origin, command: &str) -> Result<Network, SpecError> {
        match self {
            Loaded::Spiking(n) => Ok(*n),
            Loaded::Rate(_) => Err(SpecError::new(
                origin.display(),
                format!("this is a rate model; {command} needs a spiking network"),
            )),
        }
    }

    /// The rate model; a spiking network is an error naming `origin` and `command`.
    pub fn into_rate(self, origin: &Origin, command: &str) -> Result<RateNetworkFile, SpecError> {
        match self {
            Loaded::Rate(f) => Ok(*f),
            Loaded::Spiking(_) => Err(SpecError::new(
                origin.display(),
                format!(
                    "this is a spiking network; {command} needs a rate model (a file with [model] or [[rate_populations]])"
                ),
            )),
        }
    }
}
