//! Gauss–Legendre quadrature on graded panels, used by the Siegert, ISI-CV and
//! related integrals.
//!
//! All integrands met in this module are analytic on the real axis (erfcx,
//! erf, exponentials), so a fixed 20-point Gauss–Legendre rule per panel is
//! accurate to ~1e-16 relative as long as the integrand changes by at most a
//! modest factor across a panel. Panels are therefore *graded*: they start
//! with width `w0` at the end of the interval where the integrand varies
//! fastest (or carries most of its mass) and double in width away from it.
//!
//! Nodes are computed once (Newton iteration on P_20, Golub–Welsch is not
//! needed for n = 20) and cached in a `OnceLock`.

use std::sync::OnceLock;

/// Number of Gauss–Legendre points per panel.
const GL_N: usize = 20;

/// Nodes on [-1, 1] and weights of the 20-point Gauss–Legendre rule.
fn gl_rule() -> &'static ([f64; GL_N], [f64; GL_N]) {
    static RULE: OnceLock<([f64; GL_N], [f64; GL_N])> = OnceLock::new();
    RULE.get_or_init(|| {
        let n = GL_N;
        let mut x = [0.0; GL_N];
        let mut w = [0.0; GL_N];
        for i in 0..n {
            // Chebyshev-like initial guess, then Newton on P_n.
            let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
            let mut dp = 0.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, z);
                for k in 2..=n {
                    let kf = k as f64;
                    let p2 = ((2.0 * kf - 1.0) * z * p1 - (kf - 1.0) * p0) / kf;
                    p0 = p1;
                    p1 = p2;
                }
                // p1 = P_n(z), p0 = P_{n-1}(z)
                dp = n as f64 * (z * p1 - p0) / (z * z - 1.0);
                let dz = p1 / dp;
                z -= dz;
                if dz.abs() < 1e-16 {
                    break;
                }
            }
            x[i] = z;
            w[i] = 2.0 / ((1.0 - z * z) * dp * dp);
        }
        (x, w)
    })
}

/// Integral of `f` over one panel `[a, b]` with the 20-point rule.
pub(crate) fn gl_panel<F: FnMut(f64) -> f64>(f: &mut F, a: f64, b: f64) -> f64 {
    let (x, w) = gl_rule();
    let half = 0.5 * (b - a);
    let mid = 0.5 * (a + b);
    let mut s = 0.0;
    for i in 0..GL_N {
        s += w[i] * f(mid + half * x[i]);
    }
    s * half
}

/// Which end of the interval the panels are refined towards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Toward {
    /// Finest panel at the lower limit `a`.
    Lower,
    /// Finest panel at the upper limit `b`.
    Upper,
}

/// Integral of `f` over `[a, b]` (`a <= b`) on panels graded towards one end:
/// the first panel has width `w0`, every following one twice the previous.
pub(crate) fn integrate_graded<F: FnMut(f64) -> f64>(
    mut f: F,
    a: f64,
    b: f64,
    w0: f64,
    toward: Toward,
) -> f64 {
    if a.is_nan() || b.is_nan() || b <= a {
        return 0.0;
    }
    let mut w = w0.max((b - a) * 1e-300).min(b - a);
    let mut s = 0.0;
    match toward {
        Toward::Lower => {
            let mut lo = a;
            while lo < b {
                let hi = if b - lo <= 1.5 * w { b } else { lo + w };
                s += gl_panel(&mut f, lo, hi);
                lo = hi;
                w *= 2.0;
            }
        }
        Toward::Upper => {
            let mut hi = b;
            while hi > a {
                let lo = if hi - a <= 1.5 * w { a } else { hi - w };
                s += gl_panel(&mut f, lo, hi);
                hi = lo;
                w *= 2.0;
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_sum_to_two_and_nodes_symmetric() {
        let (x, w) = gl_rule();
        let sw: f64 = w.iter().sum();
        assert!((sw - 2.0).abs() < 1e-14, "sum of weights {sw}");
        for i in 0..GL_N {
            assert!((x[i] + x[GL_N - 1 - i]).abs() < 1e-14);
        }
    }

    #[test]
    fn polynomials_up_to_degree_39_exact() {
        for deg in [0_i32, 1, 7, 20, 39] {
            let got = integrate_graded(|t| t.powi(deg), 0.0, 1.0, 1.0, Toward::Lower);
            let want = 1.0 / (deg as f64 + 1.0);
            assert!(
                (got - want).abs() < 1e-14 * want.max(1.0),
                "deg {deg}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn graded_panels_integrate_peaked_exponential() {
        // Int_0^50 exp(-100 t) dt = (1 - e^{-5000})/100, mass concentrated at 0;
        // doubling panels keep the relative error near 1e-14.
        let got = integrate_graded(|t| (-100.0 * t).exp(), 0.0, 50.0, 0.005, Toward::Lower);
        assert!((got - 0.01).abs() < 1e-15, "{got}");
        let got = integrate_graded(
            |t| (100.0 * (t - 50.0)).exp(),
            0.0,
            50.0,
            0.005,
            Toward::Upper,
        );
        assert!((got - 0.01).abs() < 1e-15, "{got}");
    }
}
