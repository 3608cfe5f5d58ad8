//! Records the git commit the binaries are built from as `SHARD_GIT_COMMIT` (and
//! `SHARD_VERSION_LINE`, `0.1.0 (abc1234def56)`): the short hash,
//! `-dirty` when the tree had changes, `unknown` outside a git checkout or without git. A build
//! never fails because of git.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for path in watched_files() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let commit = commit();
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    println!("cargo:rustc-env=SHARD_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=SHARD_VERSION_LINE={version} ({commit})");
}

/// The trimmed output of `git args`, `None` when git is missing or fails.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `abc1234def56`, `abc1234def56-dirty` or `unknown`.
fn commit() -> String {
    let Some(hash) = git(&["rev-parse", "--short=12", "HEAD"]).filter(|h| !h.is_empty()) else {
        return "unknown".to_owned();
    };
    let dirty = git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
    if dirty { format!("{hash}-dirty") } else { hash }
}

/// `HEAD`, the ref it points to, `packed-refs` and the index: what changes when a commit is made
/// or checked out. `--git-dir` and `--git-common-dir` find them also in a worktree, where `.git`
/// is a file.
fn watched_files() -> Vec<PathBuf> {
    let (Some(git_dir), Some(common)) =
        (git(&["rev-parse", "--git-dir"]), git(&["rev-parse", "--git-common-dir"]))
    else {
        return Vec::new();
    };
    let (git_dir, common) = (PathBuf::from(git_dir), PathBuf::from(common));
    let mut files = vec![git_dir.join("HEAD"), git_dir.join("index"), common.join("packed-refs")];
    if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
        files.push(common.join(&reference));
    }
    files.into_iter().filter(|f| Path::new(f).exists()).map(absolute).collect()
}

fn absolute(path: PathBuf) -> PathBuf {
    std::fs::canonicalize(&path).unwrap_or(path)
}
