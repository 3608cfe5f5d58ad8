//! Survival mode (`bots --mode survival`): besides walking, each bot plays the survival loop,
//! one action at a time, one every 1–3 s, picked by the [`Mix`] among those possible: it crafts
//! a weapon from what it carries (the club from the starter kit's branches), equips it (the hand
//! slot), eats while its Stats show hunger, says a chat line now and then, attacks a character
//! nearby for 3–6 s, then stops (Input order 0), gathers from a bush or a rock nearby, chops a
//! tree (getting an axe ready first: crafted from branches and stones, then moved into the hand),
//! plants a seed where it stands and harvests a ripe crop, and (when the mix asks for it) takes
//! the nearest way to another layer (a cave entrance or way out). Before a craft or a planting it stops
//! and stands still first (a walk cancels a craft; a seed goes within reach of where the
//! character stands). A bot whose character died (own Stats health 0) does nothing until it
//! respawns (health back above 0) and a Frame shows it alive (the Stats come first, and until
//! that Frame the own position is still where it fell), then goes on with what it has.
//!
//! An action is *done* when its effect is seen ([`Watch`]: CraftProgress `done`; the
//! inventory's revision moving on after an equip or a meal; the bot's own line heard back; the
//! target's health seen to drop during an attack; items arriving after gathering, chopping or
//! harvesting; the crop appearing where the seed was planted; a Welcome on the map a way leads
//! to), *refused* when an Error names its
//! request ([`Answer`]: a request id; the Input's sequence number for an attack, or for an
//! interact and the gathering it ordered), *ended* when a craft was cancelled or failed, an
//! attack landed no hit or an interact order stopped without items, *lost* when the object
//! worked on left the bot's view without items arriving (another took it first), and
//! *unanswered* after [`ACTION_TIMEOUT`].

use super::item_counts::Action;
use super::item_play::ACTION_TIMEOUT;
use super::rng::Rng;
use super::survival_counts::SurvivalTotals;
use super::survival_gather::{chop_tree, gather_nearby, harvest_crop, plant_seed};
use super::survival_mix::{Mix, SurvivalAction};
use super::survival_plan::{
    Plan, attack_nearby, chat_line, craft_weapon, eat_food, equip_weapon, shown_alive, standing_still,
};
use super::survival_travel::travel;
use super::survival_watch::{Answer, Progress, Watch, request};
use game::client::GameClient;
use net::protocol::{ClientMessage, ContainerRef, Order, craft_state};
use std::time::{Duration, Instant};

/// How often a pending action is checked against what the client holds.
const CHECK_EVERY: Duration = Duration::from_millis(50);
/// Longest wait for the character to stand still before a craft or a planting; then the action
/// is given up.
const HALT_WAIT: Duration = Duration::from_secs(5);
/// An object whose gathering went nowhere (refused, the order stopped on the way, the object gone)
/// is left alone this long: the bot tries another (steering walks straight at its target, and
/// some cannot be reached that way).
const SHUN_FOR: Duration = Duration::from_secs(60);
/// Most objects shunned at once (the oldest is forgotten first).
const MAX_SHUNNED: usize = 16;

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
    /// An action waits for the character to stand still (a Stop was sent) since then: the
    /// action picked, planned again once still.
    halted: Option<(Instant, SurvivalAction)>,
    /// Objects not to gather from until then ([`SHUN_FOR`]).
    shunned: Vec<(u64, Instant)>,
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
            halted: None,
            shunned: Vec::new(),
        }
    }

    /// A session started: the first action comes 1–3 s later.
    pub fn welcomed(&mut self, rng: &mut Rng, now: Instant) {
        *self = SurvivalPlay::new(self.mix, now);
        self.next_action = now + rng.millis(1_000, 3_000);
    }

    /// A Welcome to map `map` arrived (before [`SurvivalPlay::welcomed`]): a travel pending is
    /// done when `map` is another map than the one the bot left, ended when it is the same (the
    /// hand-off was refused and the bot logged in where it was).
    pub fn arrived(&mut self, map: u32, totals: &mut SurvivalTotals) {
        let Some(p) = self.pending.take_if(|p| matches!(p.watch, Watch::Travel { .. })) else { return };
        match p.watch {
            Watch::Travel { from, .. } if from != map => totals.tally.done(p.action),
            _ => totals.tally.ended(p.action),
        }
    }

    /// A Redirect arrived during play: a travel pending now waits for the Welcome at its end,
    /// whatever the frame head said last.
    pub fn redirected(&mut self) {
        if let Some(Pending { watch: Watch::Travel { redirected, .. }, .. }) = self.pending.as_mut() {
            *redirected = true;
        }
    }

    /// False while the character must not walk: dead, stopping for a craft or a planting,
    /// crafting (a walk cancels it), planting (a walk could take the spot out of reach),
    /// attacking, gathering, chopping or harvesting (a walk would replace the order).
    pub fn may_walk(&self) -> bool {
        let busy = self.pending.is_some_and(|p| {
            !matches!(p.action, SurvivalAction::Equip | SurvivalAction::Eat | SurvivalAction::Chat)
        });
        self.alive != Some(false) && self.halted.is_none() && !busy
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
        let dead = self.alive == Some(false) || !shown_alive(game);
        if dead || self.pending.is_some() || now < self.next_action {
            return None;
        }
        if let Some((since, action)) = self.halted {
            return self.act_when_still(game, rng, (now, since), action, inputs_settled, totals);
        }
        let Some((action, plan)) = self.plan(game, rng, now) else {
            self.next_action = now + Duration::from_millis(500);
            return None;
        };
        self.next_action = now + rng.millis(1_000, 3_000);
        if plan.needs_standing_still() && !(inputs_settled && standing_still(game)) {
            self.halted = Some((now, action));
            self.next_action = now + Duration::from_millis(200);
            return Some(ClientMessage::Input(game.input_at(Order::Stop, now)));
        }
        Some(self.send(plan, game, now, totals))
    }

    /// After a Stop: `action` planned again once the character stands still (when it is still
    /// possible), or nothing after [`HALT_WAIT`].
    fn act_when_still(
        &mut self,
        game: &mut GameClient,
        rng: &mut Rng,
        (now, since): (Instant, Instant),
        action: SurvivalAction,
        inputs_settled: bool,
        totals: &mut SurvivalTotals,
    ) -> Option<ClientMessage> {
        let plan = plan_for(action, game, rng, &self.shunned_now(now));
        if plan.is_none() || now.saturating_duration_since(since) >= HALT_WAIT {
            self.halted = None;
            return None;
        }
        if !(inputs_settled && standing_still(game)) {
            return None;
        }
        self.halted = None;
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
        let Some(p) = self.pending.filter(|p| p.answer.answered_by(code, request)) else { return false };
        totals.tally.refused(p.action, code);
        if let Watch::Gain { order, .. } | Watch::Travel { order, .. } = p.watch {
            self.shun(order.target, p.sent);
        }
        self.pending = None;
        true
    }

    /// Leaves `object` alone for [`SHUN_FOR`] from `now`.
    fn shun(&mut self, object: u64, now: Instant) {
        if self.shunned.len() >= MAX_SHUNNED {
            self.shunned.remove(0);
        }
        self.shunned.push((object, now + SHUN_FOR));
    }

    /// The objects shunned at `now`.
    fn shunned_now(&mut self, now: Instant) -> Vec<u64> {
        self.shunned.retain(|&(_, until)| until > now);
        self.shunned.iter().map(|&(o, _)| o).collect()
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
                self.halted = None;
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
        let mut p = self.pending?;
        let progress = p.watch.progress(game, now, &mut totals.seen);
        self.pending = Some(p);
        let action = p.action;
        match progress {
            Progress::Done => totals.tally.done(action),
            Progress::Ended => totals.tally.ended(action),
            Progress::Lost => totals.tally.lost(action),
            Progress::Waiting if now.saturating_duration_since(p.sent) >= ACTION_TIMEOUT => {
                totals.tally.unanswered(action)
            }
            Progress::Waiting => return None,
        }
        if progress != Progress::Done
            && let Watch::Gain { order, .. } | Watch::Travel { order, .. } = p.watch
        {
            let outcome = match progress {
                Progress::Ended => "ended",
                Progress::Lost => "lost",
                _ => "unanswered",
            };
            totals.sample(|| order.describe(action.name(), outcome, p.sent, game, now));
            self.shun(order.target, now);
        }
        let attack = matches!(p.watch, Watch::Attack { .. });
        self.pending = None;
        attack.then(|| ClientMessage::Input(game.input_at(Order::Stop, now)))
    }

    /// The next action: one of those possible now, by the mix's weights; with the action that
    /// was picked (chopping may first craft or equip its tool).
    fn plan(&mut self, game: &GameClient, rng: &mut Rng, now: Instant) -> Option<(SurvivalAction, Plan)> {
        game.container(&ContainerRef::Own)?;
        let shunned = self.shunned_now(now);
        let options: Vec<(SurvivalAction, Plan, u32)> = SurvivalAction::ALL
            .into_iter()
            .filter(|a| self.mix.weight(*a) > 0)
            .filter_map(|a| plan_for(a, game, rng, &shunned).map(|p| (a, p, self.mix.weight(a))))
            .collect();
        let total: u32 = options.iter().map(|(_, _, w)| w).sum();
        if total == 0 {
            return None;
        }
        let mut roll = rng.range(0, i64::from(total) - 1) as u32;
        for (action, plan, weight) in options {
            if roll < weight {
                return Some((action, plan));
            }
            roll -= weight;
        }
        None
    }
}

/// What picking `action` does now, if it is possible (gathering from none of `shunned`).
fn plan_for(action: SurvivalAction, game: &GameClient, rng: &mut Rng, shunned: &[u64]) -> Option<Plan> {
    match action {
        SurvivalAction::Craft => craft_weapon(game),
        SurvivalAction::Equip => equip_weapon(game),
        SurvivalAction::Eat => eat_food(game),
        SurvivalAction::Chat => Some(chat_line(rng)),
        SurvivalAction::Attack => attack_nearby(game, rng),
        SurvivalAction::Gather => gather_nearby(game, shunned),
        SurvivalAction::Chop => chop_tree(game, shunned),
        SurvivalAction::Plant => plant_seed(game, rng),
        SurvivalAction::Harvest => harvest_crop(game, shunned),
        SurvivalAction::Travel => travel(game, shunned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use game::Content;
    use game::wire::error as code;
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

    #[test]
    fn a_refused_gathering_is_counted_by_code_and_its_object_shunned() {
        let mut game = GameClient::new(Arc::new(Content::builtin()));
        let now = Instant::now();
        let mut play = SurvivalPlay::new(Mix::default(), now);
        let mut totals = SurvivalTotals::default();
        let bush =
            game::client::CachedObject { entity: 0x1_0000_0042, kind: 2, x: 0, y: 0, state: 0, radius: 48 };
        let plan = Plan::Interact { action: SurvivalAction::Gather, object: bush };
        let ClientMessage::Input(input) = play.send(plan, &mut game, now, &mut totals) else {
            panic!("an Input")
        };
        assert!(!play.may_walk(), "a walk would replace the interact");
        assert!(!play.refused(code::CHAT_TOO_FAST, input.seq, &mut totals), "not a gathering's refusal");
        assert!(play.refused(code::NOT_READY, input.seq, &mut totals));
        assert_eq!(totals.tally.by_name()["gather"].refused, 1);
        assert_eq!(totals.tally.refused, [(code::NOT_READY, 1)].into());
        assert_eq!(play.shunned_now(now + Duration::from_secs(1)), [bush.entity]);
        assert!(play.shunned_now(now + SHUN_FOR + Duration::from_secs(1)).is_empty(), "for a while only");
        assert!(play.may_walk());
    }
}
