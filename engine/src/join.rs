//! Joins over several columns: walk the first (ideally the smallest) column's packed values and
//! find the others' by direct sparse-array indexing, never by hashing. Columns in one group need no
//! join at all: zip their first `group_len` values.

use crate::bitset::AtomicBitSet;
use crate::column::Column;
use crate::entity::Entity;
use rayon::prelude::*;

/// `(entity, a, b)` for every entity that has both; walks `a`, so pass the smaller column first.
pub fn join2<'a, A, B>(a: &'a Column<A>, b: &'a Column<B>) -> impl Iterator<Item = (Entity, &'a A, &'a B)> {
    a.iter().filter_map(move |(e, va)| Some((e, va, b.get(e)?)))
}

/// `(entity, a, b, c)` for every entity that has all three; walks `a`.
pub fn join3<'a, A, B, C>(
    a: &'a Column<A>,
    b: &'a Column<B>,
    c: &'a Column<C>,
) -> impl Iterator<Item = (Entity, &'a A, &'a B, &'a C)> {
    a.iter().filter_map(move |(e, va)| Some((e, va, b.get(e)?, c.get(e)?)))
}

/// Calls `f` with a mutable `a` and a shared `b` for every entity that has both; `f` returns true
/// when it changed `a`, which marks it changed.
pub fn join2_mut<A, B>(a: &mut Column<A>, b: &Column<B>, mut f: impl FnMut(Entity, &mut A, &B) -> bool) {
    let (owners, values, changed) = a.split_mut();
    join_slice(owners, values, changed, b, &mut f);
}

/// The loop shared by [`join2_mut`] and each chunk of [`par_join2_mut`].
fn join_slice<A, B>(
    owners: &[Entity],
    values: &mut [A],
    changed: &AtomicBitSet,
    b: &Column<B>,
    f: &mut impl FnMut(Entity, &mut A, &B) -> bool,
) {
    for (&e, va) in owners.iter().zip(values.iter_mut()) {
        if let Some(vb) = b.get(e)
            && f(e, va, vb)
        {
            changed.insert(e.index() as usize);
        }
    }
}

/// Parallel [`join2_mut`]: `a` is split into chunks of `chunk_len` values handled by rayon.
pub fn par_join2_mut<A: Send, B: Sync>(
    a: &mut Column<A>,
    b: &Column<B>,
    chunk_len: usize,
    f: impl Fn(Entity, &mut A, &B) -> bool + Sync,
) {
    a.par_chunks_mut(chunk_len).for_each(|(owners, values, changed)| {
        join_slice(owners, values, changed, b, &mut |e, va, vb| f(e, va, vb));
    });
}
