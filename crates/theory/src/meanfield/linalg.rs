//! Small dense linear algebra for the mean-field solver: LU solve with partial
//! pivoting (Newton steps) and eigenvalues of a real non-symmetric matrix.
//!
//! Eigenvalues: the matrix is reduced to upper Hessenberg form by complex
//! Householder reflections, then the shifted QR algorithm is run on the
//! active block (Givens rotations, Wilkinson shift from the trailing 2x2
//! block, an exceptional shift every 10 iterations without deflation,
//! deflation when `|h_{k,k-1}| <= eps (|h_kk| + |h_{k-1,k-1}|)`). Working in
//! complex arithmetic makes a single-shift QR handle complex pairs of a real
//! matrix (Golub & Van Loan, Matrix Computations, §7.4–7.5). Sizes are the
//! number of populations (tens), so O(n^3) per sweep is irrelevant.

// Index loops over matrix rows/columns read like the textbook algorithms.
#![allow(clippy::needless_range_loop)]

use num_complex::Complex64;

/// Solves `a x = b` in place (Gaussian elimination, partial pivoting);
/// `None` if the matrix is numerically singular.
pub(crate) fn lu_solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    let scale = a
        .iter()
        .flatten()
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    for k in 0..n {
        let piv = (k..n).max_by(|&i, &j| a[i][k].abs().total_cmp(&a[j][k].abs()))?;
        if a[piv][k].abs() <= 1e-14 * scale {
            return None;
        }
        a.swap(k, piv);
        b.swap(k, piv);
        for i in k + 1..n {
            let f = a[i][k] / a[k][k];
            if f != 0.0 {
                for j in k..n {
                    a[i][j] -= f * a[k][j];
                }
                b[i] -= f * b[k];
            }
        }
    }
    let mut x = vec![0.0; n];
    for k in (0..n).rev() {
        let s: f64 = (k + 1..n).map(|j| a[k][j] * x[j]).sum();
        x[k] = (b[k] - s) / a[k][k];
    }
    Some(x)
}

/// Eigenvalues of the real square matrix `m` (rows), in no particular order.
pub(crate) fn eigenvalues(m: &[Vec<f64>]) -> Vec<Complex64> {
    let n = m.len();
    let mut h: Vec<Vec<Complex64>> = m
        .iter()
        .map(|r| r.iter().map(|&v| Complex64::new(v, 0.0)).collect())
        .collect();
    // Householder reduction to upper Hessenberg form
    for k in 0..n.saturating_sub(2) {
        let norm: f64 = (k + 1..n).map(|i| h[i][k].norm_sqr()).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        let x0 = h[k + 1][k];
        let phase = if x0.norm() > 0.0 {
            x0 / x0.norm()
        } else {
            Complex64::new(1.0, 0.0)
        };
        let alpha = -phase * norm;
        let mut v: Vec<Complex64> = (k + 1..n).map(|i| h[i][k]).collect();
        v[0] -= alpha;
        let vn: f64 = v.iter().map(|c| c.norm_sqr()).sum::<f64>().sqrt();
        if vn == 0.0 {
            continue;
        }
        for c in v.iter_mut() {
            *c /= vn;
        }
        // H <- (I - 2 v v*) H
        for j in 0..n {
            let s: Complex64 = (0..v.len()).map(|i| v[i].conj() * h[k + 1 + i][j]).sum();
            for i in 0..v.len() {
                h[k + 1 + i][j] -= v[i] * s * 2.0;
            }
        }
        // H <- H (I - 2 v v*)
        for row in h.iter_mut() {
            let s: Complex64 = (0..v.len()).map(|i| row[k + 1 + i] * v[i]).sum();
            for i in 0..v.len() {
                row[k + 1 + i] -= s * v[i].conj() * 2.0;
            }
        }
    }
    let mut eig = Vec::with_capacity(n);
    if n == 0 {
        return eig;
    }
    let mut hi = n - 1;
    let mut iter = 0usize;
    loop {
        if hi == 0 {
            eig.push(h[0][0]);
            break;
        }
        // find the active block [lo, hi]
        let mut lo = hi;
        while lo > 0 {
            let s = h[lo][lo].norm() + h[lo - 1][lo - 1].norm();
            if h[lo][lo - 1].norm() <= f64::EPSILON * s.max(f64::MIN_POSITIVE) {
                h[lo][lo - 1] = Complex64::new(0.0, 0.0);
                break;
            }
            lo -= 1;
        }
        if lo == hi {
            eig.push(h[hi][hi]);
            hi -= 1;
            iter = 0;
            continue;
        }
        iter += 1;
        assert!(iter < 10_000, "QR iteration did not converge");
        // Wilkinson shift: eigenvalue of the trailing 2x2 closest to h[hi][hi]
        let (a, b, c, d) = (h[hi - 1][hi - 1], h[hi - 1][hi], h[hi][hi - 1], h[hi][hi]);
        let tr = a + d;
        let det = a * d - b * c;
        let disc = (tr * tr * 0.25 - det).sqrt();
        let (l1, l2) = (tr * 0.5 + disc, tr * 0.5 - disc);
        let mut mu = if (l1 - d).norm() < (l2 - d).norm() {
            l1
        } else {
            l2
        };
        if iter.is_multiple_of(10) {
            mu = d + Complex64::new(h[hi][hi - 1].norm(), 0.0) * 0.75;
        }
        // QR step on the block: H - mu I = Q R, H <- R Q + mu I
        for k in lo..=hi {
            h[k][k] -= mu;
        }
        let mut rots = Vec::with_capacity(hi - lo);
        for k in lo..hi {
            let (x, y) = (h[k][k], h[k + 1][k]);
            let r = (x.norm_sqr() + y.norm_sqr()).sqrt();
            let (cs, sn) = if r == 0.0 {
                (Complex64::new(1.0, 0.0), Complex64::new(0.0, 0.0))
            } else {
                (x / r, y / r)
            };
            // G = [[cs*, sn*], [-sn, cs]] applied to rows k, k+1
            for j in k..=hi {
                let (p, q) = (h[k][j], h[k + 1][j]);
                h[k][j] = cs.conj() * p + sn.conj() * q;
                h[k + 1][j] = -sn * p + cs * q;
            }
            rots.push((cs, sn));
        }
        for (idx, k) in (lo..hi).enumerate() {
            let (cs, sn) = rots[idx];
            // right-multiply by G* on columns k, k+1
            for i in lo..=(k + 1).min(hi) {
                let (p, q) = (h[i][k], h[i][k + 1]);
                h[i][k] = p * cs + q * sn;
                h[i][k + 1] = -p * sn.conj() + q * cs.conj();
            }
        }
        for k in lo..=hi {
            h[k][k] += mu;
        }
    }
    eig
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut v: Vec<Complex64>) -> Vec<Complex64> {
        v.sort_by(|a, b| a.re.total_cmp(&b.re).then(a.im.total_cmp(&b.im)));
        v
    }

    #[test]
    fn lu_solves_and_detects_singularity() {
        let a = vec![
            vec![0.0, 2.0, 1.0],
            vec![1.0, 1.0, 0.0],
            vec![3.0, 0.0, 1.0],
        ];
        let x = lu_solve(a.clone(), vec![5.0, 3.0, 6.0]).unwrap();
        for (i, row) in a.iter().enumerate() {
            let s: f64 = row.iter().zip(&x).map(|(r, v)| r * v).sum();
            assert!((s - [5.0, 3.0, 6.0][i]).abs() < 1e-14);
        }
        assert!(lu_solve(vec![vec![1.0, 2.0], vec![2.0, 4.0]], vec![1.0, 1.0]).is_none());
    }

    #[test]
    fn eigenvalues_of_known_matrices() {
        // sizes 0, 1
        assert!(eigenvalues(&[]).is_empty());
        assert_eq!(eigenvalues(&[vec![3.5]]), vec![Complex64::new(3.5, 0.0)]);
        // rotation: +-i
        let e = sorted(eigenvalues(&[vec![0.0, -1.0], vec![1.0, 0.0]]));
        assert!(
            (e[0] - Complex64::new(0.0, -1.0)).norm() < 1e-14
                && (e[1] - Complex64::new(0.0, 1.0)).norm() < 1e-14
        );
        // companion matrix of (x-1)(x-2)(x-3)(x^2+1)(x+5) = x^6 - x^5 - 18x^4 + 42x^3 - 47x^2 + 41x - 30... built from roots
        let roots = [
            Complex64::new(1.0, 0.0),
            Complex64::new(2.0, 0.0),
            Complex64::new(3.0, 0.0),
            Complex64::new(0.0, 1.0),
            Complex64::new(0.0, -1.0),
            Complex64::new(-5.0, 0.0),
        ];
        let mut coef = vec![Complex64::new(1.0, 0.0)]; // monic, highest first
        for r in roots {
            let mut next = coef.clone();
            next.push(Complex64::new(0.0, 0.0));
            for i in 1..next.len() {
                next[i] -= r * coef[i - 1];
            }
            coef = next;
        }
        let n = roots.len();
        let mut comp = vec![vec![0.0; n]; n];
        for j in 0..n {
            comp[0][j] = -coef[j + 1].re;
        }
        for i in 1..n {
            comp[i][i - 1] = 1.0;
        }
        let mut got = eigenvalues(&comp);
        assert_eq!(got.len(), n);
        for w in roots {
            // match each root to its nearest computed eigenvalue, then remove it
            let (i, d) = got
                .iter()
                .enumerate()
                .map(|(i, g)| (i, (g - w).norm()))
                .fold((0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
            assert!(d < 1e-9, "root {w}: nearest eigenvalue at distance {d}");
            got.remove(i);
        }
    }

    #[test]
    fn eigenvalue_sum_and_product_match_trace_and_determinant() {
        // deterministic pseudo-random 7x7 (prime size)
        let n = 7;
        let mut s = 12345u64;
        let mut rnd = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let m: Vec<Vec<f64>> = (0..n).map(|_| (0..n).map(|_| rnd()).collect()).collect();
        let e = eigenvalues(&m);
        let tr: f64 = (0..n).map(|i| m[i][i]).sum();
        let sum: Complex64 = e.iter().sum();
        assert!((sum - tr).norm() < 1e-12, "{sum} vs {tr}");
        // determinant by elimination
        let mut a = m.clone();
        let mut det = 1.0;
        for k in 0..n {
            let p = (k..n)
                .max_by(|&i, &j| a[i][k].abs().total_cmp(&a[j][k].abs()))
                .unwrap();
            if p != k {
                a.swap(p, k);
                det = -det;
            }
            det *= a[k][k];
            for i in k + 1..n {
                let f = a[i][k] / a[k][k];
                for j in k..n {
                    a[i][j] -= f * a[k][j];
                }
            }
        }
        let prod: Complex64 = e.iter().product();
        assert!(
            (prod - det).norm() < 1e-12 * det.abs().max(1e-3),
            "{prod} vs {det}"
        );
    }
}
