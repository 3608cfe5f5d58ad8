//! What gathering gives, as the shipped content says it (felling, picking, breaking stones,
//! harvesting; seeds planting crops on their soil), and bad gathering, soil and planting
//! entries refused with errors naming the file and the field.

use game::content::{After, ContentTexts};
use game::{Content, ContentError};

/// The shipped content with `from` replaced by `to` in `objects.toml`, and `items_from` by
/// `items_to` in `items.toml`.
fn with(objects: (&str, &str), items: (&str, &str)) -> Result<Content, ContentError> {
    let b = ContentTexts::BUILTIN;
    assert!(b.objects.contains(objects.0) && b.items.contains(items.0), "the edit applies");
    let (o, i) = (b.objects.replacen(objects.0, objects.1, 1), b.items.replacen(items.0, items.1, 1));
    Content::from_texts(ContentTexts { objects: &o, items: &i, ..b })
}

fn objects(from: &str, to: &str) -> Result<Content, ContentError> {
    with((from, to), ("", ""))
}

const TREE: &str = "gather = { tool = \"axe\", ticks = 40, stamina = 10, experience = 8, leaves = \"stump\", \
                    stages = { mature = { log = 3 }, old = { log = 5 } } }";

#[test]
fn the_shipped_tables() {
    let c = Content::builtin();
    let item = |n: &str| c.item_named(n).unwrap().id;
    let object = |n: &str| c.object(n).unwrap().id;
    let yields = |o: &str, stage: u16| {
        let g = c.gather(object(o)).unwrap();
        g.yields_at(stage).iter().map(|y| (y.kind, y.count)).collect::<Vec<_>>()
    };
    let tree = c.gather(object("tree")).unwrap();
    assert_eq!(
        (tree.tool.map(|t| t.name()), tree.ticks, tree.after),
        (Some("axe"), 40, After::Becomes(object("stump")))
    );
    assert_eq!(
        (yields("tree", 0), yields("tree", 1)),
        (vec![], vec![]),
        "saplings and young trees give nothing"
    );
    assert_eq!((yields("tree", 2), yields("tree", 3)), (vec![(item("log"), 3)], vec![(item("log"), 5)]));
    let bush = c.gather(object("bush")).unwrap();
    assert_eq!((bush.tool, bush.after), (None, After::Regrows(0)));
    assert_eq!(yields("bush", 0), vec![]);
    // In item name order.
    assert_eq!(yields("bush", 1), vec![(item("berries"), 3), (item("branch"), 2), (item("seeds"), 2)]);
    let rock = c.gather(object("rock")).unwrap();
    assert_eq!((rock.after, yields("rock", 0)), (After::Stays, vec![(item("stone"), 2)]));
    let crop = c.gather(object("crop")).unwrap();
    assert_eq!((crop.after, crop.spread), (After::Removed, 2));
    assert_eq!(yields("crop", 2), vec![(item("berries"), 6), (item("seeds"), 2)]);
    assert!(c.gather(object("stump")).is_none() && c.gather(object("box")).is_none());
    assert_eq!(c.item_named("seeds").unwrap().plants, Some(object("crop")));
    assert_eq!(c.object("crop").unwrap().soil, ["grass", "dirt", "forest_floor"]);
    // The starter loop: a bush and a rock give what the stone axe needs (2 branches, 3 stones).
    assert!(c.recipe_named("stone axe").is_some());
}

#[test]
fn bad_gather_tables_are_refused_naming_file_and_field() {
    let tree = |to: &str| objects(TREE, to);
    let cases = [
        (tree(&TREE.replace("\"axe\"", "\"saw\"")), "object[0] (tree).gather.tool", "unknown tag `saw`"),
        (tree(&TREE.replace("ticks = 40", "ticks = 0")), "object[0] (tree).gather.ticks", "outside 1..=1200"),
        (
            tree(&TREE.replace("stamina = 10", "stamina = 10, spread = 101")),
            "object[0] (tree).gather.spread",
            "above 100",
        ),
        (
            tree(&TREE.replace("mature =", "ancient =")),
            "object[0] (tree).gather.stages.ancient",
            "no growth stage",
        ),
        (
            tree(&TREE.replace("log = 3", "plank = 3")),
            "object[0] (tree).gather.stages.mature",
            "unknown item kind `plank`",
        ),
        (
            tree(&TREE.replace("log = 5", "log = 21")),
            "object[0] (tree).gather.stages.old.log",
            "max_stack of log",
        ),
        (
            tree(&TREE.replace("mature = { log = 3 }", "mature = { }")),
            "object[0] (tree).gather.stages.mature",
            "must be 1..=8",
        ),
        (
            tree(&TREE.replace("stages =", "items = { log = 1 }, stages =")),
            "object[0] (tree).gather.items",
            "exactly one",
        ),
        (
            tree(&TREE.replace("\"stump\"", "\"shrub\"")),
            "object[0] (tree).gather.leaves",
            "unknown object kind",
        ),
        (tree(&TREE.replace("\"stump\"", "\"box\"")), "object[0] (tree).gather.leaves", "holds items"),
        (
            tree(&TREE.replace("leaves", "removed = true, leaves")),
            "object[0] (tree).gather.leaves",
            "at most one",
        ),
        (
            tree(&TREE.replace("leaves = \"stump\"", "back_to = \"seed\"")),
            "object[0] (tree).gather.back_to",
            "no growth stage",
        ),
        (
            objects("items = { stone = 2 }", "stages = { whole = { stone = 2 } }"),
            "object[2] (rock).gather.stages",
            "only a kind that grows",
        ),
        (
            objects(
                "capacity = 16\n",
                "capacity = 16\ngather = { ticks = 1, stamina = 0, experience = 0, items = { log = 1 } }\n",
            ),
            "object[3] (box).gather",
            "holds items",
        ),
        (
            objects("soil = [\"grass\"", "soil = [\"lava\""),
            "object[6] (crop).soil[0]",
            "unknown or repeated terrain `lava`",
        ),
        (
            objects("\"dirt\", \"forest_floor\"]", "\"grass\"]"),
            "object[6] (crop).soil[1]",
            "repeated terrain `grass`",
        ),
    ];
    for (result, field, why) in cases {
        let e = result.expect_err(field);
        assert_eq!((e.file.as_str(), e.field.as_str()), ("objects.toml", field), "{e}");
        assert!(e.reason.contains(why), "{field}: {e}");
    }
    let e =
        objects("growth = { stages = [\"bare\"", "gather_me = 1\ngrowth = { stages = [\"bare\"").unwrap_err();
    assert!(e.field.starts_with("line ") && e.reason.contains("unknown field `gather_me`"), "{e}");
}

#[test]
fn bad_seeds_are_refused_naming_file_and_field() {
    let cases = [
        (with(("", ""), ("plants = \"crop\"", "")), "required for `seed` kinds"),
        (with(("", ""), ("plants = \"crop\"", "plants = \"rock\"")), "names no soil"),
        (with(("", ""), ("plants = \"crop\"", "plants = \"field\"")), "unknown object kind `field`"),
        (
            with(
                ("capacity = 16\n", "capacity = 16\nsoil = [\"grass\"]\n"),
                ("plants = \"crop\"", "plants = \"box\""),
            ),
            "holds items",
        ),
    ];
    for (result, why) in cases {
        let e = result.expect_err(why);
        assert_eq!((e.file.as_str(), e.field.as_str()), ("items.toml", "item[3] (seeds).plants"), "{e}");
        assert!(e.reason.contains(why), "{e}");
    }
    let e = with(
        ("", ""),
        ("name = \"stone\"\nmax_stack = 50\n", "name = \"stone\"\nmax_stack = 50\nplants = \"crop\"\n"),
    )
    .unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.reason.as_str()),
        ("item[1] (stone).plants", "only `seed` kinds have it")
    );
}
