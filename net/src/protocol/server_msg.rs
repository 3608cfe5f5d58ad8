//! Server → client messages: typed values, encoders and never-panicking decoders.

use bytes::Bytes;
use zerocopy::IntoBytes;
use zerocopy::byteorder::little_endian::{I32, U16, U32, U64};

use super::wire::{ChunkDataWire, ChunkDropWire, ErrorWire, PongWire, RedirectWire, WelcomeWire};
use super::{
    ChatHeard, ContainerChange, ContainerClosed, ContainerContents, CraftProgress, DecodeError, EntityId,
    Frame, MAX_ADDRESS_LEN, MAX_ERROR_TEXT_LEN, ObjectDelta, SessionToken, Stats, clamp_str, expect_end,
    msg_type, read_fixed, take_str,
};

/// Bytes of an encoded `Welcome` (type byte included).
pub const WELCOME_LEN: usize = 1 + size_of::<WelcomeWire>();

/// The session is accepted: who the player is and where, on which map of which size, so a
/// client can draw its world from this first message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Welcome {
    /// Protocol version of the server.
    pub version: u16,
    /// Ticks per second.
    pub tick_rate_hz: u16,
    /// The player's own entity.
    pub player: EntityId,
    /// Current server tick.
    pub server_tick: u64,
    /// Map id.
    pub map: u32,
    /// Session token for reconnection.
    pub token: SessionToken,
    /// Own position x where the server placed the character, 1/256 tile.
    pub x: i32,
    /// Own position y, 1/256 tile.
    pub y: i32,
    /// Map width in chunks of 128×128 tiles (chunk x in `0..width_chunks`).
    pub width_chunks: u16,
    /// Map height in chunks (chunk y in `0..height_chunks`).
    pub height_chunks: u16,
    /// Continent of the map (`map >> 4`).
    pub continent: u16,
    /// Layer of the map (`map & 0xF`).
    pub layer: u16,
}

/// One chunk, compressed with zstd.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkData {
    /// Map id.
    pub map: u32,
    /// Chunk x.
    pub cx: i32,
    /// Chunk y.
    pub cy: i32,
    /// Chunk content version.
    pub version: u32,
    /// Decompressed size in bytes.
    pub raw_len: u32,
    /// zstd frame.
    pub data: Bytes,
}

/// A chunk left the client's area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkDrop {
    /// Map id.
    pub map: u32,
    /// Chunk x.
    pub cx: i32,
    /// Chunk y.
    pub cy: i32,
}

/// Reconnect to another shard with a one-time token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// WebSocket URL, e.g. `ws://10.0.0.2:7000/` (1..=255 bytes UTF-8, truncated by the encoder).
    pub address: String,
    /// One-time token to send in the next `Hello`.
    pub token: SessionToken,
}

/// An error report; the connection stays open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorMsg {
    /// Error code.
    pub code: u16,
    /// Request id the error is about (0 = none).
    pub request: u32,
    /// Human-readable text (at most 1024 bytes, truncated by the encoder).
    pub text: String,
}

/// Answer to a client `Ping`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pong {
    /// The ping's nonce.
    pub nonce: u64,
    /// Latest server tick known to the network layer.
    pub server_tick: u64,
}

/// Every message the server may send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerMessage {
    /// 0x81.
    Welcome(Welcome),
    /// 0x82.
    Frame(Frame),
    /// 0x83.
    ChunkData(ChunkData),
    /// 0x84.
    ChunkDrop(ChunkDrop),
    /// 0x85.
    Redirect(Redirect),
    /// 0x86.
    Error(ErrorMsg),
    /// 0x87.
    Pong(Pong),
    /// 0x88.
    ObjectDelta(ObjectDelta),
    /// 0x89.
    ContainerContents(ContainerContents),
    /// 0x8A.
    ContainerChange(ContainerChange),
    /// 0x8B.
    ContainerClosed(ContainerClosed),
    /// 0x8D.
    Stats(Stats),
    /// 0x8C.
    ChatHeard(ChatHeard),
    /// 0x8E.
    CraftProgress(CraftProgress),
}

impl ServerMessage {
    /// The type byte of this message.
    pub fn msg_type(&self) -> u8 {
        match self {
            ServerMessage::Welcome(_) => msg_type::WELCOME,
            ServerMessage::Frame(_) => msg_type::FRAME,
            ServerMessage::ChunkData(_) => msg_type::CHUNK_DATA,
            ServerMessage::ChunkDrop(_) => msg_type::CHUNK_DROP,
            ServerMessage::Redirect(_) => msg_type::REDIRECT,
            ServerMessage::Error(_) => msg_type::ERROR,
            ServerMessage::Pong(_) => msg_type::PONG,
            ServerMessage::ObjectDelta(_) => msg_type::OBJECT_DELTA,
            ServerMessage::ContainerContents(_) => msg_type::CONTAINER_CONTENTS,
            ServerMessage::ContainerChange(_) => msg_type::CONTAINER_CHANGE,
            ServerMessage::ContainerClosed(_) => msg_type::CONTAINER_CLOSED,
            ServerMessage::Stats(_) => msg_type::STATS,
            ServerMessage::ChatHeard(_) => msg_type::CHAT_HEARD,
            ServerMessage::CraftProgress(_) => msg_type::CRAFT_PROGRESS,
        }
    }

    /// Appends the encoded message to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        if let ServerMessage::Frame(f) = self {
            return f.encode_into(out);
        }
        out.push(self.msg_type());
        match self {
            ServerMessage::Welcome(w) => out.extend_from_slice(welcome_wire(w).as_bytes()),
            ServerMessage::Frame(_) => {}
            ServerMessage::ChunkData(c) => encode_chunk(c, out),
            ServerMessage::ChunkDrop(c) => out.extend_from_slice(chunk_drop_wire(c).as_bytes()),
            ServerMessage::Redirect(r) => encode_redirect(r, out),
            ServerMessage::Error(e) => encode_error(e, out),
            ServerMessage::Pong(p) => out.extend_from_slice(pong_wire(p).as_bytes()),
            ServerMessage::ObjectDelta(d) => d.encode_body(out),
            ServerMessage::ContainerContents(c) => c.encode_body(out),
            ServerMessage::ContainerChange(c) => c.encode_body(out),
            ServerMessage::ContainerClosed(c) => c.encode_body(out),
            ServerMessage::Stats(s) => s.encode_body(out),
            ServerMessage::ChatHeard(c) => c.encode_body(out),
            ServerMessage::CraftProgress(p) => p.encode_body(out),
        }
    }

    /// Encodes the message into shareable bytes.
    pub fn encode(&self) -> Bytes {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        Bytes::from(out)
    }

    /// Decodes one server message; never panics, every failure is a [`DecodeError`].
    /// A truncated message is reported in lengths of the whole message, type byte included.
    pub fn decode(bytes: &[u8]) -> Result<ServerMessage, DecodeError> {
        Self::decode_inner(bytes).map_err(|e| e.in_message(bytes.len()))
    }

    fn decode_inner(bytes: &[u8]) -> Result<ServerMessage, DecodeError> {
        let (&ty, body) = bytes.split_first().ok_or(DecodeError::Empty)?;
        match ty {
            msg_type::WELCOME => decode_welcome(body).map(ServerMessage::Welcome),
            msg_type::FRAME => Frame::decode_body(body).map(ServerMessage::Frame),
            msg_type::CHUNK_DATA => decode_chunk(body).map(ServerMessage::ChunkData),
            msg_type::CHUNK_DROP => decode_chunk_drop(body).map(ServerMessage::ChunkDrop),
            msg_type::REDIRECT => decode_redirect(body).map(ServerMessage::Redirect),
            msg_type::ERROR => decode_error(body).map(ServerMessage::Error),
            msg_type::PONG => decode_pong(body).map(ServerMessage::Pong),
            msg_type::OBJECT_DELTA => ObjectDelta::decode_body(body).map(ServerMessage::ObjectDelta),
            msg_type::CONTAINER_CONTENTS => {
                ContainerContents::decode_body(body).map(ServerMessage::ContainerContents)
            }
            msg_type::CONTAINER_CHANGE => {
                ContainerChange::decode_body(body).map(ServerMessage::ContainerChange)
            }
            msg_type::CONTAINER_CLOSED => {
                ContainerClosed::decode_body(body).map(ServerMessage::ContainerClosed)
            }
            msg_type::STATS => Stats::decode_body(body).map(ServerMessage::Stats),
            msg_type::CHAT_HEARD => ChatHeard::decode_body(body).map(ServerMessage::ChatHeard),
            msg_type::CRAFT_PROGRESS => CraftProgress::decode_body(body).map(ServerMessage::CraftProgress),
            other => Err(DecodeError::UnknownType(other)),
        }
    }
}

fn welcome_wire(w: &Welcome) -> WelcomeWire {
    WelcomeWire {
        version: U16::new(w.version),
        tick_rate_hz: U16::new(w.tick_rate_hz),
        player: U64::new(w.player.0),
        server_tick: U64::new(w.server_tick),
        map: U32::new(w.map),
        token: w.token.0,
        x: I32::new(w.x),
        y: I32::new(w.y),
        width_chunks: U16::new(w.width_chunks),
        height_chunks: U16::new(w.height_chunks),
        continent: U16::new(w.continent),
        layer: U16::new(w.layer),
    }
}

fn decode_welcome(body: &[u8]) -> Result<Welcome, DecodeError> {
    let (w, rest) = read_fixed::<WelcomeWire>(msg_type::WELCOME, body)?;
    expect_end(msg_type::WELCOME, rest)?;
    Ok(Welcome {
        version: w.version.get(),
        tick_rate_hz: w.tick_rate_hz.get(),
        player: EntityId(w.player.get()),
        server_tick: w.server_tick.get(),
        map: w.map.get(),
        token: SessionToken(w.token),
        x: w.x.get(),
        y: w.y.get(),
        width_chunks: w.width_chunks.get(),
        height_chunks: w.height_chunks.get(),
        continent: w.continent.get(),
        layer: w.layer.get(),
    })
}

fn encode_chunk(c: &ChunkData, out: &mut Vec<u8>) {
    let w = ChunkDataWire {
        map: U32::new(c.map),
        cx: I32::new(c.cx),
        cy: I32::new(c.cy),
        version: U32::new(c.version),
        raw_len: U32::new(c.raw_len),
    };
    out.extend_from_slice(w.as_bytes());
    out.extend_from_slice(&c.data);
}

fn decode_chunk(body: &[u8]) -> Result<ChunkData, DecodeError> {
    let (w, rest) = read_fixed::<ChunkDataWire>(msg_type::CHUNK_DATA, body)?;
    Ok(ChunkData {
        map: w.map.get(),
        cx: w.cx.get(),
        cy: w.cy.get(),
        version: w.version.get(),
        raw_len: w.raw_len.get(),
        data: Bytes::copy_from_slice(rest),
    })
}

fn chunk_drop_wire(c: &ChunkDrop) -> ChunkDropWire {
    ChunkDropWire { map: U32::new(c.map), cx: I32::new(c.cx), cy: I32::new(c.cy) }
}

fn decode_chunk_drop(body: &[u8]) -> Result<ChunkDrop, DecodeError> {
    let (w, rest) = read_fixed::<ChunkDropWire>(msg_type::CHUNK_DROP, body)?;
    expect_end(msg_type::CHUNK_DROP, rest)?;
    Ok(ChunkDrop { map: w.map.get(), cx: w.cx.get(), cy: w.cy.get() })
}

fn encode_redirect(r: &Redirect, out: &mut Vec<u8>) {
    let addr = clamp_str(&r.address, MAX_ADDRESS_LEN);
    let w = RedirectWire { token: r.token.0, addr_len: addr.len() as u8 };
    out.extend_from_slice(w.as_bytes());
    out.extend_from_slice(addr.as_bytes());
}

fn decode_redirect(body: &[u8]) -> Result<Redirect, DecodeError> {
    let ty = msg_type::REDIRECT;
    let (w, rest) = read_fixed::<RedirectWire>(ty, body)?;
    let (addr, rest) = take_str(ty, "address", rest, usize::from(w.addr_len), MAX_ADDRESS_LEN)?;
    expect_end(ty, rest)?;
    Ok(Redirect { address: addr.to_owned(), token: SessionToken(w.token) })
}

fn encode_error(e: &ErrorMsg, out: &mut Vec<u8>) {
    let text = clamp_str(&e.text, MAX_ERROR_TEXT_LEN);
    let w = ErrorWire {
        code: U16::new(e.code),
        request: U32::new(e.request),
        text_len: U16::new(text.len() as u16),
    };
    out.extend_from_slice(w.as_bytes());
    out.extend_from_slice(text.as_bytes());
}

fn decode_error(body: &[u8]) -> Result<ErrorMsg, DecodeError> {
    let ty = msg_type::ERROR;
    let (w, rest) = read_fixed::<ErrorWire>(ty, body)?;
    let len = usize::from(w.text_len.get());
    let (text, rest) = take_str(ty, "text", rest, len, MAX_ERROR_TEXT_LEN)?;
    expect_end(ty, rest)?;
    Ok(ErrorMsg { code: w.code.get(), request: w.request.get(), text: text.to_owned() })
}

fn pong_wire(p: &Pong) -> PongWire {
    PongWire { nonce: U64::new(p.nonce), server_tick: U64::new(p.server_tick) }
}

fn decode_pong(body: &[u8]) -> Result<Pong, DecodeError> {
    let (w, rest) = read_fixed::<PongWire>(msg_type::PONG, body)?;
    expect_end(msg_type::PONG, rest)?;
    Ok(Pong { nonce: w.nonce.get(), server_tick: w.server_tick.get() })
}
