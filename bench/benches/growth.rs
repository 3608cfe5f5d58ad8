//! Growth benchmark (§10): bringing a chunk of 1,000 growing objects up to date as it loads,
//! after one second away, a year away and a century away (the closed form applied to each
//! record, as residency does). The cost depends on the stages crossed, never on the time away.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use game::Content;
use game::growth::bring_up_to_date;
use game::worldgen::hash;
use store::{ObjectRecord, Position};

const OBJECTS: usize = 1_000;
/// When the chunk was stored (a Unix time in ms, as the shard's clock).
const STORED_AT: i64 = 1_700_000_000_000;
const SECOND: i64 = 1_000;
const YEAR: i64 = 365 * 24 * 3_600 * SECOND;

/// 1,000 trees as a chunk stores them: stages and stage starts spread as generation leaves them.
fn stored_trees(content: &Content) -> Vec<ObjectRecord> {
    let tree = content.object("tree").expect("shipped tree");
    let growth = tree.growth.as_ref().expect("trees grow");
    (0..OBJECTS)
        .map(|i| {
            let h = hash(7, i as i32, 0);
            let stage = (h % growth.stages.len() as u64) as u16;
            let age = growth.duration_ms(stage).map_or(0, |d| ((h >> 16) % d as u64) as i64);
            let mut r = ObjectRecord {
                id: i as i64,
                kind: tree.id,
                pos: Position { x: i as i32 * 256, y: 0 },
                stage,
                stage_started_ms: STORED_AT - age,
                ..Default::default()
            };
            bring_up_to_date(&mut r, growth, STORED_AT);
            r
        })
        .collect()
}

fn bring_chunk_up_to_date(c: &mut Criterion) {
    let content = Content::builtin();
    let records = stored_trees(&content);
    let mut group = c.benchmark_group("growth/chunk_of_1000_up_to_date");
    group.throughput(Throughput::Elements(OBJECTS as u64));
    for (name, away) in [("1s_away", SECOND), ("1y_away", YEAR), ("100y_away", 100 * YEAR)] {
        let now = STORED_AT + away;
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || records.clone(),
                |chunk| {
                    for r in chunk.iter_mut() {
                        if let Some(g) = content.growth(r.kind) {
                            bring_up_to_date(r, g, black_box(now));
                        }
                    }
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, bring_chunk_up_to_date);
criterion_main!(benches);
