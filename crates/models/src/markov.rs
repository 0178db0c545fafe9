//! The 29-area macaque data set of Markov et al. 2014 as used by Chaudhuri et al. 2015 and
//! Joglekar et al. 2018 (`markov2014-29areas/`: FLN, SLN, wiring distance, hierarchy).
//!
//! Files are CSV with optional leading `#` comment lines. Matrices are `[target, source]`
//! with a header row `target\source,<area>,...` and one row per target area starting with
//! its name; the area order is taken from `hierarchy_29.csv` (`index,area,hier_raw,hier_norm`)
//! and every matrix header and row label must repeat it exactly.

use cortexsim_core::error::SpecError;
use std::path::{Path, PathBuf};

/// Name of the data set folder inside the data directory.
pub const MARKOV2014: &str = "markov2014-29areas";

/// The text of a data-set file; the error names its path (every data-set loader reads
/// through this).
pub fn read_data_file(path: &Path) -> Result<String, SpecError> {
    std::fs::read_to_string(path).map_err(|e| {
        SpecError::new(
            path.display().to_string(),
            format!("cannot read data file: {e}"),
        )
    })
}

/// The loaded data set; all matrices row-major `[target * n + source]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MacaqueData {
    /// Area names in matrix order (from the CSV files).
    pub areas: Vec<String>,
    /// Fraction of labelled neurons, `[target, source]`, diagonal 0.
    pub fln: Vec<f64>,
    /// Fraction of supragranular labelled neurons, `[target, source]`.
    pub sln: Vec<f64>,
    /// Wiring distance (mm), `[target, source]`.
    pub distance_mm: Vec<f64>,
    /// Raw hierarchy value per area.
    pub hier_raw: Vec<f64>,
    /// Hierarchy normalised to [0, 1] (`h_i` of Chaudhuri 2015).
    pub hier_norm: Vec<f64>,
}

impl MacaqueData {
    /// Number of areas.
    pub fn n(&self) -> usize {
        self.areas.len()
    }

    /// Index of an area by name.
    pub fn area_index(&self, name: &str) -> Option<usize> {
        self.areas.iter().position(|a| a == name)
    }

    /// FLN from `source` to `target`.
    pub fn fln(&self, target: usize, source: usize) -> f64 {
        self.fln[target * self.n() + source]
    }

    /// Load from a data-set folder (e.g. `<data>/markov2014-29areas`). Errors name the file.
    pub fn load(dir: &Path) -> Result<Self, SpecError> {
        let read = |name: &str| {
            let path = dir.join(name);
            read_data_file(&path).map(|text| (path.display().to_string(), text))
        };
        Self::from_texts(
            &read("hierarchy_29.csv")?,
            &read("fln_29x29.csv")?,
            &read("sln_29x29.csv")?,
            &read("distance_mm_29x29.csv")?,
        )
    }

    /// The copy of the data set compiled into the program (`data/markov2014-29areas` of the
    /// repository, see its PROVENANCE.md): what the generators use when no data directory
    /// is given.
    pub fn builtin() -> Result<Self, SpecError> {
        let t =
            |name: &str, text: &str| (format!("<built-in {MARKOV2014}>/{name}"), text.to_string());
        Self::from_texts(
            &t("hierarchy_29.csv", crate::builtin::MARKOV_HIERARCHY),
            &t("fln_29x29.csv", crate::builtin::MARKOV_FLN),
            &t("sln_29x29.csv", crate::builtin::MARKOV_SLN),
            &t("distance_mm_29x29.csv", crate::builtin::MARKOV_DISTANCE),
        )
    }

    /// Parse the four CSV files, each given as (name for messages, text).
    pub fn from_texts(
        hier: &(String, String),
        fln: &(String, String),
        sln: &(String, String),
        dist: &(String, String),
    ) -> Result<Self, SpecError> {
        let hier_path = Path::new(&hier.0);
        let rows = read_csv(&hier.1);
        let bad = |msg: String| SpecError::new(hier_path.display().to_string(), msg);
        let header = rows.first().ok_or_else(|| bad("empty file".into()))?;
        let col = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| bad(format!("no `{name}` column in header {header:?}")))
        };
        let (c_area, c_raw, c_norm) = (col("area")?, col("hier_raw")?, col("hier_norm")?);
        let mut areas = Vec::new();
        let (mut hier_raw, mut hier_norm) = (Vec::new(), Vec::new());
        for (k, r) in rows[1..].iter().enumerate() {
            let get = |c: usize| {
                r.get(c)
                    .ok_or_else(|| bad(format!("data row {} has {} fields", k + 1, r.len())))
            };
            areas.push(get(c_area)?.clone());
            hier_raw.push(parse_num(get(c_raw)?, hier_path, k + 1)?);
            hier_norm.push(parse_num(get(c_norm)?, hier_path, k + 1)?);
        }
        if areas.is_empty() {
            return Err(bad("no areas".into()));
        }
        let fln = read_matrix(Path::new(&fln.0), &fln.1, &areas)?;
        let sln = read_matrix(Path::new(&sln.0), &sln.1, &areas)?;
        let distance_mm = read_matrix(Path::new(&dist.0), &dist.1, &areas)?;
        Ok(MacaqueData {
            areas,
            fln,
            sln,
            distance_mm,
            hier_raw,
            hier_norm,
        })
    }
}

/// The data directory a run reads from: `arg` if given, else `$CORTEXSIM_DATA` if set and
/// not empty, else `None` — the data sets compiled into the program
/// ([`MacaqueData::builtin`]).
pub fn data_dir(arg: Option<&Path>) -> Option<PathBuf> {
    if let Some(d) = arg {
        return Some(d.to_path_buf());
    }
    match std::env::var_os("CORTEXSIM_DATA") {
        Some(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => None,
    }
}

/// The 29-area data set from the data directory ([`data_dir`]), or the built-in copy.
pub fn load_markov2014(arg: Option<&Path>) -> Result<MacaqueData, SpecError> {
    match data_dir(arg) {
        Some(d) if !d.is_dir() => {
            let from = if arg.is_some() {
                "--data"
            } else {
                "CORTEXSIM_DATA"
            };
            Err(SpecError::new(
                "model.data",
                format!("data directory {} ({from}) does not exist", d.display()),
            ))
        }
        Some(d) => MacaqueData::load(&d.join(MARKOV2014)),
        None => MacaqueData::builtin(),
    }
}

/// Non-comment, non-empty lines split on commas (fields trimmed).
pub(crate) fn read_csv(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split(',').map(|f| f.trim().to_string()).collect())
        .collect()
}

pub(crate) fn parse_num(s: &str, path: &Path, row: usize) -> Result<f64, SpecError> {
    s.parse::<f64>().map_err(|_| {
        SpecError::new(
            path.display().to_string(),
            format!("data row {row}: `{s}` is not a number"),
        )
    })
}

fn read_matrix(path: &Path, text: &str, areas: &[String]) -> Result<Vec<f64>, SpecError> {
    let rows = read_csv(text);
    let bad = |msg: String| SpecError::new(path.display().to_string(), msg);
    let n = areas.len();
    let header = rows.first().ok_or_else(|| bad("empty file".into()))?;
    if header.len() != n + 1 || header[1..] != *areas {
        return Err(bad(format!(
            "header {:?} does not list the {n} areas of hierarchy_29.csv in order",
            &header[1.min(header.len())..]
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
