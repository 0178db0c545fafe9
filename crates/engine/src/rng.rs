//! Random streams keyed by purpose and entity, never by thread.
//!
//! Every stochastic quantity draws from its own `Xoshiro256PlusPlus` stream whose seed
//! is a hash of `(seed, purpose, a, b)`: connections of projection `a` onto target
//! neuron `b`, the Poisson drive of neuron `b`, the initial potential of neuron `b`, ...
//! Because streams belong to neurons (global ids), results are identical for any
//! number of threads *and* any number of partitions.

use rand::SeedableRng;

use rand_xoshiro::Xoshiro256PlusPlus;

pub type Rng = Xoshiro256PlusPlus;

/// Purposes of random streams (part of the key).
pub mod purpose {
    pub const CONNECT: u64 = 1;
    pub const POISSON: u64 = 2;
    pub const V_INIT: u64 = 3;
    pub const TOTAL_NUMBER: u64 = 4;
    /// Rates of Poisson stimuli redrawn every interval (`rate_sd`).
    pub const RATE_REDRAW: u64 = 5;
    /// Per-source out-degrees of a procedural `fixed_total_number` projection.
    pub const OUT_DEGREES: u64 = 6;
    /// A source's row of a projection drawn per source ([`crate::connect::RowPlan`]).
    pub const ROW: u64 = 7;
    /// One interval's value of a `noise_current` stimulus for one neuron.
    pub const NOISE_CURRENT: u64 = 8;
}

#[inline]
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream for `(seed, purpose, a, b)`.
#[inline]
pub fn stream(seed: u64, purpose: u64, a: u64, b: u64) -> Rng {
    let k = splitmix64(splitmix64(splitmix64(splitmix64(seed) ^ purpose) ^ a) ^ b);
    Xoshiro256PlusPlus::seed_from_u64(k)
}

/// The stream for `(seed, purpose, a, b, c)`: [`stream`] with one more key word.
#[inline]
pub fn stream3(seed: u64, purpose: u64, a: u64, b: u64, c: u64) -> Rng {
    let k = splitmix64(splitmix64(splitmix64(splitmix64(splitmix64(seed) ^ purpose) ^ a) ^ b) ^ c);
    Xoshiro256PlusPlus::seed_from_u64(k)
}

/// Neurons whose streams are stepped side by side.
pub const LANES: usize = 8;

/// The Xoshiro256++ states of `LANES` streams as four words × lanes (structure of
/// arrays), so that one step of all lanes is plain element-wise integer arithmetic the
/// compiler vectorises.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
pub struct Lanes {
    s: [[u64; LANES]; 4],
}

/// The per-neuron streams of a partition (neuron `i` is lane `i % LANES` of chunk
/// `i / LANES`). Each stream is exactly the [`Rng`] it was made from: the same numbers
/// in the same order (tested against `rand_xoshiro`), so drawing from the bank or from
/// the `Rng` gives the same simulation.
#[derive(Clone, Debug, Default)]
pub struct StreamBank {
    chunks: Vec<Lanes>,
    n: usize,
}

impl StreamBank {
    pub fn new(streams: impl IntoIterator<Item = Rng>) -> StreamBank {
        let streams: Vec<Rng> = streams.into_iter().collect();
        let n = streams.len();
        let mut chunks = vec![Lanes { s: [[0; LANES]; 4] }; n.div_ceil(LANES)];
        for (i, r) in streams.iter().enumerate() {
            let st = r.state();
            for (w, word) in st.chunks_exact(8).enumerate() {
                chunks[i / LANES].s[w][i % LANES] = u64::from_le_bytes(word.try_into().unwrap());
            }
        }
        // Unused lanes of the last chunk get a valid (non-zero) state; never read.
        if let Some(last) = chunks.last_mut()
            && !n.is_multiple_of(LANES)
        {
            for l in n % LANES..LANES {
                last.s[0][l] = 1;
            }
        }
        StreamBank { chunks, n }
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn chunks_mut(&mut self) -> &mut [Lanes] {
        &mut self.chunks
    }

    /// Draw from neuron `i`'s stream through the `rand` interface (for distributions
    /// without a lane-wise form); the stream advances exactly as the `Rng` would.
    #[inline]
    pub fn with_rng<T>(&mut self, i: usize, f: impl FnOnce(&mut Rng) -> T) -> T {
        let (c, l) = (i / LANES, i % LANES);
        let mut seed = [0u8; 32];
        for w in 0..4 {
            seed[w * 8..w * 8 + 8].copy_from_slice(&self.chunks[c].s[w][l].to_le_bytes());
        }
        let mut r = Rng::from_seed(seed);
        let out = f(&mut r);
        let st = r.state();
        for (w, word) in st.chunks_exact(8).enumerate() {
            self.chunks[c].s[w][l] = u64::from_le_bytes(word.try_into().unwrap());
        }
        out
    }
}

impl Lanes {
    /// One Xoshiro256++ output of every lane (Blackman & Vigna's reference step).
    #[inline(always)]
    pub fn next_u64(&mut self) -> [u64; LANES] {
        let [s0, s1, s2, s3] = &mut self.s;
        let mut out = [0u64; LANES];
        for l in 0..LANES {
            out[l] = s0[l]
                .wrapping_add(s3[l])
                .rotate_left(23)
                .wrapping_add(s0[l]);
            let t = s1[l] << 17;
            s2[l] ^= s0[l];
            s3[l] ^= s1[l];
            s1[l] ^= s2[l];
            s0[l] ^= s3[l];
            s2[l] ^= t;
            s3[l] = s3[l].rotate_left(45);
        }
        out
    }

    /// The same step with AVX2, as two vectors of four lanes.
    ///
    /// # Safety
    /// The processor must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[inline]
    pub unsafe fn next_u64_avx2(&mut self) -> [std::arch::x86_64::__m256i; 2] {
        use std::arch::x86_64::*;
        macro_rules! rotl {
            ($x:expr, $k:literal) => {
                _mm256_or_si256(_mm256_slli_epi64($x, $k), _mm256_srli_epi64($x, 64 - $k))
            };
        }
        let mut out = [_mm256_setzero_si256(); 2];
        for (h, o) in out.iter_mut().enumerate() {
            // SAFETY: each word array holds 8 lanes; h*4..h*4+4 is in bounds (unaligned ops).
            unsafe {
                let p: [*mut __m256i; 4] =
                    std::array::from_fn(|w| self.s[w].as_mut_ptr().add(h * 4) as *mut __m256i);
                let (mut s0, mut s1, mut s2, mut s3) = (
                    _mm256_loadu_si256(p[0]),
                    _mm256_loadu_si256(p[1]),
                    _mm256_loadu_si256(p[2]),
                    _mm256_loadu_si256(p[3]),
                );
                *o = _mm256_add_epi64(rotl!(_mm256_add_epi64(s0, s3), 23), s0);
                let t = _mm256_slli_epi64(s1, 17);
                s2 = _mm256_xor_si256(s2, s0);
                s3 = _mm256_xor_si256(s3, s1);
                s1 = _mm256_xor_si256(s1, s2);
                s0 = _mm256_xor_si256(s0, s3);
                s2 = _mm256_xor_si256(s2, t);
                s3 = rotl!(s3, 45);
                _mm256_storeu_si256(p[0], s0);
                _mm256_storeu_si256(p[1], s1);
                _mm256_storeu_si256(p[2], s2);
                _mm256_storeu_si256(p[3], s3);
            }
        }
        out
    }
}

/// The state of every stream: `n`, then the four Xoshiro256++ words of each stream.
impl cortexsim_core::state::SaveState for StreamBank {
    fn save(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        use cortexsim_core::state::put_u64;
        put_u64(w, self.n as u64)?;
        for i in 0..self.n {
            for word in 0..4 {
                put_u64(w, self.chunks[i / LANES].s[word][i % LANES])?;
            }
        }
        Ok(())
    }

    fn load(&mut self, r: &mut dyn std::io::Read) -> std::io::Result<()> {
        use cortexsim_core::state::{expect_u64, get_u64};
        expect_u64(r, self.n as u64, "random streams")?;
        for i in 0..self.n {
            for word in 0..4 {
                self.chunks[i / LANES].s[word][i % LANES] = get_u64(r)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn bank_reproduces_the_streams() {
        use rand::RngExt;
        let make = |i: u64| stream(7, purpose::POISSON, 0, i);
        for n in [1usize, 7, 8, 9, 21] {
            let mut bank = StreamBank::new((0..n as u64).map(make));
            let mut refs: Vec<Rng> = (0..n).map(|i| make(i as u64)).collect();
            for round in 0..50 {
                if round % 7 == 3 {
                    // Through the rand interface, interleaved with lane steps.
                    for (i, r) in refs.iter_mut().enumerate() {
                        let a: f64 = r.random();
                        let b: f64 = bank.with_rng(i, |q| q.random());
                        assert_eq!(a.to_bits(), b.to_bits());
                    }
                }
                #[cfg(target_arch = "x86_64")]
                let avx2 = round % 2 == 1 && std::arch::is_x86_feature_detected!("avx2");
                #[cfg(not(target_arch = "x86_64"))]
                let avx2 = false;
                for (c, lanes) in bank.chunks_mut().iter_mut().enumerate() {
                    let out = if avx2 {
                        #[cfg(target_arch = "x86_64")]
                        {
                            // SAFETY: AVX2 detected above.
                            let v = unsafe { lanes.next_u64_avx2() };
                            unsafe {
                                std::mem::transmute::<[std::arch::x86_64::__m256i; 2], [u64; LANES]>(
                                    v,
                                )
                            }
                        }
                        #[cfg(not(target_arch = "x86_64"))]
                        unreachable!()
                    } else {
                        lanes.next_u64()
                    };
                    for (l, &x) in out.iter().enumerate() {
                        if let Some(r) = refs.get_mut(c * LANES + l) {
                            assert_eq!(
                                x,
                                r.random::<u64>(),
                                "n {n} round {round} neuron {}",
                                c * LANES + l
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn streams_differ_and_repeat() {
        use rand::RngExt;
        let a: u64 = stream(1, purpose::CONNECT, 0, 5).random();
        let b: u64 = stream(1, purpose::CONNECT, 0, 5).random();
        let c: u64 = stream(1, purpose::CONNECT, 0, 6).random();
        let d: u64 = stream(2, purpose::CONNECT, 0, 5).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }
}
