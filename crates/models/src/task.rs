//! The `[trials]` table of a network file: what `cortexsim trials` needs to know about a
//! two-choice decision task, written once in the file instead of on every command line.
//!
//! ```toml
//! [trials]
//! pools = ["S1", "S2"]          # the two selective populations; choice 1 is the first
//! stimulus = ["stimuli.motion_1.amplitude", "stimuli.motion_2.amplitude"]
//!                               # --set paths of the two stimulus strengths: their values
//!                               # in the file are mu0; a trial at coherence c' sets them to
//!                               # mu0 (1 + c'/100) and mu0 (1 - c'/100)
//! onset = 500.0                 # ms: stimulus onset, decision times are counted from it
//! threshold = 15.0              # Hz: decision threshold on a pool's rate (default 15)
//! mu0 = 40.0                    # optional: the mu0 both stimulus strengths are scaled
//!                               # from (default: each one's value in the file)
//! window = 0.0                  # ms: causal moving average of the pool rates before the
//!                               # threshold (optional; default 0 for rate models, 50 for
//!                               # spiking networks)
//! ```
//!
//! Works for any file kind: the pools are rate populations of a rate file or populations
//! of a spiking network, the stimulus paths any numeric values (a rate stimulus'
//! `amplitude`, a Poisson stimulus' `rate`). The loader ([`crate::load::load_table`])
//! checks the table (every error names its key path) and removes it before the file is
//! read as a network, so every command accepts a file that has one.

use cortexsim_core::error::SpecError;
use cortexsim_core::reader::{Obj, check_keys};
use serde::{Deserialize, Serialize};
use toml::{Table, Value};

/// The decision task of a file (module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialsSpec {
    /// The two selective populations (choice 1, choice 2).
    pub pools: [String; 2],
    /// `--set` paths of the two stimulus strengths (scaled by `1 ± c'/100`).
    pub stimulus: [String; 2],
    /// Stimulus onset (ms).
    pub onset_ms: f64,
    /// Decision threshold (Hz).
    pub threshold_hz: f64,
    /// Moving-average window of the pool rates (ms); `None`: the default of the file kind.
    pub window_ms: Option<f64>,
    /// The μ₀ both stimulus strengths are scaled from; `None`: each one's value in the
    /// file (a file shipped at some coherence names μ₀ here).
    #[serde(default)]
    pub mu0: Option<f64>,
}

/// Default decision threshold (Hz), Wong & Wang 2006 and Wang 2002's reaction-time task.
pub const DEFAULT_THRESHOLD_HZ: f64 = 15.0;

/// The `[trials]` table of `doc`, checked; `None` if there is none.
pub fn trials_spec(doc: &Table) -> Result<Option<TrialsSpec>, SpecError> {
    let Some(v) = doc.get("trials") else {
        return Ok(None);
    };
    let t = v.as_table().ok_or_else(|| {
        SpecError::new(
            "trials",
            format!(
                "must be a table [trials], found {}",
                cortexsim_core::reader::describe(v)
            ),
        )
    })?;
    check_keys(
        t,
        "trials",
        &["pools", "stimulus", "onset", "threshold", "window", "mu0"],
    )?;
    let o = Obj::new("trials", t);
    let pair = |key: &str| -> Result<[String; 2], SpecError> {
        let v = o
            .str_array_opt(key)?
            .ok_or_else(|| o.err(key, "missing (a list of two strings)"))?;
        if v.len() != 2 {
            return Err(o.err(key, format!("need exactly two entries, got {}", v.len())));
        }
        if v[0] == v[1] {
            return Err(o.err(key, format!("the two entries are the same (`{}`)", v[0])));
        }
        Ok([v[0].to_string(), v[1].to_string()])
    };
    let pools = pair("pools")?;
    let stimulus = pair("stimulus")?;
    for (k, s) in stimulus.iter().enumerate() {
        number_at(doc, s).map_err(|m| SpecError::new(format!("trials.stimulus[{k}]"), m))?;
    }
    let onset_ms = o.f64_or("onset", 0.0)?;
    if !(onset_ms >= 0.0 && onset_ms.is_finite()) {
        return Err(o.err("onset", "must be a finite number >= 0 ms"));
    }
    let threshold_hz = o.f64_or("threshold", DEFAULT_THRESHOLD_HZ)?;
    if !(threshold_hz > 0.0 && threshold_hz.is_finite()) {
        return Err(o.err("threshold", "must be a finite number > 0 Hz"));
    }
    let window_ms = o.f64_opt("window")?;
    if let Some(w) = window_ms
        && !(w >= 0.0 && w.is_finite())
    {
        return Err(o.err("window", "must be a finite number >= 0 ms"));
    }
    let mu0 = o.f64_opt("mu0")?;
    if let Some(m) = mu0
        && !(m >= 0.0 && m.is_finite())
    {
        return Err(o.err("mu0", "must be a finite number >= 0"));
    }
    Ok(Some(TrialsSpec {
        pools,
        stimulus,
        onset_ms,
        threshold_hz,
        window_ms,
        mu0,
    }))
}

/// The number at the `--set` path `path` of `doc` (dot-separated; array elements by
/// `name` or index, as [`cortexsim_spec::overrides`]); an error message otherwise.
pub fn number_at(doc: &Table, path: &str) -> Result<f64, String> {
    let mut cur: &Value = doc
        .get(path.split('.').next().unwrap_or(""))
        .ok_or_else(|| {
            format!(
                "`{path}`: the file has no `{}`",
                path.split('.').next().unwrap_or("")
            )
        })?;
    for part in path.split('.').skip(1) {
        cur = match cur {
            Value::Table(t) => t.get(part),
            Value::Array(a) => a
                .iter()
                .find(|e| matches!(e.get("name"), Some(Value::String(n)) if n == part))
                .or_else(|| part.parse::<usize>().ok().and_then(|k| a.get(k))),
            _ => None,
        }
        .ok_or_else(|| format!("`{path}`: no `{part}` in the file"))?;
    }
    match cur {
        Value::Float(x) if x.is_finite() => Ok(*x),
        Value::Integer(i) => Ok(*i as f64),
        other => Err(format!(
            "`{path}` is {}, not a finite number",
            cortexsim_core::reader::describe(other)
        )),
    }
}

/// The `--set` overrides of a trial at coherence `c` (percent): the two stimulus values
/// `mu` of `doc` become `mu (1 + c/100)` and `mu (1 - c/100)`.
pub fn coherence_sets(doc: &Table, spec: &TrialsSpec, c: f64) -> Result<Vec<String>, SpecError> {
    let mut sets = Vec::with_capacity(2);
    for (k, (path, sign)) in spec.stimulus.iter().zip([1.0, -1.0]).enumerate() {
        let mu = match spec.mu0 {
            Some(m) => m,
            None => number_at(doc, path)
                .map_err(|m| SpecError::new(format!("trials.stimulus[{k}]"), m))?,
        };
        sets.push(format!("{path}={:?}", mu * (1.0 + sign * c / 100.0)));
    }
    Ok(sets)
}

/// `doc` without its `[trials]` table (`None` if it has none: use `doc` itself).
pub fn without_trials(doc: &Table) -> Option<Table> {
    doc.contains_key("trials").then(|| {
        let mut t = doc.clone();
        t.remove("trials");
        t
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Table {
        s.parse().unwrap()
    }

    const BASE: &str = r#"
[[stimuli]]
name = "a"
amplitude = 0.5
[[stimuli]]
amplitude = 2
"#;

    #[test]
    fn reads_the_table_and_scales_the_stimuli() {
        let d = doc(&format!(
            "{BASE}\n[trials]\npools = [\"A\", \"B\"]\nstimulus = [\"stimuli.a.amplitude\", \"stimuli.1.amplitude\"]\nonset = 100.0\n"
        ));
        let s = trials_spec(&d).unwrap().unwrap();
        assert_eq!(s.pools, ["A".to_string(), "B".to_string()]);
        assert_eq!(s.onset_ms, 100.0);
        assert_eq!(s.threshold_hz, DEFAULT_THRESHOLD_HZ);
        assert_eq!(s.window_ms, None);
        let sets = coherence_sets(&d, &s, 50.0).unwrap();
        assert_eq!(
            sets,
            vec!["stimuli.a.amplitude=0.75", "stimuli.1.amplitude=1.0"]
        );
        assert!(without_trials(&d).is_some_and(|t| !t.contains_key("trials")));
    }

    #[test]
    fn errors_name_the_key() {
        let e = |extra: &str| {
            trials_spec(&doc(&format!("{BASE}\n[trials]\n{extra}")))
                .unwrap_err()
                .to_string()
        };
        assert!(e("pools = [\"A\"]\nstimulus = []").contains("trials.pools"));
        assert!(
            e("pools = [\"A\", \"B\"]\nstimulus = [\"stimuli.a.amplitude\", \"stimuli.x.amplitude\"]")
                .contains("trials.stimulus[1]")
        );
        assert!(
            e("pools = [\"A\", \"B\"]\nstimulus = [\"stimuli.a.amplitude\", \"stimuli.1.amplitude\"]\nthreshold = -1.0")
                .contains("trials.threshold")
        );
        assert!(e("pool = 1").contains("pools"));
    }
}
