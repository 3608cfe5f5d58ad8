//! The "bot-loop" system: looks at the bots that are due, and turns each idle bot's next
//! [`Step`] into what a client would send — an order (work an object, attack, walk) or an item
//! request (eat, drop, equip, craft, plant) queued for the items system.

use super::brain::{self, Step, Want};
use super::{BotLoop, Due, GIVE_UP_TICKS, LOOK_TICKS, REST_TICKS};
use crate::content::{Content, ObjectRole};
use crate::error::GameError;
use crate::gameplay::items::{CraftRequest, ItemRequest, MapItems, OrderMark};
use crate::gather::stage_now;
use crate::geom::{TILE, dist2};
use crate::growth::clock_ms;
use crate::items::{EquipSlot, Source, Target, bot_holder};
use crate::orders::{Order, OrderSlot};
use crate::sim::MapSim;
use crate::sim::bots::{BotState, nearest_character, random_point};
use crate::sim::components::{Controller, Objects};
use crate::wire::verb;
use engine::{Column, Entity, ResourceKey, SortedGrid};
use store::{Container, ObjectRecord};

/// How far a bot looks for something to work or someone to fight, in tiles.
const NOTICE_TILES: i32 = 6;
/// How far a bot wanders, in tiles.
const WANDER_TILES: i32 = 8;
/// Ticks a bot that found nothing to work or fight near it wanders instead of searching again
/// (10 s: it has walked elsewhere by then).
const BARREN_TICKS: u64 = 200;
/// Most new steps the bots of one map take in one tick (time-slicing, as game servers budget
/// their AI): the loop's cost per tick stays bounded whatever the number of bots. 5,000 idle
/// bots looked at every 2 s would want about 60 a tick; past the budget they wait their turn
/// (round robin), so a crowd of bots acts a little slower instead of slowing the tick.
pub const DECISIONS_PER_TICK: usize = 48;
/// Room left between a bot and the seed it plants (1/256 tile).
const PLANT_GAP: i32 = 24;

/// What the system reads of the map.
struct Near<'a> {
    content: &'a Content,
    x: &'a Column<i32>,
    y: &'a Column<i32>,
    object: &'a Column<ObjectRecord>,
    controller: &'a Column<Controller>,
    objects: &'a Objects,
    movers: &'a SortedGrid,
    bounds: (i32, i32, i32, i32),
    now_ms: i64,
}

/// Registers the system in the map's gameplay stage.
pub(super) fn add_system(
    sim: &mut MapSim,
    items: ResourceKey<MapItems>,
    state: ResourceKey<BotLoop>,
) -> Result<(), GameError> {
    let (k, b, content) = (sim.keys, sim.bots, sim.content.clone());
    sim.gameplay_system("bot-loop")
        .reads(k.x)
        .reads(k.y)
        .reads(k.vitals)
        .reads(k.controller)
        .reads(k.object)
        .writes(b.bot)
        .writes(k.order)
        .reads_resource(k.clock)
        .reads_resource(k.objects)
        .reads_resource(k.movers)
        .reads_resource(k.chunks)
        .writes_resource(items)
        .writes_resource(state)
        .run(move |ctx, _| {
            let clock = *ctx.resource(k.clock);
            let (x, y, object, controller) =
                (ctx.read(k.x), ctx.read(k.y), ctx.read(k.object), ctx.read(k.controller));
            let (objects, movers) = (ctx.resource(k.objects), ctx.resource(k.movers));
            let bounds = ctx.resource(k.chunks).geometry().walkable();
            let near = Near {
                content: &content,
                x: &x,
                y: &y,
                object: &object,
                controller: &controller,
                objects: &objects,
                movers: &movers,
                bounds,
                now_ms: clock_ms(clock.now_ms),
            };
            let vitals = ctx.read(k.vitals);
            let (mut bots, mut orders) = (ctx.write(b.bot), ctx.write(k.order));
            let (mut m, mut state) = (ctx.resource_mut(items), ctx.resource_mut(state));
            let (owners, states) = bots.split_mut();
            let n = owners.len();
            // Round robin: the walk starts where the last tick's budget ran out, so a backlog
            // delays every bot alike rather than starving the same ones.
            let start = state.cursor.min(n);
            let (mut decided, mut stopped) = (0, None);
            for i in (start..n).chain(0..start) {
                if decided >= DECISIONS_PER_TICK {
                    stopped = Some(i); // the rest stay due: they are looked at next tick
                    break;
                }
                let (me, bot) = (owners[i], &mut states[i]);
                if bot.next_tick != u64::MAX {
                    continue; // the policy holds it (fleeing), or has not handed it over yet
                }
                let i = me.index() as usize;
                if state.due.len() <= i {
                    state.due.resize(i + 1, Due::default());
                }
                if state.due[i].next > clock.tick {
                    continue;
                }
                let (Some(v), Some(order)) = (vitals.get(me), orders.get_mut(me)) else { continue };
                let (due, new_step) = look(&mut state, &mut m, &near, (me, bot, order), v, clock.tick);
                state.due[i] = due;
                decided += usize::from(new_step);
            }
            state.cursor = stopped.unwrap_or(start);
        })
        .map_err(Into::into)
}

/// One look at a due bot: its next look, and whether it took a new step (true) or kept at its
/// step.
fn look(
    state: &mut BotLoop,
    m: &mut MapItems,
    near: &Near<'_>,
    (me, bot, order): (Entity, &mut BotState, &mut OrderSlot),
    vitals: &crate::stats::Vitals,
    tick: u64,
) -> (Due, bool) {
    let was = state.due[me.index() as usize];
    let since = was.since;
    let holder = bot_holder(me.index());
    // Looks spread over ticks (half to one and a half LOOK_TICKS apart), so bots spawned or
    // freed together do not all decide in the same tick.
    let next = tick + LOOK_TICKS / 2 + bot.next_u64() % LOOK_TICKS;
    if !was.entered {
        m.enter_bot(me);
    }
    let kept = Due { next, entered: true, ..was };
    if vitals.is_dead() {
        return (Due { since: tick, ..kept }, false);
    }
    let busy = order.current != Order::Idle || m.craft_of(holder).is_some();
    if busy && tick.saturating_sub(since) < GIVE_UP_TICKS {
        return (kept, false);
    }
    state.pack.read(&m.world, near.content, holder);
    let activity = state.mix.pick(bot.next_u64());
    let step = brain::decide(&state.pack, vitals, near.content, activity, bot.next_u64());
    state.counters.count(step);
    let mut barren_until = was.barren_until;
    let searches = matches!(step, Step::Work(_) | Step::Fight);
    if searches && tick < barren_until {
        order.give(wander(near, me, bot));
    } else if !carry_out(step, m, near, (me, bot, order), state) {
        state.counters.nothing_near += 1;
        barren_until = tick + BARREN_TICKS;
        order.give(wander(near, me, bot));
    }
    let next = if step == Step::Rest { tick + REST_TICKS } else { next };
    (Due { next, since: tick, barren_until, entered: true }, true)
}

/// Gives the order or queues the request `step` stands for; false when a Work or Fight step
/// found nothing near.
fn carry_out(
    step: Step,
    m: &mut MapItems,
    near: &Near<'_>,
    (me, bot, order): (Entity, &mut BotState, &mut OrderSlot),
    state: &BotLoop,
) -> bool {
    let player = bot_holder(me.index());
    let inventory = Container::Player(player);
    let hand = EquipSlot::Hand.slot(&near.content.item_rules);
    let from = |slot| Source::new(inventory, slot);
    let count_at = |slot| m.world.item_at(inventory, slot).map_or(0, |i| i.count);
    match step {
        Step::Eat(slot) => m.request(ItemRequest::Use { player, request: 0, from: from(slot) }),
        Step::Drop(slot, count) => {
            m.request(ItemRequest::Drop { player, request: 0, from: from(slot), count })
        }
        Step::Unequip => {
            let count = count_at(hand);
            m.request(ItemRequest::Move {
                player,
                request: 0,
                from: from(hand),
                to: Target::any(inventory),
                count,
            });
        }
        Step::Equip(slot) => {
            let (count, to) = (count_at(slot), Target::slot(inventory, hand));
            m.request(ItemRequest::Move { player, request: 0, from: from(slot), to, count });
        }
        Step::Craft(recipe) => {
            let mark = OrderMark::of(order);
            let craft = CraftRequest { player, request: 0, recipe, count: 1, station: None, order: mark };
            m.request(ItemRequest::Craft(craft));
        }
        Step::Plant(slot) => {
            let at = plant_spot(near, me, bot, m.world.item_at(inventory, slot).map(|i| i.kind));
            let Some(at) = at else { return false };
            m.request(ItemRequest::Plant { player, request: 0, from: from(slot), at });
        }
        Step::Work(want) => {
            let Some(target) = workable(near, me, want, state.pack.hand) else { return false };
            order.give(Order::Interact { target, verb: verb::USE });
        }
        Step::Fight => {
            let Some(target) = other_bot(near, me) else { return false };
            order.give(Order::Attack { target });
        }
        Step::Wander => order.give(wander(near, me, bot)),
        Step::Rest => {}
    }
    true
}

/// The nearest object within notice that gives something now and that the bot can work with
/// what is in its hand (`Want::Tree`: only ones that need a tool), or a pile to pick up.
fn workable(near: &Near<'_>, me: Entity, want: Want, hand: Option<u32>) -> Option<Entity> {
    let (Some(&x), Some(&y)) = (near.x.get(me), near.y.get(me)) else { return None };
    let hand = hand.and_then(|k| near.content.item(k));
    let mut best: Option<(i64, Entity)> = None;
    near.objects.grid.for_each_in_radius(x, y, NOTICE_TILES * TILE, |g| {
        let Some(rec) = near.object.get(g.entity) else { return };
        let fits = match near.content.gather(rec.kind) {
            Some(gather) => {
                let tool_ok = gather.tool.is_none_or(|t| hand.is_some_and(|h| h.has(t)));
                let wanted = want == Want::Anything || gather.tool.is_some();
                tool_ok && wanted && !gather.yields_at(stage_now(near.content, rec, near.now_ms)).is_empty()
            }
            None => {
                want == Want::Anything
                    && near.content.object_by_id(rec.kind).is_some_and(|k| k.role == Some(ObjectRole::Pile))
            }
        };
        let d = dist2((g.x, g.y), (x, y));
        if fits && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, g.entity));
        }
    });
    best.map(|(_, e)| e)
}

/// The nearest other bot within notice.
fn other_bot(near: &Near<'_>, me: Entity) -> Option<Entity> {
    let at = (*near.x.get(me)?, *near.y.get(me)?);
    let bot = |e| near.controller.get(e) == Some(&Controller::Bot);
    nearest_character(near.movers, me, at, NOTICE_TILES * TILE, bot)
}

/// A point beside the bot, in a random direction, clear of it for the seed's object.
fn plant_spot(near: &Near<'_>, me: Entity, bot: &mut BotState, seed: Option<u32>) -> Option<(i32, i32)> {
    let (&x, &y) = (near.x.get(me)?, near.y.get(me)?);
    let plants = near.content.item(seed?)?.plants?;
    let radius = near.content.object_by_id(plants).map_or(0, |k| k.radius);
    let d = near.content.character.radius + radius + PLANT_GAP;
    let (dx, dy) = [(d, 0), (-d, 0), (0, d), (0, -d)][(bot.next_u64() % 4) as usize];
    Some((x + dx, y + dy))
}

/// A walk to a random point within [`WANDER_TILES`], inside the map.
fn wander(near: &Near<'_>, me: Entity, bot: &mut BotState) -> Order {
    let at = (near.x.get(me).copied().unwrap_or(0), near.y.get(me).copied().unwrap_or(0));
    let (x, y) = random_point(bot, at, WANDER_TILES * TILE, near.bounds);
    Order::MoveTo { x, y }
}
