//! `--set KEY=VALUE`: change any value of the raw network table by its path before
//! validation, so a parameter can be scanned without editing files.
//!
//! Paths are dot-separated; an array element is addressed by its `name` (populations,
//! named projections/stimuli) or by its index: `populations.E.size=20000`,
//! `projections.0.weight=0.2`, `populations.I.params.tau_m=10`,
//! `simulation.t_stop=200`. The value is read as a TOML value (`1.5`, `true`,
//! `"text"`, `{ distribution = "normal", mean = 1, std = 0.1 }`) and otherwise taken
//! as a bare string. A path through a missing array element or a non-table is an error
//! naming the path; a new key in a table is allowed (validation then rejects it if
//! unknown, with a "did you mean").

use cortexsim_core::error::SpecError;
use toml::{Table, Value};

pub fn apply_all(t: &mut Table, sets: &[String]) -> Result<(), SpecError> {
    for s in sets {
        apply(t, s)?;
    }
    Ok(())
}

pub fn parse_value(raw: &str) -> Value {
    let doc = format!("v = {raw}");
    match doc.parse::<Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| Value::String(raw.to_string())),
        Err(_) => Value::String(raw.to_string()),
    }
}

pub fn apply(t: &mut Table, set: &str) -> Result<(), SpecError> {
    let Some((path, raw)) = set.split_once('=') else {
        return Err(SpecError::new(
            format!("--set {set}"),
            "expected KEY=VALUE, e.g. populations.E.size=20000",
        ));
    };
    let path = path.trim();
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(SpecError::new(
            format!("--set {path}"),
            "empty path segment",
        ));
    }
    let value = parse_value(raw.trim());
    let mut cur: &mut Table = t;
    let mut walked = String::new();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(part);
        if last {
            cur.insert(part.to_string(), value);
            return Ok(());
        }
        let next = cur
            .entry(part.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        cur = match next {
            Value::Table(tt) => tt,
            Value::Array(arr) => {
                let key = parts[i + 1];
                let pos = arr
                    .iter()
                    .position(|e| matches!(e.get("name"), Some(Value::String(n)) if n == key))
                    .or_else(|| key.parse::<usize>().ok().filter(|&k| k < arr.len()));
                let Some(pos) = pos else {
                    let names: Vec<String> = arr
                        .iter()
                        .filter_map(|e| e.get("name").and_then(|n| n.as_str()).map(String::from))
                        .collect();
                    return Err(SpecError::new(
                        format!("--set {path}"),
                        format!(
                            "`{walked}` has no element named or numbered \"{key}\" (names: {}; indices 0..{})",
                            if names.is_empty() {
                                "none".to_string()
                            } else {
                                names.join(", ")
                            },
                            arr.len()
                        ),
                    ));
                };
                if i + 2 == parts.len() {
                    return Err(SpecError::new(
                        format!("--set {path}"),
                        "cannot replace a whole array element; set one of its keys",
                    ));
                }
                let Value::Table(tt) = &mut arr[pos] else {
                    return Err(SpecError::new(
                        format!("--set {path}"),
                        format!("`{walked}.{key}` is not a table"),
                    ));
                };
                // skip the element segment
                return apply_rest(tt, &parts[i + 2..], value, path);
            }
            _ => {
                return Err(SpecError::new(
                    format!("--set {path}"),
                    format!("`{walked}` is a value, not a table"),
                ));
            }
        };
    }
    Ok(())
}

fn apply_rest(t: &mut Table, rest: &[&str], value: Value, full: &str) -> Result<(), SpecError> {
    let mut sub = Table::new();
    // Re-use `apply` on the sub-table by rebuilding the remaining path.
    std::mem::swap(&mut sub, t);
    let r = apply(
        &mut sub,
        &format!("{}={}", rest.join("."), value_to_raw(&value)),
    );
    std::mem::swap(&mut sub, t);
    r.map_err(|e| SpecError::new(format!("--set {full}"), e.msg))
}

fn value_to_raw(v: &Value) -> String {
    match v {
        Value::String(s) => Value::String(s.clone()).to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_by_name_and_index() {
        let mut t: Table = r#"
            [simulation]
            dt = 0.1
            [[populations]]
            name = "E"
            size = 10
            [populations.params]
            tau_m = 20.0
            [[projections]]
            source = "E"
            target = "E"
            weight = 0.1
        "#
        .parse()
        .unwrap();
        apply(&mut t, "populations.E.size=20000").unwrap();
        apply(&mut t, "populations.E.params.tau_m=10").unwrap();
        apply(
            &mut t,
            "projections.0.weight={ distribution = \"normal\", mean = 1.0, std = 0.1 }",
        )
        .unwrap();
        apply(&mut t, "simulation.t_stop=200").unwrap();
        assert_eq!(t["populations"][0]["size"].as_integer(), Some(20000));
        assert_eq!(
            t["populations"][0]["params"]["tau_m"].as_integer(),
            Some(10)
        );
        assert_eq!(t["projections"][0]["weight"]["std"].as_float(), Some(0.1));
        assert_eq!(t["simulation"]["t_stop"].as_integer(), Some(200));
        let e = apply(&mut t, "populations.X.size=1").unwrap_err();
        assert!(e.msg.contains("no element named"), "{e}");
        assert!(apply(&mut t, "simulation.dt.x=1").is_err());
        assert!(apply(&mut t, "nokey").is_err());
    }
}
