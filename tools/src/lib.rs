//! Home of the binaries: `shard` and `bots` arrive with issue #6; nothing runs yet.
