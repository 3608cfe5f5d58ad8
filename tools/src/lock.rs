//! An exclusive lock on the data directory, so that two shards never open one embedded store:
//! a `flock(LOCK_EX | LOCK_NB)` on a lock file inside it, held until the process exits, with the
//! holder's pid written in the file for the refusal message.

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Name of the lock file inside the data directory.
pub const LOCK_FILE: &str = "shard.lock";

/// The held lock; released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

/// Why the data directory could not be locked.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds the lock; its pid when the lock file names one.
    Held { dir: PathBuf, pid: Option<u32> },
    /// The lock file could not be opened, locked or written.
    Io { dir: PathBuf, error: std::io::Error },
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Held { dir, pid: Some(pid) } => {
                write!(f, "data directory {} is in use by another shard (pid {pid})", dir.display())
            }
            Self::Held { dir, pid: None } => {
                write!(f, "data directory {} is in use by another shard", dir.display())
            }
            Self::Io { dir, error } => write!(f, "cannot lock data directory {}: {error}", dir.display()),
        }
    }
}

impl std::error::Error for LockError {}

impl DataDirLock {
    /// Locks `dir` (which must exist) or says who holds it.
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        let io = |error| LockError::Io { dir: dir.to_path_buf(), error };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(LOCK_FILE))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Held { dir: dir.to_path_buf(), pid: holder(&mut file) });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        write_pid(&mut file).map_err(io)?;
        Ok(Self { _file: file })
    }
}

/// The pid the holder wrote, if the file has one.
fn holder(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

fn write_pid(file: &mut File) -> std::io::Result<()> {
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{}", std::process::id())?;
    file.flush()
}
