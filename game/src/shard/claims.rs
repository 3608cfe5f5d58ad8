//! Claims of characters at login: a verified character on a map this shard simulates is claimed
//! in the database (`claim_player`) before it spawns, so it is live on one shard at a time and
//! every save of it carries the claim ([`SaveSeq`]: a save of an older claim, or older than the
//! stored one, changes nothing). A character whose claim another shard holds is taken from it:
//! only the owner of a character's map simulates the character, this shard owns that map now,
//! and the other shard's writes of the map are fenced.

use super::lobby::Event;
use super::login::{Verified, close};
use net::ConnId;
use store::{Claim, MapId, Pending, SaveSeq, Store};

/// One verified login waiting for its claim.
#[derive(Debug)]
struct ClaimJob {
    login: Verified,
    pending: Pending<Claim>,
    /// The shard the claim is being taken from (tried once).
    taking_from: Option<String>,
}

/// The logins waiting for their claims.
#[derive(Debug, Default)]
pub(crate) struct Claims {
    jobs: Vec<ClaimJob>,
}

/// The sequence a claim's saves start after: one past the stored save under a kept claim, and
/// never below the wall clock in milliseconds, so a restarted shard (or a login again while the
/// last logout save is in flight) numbers its saves after any save an earlier session made.
pub(crate) fn start_seq(claim: i64, saved: SaveSeq, unix_ms: i64) -> SaveSeq {
    SaveSeq { claim, n: Claim::first_n(claim, saved).max(unix_ms) - 1 }
}

impl Claims {
    /// Claims the character of `login` for `shard`.
    pub(crate) fn start(&mut self, login: Verified, store: &Store, shard: &str) -> Option<Event> {
        match store.loader().claim_player(login.record.id, shard) {
            Ok(pending) => {
                self.jobs.push(ClaimJob { login, pending, taking_from: None });
                None
            }
            Err(e) => Some(refused(login.conn, format!("cannot claim the character: {e}"))),
        }
    }

    /// True when no claim is in progress.
    pub(crate) fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Drops the claim in progress of `conn` (it disconnected).
    pub(crate) fn forget(&mut self, conn: ConnId) {
        self.jobs.retain(|j| j.login.conn != conn);
    }

    /// Takes out the logins headed for map `map` (no longer simulated here).
    pub(crate) fn leave_map(&mut self, map: MapId) -> Vec<(ConnId, [u8; 32])> {
        let (gone, kept) =
            std::mem::take(&mut self.jobs).into_iter().partition(|j| j.login.record.map == map);
        self.jobs = kept;
        gone.into_iter().map(|j: ClaimJob| (j.login.conn, j.login.token)).collect()
    }

    /// Advances every claim by what the store answered.
    pub(crate) fn step(&mut self, store: &Store, shard: &str, unix_ms: i64) -> Vec<Event> {
        let mut events = Vec::new();
        for mut job in std::mem::take(&mut self.jobs) {
            let Some(result) = job.pending.try_take() else {
                self.jobs.push(job);
                continue;
            };
            let conn = job.login.conn;
            match result {
                Ok(Claim::Claimed { claim, saved }) => {
                    job.login.claim = Some(start_seq(claim, saved, unix_ms));
                    events.push(Event::Claimed(job.login));
                }
                Ok(Claim::LiveOn { shard: other }) if job.taking_from.is_none() => {
                    match take_from(&job, store, shard, &other) {
                        Ok(pending) => self.jobs.push(ClaimJob { pending, taking_from: Some(other), ..job }),
                        Err(why) => events.push(refused(conn, why)),
                    }
                }
                Ok(Claim::LiveOn { shard: other }) => {
                    events.push(refused(conn, format!("the character is live on shard {other}; try again")));
                }
                Err(e) => events.push(refused(conn, format!("cannot claim the character: {e}"))),
            }
        }
        events
    }
}

/// Takes the claim from `other`, which cannot simulate the character's map any more (this shard
/// owns it).
fn take_from(job: &ClaimJob, store: &Store, shard: &str, other: &str) -> Result<Pending<Claim>, String> {
    let player = job.login.record.id;
    tracing::warn!(player, from = %other, "character claimed by a shard that no longer owns its map: taking the claim");
    store
        .loader()
        .claim_player_from(player, shard, other)
        .map_err(|e| format!("cannot claim the character: {e}"))
}

fn refused(conn: ConnId, reason: String) -> Event {
    Event::Refused { conn, code: close::TRY_LATER, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_continue_after_the_stored_one_and_the_clock() {
        let saved = SaveSeq { claim: 3, n: 5_000 };
        assert_eq!(
            start_seq(3, saved, 100),
            SaveSeq { claim: 3, n: 5_000 },
            "kept claim: after the stored save"
        );
        assert_eq!(start_seq(3, saved, 9_000), SaveSeq { claim: 3, n: 8_999 }, "never below the clock");
        assert_eq!(start_seq(4, saved, 0), SaveSeq { claim: 4, n: 0 }, "new claim: from 1");
    }
}
