//! Checkpoint files: the byte container (what [`crate::sonata`] is for spikes). What the
//! header says and how a run is continued from it is `cortexsim_protocols::checkpoint`.
//!
//! ```text
//!  offset  size  field
//!       0     8  magic "CXCKPT\r\n"
//!       8     4  format version, u32 LE (this program writes and reads VERSION = 1)
//!      12     4  flags, u32 LE (0)
//!      16     8  header length H, u64 LE
//!      24     8  state length S, u64 LE
//!      32     H  header: UTF-8 JSON (network description and its hash, seed, time
//!                reached, output marks; cortexsim_protocols::checkpoint)
//!   32+H      S  state: the engine's state stream (Simulation::save_state)
//! 32+H+S      8  checksum, u64 LE: FNV-1a 64 (cortexsim_core::state::Hasher) of every
//!                byte before it
//! ```
//!
//! A flat container rather than HDF5: the payload is one byte stream, so the checksum
//! covers exactly the bytes on disk (HDF5 checksums only its metadata), a truncated file
//! is recognised from the two lengths, and the file is read by a dozen lines of Python
//! (`struct`, `json`).
//!
//! Reading checks, in order: the magic (else "not a cortexsim checkpoint"), the version
//! (a newer one is refused, naming both), the length (truncated or padded), the checksum
//! (damaged). A checkpoint is written as a whole to the temporary file of its claim
//! ([`crate::output::Output`]), fsynced and renamed over the previous one: the previous
//! checkpoint is replaced only by a complete new one.

use crate::output::{Output, OutputError, io_message};
use cortexsim_core::state::Hasher;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// The first 8 bytes of every checkpoint file.
pub const MAGIC: [u8; 8] = *b"CXCKPT\r\n";
/// The format version this program writes, and the newest it reads.
pub const VERSION: u32 = 1;
/// Bytes before the header.
const PREFIX: usize = 32;

/// Why a checkpoint could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file is not a checkpoint this program can continue (not a checkpoint,
    /// truncated, damaged, a newer format): exit code 3 in the CLI.
    #[error("{0}")]
    Invalid(String),
    /// The file could not be read.
    #[error("{0}")]
    Io(String),
}

/// A checkpoint read back: its version, header text and state stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub version: u32,
    pub header: String,
    pub state: Vec<u8>,
}

/// Counts and hashes what is written through it.
struct Tee<W> {
    inner: W,
    hash: Hasher,
    n: u64,
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(buf)?;
        self.hash.write_all(&buf[..k])?;
        self.n += k as u64;
        Ok(k)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Counts the bytes written to it (the state's length, before it is written).
struct Count(u64);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Write a checkpoint to `w`: `state` is called twice (once to measure the stream, once
/// to write it), so it must write the same bytes both times.
pub fn encode(
    w: impl Write,
    header: &str,
    state: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut count = Count(0);
    state(&mut count)?;
    let mut t = Tee {
        inner: w,
        hash: Hasher::default(),
        n: 0,
    };
    t.write_all(&MAGIC)?;
    t.write_all(&VERSION.to_le_bytes())?;
    t.write_all(&0u32.to_le_bytes())?;
    t.write_all(&(header.len() as u64).to_le_bytes())?;
    t.write_all(&count.0.to_le_bytes())?;
    t.write_all(header.as_bytes())?;
    let before = t.n;
    state(&mut t)?;
    if t.n - before != count.0 {
        return Err(io::Error::other(
            "the state stream changed while it was written",
        ));
    }
    let sum = t.hash.clone().finish();
    t.inner.write_all(&sum.to_le_bytes())?;
    t.inner.flush()
}

/// Read a checkpoint from its bytes; `name` (the file) is used in messages.
pub fn decode(bytes: &[u8], name: &str) -> Result<Checkpoint, CheckpointError> {
    decode_vec(bytes.to_vec(), name)
}

/// [`decode`] that reuses the buffer for the state (no second copy of a large state).
fn decode_vec(mut bytes: Vec<u8>, name: &str) -> Result<Checkpoint, CheckpointError> {
    let bad = |m: String| CheckpointError::Invalid(format!("{name}: {m}"));
    if bytes.len() < 12 || bytes[..8] != MAGIC {
        return Err(bad(
            "not a cortexsim checkpoint (no CXCKPT signature)".into()
        ));
    }
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap());
    let version = u32_at(8);
    if version > VERSION {
        return Err(bad(format!(
            "checkpoint format version {version} is newer than this cortexsim {} reads \
             (version {VERSION}); resume it with the cortexsim that wrote it, or a newer one",
            env!("CARGO_PKG_VERSION")
        )));
    }
    if version == 0 {
        return Err(bad(
            "checkpoint format version 0 does not exist (damaged file)".into(),
        ));
    }
    if bytes.len() < PREFIX + 8 {
        return Err(bad(format!(
            "truncated: {} bytes, shorter than any checkpoint",
            bytes.len()
        )));
    }
    let (h, s) = (u64_at(16), u64_at(24));
    let expected = (PREFIX as u64 + 8)
        .checked_add(h)
        .and_then(|x| x.checked_add(s));
    match expected {
        Some(e) if e == bytes.len() as u64 => {}
        Some(e) if e > bytes.len() as u64 => {
            return Err(bad(format!(
                "truncated (or damaged): {} bytes, its header announces {e}",
                bytes.len()
            )));
        }
        _ => {
            return Err(bad(format!(
                "damaged: {} bytes, its header announces {}",
                bytes.len(),
                expected.map_or("more than can exist".to_string(), |e| e.to_string())
            )));
        }
    }
    let end = bytes.len() - 8;
    let mut hasher = Hasher::default();
    hasher
        .write_all(&bytes[..end])
        .map_err(|e| bad(e.to_string()))?;
    if hasher.finish() != u64_at(end) {
        return Err(bad(
            "damaged: the checksum does not match the contents (the file was changed or \
             corrupted after it was written)"
                .into(),
        ));
    }
    let (h, s) = (h as usize, s as usize);
    let header = std::str::from_utf8(&bytes[PREFIX..PREFIX + h])
        .map_err(|_| bad("damaged: the header is not UTF-8".into()))?
        .to_string();
    bytes.truncate(PREFIX + h + s);
    bytes.drain(..PREFIX + h);
    Ok(Checkpoint {
        version,
        header,
        state: bytes,
    })
}

/// Read and check the checkpoint file `path` ([`decode`]).
pub fn read(path: &Path) -> Result<Checkpoint, CheckpointError> {
    let bytes = std::fs::read(path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            CheckpointError::Invalid(format!("checkpoint {} does not exist", path.display()))
        } else {
            CheckpointError::Io(format!("reading {}", io_message(&e, path)))
        }
    })?;
    decode_vec(bytes, &path.display().to_string())
}

/// The checkpoint file of a run: claimed like every output (locked for the run), each
/// new checkpoint written to the claim's temporary file and renamed over the previous.
#[derive(Debug)]
pub struct CheckpointFile {
    out: Output,
}

impl CheckpointFile {
    /// A claimed destination ([`Output::claim`]).
    pub fn new(out: Output) -> CheckpointFile {
        CheckpointFile { out }
    }

    /// Where the checkpoints go.
    pub fn path(&self) -> &Path {
        self.out.dest()
    }

    /// Write a checkpoint ([`encode`]) and put it in place of the previous one.
    pub fn write(
        &mut self,
        header: &str,
        state: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), String> {
        let temp = self.out.temp().to_path_buf();
        let r = File::create(&temp).and_then(|f| encode(BufWriter::new(f), header, state));
        if let Err(e) = r {
            let _ = std::fs::remove_file(&temp);
            return Err(format!("writing the checkpoint {}", io_message(&e, &temp)));
        }
        self.out.replace().map_err(|e| match e {
            OutputError::Invalid(m) | OutputError::Busy(m) | OutputError::Io(m) => {
                format!("writing the checkpoint: {m}")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut buf = Vec::new();
        let state: Vec<u8> = (0..100u8).collect();
        encode(&mut buf, "{\"a\":1}", &mut |w| w.write_all(&state)).unwrap();
        buf
    }

    #[test]
    fn round_trip_and_every_damage_is_refused() {
        let buf = sample();
        let c = decode(&buf, "x").unwrap();
        assert_eq!(c.header, "{\"a\":1}");
        assert_eq!(c.state, (0..100u8).collect::<Vec<_>>());
        assert_eq!(c.version, VERSION);
        let msg = |b: &[u8]| decode(b, "x").unwrap_err().to_string();
        // Every truncation.
        for n in 0..buf.len() {
            let m = msg(&buf[..n]);
            assert!(
                m.contains("truncated") || m.contains("not a cortexsim checkpoint"),
                "{n}: {m}"
            );
        }
        // Every flipped bit of every byte after the signature and version.
        for i in 12..buf.len() {
            for bit in 0..8 {
                let mut b = buf.clone();
                b[i] ^= 1 << bit;
                let m = msg(&b);
                assert!(m.contains("damaged") || m.contains("truncated"), "{i}: {m}");
            }
        }
        // A newer version, named.
        let mut b = buf.clone();
        b[8..12].copy_from_slice(&(VERSION + 1).to_le_bytes());
        assert!(msg(&b).contains(&format!("version {} is newer", VERSION + 1)));
        assert!(msg(b"PK\x03\x04 a zip file").contains("not a cortexsim checkpoint"));
    }

    #[test]
    fn a_new_checkpoint_replaces_the_old_one_only_when_complete() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("c.ckpt");
        let mut f = CheckpointFile::new(Output::claim(&dest, false).unwrap());
        f.write("{}", &mut |w| w.write_all(b"one")).unwrap();
        assert_eq!(read(&dest).unwrap().state, b"one");
        // A state that fails half-way leaves the previous checkpoint as it was.
        let mut calls = 0;
        let e = f
            .write("{}", &mut |w| {
                calls += 1;
                w.write_all(b"tw")?;
                if calls == 2 {
                    return Err(io::Error::other("disk on fire"));
                }
                w.write_all(b"o")
            })
            .unwrap_err();
        assert!(e.contains("disk on fire"), "{e}");
        assert_eq!(read(&dest).unwrap().state, b"one");
        f.write("{}", &mut |w| w.write_all(b"three")).unwrap();
        assert_eq!(read(&dest).unwrap().state, b"three");
        drop(f);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["c.ckpt"], "no temporary or lock file left");
    }
}
