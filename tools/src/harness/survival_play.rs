//! Survival mode (`bots --mode survival`): besides walking, each bot plays the survival loop,
//! one action at a time, one every 1–3 s, picked by the [`Mix`] among those possible: it crafts
//! a weapon from what it carries (the club from the starter kit's branches; it stops and stands
//! still first, since a walk cancels a craft), equips it (the hand slot), eats while its Stats
//! show hunger, says a chat line now and then, and attacks a character nearby for 3–6 s, then
//! stops (Input order 0). A bot whose character died (own Stats health 0) does nothing until it
//! respawns (health back above 0), then goes on with what it has.
//!
//! An action is *done* when its effect is seen (CraftProgress `done`; the inventory's revision
//! moving on after an equip or a meal; the bot's own line heard back; the target's health seen to
//! drop during an attack), *refused* when an Error names its request (a Craft's, UseItem's,
//! InventoryMove's or Chat's request id; the attack Input's sequence number), *ended* when a
//! craft was cancelled or failed or an attack landed no hit, and *unanswered* after
//! [`ACTION_TIMEOUT`].

use super::item_play::ACTION_TIMEOUT;
use super::rng::Rng;
use super::survival_counts::SurvivalTotals;
use super::survival_mix::{Mix, SurvivalAction};
use super::survival_plan::{
    Plan, attack_nearby, chat_line, craft_weapon, eat_food, equip_weapon, standing_still, use_request,
};
use game::client::GameClient;
use game::wire::error as code;
use net::protocol::{ClientMessage, ContainerRef, EntityId, Order, craft_state};
use std::time::{Duration, Instant};

/// How often a pending action is checked against what the client holds.
const CHECK_EVERY: Duration = Duration::from_millis(50);
/// Longest wait for the character to stand still before a craft; then the craft is given up.
const HALT_WAIT: Duration = Duration::from_secs(5);

/// Where an Error answering the pending action comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// A request: its id.
    Request(u32),
    /// An Input: its sequence number.
    Input(u32),
}

/// What tells that the pending action took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Watch {
    /// CraftProgress about the request ([`SurvivalPlay::craft_progress`]).
    Craft,
    /// The container's revision moves on from `revision`.
    Revision { container: ContainerRef, revision: u32 },
    /// The bot's own line is heard back ([`SurvivalPlay::heard`]).
    Heard,
    /// Until `until`, the target's health is watched; `landed` once it was seen to drop.
    Attack { target: EntityId, last_hp: u16, until: Instant, landed: bool },
}

/// The action in flight.
#[derive(Debug, Clone, Copy)]
struct Pending {
    action: SurvivalAction,
    answer: Answer,
    sent: Instant,
    watch: Watch,
}

/// One survival bot's behaviour.
#[derive(Debug, Clone)]
pub struct SurvivalPlay {
    mix: Mix,
    next_action: Instant,
    next_check: Instant,
    pending: Option<Pending>,
    /// Health above 0 in the last Stats; `None` before the first.
    alive: Option<bool>,
    /// A craft waits for the character to stand still (a Stop was sent) since then.
    halted_since: Option<Instant>,
}

impl SurvivalPlay {
    /// Nothing to do before a Welcome.
    pub fn new(mix: Mix, now: Instant) -> Self {
        SurvivalPlay {
            mix,
            next_action: now,
            next_check: now,
            pending: None,
            alive: None,
            halted_since: None,
        }
    }

    /// A session started: the first action comes 1–3 s later.
    pub fn welcomed(&mut self, rng: &mut Rng, now: Instant) {
        *self = SurvivalPlay::new(self.mix, now);
        self.next_action = now + rng.millis(1_000, 3_000);
    }

    /// False while the character must not walk: dead, stopping for a craft, crafting (a walk
    /// cancels it), or attacking (a walk would replace the attack).
    pub fn may_walk(&self) -> bool {
        let busy =
            self.pending.is_some_and(|p| matches!(p.action, SurvivalAction::Craft | SurvivalAction::Attack));
        self.alive != Some(false) && self.halted_since.is_none() && !busy
    }

    /// Settles the pending action against what `game` holds (an attack that is over returns its
    /// Stop), then, when it is time, chooses the next action and returns its message (the caller
    /// sends it, or calls [`SurvivalPlay::unsent`]). `inputs_settled`: every Input sent was
    /// acknowledged by a frame (the frame head shows their effect).
    pub fn turn(
        &mut self,
        game: &mut GameClient,
        rng: &mut Rng,
        now: Instant,
        inputs_settled: bool,
        totals: &mut SurvivalTotals,
    ) -> Option<ClientMessage> {
        if now >= self.next_check {
            self.next_check = now + CHECK_EVERY;
            if let Some(stop) = self.check(game, now, totals) {
                return Some(stop);
            }
        }
        if self.alive == Some(false) || self.pending.is_some() || now < self.next_action {
            return None;
        }
        if let Some(since) = self.halted_since {
            return self.craft_when_still(game, now, since, inputs_settled, totals);
        }
        let Some(plan) = self.plan(game, rng) else {
            self.next_action = now + Duration::from_millis(500);
            return None;
        };
        self.next_action = now + rng.millis(1_000, 3_000);
        if plan.action() == SurvivalAction::Craft && !(inputs_settled && standing_still(game)) {
            self.halted_since = Some(now);
            self.next_action = now + Duration::from_millis(200);
            return Some(ClientMessage::Input(game.input_at(Order::Stop, now)));
        }
        Some(self.send(plan, game, now, totals))
    }

    /// After a Stop: the craft once the character stands still (if it is still possible), or
    /// nothing after [`HALT_WAIT`].
    fn craft_when_still(
        &mut self,
        game: &mut GameClient,
        now: Instant,
        since: Instant,
        inputs_settled: bool,
        totals: &mut SurvivalTotals,
    ) -> Option<ClientMessage> {
        let plan = craft_weapon(game);
        if plan.is_none() || now.saturating_duration_since(since) >= HALT_WAIT {
            self.halted_since = None;
            return None;
        }
        if !(inputs_settled && standing_still(game)) {
            return None;
        }
        self.halted_since = None;
        plan.map(|p| self.send(p, game, now, totals))
    }

    /// Makes `plan`'s message and remembers it as pending.
    fn send(
        &mut self,
        plan: Plan,
        game: &mut GameClient,
        now: Instant,
        totals: &mut SurvivalTotals,
    ) -> ClientMessage {
        let (msg, answer, watch) = request(plan, game, now);
        totals.tally.sent(plan.action());
        self.pending = Some(Pending { action: plan.action(), answer, sent: now, watch });
        msg
    }

    /// The message [`SurvivalPlay::turn`] returned could not be sent: the action is forgotten
    /// (a Stop that could not be sent leaves nothing pending).
    pub fn unsent(&mut self, totals: &mut SurvivalTotals) {
        if let Some(p) = self.pending.take() {
            totals.tally.unsent(p.action);
        }
    }

    /// An Error with `code` about `request` arrived: true when it answers the pending action
    /// (then counted as a refusal), false when it is about something else.
    pub fn refused(&mut self, code: u16, request: u32, totals: &mut SurvivalTotals) -> bool {
        let Some(p) = self.pending else { return false };
        let ours = match p.answer {
            Answer::Request(id) => request == id,
            Answer::Input(seq) => {
                request == seq && matches!(code, code::INVALID_ORDER | code::NO_SUCH_TARGET)
            }
        };
        if ours {
            totals.tally.refused(p.action, code);
            self.pending = None;
        }
        ours
    }

    /// A CraftProgress in `state` about `request` arrived (its state is counted by the caller).
    pub fn craft_progress(&mut self, request: u32, state: u8, totals: &mut SurvivalTotals) {
        let Some(p) =
            self.pending.filter(|p| p.watch == Watch::Craft && p.answer == Answer::Request(request))
        else {
            return;
        };
        match state {
            craft_state::DONE => totals.tally.done(p.action),
            craft_state::CANCELLED | craft_state::FAILED => totals.tally.ended(p.action),
            _ => return,
        }
        self.pending = None;
    }

    /// A ChatHeard with `request` arrived (the bot's own copy carries the Chat's request id).
    pub fn heard(&mut self, request: u32, totals: &mut SurvivalTotals) {
        if let Some(p) =
            self.pending.filter(|p| p.watch == Watch::Heard && p.answer == Answer::Request(request))
        {
            totals.tally.done(p.action);
            self.pending = None;
        }
    }

    /// A Stats message arrived: a death (health 0 after health above 0) or a respawn (the
    /// reverse) is counted; after a respawn the next action comes 1–3 s later.
    pub fn stats(&mut self, game: &GameClient, rng: &mut Rng, now: Instant, totals: &mut SurvivalTotals) {
        let Some(alive) = game.world().vitals().map(|v| v.health > 0) else { return };
        match (self.alive, alive) {
            (Some(true), false) => {
                totals.seen.deaths += 1;
                self.halted_since = None;
            }
            (Some(false), true) => {
                totals.seen.respawns += 1;
                self.next_action = now + rng.millis(1_000, 3_000);
            }
            _ => {}
        }
        self.alive = Some(alive);
    }

    /// Settles the pending action; an attack that is over returns the Stop to send.
    fn check(
        &mut self,
        game: &mut GameClient,
        now: Instant,
        totals: &mut SurvivalTotals,
    ) -> Option<ClientMessage> {
        let p = self.pending.as_mut()?;
        let (action, timed_out) = (p.action, now.saturating_duration_since(p.sent) >= ACTION_TIMEOUT);
        match &mut p.watch {
            Watch::Revision { container, revision } => {
                if game.container(container).is_some_and(|v| v.revision != *revision) {
                    totals.tally.done(action);
                    self.pending = None;
                    return None;
                }
            }
            Watch::Attack { target, last_hp, until, landed } => {
                let hp = game.world().entity(*target).map_or(0, |e| e.state.hp);
                if hp < *last_hp {
                    totals.seen.damage_dealt += u64::from(*last_hp - hp);
                    *landed = true;
                }
                *last_hp = hp;
                if now < *until && hp > 0 {
                    return None;
                }
                if *landed {
                    totals.tally.done(action)
                } else {
                    totals.tally.ended(action)
                }
                self.pending = None;
                return Some(ClientMessage::Input(game.input_at(Order::Stop, now)));
            }
            Watch::Craft | Watch::Heard => {}
        }
        if timed_out {
            totals.tally.unanswered(action);
            self.pending = None;
        }
        None
    }

    /// The next action: one of those possible now, by the mix's weights.
    fn plan(&self, game: &GameClient, rng: &mut Rng) -> Option<Plan> {
        game.container(&ContainerRef::Own)?;
        let options = [
            craft_weapon(game),
            equip_weapon(game),
            eat_food(game),
            Some(chat_line(rng)),
            attack_nearby(game, rng),
        ];
        let weighted = || options.iter().filter_map(|o| *o).map(|p| (p, self.mix.weight(p.action())));
        let total: u32 = weighted().map(|(_, w)| w).sum();
        if total == 0 {
            return None;
        }
        let mut roll = rng.range(0, i64::from(total) - 1) as u32;
        for (plan, weight) in weighted() {
            if roll < weight {
                return Some(plan);
            }
            roll -= weight;
        }
        None
    }
}

/// The message for `plan`, where its answer comes from, and what shows its effect.
fn request(plan: Plan, game: &mut GameClient, now: Instant) -> (ClientMessage, Answer, Watch) {
    match plan {
        Plan::Craft { recipe } => {
            let c = game.craft_request(recipe, 1, EntityId::NONE);
            (ClientMessage::Craft(c), Answer::Request(c.request), Watch::Craft)
        }
        Plan::Equip { from, hand } => {
            let m = game.move_request(from, (ContainerRef::Own, hand), 1);
            let watch = Watch::Revision { container: ContainerRef::Own, revision: m.to_revision };
            (ClientMessage::InventoryMove(m), Answer::Request(m.request), watch)
        }
        Plan::Eat { from } => {
            let u = use_request(game, from);
            let watch = Watch::Revision { container: from.0, revision: u.revision };
            (ClientMessage::UseItem(u), Answer::Request(u.request), watch)
        }
        Plan::Chat { text } => {
            let c = game.chat_request(text);
            let request = c.request;
            (ClientMessage::Chat(c), Answer::Request(request), Watch::Heard)
        }
        Plan::Attack { target, hp, length } => {
            let input = game.input_at(Order::Attack(target), now);
            let watch = Watch::Attack { target, last_hp: hp, until: now + length, landed: false };
            (ClientMessage::Input(input), Answer::Input(input.seq), watch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use game::Content;
    use net::protocol::{ServerMessage, Stats};
    use std::sync::Arc;

    fn stats(game: &mut GameClient, health: u16) {
        let msg = ServerMessage::Stats(Stats { health, max_health: 100, ..Stats::default() });
        game.handle(&msg).expect("Stats applies");
    }

    #[test]
    fn a_death_holds_the_bot_until_its_respawn_and_both_are_counted_once() {
        let mut game = GameClient::new(Arc::new(Content::builtin()));
        let (mut rng, now) = (Rng::new(1), Instant::now());
        let mut play = SurvivalPlay::new(Mix::default(), now);
        let mut totals = SurvivalTotals::default();
        stats(&mut game, 0);
        play.stats(&game, &mut rng, now, &mut totals);
        assert_eq!((totals.seen.deaths, totals.seen.respawns), (0, 0), "dead at login is no death seen");
        for health in [100, 40, 0, 0] {
            stats(&mut game, health);
            play.stats(&game, &mut rng, now, &mut totals);
        }
        assert_eq!((totals.seen.deaths, totals.seen.respawns), (1, 1));
        assert!(!play.may_walk(), "the dead stay where they fell");
        assert_eq!(play.turn(&mut game, &mut rng, now + ACTION_TIMEOUT, true, &mut totals), None);
        stats(&mut game, 100);
        play.stats(&game, &mut rng, now, &mut totals);
        assert_eq!((totals.seen.deaths, totals.seen.respawns), (1, 2));
        assert!(play.may_walk());
    }

    #[test]
    fn a_refusal_answers_only_the_pending_request() {
        let mut game = GameClient::new(Arc::new(Content::builtin()));
        let now = Instant::now();
        let mut play = SurvivalPlay::new(Mix::default(), now);
        let mut totals = SurvivalTotals::default();
        let msg = play.send(Plan::Chat { text: "hi" }, &mut game, now, &mut totals);
        let ClientMessage::Chat(chat) = msg else { panic!("a Chat: {msg:?}") };
        assert!(!play.refused(code::CHAT_TOO_FAST, chat.request + 1, &mut totals));
        assert!(play.refused(code::CHAT_TOO_FAST, chat.request, &mut totals));
        assert_eq!(totals.tally.refused, [(code::CHAT_TOO_FAST, 1)].into());
        let msg = play.send(Plan::Chat { text: "hi" }, &mut game, now, &mut totals);
        let ClientMessage::Chat(chat) = msg else { panic!("a Chat: {msg:?}") };
        play.heard(chat.request, &mut totals);
        let counts = totals.tally.by_name()["chat"];
        assert_eq!((counts.sent, counts.done, counts.refused), (2, 1, 1));
    }
}
