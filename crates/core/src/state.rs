//! The state contract: every component of a running simulation writes its dynamic
//! state to a byte stream and reads it back through one trait, [`SaveState`].
//!
//! The stream is plain little-endian: numbers as 8-byte words (`u32` and `bool` widened
//! to `u64`), `f64` by its bits, a vector as its length followed by its elements.
//! Reading is done **into a freshly built component of the same network**: every
//! length in the stream must equal the component's own, so a stream of another
//! network is refused (`InvalidData`) instead of being misread. The engine's
//! `state_hash` is a hash of this stream ([`Hasher`]); checkpoint files (issue 10) are
//! this stream with a header.

use std::io::{self, Read, Write};

/// A component of the running simulation whose dynamic state can be written and read.
pub trait SaveState {
    /// Write the state.
    fn save(&self, w: &mut dyn Write) -> io::Result<()>;
    /// Read a state written by [`save`](Self::save) of a component built from the same
    /// network; on an error the component may be partly overwritten.
    fn load(&mut self, r: &mut dyn Read) -> io::Result<()>;
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

pub fn put_u64(w: &mut dyn Write, x: u64) -> io::Result<()> {
    w.write_all(&x.to_le_bytes())
}

pub fn get_u64(r: &mut dyn Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

pub fn put_f64(w: &mut dyn Write, x: f64) -> io::Result<()> {
    put_u64(w, x.to_bits())
}

pub fn get_f64(r: &mut dyn Read) -> io::Result<f64> {
    get_u64(r).map(f64::from_bits)
}

/// A `u64` that must equal `expected` (a length, a count, a tag).
pub fn expect_u64(r: &mut dyn Read, expected: u64, what: &str) -> io::Result<()> {
    let x = get_u64(r)?;
    if x != expected {
        return Err(bad(format!(
            "{what}: the state has {x}, this simulation {expected}"
        )));
    }
    Ok(())
}

/// Read a `usize` stored as `u64`.
pub fn get_usize(r: &mut dyn Read, what: &str) -> io::Result<usize> {
    let x = get_u64(r)?;
    usize::try_from(x).map_err(|_| bad(format!("{what}: {x} does not fit this machine")))
}

/// Elements that are written as one 8-byte word each.
pub trait Word: Copy {
    fn to_word(self) -> u64;
    fn from_word(w: u64) -> io::Result<Self>;
}

impl Word for f64 {
    fn to_word(self) -> u64 {
        self.to_bits()
    }
    fn from_word(w: u64) -> io::Result<f64> {
        Ok(f64::from_bits(w))
    }
}

impl Word for u64 {
    fn to_word(self) -> u64 {
        self
    }
    fn from_word(w: u64) -> io::Result<u64> {
        Ok(w)
    }
}

impl Word for u32 {
    fn to_word(self) -> u64 {
        self as u64
    }
    fn from_word(w: u64) -> io::Result<u32> {
        u32::try_from(w).map_err(|_| bad(format!("{w} is not a 32-bit value")))
    }
}

impl Word for bool {
    fn to_word(self) -> u64 {
        self as u64
    }
    fn from_word(w: u64) -> io::Result<bool> {
        match w {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(bad(format!("{w} is not a boolean"))),
        }
    }
}

/// Write a slice: its length, then its elements.
pub fn put_slice<T: Word>(w: &mut dyn Write, xs: &[T]) -> io::Result<()> {
    put_u64(w, xs.len() as u64)?;
    // Through a stack buffer: one write call per 512 elements, not per element.
    let mut buf = [0u8; 4096];
    for chunk in xs.chunks(512) {
        for (i, x) in chunk.iter().enumerate() {
            buf[i * 8..i * 8 + 8].copy_from_slice(&x.to_word().to_le_bytes());
        }
        w.write_all(&buf[..chunk.len() * 8])?;
    }
    Ok(())
}

/// Read a slice written by [`put_slice`] into `xs`, whose length it must have.
pub fn get_slice<T: Word>(r: &mut dyn Read, xs: &mut [T], what: &str) -> io::Result<()> {
    expect_u64(r, xs.len() as u64, what)?;
    let mut buf = [0u8; 4096];
    for chunk in xs.chunks_mut(512) {
        let b = &mut buf[..chunk.len() * 8];
        r.read_exact(b)?;
        for (i, x) in chunk.iter_mut().enumerate() {
            *x = T::from_word(u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap()))?;
        }
    }
    Ok(())
}

/// Read a vector of any length written by [`put_slice`] (recorded data that grows
/// during a run, e.g. kept spikes), refusing more than `max` elements.
pub fn get_vec<T: Word>(r: &mut dyn Read, max: usize, what: &str) -> io::Result<Vec<T>> {
    let n = get_usize(r, what)?;
    if n > max {
        return Err(bad(format!(
            "{what}: {n} entries, more than the {max} this simulation can hold"
        )));
    }
    let mut xs = Vec::new();
    xs.try_reserve_exact(n)
        .map_err(|_| bad(format!("{what}: cannot allocate {n} entries")))?;
    for _ in 0..n {
        xs.push(T::from_word(get_u64(r)?)?);
    }
    Ok(xs)
}

/// A 64-bit FNV-1a hash of everything written to it, one 8-byte little-endian word at a
/// time (the stream is made of words); a trailing partial word is hashed by
/// [`finish`](Self::finish).
#[derive(Debug, Clone)]
pub struct Hasher {
    h: u64,
    pending: [u8; 8],
    n_pending: usize,
}

impl Default for Hasher {
    fn default() -> Self {
        Hasher {
            h: 0xcbf2_9ce4_8422_2325,
            pending: [0; 8],
            n_pending: 0,
        }
    }
}

impl Hasher {
    #[inline]
    fn eat(&mut self, x: u64) {
        self.h ^= x;
        self.h = self.h.wrapping_mul(0x100_0000_01b3);
    }

    pub fn finish(mut self) -> u64 {
        if self.n_pending > 0 {
            self.pending[self.n_pending..].fill(0);
            let x = u64::from_le_bytes(self.pending);
            self.eat(x ^ (self.n_pending as u64) << 56);
        }
        self.h
    }
}

impl Write for Hasher {
    fn write(&mut self, mut buf: &[u8]) -> io::Result<usize> {
        let len = buf.len();
        if self.n_pending > 0 {
            let k = (8 - self.n_pending).min(buf.len());
            self.pending[self.n_pending..self.n_pending + k].copy_from_slice(&buf[..k]);
            self.n_pending += k;
            buf = &buf[k..];
            if self.n_pending < 8 {
                return Ok(len);
            }
            let x = u64::from_le_bytes(self.pending);
            self.eat(x);
            self.n_pending = 0;
        }
        let mut words = buf.chunks_exact(8);
        for w in &mut words {
            self.eat(u64::from_le_bytes(w.try_into().unwrap()));
        }
        let rest = words.remainder();
        self.pending[..rest.len()].copy_from_slice(rest);
        self.n_pending = rest.len();
        Ok(len)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_round_trip_and_lengths_are_checked() {
        let mut buf = Vec::new();
        let xs = vec![1.5f64, -0.0, f64::NAN, 1e300];
        put_slice(&mut buf, &xs).unwrap();
        put_slice(&mut buf, &[3u32, 7]).unwrap();
        put_slice(&mut buf, &[true, false]).unwrap();
        let mut r = &buf[..];
        let mut ys = vec![0.0f64; 4];
        get_slice(&mut r, &mut ys, "v").unwrap();
        assert!(xs.iter().zip(&ys).all(|(a, b)| a.to_bits() == b.to_bits()));
        let mut us = vec![0u32; 2];
        get_slice(&mut r, &mut us, "r").unwrap();
        assert_eq!(us, [3, 7]);
        assert_eq!(get_vec::<bool>(&mut r, 2, "b").unwrap(), [true, false]);
        assert!(r.is_empty());
        // A stream of another size is refused, naming the component.
        let mut r = &buf[..];
        let mut short = vec![0.0f64; 3];
        let e = get_slice(&mut r, &mut short, "neuron state V_m").unwrap_err();
        assert!(
            e.to_string().contains("neuron state V_m: the state has 4"),
            "{e}"
        );
        let mut r = &buf[..];
        assert!(get_vec::<f64>(&mut r, 3, "kept").is_err());
    }

    #[test]
    fn hasher_depends_on_every_word_and_not_on_write_boundaries() {
        let data: Vec<u8> = (0..100u8).collect();
        let mut a = Hasher::default();
        a.write_all(&data).unwrap();
        let mut b = Hasher::default();
        for c in data.chunks(3) {
            b.write_all(c).unwrap();
        }
        assert_eq!(a.clone().finish(), b.finish());
        let mut c = Hasher::default();
        let mut d2 = data.clone();
        d2[50] ^= 1;
        c.write_all(&d2).unwrap();
        assert_ne!(a.finish(), c.finish());
    }
}
