//! The "combat" system (§12): judges attack actions. An attacker in reach (the orders stage
//! queued the action at its weapon's reach) hits on its weapon's cooldown while it has the
//! stamina: the target loses [`crate::combat::damage`] health, the attacker gains combat
//! experience. The attack goes on (`Continue`) until the target dies (`Done`); a target that is
//! no character, or is already dead, refuses it. A hit that kills is a death ([`Deaths`]).
//! Every hit of the tick is listed in [`Strikes`], so the next tick's bot policy can react.

/// The hits of the last tick: `(target, attacker)`, in the order they landed.
#[derive(Debug, Default)]
pub struct Strikes {
    /// Who was hit by whom.
    pub last: Vec<(Entity, Entity)>,
}

use super::death::Deaths;
use crate::combat::damage;
use crate::content::{CombatRules, ExperienceKind};
use crate::error::GameError;
use crate::orders::{ActionKind, ActionQueue, ActionResult};
use crate::sim::components::Keys;
use engine::{Entity, ResourceKey, Schedule};

/// Adds the "combat" system to the gameplay stage.
pub(crate) fn add_system(
    schedule: &mut Schedule,
    stage: usize,
    k: Keys,
    queue: ResourceKey<ActionQueue>,
    (deaths, strikes): (ResourceKey<Deaths>, ResourceKey<Strikes>),
    rules: CombatRules,
) -> Result<(), GameError> {
    let sys = schedule.system(stage, "combat").reads(k.x).reads(k.y).writes(k.vitals).writes(k.experience);
    sys.writes(k.wielded)
        .reads_resource(k.clock)
        .writes_resource(queue)
        .writes_resource(deaths)
        .writes_resource(strikes)
        .run(move |ctx, _| {
            let mut strikes = ctx.resource_mut(strikes);
            strikes.last.clear();
            let mut queue = ctx.resource_mut(queue);
            if !queue.actions().iter().any(|a| a.kind == ActionKind::Attack) {
                return;
            }
            let tick = ctx.resource(k.clock).tick;
            let (mut vitals, mut xp, mut wielded) =
                (ctx.write(k.vitals), ctx.write(k.experience), ctx.write(k.wielded));
            let (x, y) = (ctx.read(k.x), ctx.read(k.y));
            let mut deaths = ctx.resource_mut(deaths);
            for action in queue.actions_mut() {
                if action.kind != ActionKind::Attack {
                    continue;
                }
                let (attacker, target) = (action.actor, action.target);
                let alive = |v: Option<&crate::stats::Vitals>| v.is_some_and(|v| !v.is_dead());
                if !alive(vitals.get(target)) || !alive(vitals.get(attacker)) {
                    action.result = ActionResult::Refused;
                    continue;
                }
                action.result = ActionResult::Continue;
                let Some(w) = wielded.get_mut(attacker).filter(|w| w.next_hit <= tick) else { continue };
                let Some(me) = vitals.get_mut(attacker) else { continue };
                if me.spend_stamina(rules.stamina_per_hit).is_err() {
                    continue;
                }
                w.next_hit = tick + u64::from(w.weapon.cooldown_ticks);
                let (weapon, quality) = (w.weapon, w.quality);
                let skill = xp.get(attacker).map_or(0, |x| x.combat);
                if let Some(xp) = xp.get_mut(attacker) {
                    xp.gain(ExperienceKind::Combat, rules.hit_experience);
                }
                let Some(them) = vitals.get_mut(target) else { continue };
                them.health = them.health.saturating_sub(damage(&weapon, quality, skill));
                strikes.last.push((target, attacker));
                if them.is_dead() {
                    action.result = ActionResult::Done;
                    let at = (x.get(target).copied().unwrap_or(0), y.get(target).copied().unwrap_or(0));
                    deaths.died(target, at);
                }
            }
        })
        .map_err(Into::into)
}
