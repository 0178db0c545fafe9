//! Agreement of two binary classifications of the same items: the 2×2 contingency
//! table, Pearson's χ² test of independence (one degree of freedom, no continuity
//! correction — what MATLAB's `crosstab` gives, used by Froudist-Walsh et al. 2021 to
//! compare the areas with delay activity in their model with the experimental map),
//! Fisher's exact test (two-sided) and the percent agreement.
//!
//! ```text
//!                  experiment +   experiment −
//!   model +            a              b
//!   model −            c              d              N = a + b + c + d
//!
//! χ²  = N (a d − b c)² / ((a + b)(c + d)(a + c)(b + d))     (0 where a margin is 0)
//! p_χ² = P(χ²₁ ≥ χ²) = erfc(√(χ²/2))
//! p_Fisher = Σ P(table) over the tables with the same margins and P(table) ≤ P(observed)
//!            (hypergeometric; ≤ with a relative tolerance of 1e-7, as R's fisher.test)
//! agreement = (a + d)/N
//! ```

use errorfunctions::RealErrorFunctions;
use serde::{Deserialize, Serialize};

/// A 2×2 table of counts (see the module docs for the layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table2x2 {
    /// Positive in both.
    pub both: u64,
    /// Positive in the first (model) only.
    pub first_only: u64,
    /// Positive in the second (experiment) only.
    pub second_only: u64,
    /// Negative in both.
    pub neither: u64,
}

/// The statistics of a [`Table2x2`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub table: Table2x2,
    /// Items compared (`N`).
    pub n: u64,
    /// `(a + d)/N`, in percent.
    pub percent_agreement: f64,
    /// Pearson χ² (one degree of freedom, no continuity correction).
    pub chi2: f64,
    /// Its p-value.
    pub p_chi2: f64,
    /// Fisher's exact test, two-sided.
    pub p_fisher: f64,
}

impl Table2x2 {
    /// Count the pairs `(first, second)`.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (bool, bool)>) -> Self {
        let mut t = Table2x2 {
            both: 0,
            first_only: 0,
            second_only: 0,
            neither: 0,
        };
        for (x, y) in pairs {
            match (x, y) {
                (true, true) => t.both += 1,
                (true, false) => t.first_only += 1,
                (false, true) => t.second_only += 1,
                (false, false) => t.neither += 1,
            }
        }
        t
    }

    /// Number of items.
    pub fn n(&self) -> u64 {
        self.both + self.first_only + self.second_only + self.neither
    }

    /// Pearson χ² without continuity correction; 0 when a margin is empty (the test is
    /// then undefined and nothing is associated).
    pub fn chi2(&self) -> f64 {
        let [a, b, c, d] =
            [self.both, self.first_only, self.second_only, self.neither].map(|v| v as f64);
        let den = (a + b) * (c + d) * (a + c) * (b + d);
        if den == 0.0 {
            return 0.0;
        }
        let n = a + b + c + d;
        n * (a * d - b * c).powi(2) / den
    }

    /// Two-sided p-value of Fisher's exact test.
    pub fn fisher_two_sided(&self) -> f64 {
        let (a, b, c) = (self.both, self.first_only, self.second_only);
        let (r1, c1, n) = (a + b, a + c, self.n());
        let ln_fact = |k: u64| (2..=k).map(|i| (i as f64).ln()).sum::<f64>();
        // ln P(x) for the table with x in the "both" cell and the same margins.
        let fixed = ln_fact(r1) + ln_fact(n - r1) + ln_fact(c1) + ln_fact(n - c1) - ln_fact(n);
        let ln_p = |x: u64| {
            fixed - ln_fact(x) - ln_fact(r1 - x) - ln_fact(c1 - x) - ln_fact(n - r1 - c1 + x)
        };
        let lo = (r1 + c1).saturating_sub(n);
        let hi = r1.min(c1);
        let observed = ln_p(a);
        let p: f64 = (lo..=hi)
            .map(ln_p)
            .filter(|&l| l <= observed + 1e-7)
            .map(f64::exp)
            .sum();
        p.min(1.0)
    }

    /// Every statistic of the table.
    pub fn agreement(&self) -> Agreement {
        let n = self.n();
        let chi2 = self.chi2();
        Agreement {
            table: *self,
            n,
            percent_agreement: if n == 0 {
                f64::NAN
            } else {
                100.0 * (self.both + self.neither) as f64 / n as f64
            },
            chi2,
            p_chi2: RealErrorFunctions::erfc((chi2 / 2.0).sqrt()),
            p_fisher: if n == 0 { 1.0 } else { self.fisher_two_sided() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(a: u64, b: u64, c: u64, d: u64) -> Table2x2 {
        Table2x2 {
            both: a,
            first_only: b,
            second_only: c,
            neither: d,
        }
    }

    #[test]
    fn chi2_and_fisher_against_hand_computed_values() {
        // a = 8, b = 1, c = 2, d = 6, N = 17:
        // χ² = 17 (48 − 2)² / (9 · 8 · 10 · 7) = 35972/5040 = 7.137301587…
        // p = erfc(√(χ²/2)) = 0.0075497…
        // Fisher: margins r1 = 9, c1 = 10; P(x) = C(10,x) C(7,9−x)/C(17,9), x = 2..9;
        // C(17,9) = 24310; P(8) = 45·7/24310, P(9) = 10/24310, P(2) = 45/24310,
        // P(3) = 120·7/24310 = 840/24310 > P(8) = 315/24310; so the tables at least as
        // extreme as x = 8 are x = 2, 8, 9: (45 + 315 + 10)/24310 = 370/24310.
        let a = t(8, 1, 2, 6).agreement();
        assert_eq!(a.n, 17);
        assert!((a.chi2 - 35972.0 / 5040.0).abs() < 1e-12, "{}", a.chi2);
        assert!((a.p_chi2 - 0.007_549_7).abs() < 1e-6, "{}", a.p_chi2);
        assert!(
            (a.p_fisher - 370.0 / 24310.0).abs() < 1e-12,
            "{}",
            a.p_fisher
        );
        assert!((a.percent_agreement - 100.0 * 14.0 / 17.0).abs() < 1e-12);
    }

    #[test]
    fn independent_and_degenerate_tables() {
        // Proportional rows: no association.
        let a = t(2, 2, 4, 4).agreement();
        assert_eq!(a.chi2, 0.0);
        assert!((a.p_chi2 - 1.0).abs() < 1e-15);
        assert!((a.p_fisher - 1.0).abs() < 1e-12);
        // A model that calls everything persistent: a margin is empty.
        let a = t(5, 3, 0, 0).agreement();
        assert_eq!(a.chi2, 0.0);
        assert!((a.p_fisher - 1.0).abs() < 1e-12);
        assert!((a.percent_agreement - 62.5).abs() < 1e-12);
    }

    #[test]
    fn counts_pairs() {
        let tb = Table2x2::from_pairs([(true, true), (true, false), (false, false), (true, true)]);
        assert_eq!(tb, t(2, 1, 0, 1));
    }
}
