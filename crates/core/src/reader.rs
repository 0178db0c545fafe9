//! A strict reader over a parsed TOML table: every value is read through a path
//! (`populations[E].params.tau_m`), every key that was not read is an error with a
//! "did you mean" hint. This replaces `deny_unknown_fields` so that messages carry
//! the full path of the offending key, for any depth and for arrays keyed by name.

use crate::error::SpecError;
use std::cell::RefCell;
use std::collections::BTreeSet;
use toml::{Table, Value};

/// Closest known name to `key`, for "did you mean" hints — the project's one rule.
///
/// Case-insensitive; a candidate qualifies when its Jaro–Winkler similarity is ≥ 0.8
/// (typos and shared prefixes, `tau_mem` → `tau_m`) or its normalised Damerau–Levenshtein
/// similarity is ≥ 0.5 (transpositions in short names, `tua` → `tau`, which Jaro–Winkler
/// misses); the best by the larger of the two wins.
pub fn did_you_mean<'a>(key: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let lower = key.to_ascii_lowercase();
    known
        .into_iter()
        .filter_map(|k| {
            let kl = k.to_ascii_lowercase();
            let jw = strsim::jaro_winkler(&lower, &kl);
            let dl = strsim::normalized_damerau_levenshtein(&lower, &kl);
            (jw >= 0.8 || dl >= 0.5).then_some((jw.max(dl), k))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k.to_string())
}

/// Human name of a TOML value's type, for error messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

pub struct Obj<'a> {
    pub path: String,
    table: &'a Table,
    used: RefCell<BTreeSet<String>>,
    /// Keys that are allowed even when not read (e.g. read by another component).
    allowed: RefCell<Vec<&'static str>>,
}

impl<'a> Obj<'a> {
    pub fn new(path: impl Into<String>, table: &'a Table) -> Self {
        Obj {
            path: path.into(),
            table,
            used: RefCell::default(),
            allowed: RefCell::default(),
        }
    }

    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{}", self.path, key)
        }
    }

    pub fn err(&self, key: &str, msg: impl Into<String>) -> SpecError {
        SpecError::new(self.key_path(key), msg)
    }

    /// Declare keys as known without reading them (for the "did you mean" list).
    pub fn allow(&self, keys: &[&'static str]) {
        self.allowed.borrow_mut().extend_from_slice(keys);
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.used.borrow_mut().insert(key.to_string());
        self.table.get(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    pub fn table(&self) -> &'a Table {
        self.table
    }

    fn num(&self, key: &str, v: &Value) -> Result<f64, SpecError> {
        let x = match v {
            Value::Float(f) => *f,
            Value::Integer(i) => *i as f64,
            Value::String(s) => match s.trim() {
                "inf" | "+inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" => f64::NAN,
                _ => {
                    return Err(self.err(
                        key,
                        format!("expected a number, found the string {}", short_str(s)),
                    ));
                }
            },
            other => {
                return Err(self.err(
                    key,
                    format!("expected a number, found {}", type_name(other)),
                ));
            }
        };
        Ok(x)
    }

    /// An optional number; NaN and ±inf are rejected unless `allow_inf` (for bounds such as V_min = -inf).
    pub fn f64_opt(&self, key: &str) -> Result<Option<f64>, SpecError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => {
                let x = self.num(key, v)?;
                if !x.is_finite() {
                    return Err(self.err(
                        key,
                        format!("must be a finite number, got {}", crate::fmt::num(x)),
                    ));
                }
                Ok(Some(x))
            }
        }
    }

    pub fn f64_or_inf_opt(&self, key: &str) -> Result<Option<f64>, SpecError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => {
                let x = self.num(key, v)?;
                if x.is_nan() {
                    return Err(self.err(key, "must be a number, got NaN"));
                }
                Ok(Some(x))
            }
        }
    }

    pub fn f64_req(&self, key: &str) -> Result<f64, SpecError> {
        self.f64_opt(key)?
            .ok_or_else(|| self.err(key, "is required"))
    }

    pub fn f64_or(&self, key: &str, default: f64) -> Result<f64, SpecError> {
        Ok(self.f64_opt(key)?.unwrap_or(default))
    }

    pub fn positive(&self, key: &str, default: Option<f64>) -> Result<f64, SpecError> {
        let x = match (self.f64_opt(key)?, default) {
            (Some(x), _) => x,
            (None, Some(d)) => return Ok(d),
            (None, None) => return Err(self.err(key, "is required")),
        };
        if x <= 0.0 {
            return Err(self.err(key, format!("must be > 0, got {}", crate::fmt::num(x))));
        }
        Ok(x)
    }

    pub fn non_negative(&self, key: &str, default: Option<f64>) -> Result<f64, SpecError> {
        let x = match (self.f64_opt(key)?, default) {
            (Some(x), _) => x,
            (None, Some(d)) => return Ok(d),
            (None, None) => return Err(self.err(key, "is required")),
        };
        if x < 0.0 {
            return Err(self.err(key, format!("must be >= 0, got {}", crate::fmt::num(x))));
        }
        Ok(x)
    }

    pub fn u64_opt(&self, key: &str) -> Result<Option<u64>, SpecError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Integer(i)) if *i >= 0 => Ok(Some(*i as u64)),
            Some(Value::Integer(i)) => {
                Err(self.err(key, format!("must be a non-negative integer, got {i}")))
            }
            Some(Value::Float(f)) if f.fract() == 0.0 && *f >= 0.0 && *f < 9.0e15 => {
                Ok(Some(*f as u64))
            }
            Some(other) => Err(self.err(
                key,
                format!("expected a non-negative integer, found {}", describe(other)),
            )),
        }
    }

    /// A non-negative integer over the full `u64` range: TOML integers stop at 2^63 - 1,
    /// so larger values (seeds up to 18446744073709551615) are accepted as a string of
    /// decimal digits, e.g. `seed = "18446744073709551615"`.
    pub fn u64_full_opt(&self, key: &str) -> Result<Option<u64>, SpecError> {
        match self.get(key) {
            Some(Value::String(s)) => s.trim().parse::<u64>().map(Some).map_err(|_| {
                self.err(
                    key,
                    format!(
                        "expected an integer from 0 to {}, found the string {}",
                        u64::MAX,
                        short_str(s)
                    ),
                )
            }),
            _ => self.u64_opt(key),
        }
    }

    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, SpecError> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Boolean(b)) => Ok(*b),
            Some(other) => Err(self.err(
                key,
                format!("expected true or false, found {}", describe(other)),
            )),
        }
    }

    pub fn str_opt(&self, key: &str) -> Result<Option<&'a str>, SpecError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => {
                Err(self.err(key, format!("expected a string, found {}", describe(other))))
            }
        }
    }

    pub fn str_req(&self, key: &str) -> Result<&'a str, SpecError> {
        self.str_opt(key)?
            .ok_or_else(|| self.err(key, "is required"))
    }

    /// A string that must be one of `choices`.
    pub fn choice(
        &self,
        key: &str,
        choices: &[&'static str],
        default: Option<&'static str>,
    ) -> Result<&'a str, SpecError>
    where
        'static: 'a,
    {
        let s = match (self.str_opt(key)?, default) {
            (Some(s), _) => s,
            (None, Some(d)) => return Ok(d),
            (None, None) => {
                return Err(self.err(key, format!("is required (one of {})", choices.join(", "))));
            }
        };
        if choices.contains(&s) {
            return Ok(s);
        }
        let hint = did_you_mean(s, choices.iter().copied())
            .map(|h| format!("; did you mean \"{h}\"?"))
            .unwrap_or_default();
        Err(self.err(
            key,
            format!(
                "unknown value \"{s}\" (expected one of {}){hint}",
                choices.join(", ")
            ),
        ))
    }

    pub fn table_opt(&self, key: &str) -> Result<Option<Obj<'a>>, SpecError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Table(t)) => Ok(Some(Obj::new(self.key_path(key), t))),
            Some(other) => {
                Err(self.err(key, format!("expected a table, found {}", describe(other))))
            }
        }
    }

    pub fn array_opt(&self, key: &str) -> Result<Option<&'a Vec<Value>>, SpecError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(other) => {
                Err(self.err(key, format!("expected an array, found {}", describe(other))))
            }
        }
    }

    pub fn f64_array_opt(&self, key: &str) -> Result<Option<Vec<f64>>, SpecError> {
        let Some(a) = self.array_opt(key)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(a.len());
        for (i, v) in a.iter().enumerate() {
            let k = format!("{key}[{i}]");
            let x = self.num(&k, v)?;
            if !x.is_finite() {
                return Err(self.err(
                    &k,
                    format!("must be a finite number, got {}", crate::fmt::num(x)),
                ));
            }
            out.push(x);
        }
        Ok(Some(out))
    }

    pub fn str_array_opt(&self, key: &str) -> Result<Option<Vec<&'a str>>, SpecError> {
        let Some(a) = self.array_opt(key)? else {
            return Ok(None);
        };
        a.iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.as_str()),
                other => Err(self.err(
                    &format!("{key}[{i}]"),
                    format!("expected a string, found {}", describe(other)),
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// Every key of the table that was not read is an error, with a hint.
    pub fn finish(self) -> Result<(), SpecError> {
        let used = self.used.borrow();
        let allowed = self.allowed.borrow();
        let known: Vec<&str> = used
            .iter()
            .map(|s| s.as_str())
            .chain(allowed.iter().copied())
            .collect();
        check_keys(self.table, &self.path, &known)
    }
}

/// The one "unknown key" rule of every file the project reads: the first key of `table`
/// that is not in `known` is an error at `path.key`, with the closest known key
/// ([`did_you_mean`]) and the list of known keys. [`Obj::finish`] applies it to the keys
/// it did not read; readers that check a table's keys up front call it directly.
pub fn check_keys(table: &Table, path: &str, known: &[&str]) -> Result<(), SpecError> {
    for key in table.keys() {
        if known.contains(&key.as_str()) {
            continue;
        }
        let hint = did_you_mean(key, known.iter().copied())
            .map(|h| format!("; did you mean `{h}`?"))
            .unwrap_or_default();
        let mut list: Vec<&str> = known.to_vec();
        list.sort_unstable();
        list.dedup();
        let at = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        return Err(SpecError::new(
            at,
            format!(
                "unknown key `{key}`{hint} (known keys here: {})",
                list.join(", ")
            ),
        ));
    }
    Ok(())
}

/// `"; did you mean `x`?"` for the closest of `known` to `word` ([`did_you_mean`]), or
/// nothing: the suffix every unknown-name message of the project uses.
pub fn hint(word: &str, known: &[&str]) -> String {
    did_you_mean(word, known.iter().copied())
        .map(|h| format!("; did you mean `{h}`?"))
        .unwrap_or_default()
}

/// A string for messages, quoted and escaped; beyond 60 characters cut with `…`.
pub fn short_str(s: &str) -> String {
    if s.chars().count() <= 60 {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(57).collect();
        format!("{head:?}… ({} characters)", s.chars().count())
    }
}

/// Short description of a value for messages: its type and, for scalars, the value.
pub fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string {}", short_str(s)),
        Value::Integer(i) => format!("the integer {i}"),
        Value::Float(f) => format!("the number {}", crate::fmt::num(*f)),
        Value::Boolean(b) => format!("the boolean {b}"),
        other => type_name(other).to_string(),
    }
}
