//! A player who plays with its items over the wire at random, the way a client would: stacks
//! into its bag and back, drops onto the ground (the bag too, with what it holds), pickups of
//! the piles nearby, its box placed, opened, filled (bags included) and emptied, and folded up
//! again; now and then it logs out and in again at once (or logs in anew over its open session)
//! while its last changes may not be stored yet. Each request is made against the revisions the client holds; refusals are expected
//! and counted, never fatal.

use super::Player;
use game::Content;
use game::wire::verb;
use net::protocol::{ANY_SLOT, ClientMessage, ContainerRef, EntityId, ItemSlot, Order};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// How far away a pile or box may be for the stasher to go for it (1/256 tile).
const NEAR: i64 = 4 * 256;

/// The kinds a stasher tells apart.
#[derive(Debug, Clone, Copy)]
struct Kinds {
    bag: u32,
    box_item: u32,
    box_object: u32,
    pile: u32,
}

impl Kinds {
    fn of(content: &Content) -> Kinds {
        let item = |name: &str| content.item_named(name).map(|k| k.id).expect("shipped item kind");
        Kinds {
            bag: item("bag"),
            box_item: item("box"),
            box_object: content.object("box").expect("box object kind").id,
            pile: content.pile_kind().expect("pile kind").id,
        }
    }
}

/// A player acting on its items at random.
pub struct Stasher {
    pub player: Player,
    name: String,
    addr: SocketAddr,
    rng: u64,
    kinds: Kinds,
    /// Requests sent, by action.
    pub sent: BTreeMap<&'static str, u32>,
}

impl Stasher {
    /// `player` logged in as `name` at `addr`.
    pub fn new(player: Player, name: &str, addr: SocketAddr, seed: u64) -> Stasher {
        let kinds = Kinds::of(&Content::builtin());
        Stasher { player, name: name.to_owned(), addr, rng: seed | 1, kinds, sent: BTreeMap::new() }
    }

    fn next(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// One random action (nothing when it has nothing to act on); with a box open, stashing
    /// and unstashing are likelier.
    pub fn act(&mut self) {
        let choices = if self.open().is_some() { 16 } else { 10 };
        if self.below(40) == 0 {
            let action = self.relog();
            *self.sent.entry(action).or_default() += 1;
            return;
        }
        let done = match self.below(choices) {
            0 | 1 => self.bag_up(),
            2 => self.out_of_bag(),
            3 => self.drop_some(),
            4 => self.pick_up(),
            5 => self.place_box(),
            6 => self.open_box(),
            8 | 10..=12 => self.unstash(),
            9 => self.fold_box(),
            _ => self.stash(),
        };
        if let Some(action) = done {
            *self.sent.entry(action).or_default() += 1;
        }
    }

    fn slots(&self, c: &ContainerRef) -> Vec<ItemSlot> {
        self.player.game.container(c).map(|v| v.slots.values().copied().collect()).unwrap_or_default()
    }

    /// A random stack of `c` that `keep` accepts.
    fn pick(&mut self, c: &ContainerRef, keep: impl Fn(&ItemSlot) -> bool) -> Option<ItemSlot> {
        let stacks: Vec<ItemSlot> = self.slots(c).into_iter().filter(|s| keep(s)).collect();
        (!stacks.is_empty()).then(|| stacks[self.below(stacks.len())])
    }

    /// Part of the stack, sometimes all of it.
    fn some_of(&mut self, s: &ItemSlot) -> u16 {
        let n = 1 + self.below(s.count.max(1) as usize);
        u16::try_from(n).unwrap_or(u16::MAX)
    }

    fn bag(&self) -> Option<ContainerRef> {
        let bag = self.slots(&ContainerRef::Own).into_iter().find(|s| s.kind == self.kinds.bag)?;
        Some(ContainerRef::Item(bag.item))
    }

    /// The box the player has open.
    fn open(&self) -> Option<ContainerRef> {
        self.player.game.containers().keys().copied().find(|c| matches!(c, ContainerRef::Object(_)))
    }

    fn send(&mut self, msg: ClientMessage) {
        let _ = self.player.client.send(&msg);
    }

    fn move_stack(&mut self, from: ContainerRef, to: ContainerRef, stack: ItemSlot) {
        let count = self.some_of(&stack);
        let m = self.player.game.move_request((from, stack.slot), (to, ANY_SLOT), count);
        self.send(ClientMessage::InventoryMove(m));
    }

    fn bag_up(&mut self) -> Option<&'static str> {
        let bag = self.bag()?;
        let bag_kind = self.kinds.bag;
        let stack = self.pick(&ContainerRef::Own, |s| s.kind != bag_kind)?;
        self.move_stack(ContainerRef::Own, bag, stack);
        Some("into bag")
    }

    fn out_of_bag(&mut self) -> Option<&'static str> {
        let bag = self.bag()?;
        let stack = self.pick(&bag, |_| true)?;
        self.move_stack(bag, ContainerRef::Own, stack);
        Some("out of bag")
    }

    /// Part of a stack, or the bag with what it holds, dropped as a pile.
    fn drop_some(&mut self) -> Option<&'static str> {
        let box_item = self.kinds.box_item;
        let stack = self.pick(&ContainerRef::Own, |s| s.kind != box_item)?;
        let count = self.some_of(&stack);
        let d = self.player.game.drop_request(ContainerRef::Own, stack.slot, count);
        self.send(ClientMessage::Drop(d));
        Some("drop")
    }

    /// Nearby objects of `kind`, nearest first.
    fn near(&self, kind: u32) -> Vec<u64> {
        let Some((x, y)) = self.player.position() else { return Vec::new() };
        let chunks = self.player.game.world().chunks();
        let mut found = Vec::new();
        for &(cx, cy) in chunks.keys() {
            let Some(chunk) = chunks.get(cx, cy) else { continue };
            for o in chunk.objects().iter().filter(|o| u32::from(o.kind) == kind) {
                let d = (i64::from(o.x - x).pow(2) + i64::from(o.y - y).pow(2)).isqrt();
                if d <= NEAR {
                    found.push((d, o.entity));
                }
            }
        }
        found.sort_unstable();
        found.into_iter().map(|(_, e)| e).collect()
    }

    fn pick_up(&mut self) -> Option<&'static str> {
        let piles = self.near(self.kinds.pile);
        let pile = *piles.get(self.below(piles.len().max(1)))?;
        let p = self.player.game.pickup_request(EntityId(pile));
        self.send(ClientMessage::Pickup(p));
        Some("pick up")
    }

    fn place_box(&mut self) -> Option<&'static str> {
        let box_item = self.kinds.box_item;
        let stack = self.pick(&ContainerRef::Own, |s| s.kind == box_item)?;
        let d = self.player.game.drop_request(ContainerRef::Own, stack.slot, 1);
        self.send(ClientMessage::Drop(d));
        Some("place box")
    }

    fn interact_with_box(&mut self, action: u8) -> bool {
        let Some(&target) = self.near(self.kinds.box_object).first() else { return false };
        self.player.order(Order::Interact { target: EntityId(target), action });
        true
    }

    fn open_box(&mut self) -> Option<&'static str> {
        self.interact_with_box(verb::USE).then_some("open box")
    }

    fn fold_box(&mut self) -> Option<&'static str> {
        self.interact_with_box(verb::PICK_UP).then_some("fold box")
    }

    /// A stack (or the bag) from the inventory into the open box.
    fn stash(&mut self) -> Option<&'static str> {
        let open = self.open()?;
        let stack = self.pick(&ContainerRef::Own, |_| true)?;
        self.move_stack(ContainerRef::Own, open, stack);
        Some("stash")
    }

    fn unstash(&mut self) -> Option<&'static str> {
        let open = self.open()?;
        let stack = self.pick(&open, |_| true)?;
        self.move_stack(open, ContainerRef::Own, stack);
        Some("unstash")
    }
}

impl Stasher {
    /// Logs out and at once in again (or in again over the open session, which replaces it),
    /// then waits to be shown the inventory. A failed login (the shard is gone) keeps the old
    /// connection.
    fn relog(&mut self) -> &'static str {
        let politely = self.next().is_multiple_of(2);
        if politely {
            let ws = self.player.client.websocket_mut();
            let _ = ws.close(None);
            let _ = ws.flush();
        }
        let Ok(mut fresh) = Player::connect(self.addr, &self.name, self.player.token()) else {
            return "relog failed";
        };
        let _ = fresh.pump_until(Duration::from_secs(5), |p| p.game.container(&ContainerRef::Own).is_some());
        self.player = fresh;
        if politely { "log out and in" } else { "log in over the session" }
    }
}
