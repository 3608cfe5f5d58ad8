//! What the binaries were built from: the crate version and the git commit (recorded by
//! `build.rs`; `unknown` outside a git checkout, `-dirty` when the tree had changes).

/// The crate version (`Cargo.toml`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit of the build: a 12-digit short hash, with `-dirty` when the tree had changes,
/// or `unknown`.
pub const COMMIT: &str = env!("BUILD_GIT_COMMIT");

/// `0.1.0 (abc1234def56)`: what `--version` prints after the program name (a constant, so clap
/// can take it).
pub const VERSION_LINE: &str = env!("BUILD_VERSION_LINE");

/// `shard 0.1.0 (abc1234def56)` for `program` `shard`.
pub fn version_line(program: &str) -> String {
    format!("{program} {VERSION_LINE}")
}
