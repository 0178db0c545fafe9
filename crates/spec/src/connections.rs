//! Explicit connection lists (`rule = "from_list"`): every synapse of a projection given
//! as (source index, target index[, weight, delay]) with indices within the populations.
//!
//! The list is validated once, here (indices in range, weights finite and within the
//! `f32` range, delays at least `dt`, at most 65,535 steps and, under
//! `grid_policy = "error"`, on the grid) and stored grouped by target, in the order given
//! within each target: the engine reads a target's synapses from its group, so the
//! network does not depend on the thread count or the partitioning. Lists come from the
//! TOML key `connections` or in bulk from code ([`crate::Network::set_connections`],
//! the Python package's NumPy arrays), never through TOML text.

use crate::validate::WEIGHT_MAX;
use crate::{Dist, GridPolicy};
use cortexsim_core::error::SpecError;
use cortexsim_core::fmt::num;
use serde::Serialize;

/// A validated connection list, grouped by target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionList {
    pub n_src: u32,
    pub n_tgt: u32,
    /// `ptr[j]..ptr[j + 1]` are the entries onto target `j`.
    ptr: Vec<u64>,
    src: Vec<u32>,
    /// Per-connection weights (else the projection's `weight`).
    weight: Option<Vec<f64>>,
    /// Per-connection delays, ms (else the projection's `delay`).
    delay: Option<Vec<f64>>,
}

/// The time grid a list's delays are checked against.
#[derive(Debug, Clone, Copy)]
pub struct Grid {
    pub dt: f64,
    pub policy: GridPolicy,
}

impl ConnectionList {
    /// Validate the columns (equal lengths; `weights`/`delays` optional) and group them by
    /// target. Errors name `path[k]` (the k-th connection) and the offending value.
    #[allow(clippy::too_many_arguments)] // the columns and what they are checked against
    pub fn new(
        path: &str,
        n_src: u32,
        n_tgt: u32,
        sources: &[u64],
        targets: &[u64],
        weights: Option<&[f64]>,
        delays: Option<&[f64]>,
        grid: Grid,
    ) -> Result<ConnectionList, SpecError> {
        let n = sources.len();
        let len_err = |what: &str, m: usize| {
            SpecError::new(
                path,
                format!("{what} has {m} entries but there are {n} sources"),
            )
        };
        if targets.len() != n {
            return Err(len_err("targets", targets.len()));
        }
        if let Some(w) = weights
            && w.len() != n
        {
            return Err(len_err("weights", w.len()));
        }
        if let Some(d) = delays
            && d.len() != n
        {
            return Err(len_err("delays", d.len()));
        }
        if n as u64 > u32::MAX as u64 * 16 {
            return Err(SpecError::new(path, format!("{n} connections: too many")));
        }
        for k in 0..n {
            let at = format!("{path}[{k}]");
            if sources[k] >= n_src as u64 {
                return Err(SpecError::new(
                    at,
                    format!(
                        "source index {} is out of range: the source population has {n_src} neurons",
                        sources[k]
                    ),
                ));
            }
            if targets[k] >= n_tgt as u64 {
                return Err(SpecError::new(
                    at,
                    format!(
                        "target index {} is out of range: the target population has {n_tgt} neurons",
                        targets[k]
                    ),
                ));
            }
            if let Some(w) = weights {
                let w = w[k];
                if !w.is_finite() || w.abs() > WEIGHT_MAX {
                    return Err(SpecError::new(
                        at,
                        format!(
                            "weight {} must be finite and within the single-precision range ±3.4e38 in which weights are stored",
                            num(w)
                        ),
                    ));
                }
            }
            if let Some(d) = delays {
                check_delay(d[k], grid, &at)?;
            }
        }
        // Group by target, keeping the given order within a target (counting sort).
        let mut ptr = vec![0u64; n_tgt as usize + 1];
        for &t in targets {
            ptr[t as usize + 1] += 1;
        }
        for j in 0..n_tgt as usize {
            ptr[j + 1] += ptr[j];
        }
        let mut fill: Vec<u64> = ptr[..n_tgt as usize].to_vec();
        let mut order = vec![0usize; n];
        for (k, &t) in targets.iter().enumerate() {
            order[fill[t as usize] as usize] = k;
            fill[t as usize] += 1;
        }
        Ok(ConnectionList {
            n_src,
            n_tgt,
            ptr,
            src: order.iter().map(|&k| sources[k] as u32).collect(),
            weight: weights.map(|w| order.iter().map(|&k| w[k]).collect()),
            delay: delays.map(|d| order.iter().map(|&k| d[k]).collect()),
        })
    }

    /// Number of connections.
    pub fn len(&self) -> usize {
        self.src.len()
    }

    pub fn is_empty(&self) -> bool {
        self.src.is_empty()
    }

    pub fn has_weights(&self) -> bool {
        self.weight.is_some()
    }

    pub fn has_delays(&self) -> bool {
        self.delay.is_some()
    }

    /// The entries onto target `j`, in the given order: `(source, weight, delay)`.
    pub fn of_target(&self, j: u32) -> impl Iterator<Item = (u32, Option<f64>, Option<f64>)> {
        let (a, b) = (
            self.ptr[j as usize] as usize,
            self.ptr[j as usize + 1] as usize,
        );
        (a..b).map(move |k| {
            (
                self.src[k],
                self.weight.as_ref().map(|w| w[k]),
                self.delay.as_ref().map(|d| d[k]),
            )
        })
    }

    /// The range of the list's weights as the projection's weight law: a constant when
    /// they are all equal, else `uniform` over their range (what the engine plans storage
    /// with; the synapses take the listed values). `None` without per-connection weights.
    pub fn weight_law(&self) -> Option<Dist> {
        self.weight.as_deref().map(range_law)
    }

    /// As [`Self::weight_law`], for the delays.
    pub fn delay_law(&self) -> Option<Dist> {
        self.delay.as_deref().map(range_law)
    }
}

fn range_law(x: &[f64]) -> Dist {
    let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if x.is_empty() {
        Dist::Const { value: 0.0 }
    } else if lo == hi {
        Dist::Const { value: lo }
    } else {
        Dist::Uniform { low: lo, high: hi }
    }
}

/// One listed delay: finite, at least `dt`, at most 65,535 steps, on the grid unless
/// rounding is allowed (the engine then rounds and counts it).
fn check_delay(d: f64, grid: Grid, at: &str) -> Result<(), SpecError> {
    let dt = grid.dt;
    if !d.is_finite() || d < dt * (1.0 - 1e-9) {
        return Err(SpecError::new(
            at,
            format!("delay {} ms is below the time step dt = {dt} ms", num(d)),
        ));
    }
    let steps = d / dt;
    if steps > 65535.0 {
        return Err(SpecError::new(
            at,
            format!(
                "delay {} ms is {steps:.0} steps: at most 65535 steps are supported",
                num(d)
            ),
        ));
    }
    let r = steps.round();
    if grid.policy == GridPolicy::Error && (steps - r).abs() > 1e-9 * r.max(1.0) {
        return Err(SpecError::new(
            at,
            format!(
                "delay {} ms is not a multiple of dt = {dt} ms; set simulation.grid_policy = \"round\" to round it",
                num(d)
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRID: Grid = Grid {
        dt: 0.1,
        policy: GridPolicy::Error,
    };

    #[test]
    fn grouped_by_target_in_given_order() {
        let l = ConnectionList::new(
            "c",
            3,
            2,
            &[2, 0, 1, 0],
            &[1, 0, 1, 1],
            Some(&[1.0, 2.0, 3.0, 4.0]),
            None,
            GRID,
        )
        .unwrap();
        assert_eq!(l.len(), 4);
        let t0: Vec<_> = l.of_target(0).collect();
        assert_eq!(t0, vec![(0, Some(2.0), None)]);
        let t1: Vec<_> = l.of_target(1).map(|e| (e.0, e.1.unwrap())).collect();
        assert_eq!(t1, vec![(2, 1.0), (1, 3.0), (0, 4.0)]);
        assert_eq!(
            l.weight_law(),
            Some(Dist::Uniform {
                low: 1.0,
                high: 4.0
            })
        );
        assert_eq!(l.delay_law(), None);
    }

    #[test]
    fn refusals_name_the_entry() {
        let e = ConnectionList::new("p.connections", 3, 2, &[0, 3], &[0, 0], None, None, GRID)
            .unwrap_err();
        assert_eq!(e.path, "p.connections[1]");
        assert!(e.msg.contains("source index 3"), "{}", e.msg);
        let e = ConnectionList::new("c", 3, 2, &[0], &[2], None, None, GRID).unwrap_err();
        assert!(e.msg.contains("target index 2"), "{}", e.msg);
        let e = ConnectionList::new("c", 3, 2, &[0], &[1], Some(&[1e39]), None, GRID).unwrap_err();
        assert!(e.msg.contains("single-precision"), "{}", e.msg);
        let e = ConnectionList::new("c", 3, 2, &[0], &[1], None, Some(&[0.05]), GRID).unwrap_err();
        assert!(e.msg.contains("below the time step"), "{}", e.msg);
        let e = ConnectionList::new("c", 3, 2, &[0], &[1], None, Some(&[0.15]), GRID).unwrap_err();
        assert!(e.msg.contains("not a multiple"), "{}", e.msg);
        let round = Grid {
            dt: 0.1,
            policy: GridPolicy::Round,
        };
        assert!(ConnectionList::new("c", 3, 2, &[0], &[1], None, Some(&[0.15]), round).is_ok());
        let e = ConnectionList::new("c", 3, 2, &[0, 1], &[1], None, None, GRID).unwrap_err();
        assert!(e.msg.contains("targets has 1 entries"), "{}", e.msg);
    }
}
