//! Phase plane of a two-variable rate model (`cortexsim phase-plane`): the noise-free
//! vector field of the rate integrator's ODE ([`RateNetwork::vector_field`]) at one time
//! (which stimulus epochs are on), its nullclines, and its fixed points with their
//! stability.
//!
//! * **Grid.** The field is evaluated on `grid × grid` nodes spanning the ranges (default
//!   `[0, 1]` for a gating variable, `[0, 100]` Hz for a rate).
//! * **Nullclines** are the zero contours of each component, by marching squares on the
//!   grid (straight segments between linearly interpolated edge crossings).
//! * **Fixed points.** Every cell in which both components change sign (or vanish) at
//!   its corners seeds a Newton iteration (Jacobian by central differences, step 10⁻⁷ of
//!   the range); a root is kept if Newton converges (`|F| ≤ 10⁻¹³` per ms, scaled by the
//!   range) within two cells of its seed, and roots closer than 10⁻⁹ of the range are one.
//! * **Stability** from the Jacobian's eigenvalues (per s): stable when both real parts
//!   are negative; `kind` is `stable node`, `stable focus`, `saddle`, `unstable node`,
//!   `unstable focus` or `degenerate` (a zero eigenvalue within 10⁻⁹/ms).
//!
//! The lower clamp of a population is not part of the field.

use crate::error::ProtocolError;
use cortexsim_theory::rate::{Kinetics, RateNetwork};
use serde_json::{Map, Value as Json, json};

/// What to compute.
#[derive(Debug, Clone)]
pub struct PhasePlaneOptions {
    /// Time (ms) at which the drive is evaluated: the epochs active then are on.
    pub t_ms: f64,
    /// Grid nodes per axis (≥ 20).
    pub grid: usize,
    /// Range of each variable; `None`: `[0, 1]` for gating, `[0, 100]` for leaky.
    pub ranges: [Option<(f64, f64)>; 2],
    /// Arrows per axis of the reported vector field (≥ 2).
    pub arrows: usize,
}

impl Default for PhasePlaneOptions {
    fn default() -> Self {
        PhasePlaneOptions {
            t_ms: 0.0,
            grid: 400,
            ranges: [None, None],
            arrows: 21,
        }
    }
}

/// One fixed point.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedPoint {
    /// The state (the two variables, in population order).
    pub state: [f64; 2],
    /// Eigenvalues of the Jacobian, per s: `(re, im)`.
    pub eigenvalues: [(f64, f64); 2],
    pub stable: bool,
    pub kind: &'static str,
    /// Pool rates at the fixed point (Hz): `f(x)` of a gating population, the state of a
    /// rate population.
    pub rates_hz: [f64; 2],
}

/// The phase plane of a two-variable model.
#[derive(Debug, Clone)]
pub struct PhasePlane {
    pub names: [String; 2],
    pub t_ms: f64,
    pub ranges: [(f64, f64); 2],
    /// Fixed points, ordered by the first variable, then the second.
    pub fixed_points: Vec<FixedPoint>,
    /// Zero contours of `d(var k)/dt`, as segments `[(x0, y0), (x1, y1)]`.
    pub nullclines: [Vec<[(f64, f64); 2]>; 2],
    /// Coarse vector field: `(x, y, dx/dt, dy/dt)` per ms.
    pub field: Vec<(f64, f64, f64, f64)>,
}

/// The phase plane of `net` (two populations) as `opts` says.
#[allow(clippy::needless_range_loop)] // grid and variable indices, as in the formulas
pub fn phase_plane(
    net: &RateNetwork,
    opts: &PhasePlaneOptions,
) -> Result<PhasePlane, ProtocolError> {
    net.validate()?;
    if net.n() != 2 {
        return Err(ProtocolError::Invalid(format!(
            "phase-plane needs a two-variable model; this one has {} populations",
            net.n()
        )));
    }
    if opts.grid < 20 || opts.grid > 5000 {
        return Err(ProtocolError::Invalid(format!(
            "--grid: need 20 to 5000 nodes per axis, got {}",
            opts.grid
        )));
    }
    if opts.arrows < 2 || opts.arrows > 200 {
        return Err(ProtocolError::Invalid(format!(
            "--arrows: need 2 to 200 per axis, got {}",
            opts.arrows
        )));
    }
    if !opts.t_ms.is_finite() {
        return Err(ProtocolError::Invalid(
            "--at: must be a finite time in ms".into(),
        ));
    }
    let mut ranges = [(0.0, 1.0); 2];
    for k in 0..2 {
        ranges[k] = match opts.ranges[k] {
            Some(r) => r,
            None => match net.kinetics_of(k) {
                Kinetics::Gating { .. } => (0.0, 1.0),
                Kinetics::Leaky => (0.0, 100.0),
            },
        };
        let (lo, hi) = ranges[k];
        if !(lo.is_finite() && hi.is_finite() && hi > lo) {
            return Err(ProtocolError::Invalid(format!(
                "range of {}: need finite lo < hi, got {lo}, {hi}",
                net.pops[k].name
            )));
        }
    }
    let t = opts.t_ms;
    let field = |x: f64, y: f64| -> [f64; 2] {
        let mut d = [0.0; 2];
        net.vector_field(t, &[x, y], &mut d);
        d
    };
    let g = opts.grid;
    let (xs, ys) = (axis(ranges[0], g), axis(ranges[1], g));
    // Node values, [iy][ix].
    let vals: Vec<Vec<[f64; 2]>> = ys
        .iter()
        .map(|&y| xs.iter().map(|&x| field(x, y)).collect())
        .collect();
    if vals.iter().flatten().flatten().any(|v| !v.is_finite()) {
        return Err(ProtocolError::Runtime(
            "the vector field is not finite somewhere in the plane (check the ranges)".into(),
        ));
    }
    let nullclines = [0, 1].map(|c| contour(&xs, &ys, &vals, c));

    // Fixed points: Newton from every cell where both components change sign.
    let span = [ranges[0].1 - ranges[0].0, ranges[1].1 - ranges[1].0];
    let cell = [span[0] / (g - 1) as f64, span[1] / (g - 1) as f64];
    let jac = |p: [f64; 2]| -> [[f64; 2]; 2] {
        let mut j = [[0.0; 2]; 2];
        for c in 0..2 {
            let h = 1e-7 * span[c];
            let (mut a, mut b) = (p, p);
            a[c] += h;
            b[c] -= h;
            let (fa, fb) = (field(a[0], a[1]), field(b[0], b[1]));
            for r in 0..2 {
                j[r][c] = (fa[r] - fb[r]) / (2.0 * h);
            }
        }
        j
    };
    let mut roots: Vec<[f64; 2]> = Vec::new();
    let changes = |iy: usize, ix: usize, c: usize| {
        let v = [
            vals[iy][ix][c],
            vals[iy][ix + 1][c],
            vals[iy + 1][ix][c],
            vals[iy + 1][ix + 1][c],
        ];
        v.iter().any(|&a| a <= 0.0) && v.iter().any(|&a| a >= 0.0)
    };
    for iy in 0..g - 1 {
        for ix in 0..g - 1 {
            if !(changes(iy, ix, 0) && changes(iy, ix, 1)) {
                continue;
            }
            let seed = [xs[ix] + 0.5 * cell[0], ys[iy] + 0.5 * cell[1]];
            let Some(p) = newton(&field, &jac, seed, span) else {
                continue;
            };
            let near =
                (p[0] - seed[0]).abs() <= 2.5 * cell[0] && (p[1] - seed[1]).abs() <= 2.5 * cell[1];
            let inside = (0..2).all(|c| {
                p[c] >= ranges[c].0 - 1e-9 * span[c] && p[c] <= ranges[c].1 + 1e-9 * span[c]
            });
            let dup = roots.iter().any(|r| {
                (r[0] - p[0]).abs() <= 1e-9 * span[0] && (r[1] - p[1]).abs() <= 1e-9 * span[1]
            });
            if near && inside && !dup {
                roots.push(p);
            }
        }
    }
    roots.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    let fixed_points = roots
        .into_iter()
        .map(|p| {
            let j = jac(p);
            let (eigenvalues, kind) = classify(j);
            let mut out = [0.0; 2];
            net.transfer_outputs(t, &p, &mut out);
            let rates_hz = [0, 1].map(|k| match net.kinetics_of(k) {
                Kinetics::Leaky => p[k],
                Kinetics::Gating { .. } => out[k],
            });
            FixedPoint {
                state: p,
                eigenvalues,
                stable: eigenvalues.iter().all(|e| e.0 < 0.0),
                kind,
                rates_hz,
            }
        })
        .collect();

    let m = opts.arrows;
    let mut arrows = Vec::with_capacity(m * m);
    for &y in &axis(ranges[1], m) {
        for &x in &axis(ranges[0], m) {
            let d = field(x, y);
            arrows.push((x, y, d[0], d[1]));
        }
    }
    Ok(PhasePlane {
        names: [net.pops[0].name.clone(), net.pops[1].name.clone()],
        t_ms: t,
        ranges,
        fixed_points,
        nullclines,
        field: arrows,
    })
}

fn axis((lo, hi): (f64, f64), n: usize) -> Vec<f64> {
    (0..n)
        .map(|k| lo + (hi - lo) * k as f64 / (n - 1) as f64)
        .collect()
}

/// Newton's method on `field` from `p`; `None` if it does not converge in 60 steps.
fn newton(
    field: &impl Fn(f64, f64) -> [f64; 2],
    jac: &impl Fn([f64; 2]) -> [[f64; 2]; 2],
    mut p: [f64; 2],
    span: [f64; 2],
) -> Option<[f64; 2]> {
    for _ in 0..60 {
        let f = field(p[0], p[1]);
        let j = jac(p);
        let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
        if det == 0.0 || !det.is_finite() {
            return None;
        }
        let dx = (j[1][1] * f[0] - j[0][1] * f[1]) / det;
        let dy = (j[0][0] * f[1] - j[1][0] * f[0]) / det;
        p = [p[0] - dx, p[1] - dy];
        if !(p[0].is_finite() && p[1].is_finite()) {
            return None;
        }
        if dx.abs() <= 1e-15 * span[0].max(p[0].abs())
            && dy.abs() <= 1e-15 * span[1].max(p[1].abs())
        {
            break;
        }
    }
    let f = field(p[0], p[1]);
    (f[0].abs() <= 1e-13 * span[0].max(1.0) && f[1].abs() <= 1e-13 * span[1].max(1.0)).then_some(p)
}

/// Eigenvalues (per s) of a 2 × 2 Jacobian given per ms, and the kind of the point.
fn classify(j: [[f64; 2]; 2]) -> ([(f64, f64); 2], &'static str) {
    let tr = j[0][0] + j[1][1];
    let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
    let disc = tr * tr - 4.0 * det;
    let ev = if disc >= 0.0 {
        let s = disc.sqrt();
        // The larger root first; the smaller through det for accuracy.
        let l1 = if tr >= 0.0 {
            (tr + s) / 2.0
        } else {
            (tr - s) / 2.0
        };
        let l2 = if l1 != 0.0 { det / l1 } else { tr - l1 };
        let (a, b) = if l1 >= l2 { (l1, l2) } else { (l2, l1) };
        [(a, 0.0), (b, 0.0)]
    } else {
        let im = (-disc).sqrt() / 2.0;
        [(tr / 2.0, im), (tr / 2.0, -im)]
    };
    let kind = if ev.iter().any(|e| e.0.abs() < 1e-9 && e.1 == 0.0) {
        "degenerate"
    } else if det < 0.0 {
        "saddle"
    } else if tr < 0.0 {
        if disc < 0.0 {
            "stable focus"
        } else {
            "stable node"
        }
    } else if disc < 0.0 {
        "unstable focus"
    } else {
        "unstable node"
    };
    (ev.map(|(re, im)| (1e3 * re, 1e3 * im)), kind)
}

/// Zero contour of component `c` by marching squares.
fn contour(xs: &[f64], ys: &[f64], v: &[Vec<[f64; 2]>], c: usize) -> Vec<[(f64, f64); 2]> {
    let mut segs = Vec::new();
    let cross = |p: (f64, f64), q: (f64, f64), a: f64, b: f64| {
        let t = a / (a - b);
        (p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1))
    };
    for iy in 0..ys.len() - 1 {
        for ix in 0..xs.len() - 1 {
            // Corners counter-clockwise from bottom left.
            let pts = [
                (xs[ix], ys[iy]),
                (xs[ix + 1], ys[iy]),
                (xs[ix + 1], ys[iy + 1]),
                (xs[ix], ys[iy + 1]),
            ];
            let val = [
                v[iy][ix][c],
                v[iy][ix + 1][c],
                v[iy + 1][ix + 1][c],
                v[iy + 1][ix][c],
            ];
            let mut hits = Vec::with_capacity(4);
            for e in 0..4 {
                let (a, b) = (val[e], val[(e + 1) % 4]);
                if (a < 0.0) != (b < 0.0) {
                    hits.push(cross(pts[e], pts[(e + 1) % 4], a, b));
                }
            }
            match hits.len() {
                2 => segs.push([hits[0], hits[1]]),
                4 => {
                    // Saddle cell: pair by the sign at the centre.
                    let centre = val.iter().sum::<f64>() / 4.0;
                    if (centre < 0.0) == (val[0] < 0.0) {
                        segs.push([hits[0], hits[3]]);
                        segs.push([hits[1], hits[2]]);
                    } else {
                        segs.push([hits[0], hits[1]]);
                        segs.push([hits[2], hits[3]]);
                    }
                }
                _ => {}
            }
        }
    }
    segs
}

impl PhasePlane {
    /// The phase plane as one JSON object (`cortexsim phase-plane --json`, less its
    /// `plot`): `fixed_points: [{<var1>, <var2>, stable, kind, eigenvalues_per_s,
    /// rates_hz}]`, the nullclines as segments, the coarse vector field.
    pub fn to_json(&self, network: &str) -> Json {
        let [a, b] = &self.names;
        let fps: Vec<Json> = self
            .fixed_points
            .iter()
            .map(|f| {
                let mut m = Map::new();
                m.insert(a.clone(), json!(f.state[0]));
                m.insert(b.clone(), json!(f.state[1]));
                m.insert("stable".into(), json!(f.stable));
                m.insert("kind".into(), json!(f.kind));
                m.insert(
                    "eigenvalues_per_s".into(),
                    json!(f.eigenvalues.iter().map(|e| [e.0, e.1]).collect::<Vec<_>>()),
                );
                m.insert(
                    "rates_hz".into(),
                    json!({a.clone(): f.rates_hz[0], b.clone(): f.rates_hz[1]}),
                );
                Json::Object(m)
            })
            .collect();
        let segs = |s: &[[(f64, f64); 2]]| -> Json {
            s.iter()
                .map(|[p, q]| json!([[p.0, p.1], [q.0, q.1]]))
                .collect::<Vec<_>>()
                .into()
        };
        json!({
            "kind": "phase_plane",
            "network": network,
            "variables": self.names,
            "t_ms": self.t_ms,
            "ranges": self.ranges.map(|r| [r.0, r.1]),
            "fixed_points": fps,
            "nullclines": {a.clone(): segs(&self.nullclines[0]), b.clone(): segs(&self.nullclines[1])},
            "vector_field_per_ms": self.field.iter().map(|f| [f.0, f.1, f.2, f.3]).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortexsim_theory::rate::{RatePop, Transfer};

    /// A linear system with a known fixed point and eigenvalues.
    #[test]
    fn linear_system_has_its_one_fixed_point() {
        // tau da/dt = -a + (W a + I), threshold-linear at 0 with gain 1 and positive states.
        let pop = |name: &str| RatePop {
            name: name.into(),
            tau_ms: 10.0,
            transfer: Transfer::Linear,
            lower_clamp_hz: None,
            r0_hz: 0.0,
        };
        let mut net = RateNetwork::new(vec![pop("E"), pop("I")]);
        net.set_weight(0, 1, -0.5);
        net.set_weight(1, 0, 0.5);
        net.bias = vec![30.0, 10.0];
        // Fixed point: a = W a + I  =>  E = 30 - I/2, I = 10 + E/2  =>  E = 20, I = 20.
        let pp = phase_plane(&net, &PhasePlaneOptions::default()).unwrap();
        assert_eq!(pp.fixed_points.len(), 1);
        let f = &pp.fixed_points[0];
        assert!((f.state[0] - 20.0).abs() < 1e-9 && (f.state[1] - 20.0).abs() < 1e-9);
        // J = (W - 1)/tau: eigenvalues (-1 ± 0.5 i)/10 per ms = -100 ± 50 i per s.
        assert!(f.stable && f.kind == "stable focus");
        assert!((f.eigenvalues[0].0 + 100.0).abs() < 1e-5);
        assert!((f.eigenvalues[0].1.abs() - 50.0).abs() < 1e-5);
        assert!(!pp.nullclines[0].is_empty() && !pp.nullclines[1].is_empty());
    }

    #[test]
    fn refuses_other_than_two_variables() {
        let net = RateNetwork::new(vec![RatePop {
            name: "E".into(),
            tau_ms: 10.0,
            transfer: Transfer::Relu,
            lower_clamp_hz: None,
            r0_hz: 0.0,
        }]);
        let e = phase_plane(&net, &PhasePlaneOptions::default()).unwrap_err();
        assert!(e.to_string().contains("two-variable"), "{e}");
    }

    #[test]
    fn saddle_and_foci_are_classified() {
        assert_eq!(classify([[1.0, 0.0], [0.0, -1.0]]).1, "saddle");
        assert_eq!(classify([[-1.0, 2.0], [-2.0, -1.0]]).1, "stable focus");
        assert_eq!(classify([[-1.0, 0.0], [0.0, -2.0]]).1, "stable node");
        assert_eq!(classify([[1.0, 0.0], [0.0, 2.0]]).1, "unstable node");
    }
}
