//! Recipe content: the shipped recipes load with what the survival loop needs, the directory
//! loader reads `recipes.toml`, and every recipe validation error names its file and field.

use game::Content;
use game::content::{ContentTexts, ExperienceKind, ItemTag, ToolNeed};
use game::craft::Weights;
use std::path::Path;

const BUILTIN: ContentTexts<'static> = ContentTexts::BUILTIN;

/// One valid recipe, to be edited by the tests.
const CLUB: &str = r#"
[[recipe]]
id = 7
name = "club"
result = { item = "club", count = 1 }
ingredients = { branch = 3 }
stamina = 6
ticks = 40
experience = { kind = "crafting", amount = 10 }
"#;

fn with_recipes(recipes: &str) -> Result<Content, game::ContentError> {
    Content::from_texts(ContentTexts { recipes, ..BUILTIN })
}

/// The test recipe with `from` replaced by `to` (which must occur).
fn club(from: &str, to: &str) -> Result<Content, game::ContentError> {
    assert!(CLUB.contains(from), "{from}");
    with_recipes(&CLUB.replacen(from, to, 1))
}

/// Asserts the error is in recipes.toml and its field mentions `field` and its text `why`.
fn fails(r: Result<Content, game::ContentError>, field: &str, why: &str) {
    let e = r.expect_err("content should be refused");
    assert_eq!(e.file, "recipes.toml", "{e}");
    assert!(e.field.contains(field), "field of `{e}` should mention `{field}`");
    assert!(e.reason.contains(why), "reason of `{e}` should mention `{why}`");
}

fn id(c: &Content, item: &str) -> u32 {
    c.item_named(item).unwrap().id
}

#[test]
fn the_shipped_recipes_load() {
    let c = Content::builtin();
    assert_eq!(c.recipes.len(), 4);
    let names: Vec<&str> = c.recipes.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["stone axe", "club", "box", "split log"]);
    let axe = c.recipe(1).unwrap();
    assert_eq!((axe.result.kind, axe.result.count), (id(&c, "stone axe"), 1));
    let ingredients: Vec<(u32, u32)> = axe.ingredients.iter().map(|s| (s.kind, s.count)).collect();
    assert_eq!(ingredients, [(id(&c, "branch"), 2), (id(&c, "stone"), 3)], "by kind id ascending");
    assert!(axe.tools.is_empty() && axe.station.is_none());
    assert_eq!((axe.experience.kind, axe.experience.amount), (ExperienceKind::Crafting, 20));
    assert_eq!(axe.weights, Weights::DEFAULT);
    let the_box = c.recipe_named("box").unwrap();
    assert_eq!(the_box.tools, [ToolNeed::Tag(ItemTag::Axe)]);
    assert_eq!(c.recipe(the_box.id), Some(the_box));
    let split = c.recipe_named("split log").unwrap();
    assert_eq!((split.result.kind, split.result.count), (id(&c, "branch"), 4));
    assert_eq!(split.weights, Weights { ingredients: 1, tools: 1 });
    // Costs scale with the repetitions: 20 stamina and 100 ticks (5 s) per box.
    assert_eq!((the_box.stamina_for(3), the_box.ticks_for(3), the_box.experience_for(3)), (60, 300, 90));
    assert!(c.recipe(0).is_none() && c.recipe(5).is_none() && c.recipe(u16::MAX).is_none());
    // Only an axe-tagged item serves the box's tool.
    let stone_axe = c.item_named("stone axe").unwrap();
    assert!(the_box.tools[0].met_by(stone_axe) && !the_box.tools[0].met_by(c.item_named("club").unwrap()));
}

#[test]
fn the_directory_loader_needs_the_recipe_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/content");
    assert_eq!(Content::load_dir(&dir).unwrap(), Content::builtin());
    let partial = tempfile::tempdir().unwrap();
    for f in ["terrain.toml", "objects.toml", "world.toml", "items.toml"] {
        std::fs::copy(dir.join(f), partial.path().join(f)).unwrap();
    }
    let e = Content::load_dir(partial.path()).unwrap_err();
    assert_eq!((e.file.as_str(), e.field.as_str()), ("recipes.toml", "(file)"), "{e}");
}

#[test]
fn no_recipes_is_valid_content() {
    let c = with_recipes("").unwrap();
    assert!(c.recipes.is_empty() && c.recipe(1).is_none());
    let rock = "[[object]]\nid = 3\nname = \"rock\"\nradius = 64\n";
    let world_only = Content::from_strs(BUILTIN.terrain, rock, BUILTIN.world).unwrap();
    assert!(world_only.recipes.is_empty());
}

#[test]
fn optional_fields_load() {
    let c = club("stamina = 6", "stamina = 6\nstation = \"box\"\ntools = [\"stone axe\"]").unwrap();
    let r = c.recipe(7).unwrap();
    assert_eq!(r.station, Some(c.object("box").unwrap().id));
    assert_eq!(r.tools, [ToolNeed::Kind(id(&c, "stone axe"))]);
    let c = club("stamina = 6", "stamina = 6\nweights = { ingredients = 0, tools = 3 }").unwrap();
    assert_eq!(c.recipe(7).unwrap().weights, Weights { ingredients: 0, tools: 3 });
    // "log" is both a tag and an item kind: the tag wins.
    let c = club("ingredients = { branch = 3 }", "ingredients = { branch = 3 }\ntools = [\"log\"]").unwrap();
    assert_eq!(c.recipe(7).unwrap().tools, [ToolNeed::Tag(ItemTag::Log)]);
}

#[test]
fn ids_names_and_the_result_are_validated() {
    fails(club("id = 7", "id = 0"), "(club).id", "outside 1..=65535");
    fails(club("id = 7", "id = 65536"), "(club).id", "outside 1..=65535");
    let twice = format!("{CLUB}{}", CLUB.replace("name = \"club\"", "name = \"other club\""));
    fails(with_recipes(&twice), "recipe[1] (other club).id", "duplicate id 7");
    let twice = format!("{CLUB}{}", CLUB.replace("id = 7", "id = 8"));
    fails(with_recipes(&twice), "recipe[1] (club).name", "duplicate");
    fails(club("name = \"club\"", "name = \"\""), "name", "empty");
    fails(club("item = \"club\"", "item = \"sword\""), "(club).result.item", "unknown item kind `sword`");
    fails(club("count = 1", "count = 0"), "result.count", "at least 1");
    fails(club("count = 1", "count = 2"), "result.count", "club is not stackable");
    let branches = CLUB.replace("item = \"club\", count = 1", "item = \"stone\", count = 51");
    fails(with_recipes(&branches), "result.count", "above stone's max_stack 50");
}

#[test]
fn ingredients_and_tools_are_validated() {
    let ingredients = "ingredients = { branch = 3 }";
    fails(club(ingredients, "ingredients = { branch = 0 }"), "ingredients.branch", "at least 1");
    fails(club(ingredients, "ingredients = { twig = 3 }"), "ingredients.twig", "unknown item kind `twig`");
    fails(club(ingredients, "ingredients = {}"), "(club).ingredients", "at least one ingredient");
    fails(club(ingredients, ""), "(club).ingredients", "at least one ingredient");
    fails(
        club(ingredients, "ingredients = { club = 1, branch = 1 }"),
        "ingredients.club",
        "its own ingredient",
    );
    let lots = "ingredients = { branch = 40000, stone = 30000 }";
    fails(club(ingredients, lots), "(club).ingredients", "70000 items in all, at most 65535");
    let nine: Vec<String> = ["branch", "stone", "log", "seeds", "berries", "bag", "box", "stone axe", "x"]
        .iter()
        .map(|n| format!("\"{n}\" = 1"))
        .collect();
    fails(
        club(ingredients, &format!("ingredients = {{ {} }}", nine.join(", "))),
        "(club).ingredients",
        "9 kinds, at most 8",
    );
    let tools = |t: &str| club(ingredients, &format!("{ingredients}\ntools = {t}"));
    fails(tools("[\"hammer\"]"), "(club).tools[0]", "`hammer` is neither a tag");
    fails(tools("[\"axe\", \"axe\"]"), "tools[1]", "listed twice");
    fails(tools("[\"material\"]"), "tools[0]", "ingredient `branch` would serve as this tool");
    fails(tools("[\"branch\"]"), "tools[0]", "ingredient `branch` would serve");
    fails(tools("[\"axe\", \"tool\", \"weapon\", \"food\", \"seed\"]"), "(club).tools", "5 tools, at most 4");
}

#[test]
fn costs_experience_station_and_weights_are_validated() {
    fails(club("ticks = 40", "ticks = 0"), "(club).ticks", "outside 1..=12000");
    fails(club("ticks = 40", "ticks = 12001"), "ticks", "outside 1..=12000");
    fails(club("stamina = 6", "stamina = 10001"), "(club).stamina", "above 10000");
    fails(
        club("kind = \"crafting\"", "kind = \"cooking\""),
        "(club).experience.kind",
        "unknown experience kind `cooking`",
    );
    fails(club("amount = 10", "amount = 1000001"), "experience.amount", "above 1000000");
    fails(
        club("stamina = 6", "stamina = 6\nstation = \"forge\""),
        "(club).station",
        "unknown object kind `forge`",
    );
    let w = |w: &str| club("stamina = 6", &format!("stamina = 6\nweights = {w}"));
    fails(w("{ ingredients = 0, tools = 0 }"), "(club).weights", "at least one weight");
    fails(w("{ ingredients = 1001, tools = 1 }"), "weights.ingredients", "above 1000");
    fails(w("{ ingredients = 1, tools = 1001 }"), "weights.tools", "above 1000");
}

#[test]
fn unknown_fields_and_bad_types_name_the_line() {
    let e = club("ticks = 40", "ticks = 40\nspeed = 3").unwrap_err();
    assert_eq!(e.file, "recipes.toml");
    assert!(e.field.starts_with("line ") && e.reason.contains("speed"), "{e}");
    let e = club("stamina = 6", "stamina = -6").unwrap_err();
    assert!(e.field.starts_with("line "), "{e}");
}
