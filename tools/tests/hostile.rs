//! Hostile clients: well-formed messages with nonsense inside. Several clients send every kind
//! of client message with ids drawn from what they see (their own entity, other characters,
//! objects, their items, used as the wrong kind of id too) and from nowhere (0, the largest id,
//! random), counts and slots at their limits, coordinates off the map, acks of ticks never sent,
//! chat in control and bidi characters, a second Hello. Meanwhile an honest player walks back
//! and forth. The honest player is never refused, never closed and keeps arriving where it
//! walks; the shard never panics; hostile connections end, if at all, only with a documented
//! code (never 1011, an internal error); after a clean stop the stored items keep every item
//! invariant.

mod common;

use common::{InProcess, ItemAudit, Player, TestDb, unique};
use game::Content;
use game::shard::ShardOptions;
use net::client::ClientError;
use net::protocol::{
    Ack, Chat, ClientMessage, CloseContainer, ContainerRef, Craft, Drop, EntityId, Hello, Input,
    InventoryMove, Order, Pickup, Plant, ServerMessage, SessionToken, UseItem,
};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long the hostile clients play.
const HOSTILITY: Duration = Duration::from_secs(12);
/// Messages each hostile client sends per round (a round is about 100 ms: ~50 a second, under
/// the per-connection rate of 60).
const PER_ROUND: usize = 5;
const HOSTILES: usize = 6;
/// Generous: the test must pass on a slow, busy machine.
const WAIT: Duration = Duration::from_secs(30);
/// A leg of the honest player's walk (three tiles, about a second) not arrived after this is
/// given up for the next.
const LEG: Duration = Duration::from_secs(5);

/// A tiny deterministic generator (xorshift64*), seeded per client.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<T: Copy>(&mut self, from: &[T]) -> Option<T> {
        (!from.is_empty()).then(|| from[self.below(from.len() as u64) as usize])
    }
    fn u16(&mut self) -> u16 {
        *[0, 1, 2, 7, 63, 255, 256, 999, u16::MAX - 1, u16::MAX, self.next() as u16]
            .get(self.below(11) as usize)
            .unwrap_or(&0)
    }
    fn u32(&mut self) -> u32 {
        *[0, 1, 2, u32::MAX, u32::MAX - 1, 1 << 31, self.next() as u32]
            .get(self.below(7) as usize)
            .unwrap_or(&0)
    }
    fn i32(&mut self, near: i32) -> i32 {
        match self.below(6) {
            0 => i32::MIN,
            1 => i32::MAX,
            2 => -1,
            3 => self.next() as i32,
            _ => near.wrapping_add((self.below(4096) as i32) - 2048),
        }
    }
}

/// What a hostile client knows to aim at.
struct Seen {
    me: EntityId,
    x: i32,
    y: i32,
    entities: Vec<u64>,
    objects: Vec<u64>,
    items: Vec<u64>,
    containers: Vec<ContainerRef>,
    /// Occupied slots with their container's revision: requests that are nearly right.
    slots: Vec<(ContainerRef, u16, u32)>,
}

fn seen(p: &Player, spare: EntityId) -> Seen {
    let world = p.game.world();
    let (x, y) = p.position().unwrap_or((p.welcome.x, p.welcome.y));
    let entities = world.entities().map(|(id, _)| id.0).filter(|&id| id != spare.0).collect();
    let chunks = world.chunks();
    let objects = chunks
        .keys()
        .iter()
        .filter_map(|&(cx, cy)| chunks.get(cx, cy))
        .flat_map(|c| c.objects().iter().map(|o| o.entity))
        .collect();
    let containers: Vec<ContainerRef> = p.game.containers().keys().copied().collect();
    let items = p.game.containers().values().flat_map(|v| v.slots.values().map(|s| s.item)).collect();
    let slots = p
        .game
        .containers()
        .iter()
        .flat_map(|(&c, v)| v.slots.keys().map(move |&slot| (c, slot, v.revision)))
        .collect();
    Seen { me: p.me(), x, y, entities, objects, items, containers, slots }
}

impl Seen {
    /// An id from anywhere: what is seen (also of the wrong kind), or none that exists.
    fn id(&self, rng: &mut Rng) -> u64 {
        match rng.below(8) {
            0 => self.me.0,
            1 | 2 => rng.pick(&self.entities).unwrap_or(0),
            3 | 4 => rng.pick(&self.objects).unwrap_or(0),
            5 => rng.pick(&self.items).unwrap_or(0),
            6 => *[0, u64::MAX, 1, u64::from(u32::MAX) + 1].get(rng.below(4) as usize).unwrap_or(&0),
            _ => rng.next(),
        }
    }

    fn container(&self, rng: &mut Rng) -> ContainerRef {
        match rng.below(4) {
            0 => ContainerRef::Own,
            1 => rng.pick(&self.containers).unwrap_or(ContainerRef::Own),
            2 => ContainerRef::Object(EntityId(self.id(rng))),
            _ => ContainerRef::Item(self.id(rng)),
        }
    }

    /// A container, slot and revision: half the time a real slot at its real revision.
    fn slot(&self, rng: &mut Rng) -> (ContainerRef, u16, u32) {
        match rng.pick(&self.slots) {
            Some(real) if rng.below(2) == 0 => real,
            _ => (self.container(rng), rng.u16(), rng.u32()),
        }
    }

    fn order(&self, rng: &mut Rng) -> Order {
        let target = EntityId(self.id(rng));
        match rng.below(5) {
            0 => Order::Stop,
            1 => Order::MoveTo { x: rng.i32(self.x), y: rng.i32(self.y) },
            2 => Order::Follow(target),
            3 => Order::Interact { target, action: rng.next() as u8 },
            _ => Order::Attack(target),
        }
    }
}

/// Text of up to ~600 characters mixing letters with control, bidi, zero-width and astral ones.
fn nasty_text(rng: &mut Rng) -> String {
    const PARTS: [&str; 10] = [
        "hi",
        "\u{0}",
        "\u{7}\u{1b}[2J",
        "\u{202e}evil",
        "\u{2066}",
        "\u{200b}",
        "😀",
        "\r\n",
        "é",
        "\u{feff}",
    ];
    let n = rng.below(200) as usize;
    (0..n).map(|_| PARTS[rng.below(PARTS.len() as u64) as usize]).collect()
}

fn nonsense(p: &Player, spare: EntityId, rng: &mut Rng, seq: &mut u32) -> ClientMessage {
    let s = seen(p, spare);
    let request = rng.u32();
    match rng.below(13) {
        0..=2 => {
            *seq = seq.wrapping_add(if rng.below(8) == 0 { rng.next() as u32 } else { 1 });
            ClientMessage::Input(Input { seq: *seq, order: s.order(rng) })
        }
        3 => ClientMessage::Craft(Craft {
            request,
            recipe: rng.u16(),
            count: rng.u16(),
            station: EntityId(s.id(rng)),
        }),
        4 => {
            let ((from, from_slot, from_revision), (to, to_slot, to_revision)) = (s.slot(rng), s.slot(rng));
            let count = rng.u16();
            ClientMessage::InventoryMove(InventoryMove {
                request,
                from,
                from_slot,
                from_revision,
                to,
                to_slot,
                to_revision,
                count,
            })
        }
        5 => {
            let (container, slot, revision) = s.slot(rng);
            ClientMessage::Drop(Drop { request, container, slot, revision, count: rng.u16() })
        }
        6 => ClientMessage::Pickup(Pickup { request, item: EntityId(s.id(rng)) }),
        7 => ClientMessage::CloseContainer(CloseContainer { container: s.container(rng) }),
        8 => {
            let (container, slot, revision) = s.slot(rng);
            ClientMessage::UseItem(UseItem { request, container, slot, revision })
        }
        9 => {
            let (container, slot, _) = s.slot(rng);
            ClientMessage::Plant(Plant { request, container, slot, x: rng.i32(s.x), y: rng.i32(s.y) })
        }
        10 => ClientMessage::Chat(Chat { request, text: nasty_text(rng) }),
        11 => ClientMessage::Ack(Ack { tick: rng.next() >> rng.below(64), received: rng.u32() }),
        _ if rng.below(20) == 0 => {
            ClientMessage::Hello(Hello { name: "again".into(), token: SessionToken([rng.next() as u8; 32]) })
        }
        _ => ClientMessage::Ping { nonce: rng.next() },
    }
}

/// A hostile client: its connection (if open), name and token, and what ended its connections.
struct Hostile {
    player: Option<Player>,
    name: String,
    token: [u8; 32],
    rng: Rng,
    seq: u32,
    sent: usize,
    closes: Vec<Option<u16>>,
    /// Error messages received, by code.
    refused: BTreeMap<u16, usize>,
}

impl Hostile {
    fn new(shard: &InProcess, i: usize) -> Hostile {
        let name = unique("hostile");
        let player = Player::connect(shard.addr, &name, [0; 32]).expect("hostile login");
        let token = player.token();
        let rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        Hostile {
            player: Some(player),
            name,
            token,
            rng,
            seq: 0,
            sent: 0,
            closes: Vec::new(),
            refused: BTreeMap::new(),
        }
    }

    /// Sends a round of nonsense and reads what came back; logs in again after a close.
    fn round(&mut self, shard: &InProcess, spare: EntityId) {
        let Some(p) = self.player.as_mut() else {
            self.player = Player::connect(shard.addr, &self.name, self.token).ok();
            return;
        };
        for _ in 0..PER_ROUND {
            let msg = nonsense(p, spare, &mut self.rng, &mut self.seq);
            if p.client.send(&msg).is_err() {
                break;
            }
            self.sent += 1;
        }
        // Read what arrived; the client world may refuse what a lying client provoked.
        let until = Instant::now() + Duration::from_millis(15);
        while Instant::now() < until {
            match p.client.recv() {
                Ok(msg) => {
                    if let ServerMessage::Error(e) = &msg {
                        *self.refused.entry(e.code).or_default() += 1;
                    }
                    let _ = p.game.handle(&msg);
                }
                Err(ClientError::Timeout) => {}
                Err(ClientError::Closed(info)) => {
                    self.closes.push(info.code);
                    self.player = None;
                    return;
                }
                Err(_) => {
                    self.closes.push(None);
                    self.player = None;
                    return;
                }
            }
        }
    }
}

#[test]
fn hostile_clients_touch_only_their_own_connections_sqlite() {
    hostility(TestDb::sqlite());
}

#[test]
fn hostile_clients_touch_only_their_own_connections_postgres() {
    if let Some(db) = TestDb::postgres() {
        hostility(db);
    }
}

fn hostility(db: TestDb) {
    let shard = InProcess::start(db.store_config(), ShardOptions { bots: 40, ..ShardOptions::default() });
    let mut honest = Player::connect(shard.addr, &unique("honest"), [0; 32]).expect("honest login");
    assert!(honest.pump_until(WAIT, |p| p.position().is_some()), "the honest player is shown");
    let home = honest.position().unwrap();
    let mut hostiles: Vec<Hostile> = (0..HOSTILES).map(|i| Hostile::new(&shard, i)).collect();

    // The honest player walks from home to a point three tiles away and back, a different
    // direction each time; a leg that has not arrived in a few seconds (a box a hostile client
    // placed, a tree) is given up for the next.
    let targets = [(3, 0), (0, 0), (-3, 0), (0, 0), (0, 3), (0, 0), (0, -3), (0, 0)]
        .map(|(dx, dy)| (home.0 + dx * 256, home.1 + dy * 256));
    let (started, mut legs, mut given_up) = (Instant::now(), 0, 0);
    let (mut leg, mut leg_started) = (0, Instant::now());
    honest.order(Order::MoveTo { x: targets[0].0, y: targets[0].1 });
    while started.elapsed() < HOSTILITY {
        for h in &mut hostiles {
            h.round(&shard, honest.me());
        }
        honest.pump(Duration::from_millis(10));
        let arrived = honest.position().is_some_and(|at| common::tiles(at, targets[leg]) < 0.5);
        if arrived || leg_started.elapsed() > LEG {
            (legs, given_up) = (legs + usize::from(arrived), given_up + usize::from(!arrived));
            leg = (leg + 1) % targets.len();
            honest.order(Order::MoveTo { x: targets[leg].0, y: targets[leg].1 });
            leg_started = Instant::now();
        }
    }

    let sent: usize = hostiles.iter().map(|h| h.sent).sum();
    println!("hostile messages sent: {sent}; honest legs walked: {legs}, given up: {given_up}");
    let mut refused = BTreeMap::new();
    for h in &hostiles {
        println!("{}: {} sent, closed with {:?}, refused {:?}", h.name, h.sent, h.closes, h.refused);
        h.refused.iter().for_each(|(&code, &n)| *refused.entry(code).or_insert(0) += n);
        assert!(!h.closes.contains(&Some(1011)), "an internal error closed {}: {:?}", h.name, h.closes);
    }
    assert!(sent >= HOSTILES * 40, "the hostile clients were heard ({sent} messages)");
    assert!(refused.len() >= 5, "the nonsense was answered with its errors: {refused:?}");
    assert!(legs >= 2, "the honest player walked while the hostile ones played ({given_up} legs given up)");
    assert!(honest.errors.is_empty(), "the honest player was never refused: {:?}", honest.errors);
    // Still connected and served.
    let tick = honest.game.world().newest_tick();
    assert!(honest.pump_until(WAIT, |p| p.game.world().newest_tick() > tick), "frames still come");

    drop(hostiles);
    drop(honest);
    let (report, _) = shard.stop();
    assert!(report.flush.complete(), "{report}");
    assert_eq!(db.orphaned_items(), 0);
    ItemAudit::read(&db).check(&Content::builtin());
}
