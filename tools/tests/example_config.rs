//! `tools/shard.example.toml` stays in step with the loader: it loads to exactly the defaults,
//! names every key the loader knows, and each commented-out example value is valid.

use std::path::{Path, PathBuf};
use tools::config::ShardConfig;
use tools::config_keys::file_keys;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("shard.example.toml")
}

fn load(path: &Path) -> ShardConfig {
    let args = ["shard".as_ref(), "--config".as_ref(), path.as_os_str()];
    ShardConfig::load(args, |_| None).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `(key, commented_out)` for every line setting a key, `key = …` or `# key = …`.
fn settings(text: &str) -> Vec<(&str, bool)> {
    text.lines()
        .filter_map(|line| {
            let (line, commented) = match line.strip_prefix("# ") {
                Some(rest) => (rest, true),
                None => (line, false),
            };
            let (key, _) = line.split_once(" = ")?;
            let is_key = !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            is_key.then_some((key, commented))
        })
        .collect()
}

#[test]
fn the_example_loads_to_the_defaults() {
    let defaults = ShardConfig::load(["shard"], |_| None).unwrap();
    assert_eq!(load(&example()), defaults);
}

#[test]
fn the_example_names_every_key_once() {
    let text = std::fs::read_to_string(example()).unwrap();
    let keys = file_keys();
    assert!(keys.contains(&"listen") && keys.contains(&"tick_priority"), "{keys:?}");
    let named: Vec<&str> = settings(&text).into_iter().map(|(key, _)| key).collect();
    for key in keys {
        assert_eq!(named.iter().filter(|n| *n == key).count(), 1, "`{key}` once in the example");
    }
    for key in &named {
        assert!(keys.contains(key), "`{key}` is not a key the loader knows ({keys:?})");
    }
}

#[test]
fn each_commented_out_example_is_valid() {
    let text = std::fs::read_to_string(example()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (key, _) in settings(&text).into_iter().filter(|(_, commented)| *commented) {
        let prefix = format!("# {key} = ");
        let enabled = text.replace(&prefix, &format!("{key} = "));
        let path = dir.path().join(format!("{key}.toml"));
        std::fs::write(&path, enabled).unwrap();
        let defaults = ShardConfig::load(["shard"], |_| None).unwrap();
        assert_ne!(load(&path), defaults, "uncommenting `{key}` changes the configuration");
    }
}
