//! Library side of the binaries: what `shard` and `bots` parse and compose, kept out of `main` so
//! it is tested. The `shard` and `bots` binaries themselves arrive with issue #6.

pub mod admin;
pub mod config;
