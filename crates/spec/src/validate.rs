//! Input rules that are not about one key's meaning but about what the rest of the
//! program can hold: names that become HDF5 paths, the weight range, seeds, thread
//! counts, and which multiples of `dt` are on the grid. Each rule is a small function
//! called from one line of [`crate::Network::from_table`], so the reading code stays a
//! sequence of keys. The promises are listed in `docs/RELIABILITY.md` ("Input").

use cortexsim_core::error::SpecError;
use cortexsim_core::fmt::num;
use cortexsim_core::reader::{Obj, short_str};
use toml::{Table, Value};

/// Characters allowed in a population name, in words (for messages and docs).
pub const NAME_RULE: &str = "1 to 255 characters from ASCII letters, digits, `_` and `-` (SONATA-safe: the name becomes an HDF5 group)";

/// Longest population name.
pub const NAME_MAX: usize = 255;

/// Is `c` allowed in a population name?
pub fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// A population name becomes the HDF5 group `/spikes/<name>` (also `/rates/<name>`,
/// `/v_m/<name>`): `/` would nest groups (a fake population), `.` and NUL are refused by
/// SONATA readers or HDF5, and `[`, `]` and `.` break `--set` paths. Only
/// [`name_char`]s are allowed; the error names the first offending character.
pub fn population_name(o: &Obj, name: &str) -> Result<(), SpecError> {
    if name.is_empty() || name.len() > NAME_MAX {
        return Err(o.err(
            "name",
            format!(
                "invalid population name {} ({} characters): a name has {NAME_RULE}",
                short_str(name),
                name.chars().count()
            ),
        ));
    }
    if let Some((pos, c)) = name.char_indices().find(|&(_, c)| !name_char(c)) {
        return Err(o.err(
            "name",
            format!(
                "invalid population name {}: character {c:?} at byte {pos} is not allowed; a name has {NAME_RULE}",
                short_str(name)
            ),
        ));
    }
    Ok(())
}

/// Largest magnitude of a synaptic weight: the `f32` range. Weights are stored in single
/// precision, so a larger one would become `inf` (other numbers are `f64` and checked by
/// their own keys; NEST's `V_min = -1.8e308` stays valid).
pub const WEIGHT_MAX: f64 = f32::MAX as f64;

/// Every weight of the raw table (before any key is read: every value under a key
/// `weight` or `weights`, distribution parameters included) lies within ±[`WEIGHT_MAX`];
/// `inf` and `nan` are left to the key's own reader. The error names the key path:
/// `projections[3].weight.mean`, `stimuli[0].weights[2]`.
pub fn number_range(t: &Table) -> Result<(), SpecError> {
    fn walk(v: &Value, path: &str, weight: bool) -> Result<(), SpecError> {
        match v {
            Value::Float(f) if weight && f.is_finite() && f.abs() > WEIGHT_MAX => {
                Err(SpecError::new(
                    path,
                    format!(
                        "weight {} is beyond the single-precision range ±3.4e38 in which weights are stored",
                        num(*f)
                    ),
                ))
            }
            Value::Table(t) => {
                for (k, v) in t {
                    walk(v, &join(path, k), weight || k == "weight" || k == "weights")?;
                }
                Ok(())
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    let label = match v.get("name") {
                        Some(Value::String(n)) if path == "populations" => n.clone(),
                        _ => i.to_string(),
                    };
                    walk(v, &format!("{path}[{label}]"), weight)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    for (k, v) in t {
        walk(v, k, false)?;
    }
    Ok(())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Most worker threads a network or `--threads` may ask for. Threads beyond the number of
/// partitions only wait, each costs a stack, and starting some 10^5 of them takes minutes
/// (the run looks hung); 4096 is above the hardware threads of any single machine a
/// shared-memory run can use today.
pub const MAX_THREADS: u64 = 4096;

/// `simulation.threads`: 0 (all cores) to [`MAX_THREADS`].
pub fn threads(o: &Obj) -> Result<u64, SpecError> {
    let t = o.u64_opt("threads")?.unwrap_or(0);
    if t > MAX_THREADS {
        return Err(o.err(
            "threads",
            format!("{t} threads: at most {MAX_THREADS} (threads beyond the partitions only wait, and starting very many looks like a hang); 0 = all cores"),
        ));
    }
    Ok(t)
}

/// `simulation.seed`: any `u64`; above 2^63 - 1 (TOML's integer range) as a string of
/// digits (`--seed` passes it so).
pub fn seed(o: &Obj) -> Result<u64, SpecError> {
    Ok(o.u64_full_opt("seed")?.unwrap_or(12345))
}

/// Is `x` off the grid of `dt`? Relative tolerance: `x / dt` must be within 1e-9 of
/// its own size of a whole number, so 1e-12 ms is off the grid of 0.1 ms (an absolute
/// tolerance let it pass as "0 steps").
pub fn off_grid(x: f64, dt: f64) -> bool {
    let s = x / dt;
    (s - s.round()).abs() > 1e-9 * s.abs()
}

/// A sampling interval (`recorders.v_m[j].interval`, `recorders.rate_bin`) is at least one
/// step of `dt`.
pub fn at_least_one_step(path: &str, what: &str, x: f64, dt: f64) -> Result<(), SpecError> {
    if x < dt * (1.0 - 1e-9) {
        return Err(SpecError::new(
            path,
            format!(
                "{what} {} ms is shorter than the time step dt = {} ms",
                num(x),
                num(dt)
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pop_err(name: &str) -> Option<String> {
        let t = Table::new();
        let o = Obj::new("populations[x]", &t);
        population_name(&o, name).err().map(|e| e.to_string())
    }

    #[test]
    fn names() {
        for ok in ["E", "L23E", "9_46d_E", "a-b", "x1"] {
            assert_eq!(pop_err(ok), None, "{ok}");
        }
        for (bad, what) in [
            ("9/46d.E", "'/'"),
            ("a.b", "'.'"),
            ("a\0b", "'\\0'"),
            ("a b", "' '"),
            ("é", "'é'"),
            ("", "0 characters"),
        ] {
            let e = pop_err(bad).unwrap();
            assert!(e.contains(what), "{bad}: {e}");
            assert!(e.starts_with("populations[x].name:"), "{e}");
        }
        assert!(
            pop_err(&"a".repeat(256))
                .unwrap()
                .contains("256 characters")
        );
        assert_eq!(pop_err(&"a".repeat(255)), None);
    }

    #[test]
    fn numbers() {
        let t: Table = "[[projections]]\nweight = { mean = -3.5e38 }\n"
            .parse()
            .unwrap();
        let e = number_range(&t).unwrap_err().to_string();
        assert!(
            e.starts_with("projections[0].weight.mean: weight -3.5e38"),
            "{e}"
        );
        let t: Table = "[[stimuli]]\nweights = [1.0, 1e39]\n".parse().unwrap();
        let e = number_range(&t).unwrap_err().to_string();
        assert!(e.starts_with("stimuli[0].weights[1]"), "{e}");
        // Other numbers are f64: NEST's V_min = -DBL_MAX is valid.
        let t: Table = "[[populations]]\nname = \"E\"\nparams = { V_min = -1.7976931348623157e308 }\nweight = 3.4e38\n"
            .parse()
            .unwrap();
        assert!(number_range(&t).is_ok());
    }

    #[test]
    fn grid_is_relative() {
        assert!(off_grid(1e-12, 0.1));
        assert!(off_grid(0.05, 0.1));
        assert!(!off_grid(0.3, 0.1));
        assert!(!off_grid(1e6, 0.1));
        assert!(!off_grid(0.0, 0.1));
        assert!(at_least_one_step("p", "interval", 1e-12, 0.1).is_err());
        assert!(at_least_one_step("p", "interval", 0.1, 0.1).is_ok());
    }
}
