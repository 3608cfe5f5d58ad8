//! Property test: random spawn/despawn/insert/remove sequences on a world with a column group,
//! checked after every step against a plain model (a map from entity to its components).

use engine::{ColumnKey, Entity, GroupId, World};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
enum Op {
    Spawn,
    Despawn(usize),
    Insert(usize, u8, u32),
    Remove(usize, u8),
    /// Touch an id that was despawned earlier (stale).
    Stale(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Spawn),
        1 => any::<usize>().prop_map(Op::Despawn),
        4 => (any::<usize>(), 0u8..3, any::<u32>()).prop_map(|(e, c, v)| Op::Insert(e, c, v)),
        2 => (any::<usize>(), 0u8..3).prop_map(|(e, c)| Op::Remove(e, c)),
        1 => any::<usize>().prop_map(Op::Stale),
    ]
}

type Model = BTreeMap<Entity, [Option<u32>; 3]>;

struct Fixture {
    world: World,
    keys: [ColumnKey<u32>; 3],
    group: GroupId,
    model: Model,
    dead: Vec<Entity>,
}

impl Fixture {
    fn new() -> Self {
        let mut world = World::new();
        let keys = [
            world.register::<u32>("a").unwrap(),
            world.register::<u32>("b").unwrap(),
            world.register::<u32>("c").unwrap(),
        ];
        let group = world.group(&[keys[1].id(), keys[2].id()]).unwrap();
        Self { world, keys, group, model: Model::new(), dead: Vec::new() }
    }

    fn pick(&self, i: usize) -> Option<Entity> {
        let n = self.model.len();
        (n > 0).then(|| *self.model.keys().nth(i % n).unwrap())
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Spawn => {
                let e = self.world.spawn();
                assert!(self.model.insert(e, [None; 3]).is_none(), "fresh id {e:?} reused a live one");
            }
            Op::Despawn(i) => {
                if let Some(e) = self.pick(i) {
                    self.world.despawn(e).unwrap();
                    self.model.remove(&e);
                    self.dead.push(e);
                }
            }
            Op::Insert(i, c, v) => {
                if let Some(e) = self.pick(i) {
                    let old = self.world.insert(e, self.keys[c as usize], v).unwrap();
                    let slot = &mut self.model.get_mut(&e).unwrap()[c as usize];
                    assert_eq!(old, slot.replace(v));
                }
            }
            Op::Remove(i, c) => {
                if let Some(e) = self.pick(i) {
                    let old = self.world.remove(e, self.keys[c as usize]).unwrap();
                    assert_eq!(old, self.model.get_mut(&e).unwrap()[c as usize].take());
                }
            }
            Op::Stale(i) => {
                if !self.dead.is_empty() {
                    let e = self.dead[i % self.dead.len()];
                    assert!(!self.world.is_alive(e));
                    assert!(self.world.despawn(e).is_err());
                    assert!(self.world.insert(e, self.keys[0], 1).is_err());
                    assert!(self.world.remove(e, self.keys[0]).is_err());
                }
            }
        }
    }

    fn check(&self) {
        assert_eq!(self.world.entities().len(), self.model.len());
        for (c, key) in self.keys.iter().enumerate() {
            let column = self.world.column(*key);
            let expected: Vec<_> = self.model.iter().filter_map(|(e, v)| Some((*e, v[c]?))).collect();
            assert_eq!(column.len(), expected.len(), "column {c} size");
            for (e, v) in expected {
                assert_eq!(column.get(e), Some(&v), "column {c} value of {e:?}");
                assert!(self.world.has(e, *key));
            }
            for e in &self.dead {
                assert_eq!(column.get(*e), None, "stale id {e:?} read a value");
            }
        }
        self.check_group();
    }

    /// The group prefix holds exactly the entities with both b and c, in the same order.
    fn check_group(&self) {
        let n = self.world.group_len(self.group);
        let in_group = self.model.values().filter(|v| v[1].is_some() && v[2].is_some()).count();
        assert_eq!(n, in_group);
        let b = self.world.column(self.keys[1]);
        let c = self.world.column(self.keys[2]);
        assert_eq!(&b.entities()[..n], &c.entities()[..n]);
        for (i, e) in b.entities()[..n].iter().enumerate() {
            assert_eq!(b.values()[i], self.model[e][1].unwrap());
            assert_eq!(c.values()[i], self.model[e][2].unwrap());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn world_matches_model(ops in proptest::collection::vec(op(), 1..300)) {
        let mut f = Fixture::new();
        for op in &ops {
            f.apply(op);
            f.check();
        }
    }
}

#[test]
fn stale_id_never_reaches_new_occupant() {
    let mut world = World::new();
    let hp = world.register::<u32>("hp").unwrap();
    let old = world.spawn();
    world.insert(old, hp, 10).unwrap();
    world.despawn(old).unwrap();
    let new = world.spawn();
    assert_eq!(new.index(), old.index(), "slot is reused");
    assert_ne!(new.generation(), old.generation());
    world.insert(new, hp, 99).unwrap();
    assert!(!world.is_alive(old));
    assert_eq!(world.column(hp).get(old), None);
    assert!(!world.has(old, hp));
    assert_eq!(world.presence(old), 0);
    assert!(world.insert(old, hp, 1).is_err());
    assert!(world.despawn(old).is_err());
    assert_eq!(world.column(hp).get(new), Some(&99));
    // A forged id carrying a generation never handed out is not alive either.
    let forged = Entity::from_parts(new.index(), new.generation() + 1);
    assert!(!world.is_alive(forged));
    assert_eq!(Entity::from_bits(new.to_bits()), new);
    let first = World::new().spawn();
    assert_ne!(first.to_bits(), 0, "0 is the wire's \"no entity\"");
}

#[test]
fn parallel_chunk_writes_match_serial() {
    let mut world = World::new();
    let hp = world.register::<u32>("hp").unwrap();
    let armour = world.register::<u32>("armour").unwrap();
    for i in 0..10_000u32 {
        let e = world.spawn();
        world.insert(e, hp, 100).unwrap();
        if i % 3 == 0 {
            world.insert(e, armour, i % 7).unwrap();
        }
    }
    let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
    pool.install(|| {
        let mut hps = world.column_mut(hp);
        engine::par_join2_mut(&mut hps, &world.column(armour), 97, |_, hp, armour| {
            *hp -= armour;
        });
    });
    let hps = world.column(hp);
    let armours = world.column(armour);
    for (e, value) in hps.iter() {
        let a = armours.get(e).copied().unwrap_or(0);
        assert_eq!(*value, 100 - a);
    }
}
