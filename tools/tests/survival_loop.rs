//! The whole survival loop end to end, over real sockets against a shard in process: two new
//! players, Ann and Bob. Ann gathers branches, berries and seeds from a bush and stones from a
//! rock, crafts a stone axe and takes it in hand, fells trees (each stump shows in an
//! ObjectDelta), crafts a box from the logs and places it, plants a seed and harvests the ripe
//! crop, eats when hungry (Stats shows hunger fall), crafts a club, takes it in hand and beats
//! Bob to death; his corpse appears and she loots his bag from it; Bob comes back rested in the
//! start area after `respawn_seconds`; they chat. Every step is asserted from what the server
//! sends back, Ann's inventory against a ledger of what each step gives and takes. At the end,
//! with the shard stopped, the store holds exactly the ledger's items, Ann's inventory and the
//! corpse as she last saw them (the looted bag with her, the rest of Bob's kit in the corpse),
//! nothing duplicated. The test content is the shipped one with crops ripening in seconds,
//! hunger rising every few seconds and a short respawn.

mod common;

use common::duo::{Duo, LONG, Used, WAIT, held, objects, slots, stack};
use common::{InProcess, ItemAudit, Player, TestDb, tiles, unique};
use game::Content;
use game::combat::damage;
use game::content::ContentTexts;
use game::shard::ShardOptions;
use game::wire::verb;
use net::protocol::{ANY_SLOT, ClientMessage, ContainerRef, EntityId, ItemSlot, Order, SessionToken};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::Container;

/// Seconds from death to respawn in the test content.
const RESPAWN_SECONDS: u32 = 5;
/// The world seed: open land (no water or rock) within 26 tiles of the map's centre, with laden
/// bushes and rocks within 12 tiles of it and mature and old trees within 20. The shard steers
/// characters in straight lines (sliding along what is in the way), so the test plays where
/// nothing it cannot walk around lies between the places it goes to.
const SEED: u64 = 219;
/// Half the side of the square around the map's centre where characters start and come back:
/// the start area (the test radius of 3 tiles, widened until it holds 16 land spots: 12 tiles
/// on this open land, as the sample grid restarts at each chunk's edge) and 2 tiles of slack
/// for a free spot.
const START_SQUARE_TILES: i32 = 14;
/// The own inventory's and a corpse's slot record: (item id, kind, quality, count) by slot.
type Slots = BTreeMap<u32, (i64, u32, u32, u32)>;

/// The shipped content with crops ripening in seconds (1 s a seedling, 2 s growing), hunger
/// rising a point every 3 s (the limit, where stamina stops coming back, is 300 s away) and
/// a respawn after [`RESPAWN_SECONDS`].
fn test_content() -> Content {
    let growth = "growth = { stages = [\"seedling\", \"growing\", \"ripe\"], seconds = ";
    let shipped = format!("{growth}[1200, 2400] }}");
    assert!(ContentTexts::BUILTIN.objects.contains(&shipped), "the crop's growth in objects.toml");
    let objects = ContentTexts::BUILTIN.objects.replace(&shipped, &format!("{growth}[1, 2] }}"));
    let texts = ContentTexts { objects: &objects, ..ContentTexts::BUILTIN };
    let mut content = Content::from_texts(texts).expect("test content");
    content.stats.hunger_seconds = 3;
    content.combat.respawn_seconds = RESPAWN_SECONDS;
    content
}

/// The centre of the map's walkable area, where the start area lies (1/256 tile).
fn map_centre(p: &Player) -> (i32, i32) {
    let (x0, y0, x1, y1) = p.game.map().expect("a map").walkable();
    ((x0 + x1) / 2, (y0 + y1) / 2)
}

/// True when `at` lies in the start square around the map's centre.
fn in_start_area(p: &Player, at: (i32, i32)) -> bool {
    let (cx, cy) = map_centre(p);
    let side = START_SQUARE_TILES * 256;
    (at.0 - cx).abs() <= side && (at.1 - cy).abs() <= side
}

fn login(shard: &InProcess, name: &str) -> Player {
    let mut p = Player::connect(shard.addr, name, SessionToken::random().unwrap().0).expect("login");
    // Short reads, so pumping two players in turn keeps up with both.
    p.client.set_read_timeout(Duration::from_millis(5)).expect("read timeout");
    p
}

/// The own inventory's hand slot (the first after the inventory's slots).
fn hand(duo: &Duo) -> u16 {
    duo.content.item_rules.inventory_slots
}

fn in_hand(duo: &Duo) -> Option<u32> {
    duo.a.game.container(&ContainerRef::Own)?.slot(hand(duo)).map(|s| s.kind)
}

/// Step 1: Branches, berries and seeds from a laden bush (it turns bare); stones from a rock,
/// twice.
fn gather(duo: &mut Duo) {
    let laden = duo.stage("bush", "laden");
    let (bush, ..) = duo.gather_from("bush", |s| s == laden);
    duo.book("branch", 2);
    duo.book("berries", 3);
    duo.book("seeds", 2);
    duo.check_ledger("the bush");
    let bush_kind = duo.object("bush");
    let bare = duo.until(WAIT, |a, _| objects(a, bush_kind).iter().any(|o| o.0 == bush && o.3 == 0));
    assert!(bare, "the picked bush shows bare");
    let (rock, ..) = duo.gather_from("rock", |_| true);
    duo.book("stone", 2);
    duo.check_ledger("the rock");
    assert_eq!(duo.use_object(rock), Used::Gained, "a rock is never used up");
    duo.book("stone", 2);
    duo.check_ledger("the rock again");
}

/// Step 2: A stone axe (2 branches, 3 stones), taken in hand.
fn make_an_axe(duo: &mut Duo) {
    let made = duo.craft("stone axe");
    assert_eq!((made.kind, made.made, made.ground), (duo.item("stone axe"), 1, 0), "{made:?}");
    duo.book("branch", -2);
    duo.book("stone", -3);
    duo.book("stone axe", 1);
    duo.check_ledger("the stone axe");
    let axe = stack(&duo.a, &ContainerRef::Own, duo.item("stone axe")).expect("the axe");
    duo.move_own(axe.slot, hand(duo));
    assert_eq!(in_hand(duo), Some(axe.kind), "the axe is in hand");
}

/// Step 3: Trees felled until there are logs for a box: each leaves a stump.
fn fell_trees(duo: &mut Duo) {
    let (mature, old) = (duo.stage("tree", "mature"), duo.stage("tree", "old"));
    let (log, tree_kind, stump_kind) = (duo.item("log"), duo.object("tree"), duo.object("stump"));
    while held(&duo.a).get(&log).copied().unwrap_or(0) < 4 {
        duo.rest(10);
        let (tree, _, _, stage) = duo.gather_from("tree", |s| s == mature || s == old);
        duo.book("log", if stage == old { 5 } else { 3 });
        duo.check_ledger("a felled tree");
        let stump = duo.until(WAIT, |a, _| {
            a.game.world().chunks().object(tree).is_some_and(|o| u32::from(o.kind) == stump_kind)
        });
        assert!(stump, "the tree {tree} became a stump in an ObjectDelta");
        assert!(objects(&duo.a, tree_kind).iter().all(|o| o.0 != tree), "no tree {tree} any more");
    }
}

/// Step 4: A box from 4 logs (the axe as its tool), placed beside Ann: a box object appears.
fn build_a_box(duo: &mut Duo) {
    let (own, the_box) = (ContainerRef::Own, duo.item("box"));
    let kit_box = stack(&duo.a, &own, the_box).expect("the kit's box").item;
    let made = duo.craft("box");
    assert_eq!((made.kind, made.made, made.ground), (the_box, 1, 0), "{made:?}");
    duo.book("log", -4);
    duo.book("box", 1);
    duo.check_ledger("the box");
    let view = duo.a.game.container(&own).unwrap();
    let crafted = *view.slots.values().find(|s| s.kind == the_box && s.item != kit_box).expect("the new box");
    let box_kind = duo.object("box");
    let place = duo.a.game.drop_request(own, crafted.slot, 1);
    duo.a.client.send(&ClientMessage::Drop(place)).expect("send drop");
    assert!(duo.until(WAIT, |a, _| !objects(a, box_kind).is_empty()), "the box object appears");
    let (_, bx, by, _) = objects(&duo.a, box_kind)[0];
    assert!(tiles((bx, by), duo.a.position().unwrap()) <= 3.0, "the box stands beside Ann");
    // Placed, it left the inventory (the store check counts it as the box item it folds into).
    duo.book("box", -1);
    duo.check_ledger("the box placed");
    assert_eq!(stack(&duo.a, &own, the_box).map(|s| s.item), Some(kit_box), "the kit's box stays");
}

/// Step 5: A seed planted beside Ann (the first spot near her that takes it) ripens and is
/// harvested.
fn farm(duo: &mut Duo) {
    let (own, seeds) = (ContainerRef::Own, duo.item("seeds"));
    let (crop_kind, ripe) = (duo.object("crop"), duo.stage("crop", "ripe"));
    let (x, y) = duo.a.position().unwrap();
    let mut crop = None;
    for (dx, dy) in [(0, 96), (96, 0), (0, -96), (-96, 0), (0, 0), (64, 64), (-64, -64)] {
        let spot = (x + dx, y + dy);
        let seed = stack(&duo.a, &own, seeds).expect("seeds").slot;
        let plant = duo.a.game.plant_request(own, seed, spot);
        duo.a.client.send(&ClientMessage::Plant(plant)).expect("send plant");
        let planted = |a: &Player| objects(a, crop_kind).into_iter().find(|o| tiles((o.1, o.2), spot) < 0.1);
        duo.until(WAIT, |a, _| planted(a).is_some() || a.errors.iter().any(|e| e.1 == plant.request));
        crop = planted(&duo.a);
        if crop.is_some() {
            break;
        }
    }
    let (crop, ..) = crop.unwrap_or_else(|| panic!("no spot took a seed; errors {:?}", duo.a.errors));
    duo.book("seeds", -1);
    duo.check_ledger("a seed planted");
    let state = |a: &Player| a.game.world().chunks().object(crop).map(|o| o.state);
    assert!(duo.until(LONG, |a, _| state(a) == Some(ripe)), "the crop ripens (ObjectDelta changes)");
    assert_eq!(duo.use_object(crop), Used::Gained, "the ripe crop is harvested");
    duo.book("berries", 6);
    duo.book("seeds", 2);
    duo.check_ledger("the harvest");
    assert!(duo.until(WAIT, |a, _| state(a).is_none()), "the harvested crop is gone");
}

/// Step 6: Hungry by now (a point every 3 s): a berry brings hunger down in Stats.
fn eat(duo: &mut Duo) {
    let hunger = |a: &Player| a.game.world().vitals().map_or(0, |s| s.hunger);
    assert!(duo.until(LONG, |a, _| hunger(a) >= 5), "Ann gets hungry");
    let (own, was) = (ContainerRef::Own, hunger(&duo.a));
    let meal = stack(&duo.a, &own, duo.item("berries")).expect("berries").slot;
    let eat = duo.a.game.use_item_request(own, meal);
    duo.a.client.send(&ClientMessage::UseItem(eat)).expect("send use item");
    let fed = duo.until(WAIT, |a, _| hunger(a) < was);
    assert!(fed, "hunger falls from {was}; errors {:?}", duo.a.errors);
    duo.book("berries", -1);
    duo.check_ledger("a meal");
}

/// Step 7: A club (3 branches) in hand instead of the axe; Ann walks back to Bob and beats him to
/// death, every blow as hard as the club of its quality hits. Returns when Bob died (as his client
/// saw it) and where.
fn kill(duo: &mut Duo) -> (Instant, (i32, i32)) {
    let made = duo.craft("club");
    assert_eq!((made.kind, made.made, made.ground), (duo.item("club"), 1, 0), "{made:?}");
    duo.book("branch", -3);
    duo.book("club", 1);
    duo.check_ledger("the club");
    duo.move_own(hand(duo), ANY_SLOT);
    let club = stack(&duo.a, &ContainerRef::Own, made.kind).expect("the club");
    duo.move_own(club.slot, hand(duo));
    assert_eq!(in_hand(duo), Some(made.kind), "the club is in hand");

    duo.walk_back();
    let bob = duo.b.me();
    // Attack, renewing the order while Ann's shows none. A blocked approach ends it (the way back
    // may have led elsewhere, or something now stands between them): Bob then walks towards Ann,
    // so the two meet from both sides.
    let dead = |b: &Player| b.game.world().vitals().is_some_and(|s| s.health == 0);
    let end = Instant::now() + LONG;
    let mut renewed = 0;
    while !dead(&duo.b) && Instant::now() < end {
        if duo.a.game.world().own().is_some_and(|o| o.state.order == 0) {
            if renewed > 0 {
                let (x, y) = duo.a.position().unwrap();
                duo.b.order(Order::MoveTo { x, y });
            }
            duo.a.order(Order::Attack(bob));
            renewed += 1;
        }
        duo.until(Duration::from_secs(1), |_, b| dead(b));
    }
    let vitals = |p: &Player| p.game.world().vitals().map(|s| (s.health, s.stamina, s.hunger));
    assert!(
        dead(&duo.b),
        "Bob dies: Ann at {:?} (health, stamina, hunger {:?}, order {:?}, attack sent {renewed} times, \
         errors {:?}), Bob at {:?} ({:?}, errors {:?})",
        duo.a.position(),
        vitals(&duo.a),
        duo.a.game.world().own().map(|o| o.state.order),
        duo.a.errors,
        duo.b.position(),
        vitals(&duo.b),
        duo.b.errors,
    );
    let died = (Instant::now(), duo.b.position().unwrap());
    let seen = duo.until(WAIT, |a, _| a.game.world().entity(bob).is_some_and(|e| e.state.hp == 0));
    assert!(seen, "Ann sees Bob's health at 0");
    // The blows it takes with this club, each as the rule says for the experience Ann had then.
    let (weapon, combat) = (duo.content.item(made.kind).unwrap().weapon.unwrap(), duo.content.combat);
    let (mut health, mut blows) = (u32::from(duo.content.stats.max_health), 0);
    while health > 0 {
        health =
            health.saturating_sub(u32::from(damage(&weapon, made.quality, blows * combat.hit_experience)));
        blows += 1;
    }
    let xp = duo.a.game.world().vitals().unwrap().xp_combat;
    assert_eq!(xp, blows * combat.hit_experience, "{blows} blows of the club in hand");
    died
}

/// Step 7, continued: Bob's corpse appears where he fell holding his kit; Ann opens it like a box
/// and moves his bag into her inventory. Returns the bag and what the corpse shows afterwards.
fn loot(duo: &mut Duo, fell: (i32, i32), kit: &BTreeMap<u32, i64>) -> (ItemSlot, Slots) {
    let (own, bag, corpse_kind) = (ContainerRef::Own, duo.item("bag"), duo.object("corpse"));
    let lies = |a: &Player| objects(a, corpse_kind).into_iter().find(|o| tiles((o.1, o.2), fell) < 2.0);
    assert!(duo.until(WAIT, |a, _| lies(a).is_some()), "Bob's corpse appears where he fell");
    let corpse = EntityId(lies(&duo.a).unwrap().0);
    let corpse_ref = ContainerRef::Object(corpse);
    duo.a.order(Order::Interact { target: corpse, action: verb::USE });
    let opened = duo.until(WAIT, |a, _| a.game.container(&corpse_ref).is_some());
    assert!(opened, "the corpse opens; errors {:?}", duo.a.errors);
    let mut inside = BTreeMap::new();
    for (_, kind, _, count) in slots(&duo.a, &corpse_ref).into_values() {
        *inside.entry(kind).or_insert(0) += i64::from(count);
    }
    assert_eq!(&inside, kit, "the corpse holds everything Bob carried: his starter kit");
    let bobs_bag = stack(&duo.a, &corpse_ref, bag).expect("Bob's bag");
    let m = duo.a.game.move_request((corpse_ref, bobs_bag.slot), (own, ANY_SLOT), 1);
    duo.a.client.send(&ClientMessage::InventoryMove(m)).expect("send loot");
    let looted = duo.until(WAIT, |a, _| {
        slots(a, &own).values().any(|s| s.0 == i64::try_from(bobs_bag.item).unwrap())
            && stack(a, &corpse_ref, bag).is_none()
    });
    assert!(looted, "Bob's bag moved from his corpse into Ann's inventory; errors {:?}", duo.a.errors);
    duo.book("bag", 1);
    duo.check_ledger("the loot");
    (bobs_bag, slots(&duo.a, &corpse_ref))
}

/// Step 7, the end: Bob comes back after `respawn_seconds`, rested and fed, in the start area, with
/// nothing.
fn respawn(duo: &mut Duo, died: Instant) {
    let rules = duo.content.stats;
    let rested = |b: &Player| b.game.world().vitals().is_some_and(|s| s.health == rules.max_health);
    assert!(duo.until(LONG, |_, b| rested(b)), "Bob respawns");
    // As the client saw it: the Stats of his death may have reached it late, so allow half.
    let dead_for = died.elapsed();
    let delay = Duration::from_secs(u64::from(RESPAWN_SECONDS));
    assert!(dead_for >= delay / 2, "Bob was dead only {dead_for:?}");
    let stats = *duo.b.game.world().vitals().unwrap();
    assert_eq!(stats.stamina, rules.max_stamina, "{stats:?}");
    assert!(stats.hunger <= 1, "fed (a point of hunger comes every 3 s): {stats:?}");
    let back = duo.until(WAIT, |_, b| b.position().is_some_and(|at| in_start_area(b, at)));
    assert!(back, "Bob is back in the start area: {:?}, centre {:?}", duo.b.position(), map_centre(&duo.b));
    assert!(held(&duo.b).is_empty(), "Bob comes back with nothing: {:?}", held(&duo.b));
}

/// Step 8: Bob walks over to Ann (or she to him); each hears the other's line (ChatHeard).
fn chat(duo: &mut Duo) {
    let (ann_at, bob_at) = (duo.a.position().unwrap(), duo.b.position().unwrap());
    let met =
        duo.walk(true, (ann_at.0 + 256, ann_at.1), 16.0) || duo.walk(false, (bob_at.0 - 256, bob_at.1), 16.0);
    assert!(met, "Ann and Bob meet: {:?}, {:?}", duo.a.position(), duo.b.position());
    let (ann, bob) = (duo.a.me(), duo.b.me());
    let heard = |p: &Player, from: EntityId, text: &str| {
        p.game.chat().lines().any(|l| l.speaker == from && l.text == text)
    };
    let line = duo.a.game.chat_request("that was my bag now");
    duo.a.client.send(&ClientMessage::Chat(line)).expect("send chat");
    let both =
        duo.until(WAIT, |a, b| heard(a, ann, "that was my bag now") && heard(b, ann, "that was my bag now"));
    assert!(both, "Ann's line reaches Bob, and Ann herself; errors {:?}", duo.a.errors);
    let reply = duo.b.game.chat_request("fair enough");
    duo.b.client.send(&ClientMessage::Chat(reply)).expect("send chat");
    let back = duo.until(WAIT, |a, _| heard(a, bob, "fair enough"));
    assert!(back, "Ann hears Bob; his errors {:?}", duo.b.errors);
}

#[test]
fn two_players_gather_craft_build_farm_eat_fight_loot_respawn_and_chat() {
    let db = TestDb::sqlite();
    let content = Arc::new(test_content());
    let opts = ShardOptions { bots: 0, seed: SEED, ..ShardOptions::default() };
    let shard = InProcess::start_with_content(db.store_config(), opts, content.clone());
    let (ann, bob) = (unique("ann"), unique("bob"));
    let mut duo = Duo::new(login(&shard, &ann), login(&shard, &bob), content.clone());
    let shown = |p: &Player| {
        p.game.container(&ContainerRef::Own).is_some()
            && p.position().is_some()
            && p.game.world().vitals().is_some()
    };
    assert!(duo.until(WAIT, |a, b| shown(a) && shown(b)), "inventories, positions and Stats arrive");
    let kit: BTreeMap<u32, i64> = content.starter_kit.iter().map(|s| (s.kind, i64::from(s.count))).collect();
    duo.ledger = kit.clone();
    duo.check_ledger("the starter kit");
    for p in [&duo.a, &duo.b] {
        let at = p.position().unwrap();
        assert!(
            in_start_area(p, at),
            "a new character starts in the start area: {at:?}, centre {:?}",
            map_centre(p)
        );
    }
    // Bob waits beside the spot Ann sets out from (she comes back there to fight him).
    let start = duo.a.position().unwrap();
    duo.walk(true, (start.0 + 512, start.1), 1.5);

    gather(&mut duo);
    make_an_axe(&mut duo);
    fell_trees(&mut duo);
    build_a_box(&mut duo);
    farm(&mut duo);
    eat(&mut duo);
    let (died, fell) = kill(&mut duo);
    let (bobs_bag, corpse_saw) = loot(&mut duo, fell, &kit);
    respawn(&mut duo, died);
    chat(&mut duo);

    // The store once the shard stopped: exactly the ledger (the placed box counted as its item)
    // and the rest of Bob's kit, Ann's inventory and the corpse as she last saw them.
    let (ledger, ann_saw) = (duo.ledger.clone(), slots(&duo.a, &ContainerRef::Own));
    drop(duo);
    let (report, _) = shard.stop();
    assert!(report.complete(), "{report}");
    let audit = ItemAudit::read(&db);
    audit.check(&content);
    let mut stored: BTreeMap<u32, i64> = BTreeMap::new();
    for ((kind, _), n) in audit.totals(&content) {
        *stored.entry(kind).or_default() += i64::try_from(n).unwrap();
    }
    let (bag, box_item) = (bobs_bag.kind, content.item_named("box").unwrap().id);
    let mut kit_left = kit.clone();
    kit_left.remove(&bag);
    let mut want = ledger;
    for (kind, n) in kit_left.iter().chain([(&box_item, &1)]) {
        *want.entry(*kind).or_default() += n;
    }
    assert_eq!(stored, want, "stored totals by kind: Ann's ledger, the placed box, the rest of Bob's kit");
    let id_of = |name: &str| db.rows(&format!("SELECT id FROM players WHERE name = '{name}'"))[0][0];
    let (ann_id, bob_id) = (id_of(&ann), id_of(&bob));
    let looted = audit.items[&i64::try_from(bobs_bag.item).unwrap()];
    assert_eq!(looted.container, Container::Player(ann_id), "the looted bag is Ann's: {looted:?}");
    assert_eq!(audit.slots_of(Container::Player(ann_id)), ann_saw, "Ann's inventory as she last saw it");
    assert!(audit.slots_of(Container::Player(bob_id)).is_empty(), "Bob holds nothing");
    let (corpse_kind, box_kind) = (content.corpse_kind().unwrap().id, content.object("box").unwrap().id);
    assert_eq!((audit.objects_of(corpse_kind), audit.objects_of(box_kind)), (1, 1), "a corpse and a box");
    let (&corpse, _) = audit.objects.iter().find(|(_, o)| o.kind == corpse_kind).unwrap();
    let in_corpse = audit.slots_of(Container::Object(corpse));
    assert_eq!(in_corpse, corpse_saw, "the corpse as Ann last saw it");
    let mut left: BTreeMap<u32, i64> = BTreeMap::new();
    for (_, kind, _, count) in in_corpse.into_values() {
        *left.entry(kind).or_default() += i64::from(count);
    }
    assert_eq!(left, kit_left, "the corpse keeps the rest of Bob's kit");
}
