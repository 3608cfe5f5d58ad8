//! Persistence layer: database backends, Redis metadata, chunk codec and write-behind pool (issue #4; not built yet).
