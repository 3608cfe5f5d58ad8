//! What a survival bot gathers, chops, plants and harvests, read from what its client holds: the
//! objects in its chunks (kind and stage, the wire's `state`), what the content says each kind
//! gives at each stage and needs in hand (`gather` in `schemas/content/objects.toml`), the seeds
//! it carries and what they plant, its stamina (Stats) and the room left in its inventory. Kinds
//! are told apart by the content, never by name: a crop is what a seed plants (harvested), a
//! tree what needs a tool in hand (chopped), a bush or a rock what needs neither (gathered).

use super::rng::Rng;
use super::survival_mix::SurvivalAction;
use super::survival_plan::{Plan, carried, craftable, hand_slot, in_hand, is_gathering_tool};
use game::client::{CachedObject, GameClient};
use game::geom::{MapGeometry, TILE};
use game::movement::Terrain;
use game::steering::action_reach;
use net::protocol::ContainerRef;

/// Objects farther than this are not worth the walk.
pub const RESOURCE_RANGE: i32 = 16 * TILE;
/// An object that gives what a tool still lacks is worth a longer walk (rocks are rare on grass
/// and in forests).
pub const WANTED_RANGE: i32 = 48 * TILE;
/// A planted object's footprint counts as at least this radius, and another object's too
/// (schemas/protocol.md, Plant: 3/16 tile).
const MIN_FOOTPRINT: i32 = 3 * TILE / 16;
/// Room kept between two footprints (with [`MIN_FOOTPRINT`]: a quarter tile for a crop).
const GAP: i32 = TILE / 16;

/// Which action works on objects of `kind`: harvest for what a seed plants, chop for what needs a
/// tool in hand, gather for the rest that gives something; `None` for what gives nothing.
pub fn action_on(game: &GameClient, kind: u32) -> Option<SurvivalAction> {
    let content = game.world().content();
    let gather = content.gather(kind)?;
    if content.items.iter().any(|k| k.plants == Some(kind)) {
        Some(SurvivalAction::Harvest)
    } else if gather.tool.is_some() {
        Some(SurvivalAction::Chop)
    } else {
        Some(SurvivalAction::Gather)
    }
}

/// Free slots of the own inventory (not counting the equipment slots).
fn free_slots(game: &GameClient) -> usize {
    let limit = game.world().content().item_rules.inventory_slots;
    let Some(own) = game.container(&ContainerRef::Own) else { return 0 };
    let used = own.slots.values().filter(|s| s.slot < limit && s.count > 0).count();
    usize::from(limit.min(own.capacity)).saturating_sub(used)
}

/// Objects in the held chunks whose centre lies within `range` of `at`.
pub fn objects_within(game: &GameClient, at: (i32, i32), range: i32) -> Vec<CachedObject> {
    let chunks = game.world().chunks();
    let (lo, hi) = (
        MapGeometry::chunk_of(at.0.saturating_sub(range), at.1.saturating_sub(range)),
        MapGeometry::chunk_of(at.0.saturating_add(range), at.1.saturating_add(range)),
    );
    let mut out = Vec::new();
    for cy in lo.1..=hi.1 {
        for cx in lo.0..=hi.0 {
            let Some(chunk) = chunks.get(cx, cy) else { continue };
            out.extend(chunk.objects().iter().filter(|o| distance2(at, (o.x, o.y)) <= sq(range)).copied());
        }
    }
    out
}

pub fn distance2(a: (i32, i32), b: (i32, i32)) -> i64 {
    let (dx, dy) = (i64::from(a.0) - i64::from(b.0), i64::from(a.1) - i64::from(b.1));
    dx * dx + dy * dy
}

fn sq(v: i32) -> i64 {
    i64::from(v) * i64::from(v)
}

/// The nearest object within [`RESOURCE_RANGE`] that `action` works on and that gives something
/// at its stage now, when the character has the stamina the work costs and a free inventory
/// slot for every kind of item it gives (the work is refused when all of it does not fit); not
/// one of `shunned` (where the bot's work lately went nowhere); one that gives an item kind of
/// `wanted` first, within [`WANTED_RANGE`].
fn nearest_resource(
    game: &GameClient,
    action: SurvivalAction,
    wanted: &[u32],
    shunned: &[u64],
) -> Option<CachedObject> {
    let at = game.position()?;
    let stamina = game.world().vitals()?.stamina;
    let (content, free) = (game.world().content(), free_slots(game));
    let worth = |o: &CachedObject| {
        let Some(g) = content.gather(u32::from(o.kind)) else { return false };
        let gives = g.yields_at(o.state);
        action_on(game, u32::from(o.kind)) == Some(action)
            && !gives.is_empty()
            && g.stamina <= stamina
            && gives.len() <= free
            && !shunned.contains(&o.entity)
    };
    let gives_wanted = |o: &CachedObject| {
        let gives = content.gather(u32::from(o.kind)).map_or(&[][..], |g| g.yields_at(o.state));
        gives.iter().any(|y| wanted.contains(&y.kind))
    };
    let range = if wanted.is_empty() { RESOURCE_RANGE } else { WANTED_RANGE };
    let candidates =
        objects_within(game, at, range).into_iter().filter(worth).map(|o| (!gives_wanted(&o), o));
    let near = |&(other, o): &(bool, CachedObject)| !other || distance2(at, (o.x, o.y)) <= sq(RESOURCE_RANGE);
    candidates.filter(near).min_by_key(|&(other, o)| (other, distance2(at, (o.x, o.y)))).map(|(_, o)| o)
}

/// The ingredients the character lacks for a gathering tool it could craft by hand (the stone
/// axe's branches and stones), while it carries no such tool; else nothing.
pub fn wanted_ingredients(game: &GameClient) -> Vec<u32> {
    let held = carried(game);
    let hand = in_hand(game).into_iter();
    if held.iter().map(|(_, s)| *s).chain(hand).any(|s| is_gathering_tool(game, s.kind)) {
        return Vec::new();
    }
    let count_of = |kind: u32| held.iter().filter(|(_, s)| s.kind == kind).map(|(_, s)| s.count).sum::<u32>();
    let content = game.world().content();
    let tools =
        content.recipes.iter().filter(|r| r.station.is_none() && is_gathering_tool(game, r.result.kind));
    let mut out: Vec<u32> = tools
        .flat_map(|r| r.ingredients.iter().filter(|i| count_of(i.kind) < i.count).map(|i| i.kind))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// An interact on the nearest bush, rock or the like that gives something by hand now, one that
/// gives what a tool still lacks first (see [`wanted_ingredients`]); none of `shunned`.
pub fn gather_nearby(game: &GameClient, shunned: &[u64]) -> Option<Plan> {
    let object = nearest_resource(game, SurvivalAction::Gather, &wanted_ingredients(game), shunned)?;
    Some(Plan::Interact { action: SurvivalAction::Gather, object })
}

/// An interact on the nearest ripe crop, none of `shunned`.
pub fn harvest_crop(game: &GameClient, shunned: &[u64]) -> Option<Plan> {
    let object = nearest_resource(game, SurvivalAction::Harvest, &[], shunned)?;
    Some(Plan::Interact { action: SurvivalAction::Harvest, object })
}

/// The next step towards chopping the nearest tree (or whatever needs a tool in hand) that gives
/// something now: with the tool in hand, the interact on it; with the tool carried, an
/// InventoryMove of it into the empty hand, or first of what the hand holds into a free slot;
/// without it, a Craft of it by hand when the ingredients are there (the stone axe: branches and
/// stones). None of `shunned`.
pub fn chop_tree(game: &GameClient, shunned: &[u64]) -> Option<Plan> {
    let tree = nearest_resource(game, SurvivalAction::Chop, &[], shunned)?;
    let content = game.world().content();
    let tag = content.gather(u32::from(tree.kind))?.tool?;
    let fits = |kind: u32| content.item(kind).is_some_and(|k| k.has(tag));
    let hand = hand_slot(game);
    let tool = carried(game).into_iter().find(|(_, s)| fits(s.kind));
    match (in_hand(game), tool) {
        (Some(s), _) if fits(s.kind) => Some(Plan::Interact { action: SurvivalAction::Chop, object: tree }),
        (None, Some((c, s))) => Some(Plan::Equip { from: (c, s.slot), hand }),
        (Some(_), Some(_)) => Some(Plan::Unequip { hand, to: free_slot(game)? }),
        (_, None) => Some(Plan::Craft { recipe: craftable(game, fits)?.id }),
    }
}

/// A free slot of the own inventory, else of the bag shown.
fn free_slot(game: &GameClient) -> Option<(ContainerRef, u16)> {
    let limit = game.world().content().item_rules.inventory_slots;
    if let Some(slot) = game.container(&ContainerRef::Own)?.first_free_slot_below(limit) {
        return Some((ContainerRef::Own, slot));
    }
    let bag = super::item_plan::bag(game)?;
    Some((bag, game.container(&bag)?.first_free_slot()?))
}

/// Eight directions, about 7 long: the spots around the character, as sevenths of the reach.
const AROUND: [(i32, i32); 8] = [(7, 0), (5, 5), (0, 7), (-5, 5), (-7, 0), (-5, -5), (0, -7), (5, -5)];

/// A seed carried, planted where the character stands or, when that spot is taken, at one of the
/// eight spots around it (the interact reach away, within the server's reach for planting that
/// adds an eighth of a tile; the first one tried picked at random)
/// that is free as the client sees it: inside the world border, on tiles that do not block, no
/// object too near. Whether the ground is soil the crop takes, the client cannot tell (chunks
/// carry terrain, the client keeps only what blocks): the server refuses other ground (135).
pub fn plant_seed(game: &GameClient, rng: &mut Rng) -> Option<Plan> {
    let content = game.world().content();
    let (x, y) = game.position()?;
    let (from, crop) = carried(game)
        .into_iter()
        .find_map(|(c, s)| content.item(s.kind)?.plants.map(|crop| ((c, s.slot), crop)))?;
    let radius = content.object_by_id(crop).map_or(0, |k| k.radius);
    let step = action_reach(&content.character, radius);
    let first = rng.range(0, 7) as usize;
    let around = (0..8).map(|i| {
        let (dx, dy) = AROUND[(first + i) % AROUND.len()];
        (x + dx * step / 7, y + dy * step / 7)
    });
    let mut spots = std::iter::once((x, y)).chain(around);
    let at = spots.find(|&spot| spot_free(game, spot, radius))?;
    Some(Plan::Plant { from, at, crop })
}

/// True when an object of `radius` fits at `(x, y)` as far as the client can tell (the server's
/// rule, protocol §3 Plant, 136; characters in the way are left to the server).
pub fn spot_free(game: &GameClient, (x, y): (i32, i32), radius: i32) -> bool {
    let chunks = game.world().chunks();
    let (x0, y0, x1, y1) = chunks.bounds();
    if x - radius < x0 || y - radius < y0 || x + radius > x1 || y + radius > y1 {
        return false;
    }
    let corners = [(0, 0), (-radius, 0), (radius, 0), (0, -radius), (0, radius)];
    if corners.iter().any(|&(dx, dy)| chunks.tile_blocked((x + dx) >> 8, (y + dy) >> 8)) {
        return false;
    }
    let own = radius.max(MIN_FOOTPRINT);
    let reach = own + chunks.max_object_radius().max(MIN_FOOTPRINT) + GAP;
    let near = objects_within(game, (x, y), reach);
    near.iter().all(|o| distance2((x, y), (o.x, o.y)) >= sq(own + o.radius.max(MIN_FOOTPRINT) + GAP))
}

#[cfg(test)]
mod tests {
    use super::*;
    use game::Content;
    use game::chunk_wire;
    use game::geom::CHUNK_UNITS;
    use net::protocol::{
        ChunkData, ContainerContents, EntityId, Frame, ItemSlot, OwnState, PROTOCOL_VERSION, ServerMessage,
        Stats, Welcome, WireObject,
    };
    use std::sync::Arc;

    /// Where the character stands: the middle of chunk (4, 4).
    const AT: (i32, i32) = (4 * CHUNK_UNITS + CHUNK_UNITS / 2, 4 * CHUNK_UNITS + CHUNK_UNITS / 2);

    fn item(name: &str) -> u32 {
        Content::builtin().item_named(name).expect("shipped item kind").id
    }

    fn object(name: &str) -> u16 {
        Content::builtin().object(name).expect("shipped object kind").id as u16
    }

    fn stage(object: &str, stage: &str) -> u16 {
        let content = Content::builtin();
        let growth = content.object(object).and_then(|o| o.growth.clone()).expect("a kind that grows");
        growth.stage_named(stage).expect("a stage of it")
    }

    /// An object `tiles` east of the character.
    fn east(id: u64, kind: u16, tiles: i32, state: u16) -> WireObject {
        WireObject { id: EntityId(id), kind, x: AT.0 + tiles * TILE, y: AT.1, state }
    }

    /// A client standing at [`AT`] on grass among `objects`, rested, holding `slots` (by
    /// (slot, kind name, count)).
    fn client(objects: &[WireObject], slots: &[(u16, &str, u32)]) -> GameClient {
        let mut game = GameClient::new(Arc::new(Content::builtin()));
        let welcome = Welcome {
            version: PROTOCOL_VERSION,
            tick_rate_hz: 20,
            player: EntityId(1),
            server_tick: 1,
            map: 0,
            token: net::protocol::SessionToken([1; 32]),
            x: AT.0,
            y: AT.1,
            width_chunks: 32,
            height_chunks: 32,
            continent: 0,
            layer: 0,
        };
        let grass = Content::builtin().terrain("grass").expect("grass").id;
        let terrain = [grass; chunk_wire::CHUNK_TILE_COUNT];
        let (data, raw_len) = chunk_wire::encode((4, 4), &terrain, &mut objects.to_vec(), &mut Vec::new())
            .expect("objects in chunk (4, 4)");
        let chunk = ChunkData { map: 0, cx: 4, cy: 4, version: 1, raw_len, data: data.into() };
        let own = OwnState { x: AT.0, y: AT.1, hp: 100, max_hp: 100, ..OwnState::default() };
        let stats =
            Stats { health: 100, max_health: 100, stamina: 100, max_stamina: 100, ..Stats::default() };
        for msg in [
            ServerMessage::Welcome(welcome),
            ServerMessage::ChunkData(chunk),
            ServerMessage::Frame(Frame { tick: 2, own, ..Frame::default() }),
            ServerMessage::Stats(stats),
        ] {
            game.handle(&msg).expect("applies");
        }
        hold(&mut game, 1, slots);
        game
    }

    /// Shows the inventory holding `slots` at `revision`.
    fn hold(game: &mut GameClient, revision: u32, slots: &[(u16, &str, u32)]) {
        let slots = slots
            .iter()
            .map(|&(slot, name, count)| ItemSlot {
                slot,
                item: 100 + u64::from(slot),
                kind: item(name),
                quality: 10,
                count,
            })
            .collect();
        let contents = ContainerContents { container: ContainerRef::Own, revision, capacity: 26, slots };
        game.handle(&ServerMessage::ContainerContents(contents)).expect("applies");
    }

    #[test]
    fn chopping_gets_its_axe_ready_step_by_step() {
        let tree = east(10, object("tree"), 6, stage("tree", "mature"));
        let bush = east(11, object("bush"), 2, stage("bush", "laden"));
        let rock = east(12, object("rock"), 12, 0);
        let mut game = client(&[tree, bush, rock], &[(0, "branch", 3)]);
        let interact = |action, o: WireObject| (action, o.id.0);
        let target = |plan: Option<Plan>| match plan {
            Some(Plan::Interact { action, object }) => Some((action, object.entity)),
            _ => None,
        };
        assert_eq!(chop_tree(&game, &[]), None, "no axe, and no stones for one");
        assert_eq!(
            target(gather_nearby(&game, &[])),
            Some(interact(SurvivalAction::Gather, rock)),
            "the stones an axe lacks come first, though the bush is nearer"
        );
        hold(&mut game, 2, &[(0, "branch", 2), (1, "stone", 3)]);
        let axe = Content::builtin().recipes.iter().find(|r| r.result.kind == item("stone axe")).unwrap().id;
        assert_eq!(chop_tree(&game, &[]), Some(Plan::Craft { recipe: axe }));
        assert_eq!(target(gather_nearby(&game, &[])), Some(interact(SurvivalAction::Gather, bush)));
        let hand = hand_slot(&game);
        hold(&mut game, 3, &[(3, "stone axe", 1), (hand, "club", 1)]);
        assert_eq!(chop_tree(&game, &[]), Some(Plan::Unequip { hand, to: (ContainerRef::Own, 0) }));
        hold(&mut game, 4, &[(3, "stone axe", 1), (0, "club", 1)]);
        assert_eq!(chop_tree(&game, &[]), Some(Plan::Equip { from: (ContainerRef::Own, 3), hand }));
        hold(&mut game, 5, &[(hand, "stone axe", 1), (0, "club", 1)]);
        assert_eq!(target(chop_tree(&game, &[])), Some(interact(SurvivalAction::Chop, tree)));
        assert_eq!(chop_tree(&game, &[tree.id.0]), None, "a shunned tree is left alone");
        assert_eq!(target(gather_nearby(&game, &[bush.id.0])), Some(interact(SurvivalAction::Gather, rock)));
    }

    #[test]
    fn only_what_gives_something_now_is_worked_on() {
        let young = east(10, object("tree"), 3, stage("tree", "young"));
        let bare = east(11, object("bush"), 2, stage("bush", "bare"));
        let growing = east(12, object("crop"), 1, stage("crop", "growing"));
        let far = east(13, object("crop"), 17, stage("crop", "ripe"));
        let mut game = client(&[young, bare, growing, far], &[(24, "stone axe", 1)]);
        assert_eq!(
            (gather_nearby(&game, &[]), harvest_crop(&game, &[]), chop_tree(&game, &[])),
            (None, None, None)
        );
        let ripe = east(14, object("crop"), 3, stage("crop", "ripe"));
        game = client(&[young, bare, growing, far, ripe], &[(24, "stone axe", 1)]);
        let plan = harvest_crop(&game, &[]);
        assert!(
            matches!(plan, Some(Plan::Interact { action: SurvivalAction::Harvest, object }) if object.entity == 14)
        );
        let full: Vec<(u16, &str, u32)> = (0..24).map(|s| (s, "stone", 1)).collect();
        hold(&mut game, 2, &full);
        assert_eq!(harvest_crop(&game, &[]), None, "no room for what it gives");
    }

    #[test]
    fn a_seed_goes_where_the_character_stands_or_next_to_it() {
        let crop = object("crop");
        let game = client(&[], &[(5, "seeds", 2)]);
        let (mut rng, from) = (Rng::new(5), (ContainerRef::Own, 5));
        let plan = plant_seed(&game, &mut rng);
        assert_eq!(plan, Some(Plan::Plant { from, at: AT, crop: u32::from(crop) }));
        let planted = WireObject { id: EntityId(20), kind: crop, x: AT.0, y: AT.1, state: 0 };
        let game = client(&[planted], &[(5, "seeds", 2)]);
        let Some(Plan::Plant { at, .. }) = plant_seed(&game, &mut rng) else { panic!("a spot next to it") };
        let reach = action_reach(&Content::builtin().character, 0);
        let d = distance2(at, AT).isqrt();
        assert!(d > 0 && d <= i64::from(reach), "{at:?} is next to the character, within its reach");
        assert!(spot_free(&game, at, 0) && !spot_free(&game, AT, 0));
        assert_eq!(plant_seed(&client(&[], &[(5, "branch", 2)]), &mut rng), None, "no seed, no planting");
    }
}
