//! Local chat on a real map simulation: the content's `[chat]` rules and their validation, who
//! hears a line (the speaker with its request id, players within the radius, not those beyond
//! it, not bots), the rate limit and refusals that reach nobody, and the client library's side
//! (chat requests with fresh ids, the lines heard kept). The rules' worked examples
//! (sanitizing, the bucket, the exact radius) are unit tests in `game/src/chat/`; the same over
//! a real socket is `tools/tests/chat.rs`.

mod map_common;

use engine::Entity;
use game::chat::{ChatError, MapChat, Speaker};
use game::client::{Applied, ClientWorldError, GameClient};
use game::content::ContentTexts;
use game::geom::{CHUNK_UNITS, TILE};
use game::{Content, Controller, MapSim};
use net::protocol::{Chat, ChatHeard, EntityId, PROTOCOL_VERSION, ServerMessage, SessionToken, Welcome};
use net::{ConnId, Outbound};
use std::sync::Arc;

const C: i32 = 3 * CHUNK_UNITS + CHUNK_UNITS / 2;

fn sim(dir: &tempfile::TempDir) -> MapSim {
    map_common::plain_map(dir, Arc::new(Content::builtin())).0
}

/// A map with chat and characters at `(dx, dy)` tiles from the middle: players listening on
/// connection `i` (character `i`), or bots.
struct Scene {
    sim: MapSim,
    chat: MapChat,
    characters: Vec<Entity>,
}

fn scene(dir: &tempfile::TempDir, at: &[(i32, i32, bool)]) -> Scene {
    let mut sim = sim(dir);
    let chat = MapChat::install(&mut sim, 20).expect("install chat");
    let mut characters = Vec::new();
    for (i, &(dx, dy, player)) in at.iter().enumerate() {
        let controller = if player { Controller::Player(i as i64) } else { Controller::Bot };
        let e = sim.spawn_character(controller, C + dx * TILE, C + dy * TILE);
        if player {
            assert!(chat.listen(&mut sim, e, ConnId::from_u64(i as u64), 0));
        }
        characters.push(e);
    }
    sim.tick(0); // the movement stage builds the characters' grid
    Scene { sim, chat, characters }
}

impl Scene {
    /// Character `who` says `text` with request `request` at `tick`: who received what.
    fn say(
        &self,
        who: usize,
        request: u32,
        text: &str,
        tick: u64,
    ) -> Result<Vec<(u64, ChatHeard)>, ChatError> {
        let line = Chat { request, text: text.into() };
        let speaker = Speaker { character: self.characters[who], name: "ann" };
        let mut got = Vec::new();
        let heard = self.chat.say(&self.sim, speaker, &line, tick, |conn, out: Outbound| {
            assert!(!out.replaceable, "chat is reliable");
            match ServerMessage::decode(&out.payload) {
                Ok(ServerMessage::ChatHeard(h)) => got.push((conn.to_u64(), h)),
                other => panic!("not a ChatHeard: {other:?}"),
            }
        })?;
        assert_eq!(heard, got.len());
        Ok(got)
    }
}

#[test]
fn the_shipped_chat_rules_load() {
    let chat = Content::builtin().chat;
    assert_eq!((chat.radius, chat.max_chars, chat.per_10s), (24, 200, 5));
}

#[test]
fn bad_chat_rules_name_the_field() {
    let world = ContentTexts::BUILTIN.world;
    let with = |from: &str, to: &str| {
        assert!(world.contains(from), "{from}");
        let w = world.replace(from, to);
        Content::from_texts(ContentTexts { world: &w, ..ContentTexts::BUILTIN }).unwrap_err()
    };
    let e = with("radius = 24", "radius = 0");
    assert_eq!((e.file.as_str(), e.field.as_str()), ("world.toml", "chat.radius"), "{e}");
    let e = with("radius = 24", "radius = 129");
    assert!(e.reason.contains("1..=128"), "{e}");
    let e = with("max_chars = 200", "max_chars = 257");
    assert_eq!(e.field, "chat.max_chars", "{e}");
    assert!(e.reason.contains("1..=256"), "a line of max_chars always fits the wire's 1024 bytes: {e}");
    let e = with("per_10s = 5", "per_10s = 0");
    assert_eq!(e.field, "chat.per_10s", "{e}");
    let e = with("[chat]", "[chatter]");
    assert!(e.to_string().contains("chat"), "a missing or misspelt table is named: {e}");
}

#[test]
fn players_within_the_radius_hear_and_the_speaker_gets_its_request_back() {
    let dir = tempfile::tempdir().unwrap();
    let s = scene(
        &dir,
        &[
            (0, 0, true),   // 0: the speaker
            (3, 4, true),   // 1: 5 tiles away
            (24, 0, true),  // 2: on the radius (24 tiles)
            (25, 0, true),  // 3: beyond it
            (2, 0, false),  // 4: a bot, near
            (0, -70, true), // 5: far away
        ],
    );
    let got = s.say(0, 9, "  hello there  ", 5).unwrap();
    let conns: Vec<u64> = got.iter().map(|(c, _)| *c).collect();
    assert_eq!(conns[0], 0, "the speaker's copy comes first");
    let mut others = conns[1..].to_vec();
    others.sort_unstable();
    assert_eq!(others, [1, 2], "not 3 (beyond), not the bot, not 5 (far)");
    let (_, own) = &got[0];
    assert_eq!(own.request, 9, "the speaker's copy confirms its request");
    assert_eq!(own.text, "hello there", "as sanitized");
    assert_eq!((own.name.as_str(), own.tick), ("ann", 5));
    assert_eq!(own.speaker.0, s.characters[0].to_bits());
    for (_, h) in &got[1..] {
        assert_eq!(h, &ChatHeard { request: 0, ..own.clone() }, "everyone else's copy has no request");
    }
    // The far player speaks: only itself hears.
    let got = s.say(5, 1, "anyone?", 6).unwrap();
    assert_eq!(got.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [5]);
}

#[test]
fn a_refused_line_reaches_nobody_and_the_rate_is_per_player() {
    let dir = tempfile::tempdir().unwrap();
    let s = scene(&dir, &[(0, 0, true), (1, 0, true)]);
    assert_eq!(s.say(0, 1, "a\u{202E}b", 10), Err(ChatError::BidiControl('\u{202E}')));
    assert_eq!(s.say(0, 2, "tab\there", 10), Err(ChatError::ControlCharacter('\t')));
    assert_eq!(s.say(0, 3, "\u{200B} ", 10), Err(ChatError::Empty));
    assert!(matches!(s.say(0, 4, &"x".repeat(201), 10), Err(ChatError::TooLong { chars: 201, max: 200 })));
    // Four lines spent (refused ones count): one more, then too fast.
    assert_eq!(s.say(0, 5, "fifth", 10).unwrap().len(), 2);
    assert_eq!(s.say(0, 6, "sixth", 10), Err(ChatError::TooFast));
    assert_eq!(ChatError::TooFast.code(), 141);
    // The other player still has its own five lines.
    assert!((0..5).all(|n| s.say(1, n, "mine", 10).is_ok()));
    // 2 s later (40 ticks at 20 Hz), one more line.
    assert_eq!(s.say(0, 7, "again", 49), Err(ChatError::TooFast));
    assert!(s.say(0, 8, "again", 50).is_ok());
}

#[test]
fn a_character_that_is_not_a_listener_is_heard_by_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let s = scene(&dir, &[(0, 0, false), (1, 0, true)]);
    assert_eq!(s.say(0, 1, "beep", 3).unwrap(), Vec::new(), "bots do not chat");
}

#[test]
fn the_client_library_makes_requests_and_keeps_what_it_heard() {
    let mut client = GameClient::new(Arc::new(Content::builtin()));
    let line = |request, text: &str| ChatHeard {
        speaker: EntityId(7),
        tick: 3,
        request,
        name: "bo".into(),
        text: text.into(),
    };
    let heard = ServerMessage::ChatHeard(line(0, "hi"));
    assert_eq!(client.handle(&heard), Err(ClientWorldError::NotWelcomed));
    let welcome = Welcome {
        version: PROTOCOL_VERSION,
        tick_rate_hz: 20,
        player: EntityId(1),
        server_tick: 1,
        map: 0,
        token: SessionToken([7; 32]),
        x: 64 * 256,
        y: 64 * 256,
        width_chunks: 32,
        height_chunks: 32,
        continent: 0,
        layer: 0,
    };
    assert_eq!(client.handle(&ServerMessage::Welcome(welcome)), Ok(Applied::Welcome));
    let (a, b) = (client.chat_request("one"), client.chat_request("two"));
    assert_ne!(a.request, b.request, "fresh request ids");
    assert!(a.request != 0 && b.request != 0, "0 is no request");
    assert_eq!(a.text, "one");
    assert_eq!(client.handle(&heard), Ok(Applied::ChatHeard { speaker: EntityId(7), request: 0 }));
    let own = ServerMessage::ChatHeard(line(a.request, "one"));
    assert_eq!(client.handle(&own), Ok(Applied::ChatHeard { speaker: EntityId(7), request: a.request }));
    let texts: Vec<&str> = client.chat().lines().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["hi", "one"], "oldest first");
    for n in 0..100 {
        client.handle(&ServerMessage::ChatHeard(line(0, &n.to_string()))).unwrap();
    }
    assert_eq!(client.chat().lines().len(), game::client::CHAT_LOG_LINES, "bounded");
    assert_eq!(client.chat().last().map(|l| l.text.as_str()), Some("99"));
    assert_eq!(client.chat().heard(), 102);
}
