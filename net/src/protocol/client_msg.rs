//! Client → server messages: typed values, encoders and never-panicking decoders.

use zerocopy::IntoBytes;
use zerocopy::byteorder::little_endian::{I32, U16, U32, U64};

use super::wire::{
    AckWire, CloseContainerWire, CraftWire, DropWire, HelloWire, InputWire, InventoryMoveWire, PickupWire,
    PingWire,
};
use super::{
    Chat, ContainerRef, DecodeError, EntityId, MAX_NAME_LEN, PROTOCOL_VERSION, Plant, SessionToken, UseItem,
    clamp_str, expect_end, msg_type, order_code, read_fixed, take_str,
};

/// First message of a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    /// Player name, UTF-8, at most 32 bytes (longer names are truncated by the encoder).
    pub name: String,
    /// Session token to resume (or a redirect token), `SessionToken::NONE` for a new session.
    pub token: SessionToken,
}

/// An order given by the player, carried by `Input`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Stop whatever the character is doing.
    Stop,
    /// Walk to a point (1/256 tile fixed point).
    MoveTo {
        /// Target x.
        x: i32,
        /// Target y.
        y: i32,
    },
    /// Follow an entity.
    Follow(EntityId),
    /// Interact with an entity using a content-defined action.
    Interact {
        /// The entity.
        target: EntityId,
        /// The action id.
        action: u8,
    },
    /// Attack an entity.
    Attack(EntityId),
}

impl Order {
    /// Its kind on the wire ([`order_code`]).
    pub fn code(&self) -> u8 {
        match self {
            Order::Stop => order_code::STOP,
            Order::MoveTo { .. } => order_code::MOVE_TO,
            Order::Follow(_) => order_code::FOLLOW,
            Order::Interact { .. } => order_code::INTERACT,
            Order::Attack(_) => order_code::ATTACK,
        }
    }

    /// Its target entity, [`EntityId::NONE`] for orders without one.
    pub fn target(&self) -> EntityId {
        match *self {
            Order::Stop | Order::MoveTo { .. } => EntityId::NONE,
            Order::Follow(t) | Order::Interact { target: t, .. } | Order::Attack(t) => t,
        }
    }
}

/// A sequenced player input (used for client-side prediction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Input {
    /// Sequence number, echoed as `Frame.last_input_seq` once applied.
    pub seq: u32,
    /// The order.
    pub order: Order,
}

/// Craft `count` times the recipe `recipe`, optionally at a station.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Craft {
    /// Request id echoed in errors.
    pub request: u32,
    /// Recipe id.
    pub recipe: u16,
    /// Repetitions.
    pub count: u16,
    /// Station entity or `EntityId::NONE`.
    pub station: EntityId,
}

/// Move `count` items from a slot of one container to a slot of another (or the same) one.
/// A revision of 0 means "do not check"; otherwise the request is refused as stale (110) when
/// the container changed since the client saw that revision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InventoryMove {
    /// Request id, echoed in an Error about this request.
    pub request: u32,
    /// Source container.
    pub from: ContainerRef,
    /// Source slot.
    pub from_slot: u16,
    /// Source revision the client saw (0 = do not check).
    pub from_revision: u32,
    /// Destination container.
    pub to: ContainerRef,
    /// Destination slot, or [`super::ANY_SLOT`].
    pub to_slot: u16,
    /// Destination revision the client saw (0 = do not check).
    pub to_revision: u32,
    /// Number of items.
    pub count: u16,
}

/// Drop `count` items from a slot on the ground, into a pile object at or near the character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drop {
    /// Request id, echoed in an Error about this request.
    pub request: u32,
    /// The container the items are in.
    pub container: ContainerRef,
    /// Slot.
    pub slot: u16,
    /// Revision the client saw (0 = do not check).
    pub revision: u32,
    /// Number of items.
    pub count: u16,
}

/// Pick up a pile lying on the ground: gives the same order as an Input interact on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pickup {
    /// Request id.
    pub request: u32,
    /// The pile object's entity.
    pub item: EntityId,
}

/// The client stops looking at the box it opened; the server answers with `ContainerClosed`
/// (reason 0) for it and the bags inside it. Other containers stay shown (ignored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseContainer {
    /// The container.
    pub container: ContainerRef,
}

/// Every message a client may send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientMessage {
    /// 0x01.
    Hello(Hello),
    /// 0x02.
    Input(Input),
    /// 0x03.
    Craft(Craft),
    /// 0x04.
    InventoryMove(InventoryMove),
    /// 0x05.
    Drop(Drop),
    /// 0x06.
    Pickup(Pickup),
    /// 0x07, answered by the network layer with `Pong`.
    Ping {
        /// Opaque value echoed back.
        nonce: u64,
    },
    /// 0x08.
    Ack(Ack),
    /// 0x09.
    CloseContainer(CloseContainer),
    /// 0x0B.
    UseItem(UseItem),
    /// 0x0A.
    Chat(Chat),
    /// 0x0C.
    Plant(Plant),
}

/// Frames received, so the server knows which state the client holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Ack {
    /// Tick of the newest `Frame` received.
    pub tick: u64,
    /// Bit `i` set: the frame of tick `tick - 1 - i` was received too.
    pub received: u32,
}

impl Ack {
    /// True when this ack says the frame of tick `t` arrived; `None` when `t` is newer than the
    /// ack or older than its 32-frame window (unknown).
    pub fn received(&self, t: u64) -> Option<bool> {
        if t == self.tick {
            return Some(true);
        }
        let back = self.tick.checked_sub(t)?.checked_sub(1)?;
        (back < 32).then(|| self.received & (1 << back) != 0)
    }
}

impl ClientMessage {
    /// The type byte of this message.
    pub fn msg_type(&self) -> u8 {
        match self {
            ClientMessage::Hello(_) => msg_type::HELLO,
            ClientMessage::Input(_) => msg_type::INPUT,
            ClientMessage::Craft(_) => msg_type::CRAFT,
            ClientMessage::InventoryMove(_) => msg_type::INVENTORY_MOVE,
            ClientMessage::Drop(_) => msg_type::DROP,
            ClientMessage::Pickup(_) => msg_type::PICKUP,
            ClientMessage::Ping { .. } => msg_type::PING,
            ClientMessage::Ack(_) => msg_type::ACK,
            ClientMessage::CloseContainer(_) => msg_type::CLOSE_CONTAINER,
            ClientMessage::UseItem(_) => msg_type::USE_ITEM,
            ClientMessage::Chat(_) => msg_type::CHAT,
            ClientMessage::Plant(_) => msg_type::PLANT,
        }
    }

    /// Appends the encoded message to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.push(self.msg_type());
        match self {
            ClientMessage::Hello(h) => encode_hello(h, PROTOCOL_VERSION, out),
            ClientMessage::Input(i) => out.extend_from_slice(input_wire(i).as_bytes()),
            ClientMessage::Craft(c) => out.extend_from_slice(craft_wire(c).as_bytes()),
            ClientMessage::InventoryMove(m) => out.extend_from_slice(move_wire(m).as_bytes()),
            ClientMessage::Drop(d) => out.extend_from_slice(drop_wire(d).as_bytes()),
            ClientMessage::Pickup(p) => out.extend_from_slice(pickup_wire(p).as_bytes()),
            ClientMessage::Ping { nonce } => {
                out.extend_from_slice(PingWire { nonce: U64::new(*nonce) }.as_bytes())
            }
            ClientMessage::Ack(a) => out.extend_from_slice(
                AckWire { tick: U64::new(a.tick), received: U32::new(a.received) }.as_bytes(),
            ),
            ClientMessage::CloseContainer(c) => {
                out.extend_from_slice(CloseContainerWire { container: c.container.to_wire() }.as_bytes())
            }
            ClientMessage::UseItem(u) => u.encode_body(out),
            ClientMessage::Chat(c) => c.encode_body(out),
            ClientMessage::Plant(p) => p.encode_body(out),
        }
    }

    /// Encodes the message into a fresh buffer.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        self.encode_into(&mut out);
        out
    }

    /// Decodes one client message; never panics, every failure is a [`DecodeError`].
    /// A truncated message is reported in lengths of the whole message, type byte included.
    pub fn decode(bytes: &[u8]) -> Result<ClientMessage, DecodeError> {
        Self::decode_inner(bytes).map_err(|e| e.in_message(bytes.len()))
    }

    fn decode_inner(bytes: &[u8]) -> Result<ClientMessage, DecodeError> {
        let (&ty, body) = bytes.split_first().ok_or(DecodeError::Empty)?;
        match ty {
            msg_type::HELLO => decode_hello(body).map(ClientMessage::Hello),
            msg_type::INPUT => decode_input(body).map(ClientMessage::Input),
            msg_type::CRAFT => decode_craft(body).map(ClientMessage::Craft),
            msg_type::INVENTORY_MOVE => decode_move(body).map(ClientMessage::InventoryMove),
            msg_type::DROP => decode_drop(body).map(ClientMessage::Drop),
            msg_type::PICKUP => decode_pickup(body).map(ClientMessage::Pickup),
            msg_type::PING => decode_ping(body),
            msg_type::ACK => decode_ack(body),
            msg_type::CLOSE_CONTAINER => decode_close(body).map(ClientMessage::CloseContainer),
            msg_type::USE_ITEM => UseItem::decode_body(body).map(ClientMessage::UseItem),
            msg_type::CHAT => Chat::decode_body(body).map(ClientMessage::Chat),
            msg_type::PLANT => Plant::decode_body(body).map(ClientMessage::Plant),
            other => Err(DecodeError::UnknownType(other)),
        }
    }
}

fn decode_ack(body: &[u8]) -> Result<ClientMessage, DecodeError> {
    let (w, rest) = read_fixed::<AckWire>(msg_type::ACK, body)?;
    expect_end(msg_type::ACK, rest)?;
    Ok(ClientMessage::Ack(Ack { tick: w.tick.get(), received: w.received.get() }))
}

/// Encodes a `Hello` body with an explicit protocol version (tests use other versions).
pub(crate) fn encode_hello(h: &Hello, version: u16, out: &mut Vec<u8>) {
    let name = clamp_str(&h.name, MAX_NAME_LEN);
    let wire = HelloWire { version: U16::new(version), name_len: name.len() as u8, token: h.token.0 };
    out.extend_from_slice(wire.as_bytes());
    out.extend_from_slice(name.as_bytes());
}

fn decode_hello(body: &[u8]) -> Result<Hello, DecodeError> {
    // The version is checked first so that a future Hello layout still gets a clear answer.
    if let Some(v) = body.get(..2) {
        let got = u16::from_le_bytes([v[0], v[1]]);
        if got != PROTOCOL_VERSION {
            return Err(DecodeError::VersionMismatch { got, expected: PROTOCOL_VERSION });
        }
    }
    let (w, rest) = read_fixed::<HelloWire>(msg_type::HELLO, body)?;
    let (name, rest) = take_str(msg_type::HELLO, "name", rest, usize::from(w.name_len), MAX_NAME_LEN)?;
    expect_end(msg_type::HELLO, rest)?;
    Ok(Hello { name: name.to_owned(), token: SessionToken(w.token) })
}

fn input_wire(i: &Input) -> InputWire {
    let mut w = InputWire { seq: U32::new(i.seq), order: i.order.code(), ..InputWire::default() };
    w.target = U64::new(i.order.target().0);
    match i.order {
        Order::MoveTo { x, y } => (w.x, w.y) = (I32::new(x), I32::new(y)),
        Order::Interact { action, .. } => w.action = action,
        Order::Stop | Order::Follow(_) | Order::Attack(_) => {}
    }
    w
}

fn decode_input(body: &[u8]) -> Result<Input, DecodeError> {
    let (w, rest) = read_fixed::<InputWire>(msg_type::INPUT, body)?;
    expect_end(msg_type::INPUT, rest)?;
    let target = EntityId(w.target.get());
    let order = match w.order {
        order_code::STOP => Order::Stop,
        order_code::MOVE_TO => Order::MoveTo { x: w.x.get(), y: w.y.get() },
        order_code::FOLLOW => Order::Follow(target),
        order_code::INTERACT => Order::Interact { target, action: w.action },
        order_code::ATTACK => Order::Attack(target),
        other => return Err(DecodeError::InvalidEnum { field: "order", value: other.into() }),
    };
    Ok(Input { seq: w.seq.get(), order })
}

fn craft_wire(c: &Craft) -> CraftWire {
    CraftWire {
        request: U32::new(c.request),
        recipe: U16::new(c.recipe),
        count: U16::new(c.count),
        station: U64::new(c.station.0),
    }
}

fn decode_craft(body: &[u8]) -> Result<Craft, DecodeError> {
    let (w, rest) = read_fixed::<CraftWire>(msg_type::CRAFT, body)?;
    expect_end(msg_type::CRAFT, rest)?;
    Ok(Craft {
        request: w.request.get(),
        recipe: w.recipe.get(),
        count: w.count.get(),
        station: EntityId(w.station.get()),
    })
}

fn move_wire(m: &InventoryMove) -> InventoryMoveWire {
    InventoryMoveWire {
        request: U32::new(m.request),
        from: m.from.to_wire(),
        from_slot: U16::new(m.from_slot),
        from_revision: U32::new(m.from_revision),
        to: m.to.to_wire(),
        to_slot: U16::new(m.to_slot),
        to_revision: U32::new(m.to_revision),
        count: U16::new(m.count),
    }
}

fn decode_move(body: &[u8]) -> Result<InventoryMove, DecodeError> {
    let (w, rest) = read_fixed::<InventoryMoveWire>(msg_type::INVENTORY_MOVE, body)?;
    expect_end(msg_type::INVENTORY_MOVE, rest)?;
    Ok(InventoryMove {
        request: w.request.get(),
        from: ContainerRef::from_wire(&w.from)?,
        from_slot: w.from_slot.get(),
        from_revision: w.from_revision.get(),
        to: ContainerRef::from_wire(&w.to)?,
        to_slot: w.to_slot.get(),
        to_revision: w.to_revision.get(),
        count: w.count.get(),
    })
}

fn drop_wire(d: &Drop) -> DropWire {
    DropWire {
        request: U32::new(d.request),
        container: d.container.to_wire(),
        slot: U16::new(d.slot),
        revision: U32::new(d.revision),
        count: U16::new(d.count),
    }
}

fn decode_drop(body: &[u8]) -> Result<Drop, DecodeError> {
    let (w, rest) = read_fixed::<DropWire>(msg_type::DROP, body)?;
    expect_end(msg_type::DROP, rest)?;
    Ok(Drop {
        request: w.request.get(),
        container: ContainerRef::from_wire(&w.container)?,
        slot: w.slot.get(),
        revision: w.revision.get(),
        count: w.count.get(),
    })
}

fn decode_close(body: &[u8]) -> Result<CloseContainer, DecodeError> {
    let (w, rest) = read_fixed::<CloseContainerWire>(msg_type::CLOSE_CONTAINER, body)?;
    expect_end(msg_type::CLOSE_CONTAINER, rest)?;
    Ok(CloseContainer { container: ContainerRef::from_wire(&w.container)? })
}

fn pickup_wire(p: &Pickup) -> PickupWire {
    PickupWire { request: U32::new(p.request), item: U64::new(p.item.0) }
}

fn decode_pickup(body: &[u8]) -> Result<Pickup, DecodeError> {
    let (w, rest) = read_fixed::<PickupWire>(msg_type::PICKUP, body)?;
    expect_end(msg_type::PICKUP, rest)?;
    Ok(Pickup { request: w.request.get(), item: EntityId(w.item.get()) })
}

fn decode_ping(body: &[u8]) -> Result<ClientMessage, DecodeError> {
    let (w, rest) = read_fixed::<PingWire>(msg_type::PING, body)?;
    expect_end(msg_type::PING, rest)?;
    Ok(ClientMessage::Ping { nonce: w.nonce.get() })
}

/// Encodes a `Hello` with any version number (for tests of the version check).
pub fn encode_hello_with_version(hello: &Hello, version: u16) -> Vec<u8> {
    let mut out = vec![msg_type::HELLO];
    encode_hello(hello, version, &mut out);
    out
}
