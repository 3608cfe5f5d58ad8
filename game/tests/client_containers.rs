//! The client library's containers: `ContainerContents` replaces a view, a `ContainerChange`
//! applies only at the revision held (otherwise the view is out of sync until the next
//! contents), `ContainerClosed` forgets it, bad slots are refused without a change, a new
//! session forgets everything, and item requests carry the revisions held and fresh request ids.

use game::Content;
use game::client::{Applied, ClientWorldError, ContainerView, GameClient};
use net::protocol::{
    ANY_SLOT, ClientMessage, ContainerChange, ContainerClosed, ContainerContents, ContainerRef, EntityId,
    ItemSlot, PROTOCOL_VERSION, ServerMessage, SessionToken, Welcome, closed_reason,
};
use std::sync::Arc;

const BOX: ContainerRef = ContainerRef::Object(EntityId(0x0001_0000_0009));
const BAG: ContainerRef = ContainerRef::Item(41);

fn welcome(player: u64) -> ServerMessage {
    ServerMessage::Welcome(Welcome {
        version: PROTOCOL_VERSION,
        tick_rate_hz: 20,
        player: EntityId(player),
        server_tick: 1,
        map: 0,
        token: SessionToken([7; 32]),
        x: 64 * 256,
        y: 64 * 256,
        width_chunks: 32,
        height_chunks: 32,
        continent: 0,
        layer: 0,
    })
}

fn welcomed() -> GameClient {
    let mut client = GameClient::new(Arc::new(Content::builtin()));
    assert_eq!(client.handle(&welcome(1)), Ok(Applied::Welcome));
    client
}

/// Encodes and decodes a message as a client would receive it.
fn received(msg: ServerMessage) -> ServerMessage {
    ServerMessage::decode(&msg.encode()).expect("decodes")
}

fn stack(slot: u16, item: u64, count: u32) -> ItemSlot {
    ItemSlot { slot, item, kind: 3, quality: 1, count }
}

fn contents(container: ContainerRef, revision: u32, capacity: u16, slots: &[ItemSlot]) -> ServerMessage {
    received(ServerMessage::ContainerContents(ContainerContents {
        container,
        revision,
        capacity,
        slots: slots.to_vec(),
    }))
}

fn change(container: ContainerRef, base_revision: u32, revision: u32, slots: &[ItemSlot]) -> ServerMessage {
    received(ServerMessage::ContainerChange(ContainerChange {
        container,
        base_revision,
        revision,
        slots: slots.to_vec(),
    }))
}

fn closed(container: ContainerRef, reason: u8) -> ServerMessage {
    received(ServerMessage::ContainerClosed(ContainerClosed { container, reason }))
}

fn slots(view: &ContainerView) -> Vec<(u16, u64, u32)> {
    view.slots.values().map(|s| (s.slot, s.item, s.count)).collect()
}

#[test]
fn contents_then_changes_at_the_revision_held() {
    let mut c = welcomed();
    let own = ContainerRef::Own;
    let shown = c.handle(&contents(own, 4, 8, &[stack(0, 10, 5), stack(2, 11, 1)]));
    assert_eq!(shown, Ok(Applied::ContainerContents { container: own, revision: 4 }));
    let view = c.container(&own).unwrap();
    assert_eq!((view.revision, view.capacity, view.out_of_sync), (4, 8, false));
    assert_eq!(slots(view), [(0, 10, 5), (2, 11, 1)]);
    assert_eq!(view.first_free_slot(), Some(1));

    // Slot 0 emptied, slot 1 filled, slot 2's stack grows.
    let moved = change(own, 4, 5, &[ItemSlot::empty(0), stack(1, 10, 5), stack(2, 11, 3)]);
    assert_eq!(c.handle(&moved), Ok(Applied::ContainerChange { container: own, revision: 5 }));
    let view = c.container(&own).unwrap();
    assert_eq!(view.revision, 5);
    assert_eq!(slots(view), [(1, 10, 5), (2, 11, 3)]);
    assert_eq!(view.slot(0), None);
    assert_eq!(c.world().stats().container_changes, 1);

    // A second container is held beside the first; contents replace everything held of it.
    c.handle(&contents(BOX, 1, 4, &[stack(3, 20, 1)])).unwrap();
    c.handle(&contents(BOX, 7, 6, &[stack(5, 21, 2)])).unwrap();
    assert_eq!(c.containers().keys().copied().collect::<Vec<_>>(), [own, BOX]);
    assert_eq!(slots(c.container(&BOX).unwrap()), [(5, 21, 2)]);
    assert_eq!(c.container(&BOX).unwrap().capacity, 6);
}

#[test]
fn a_missed_change_marks_the_view_out_of_sync_until_the_next_contents() {
    let mut c = welcomed();
    c.handle(&contents(BAG, 2, 4, &[stack(0, 10, 1)])).unwrap();

    // The change 2 → 3 was missed; 3 → 4 does not apply to revision 2.
    let ahead = c.handle(&change(BAG, 3, 4, &[stack(1, 12, 1)]));
    assert_eq!(ahead, Ok(Applied::ContainerOutOfSync { container: BAG, held: Some(2), base_revision: 3 }));
    let view = c.container(&BAG).unwrap();
    assert!(view.out_of_sync);
    assert_eq!((view.revision, slots(view)), (2, vec![(0, 10, 1)]), "nothing applied");

    // Even a change that names the revision held waits: the view is known to be wrong.
    let again = c.handle(&change(BAG, 2, 3, &[ItemSlot::empty(0)]));
    assert!(matches!(again, Ok(Applied::ContainerOutOfSync { held: Some(2), .. })));
    assert_eq!(c.world().stats().containers_out_of_sync, 2);

    // The next contents bring it back; changes apply again.
    c.handle(&contents(BAG, 4, 4, &[stack(1, 12, 1)])).unwrap();
    assert!(!c.container(&BAG).unwrap().out_of_sync);
    assert_eq!(
        c.handle(&change(BAG, 4, 5, &[])),
        Ok(Applied::ContainerChange { container: BAG, revision: 5 })
    );

    // A change for a container never shown has nothing to apply to.
    let unknown = c.handle(&change(BOX, 1, 2, &[stack(0, 1, 1)]));
    assert_eq!(unknown, Ok(Applied::ContainerOutOfSync { container: BOX, held: None, base_revision: 1 }));
    assert_eq!(c.container(&BOX), None);
}

#[test]
fn closed_containers_are_forgotten() {
    let mut c = welcomed();
    c.handle(&contents(BOX, 1, 4, &[stack(0, 41, 1)])).unwrap();
    c.handle(&contents(BAG, 1, 2, &[])).unwrap();
    let out = c.handle(&closed(BOX, closed_reason::OUT_OF_REACH));
    assert_eq!(
        out,
        Ok(Applied::ContainerClosed { container: BOX, reason: closed_reason::OUT_OF_REACH, held: true })
    );
    assert_eq!(c.container(&BOX), None);
    assert!(c.container(&BAG).is_some(), "each container is closed by its own message");
    let out = c.handle(&closed(BAG, closed_reason::OUT_OF_REACH));
    assert!(matches!(out, Ok(Applied::ContainerClosed { held: true, .. })));
    let again = c.handle(&closed(BAG, closed_reason::GONE));
    assert_eq!(
        again,
        Ok(Applied::ContainerClosed { container: BAG, reason: closed_reason::GONE, held: false })
    );
    assert!(c.containers().is_empty());
}

#[test]
fn bad_slots_are_refused_and_change_nothing() {
    let mut c = welcomed();
    let own = ContainerRef::Own;
    let outside = ClientWorldError::SlotOutsideContainer { container: own, slot: 4, capacity: 4 };
    assert_eq!(c.handle(&contents(own, 1, 4, &[stack(4, 1, 1)])), Err(outside.clone()));
    assert_eq!(c.container(&own), None);
    let twice = contents(own, 1, 4, &[stack(1, 1, 1), stack(1, 2, 1)]);
    assert_eq!(c.handle(&twice), Err(ClientWorldError::RepeatedSlot { container: own, slot: 1 }));
    assert!(c.handle(&twice).unwrap_err().to_string().contains("slot 1"));

    c.handle(&contents(own, 1, 4, &[stack(0, 1, 1)])).unwrap();
    let bad = change(own, 1, 2, &[ItemSlot::empty(0), stack(4, 1, 1)]);
    assert_eq!(c.handle(&bad), Err(outside));
    let view = c.container(&own).unwrap();
    assert_eq!(
        (view.revision, slots(view)),
        (1, vec![(0, 1, 1)]),
        "the valid record before it was not applied"
    );

    let mut fresh = GameClient::new(Arc::new(Content::builtin()));
    assert_eq!(fresh.handle(&contents(own, 1, 4, &[])), Err(ClientWorldError::NotWelcomed));
    assert_eq!(fresh.handle(&closed(own, 0)), Err(ClientWorldError::NotWelcomed));
}

#[test]
fn a_new_session_forgets_the_containers() {
    let mut c = welcomed();
    c.handle(&contents(ContainerRef::Own, 3, 4, &[stack(0, 1, 1)])).unwrap();
    c.handle(&welcome(2)).unwrap();
    assert!(c.containers().is_empty());
}

#[test]
fn requests_carry_the_revisions_held_and_fresh_ids() {
    let mut c = welcomed();
    c.handle(&contents(ContainerRef::Own, 6, 8, &[stack(0, 10, 5)])).unwrap();
    c.handle(&contents(BOX, 9, 4, &[])).unwrap();

    let mv = c.move_request((ContainerRef::Own, 0), (BOX, ANY_SLOT), 2);
    assert_eq!((mv.from_revision, mv.to_revision, mv.to_slot, mv.count), (6, 9, ANY_SLOT, 2));
    let unseen = c.move_request((ContainerRef::Own, 0), (BAG, 1), 1);
    assert_eq!(unseen.to_revision, 0, "a container not held is not checked");
    assert!(mv.request != 0 && unseen.request == mv.request + 1);

    let drop = c.drop_request(BOX, 3, 1);
    assert_eq!((drop.container, drop.slot, drop.revision, drop.count), (BOX, 3, 9, 1));
    let pickup = c.pickup_request(EntityId(77));
    assert_eq!((pickup.item, pickup.request), (EntityId(77), drop.request + 1));

    for msg in [
        ClientMessage::InventoryMove(mv),
        ClientMessage::Drop(drop),
        ClientMessage::Pickup(pickup),
        ClientMessage::CloseContainer(c.close_request(BOX)),
    ] {
        assert_eq!(ClientMessage::decode(&msg.encode()), Ok(msg));
    }
}

#[test]
fn every_item_error_code_is_in_the_spec() {
    use game::wire::error as code;
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/protocol.md"))
        .expect("schemas/protocol.md");
    let errors = &spec[spec.find("## 5. Error codes").expect("§5")..spec.find("## 6.").expect("§6")];
    let codes = [
        code::NO_SUCH_CONTAINER,
        code::NO_SUCH_SLOT,
        code::EMPTY_SLOT,
        code::NO_ROOM,
        code::WOULD_CONTAIN_ITSELF,
        code::TOO_DEEP,
        code::STACK_MISMATCH,
        code::STALE,
        code::BAD_COUNT,
        code::NO_IDS,
        code::OUT_OF_REACH,
        code::NOT_OPEN,
        code::NOT_EMPTY,
        code::CONTAINER_EXISTS,
        code::ID_IN_USE,
        code::UNKNOWN_KIND,
        code::STORAGE_BUSY,
    ];
    assert_eq!(codes.to_vec(), (103..=119).collect::<Vec<u16>>());
    for c in codes {
        assert!(errors.contains(&format!("\n| {c} | ")), "code {c} has a row in §5");
    }
}
