//! Tidy tests: no import cycle between the modules (files) of a crate, every file opens with `//!`.
//!
//! In the spirit of rust-analyzer's tidy tests, the sources are read as text. A crate's module
//! tree comes from its files (`foo.rs`, `foo/mod.rs`; each `src/bin/x.rs` is a root of its own).
//! Every `use` (grouped, multi-line, `pub use` and `pub(crate) use` included) rooted at `crate::`,
//! `super::`, `self::` or a child module, and every `crate::`/`super::`/`self::` path in code, is
//! resolved to the file of the module it names; two files reaching each other fail the test,
//! printed with the names that tie each step. Parent to child counts like any other edge, with
//! one exception: a module's top-level `pub use` of its own submodules' items is its public face
//! (`pub use sorted::SortedGrid` in `grid/mod.rs`, the crate root's re-exports), not a dependency
//! of its code. Paths go to the module they name, re-exports are not followed: `crate::X` is the
//! root's. Imports in `#[cfg(test)]` inline modules (and `mod tests { … }`) are ignored.

mod source_scan;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

use source_scan::{FileFacts, parse_file};

/// The workspace's crates, as directories next to `tools/`.
const CRATES: &[&str] = &["engine", "net", "store", "game", "tools", "bench"];

/// The files of one crate root and what they say.
struct Unit {
    label: String,
    /// File name (relative, for messages) and facts, by index.
    files: Vec<(String, FileFacts)>,
    /// Module path → file index, for file modules and inline modules (their containing file).
    modules: HashMap<Vec<String>, usize>,
}

/// The module path of a file relative to its unit's root directory (`a/b.rs`, `a/mod.rs`).
fn module_path(rel: &str, root_file: &str) -> Vec<String> {
    if rel == root_file {
        return Vec::new();
    }
    let mut parts: Vec<String> = rel.trim_end_matches(".rs").split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

impl Unit {
    /// Builds a unit from `(path relative to the root directory, source)`; `root_file` is the
    /// crate root's relative path (`lib.rs`, `main.rs`).
    fn new(label: &str, root_file: &str, sources: &[(String, String)]) -> Unit {
        let mut unit = Unit { label: label.to_owned(), files: Vec::new(), modules: HashMap::new() };
        for (rel, src) in sources {
            let module = module_path(rel, root_file);
            let facts = parse_file(src, &module);
            let index = unit.files.len();
            for inline in &facts.inline_mods {
                unit.modules.insert(inline.clone(), index);
            }
            unit.modules.insert(module, index);
            unit.files.push((rel.clone(), facts));
        }
        unit
    }

    /// The module a path starts from and the segments after it, or `None` for an extern path.
    fn base<'p>(&self, scope: &[String], path: &'p [String]) -> Option<(Vec<String>, &'p [String])> {
        let mut base = scope.to_vec();
        let mut rest = path;
        match rest.first().map(String::as_str) {
            Some("crate") => Some((Vec::new(), &rest[1..])),
            Some("self") => Some((base, &rest[1..])),
            Some("super") => {
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
                Some((base, rest))
            }
            Some(first) if self.modules.contains_key(&[scope, &[first.to_owned()]].concat()) => {
                Some((base, rest))
            }
            _ => None,
        }
    }

    /// Resolves a path written in `scope` to `(file index, module path, item name)`: the module
    /// it names, `*` for the module itself; `None` if it leaves the crate.
    fn resolve(&self, scope: &[String], path: &[String]) -> Option<(usize, Vec<String>, String)> {
        let (mut module, rest) = self.base(scope, path)?;
        let mut item = String::from("*");
        for seg in rest {
            let deeper = [module.as_slice(), std::slice::from_ref(seg)].concat();
            if self.modules.contains_key(&deeper) {
                module = deeper;
            } else {
                item = seg.clone();
                break;
            }
        }
        Some((self.modules[&module], module, item))
    }

    /// Edges between different files, with the names behind each.
    fn edges(&self) -> BTreeMap<(usize, usize), BTreeSet<String>> {
        let mut edges: BTreeMap<(usize, usize), BTreeSet<String>> = BTreeMap::new();
        for (from, (_, facts)) in self.files.iter().enumerate() {
            for imp in &facts.imports {
                let Some((to, module, item)) = self.resolve(&imp.scope, &imp.path) else { continue };
                if to != from && !imp.is_facade(&module) {
                    let name = if item == "*" { imp.path.join("::") } else { item };
                    edges.entry((from, to)).or_default().insert(name);
                }
            }
        }
        edges
    }

    /// Every cycle, one shortest cycle through each file of each strongly connected component.
    fn cycles(&self) -> Vec<String> {
        let edges = self.edges();
        let mut next: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &(a, b) in edges.keys() {
            next.entry(a).or_default().push(b);
        }
        let mut seen: BTreeSet<Vec<usize>> = BTreeSet::new();
        let mut reports = Vec::new();
        for start in 0..self.files.len() {
            let Some(cycle) = shortest_cycle(&next, start) else { continue };
            let min = cycle.iter().enumerate().min_by_key(|&(_, v)| *v).map_or(0, |(k, _)| k);
            let canonical: Vec<usize> = cycle[min..].iter().chain(&cycle[..min]).copied().collect();
            if seen.insert(canonical.clone()) {
                reports.push(self.describe(&canonical, &edges));
            }
        }
        reports
    }

    fn describe(&self, cycle: &[usize], edges: &BTreeMap<(usize, usize), BTreeSet<String>>) -> String {
        let name = |f: usize| self.files[f].0.as_str();
        let mut ring: Vec<usize> = cycle.to_vec();
        ring.push(cycle[0]);
        let chain: Vec<&str> = ring.iter().map(|&f| name(f)).collect();
        let mut text = format!("{}: {}", self.label, chain.join(" -> "));
        for pair in ring.windows(2) {
            let names: Vec<&str> = edges[&(pair[0], pair[1])].iter().map(String::as_str).collect();
            text.push_str(&format!("\n    {} -> {}: {}", name(pair[0]), name(pair[1]), names.join(", ")));
        }
        text
    }
}

/// The shortest cycle through `start` (breadth first), as the files in order from `start`.
fn shortest_cycle(next: &BTreeMap<usize, Vec<usize>>, start: usize) -> Option<Vec<usize>> {
    let mut parent: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &to in next.get(&node).into_iter().flatten() {
            if to == start {
                let mut path = vec![node];
                while let Some(&p) = parent.get(path.last()?) {
                    path.push(p);
                }
                path.reverse();
                return Some(path);
            }
            if to != start && !parent.contains_key(&to) {
                parent.insert(to, node);
                queue.push_back(to);
            }
        }
    }
    None
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tools/ has a parent").to_path_buf()
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found.sort();
    found
}

fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base).expect("under base").to_string_lossy().replace('\\', "/")
}

/// The units of one crate: the library (everything under `src/` but `bin/` and `main.rs`), the
/// binary `main.rs`, and each `src/bin/x.rs` or `src/bin/x/main.rs` with its modules.
fn crate_units(name: &str) -> Vec<Unit> {
    let src = workspace().join(name).join("src");
    let mut groups: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for path in rust_files(&src) {
        let rel = relative(&path, &src);
        let text = fs::read_to_string(&path).expect("readable source");
        let (label, root, rel) = match rel.strip_prefix("bin/") {
            Some(bin) => match bin.split_once('/') {
                Some((dir, inner)) => (format!("{name}/bin/{dir}"), "main.rs".to_owned(), inner.to_owned()),
                None => (format!("{name}/bin/{bin}"), bin.to_owned(), bin.to_owned()),
            },
            None if rel == "main.rs" => (format!("{name}/main"), rel.clone(), rel),
            None => (name.to_owned(), "lib.rs".to_owned(), rel),
        };
        groups.entry((label, root)).or_default().push((rel, text));
    }
    groups.iter().map(|((label, root), sources)| Unit::new(label, root, sources)).collect()
}

#[test]
fn no_import_cycles_between_modules() {
    let cycles: Vec<String> = CRATES.iter().flat_map(|c| crate_units(c)).flat_map(|u| u.cycles()).collect();
    assert!(cycles.is_empty(), "import cycles between modules:\n{}", cycles.join("\n"));
}

#[test]
fn every_file_opens_with_a_module_doc() {
    let root = workspace();
    let mut offenders = Vec::new();
    for krate in CRATES {
        for dir in ["src", "tests", "benches"] {
            for path in rust_files(&root.join(krate).join(dir)) {
                let text = fs::read_to_string(&path).expect("readable source");
                if !text.starts_with("//!") {
                    offenders.push(relative(&path, &root));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "files not opening with a `//!` line:\n{}", offenders.join("\n"));
}

// The cycle finder on small inputs.

fn unit(files: &[(&str, &str)]) -> Unit {
    let sources: Vec<(String, String)> = files.iter().map(|(p, s)| (p.to_string(), s.to_string())).collect();
    Unit::new("demo", "lib.rs", &sources)
}

#[test]
fn a_two_file_cycle_is_reported_with_its_names() {
    let u = unit(&[
        ("lib.rs", "//! r\nmod a;\nmod b;\n"),
        ("a.rs", "//! a\nuse crate::b::B;\npub struct A;\n"),
        ("b.rs", "//! b\npub struct B;\nfn f() -> crate::a::A { todo!() }\n"),
    ]);
    assert_eq!(u.cycles(), ["demo: a.rs -> b.rs -> a.rs\n    a.rs -> b.rs: B\n    b.rs -> a.rs: A"]);
}

#[test]
fn parent_and_child_importing_each_other_is_a_cycle_but_own_items_are_not() {
    let u = unit(&[
        ("lib.rs", "//! r\nmod sim;\n"),
        ("sim/mod.rs", "//! s\nmod x;\nuse x::X;\npub fn helper(_: X) {}\nuse self::helper as h;\n"),
        ("sim/x.rs", "//! x\npub struct X;\nfn g() { super::helper() }\n"),
    ]);
    assert_eq!(
        u.cycles(),
        [
            "demo: sim/mod.rs -> sim/x.rs -> sim/mod.rs\n    sim/mod.rs -> sim/x.rs: X\n    sim/x.rs -> sim/mod.rs: helper"
        ]
    );
}

#[test]
fn a_facade_re_export_is_no_edge_but_a_private_import_of_a_child_is() {
    let facade = unit(&[
        ("lib.rs", "//! r\nmod a;\npub use a::A;\npub(crate) use self::a::helper;\n"),
        ("a.rs", "//! a\nuse crate::Root;\npub struct A;\n"),
    ]);
    assert!(facade.cycles().is_empty(), "{:?}", facade.cycles());
    let private = unit(&[
        ("lib.rs", "//! r\nmod a;\nuse a::A;\npub struct Root(A);\n"),
        ("a.rs", "//! a\nuse crate::Root;\npub struct A;\n"),
    ]);
    assert_eq!(
        private.cycles(),
        ["demo: lib.rs -> a.rs -> lib.rs\n    lib.rs -> a.rs: A\n    a.rs -> lib.rs: Root"]
    );
}
