//! Characters for the ownership tests: a player record on a map and one seeded with two stacks,
//! and the item transaction and read the tests change and check those stacks with.

use store::{Backend, Container, Created, ItemOp, ItemRecord, ItemTx, PlayerRecord, Position};

pub fn player(id: i64, map: u32) -> PlayerRecord {
    PlayerRecord {
        id,
        name: format!("p{id}"),
        token_hash: vec![id as u8; 32],
        map,
        pos: Position { x: 256, y: 512 },
        health: 100,
        ..PlayerRecord::default()
    }
}

/// Creates player `id` on `map` with two stacks of 5 (item ids `10·id`, `10·id + 1`).
pub fn seed(b: &mut dyn Backend, id: i64, map: u32) {
    let put = |n: i64| {
        let container = Container::Player(id);
        ItemOp::Put(ItemRecord { id: 10 * id + n, kind: 1, quality: 0, count: 5, container, slot: n as u32 })
    };
    let kit = ItemTx::new("kit", vec![put(0), put(1)]);
    assert_eq!(b.create_player(&player(id, map), &kit).unwrap(), Created::New);
}

pub fn set_count(id: i64, count: u32) -> ItemTx {
    ItemTx::new("count", vec![ItemOp::SetCount { id, count }])
}

pub fn count_of(b: &mut dyn Backend, id: i64) -> u32 {
    b.load_item(id).unwrap().expect("item").count
}
