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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;
    #[test]
    fn streams_differ_and_repeat() {
        let a: u64 = stream(1, purpose::CONNECT, 0, 5).random();
        let b: u64 = stream(1, purpose::CONNECT, 0, 5).random();
        let c: u64 = stream(1, purpose::CONNECT, 0, 6).random();
        let d: u64 = stream(2, purpose::CONNECT, 0, 5).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }
}
