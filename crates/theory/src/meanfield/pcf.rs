//! Scaled parabolic cylinder function `V(a, y) = e^{y^2/4} U(a, y)` for complex
//! order `a` and real argument `y` (U as in DLMF 12.2, A&S 19.12.3 = mpmath
//! `pcfu`, which NNMT uses), together with `dV/dy`.
//!
//! NNMT's `Psi_z(x) = e^{x^2/4} U(z, -x)` is `V(z, -x)`, and
//! `Psi'_z(x) = (z + 1/2) Psi_{z+1}(x) = -V'(z, -x)` (DLMF 12.8.2).
//!
//! Method. Substituting `U = e^{-y^2/4} V` in Weber's equation
//! `U'' = (y^2/4 + a) U` gives
//! ```text
//! V'' = y V' + (a + 1/2) V
//! ```
//! 1. For large `y` the asymptotic series (DLMF 12.9.1)
//!    `V ~ y^{-a-1/2} Sum_s (-1)^s (a+1/2)_{2s} / (s! (2y^2)^s)` is summed until
//!    its terms drop below 1e-17 of the sum; the starting point `Y0` is raised
//!    until that happens before the terms start to grow.
//! 2. From `Y0` the ODE is integrated downwards with a Taylor-series method
//!    (exact recurrence for the polynomial coefficients:
//!    `c_{n+2} = [y0 (n+1) c_{n+1} + (n + a + 1/2) c_n] / ((n+1)(n+2))`), step
//!    `h = 1/(1 + |y0| + sqrt|a + 1/2|)`, series summed to 1e-18 relative.
//!    U is the recessive solution for y -> +inf, so integrating towards smaller
//!    y is the numerically stable direction (the other solution decays
//!    relative to it); for y -> -inf U is dominant, again stable.
//! 3. The state is kept as `e^{log_scale} (V, V')` so that `|V| ~ e^{y^2/2}`
//!    for large negative y cannot overflow.
//!
//! Checked (unit tests) against closed forms for real orders:
//! `a = -1/2: V = 1`; `a = -3/2: V = y`; `a = 1/2: V = sqrt(pi/2) erfcx(y/sqrt 2)`.

use num_complex::Complex64;

/// `e^{log_scale} * (v, dv)` with `v = V(a, y)`, `dv = dV/dy`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScaledV {
    pub v: Complex64,
    pub dv: Complex64,
    pub log_scale: f64,
}

/// Asymptotic series at `y > 0`; `None` if it does not converge to 1e-17.
fn asymptotic(a: Complex64, y: f64) -> Option<(Complex64, Complex64)> {
    let b = a + 0.5;
    let inv2y2 = 0.5 / (y * y);
    let mut term = Complex64::new(1.0, 0.0);
    let mut s = term;
    let mut ds = Complex64::new(0.0, 0.0); // d/dy of Sum_s t_s (y^{-2s} dependence)
    let mut converged = false;
    for k in 0..2000 {
        let kf = k as f64;
        let next = -term * (b + 2.0 * kf) * (b + 2.0 * kf + 1.0) * inv2y2 / (kf + 1.0);
        let nn = next.norm();
        s += next;
        ds += next * (-2.0 * (kf + 1.0) / y);
        if nn <= 1e-17 * s.norm() {
            converged = true;
            break;
        }
        if nn > term.norm() && k > 0 {
            return None;
        }
        term = next;
    }
    if !converged {
        return None;
    }
    let pw = (-b * y.ln()).exp(); // y^{-a-1/2}
    Some((pw * s, pw * (ds - b / y * s)))
}

/// One Taylor step of `V'' = y V' + b V` from `y0` by `h`.
fn taylor_step(
    b: Complex64,
    y0: f64,
    h: f64,
    v: Complex64,
    dv: Complex64,
) -> (Complex64, Complex64) {
    // d_n = c_n h^n
    let mut d0 = v;
    let mut d1 = dv * h;
    let mut sv = d0 + d1;
    let mut sdv = d1; // Sum n d_n  (= h V'(y0+h))
    let scale = v.norm() + (dv * h).norm();
    let mut small = 0;
    for n in 0..400 {
        let nf = n as f64;
        let d2 = (d1 * (y0 * h * (nf + 1.0)) + d0 * (b + nf) * (h * h)) / ((nf + 1.0) * (nf + 2.0));
        sv += d2;
        sdv += d2 * (nf + 2.0);
        if d2.norm() <= 1e-18 * scale.max(sv.norm()) {
            small += 1;
            if small >= 2 {
                break;
            }
        } else {
            small = 0;
        }
        d0 = d1;
        d1 = d2;
    }
    (sv, sdv / h)
}

/// `V(a, y)` and `V'(a, y)` at every `y` of `ys`; results in the order of `ys`.
pub(crate) fn scaled_v(a: Complex64, ys: &[f64]) -> Vec<ScaledV> {
    let b = a + 0.5;
    let mut out = vec![
        ScaledV {
            v: Complex64::new(0.0, 0.0),
            dv: Complex64::new(0.0, 0.0),
            log_scale: 0.0
        };
        ys.len()
    ];
    // starting point of the downward integration
    let mut y0 = 6.0f64.max(2.0 * b.norm().sqrt() + 4.0);
    let start = loop {
        if let Some(s) = asymptotic(a, y0) {
            break s;
        }
        y0 *= 1.25;
        assert!(
            y0 < 1e8,
            "parabolic cylinder asymptotics failed for a = {a}"
        );
    };
    let mut order: Vec<usize> = (0..ys.len()).collect();
    order.sort_by(|&i, &j| ys[j].total_cmp(&ys[i])); // descending y
    let (mut y, mut v, mut dv, mut ls) = (y0, start.0, start.1, 0.0f64);
    let sb = b.norm().sqrt();
    for &i in &order {
        let target = ys[i];
        assert!(
            target.is_finite(),
            "parabolic cylinder argument must be finite"
        );
        if target >= y0 {
            let (tv, tdv) = asymptotic(a, target).expect("asymptotic series converges beyond Y0");
            out[i] = ScaledV {
                v: tv,
                dv: tdv,
                log_scale: 0.0,
            };
            continue;
        }
        while y > target {
            let h = (1.0 / (1.0 + y.abs() + sb)).min(y - target);
            let (nv, ndv) = taylor_step(b, y, -h, v, dv);
            v = nv;
            dv = ndv;
            y -= h;
            if y - target < 1e-14 * (1.0 + target.abs()) {
                y = target;
            }
            let mag = v.norm().max(dv.norm());
            if mag > 1e100 || (mag < 1e-100 && mag > 0.0) {
                v /= mag;
                dv /= mag;
                ls += mag.ln();
            }
        }
        out[i] = ScaledV {
            v,
            dv,
            log_scale: ls,
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use errorfunctions::RealErrorFunctions;

    fn val(s: &ScaledV) -> (Complex64, Complex64) {
        let f = s.log_scale.exp();
        (s.v * f, s.dv * f)
    }

    #[test]
    fn closed_forms_for_real_orders() {
        let ys = [40.0, 12.0, 3.3, 0.7, 0.0, -0.4, -2.5, -6.0, -9.0];
        // a = -1/2: V = 1 (b = 0 makes every Taylor coefficient beyond c_0 vanish,
        // so this is exact even where V is subdominant)
        for (y, s) in ys.iter().zip(scaled_v(Complex64::new(-0.5, 0.0), &ys)) {
            let (v, dv) = val(&s);
            assert!(
                (v - 1.0).norm() < 1e-13 && dv.norm() < 1e-13,
                "y {y}: {v} {dv}"
            );
        }
        // a = -3/2: V = y. For y < 0 this V is the *subdominant* solution
        // (1/Gamma(a + 1/2) = 0 kills the e^{y^2/2} part), so rounding errors
        // grow like e^{y^2/2}: an ill-conditioned case, checked only for y > -3.
        // (For a = -1/2 + i w, w > 0, the relative error is ~ eps/w instead.)
        let ys_sub: Vec<f64> = ys.iter().copied().filter(|&y| y > -3.0).collect();
        for (y, s) in ys_sub
            .iter()
            .zip(scaled_v(Complex64::new(-1.5, 0.0), &ys_sub))
        {
            let (v, dv) = val(&s);
            assert!(
                (v - y).norm() < 1e-12 * (1.0 + y.abs()) && (dv - 1.0).norm() < 1e-12,
                "y {y}: {v} {dv}"
            );
        }
        // a = 1/2: V = sqrt(pi/2) erfcx(y/sqrt2), V' = y V - 1
        let c = (std::f64::consts::PI / 2.0).sqrt();
        for (y, s) in ys.iter().zip(scaled_v(Complex64::new(0.5, 0.0), &ys)) {
            let (v, dv) = val(&s);
            let want = c * (y / std::f64::consts::SQRT_2).erfcx();
            assert!((v - want).norm() < 1e-13 * want, "y {y}: {v} vs {want}");
            let dwant = y * want - 1.0;
            assert!(
                (dv - dwant).norm() < 1e-12 * (1.0 + dwant.abs()),
                "y {y}: {dv} vs {dwant}"
            );
        }
    }

    #[test]
    fn large_negative_argument_does_not_overflow() {
        // a = 1/2: V(-40) = sqrt(pi/2) erfcx(-40/sqrt2) ~ sqrt(2 pi) e^{800}
        let s = scaled_v(Complex64::new(0.5, 0.0), &[-40.0])[0];
        let ln_want = (2.0 * std::f64::consts::PI).sqrt().ln() + 800.0;
        let ln_got = s.v.norm().ln() + s.log_scale;
        assert!((ln_got - ln_want).abs() < 1e-10, "{ln_got} vs {ln_want}");
    }

    #[test]
    fn satisfies_the_ode_for_complex_order() {
        // V'' = y V' + b V checked by central differences of V' at a few points.
        let a = Complex64::new(-0.5, 3.7);
        let b = a + 0.5;
        for &y in &[2.0, 0.3, -1.5] {
            let h = 1e-4;
            let s = scaled_v(a, &[y + h, y, y - h]);
            let (_, dp) = val(&s[0]);
            let (v, dv) = val(&s[1]);
            let (_, dm) = val(&s[2]);
            let d2 = (dp - dm) / (2.0 * h);
            let rhs = dv * y + b * v;
            assert!(
                (d2 - rhs).norm() < 1e-6 * rhs.norm().max(1.0),
                "y {y}: {d2} vs {rhs}"
            );
        }
    }
}
