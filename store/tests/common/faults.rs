//! The fault plan both crash-prefix property tests (the store's, `store/tests/crash_prefix.rs`,
//! and the game's, `game/tests/items_crash.rs`) drive the store's fault hook with, and the wait
//! for a write's ticket that tells a resolved write from a crash. Included by `#[path]`.

use crossbeam_channel::{Receiver, Sender};
use std::time::Duration;
use store::{StoreError, Ticket};

/// Longest wait for a write to resolve or the crash to be announced.
pub const WAIT: Duration = Duration::from_secs(30);
/// Most injected faults per case (besides the crash).
pub const MAX_FAULTS: u32 = 6;

/// What the fault hook does: a few random faults, then (maybe) the crash, after which every
/// write fails before its commit. The crash is announced by dropping `crashed`.
pub struct FaultPlan {
    pub rng: u64,
    pub calls: u32,
    pub faults: u32,
    pub crash_at: Option<u32>,
    pub crashed: Option<Sender<()>>,
}

impl FaultPlan {
    fn next(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    /// The verdict at one fault point: go on, kill the connections (`kill`, PostgreSQL only),
    /// or fail.
    pub fn at_point(&mut self, kill: Option<&dyn Fn()>) -> Result<(), StoreError> {
        self.calls += 1;
        if self.crash_at.is_some_and(|at| self.calls >= at) {
            self.crashed = None;
            return Err(StoreError::Unavailable("crashed".into()));
        }
        if self.faults >= MAX_FAULTS || !self.next().is_multiple_of(8) {
            return Ok(());
        }
        self.faults += 1;
        match kill {
            // The next statement finds its connection gone.
            Some(kill) if self.next().is_multiple_of(2) => {
                kill();
                Ok(())
            }
            _ => Err(StoreError::Unavailable("injected fault".into())),
        }
    }
}

/// Waits for ticket `i` and records its result; false once the database crashed instead.
pub fn settle(
    tickets: &[Ticket],
    results: &mut [Option<Result<(), StoreError>>],
    i: usize,
    crashed: &Receiver<()>,
) -> bool {
    if results[i].is_some() {
        return true;
    }
    crossbeam_channel::select! {
        recv(tickets[i].receiver()) -> r => {
            results[i] = Some(r.unwrap_or(Err(StoreError::Closed)));
            true
        }
        recv(crashed) -> _ => false,
        default(WAIT) => panic!("a write neither resolved nor crashed within {WAIT:?}"),
    }
}
