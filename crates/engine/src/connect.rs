//! Connection rules and weight/delay distributions, drawn per target neuron.
//!
//! All synapses onto one target neuron of one projection come from the stream
//! `(seed, CONNECT, projection, target gid)`: the network is the same for any thread
//! count and any partitioning, and a partition can generate exactly its own targets'
//! synapses, twice if needed (the builder does: a counting pass, then a filling pass,
//! so the CSR is written in place without a temporary triplet list).
//!
//! Rules (NEST names and semantics):
//! - `fixed_indegree`: each target draws `indegree` sources uniformly (distinct unless
//!   `multapses`; the target itself excluded unless `autapses`);
//! - `pairwise_bernoulli`: each (source, target) pair independently with `p`
//!   (geometric skipping: cost proportional to the synapses made, not to `N_src`);
//! - `fixed_total_number`: the per-target counts are one multinomial draw of `n` over
//!   the targets (stream `(seed, TOTAL_NUMBER, projection)`), then each target draws
//!   its sources as for `fixed_indegree`;
//! - `one_to_one`, `all_to_all`;
//! - `from_list`: the listed sources of each target in the given order, with listed
//!   weights and delays where the list has them (else drawn as for any rule).
//!
//! Rules drawn per **source** ([`RowPlan`]): a source's whole row over the target
//! population comes from the stream `(seed, ROW, projection, source gid-in-population)`,
//! so any partition of the target population can regenerate it and keep its own
//! targets. Procedural projections (`storage = "procedural"`) do this at every spike
//! (nothing stored per synapse); stored `fixed_outdegree` projections do it once, at the
//! build. Rules:
//! - `fixed_outdegree`: each source draws `outdegree` targets (distinct unless
//!   `multapses`; itself excluded unless `autapses`);
//! - `fixed_total_number` (procedural): the per-source out-degrees are one multinomial
//!   draw of `n` over the sources (stream `(seed, OUT_DEGREES, projection)`, stored, 4
//!   bytes per source), then each source draws its targets as for `fixed_outdegree` —
//!   every synapse has a uniform source and a uniform target, as NEST's rule;
//! - `pairwise_bernoulli` (procedural): each (source, target) pair with `p`, geometric
//!   skipping along the source's row.

use crate::rng::{Rng, purpose, stream};
use cortexsim_spec::{ConnectionList, Dist, Rule};
use rand::RngExt;
use rand_distr::{Binomial, Distribution, Hypergeometric, StandardNormal};
use std::sync::Arc;

/// Everything needed to draw one projection's synapses, with ids local to the populations.
#[derive(Debug, Clone)]
pub struct ProjPlan {
    pub index: usize,
    pub n_src: u32,
    pub n_tgt: u32,
    pub tgt_first_gid: u32,
    pub rule: Rule,
    pub autapses: bool,
    pub multapses: bool,
    /// Source and target are the same population.
    pub same: bool,
    pub weight: Dist,
    pub delay: Dist,
    pub dt: f64,
    /// Per-target counts for `fixed_total_number`.
    pub counts: Option<Vec<u32>>,
    /// The list of `from_list`.
    pub list: Option<Arc<ConnectionList>>,
}

/// Scratch memory reused across targets (a bitmap over sources).
#[derive(Debug, Default)]
pub struct Scratch {
    bits: Vec<u64>,
    chosen: Vec<u32>,
}

/// Draw from a distribution (bounds by redrawing, as NEST's `redraw`).
#[inline]
pub fn sample(d: &Dist, rng: &mut Rng) -> f64 {
    match *d {
        Dist::Const { value } => value,
        Dist::Uniform { low, high } => low + (high - low) * rng.random::<f64>(),
        Dist::Normal {
            mean,
            std,
            min,
            max,
        } => loop {
            let z: f64 = StandardNormal.sample(rng);
            let x = mean + std * z;
            if x >= min && x <= max {
                return x;
            }
        },
        Dist::Lognormal {
            mu,
            sigma,
            min,
            max,
        } => loop {
            let z: f64 = StandardNormal.sample(rng);
            let x = (mu + sigma * z).exp();
            if x >= min && x <= max {
                return x;
            }
        },
    }
}

/// `n` synapses split among `m` entities (targets or sources) that each have `avail`
/// possible partners: multinomial with multapses (sequential conditional binomials),
/// multivariate hypergeometric without (no entity gets more than `avail`).
fn split_counts(mut rng: Rng, n: u64, m: u32, avail: u32, multapses: bool) -> Vec<u32> {
    let mut left = n;
    let mut out = Vec::with_capacity(m as usize);
    for j in 0..m {
        let remaining = (m - j) as u64;
        let c = if left == 0 {
            0
        } else if j + 1 == m {
            left
        } else if multapses {
            Binomial::new(left, 1.0 / remaining as f64)
                .map(|b| b.sample(&mut rng))
                .unwrap_or(0)
        } else {
            let pairs = remaining * avail as u64;
            Hypergeometric::new(pairs, avail as u64, left)
                .map(|h| h.sample(&mut rng))
                .unwrap_or(0)
        };
        left -= c;
        out.push(c.min(u32::MAX as u64) as u32);
    }
    out
}

/// `k` partners among `avail` (indices `0..avail`), handed to `emit` with the stream:
/// with multapses `k` uniform draws; without, `k` distinct ones — by rejection with a
/// bitmap (in draw order) when `k ≤ avail / 2`, else by selection sampling (Knuth's
/// Algorithm S, in increasing order).
fn choose<E: FnMut(u32, &mut Rng)>(
    k: u32,
    avail: u32,
    multapses: bool,
    rng: &mut Rng,
    scratch: &mut Scratch,
    emit: &mut E,
) {
    if k == 0 || avail == 0 {
        return;
    }
    if multapses {
        for _ in 0..k {
            let c = rng.random_range(0..avail);
            emit(c, rng);
        }
        return;
    }
    let k = k.min(avail);
    if (k as u64) * 2 <= avail as u64 {
        // Rejection with a bitmap; chosen ids are emitted in draw order.
        let words = (avail as usize).div_ceil(64);
        if scratch.bits.len() < words {
            scratch.bits.resize(words, 0);
        }
        scratch.chosen.clear();
        while (scratch.chosen.len() as u32) < k {
            let c = rng.random_range(0..avail);
            let (w, b) = ((c / 64) as usize, c % 64);
            if scratch.bits[w] & (1 << b) == 0 {
                scratch.bits[w] |= 1 << b;
                scratch.chosen.push(c);
            }
        }
        for i in 0..scratch.chosen.len() {
            let c = scratch.chosen[i];
            scratch.bits[(c / 64) as usize] = 0;
            emit(c, rng);
        }
    } else {
        // Selection sampling (Knuth, Algorithm S): k of avail, in increasing order.
        let mut need = k as u64;
        let mut left = avail as u64;
        let mut c = 0u32;
        while need > 0 {
            if (rng.random::<f64>() * left as f64) < need as f64 {
                emit(c, rng);
                need -= 1;
            }
            left -= 1;
            c += 1;
        }
    }
}

/// Each of `avail` partners (indices `0..avail`, increasing) with probability `p`, by
/// geometric skipping (cost in proportion to the partners chosen); `p ≥ 1` takes all.
fn bernoulli<E: FnMut(u32, &mut Rng)>(p: f64, avail: u32, rng: &mut Rng, emit: &mut E) {
    if p >= 1.0 {
        for c in 0..avail {
            emit(c, rng);
        }
    } else if p > 0.0 {
        let ln_q = (-p).ln_1p();
        let avail = avail as u64;
        let mut k: u64 = 0;
        loop {
            let u: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
            let gap = (u.ln() / ln_q).floor();
            if !gap.is_finite() || gap >= (avail - k.min(avail)) as f64 {
                break;
            }
            k += gap as u64;
            if k >= avail {
                break;
            }
            emit(k as u32, rng);
            k += 1;
        }
    }
}

/// How many synapses a source's row holds.
#[derive(Debug, Clone)]
pub enum RowCount {
    /// `pairwise_bernoulli`: each possible target with this probability.
    Bernoulli(f64),
    /// `fixed_outdegree`: the same out-degree for every source.
    Fixed(u32),
    /// `fixed_total_number`: one out-degree per source (a multinomial split of `n`),
    /// shared by every partition of the target population.
    PerSource(Arc<Vec<u32>>),
}

/// A projection whose synapses are drawn per source: the source's whole row over the
/// target population, from the stream `(seed, ROW, projection, source)` — what every
/// partition of the target population regenerates and filters (procedural delivery),
/// or what the builder stores (stored `fixed_outdegree`).
///
/// Draw order per synapse: the target, then the weight, then the delay (both only if
/// they vary), all from the row's stream; without multapses the targets are chosen
/// first and the weights and delays drawn in the order the targets are emitted.
#[derive(Debug, Clone)]
pub struct RowPlan {
    pub index: usize,
    pub n_src: u32,
    pub n_tgt: u32,
    pub autapses: bool,
    pub multapses: bool,
    /// Source and target are the same population.
    pub same: bool,
    pub count: RowCount,
    pub weight: Dist,
    pub delay: Dist,
    pub dt: f64,
}

impl RowPlan {
    /// The plan of `fixed_outdegree`, `pairwise_bernoulli` or `fixed_total_number`
    /// (whose out-degrees are drawn here); `None` for the other rules.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        seed: u64,
        index: usize,
        rule: Rule,
        n_src: u32,
        n_tgt: u32,
        same: bool,
        autapses: bool,
        multapses: bool,
        weight: Dist,
        delay: Dist,
        dt: f64,
    ) -> Option<RowPlan> {
        let avail = if same && !autapses {
            n_tgt.saturating_sub(1)
        } else {
            n_tgt
        };
        let count = match rule {
            Rule::PairwiseBernoulli { p } => RowCount::Bernoulli(p),
            Rule::FixedOutdegree { outdegree } => RowCount::Fixed(outdegree),
            Rule::FixedTotalNumber { n } => {
                let rng = stream(seed, purpose::OUT_DEGREES, index as u64, 0);
                RowCount::PerSource(Arc::new(split_counts(rng, n, n_src, avail, multapses)))
            }
            _ => return None,
        };
        Some(RowPlan {
            index,
            n_src,
            n_tgt,
            autapses,
            multapses,
            same,
            count,
            weight,
            delay,
            dt,
        })
    }

    /// Possible distinct targets of a source.
    fn available(&self) -> u32 {
        if self.same && !self.autapses {
            self.n_tgt - 1
        } else {
            self.n_tgt
        }
    }

    /// Map an index among the available targets to a target id (skips the source).
    #[inline]
    fn map_tgt(&self, k: u32, s: u32) -> u32 {
        if self.same && !self.autapses && k >= s {
            k + 1
        } else {
            k
        }
    }

    /// Bitmap words a [`Scratch`] needs for this plan's rows (no allocation at delivery
    /// once reserved with [`Scratch::reserve`]).
    pub fn scratch_words(&self) -> usize {
        if self.multapses {
            0
        } else {
            (self.available() as usize).div_ceil(64)
        }
    }

    /// Out-degree of source `s`: exact for `fixed_outdegree` and `fixed_total_number`,
    /// the expectation for `pairwise_bernoulli`.
    pub fn out_degree(&self, s: u32) -> f64 {
        match &self.count {
            RowCount::Bernoulli(p) => p * self.available() as f64,
            RowCount::Fixed(k) => (*k).min(if self.multapses {
                u32::MAX
            } else {
                self.available()
            }) as f64,
            RowCount::PerSource(c) => c[s as usize] as f64,
        }
    }

    /// Synapses of the projection: exact, but the expectation for `pairwise_bernoulli`.
    pub fn synapses(&self) -> f64 {
        match &self.count {
            RowCount::PerSource(c) => c.iter().map(|&x| x as f64).sum(),
            _ => self.out_degree(0) * self.n_src as f64,
        }
    }

    /// Call `f(target, weight, delay_steps)` for every synapse of source `s` (both local
    /// to their populations), in the row's order. The weight is the drawn `f64`.
    #[inline]
    pub fn row<F: FnMut(u32, f64, u32)>(&self, seed: u64, s: u32, scratch: &mut Scratch, mut f: F) {
        let mut rng = stream(seed, purpose::ROW, self.index as u64, s as u64);
        let const_w = self.weight.constant();
        let const_d = self.delay.constant().map(|d| delay_steps(d, self.dt).0);
        let avail = self.available();
        let mut emit = |c: u32, rng: &mut Rng| {
            let j = self.map_tgt(c, s);
            let w = match const_w {
                Some(w) => w,
                None => sample(&self.weight, rng),
            };
            let d = match const_d {
                Some(d) => d,
                None => delay_steps(sample(&self.delay, rng), self.dt).0,
            };
            f(j, w, d);
        };
        match &self.count {
            RowCount::Bernoulli(p) => bernoulli(*p, avail, &mut rng, &mut emit),
            RowCount::Fixed(k) => choose(*k, avail, self.multapses, &mut rng, scratch, &mut emit),
            RowCount::PerSource(c) => choose(
                c[s as usize],
                avail,
                self.multapses,
                &mut rng,
                scratch,
                &mut emit,
            ),
        }
    }
}

impl Scratch {
    /// Room for bitmaps of `words` 64-bit words (reserved at build time).
    pub fn reserve(&mut self, words: usize, chosen: usize) {
        if self.bits.len() < words {
            self.bits.resize(words, 0);
        }
        self.chosen
            .reserve(chosen.saturating_sub(self.chosen.len()));
    }
}

/// Delay in whole steps and whether it had to be rounded.
#[inline]
pub fn delay_steps(ms: f64, dt: f64) -> (u32, bool) {
    let x = ms / dt;
    let r = x.round();
    let steps = (r as u32).max(1);
    (steps, (x - r).abs() > 1e-9 * r.max(1.0))
}

impl ProjPlan {
    /// Per-target counts for `fixed_total_number` (deterministic from the seed).
    ///
    /// With multapses: multinomial, `n` pairs drawn with replacement (sequential
    /// conditional binomials). Without: `n` distinct pairs drawn uniformly, i.e. a
    /// multivariate hypergeometric split (sequential hypergeometric draws), so no target
    /// is asked for more sources than it can take. `avail` is the number of possible
    /// sources per target.
    pub fn total_number_counts(
        seed: u64,
        index: usize,
        n: u64,
        n_tgt: u32,
        avail: u32,
        multapses: bool,
    ) -> Vec<u32> {
        let rng = stream(seed, purpose::TOTAL_NUMBER, index as u64, 0);
        split_counts(rng, n, n_tgt, avail, multapses)
    }

    /// Number of possible distinct sources for target `j` (local).
    fn available(&self) -> u32 {
        if self.same && !self.autapses {
            self.n_src - 1
        } else {
            self.n_src
        }
    }

    /// Map an index among the available sources to a source id (skips the target itself).
    #[inline]
    fn map_src(&self, k: u32, j: u32) -> u32 {
        if self.same && !self.autapses && k >= j {
            k + 1
        } else {
            k
        }
    }

    /// Call `f(source_local, weight, delay_steps)` for every synapse onto target `j`
    /// (local index). Returns the number of delays that were rounded to the grid.
    pub fn for_each<F: FnMut(u32, f64, u32)>(
        &self,
        seed: u64,
        j: u32,
        scratch: &mut Scratch,
        mut f: F,
    ) -> u64 {
        let mut rng = stream(
            seed,
            purpose::CONNECT,
            self.index as u64,
            (self.tgt_first_gid + j) as u64,
        );
        let mut rounded = 0u64;
        let const_w = self.weight.constant();
        let const_d = self.delay.constant().map(|d| delay_steps(d, self.dt).0);
        let mut emit = |s: u32, rng: &mut Rng| {
            let w = match const_w {
                Some(w) => w,
                None => sample(&self.weight, rng),
            };
            let d = match const_d {
                Some(d) => d,
                None => {
                    let (d, r) = delay_steps(sample(&self.delay, rng), self.dt);
                    rounded += r as u64;
                    d
                }
            };
            f(s, w, d);
        };
        match self.rule {
            Rule::OneToOne => emit(j, &mut rng),
            Rule::AllToAll => {
                for s in 0..self.n_src {
                    if self.same && !self.autapses && s == j {
                        continue;
                    }
                    emit(s, &mut rng);
                }
            }
            Rule::PairwiseBernoulli { p } => {
                let mut emit_src = |c: u32, rng: &mut Rng| emit(self.map_src(c, j), rng);
                bernoulli(p, self.available(), &mut rng, &mut emit_src)
            }
            Rule::FixedIndegree { indegree } => {
                self.draw_k(indegree, j, &mut rng, scratch, &mut emit)
            }
            Rule::FixedTotalNumber { .. } => {
                let k = self.counts.as_ref().map(|c| c[j as usize]).unwrap_or(0);
                self.draw_k(k, j, &mut rng, scratch, &mut emit)
            }
            // Drawn per source ([`RowPlan`]): the builder stores its rows; nothing is
            // drawn per target.
            Rule::FixedOutdegree { .. } => {}
            Rule::FromList => {
                if let Some(list) = &self.list {
                    for (s, w, d) in list.of_target(j) {
                        let w = match (w, const_w) {
                            (Some(w), _) | (None, Some(w)) => w,
                            (None, None) => sample(&self.weight, &mut rng),
                        };
                        let d = match (d, const_d) {
                            (Some(d), _) => {
                                let (d, r) = delay_steps(d, self.dt);
                                rounded += r as u64;
                                d
                            }
                            (None, Some(d)) => d,
                            (None, None) => {
                                let (d, r) = delay_steps(sample(&self.delay, &mut rng), self.dt);
                                rounded += r as u64;
                                d
                            }
                        };
                        f(s, w, d);
                    }
                }
            }
        }
        rounded
    }

    fn draw_k<E: FnMut(u32, &mut Rng)>(
        &self,
        k: u32,
        j: u32,
        rng: &mut Rng,
        scratch: &mut Scratch,
        emit: &mut E,
    ) {
        let mut emit_src = |c: u32, rng: &mut Rng| emit(self.map_src(c, j), rng);
        choose(
            k,
            self.available(),
            self.multapses,
            rng,
            scratch,
            &mut emit_src,
        )
    }

    /// Expected number of synapses of the projection (exact except for Bernoulli).
    pub fn expected_synapses(&self) -> f64 {
        let (ns, nt) = (self.n_src as f64, self.n_tgt as f64);
        let avail = self.available() as f64;
        match self.rule {
            Rule::FixedIndegree { indegree } => {
                nt * if self.multapses {
                    indegree as f64
                } else {
                    (indegree as f64).min(avail)
                }
            }
            Rule::PairwiseBernoulli { p } => p * avail * nt,
            Rule::FixedTotalNumber { n } => n as f64,
            Rule::FixedOutdegree { outdegree } => {
                ns * if self.multapses {
                    outdegree as f64
                } else {
                    (outdegree as f64).min(if self.same && !self.autapses {
                        nt - 1.0
                    } else {
                        nt
                    })
                }
            }
            Rule::FromList => self.list.as_ref().map_or(0, |l| l.len()) as f64,
            Rule::OneToOne => nt,
            Rule::AllToAll => {
                if self.same && !self.autapses {
                    ns * (nt - 1.0)
                } else {
                    ns * nt
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(
        rule: Rule,
        n_src: u32,
        n_tgt: u32,
        same: bool,
        autapses: bool,
        multapses: bool,
    ) -> ProjPlan {
        ProjPlan {
            index: 0,
            n_src,
            n_tgt,
            tgt_first_gid: 0,
            rule,
            autapses,
            multapses,
            same,
            weight: Dist::Const { value: 1.0 },
            delay: Dist::Const { value: 1.0 },
            dt: 0.1,
            counts: None,
            list: None,
        }
    }

    #[test]
    fn indegree_without_multapses_or_autapses_is_distinct() {
        for k in [1, 5, 50, 99] {
            let p = plan(
                Rule::FixedIndegree { indegree: k },
                100,
                100,
                true,
                false,
                false,
            );
            let mut sc = Scratch::default();
            for j in 0..100 {
                let mut srcs = vec![];
                p.for_each(7, j, &mut sc, |s, _, _| srcs.push(s));
                assert_eq!(srcs.len(), k as usize);
                assert!(!srcs.contains(&j), "autapse");
                srcs.sort();
                srcs.dedup();
                assert_eq!(srcs.len(), k as usize, "multapse");
                assert!(srcs.iter().all(|&s| s < 100));
            }
        }
    }

    #[test]
    fn total_number_counts_sum() {
        let c = ProjPlan::total_number_counts(3, 1, 12345, 77, 1000, true);
        assert_eq!(c.iter().map(|&x| x as u64).sum::<u64>(), 12345);
        // Without multapses no target exceeds its possible sources, even when nearly full.
        let c = ProjPlan::total_number_counts(3, 1, 90, 10, 9, false);
        assert_eq!(c.iter().map(|&x| x as u64).sum::<u64>(), 90);
        assert!(c.iter().all(|&x| x <= 9), "{c:?}");
    }

    #[test]
    fn bernoulli_edges() {
        let mut sc = Scratch::default();
        let p = plan(
            Rule::PairwiseBernoulli { p: 1.0 },
            10,
            10,
            true,
            false,
            false,
        );
        let mut n = 0;
        p.for_each(1, 3, &mut sc, |s, _, _| {
            assert_ne!(s, 3);
            n += 1
        });
        assert_eq!(n, 9);
        let p = plan(
            Rule::PairwiseBernoulli { p: 0.0 },
            10,
            10,
            false,
            true,
            true,
        );
        let mut n = 0;
        p.for_each(1, 3, &mut sc, |_, _, _| n += 1);
        assert_eq!(n, 0);
    }
}
