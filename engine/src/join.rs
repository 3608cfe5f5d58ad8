//! Joins over several columns: walk the first (ideally the smallest) column's packed values and
//! find the others' by direct sparse-array indexing, never by hashing. Columns in one group need no
//! join at all: zip their first `group_len` values.

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

/// Calls `f` with a mutable `a` and a shared `b` for every entity that has both.
pub fn join2_mut<A, B>(a: &mut Column<A>, b: &Column<B>, mut f: impl FnMut(Entity, &mut A, &B)) {
    let (owners, values) = a.split_mut();
    join_slice(owners, values, b, &mut f);
}

/// The loop shared by [`join2_mut`] and each chunk of [`par_join2_mut`].
fn join_slice<A, B>(
    owners: &[Entity],
    values: &mut [A],
    b: &Column<B>,
    f: &mut impl FnMut(Entity, &mut A, &B),
) {
    for (&e, va) in owners.iter().zip(values.iter_mut()) {
        if let Some(vb) = b.get(e) {
            f(e, va, vb);
        }
    }
}

/// Parallel [`join2_mut`]: `a` is split into chunks of `chunk_len` values handled by rayon.
pub fn par_join2_mut<A: Send, B: Sync>(
    a: &mut Column<A>,
    b: &Column<B>,
    chunk_len: usize,
    f: impl Fn(Entity, &mut A, &B) + Sync,
) {
    a.par_chunks_mut(chunk_len).for_each(|(owners, values)| {
        join_slice(owners, values, b, &mut |e, va, vb| f(e, va, vb));
    });
}
