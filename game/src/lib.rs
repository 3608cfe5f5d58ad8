//! Game rules composed on the engine, net and store crates (issue #5; not built yet).
