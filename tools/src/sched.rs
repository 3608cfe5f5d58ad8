//! Scheduling classes of the shard's threads. The tick thread and its rayon helpers stay in the
//! normal class; the service threads (network, storage, chunk services, metadata, admin port)
//! are started in Linux's `SCHED_BATCH` class, which the scheduler never lets preempt a running
//! thread when it wakes up. A tick that hands its frames to the network thread then finishes on
//! its core instead of losing it for a time slice to the thread it has just woken; the
//! services still get their fair share of CPU, on an idle core at once or when the running
//! thread's slice ends. Measured on 2 cores shared with the bot harness: tick p99 14.7 → 11.3
//! ms, input→ack latency unchanged (bench/README.md, session 5).
//!
//! An operator can also put the tick thread and its rayon helpers in the real-time `SCHED_FIFO`
//! class (`--tick-priority`, which needs `CAP_SYS_NICE` or a high enough `RLIMIT_RTPRIO`): no
//! normal thread of this or any other process then takes their cores while a tick runs, so a
//! tick's wall time is its CPU time. Threads they spawn start back in the normal class.

/// The calling thread's scheduling class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The default time-sharing class (`SCHED_OTHER`).
    Normal,
    /// `SCHED_BATCH`: fair share, but no preemption on wakeup.
    Batch,
    /// `SCHED_FIFO` at this priority (1–99): runs until it blocks, ahead of every normal thread.
    Realtime(u8),
    /// Anything else (round-robin, idle or deadline classes set by an operator).
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

/// Puts the calling thread, `thread` (named in the log), in the real-time class at `priority`;
/// where that is refused it stays where it is and the reason is logged. True when it is set.
pub fn make_realtime(priority: u8, thread: &str) -> bool {
    match set_class(Class::Realtime(priority)) {
        Ok(()) => {
            tracing::info!(thread, priority, "running in the real-time class (SCHED_FIFO)");
            true
        }
        Err(e) => {
            let hint = "needs CAP_SYS_NICE or an RLIMIT_RTPRIO at least the priority";
            tracing::warn!(thread, priority, error = %e, hint, "staying in the normal scheduling class");
            false
        }
    }
}

/// The calling thread's class.
pub fn current_class() -> std::io::Result<Class> {
    imp::current()
}

/// Moves the calling thread to `class` (not [`Class::Other`]). A real-time class is set with
/// reset-on-fork, so threads the caller spawns later start in the normal class.
pub fn set_class(class: Class) -> std::io::Result<()> {
    imp::set(class)
}

#[cfg(target_os = "linux")]
mod imp {
    use super::Class;

    pub fn current() -> std::io::Result<Class> {
        // SAFETY: sched_getscheduler only reads the calling thread's (pid 0) policy.
        let policy = unsafe { libc::sched_getscheduler(0) };
        if policy == -1 {
            return Err(std::io::Error::last_os_error());
        }
        match policy & !libc::SCHED_RESET_ON_FORK {
            libc::SCHED_OTHER => Ok(Class::Normal),
            libc::SCHED_BATCH => Ok(Class::Batch),
            libc::SCHED_FIFO => Ok(Class::Realtime(priority()?)),
            other => Ok(Class::Other(other)),
        }
    }

    fn priority() -> std::io::Result<u8> {
        let mut param = libc::sched_param { sched_priority: 0 };
        // SAFETY: sched_getparam writes the calling thread's parameters into `param`.
        match unsafe { libc::sched_getparam(0, &mut param) } {
            0 => Ok(u8::try_from(param.sched_priority).unwrap_or(0)),
            _ => Err(std::io::Error::last_os_error()),
        }
    }

    pub fn set(class: Class) -> std::io::Result<()> {
        let (policy, priority) = match class {
            Class::Normal => (libc::SCHED_OTHER, 0),
            Class::Batch => (libc::SCHED_BATCH, 0),
            Class::Realtime(p @ 1..=99) => (libc::SCHED_FIFO | libc::SCHED_RESET_ON_FORK, i32::from(p)),
            Class::Realtime(p) => {
                let msg = format!("real-time priority {p} is outside 1..=99");
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, msg));
            }
            Class::Other(p) => {
                let msg = format!("only the normal, batch and real-time classes can be set, not policy {p}");
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, msg));
            }
        };
        let param = libc::sched_param { sched_priority: priority };
        // SAFETY: `param` is a valid sched_param for the duration of the call; pid 0 is the
        // calling thread, and the priority is in the policy's range.
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
