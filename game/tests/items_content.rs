//! Item content: the shipped kinds, rules, starter kit and pile load; every item validation
//! error names its file and field.

use game::Content;
use game::content::{ContentTexts, ItemTag, ObjectRole};
use std::path::Path;

const BUILTIN: ContentTexts<'static> = ContentTexts::BUILTIN;

fn with_items(items: &str) -> Result<Content, game::ContentError> {
    Content::from_texts(ContentTexts { items, ..BUILTIN })
}

fn with_objects(objects: &str) -> Result<Content, game::ContentError> {
    Content::from_texts(ContentTexts { objects, ..BUILTIN })
}

/// The shipped items with `from` replaced by `to` (which must occur).
fn edited_items(from: &str, to: &str) -> Result<Content, game::ContentError> {
    assert!(BUILTIN.items.contains(from), "{from}");
    with_items(&BUILTIN.items.replacen(from, to, 1))
}

/// Asserts the error is in `file` and its field mentions `field` and its text `why`.
fn fails(r: Result<Content, game::ContentError>, file: &str, field: &str, why: &str) {
    let e = r.expect_err("content should be refused");
    assert_eq!(e.file, file, "{e}");
    assert!(e.field.contains(field), "field of `{e}` should mention `{field}`");
    assert!(e.reason.contains(why), "reason of `{e}` should mention `{why}`");
}

#[test]
fn the_shipped_items_load() {
    let c = Content::builtin();
    let bag = c.item_named("bag").unwrap();
    assert!(bag.is_container() && bag.has(ItemTag::Container) && bag.capacity == 8 && !bag.stackable());
    let berries = c.item_named("berries").unwrap();
    assert!(berries.has(ItemTag::Food) && berries.food == Some(5) && berries.stackable());
    let axe = c.item_named("stone axe").unwrap();
    assert!(axe.has(ItemTag::Axe) && axe.has(ItemTag::Tool) && axe.weapon.is_some());
    assert!(c.item_named("club").unwrap().weapon.is_some());
    let box_item = c.item_named("box").unwrap();
    let box_object = c.object("box").unwrap();
    assert_eq!(box_item.places, Some(box_object.id));
    assert_eq!((box_object.capacity, box_object.becomes.as_deref()), (Some(16), Some("box")));
    let pile = c.pile_kind().unwrap();
    assert_eq!((pile.radius, pile.capacity, pile.role), (0, Some(1), Some(ObjectRole::Pile)));
    for name in ["branch", "stone", "log", "seeds"] {
        assert!(c.item_named(name).is_some(), "{name}");
    }
    // Dense lookups by id.
    assert_eq!(c.item(bag.id).map(|k| &k.name), Some(&bag.name));
    assert!(c.item(0).is_none() && c.item(60_000).is_none() && c.item(u32::MAX).is_none());
    assert_eq!(c.object_by_id(pile.id).map(|o| o.id), Some(pile.id));
    assert!(c.object_by_id(0).is_none() && c.object_by_id(u32::MAX).is_none());
    assert_eq!((c.item_rules.max_depth, c.item_rules.inventory_slots), (3, 24));
    let kit: Vec<(String, u32)> =
        c.starter_kit.iter().map(|s| (c.item(s.kind).unwrap().name.clone(), s.count)).collect();
    let expected = [("bag", 1), ("box", 1), ("berries", 5), ("branch", 3)].map(|(n, k)| (n.to_string(), k));
    assert_eq!(kit, expected);
    assert_eq!(
        *game::shard::STARTER_KIT,
        c.starter_kit.iter().map(|s| (s.kind, s.count)).collect::<Vec<_>>()
    );
}

#[test]
fn loading_the_directory_reads_the_item_file_too() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/content");
    assert_eq!(Content::load_dir(&dir).unwrap(), Content::builtin());
    let empty = tempfile::tempdir().unwrap();
    for f in ["terrain.toml", "objects.toml", "world.toml"] {
        std::fs::copy(dir.join(f), empty.path().join(f)).unwrap();
    }
    let e = Content::load_dir(empty.path()).unwrap_err();
    assert_eq!(e.file, "items.toml", "{e}");
}

#[test]
fn world_only_content_needs_no_items_and_no_pile() {
    let o = "[[object]]\nid = 3\nname = \"rock\"\nradius = 64\n";
    let c = Content::from_strs(BUILTIN.terrain, o, BUILTIN.world).unwrap();
    assert!(c.items.is_empty() && c.pile_kind().is_none() && c.starter_kit.is_empty());
}

#[test]
fn item_kinds_are_validated() {
    fails(
        edited_items("tags = [\"seed\"]", "tags = [\"seedz\"]"),
        "items.toml",
        "(seeds).tags",
        "unknown tag `seedz`",
    );
    fails(edited_items("tags = [\"seed\"]", "tags = [\"seed\", \"seed\"]"), "items.toml", "tags", "twice");
    fails(edited_items("capacity = 8\n", ""), "items.toml", "(bag).capacity", "required for `container`");
    fails(edited_items("capacity = 8", "capacity = 0"), "items.toml", "(bag).capacity", "outside 1..=256");
    fails(edited_items("capacity = 8", "capacity = 257"), "items.toml", "(bag).capacity", "outside 1..=256");
    let stacked_bag = "max_stack = 1\ntags = [\"container\"]";
    fails(
        edited_items(stacked_bag, "max_stack = 2\ntags = [\"container\"]"),
        "items.toml",
        "(bag).max_stack",
        "not stackable",
    );
    let seeds = "name = \"seeds\"\nmax_stack = 100\ntags = [\"seed\"]";
    fails(
        edited_items(seeds, &format!("{seeds}\ncapacity = 4")),
        "items.toml",
        "(seeds).capacity",
        "only `container`",
    );
    fails(
        edited_items("max_stack = 100", "max_stack = 0"),
        "items.toml",
        "(seeds).max_stack",
        "outside 1..=65535",
    );
    fails(
        edited_items("max_stack = 100", "max_stack = 65536"),
        "items.toml",
        "(seeds).max_stack",
        "outside 1..=65535",
    );
    fails(edited_items("id = 2\n", "id = 1\n"), "items.toml", "(stone).id", "duplicate id 1");
    fails(edited_items("id = 1\n", "id = 0\n"), "items.toml", "(branch).id", "outside 1..=65535");
    fails(edited_items("name = \"stone\"", "name = \"branch\""), "items.toml", "name", "duplicate");
    fails(edited_items("food = 5\n", ""), "items.toml", "(berries).food", "required for `food`");
    fails(edited_items("food = 5", "food = 0"), "items.toml", "(berries).food", "at least 1");
    let club = "tags = [\"weapon\"]\nweapon";
    fails(edited_items(club, "tags = [\"tool\"]\nweapon"), "items.toml", "(club).weapon", "only `weapon`");
    fails(edited_items("damage = 12", "damage = 0"), "items.toml", "(club).weapon.damage", "outside");
    fails(
        edited_items("places = \"box\"", "places = \"crate\""),
        "items.toml",
        "(box).places",
        "unknown object kind `crate`",
    );
    fails(
        edited_items("tags = [\"placeable\"]\n", "tags = []\n"),
        "items.toml",
        "(box).places",
        "only `placeable`",
    );
    fails(edited_items("id = 1\n", "id = 1\ncolour = 3\n"), "items.toml", "line", "unknown field");
}

#[test]
fn item_rules_and_the_starter_kit_are_validated() {
    fails(edited_items("max_depth = 3", "max_depth = 0"), "items.toml", "rules.max_depth", "outside 1..=8");
    fails(edited_items("max_depth = 3", "max_depth = 9"), "items.toml", "rules.max_depth", "outside 1..=8");
    fails(
        edited_items("inventory_slots = 24", "inventory_slots = 0"),
        "items.toml",
        "rules.inventory_slots",
        "outside 1..=256",
    );
    fails(
        edited_items("inventory_slots = 24", "inventory_slots = 2"),
        "items.toml",
        "starter.kit",
        "do not fit 2",
    );
    let no_rules = BUILTIN.items.replacen("[rules]", "", 1).replacen("max_depth = 3\n", "", 1).replacen(
        "inventory_slots = 24\n",
        "",
        1,
    );
    fails(with_items(&no_rules), "items.toml", "rules", "required");
    fails(
        edited_items("{ item = \"bag\", count = 1 }", "{ item = \"sack\", count = 1 }"),
        "items.toml",
        "starter.kit[0].item",
        "`sack`",
    );
    fails(
        edited_items("{ item = \"bag\", count = 1 }", "{ item = \"bag\", count = 2 }"),
        "items.toml",
        "starter.kit[0].count",
        "outside 1..=1",
    );
    fails(
        edited_items("{ item = \"berries\", count = 5 }", "{ item = \"berries\", count = 0 }"),
        "items.toml",
        "starter.kit[2].count",
        "outside",
    );
}

#[test]
fn object_item_fields_are_validated() {
    let edit = |from: &str, to: &str| {
        assert!(BUILTIN.objects.contains(from), "{from}");
        with_objects(&BUILTIN.objects.replacen(from, to, 1))
    };
    fails(
        edit("becomes = \"box\"", "becomes = \"crate\""),
        "objects.toml",
        "(box).becomes",
        "unknown item kind `crate`",
    );
    fails(edit("capacity = 16", "capacity = 0"), "objects.toml", "(box).capacity", "outside 1..=256");
    fails(edit("capacity = 16", "capacity = 300"), "objects.toml", "(box).capacity", "outside 1..=256");
    fails(edit("role = \"pile\"\n", ""), "objects.toml", "object", "role = \"pile\"");
    fails(
        edit("capacity = 16\nbecomes = \"box\"", "capacity = 16\nrole = \"pile\""),
        "objects.toml",
        "(pile).role",
        "already the pile",
    );
    fails(edit("capacity = 1\nrole", "role"), "objects.toml", "(pile).capacity", "required");
    let pile = "capacity = 1\nrole = \"pile\"";
    fails(
        edit(pile, &format!("{pile}\nbecomes = \"box\"")),
        "objects.toml",
        "(pile).becomes",
        "never becomes",
    );
    fails(edit(pile, "capacity = 1\nrole = \"heap\""), "objects.toml", "line", "unknown variant");
    fails(edit("id = 5\n", "id = 70000\n"), "objects.toml", "(pile).id", "above 65535");
}
