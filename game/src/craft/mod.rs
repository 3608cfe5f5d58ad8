//! Crafting rules that do not depend on where items lie: the quality of what a craft makes
//! ([`quality`]). The recipes are content (`crate::content::Recipe`); the craft as an item
//! operation (which stacks it consumes, where the result goes) is
//! [`crate::items::ItemWorld::craft`].

pub mod quality;

pub use quality::{KindMean, QualityBreakdown, Used, Weights, craft_quality, isqrt, kind_mean, skill};
