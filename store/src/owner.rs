//! Records of ownership for several shards on one database: map fences (epochs), a character's
//! one live owner with its save sequence, and the one-time hand-off of a character between shards.
//!
//! The invariants the backends keep, each in the transaction of the write it guards:
//! - a write carrying a [`Fence`] commits only while its epoch is the map's current one
//!   ([`crate::Backend::take_map`] bumps it); otherwise nothing of that transaction commits and
//!   the error is [`crate::StoreError::Fenced`];
//! - a character is live on at most one shard; every claim bumps its claim number;
//! - a [`PlayerSave`] applies only when its [`SaveSeq`] names the current claim and is newer than
//!   the stored one, so an older save landing after a newer one changes nothing;
//! - a hand-off token is accepted at most once, by the shard it names, before it expires, while
//!   the character is released; only its hash is stored.

use crate::record::{ItemTx, MapId, PlayerLoad, PlayerRecord};

/// A shard's hold on a map: the epoch [`crate::Backend::take_map`] gave it. Writes carrying a
/// fence are checked against the map's current epoch in their own transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fence {
    pub map: MapId,
    pub epoch: i64,
}

/// Who holds a map in the database, and since which epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapOwner {
    pub shard: String,
    pub epoch: i64,
}

/// The order of a character's saves: by claim (each claim of the character bumps it), then by
/// `n`, which the shard holding the claim increments with every save (starting at 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SaveSeq {
    pub claim: i64,
    pub n: i64,
}

/// A character save that applies only if it is newer than the stored one (see [`SaveSeq`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerSave {
    pub player: PlayerRecord,
    pub seq: SaveSeq,
}

/// The answer to a claim of a character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The character is live on the caller's shard under claim number `claim`: its saves carry
    /// `SaveSeq { claim, n }` with `n` counting up from [`Claim::first_n`]. A shard claiming a
    /// character it already holds keeps its claim number (a restarted shard continues after
    /// `saved`, the sequence of the save stored last).
    Claimed { claim: i64, saved: SaveSeq },
    /// The character is live on another shard; nothing changed.
    LiveOn { shard: String },
}

impl Claim {
    /// The `n` of the first save under a claim `claim` when the stored save is `saved`: 1 under
    /// a new claim, one past the stored save under a kept one.
    pub fn first_n(claim: i64, saved: SaveSeq) -> i64 {
        if saved.claim == claim { saved.n + 1 } else { 1 }
    }
}

/// The live owner of a character as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOwner {
    /// `None`: released (logged out, or handed off and not yet accepted).
    pub shard: Option<String>,
    pub claim: i64,
    /// The sequence of the save stored last.
    pub saved: SaveSeq,
}

/// A character leaving one shard for another, written in one transaction by
/// [`crate::Backend::hand_off`]: the save, the item transactions still in flight for the
/// character (a dropped item, a box's contents: world writes committed with the save), the
/// release of the character and the one-time token.
///
/// The caller draws a random 32-byte token, gives it to the client for the target shard and
/// passes only its hash here (e.g. SHA-256): a token not drawn by the source cannot match a
/// stored hash, and the database never holds a usable token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandOff {
    /// The source shard: it must hold the character's live claim (`save.seq.claim`).
    pub from_shard: String,
    /// The source map's fence, checked like any fenced write (`None`: unfenced).
    pub fence: Option<Fence>,
    /// The character as it arrives: `player.map` must be `to_map`.
    pub save: PlayerSave,
    /// Item transactions committed in the same transaction (their own fences are checked too).
    pub items: Vec<ItemTx>,
    pub token_hash: Vec<u8>,
    pub to_shard: String,
    pub to_map: MapId,
    /// Milliseconds since the Unix epoch after which the token is refused (accepted while
    /// `now_ms <= expires_ms`).
    pub expires_ms: i64,
}

/// One hand-off token to accept ([`crate::Backend::accept_handoffs`]): its hash, the shard
/// accepting it and that shard's clock (ms since the Unix epoch, the token's expiry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptRequest<'a> {
    pub hash: &'a [u8],
    pub shard: &'a str,
    pub now_ms: i64,
}

/// What [`crate::Backend::accept_handoff`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acceptance {
    /// The token is used up and the character is live on the accepting shard under `claim`.
    Accepted { load: Box<PlayerLoad>, claim: i64 },
    /// Nothing changed.
    Refused(Refusal),
}

/// What [`crate::Backend::cancel_handoff`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cancellation {
    /// The token is void and the character is live on the source again under `claim`.
    Reclaimed { claim: i64 },
    /// Nothing changed.
    Refused(Refusal),
}

/// Why a hand-off token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No token has this hash (forged, or never issued).
    Unknown,
    /// The token was accepted already (a replay).
    Used,
    /// The source took the character back.
    Cancelled,
    /// Past its `expires_ms`.
    Expired,
    /// The token names another shard (for an accept: the target; for a cancel: the source).
    OtherShard { named: String },
    /// The character is live on a shard (claimed again since the hand-off).
    StillLive { shard: String },
}

/// The stored state of a hand-off token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenState {
    Pending = 0,
    Accepted = 1,
    Cancelled = 2,
}

impl TokenState {
    pub(crate) fn from_i64(v: i64) -> TokenState {
        match v {
            0 => TokenState::Pending,
            1 => TokenState::Accepted,
            _ => TokenState::Cancelled,
        }
    }
}
