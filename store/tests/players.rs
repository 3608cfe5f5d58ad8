//! Player creation on both backends: a name is claimed atomically and once (concurrent first
//! logins, names differing only in case or Unicode form), a player and its starter kit commit
//! together or not at all, no save deletes a row that owns items, and names stored before name
//! keys existed keep working.

mod common;

use std::sync::{Arc, Barrier};

use store::{
    Backend, Connector, Container, Created, FaultPoint, ItemOp, ItemRecord, ItemTx, PlayerRecord, Position,
    StoreError,
};

/// Runs raw SQL on the test database (to write rows as an older version would have).
type Raw<'a> = &'a dyn Fn(&str);

fn open(connector: &Connector) -> Box<dyn Backend> {
    connector.migrate().expect("migrate");
    connector.connect().expect("connect")
}

fn new_player(id: i64, name: &str) -> PlayerRecord {
    PlayerRecord {
        id,
        name: name.to_owned(),
        token_hash: vec![id as u8; 32],
        map: 1,
        pos: Position { x: 256 * id as i32, y: 512 },
        health: 100,
        ..PlayerRecord::default()
    }
}

/// Two starter items for player `id` (item ids `10·id` and `10·id + 1`).
fn kit(id: i64) -> ItemTx {
    let put = |n: i64, slot| {
        let container = Container::Player(id);
        ItemOp::Put(ItemRecord { id: 10 * id + n, kind: 1 + n as u32, quality: 0, count: 5, container, slot })
    };
    ItemTx::new("starter kit", vec![put(0, 0), put(1, 1)])
}

/// Asserts that nothing of player `id` was stored: no row, no position, no item.
fn assert_absent(b: &mut dyn Backend, id: i64) {
    assert!(b.load_player(id).unwrap().is_none(), "player {id} must not exist");
    assert!(b.load_items(Container::Player(id)).unwrap().items.is_empty(), "player {id} owns no items");
    for item in [10 * id, 10 * id + 1] {
        assert!(b.load_item(item).unwrap().is_none(), "item {item} of the loser must not exist");
    }
}

fn concurrent_first_logins_claim_a_name_once(c: &Connector) {
    drop(open(c));
    const RACERS: i64 = 8;
    // The same name in several spellings that are one name: case, fullwidth, decomposed.
    let spellings = ["Zoë", "zoë", "ZOË", "Ｚｏë", "Zoe\u{308}"];
    let start = Arc::new(Barrier::new(RACERS as usize));
    let racers: Vec<_> = (1..=RACERS)
        .map(|id| {
            let (c, start) = (c.clone(), start.clone());
            let name = spellings[id as usize % spellings.len()];
            std::thread::spawn(move || {
                let mut b = c.connect().expect("connect");
                start.wait();
                (id, b.create_player(&new_player(id, name), &kit(id)).expect("create"))
            })
        })
        .collect();
    let results: Vec<(i64, Created)> = racers.into_iter().map(|t| t.join().unwrap()).collect();
    let winners: Vec<i64> = results.iter().filter(|(_, r)| *r == Created::New).map(|(id, _)| *id).collect();
    assert_eq!(winners.len(), 1, "exactly one racer claims the name: {results:?}");
    let mut b = c.connect().unwrap();
    let winner = b.load_player_by_name("zoë").unwrap().expect("the winner loads by any spelling");
    assert_eq!(winner.player.id, winners[0]);
    assert_eq!(winner.items.len(), 2, "the winner's kit is complete");
    for id in (1..=RACERS).filter(|id| *id != winners[0]) {
        assert_absent(b.as_mut(), id);
    }
}

fn a_taken_name_writes_nothing(c: &Connector) {
    let mut b = open(c);
    assert_eq!(b.create_player(&new_player(1, "Alice"), &kit(1)).unwrap(), Created::New);
    assert_eq!(b.create_player(&new_player(2, "ALICE"), &kit(2)).unwrap(), Created::NameTaken);
    assert_eq!(b.create_player(&new_player(1, "Bob"), &kit(3)).unwrap(), Created::NameTaken, "id taken");
    assert_absent(b.as_mut(), 2);
    assert!(b.load_player_by_name("Bob").unwrap().is_none());
    let alice = b.load_player_by_name("aLiCe").unwrap().unwrap();
    assert_eq!((alice.player.name.as_str(), alice.items.len()), ("Alice", 2));
    assert_eq!(alice.player.pos, new_player(1, "Alice").pos, "the position is created with the player");
}

fn a_failed_kit_leaves_no_player(c: &Connector) {
    let mut b = open(c);
    let faults = store::Faults::default();
    faults.set(|p| match p {
        FaultPoint::ItemOp { op: 1 } => Err(StoreError::Injected("crash between kit items".into())),
        _ => Ok(()),
    });
    let mut broken = c.clone().with_faults(faults).connect().unwrap();
    assert!(broken.create_player(&new_player(1, "Carol"), &kit(1)).is_err());
    assert_absent(b.as_mut(), 1);
    assert!(b.load_player_by_name("Carol").unwrap().is_none(), "the name stays free");
    assert_eq!(b.create_player(&new_player(1, "Carol"), &kit(1)).unwrap(), Created::New, "a retry succeeds");
    assert_eq!(b.load_player(1).unwrap().unwrap().items.len(), 2);
}

fn a_save_never_deletes_a_row_that_owns_items(c: &Connector) {
    let mut b = open(c);
    assert_eq!(b.create_player(&new_player(1, "Dave"), &kit(1)).unwrap(), Created::New);
    // Another id under the same name: refused, and Dave and his items stay.
    assert!(b.save_players(&[new_player(2, "dave")]).is_err());
    assert!(b.save_players(&[new_player(2, "Dave")]).is_err());
    let dave = b.load_player(1).unwrap().expect("Dave survives");
    assert_eq!(dave.items.len(), 2);
    assert!(b.load_player(2).unwrap().is_none());
    // Saving Dave himself (an upsert on the id) keeps his items.
    let mut again = dave.player.clone();
    again.health = 7;
    b.save_players(&[again]).unwrap();
    let dave = b.load_player(1).unwrap().unwrap();
    assert_eq!((dave.player.health, dave.items.len()), (7, 2));
}

/// `hash` is a byte-string literal in the backend's SQL dialect.
fn names_stored_before_keys_keep_working(c: &Connector, raw: Raw<'_>, hash: &str) {
    let mut b = open(c);
    // Rows as the schema before name keys wrote them: two names that are now one key.
    for (id, name) in [(1, "Erin"), (2, "ERIN"), (3, "Frank")] {
        raw(&format!(
            "INSERT INTO players (id, name, token_hash, health, hunger, stamina, xp_combat, \
             xp_crafting, xp_gathering) VALUES ({id}, '{name}', {hash}, 100, 0, 0, 0, 0, 0); \
             INSERT INTO player_positions VALUES ({id}, 1, 0, 0)"
        ));
    }
    assert!(c.migrate().unwrap().is_empty(), "no migration left; the backfill runs anyway");
    assert_eq!(b.load_player_by_name("frank").unwrap().unwrap().player.id, 3, "keyed: any case");
    assert_eq!(b.load_player_by_name("Erin").unwrap().unwrap().player.id, 1, "the oldest keeps the key");
    assert_eq!(b.load_player_by_name("erin").unwrap().unwrap().player.id, 1);
    assert_eq!(b.load_player_by_name("ERIN").unwrap().unwrap().player.id, 2, "the other by exact name");
    assert_eq!(b.create_player(&new_player(4, "eRiN"), &kit(4)).unwrap(), Created::NameTaken);
}

common::on_both_backends!(
    connector: [
        concurrent_first_logins_claim_a_name_once,
        a_taken_name_writes_nothing,
        a_failed_kit_leaves_no_player,
        a_save_never_deletes_a_row_that_owns_items,
    ]
    postgres: {
        #[test]
        fn names_stored_before_keys_keep_working() {
            let Some(db) = crate::common::pg_db() else { return };
            let raw = |sql: &str| db.client().batch_execute(sql).unwrap();
            super::names_stored_before_keys_keep_working(&db.connector(), &raw, "'\\x00'::bytea");
        }
    }
    sqlite: {
        #[test]
        fn names_stored_before_keys_keep_working() {
            let db = crate::common::sqlite_db();
            let raw = |sql: &str| rusqlite::Connection::open(&db.path).unwrap().execute_batch(sql).unwrap();
            super::names_stored_before_keys_keep_working(&db.connector(), &raw, "X'00'");
        }
    }
);
