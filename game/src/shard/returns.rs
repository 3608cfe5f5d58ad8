//! Characters coming back: a client handed off to another shard that could not play there (the
//! target is down, or refused its token) logs in at the source again with its own session token
//! while the one-time token is still unused. The source then cancels the hand-off in the store
//! (`cancel_handoff`: the token is void, the character claimed here again) and the character
//! returns where it left. If the target accepted the token meanwhile, the cancel is refused and
//! the login is redirected there as any other. A character taken back is told so right after its
//! Welcome (Error 149, `error::HANDOFF_RETURNED`).

use super::Shard;
use super::handoff::HANDOFF_TTL;
use super::login::{Verified, close};
use std::collections::HashMap;
use std::time::Instant;
use store::{Cancellation, MapId, Pending, Position, SaveSeq};

/// A hand-off out whose token may still be unused.
#[derive(Debug)]
struct Sent {
    token_hash: Vec<u8>,
    /// Where the character left from.
    from: (MapId, Position),
    until: Instant,
}

/// A login taking its character back from a hand-off.
#[derive(Debug)]
struct Returning {
    login: Verified,
    from: (MapId, Position),
    cancel: Pending<Cancellation>,
}

/// The hand-offs out that may still be cancelled, and the cancels in flight.
#[derive(Debug, Default)]
pub(crate) struct Returns {
    sent: HashMap<i64, Sent>,
    returning: Vec<Returning>,
    /// Connections whose character was taken back, until their Welcome (then told why).
    came_back: Vec<net::ConnId>,
}

impl Returns {
    /// Character `player` left from `from` with a token hashed `token_hash`.
    pub(crate) fn sent(&mut self, player: i64, token_hash: Vec<u8>, from: (MapId, Position)) {
        let now = Instant::now();
        self.sent.retain(|_, s| s.until > now);
        self.sent.insert(player, Sent { token_hash, from, until: now + HANDOFF_TTL });
    }

    /// Drops the cancel in progress of `conn` (it disconnected).
    pub(crate) fn forget(&mut self, conn: net::ConnId) {
        self.returning.retain(|r| r.login.conn != conn);
        self.came_back.retain(|&c| c != conn);
    }

    /// Whether `conn`, welcomed now, took its character back from a hand-off (asked once).
    pub(crate) fn welcomed_back(&mut self, conn: net::ConnId) -> bool {
        let found = self.came_back.iter().position(|&c| c == conn);
        found.map(|i| self.came_back.swap_remove(i)).is_some()
    }
}

impl Shard {
    /// A login verified by its session token whose character this shard handed off moments ago:
    /// starts taking it back. The login is given back when there is nothing to take back.
    pub(crate) fn take_back(&mut self, login: Verified) -> Option<Verified> {
        let fresh = self.returns.sent.get(&login.record.id).is_some_and(|s| s.until > Instant::now());
        if login.claim.is_some() || login.token == [0; 32] || !fresh {
            return Some(login);
        }
        let Some(sent) = self.returns.sent.remove(&login.record.id) else { return Some(login) };
        match self.store.loader().cancel_handoff(sent.token_hash, &self.opts.shard_id) {
            Ok(cancel) => {
                tracing::info!(
                    player = login.record.id,
                    "a handed-off character came back: cancelling its hand-off"
                );
                self.returns.returning.push(Returning { login, from: sent.from, cancel });
                None
            }
            Err(e) => {
                tracing::warn!(player = login.record.id, error = %e, "cannot cancel a hand-off");
                Some(login)
            }
        }
    }

    /// Applies the store's answers to the cancels in flight.
    pub(crate) fn step_returns(&mut self) {
        for r in std::mem::take(&mut self.returns.returning) {
            let Some(answer) = r.cancel.try_take() else {
                self.returns.returning.push(r);
                continue;
            };
            let Returning { mut login, from, .. } = r;
            match answer {
                Ok(Cancellation::Reclaimed { claim }) => {
                    (login.record.map, login.record.pos) = from;
                    login.claim = Some(SaveSeq { claim, n: 0 });
                    self.returns.came_back.push(login.conn);
                    self.claimed(login);
                }
                Ok(Cancellation::Refused(why)) => {
                    tracing::info!(
                        player = login.record.id,
                        ?why,
                        "hand-off not cancelled: the character is elsewhere"
                    );
                    self.send_elsewhere(login.conn, login.record.map, login.token);
                }
                Err(e) => {
                    let reason = format!("cannot take the character back: {e}; try again");
                    self.outbox.close(login.conn, close::TRY_LATER, &reason);
                }
            }
        }
    }
}
