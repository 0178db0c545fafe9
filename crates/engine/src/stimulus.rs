//! Inputs that are not synapses: Poisson drive, DC and step currents, explicit spike
//! trains — precomputed at build time into forms the step loop can use without
//! allocation.
//!
//! * **Poisson drive** (NEST `poisson_generator` × `indegree`, weight `w`): the number of
//!   input spikes a neuron receives in one step is Poisson with mean
//!   `λ = rate · indegree · dt`; it is drawn per neuron from the neuron's own stream. For
//!   `λ ≤ 64` by Walker's alias method on a precomputed table (constant time), above that
//!   `rand_distr::Poisson`. The drive is added to the step's input
//!   slot (equivalent to NEST's generator with any constant delay: the process is stationary).
//! * **Currents** (DC, step epochs): summed per population into a piecewise-constant
//!   schedule of change points in steps; they add to `I_e` (act within the step).
//! * **Sinusoidal currents** (`ac`, NEST `ac_generator`): evaluated at the start time of
//!   each step and added to the same per-step current (NEST delivers its generators'
//!   currents one step later, as for `dc`).
//! * **Noise currents** (`noise_current`, NEST `noise_generator`): every interval, one
//!   Gaussian value per neuron, a pure function of (seed, stimulus, interval, neuron)
//!   (a stream of its own, [`rng::stream3`](crate::rng::stream3)), so any thread count,
//!   partitioning or resumed run gives the same values; written into the neurons'
//!   per-neuron current (`State::i_cell`) when an interval begins.
//! * **Spike trains**: on-grid times with weights, delivered to every neuron of the target
//!   population after their delay, like a `spike_generator`.

use crate::rng::{LANES, Rng, StreamBank};
use rand::RngExt;
use rand_distr::{Distribution, Poisson};

/// Poisson counts with mean `lambda` per step.
///
/// For `lambda <= 64` Walker's alias method over the support `0..=k_max` (the tail beyond
/// `k_max` has probability < 1e-17): one 64-bit draw, whose top bits pick a column and
/// whose low bits decide between the column and its alias by an integer comparison —
/// constant time, no data-dependent loop (the inverse-transform search it replaced was
/// the engine's hottest line). Above, `rand_distr::Poisson`.
#[derive(Debug, Clone)]
pub struct PoissonSampler {
    pub lambda: f64,
    /// Per column: acceptance threshold (on the low `64 - bits` bits) and alias.
    thresh: Vec<u64>,
    alias: Vec<u32>,
    /// log2 of the number of columns.
    bits: u32,
    fallback: Option<Poisson<f64>>,
}

impl PoissonSampler {
    pub const TABLE_MAX_LAMBDA: f64 = 64.0;

    pub fn new(lambda: f64) -> PoissonSampler {
        let empty = |lambda, fallback| PoissonSampler {
            lambda,
            thresh: vec![],
            alias: vec![],
            bits: 0,
            fallback,
        };
        if lambda <= 0.0 {
            return empty(0.0, None);
        }
        if lambda > Self::TABLE_MAX_LAMBDA {
            return empty(lambda, Poisson::new(lambda).ok());
        }
        // pmf in log space; stop when the tail is < 1e-17.
        let mut pmf: Vec<f64> = Vec::new();
        let mut acc = 0.0;
        let mut k = 0u32;
        loop {
            let p = (-lambda + k as f64 * lambda.ln() - ln_factorial(k)).exp();
            acc += p;
            pmf.push(p);
            k += 1;
            if (k as f64 > lambda && 1.0 - acc < 1e-17) || k > 1000 {
                break;
            }
        }
        let n = pmf.len().next_power_of_two().max(2);
        let bits = n.trailing_zeros();
        pmf.resize(n, 0.0);
        // Vose's construction on probabilities scaled to the column count.
        let sum: f64 = pmf.iter().sum();
        let mut q: Vec<f64> = pmf.iter().map(|p| p / sum * n as f64).collect();
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| q[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            alias[s] = l as u32;
            q[l] -= 1.0 - q[s];
            if q[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Columns left over (rounding) keep themselves with probability 1.
        for &i in small.iter().chain(large.iter()) {
            q[i] = 1.0;
        }
        let span = 2f64.powi(64 - bits as i32);
        let thresh = q
            .iter()
            .map(|&x| {
                if x >= 1.0 {
                    u64::MAX
                } else {
                    (x * span) as u64
                }
            })
            .collect();
        PoissonSampler {
            lambda,
            thresh,
            alias,
            bits,
            fallback: None,
        }
    }

    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> u32 {
        if self.thresh.is_empty() {
            return match &self.fallback {
                Some(p) => p.sample(rng) as u32,
                None => 0,
            };
        }
        let u: u64 = rng.random::<u64>();
        let col = (u >> (64 - self.bits)) as usize;
        let low = u & (u64::MAX >> self.bits);
        // Branch-free select between the column and its alias.
        if low < self.thresh[col] {
            col as u32
        } else {
            self.alias[col]
        }
    }
}

impl PoissonSampler {
    /// Add `w ·` (a Poisson count) to every element of `row`, neuron `i` drawing from
    /// stream `i` of `bank` — the same numbers as [`sample`](Self::sample) on that
    /// neuron's `Rng`, but eight streams are stepped at once (vectorised, with AVX2
    /// where the processor has it, detected at run time).
    pub fn add_row(&self, bank: &mut StreamBank, row: &mut [f64], w: f64) {
        debug_assert_eq!(row.len(), bank.len());
        if self.thresh.is_empty() {
            if self.fallback.is_some() {
                for (i, x) in row.iter_mut().enumerate() {
                    *x += bank.with_rng(i, |r| self.sample(r)) as f64 * w;
                }
            }
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor supports AVX2 (checked just above).
            unsafe { self.add_row_avx2(bank, row, w) };
            return;
        }
        self.add_row_lanes(bank, row, w)
    }

    /// Alias sampling four lanes at a time: gathers of threshold and alias, an unsigned
    /// compare (by flipping sign bits), then `x + k·w` with a separate multiply and add
    /// (no FMA), so the sums are bit-identical to the scalar path.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn add_row_avx2(&self, bank: &mut StreamBank, row: &mut [f64], w: f64) {
        use std::arch::x86_64::*;
        let shift = _mm_cvtsi64_si128((64 - self.bits) as i64);
        let low_mask = _mm256_set1_epi64x((u64::MAX >> self.bits) as i64);
        let sign = _mm256_set1_epi64x(i64::MIN);
        let wv = _mm256_set1_pd(w);
        let (thresh, alias) = (
            self.thresh.as_ptr() as *const i64,
            self.alias.as_ptr() as *const i32,
        );
        let n = row.len();
        for (c, lanes) in bank.chunks_mut().iter_mut().enumerate() {
            // SAFETY: AVX2 is enabled for this function; `col < 2^bits` = the table
            // length, so the gathers stay in the tables (`thresh`, `alias` and `bits`
            // are private, set together by `new` only, with 2^bits entries each); the
            // row is accessed at `i..i+4 <= n` only, the tail through the scalar path.
            unsafe {
                let u = lanes.next_u64_avx2();
                for (h, &u) in u.iter().enumerate() {
                    let i = c * LANES + h * 4;
                    if i >= n {
                        break;
                    }
                    let col = _mm256_srl_epi64(u, shift);
                    let low = _mm256_and_si256(u, low_mask);
                    let th = _mm256_i64gather_epi64::<8>(thresh, col);
                    // low < th (unsigned)  <=>  (th ^ sign) > (low ^ sign) (signed)
                    let accept =
                        _mm256_cmpgt_epi64(_mm256_xor_si256(th, sign), _mm256_xor_si256(low, sign));
                    let al = _mm256_i64gather_epi32::<4>(alias, col); // 4 × i32
                    let col32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(
                        col,
                        _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0),
                    ));
                    let acc32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(
                        accept,
                        _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0),
                    ));
                    let k = _mm_blendv_epi8(al, col32, acc32);
                    let kd = _mm256_cvtepi32_pd(k);
                    if i + 4 <= n {
                        let p = row.as_mut_ptr().add(i);
                        let x = _mm256_loadu_pd(p);
                        _mm256_storeu_pd(p, _mm256_add_pd(x, _mm256_mul_pd(kd, wv)));
                    } else {
                        let mut ks = [0f64; 4];
                        _mm256_storeu_pd(ks.as_mut_ptr(), kd);
                        for (x, k) in row[i..].iter_mut().zip(ks) {
                            *x += k * w;
                        }
                    }
                }
            }
        }
    }

    #[inline(always)]
    fn add_row_lanes(&self, bank: &mut StreamBank, row: &mut [f64], w: f64) {
        let shift = 64 - self.bits;
        let low_mask = u64::MAX >> self.bits;
        let (thresh, alias) = (&self.thresh[..], &self.alias[..]);
        let cols = thresh.len() - 1; // a power of two minus one
        for (lanes, xs) in bank.chunks_mut().iter_mut().zip(row.chunks_mut(LANES)) {
            let u = lanes.next_u64();
            for (x, &u) in xs.iter_mut().zip(&u) {
                // `& cols` is a no-op (col < 2^bits) that lets the compiler drop the bounds check.
                let col = (u >> shift) as usize & cols;
                let k = if (u & low_mask) < thresh[col] {
                    col as u32
                } else {
                    alias[col & (alias.len() - 1)]
                };
                *x += k as f64 * w;
            }
        }
    }
}

fn ln_factorial(k: u32) -> f64 {
    (1..=k).map(|i| (i as f64).ln()).sum()
}

/// A Poisson drive of one population, in steps.
#[derive(Debug, Clone)]
pub struct PoissonDrive {
    pub sampler: PoissonSampler,
    pub weight: f64,
    /// Ring-buffer channel (0 = excitatory/voltage, 1 = inhibitory).
    pub channel: usize,
    pub start: u64,
    pub stop: u64,
}

/// Membrane white noise of one population: per step, a Gaussian voltage increment of
/// sd `scale = sigma sqrt((1 - e^{-2h/tau_m})/2)` (exact OU update), in steps `[start, stop)`.
#[derive(Debug, Clone)]
pub struct NoiseDrive {
    pub scale: f64,
    pub start: u64,
    pub stop: u64,
}

/// A sinusoidal current (NEST `ac_generator`) in steps `[start, stop)`.
#[derive(Debug, Clone)]
pub struct AcDrive {
    pub amplitude: f64,
    pub offset: f64,
    /// Radians per step.
    pub omega_step: f64,
    /// Radians.
    pub phase: f64,
    pub start: u64,
    pub stop: u64,
}

impl AcDrive {
    /// `frequency` Hz, `phase` degrees, step `h` ms.
    pub fn new(amplitude: f64, offset: f64, frequency: f64, phase: f64, h: f64) -> AcDrive {
        AcDrive {
            amplitude,
            offset,
            omega_step: 2.0 * std::f64::consts::PI * frequency * h * 1e-3,
            phase: phase.to_radians(),
            start: 0,
            stop: 0,
        }
    }

    /// The current (pA) during step `t` (0 outside the window): the sine at the step's
    /// start time `t·h`.
    #[inline]
    pub fn value(&self, t: u64) -> f64 {
        if t < self.start || t >= self.stop {
            return 0.0;
        }
        self.offset + self.amplitude * (self.omega_step * t as f64 + self.phase).sin()
    }
}

/// A Gaussian current per neuron (NEST `noise_generator`), redrawn every `every` steps
/// from `start`, in steps `[start, stop)`.
#[derive(Debug, Clone)]
pub struct NoiseCurrentDrive {
    pub seed: u64,
    /// Index of the stimulus (part of the stream key).
    pub stimulus: u64,
    pub mean: f64,
    pub std: f64,
    pub every: u64,
    pub start: u64,
    pub stop: u64,
    /// The interval whose values the neurons' `i_cell` holds (`None`: not known yet;
    /// `Some(None)`: outside the window).
    pub held: Option<Option<u64>>,
}

impl NoiseCurrentDrive {
    /// The interval of step `t`, `None` outside the window.
    #[inline]
    pub fn interval(&self, t: u64) -> Option<u64> {
        (t >= self.start && t < self.stop).then(|| (t - self.start) / self.every)
    }

    /// The current (pA) of neuron `gid` in interval `k`.
    pub fn value(&self, k: u64, gid: u64) -> f64 {
        if self.std == 0.0 {
            return self.mean;
        }
        let mut r = crate::rng::stream3(
            self.seed,
            crate::rng::purpose::NOISE_CURRENT,
            self.stimulus,
            k,
            gid,
        );
        let z: f64 = rand_distr::StandardNormal.sample(&mut r);
        self.mean + self.std * z
    }
}

/// Piecewise-constant extra current of a population: `(first step, value pA)`, sorted.
#[derive(Debug, Clone, Default)]
pub struct CurrentSchedule {
    pub points: Vec<(u64, f64)>,
}

impl CurrentSchedule {
    /// Build from windows `[start, stop)` (steps) with amplitudes.
    pub fn from_windows(windows: &[(u64, u64, f64)]) -> CurrentSchedule {
        let mut edges: Vec<u64> = windows.iter().flat_map(|w| [w.0, w.1]).collect();
        edges.sort_unstable();
        edges.dedup();
        let mut points = Vec::new();
        for &e in &edges {
            // Sum in window order, so the value does not depend on the edge layout.
            let v: f64 = windows
                .iter()
                .filter(|w| w.0 <= e && e < w.1)
                .map(|w| w.2)
                .sum();
            if points.last().map(|p: &(u64, f64)| p.1) != Some(v) {
                points.push((e, v));
            }
        }
        CurrentSchedule { points }
    }

    /// Value at `step` given a cursor that only moves forward (no search in the loop).
    #[inline]
    pub fn value(&self, step: u64, cursor: &mut usize) -> f64 {
        while *cursor < self.points.len() && self.points[*cursor].0 <= step {
            *cursor += 1;
        }
        if *cursor == 0 {
            0.0
        } else {
            self.points[*cursor - 1].1
        }
    }

    /// Cursor position for an arbitrary step (used when a run resumes).
    pub fn cursor_at(&self, step: u64) -> usize {
        self.points.partition_point(|p| p.0 <= step)
    }
}

/// Input spikes to every neuron of a population: `(arrival step, channel, weight)`, sorted by step.
#[derive(Debug, Clone, Default)]
pub struct SpikeTrainInput {
    pub events: Vec<(u64, usize, f64)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{purpose, stream};

    #[test]
    fn poisson_table_moments() {
        for lambda in [0.05, 0.5, 2.0, 10.0, 63.0, 200.0] {
            let s = PoissonSampler::new(lambda);
            let mut rng = stream(1, purpose::POISSON, 0, 0);
            let n = 200_000;
            let (mut m, mut m2) = (0.0, 0.0);
            for _ in 0..n {
                let k = s.sample(&mut rng) as f64;
                m += k;
                m2 += k * k;
            }
            let mean = m / n as f64;
            let var = m2 / n as f64 - mean * mean;
            // 6 standard errors of the mean and of the variance.
            assert!(
                (mean - lambda).abs() < 6.0 * (lambda / n as f64).sqrt(),
                "lambda {lambda}: mean {mean}"
            );
            let se_var = ((lambda + 2.0 * lambda * lambda) / n as f64).sqrt();
            assert!(
                (var - lambda).abs() < 6.0 * se_var,
                "lambda {lambda}: var {var}"
            );
        }
    }

    #[test]
    fn schedule_windows() {
        let s = CurrentSchedule::from_windows(&[(10, 20, 1.0), (15, 30, 2.0)]);
        let mut c = 0;
        let vals: Vec<f64> = [0, 9, 10, 14, 15, 19, 20, 29, 30, 100]
            .iter()
            .map(|&t| s.value(t, &mut c))
            .collect();
        assert_eq!(vals, vec![0.0, 0.0, 1.0, 1.0, 3.0, 3.0, 2.0, 2.0, 0.0, 0.0]);
        assert_eq!(s.cursor_at(15), 2);
    }
}
