//! Scheduling classes of the shard's threads. The tick thread and its rayon helpers stay in the
//! normal class; the service threads (network, storage, chunk services, metadata, admin port)
//! are started in Linux's `SCHED_BATCH` class, which the scheduler never lets preempt a running
//! thread when it wakes up. A tick that hands its frames to the network thread then finishes on
//! its core instead of losing it for a time slice to the thread it has just woken; the
//! services still get their fair share of CPU, on an idle core at once or when the running
//! thread's slice ends. Measured on 2 cores shared with the bot harness: tick p99 14.7 → 11.3
//! ms, input→ack latency unchanged (bench/README.md, session 5).

/// The calling thread's scheduling class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The default time-sharing class (`SCHED_OTHER`).
    Normal,
    /// `SCHED_BATCH`: fair share, but no preemption on wakeup.
    Batch,
    /// Anything else (real-time or idle classes set by an operator).
    Other(i32),
}

/// Runs `start` with the calling thread in the batch class, so every thread it spawns inherits
/// that class, then puts the calling thread back in the normal class. Where the class cannot
/// be changed (not Linux, or refused), `start` runs unchanged and the reason is logged.
pub fn start_in_background<T>(start: impl FnOnce() -> T) -> T {
    let batched = set_class(Class::Batch);
    if let Err(e) = &batched {
        tracing::warn!(error = %e, "service threads stay in the normal scheduling class");
    }
    let out = start();
    if batched.is_ok()
        && let Err(e) = set_class(Class::Normal)
    {
        tracing::error!(error = %e, "cannot put the tick thread back in the normal scheduling class");
    }
    out
}

/// The calling thread's class.
pub fn current_class() -> std::io::Result<Class> {
    imp::current()
}

/// Moves the calling thread to `class` (only [`Class::Normal`] and [`Class::Batch`]).
pub fn set_class(class: Class) -> std::io::Result<()> {
    imp::set(class)
}

#[cfg(target_os = "linux")]
mod imp {
    use super::Class;

    pub fn current() -> std::io::Result<Class> {
        // SAFETY: sched_getscheduler only reads the calling thread's (pid 0) policy.
        let policy = unsafe { libc::sched_getscheduler(0) };
        match policy {
            -1 => Err(std::io::Error::last_os_error()),
            libc::SCHED_OTHER => Ok(Class::Normal),
            libc::SCHED_BATCH => Ok(Class::Batch),
            other => Ok(Class::Other(other)),
        }
    }

    pub fn set(class: Class) -> std::io::Result<()> {
        let policy = match class {
            Class::Normal => libc::SCHED_OTHER,
            Class::Batch => libc::SCHED_BATCH,
            Class::Other(p) => {
                let msg = format!("only the normal and batch classes can be set, not policy {p}");
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, msg));
            }
        };
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: `param` is a valid sched_param for the duration of the call; pid 0 is the
        // calling thread, and both policies take priority 0.
        match unsafe { libc::sched_setscheduler(0, policy, &param) } {
            0 => Ok(()),
            _ => Err(std::io::Error::last_os_error()),
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::Class;

    pub fn current() -> std::io::Result<Class> {
        Ok(Class::Normal)
    }

    pub fn set(_: Class) -> std::io::Result<()> {
        Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "scheduling classes are Linux-only"))
    }
}
