//! Crafting as one item operation (`ItemWorld::craft`): each shipped recipe made from a kit,
//! the choice of stacks (highest quality first, bags included) and tools, the result merged,
//! put in freed slots or, when the inventory is full, in a ground pile within the same change;
//! every refusal with its wire code, changing nothing. The model property (random crafts mixed
//! with moves and splits, each transaction applied to a real SQLite store) is in
//! `craft/model.rs`.

#[path = "../../store/tests/common/mod.rs"]
mod db;
mod items_common;
#[path = "craft/model.rs"]
mod model;

use game::Content;
use game::content::ContentTexts;
use game::items::{Craft, CraftError, GroundPile, ItemError, ItemWorld, Root, Stack};
use items_common::{Reference, check_invariants, content, counter, kind, rec, snapshot};
use std::collections::BTreeMap;
use std::sync::Arc;
use store::{Container, ItemOp, ItemRecord, ObjectRecord};

const P: i64 = 1;
const INV: Container = Container::Player(P);

fn q(quality: u32, r: ItemRecord) -> ItemRecord {
    ItemRecord { quality, ..r }
}

/// A world of the shipped content with player `P`'s inventory (24 slots) holding `items`.
fn world_with(items: &[ItemRecord]) -> ItemWorld {
    world_of(content(), items)
}

fn world_of(content: Arc<Content>, items: &[ItemRecord]) -> ItemWorld {
    let mut w = ItemWorld::new(content);
    let report = w.insert_container(Root::Player(P), 24, items).unwrap();
    assert!(report.bad.is_empty(), "{:?}", report.bad);
    w
}

fn recipe(name: &str) -> u16 {
    Content::builtin().recipe_named(name).unwrap_or_else(|| panic!("no recipe {name}")).id
}

fn craft(name: &str, times: u16, experience: u64) -> Craft {
    Craft { player: P, recipe: recipe(name), times, experience }
}

fn reference(items: &[ItemRecord]) -> Reference {
    Reference { items: items.iter().map(|r| (r.id, *r)).collect(), ..Reference::default() }
}

fn records(w: &ItemWorld) -> BTreeMap<i64, ItemRecord> {
    w.records().map(|r| (r.id, *r)).collect()
}

/// `(kind, quality) → count` from `(name, quality, count)`.
fn totals(entries: &[(&str, u32, u64)]) -> BTreeMap<(u32, u32), u64> {
    entries.iter().map(|&(name, quality, count)| ((kind(name), quality), count)).collect()
}

#[test]
fn each_starter_recipe_crafts_from_a_kit() {
    struct Case {
        recipe: &'static str,
        kit: Vec<ItemRecord>,
        experience: u64,
        /// What the inventory holds afterwards: `(name, quality, count)`.
        after: Vec<(&'static str, u32, u64)>,
    }
    let cases = [
        // Branches 2 × q10, stones 3 × q20: Qi = (2·10 + 3·20)/5 = 16, no tool, base 16;
        // experience 0: S = 10 < 16 → (16 + 10)/2 = 13.
        Case {
            recipe: "stone axe",
            kit: vec![q(10, rec(1, kind("branch"), 2, INV, 0)), q(20, rec(2, kind("stone"), 3, INV, 1))],
            experience: 0,
            after: vec![("stone axe", 13, 1)],
        },
        // Branches 3 × q12: base 12; experience 1: S = 11 < 12 → 23/2 = 11.
        Case {
            recipe: "club",
            kit: vec![q(12, rec(1, kind("branch"), 3, INV, 0))],
            experience: 1,
            after: vec![("club", 11, 1)],
        },
        // Logs 4 × q30, axe q50: base = (4·30 + 50)/5 = 34; experience 100: S = 20 → 27.
        Case {
            recipe: "box",
            kit: vec![q(30, rec(1, kind("log"), 4, INV, 0)), q(50, rec(2, kind("stone axe"), 1, INV, 1))],
            experience: 100,
            after: vec![("box", 27, 1), ("stone axe", 50, 1)],
        },
        // A log q30, axe q50, weights 1:1: base = 80/2 = 40; experience 0: S = 10 → 25.
        Case {
            recipe: "split log",
            kit: vec![q(30, rec(1, kind("log"), 1, INV, 0)), q(50, rec(2, kind("stone axe"), 1, INV, 1))],
            experience: 0,
            after: vec![("branch", 25, 4), ("stone axe", 50, 1)],
        },
    ];
    assert_eq!(cases.len(), Content::builtin().recipes.len(), "every shipped recipe has a case");
    for case in cases {
        let mut w = world_with(&case.kit);
        let mut stored = reference(&case.kit);
        let c = craft(case.recipe, 1, case.experience);
        let preview = w.craft_preview(c).unwrap();
        let done = w.craft(c, None, &mut counter(100)).unwrap();
        assert_eq!(done.outcome, preview, "{}: the preview is what the craft does", case.recipe);
        assert_eq!((done.pile, done.outcome.overflow), (None, 0));
        assert_eq!(w.totals(), totals(&case.after), "{}", case.recipe);
        let r = Content::builtin().recipe(c.recipe).unwrap().clone();
        assert_eq!(done.change.count, r.result.count);
        assert_eq!(done.change.tx.label, "craft");
        let consumed: u32 = done.outcome.consumed.iter().map(|s| s.count).sum();
        assert_eq!(consumed, r.ingredients.iter().map(|s| s.count).sum::<u32>());
        assert_eq!(done.outcome.tools.len(), r.tools.len());
        // The one transaction makes storage equal to memory.
        stored.replay(&done.change.tx);
        assert_eq!(stored.items, records(&w), "{}", case.recipe);
        check_invariants(&w);
    }
}

#[test]
fn the_best_stacks_go_first_from_the_inventory_and_its_bags() {
    let bag = Container::Item(11);
    let kit = [
        q(5, rec(1, kind("branch"), 2, INV, 0)),
        rec(11, kind("bag"), 1, INV, 1),
        q(20, rec(12, kind("branch"), 1, bag, 0)),
        q(12, rec(2, kind("branch"), 2, INV, 2)),
    ];
    let mut w = world_with(&kit);
    let before = (w.revision(INV).unwrap(), w.revision(bag).unwrap());
    let done = w.craft(craft("club", 1, 0), None, &mut counter(100)).unwrap();
    // Highest first: the q20 branch in the bag, then both q12 ones; the q5 pair stays.
    let branch = kind("branch");
    let used = [Stack { kind: branch, quality: 20, count: 1 }, Stack { kind: branch, quality: 12, count: 2 }];
    assert_eq!(done.outcome.consumed, used);
    // Mean (20 + 2·12)/3 = 44/3 = 14; base 14; S = 10 → (14 + 10)/2 = 12.
    assert_eq!((done.outcome.quality.ingredients, done.outcome.quality.result), (14, 12));
    let club = w.item_at(INV, 2).expect("the club takes the slot the q12 branches freed");
    assert_eq!((club.kind, club.quality, club.count), (kind("club"), 12, 1));
    assert_eq!(w.item_at(INV, 0).map(|r| (r.quality, r.count)), Some((5, 2)));
    assert!(w.container(bag).unwrap().is_empty());
    let revised: Vec<(Container, u32)> =
        done.change.revised.iter().map(|r| (r.container, r.revision)).collect();
    assert_eq!(revised, [(bag, before.1 + 1), (INV, before.0 + 1)]);
}

#[test]
fn repetitions_merge_into_a_stack_of_their_quality_then_fill_freed_slots() {
    let kit = [
        q(30, rec(1, kind("log"), 3, INV, 0)),
        q(50, rec(2, kind("stone axe"), 1, INV, 1)),
        q(40, rec(3, kind("branch"), 45, INV, 2)),
        q(7, rec(4, kind("branch"), 10, INV, 3)),
    ];
    let mut w = world_with(&kit);
    let mut stored = reference(&kit);
    // Three splits: 3 logs, 12 branches of quality (30 + 50)/2 = 40 (experience 900: S = 40).
    let done = w.craft(craft("split log", 3, 900), None, &mut counter(100)).unwrap();
    assert_eq!(done.outcome.result, Stack { kind: kind("branch"), quality: 40, count: 12 });
    assert_eq!(done.change.count, 12);
    // 5 fill the q40 stack to 50; 7 go to slot 0, which the logs left; the q7 stack is apart.
    let at = |slot| w.item_at(INV, slot).map(|r| (r.id, r.quality, r.count));
    assert_eq!((at(0), at(2), at(3)), (Some((100, 40, 7)), Some((3, 40, 50)), Some((4, 7, 10))));
    assert_eq!(w.totals(), totals(&[("branch", 40, 57), ("branch", 7, 10), ("stone axe", 50, 1)]));
    stored.replay(&done.change.tx);
    assert_eq!(stored.items, records(&w));
}

#[test]
fn the_best_tool_serves_and_is_kept() {
    let bag = Container::Item(11);
    let kit = [
        q(30, rec(1, kind("log"), 4, INV, 0)),
        q(10, rec(2, kind("stone axe"), 1, INV, 1)),
        rec(11, kind("bag"), 1, INV, 2),
        q(60, rec(12, kind("stone axe"), 1, bag, 5)),
    ];
    let mut w = world_with(&kit);
    let done = w.craft(craft("box", 1, 10_000), None, &mut counter(100)).unwrap();
    assert_eq!(done.outcome.tools, [12], "the q60 axe in the bag, not the q10 one");
    // Qi 30, Qt 60: base = (4·30 + 60)/5 = 36; S = 110 → 36.
    assert_eq!((done.outcome.quality.tools, done.outcome.quality.result), (60, 36));
    assert_eq!(w.item(12), Some(&kit[3]));
    assert_eq!(w.item(2), Some(&kit[1]));
}

/// A full inventory: branches and stones in slots 0 and 1 (more than a stone axe needs), seeds
/// of distinct qualities in the other 22 (nothing merges).
fn full_inventory() -> Vec<ItemRecord> {
    let mut items = vec![q(10, rec(1, kind("branch"), 5, INV, 0)), q(10, rec(2, kind("stone"), 7, INV, 1))];
    items.extend((2..24u32).map(|s| q(s, rec(i64::from(s) + 1, kind("seeds"), 1, INV, s))));
    items
}

fn pile_record(id: i64) -> ObjectRecord {
    let kind = Content::builtin().pile_kind().unwrap().id;
    ObjectRecord { id, map: 1, kind, holds_items: true, ..ObjectRecord::default() }
}

#[test]
fn what_does_not_fit_goes_to_a_ground_pile_in_the_same_change() {
    let kit = full_inventory();
    let mut w = world_with(&kit);
    let c = craft("stone axe", 1, 0);
    let axe = Stack { kind: kind("stone axe"), quality: 10, count: 1 };
    assert_eq!(w.craft_preview(c).unwrap().overflow, 1);
    let before = snapshot(&w);
    let e = w.craft(c, None, &mut counter(100)).unwrap_err();
    assert_eq!((e.clone(), e.code()), (CraftError::NoRoom { overflow: axe }, 123));
    assert_eq!(snapshot(&w), before, "refused without a pile: nothing changed");
    let pile = Root::Object(900);
    let mut done = w.craft(c, Some(GroundPile { root: pile, capacity: 1 }), &mut counter(100)).unwrap();
    assert_eq!(done.pile, Some(pile));
    let on_ground = w.item_at(pile.container(), 0).unwrap();
    assert_eq!((on_ground.kind, on_ground.quality, on_ground.count), (axe.kind, 10, 1));
    assert_eq!(done.change.count, 1);
    assert!(done.change.revised.iter().any(|r| r.container == pile.container()));
    // Consumed from slots 0 and 1, made in the pile, the pile object first: one transaction.
    done.change.put_object_first(pile_record(900));
    assert!(matches!(done.change.tx.ops[0], ItemOp::PutObject(_)));
    let mut stored = reference(&kit);
    stored.replay(&done.change.tx);
    assert_eq!(stored.items, records(&w));
    assert!(stored.objects.contains(&900));
    let (b, s) = (w.item_at(INV, 0).unwrap().count, w.item_at(INV, 1).unwrap().count);
    assert_eq!((b, s), (3, 4));
    check_invariants(&w);
}

#[test]
fn a_pile_too_small_or_taken_is_refused_and_one_not_needed_is_not_made() {
    let mut w = world_with(&full_inventory());
    let before = snapshot(&w);
    // Two axes (not stackable) need two slots; the pile has one.
    let two = craft("stone axe", 2, 0);
    let small = GroundPile { root: Root::Object(900), capacity: 1 };
    let e = w.craft(two, Some(small), &mut counter(100)).unwrap_err();
    assert_eq!(e, CraftError::NoRoom { overflow: Stack { kind: kind("stone axe"), quality: 10, count: 2 } });
    // A pile whose container exists already.
    w.insert_container(Root::Object(901), 1, &[]).unwrap();
    let before_taken = snapshot(&w);
    let taken = GroundPile { root: Root::Object(901), capacity: 1 };
    let e = w.craft(craft("stone axe", 1, 0), Some(taken), &mut counter(100)).unwrap_err();
    assert_eq!((e.code(), e), (116, CraftError::Item(ItemError::ContainerExists(Container::Object(901)))));
    assert_eq!(snapshot(&w), before_taken);
    assert_ne!(snapshot(&w), before, "only the test's own container was added");
    // A club takes all five branches: their slot is freed, the club fits, the pile is not made.
    let kit = [q(10, rec(1, kind("branch"), 3, INV, 0))];
    let mut kit = kit.to_vec();
    kit.extend(full_inventory().into_iter().skip(2));
    kit.push(q(1, rec(99, kind("seeds"), 1, INV, 1)));
    let mut w = world_with(&kit);
    let done = w.craft(craft("club", 1, 0), Some(small), &mut counter(100)).unwrap();
    assert_eq!((done.pile, done.outcome.overflow), (None, 0));
    assert!(w.container(Container::Object(900)).is_none());
    assert_eq!(w.item_at(INV, 0).map(|r| r.kind), Some(kind("club")));
}

/// Asserts `craft` is refused with `code` and a text containing `text`, changing nothing.
fn refused(
    w: &mut ItemWorld,
    c: Craft,
    ids: &mut dyn game::items::IdSource,
    code: u16,
    text: &str,
) -> CraftError {
    let before = snapshot(w);
    let e = w.craft(c, None, ids).unwrap_err();
    assert_eq!(e.code(), code, "{e}");
    assert!(e.to_string().contains(text), "`{e}` should say `{text}`");
    assert_eq!(snapshot(w), before, "refused with {e:?} yet changed");
    e
}

#[test]
fn each_refusal_has_its_code_and_changes_nothing() {
    let kit = [q(10, rec(1, kind("branch"), 2, INV, 0)), q(10, rec(2, kind("stone"), 2, INV, 1))];
    let mut w = world_with(&kit);
    let ids = &mut counter(100);
    let unknown = Craft { recipe: 999, ..craft("club", 1, 0) };
    assert_eq!(refused(&mut w, unknown, ids, 120, "unknown recipe 999"), CraftError::UnknownRecipe(999));
    refused(&mut w, craft("club", 0, 0), ids, 126, "at least 1");
    let e = refused(&mut w, craft("stone axe", 1, 0), ids, 121, "not enough stone: 3 needed, 2 held");
    assert_eq!(e, CraftError::MissingIngredients { item: "stone".into(), needed: 3, held: 2 });
    // Two repetitions: the first kind short (by id, branch) is named.
    refused(&mut w, craft("stone axe", 2, 0), ids, 121, "not enough branch: 4 needed, 2 held");
    let logs = [q(10, rec(1, kind("log"), 4, INV, 0)), rec(2, kind("club"), 1, INV, 1)];
    let mut w2 = world_with(&logs);
    refused(&mut w2, craft("box", 1, 0), ids, 122, "missing tool: any axe");
    let nobody = Craft { player: 2, ..craft("club", 1, 0) };
    refused(&mut w, nobody, ids, 103, "no such container");
    let three = [q(10, rec(1, kind("branch"), 3, INV, 0))];
    let mut w3 = world_with(&three);
    let e = refused(&mut w3, craft("club", 1, 0), &mut || None::<i64>, 112, "no item ids");
    assert!(e.retryable());
    assert!(!CraftError::BadCount.retryable());
    // The caller's checks have their codes reserved here.
    let tired = CraftError::NotEnoughStamina { needed: 20, left: 7 };
    assert_eq!((tired.code(), tired.to_string()), (124, "not enough stamina: 20 needed, 7 left".into()));
    let far = CraftError::StationNotInReach { station: "box".into() };
    assert_eq!((far.code(), far.to_string()), (125, "no box in reach".into()));
    assert_eq!(CraftError::from(ItemError::StorageBusy).code(), 119);
}

#[test]
fn a_bag_is_consumed_only_when_empty() {
    let unpack = r#"
[[recipe]]
id = 9
name = "unpack"
result = { item = "stone", count = 1 }
ingredients = { bag = 1 }
stamina = 1
ticks = 1
experience = { kind = "crafting", amount = 1 }
"#;
    let c = Arc::new(Content::from_texts(ContentTexts { recipes: unpack, ..ContentTexts::BUILTIN }).unwrap());
    let kit = [rec(1, kind("bag"), 1, INV, 0), q(3, rec(2, kind("berries"), 1, Container::Item(1), 0))];
    let mut w = world_of(c.clone(), &kit);
    let order = Craft { player: P, recipe: 9, times: 1, experience: 0 };
    let e = refused(&mut w, order, &mut counter(100), 121, "not enough bag: 1 needed, 0 held");
    assert_eq!(e, CraftError::MissingIngredients { item: "bag".into(), needed: 1, held: 0 });
    let mut w = world_of(c, &kit[..1]);
    let done = w.craft(order, None, &mut counter(100)).unwrap();
    assert!(w.container(Container::Item(1)).is_none(), "the empty bag and its slots are gone");
    assert_eq!(w.item_at(INV, 0).map(|r| r.kind), Some(kind("stone")));
    assert_eq!(done.outcome.consumed, [Stack { kind: kind("bag"), quality: 0, count: 1 }]);
}

#[test]
fn every_craft_error_code_is_in_the_spec() {
    use game::wire::error as code;
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/protocol.md"))
        .expect("schemas/protocol.md");
    let errors = &spec[spec.find("## 5. Error codes").expect("§5")..spec.find("## 6.").expect("§6")];
    let codes = [
        code::UNKNOWN_RECIPE,
        code::MISSING_INGREDIENTS,
        code::MISSING_TOOL,
        code::CRAFT_NO_ROOM,
        code::NOT_ENOUGH_STAMINA,
        code::STATION_NOT_IN_REACH,
        code::BAD_CRAFT_COUNT,
    ];
    assert_eq!(codes.to_vec(), (120..=126).collect::<Vec<u16>>());
    for c in codes {
        assert!(errors.contains(&format!("\n| {c} | ")), "code {c} has a row in §5");
    }
    assert!(spec.contains("**Recipes and quality.**"), "§3 states what a Craft does");
}
