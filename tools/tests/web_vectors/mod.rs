//! Test vectors for the browser client's JavaScript core (tools/web/play/js): the page cannot run
//! the Rust, so it ports the wire codec, chunk layout, movement and prediction, and these vectors
//! (produced by the Rust code itself) keep the two from drifting. Each module writes one JSON file.

pub mod chunk;
pub mod movement;
pub mod predict;
pub mod protocol;
pub mod util;
