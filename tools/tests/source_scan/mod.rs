//! Reading Rust source as text for the tidy tests: comments and literals blanked, tokens, and
//! each file's imports (`use` trees and `crate::`/`super::`/`self::` paths in code) with the
//! module they are written in; `#[cfg(test)]` inline modules skipped.

/// Replaces comments, string and char literals with spaces (newlines kept), so no `use` or path
/// inside them is seen.
fn strip(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank =
        |out: &mut String, s: &[char]| s.iter().for_each(|&ch| out.push(if ch == '\n' { '\n' } else { ' ' }));
    while i < c.len() {
        let end = literal_end(&c, i);
        if end > i {
            blank(&mut out, &c[i..end]);
            i = end;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// End (exclusive) of the comment or literal starting at `i`, or `i` if none starts there.
fn literal_end(c: &[char], i: usize) -> usize {
    let at = |k: usize| c.get(k).copied().unwrap_or('\0');
    let ident_before = i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_');
    match c[i] {
        '/' if at(i + 1) == '/' => (i..c.len()).find(|&k| c[k] == '\n').unwrap_or(c.len()),
        '/' if at(i + 1) == '*' => block_comment_end(c, i),
        '"' => quoted_end(c, i, '"'),
        '\'' if at(i + 1) == '\\' => quoted_end(c, i, '\''),
        '\'' if at(i + 2) == '\'' => i + 3,
        'r' if !ident_before
            && (at(i + 1) == '"' || (at(i + 1) == '#' && matches!(at(i + 2), '"' | '#'))) =>
        {
            raw_string_end(c, i + 1)
        }
        'b' | 'c' if !ident_before && at(i + 1) == 'r' && matches!(at(i + 2), '"' | '#') => {
            raw_string_end(c, i + 2)
        }
        _ => i,
    }
}

fn block_comment_end(c: &[char], start: usize) -> usize {
    let (mut depth, mut k) = (0usize, start);
    while k + 1 < c.len() {
        if c[k] == '/' && c[k + 1] == '*' {
            depth += 1;
            k += 2;
        } else if c[k] == '*' && c[k + 1] == '/' {
            depth -= 1;
            k += 2;
            if depth == 0 {
                return k;
            }
        } else {
            k += 1;
        }
    }
    c.len()
}

fn quoted_end(c: &[char], start: usize, quote: char) -> usize {
    let mut k = start + 1;
    while k < c.len() {
        match c[k] {
            '\\' => k += 2,
            ch if ch == quote => return k + 1,
            _ => k += 1,
        }
    }
    c.len()
}

/// `hashes_at` points just after the `r` of `r#*"…"#*`.
fn raw_string_end(c: &[char], hashes_at: usize) -> usize {
    let hashes = c[hashes_at..].iter().take_while(|&&ch| ch == '#').count();
    let mut k = hashes_at + hashes + 1;
    while k < c.len() {
        if c[k] == '"' && c[k + 1..].iter().take(hashes).filter(|&&ch| ch == '#').count() == hashes {
            return k + 1 + hashes;
        }
        k += 1;
    }
    c.len()
}

/// Identifiers (and numbers) as one token, `::` as one token, any other character alone.
fn tokenize(clean: &str) -> Vec<String> {
    let c: Vec<char> = clean.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch.is_alphanumeric() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            toks.push(c[start..i].iter().collect());
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            toks.push("::".to_owned());
            i += 2;
        } else {
            toks.push(ch.to_string());
            i += 1;
        }
    }
    toks
}

fn is_ident(t: &str) -> bool {
    t.chars().next().is_some_and(|ch| ch.is_alphabetic() || ch == '_')
}

/// One name brought in by a `use` (or a qualified path in code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// The module (inside the file) the import is written in, as an absolute module path.
    pub scope: Vec<String>,
    /// The path as written, `self` of a group resolved (`use a::{self}` is `a`).
    pub path: Vec<String>,
    /// The name it binds (`as` alias, or the last segment); `*` for a glob.
    pub bound: String,
    /// Written at the file module's top level.
    pub top_level: bool,
    /// A `pub use` / `pub(…) use`.
    pub public: bool,
}

impl Import {
    /// A module's `pub use` of something from its own submodules, at its top level: the
    /// module's public face (`pub use sorted::SortedGrid`), not a dependency of its code.
    pub fn is_facade(&self, target: &[String]) -> bool {
        self.public && self.top_level && target.len() > self.scope.len() && target.starts_with(&self.scope)
    }
}

/// What a file says about itself and its dependencies.
#[derive(Debug, Default)]
pub struct FileFacts {
    pub imports: Vec<Import>,
    /// Inline modules (`mod x { … }`), as absolute module paths.
    pub inline_mods: Vec<Vec<String>>,
}

/// A brace-delimited block the parser is in.
struct Frame {
    /// `Some(name)` for an inline module.
    module: Option<String>,
    /// Inside a `#[cfg(test)]` module: imports are skipped.
    test_only: bool,
}

/// Parses a file whose module path is `module`.
pub fn parse_file(src: &str, module: &[String]) -> FileFacts {
    let toks = tokenize(&strip(src));
    let mut facts = FileFacts::default();
    let mut frames: Vec<Frame> = Vec::new();
    let mut attrs = String::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].as_str();
        let skipped = frames.iter().any(|f| f.test_only);
        let scope = scope_of(module, &frames);
        match t {
            "#" => {
                i = attribute_end(&toks, i, &mut attrs);
                continue;
            }
            "{" => {
                let is_mod = i >= 2 && toks[i - 2] == "mod" && is_ident(&toks[i - 1]);
                let module = is_mod.then(|| toks[i - 1].clone());
                let test_only = is_mod && (attrs.contains("cfg(test)") || toks[i - 1] == "tests");
                if let Some(name) = &module {
                    facts.inline_mods.push([scope.clone(), vec![name.clone()]].concat());
                }
                frames.push(Frame { module, test_only });
                attrs.clear();
            }
            "}" => {
                frames.pop();
                attrs.clear();
            }
            ";" => attrs.clear(),
            "use" if toks.get(i + 1).is_some_and(|n| n != "<") => {
                let mut found = Vec::new();
                let public = is_public(&toks, i);
                i = parse_use_tree(&toks, i + 1, &[], &mut found);
                if !skipped {
                    let top_level = frames.is_empty();
                    facts.imports.extend(found.into_iter().map(|(path, bound)| Import {
                        scope: scope.clone(),
                        path,
                        bound,
                        top_level,
                        public,
                    }));
                }
                continue;
            }
            "crate" | "super" | "self" if toks.get(i + 1).is_some_and(|n| n == "::") => {
                let before = if i > 0 { toks[i - 1].as_str() } else { "" };
                let (path, end) = qualified_path(&toks, i);
                if !skipped && before != "::" && before != "in" {
                    let bound = path.last().cloned().unwrap_or_default();
                    facts.imports.push(Import { scope, path, bound, top_level: false, public: false });
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    facts
}

/// The module path the parser is in: the file's, plus the inline modules around it.
fn scope_of(module: &[String], frames: &[Frame]) -> Vec<String> {
    let mut scope = module.to_vec();
    scope.extend(frames.iter().filter_map(|f| f.module.clone()));
    scope
}

/// Whether the `use` at `i` is preceded by `pub` or `pub(…)`.
fn is_public(toks: &[String], i: usize) -> bool {
    let before = |k: usize| if k > 0 { toks[k - 1].as_str() } else { "" };
    match before(i) {
        "pub" => true,
        ")" => (0..i).rev().find(|&k| toks[k] == "(").is_some_and(|open| before(open) == "pub"),
        _ => false,
    }
}

/// Skips `#[…]` or `#![…]` starting at `i`, appending its text to `attrs`; returns the index after.
fn attribute_end(toks: &[String], i: usize, attrs: &mut String) -> usize {
    let mut k = i + 1;
    if toks.get(k).is_some_and(|t| t == "!") {
        k += 1;
    }
    if toks.get(k).is_none_or(|t| t != "[") {
        return i + 1;
    }
    let mut depth = 0;
    while k < toks.len() {
        match toks[k].as_str() {
            "[" => depth += 1,
            "]" => {
                depth -= 1;
                if depth == 0 {
                    return k + 1;
                }
            }
            t => attrs.push_str(t),
        }
        k += 1;
    }
    k
}

/// Reads `a::b::c` starting at `i`; returns the segments and the index after them.
fn qualified_path(toks: &[String], mut i: usize) -> (Vec<String>, usize) {
    let mut path = Vec::new();
    while i < toks.len() && is_ident(&toks[i]) {
        path.push(toks[i].clone());
        if toks.get(i + 1).is_some_and(|t| t == "::") && toks.get(i + 2).is_some_and(|t| is_ident(t)) {
            i += 2;
        } else {
            i += 1;
            break;
        }
    }
    (path, i)
}

/// Parses one use tree at `i` (after `use`, or inside a group) under `prefix`, pushing
/// `(path, bound name)` pairs; returns the index after the tree (after the `;` at the top).
fn parse_use_tree(
    toks: &[String],
    mut i: usize,
    prefix: &[String],
    out: &mut Vec<(Vec<String>, String)>,
) -> usize {
    let mut path = prefix.to_vec();
    if toks.get(i).is_some_and(|t| t == "::") {
        i += 1; // `use ::extern_crate::…`
    }
    while let Some(t) = toks.get(i) {
        match t.as_str() {
            "{" => {
                i += 1;
                while toks.get(i).is_some_and(|t| t != "}") {
                    if toks[i] == "," {
                        i += 1;
                        continue;
                    }
                    i = parse_use_tree(toks, i, &path, out);
                }
                return finish_tree(toks, i + 1);
            }
            "*" => {
                out.push((path, "*".to_owned()));
                return finish_tree(toks, i + 1);
            }
            "::" => i += 1,
            t if is_ident(t) && t != "as" => {
                path.push(t.to_owned());
                i += 1;
            }
            _ => break,
        }
    }
    let mut bound = path.last().cloned().unwrap_or_default();
    if toks.get(i).is_some_and(|t| t == "as") {
        bound = toks.get(i + 1).cloned().unwrap_or_default();
        i += 2;
    }
    if path.last().is_some_and(|s| s == "self") && path.len() > prefix.len().max(1) {
        path.pop();
        if bound == "self" {
            bound = path.last().cloned().unwrap_or_default();
        }
    }
    out.push((path, bound));
    finish_tree(toks, i)
}

/// Steps over the `;` ending a `use`, if the tree ends there.
fn finish_tree(toks: &[String], i: usize) -> usize {
    if toks.get(i).is_some_and(|t| t == ";") { i + 1 } else { i }
}

// The parser on small inputs.

fn paths(src: &str) -> Vec<String> {
    parse_file(src, &[]).imports.iter().map(|i| i.path.join("::")).collect()
}

#[test]
fn strip_hides_comments_strings_and_chars_but_keeps_lifetimes() {
    let src = "a /* use crate::x; /* nested */ */ b // use crate::y\n\"use crate::z\" r#\"use \"crate\"::w\"# 'c' '\\'' &'a T";
    let toks = tokenize(&strip(src));
    assert_eq!(toks, ["a", "b", "&", "'", "a", "T"]);
    assert_eq!(strip("x\n/* a\nb */y").lines().count(), 3, "newlines kept");
}

#[test]
fn grouped_multi_line_and_visibility_forms_are_read() {
    let src = "pub(crate) use crate::{\n    a::X,\n    b::{self, Y as Z, c::*},\n};\npub use self::d::W;\nuse super::e;";
    assert_eq!(
        paths(src),
        ["crate::a::X", "crate::b", "crate::b::Y", "crate::b::c", "self::d::W", "super::e"]
    );
    let imports = parse_file(src, &[]).imports;
    assert_eq!(imports[2].bound, "Z");
    assert_eq!(imports[3].bound, "*");
    assert!(imports.iter().all(|i| i.top_level));
}

#[test]
fn qualified_paths_in_code_are_read_and_test_modules_ignored() {
    let src = "fn f() { crate::a::g(); let s = \"crate::b::h\"; }\n\
               pub(in crate::c) struct S;\n\
               #[cfg(test)]\nmod tests { use crate::d::X; fn t() { crate::e::f(); } }\n\
               mod inner { use super::super::x; }";
    assert_eq!(paths(src), ["crate::a::g", "super::super::x"]);
    let facts = parse_file(src, &["m".to_owned()]);
    assert_eq!(
        facts.inline_mods,
        [vec!["m".to_owned(), "tests".to_owned()], vec!["m".to_owned(), "inner".to_owned()]]
    );
    assert_eq!(facts.imports[1].scope, ["m", "inner"]);
}
