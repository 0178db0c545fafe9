//! Output files that are never half-written where the user looks, and never written by
//! two runs at once.
//!
//! A run [`claim`](Output::claim)s each destination before it builds anything:
//!
//! ```text
//!  out/run.h5.lock          lock file: flock(2)ed while the run lives, holds its PID;
//!                           removed at the end (a killed run leaves it, unlocked: the
//!                           next run takes it over — the kernel dropped the lock)
//!  out/run.partial-PID.h5   the file being written (same directory, so same file system)
//!  out/run.h5               replaced only by `commit`: fsync, then rename (or, without
//!                           --overwrite, link, which fails if the file appeared meanwhile)
//! ```
//!
//! A second run on the same destination fails at once, naming the path and the PID of
//! the run that holds it. A run that fails removes its temporary file (or keeps it,
//! named, where it holds something worth reading: [`Output::keep_partial`]); the
//! destination is never touched before the new file is complete.
//!
//! **Symbolic links.** A destination that is a symbolic link is refused: replacing by
//! rename would replace the link itself, not the file it points to, and writing through it
//! is how an output overwrote an input. Links in the directories above are followed.
//! Paths are compared after resolving them ([`same_file`]), so an output can be refused
//! when it is the input network or another output of the same run.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Why an output could not be claimed or committed.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The request itself is wrong (file exists without --overwrite, no such directory,
    /// a symbolic link, an output that is also an input): exit code 3 in the CLI.
    #[error("{0}")]
    Invalid(String),
    /// Another process writes the same destination.
    #[error("{0}")]
    Busy(String),
    /// Reading or writing failed (the message names the path).
    #[error("{0}")]
    Io(String),
}

/// An I/O error as a message naming `path`; a full disk says so in plain words.
pub fn io_message(e: &std::io::Error, path: &Path) -> String {
    if is_no_space(e) {
        no_space_message(path)
    } else {
        format!("{}: {e}", path.display())
    }
}

/// Whether `e` is ENOSPC (or EDQUOT, a full quota).
pub fn is_no_space(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::StorageFull | ErrorKind::QuotaExceeded)
        || matches!(e.raw_os_error(), Some(28 | 122))
}

/// The one message for a full disk.
pub fn no_space_message(path: &Path) -> String {
    format!("no space left on device at {}", path.display())
}

/// The lock file of a destination: `x.h5` → `x.h5.lock`.
pub fn lock_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    dest.with_file_name(name)
}

/// The temporary file of a destination for process `pid`: `x.h5` → `x.partial-PID.h5`
/// (the extension is kept: plot backends choose the format by it).
pub fn partial_path(dest: &Path, pid: u32) -> PathBuf {
    let stem = dest.file_stem().unwrap_or_default().to_string_lossy();
    let name = match dest.extension() {
        Some(ext) => format!("{stem}.partial-{pid}.{}", ext.to_string_lossy()),
        None => format!("{stem}.partial-{pid}"),
    };
    dest.with_file_name(name)
}

/// The directory a path lives in (`.` for a bare file name).
fn dir_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// `path` with its directory resolved (symbolic links, `..`), and the file itself resolved
/// too if it exists: two paths name the same file iff their resolved forms are equal.
pub fn resolve(path: &Path) -> PathBuf {
    if let Ok(p) = fs::canonicalize(path) {
        return p;
    }
    let dir = fs::canonicalize(dir_of(path)).unwrap_or_else(|_| dir_of(path).to_path_buf());
    match path.file_name() {
        Some(n) => dir.join(n),
        None => dir,
    }
}

/// Whether `a` and `b` name the same file (same resolved path, or, for files that exist,
/// the same device and inode: hard links).
pub fn same_file(a: &Path, b: &Path) -> bool {
    if resolve(a) == resolve(b) {
        return true;
    }
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// Refuse outputs that are an input or another output of the same run. Each item is
/// (what, path), e.g. `("--out", "x.h5")`, `("the network file", "net.toml")`.
pub fn check_distinct(
    outputs: &[(&str, &Path)],
    inputs: &[(&str, &Path)],
) -> Result<(), OutputError> {
    for (i, (what, out)) in outputs.iter().enumerate() {
        for (in_what, input) in inputs {
            if same_file(out, input) {
                return Err(OutputError::Invalid(format!(
                    "{what} {} is {in_what}; it would be overwritten (choose another output path)",
                    out.display()
                )));
            }
        }
        for (other_what, other) in &outputs[..i] {
            if same_file(out, other) {
                return Err(OutputError::Invalid(format!(
                    "{what} {} is the same file as {other_what} {}; give each output its own path",
                    out.display(),
                    other.display()
                )));
            }
        }
    }
    Ok(())
}

/// The exclusive claim on a destination: a locked lock file holding our PID.
#[derive(Debug)]
struct Lock {
    path: PathBuf,
    _file: File,
}

impl Lock {
    fn acquire(dest: &Path) -> Result<Lock, OutputError> {
        let path = lock_path(dest);
        // A holder removes its lock file when it is done; if we opened the file just
        // before that, we locked a file that no longer has a name: open again.
        for _ in 0..100 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| {
                    OutputError::Invalid(format!(
                        "cannot write to {}: {}",
                        dir_of(dest).display(),
                        io_message(&e, &path)
                    ))
                })?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    let mut pid = String::new();
                    let _ = file.read_to_string(&mut pid);
                    let who = match pid.trim() {
                        "" => "another process".to_string(),
                        p => format!("process {p}"),
                    };
                    return Err(OutputError::Busy(format!(
                        "output {} is being written by another cortexsim run ({who}; lock file {}); \
                         wait for it to finish or choose another path",
                        dest.display(),
                        path.display()
                    )));
                }
                Err(fs::TryLockError::Error(e)) => {
                    return Err(OutputError::Io(format!(
                        "cannot lock {}: {e}",
                        path.display()
                    )));
                }
            }
            let same = match (fs::metadata(&path), file.metadata()) {
                (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
                _ => false,
            };
            if !same {
                continue;
            }
            let pid = format!("{}\n", std::process::id());
            file.set_len(0)
                .and_then(|_| file.write_all(pid.as_bytes()))
                .map_err(|e| OutputError::Io(io_message(&e, &path)))?;
            return Ok(Lock { path, _file: file });
        }
        Err(OutputError::Busy(format!(
            "could not take the lock file {} (it keeps being replaced)",
            path.display()
        )))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Remove the name while still holding the lock; the lock goes with the file handle.
        let _ = fs::remove_file(&self.path);
    }
}

/// One output file of a run: claimed, written under a temporary name, then committed.
#[derive(Debug)]
pub struct Output {
    dest: PathBuf,
    temp: PathBuf,
    overwrite: bool,
    /// Remove the temporary file when dropped (not committed, not kept).
    remove_temp: bool,
    _lock: Lock,
}

impl Output {
    /// Claim `dest` before any work: refuses a directory, a missing directory, a symbolic
    /// link, an existing file unless `overwrite`, an unwritable directory, and a
    /// destination another run holds. Nothing is written but the lock file.
    pub fn claim(dest: &Path, overwrite: bool) -> Result<Output, OutputError> {
        let dir = dir_of(dest);
        if dest.file_name().is_none() {
            return Err(OutputError::Invalid(format!(
                "output path {} names no file",
                dest.display()
            )));
        }
        if !dir.is_dir() {
            return Err(OutputError::Invalid(format!(
                "output directory {} does not exist",
                dir.display()
            )));
        }
        if let Ok(m) = fs::symlink_metadata(dest)
            && m.file_type().is_symlink()
        {
            let to = fs::read_link(dest)
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| "?".into());
            return Err(OutputError::Invalid(format!(
                "output path {} is a symbolic link (to {to}); cortexsim replaces output files by \
                 renaming and does not write through links: give the real path",
                dest.display()
            )));
        }
        if dest.is_dir() {
            return Err(OutputError::Invalid(format!(
                "output path {} is a directory",
                dest.display()
            )));
        }
        let lock = Lock::acquire(dest)?;
        // Checked under the lock: two runs without --overwrite cannot both pass.
        if dest.exists() && !overwrite {
            return Err(OutputError::Invalid(format!(
                "output file {} exists; pass --overwrite to replace it",
                dest.display()
            )));
        }
        Ok(Output {
            dest: dest.to_path_buf(),
            temp: partial_path(dest, std::process::id()),
            overwrite,
            remove_temp: true,
            _lock: lock,
        })
    }

    /// Where the file is written until [`commit`](Self::commit).
    pub fn temp(&self) -> &Path {
        &self.temp
    }

    /// Where the file ends up.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Put the finished (closed) temporary file in place: fsync it, then rename it over
    /// the destination (with `overwrite`), or hard-link it to a destination that must not
    /// exist (without), then fsync the directory. The old file is replaced in one step.
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        let io = |e: std::io::Error, p: &Path| OutputError::Io(io_message(&e, p));
        File::open(&self.temp)
            .and_then(|f| f.sync_all())
            .map_err(|e| io(e, &self.temp))?;
        if self.overwrite {
            fs::rename(&self.temp, &self.dest).map_err(|e| io(e, &self.dest))?;
        } else {
            match fs::hard_link(&self.temp, &self.dest) {
                Ok(()) => {
                    let _ = fs::remove_file(&self.temp);
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    let kept = self.keep_partial();
                    return Err(OutputError::Invalid(format!(
                        "output file {} was created by someone else during the run; \
                         the result is in {}",
                        self.dest.display(),
                        kept.display()
                    )));
                }
                // File systems without hard links: the lock keeps other runs away.
                Err(_) if !self.dest.exists() => {
                    fs::rename(&self.temp, &self.dest).map_err(|e| io(e, &self.dest))?;
                }
                Err(e) => return Err(io(e, &self.dest)),
            }
        }
        self.remove_temp = false;
        if let Ok(d) = File::open(dir_of(&self.dest)) {
            let _ = d.sync_all();
        }
        Ok(self.dest.clone())
    }

    /// Put the finished temporary file in place and keep the claim, for a file that is
    /// replaced several times during a run (checkpoints): fsync it, rename it over the
    /// destination (the claim already decided whether an existing file may be replaced),
    /// fsync the directory. The next version is written to [`temp`](Self::temp) again.
    pub fn replace(&mut self) -> Result<(), OutputError> {
        let io = |e: std::io::Error, p: &Path| OutputError::Io(io_message(&e, p));
        File::open(&self.temp)
            .and_then(|f| f.sync_all())
            .map_err(|e| io(e, &self.temp))?;
        fs::rename(&self.temp, &self.dest).map_err(|e| io(e, &self.dest))?;
        if let Ok(d) = File::open(dir_of(&self.dest)) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Leave the temporary file where it is (it holds a partial result worth reading)
    /// and return its path; the destination is not touched.
    pub fn keep_partial(&mut self) -> PathBuf {
        self.remove_temp = false;
        self.temp.clone()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if self.remove_temp {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_lock_and_partial_files() {
        assert_eq!(lock_path(Path::new("d/x.h5")), Path::new("d/x.h5.lock"));
        assert_eq!(
            partial_path(Path::new("d/x.h5"), 42),
            Path::new("d/x.partial-42.h5")
        );
        assert_eq!(
            partial_path(Path::new("x.delays.mtx"), 7),
            Path::new("x.delays.partial-7.mtx")
        );
        assert_eq!(partial_path(Path::new("x"), 7), Path::new("x.partial-7"));
    }

    #[test]
    fn a_second_claim_is_refused_and_the_first_commit_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("x.h5");
        fs::write(&dest, b"old").unwrap();
        let a = Output::claim(&dest, true).unwrap();
        let pid = std::process::id().to_string();
        match Output::claim(&dest, true) {
            Err(OutputError::Busy(m)) => {
                assert!(
                    m.contains(&dest.display().to_string()) && m.contains(&pid),
                    "{m}"
                )
            }
            other => panic!("second claim: {other:?}"),
        }
        fs::write(a.temp(), b"new").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"old", "untouched before commit");
        a.commit().unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"new");
        assert!(!lock_path(&dest).exists(), "lock file removed");
        // Free again.
        drop(Output::claim(&dest, true).unwrap());
    }

    #[test]
    fn a_dropped_claim_removes_its_temporary_file_and_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("x.h5");
        fs::write(&dest, b"old").unwrap();
        let a = Output::claim(&dest, true).unwrap();
        let temp = a.temp().to_path_buf();
        fs::write(&temp, b"half").unwrap();
        drop(a);
        assert!(!temp.exists());
        assert_eq!(fs::read(&dest).unwrap(), b"old");
    }

    #[test]
    fn a_stale_lock_file_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("x.h5");
        // What a killed run leaves: the lock file, not locked by anyone.
        fs::write(lock_path(&dest), b"999999\n").unwrap();
        let a = Output::claim(&dest, false).unwrap();
        assert_eq!(
            fs::read_to_string(lock_path(&dest)).unwrap().trim(),
            std::process::id().to_string()
        );
        drop(a);
    }

    #[test]
    fn without_overwrite_an_existing_file_is_refused_and_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("x.h5");
        fs::write(&dest, b"old").unwrap();
        assert!(matches!(
            Output::claim(&dest, false),
            Err(OutputError::Invalid(_))
        ));
        // Created by someone else while the run wrote: the commit refuses, keeps both.
        fs::remove_file(&dest).unwrap();
        let a = Output::claim(&dest, false).unwrap();
        fs::write(a.temp(), b"new").unwrap();
        fs::write(&dest, b"theirs").unwrap();
        let temp = a.temp().to_path_buf();
        assert!(matches!(a.commit(), Err(OutputError::Invalid(_))));
        assert_eq!(fs::read(&dest).unwrap(), b"theirs");
        assert_eq!(fs::read(&temp).unwrap(), b"new");
    }

    #[test]
    fn symbolic_links_are_refused_and_same_files_found() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("net.toml");
        fs::write(&real, b"x").unwrap();
        let link = dir.path().join("link.h5");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        match Output::claim(&link, true) {
            Err(OutputError::Invalid(m)) => assert!(m.contains("symbolic link"), "{m}"),
            other => panic!("{other:?}"),
        }
        let dotted = dir.path().join(".").join("net.toml");
        assert!(same_file(&dotted, &real));
        assert!(same_file(&link, &real));
        let e = check_distinct(&[("--out", &dotted)], &[("the network file", &real)]);
        assert!(matches!(e, Err(OutputError::Invalid(_))));
        let a = dir.path().join("a.h5");
        let e = check_distinct(&[("--out", &a), ("--plot", &a)], &[]);
        assert!(matches!(e, Err(OutputError::Invalid(_))));
        assert!(check_distinct(&[("--out", &a)], &[("the network file", &real)]).is_ok());
    }
}
