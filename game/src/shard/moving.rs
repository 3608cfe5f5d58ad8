//! What a character moving to another shard is made of, shared by the lobby (a spawn search
//! that chose another shard's map), the logins (the target's side) and the hand-offs
//! themselves (`handoff.rs`): the character out of this shard's world ([`Departing`]) and the
//! steps a crash test may stop a hand-off at ([`HandoffStep`]).

use net::ConnId;
use std::time::Duration;
use store::{ItemRecord, PlayerRecord, SaveSeq, Ticket};

/// A character out of this shard's world, about to be handed off.
#[derive(Debug)]
pub(crate) struct Departing {
    pub conn: ConnId,
    /// As it left (its map one of this shard's).
    pub record: PlayerRecord,
    pub seq: SaveSeq,
    pub items: Vec<ItemRecord>,
    /// The last item transaction of its inventory.
    pub item_ticket: Option<Ticket>,
}

/// The steps of a hand-off a crash test may stop the shard at ([`super::ShardOptions::test_pause`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoffStep {
    /// Source: the character is out of the world, its hand-off not yet submitted.
    Submitted,
    /// Source: the hand-off committed, the Redirect not yet sent.
    Committed,
    /// Target: the token accepted (the character claimed here), not yet spawned.
    Accepted,
}

impl HandoffStep {
    /// The step named `name` (`submitted`, `committed`, `accepted`).
    pub fn parse(name: &str) -> Option<HandoffStep> {
        match name {
            "submitted" => Some(HandoffStep::Submitted),
            "committed" => Some(HandoffStep::Committed),
            "accepted" => Some(HandoffStep::Accepted),
            _ => None,
        }
    }
}

/// Sleeps the tick when `pause` names `step` (crash tests only).
pub(crate) fn test_pause(pause: Option<(HandoffStep, Duration)>, step: HandoffStep) {
    if let Some((at, long)) = pause
        && at == step
    {
        tracing::warn!(?step, ?long, "test pause in a hand-off");
        std::thread::sleep(long);
    }
}
