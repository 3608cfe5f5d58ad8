//! Rebuilds the store when a migration is added or changed: `refinery::embed_migrations!` reads
//! `schemas/migrations` at compile time, and Cargo would not otherwise notice a new file there.

fn main() {
    println!("cargo:rerun-if-changed=../schemas/migrations");
}
