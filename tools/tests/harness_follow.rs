//! A Follow whose target left before the order arrived: a scripted fake shard shows every bot
//! one other character nearby and answers each Follow with Error 101 (no such target), each
//! MoveTo of every other bot with Error 101 too. The report counts the first as follows lost,
//! a race of the game, and only the second as errors.

use net::protocol::{
    ClientMessage, EntityEnter, EntityId, EntityState, ErrorMsg, FrameBuilder, Order, OwnState,
    PROTOCOL_VERSION, ServerMessage, SessionToken, Welcome,
};
use net::{ConnId, Inbound, Outbound, Server, ServerConfig};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tools::harness::{self, HarnessConfig};

const NO_SUCH_TARGET: u16 = game::wire::error::NO_SUCH_TARGET;
const HOME: i32 = 64 * 256;

/// What the fake shard answered, by kind.
#[derive(Default)]
struct Answered {
    follows: AtomicU64,
    moves: AtomicU64,
}

fn welcome(player: u64, token: SessionToken) -> ServerMessage {
    let layout = game::Content::builtin().layout();
    let map = layout.map(0).expect("map 0");
    ServerMessage::Welcome(Welcome {
        version: PROTOCOL_VERSION,
        tick_rate_hz: 20,
        player: EntityId(player),
        server_tick: 1,
        map: 0,
        token,
        x: HOME,
        y: HOME,
        width_chunks: map.width_chunks as u16,
        height_chunks: map.height_chunks as u16,
        continent: 0,
        layer: 0,
    })
}

fn error(code: u16, request: u32) -> ServerMessage {
    ServerMessage::Error(ErrorMsg { code, request, text: "no such target".into() })
}

/// Serves until `stop`: welcomes, frames with one other character (entity 1_000_000) two tiles
/// away, and the Error 101 answers above: the MoveTos of every other bot are refused.
fn serve(server: Server, inbound: net::InboundReceiver, stop: Arc<AtomicBool>, seen: Arc<Answered>) {
    let handle = server.handle();
    let mut playing: HashMap<ConnId, (bool, u64)> = HashMap::new();
    let mut tick = 1;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(20));
        tick += 1;
        for ev in inbound.try_iter() {
            match ev {
                Inbound::Connected { conn, hello, .. } => {
                    let player = playing.len() as u64 + 1;
                    let _ = handle.send(conn, Outbound::reliable(welcome(player, hello.token).encode()));
                    playing.insert(conn, (false, player));
                }
                Inbound::Disconnected { conn, .. } => {
                    playing.remove(&conn);
                }
                Inbound::Message { conn, msg: ClientMessage::Input(input) } => {
                    let refuse_moves = playing.get(&conn).is_some_and(|&(_, p)| p % 2 == 1);
                    let answer = match input.order {
                        Order::Follow(_) => Some(&seen.follows),
                        Order::MoveTo { .. } if refuse_moves => Some(&seen.moves),
                        _ => None,
                    };
                    if let Some(count) = answer {
                        count.fetch_add(1, Ordering::Relaxed);
                        let _ =
                            handle.send(conn, Outbound::reliable(error(NO_SUCH_TARGET, input.seq).encode()));
                    }
                }
                Inbound::Message { .. } => {}
            }
        }
        for (&conn, (entered, _)) in playing.iter_mut() {
            let own = OwnState { x: HOME, y: HOME, hp: 100, max_hp: 100, ..OwnState::default() };
            let mut frame = FrameBuilder::new(tick, 0, &own);
            if !*entered {
                let state = EntityState { x: HOME + 512, y: HOME, hp: 100, ..EntityState::default() };
                frame.push_enter(&EntityEnter { id: EntityId(1_000_000), kind: 0, state });
                *entered = true;
            }
            let _ = handle.send(conn, Outbound::frame(frame.finish()));
        }
    }
    server.shutdown();
}

#[test]
fn a_follow_whose_target_left_is_counted_and_no_error() {
    let cfg = ServerConfig { bind: SocketAddr::from(([127, 0, 0, 1], 0)), ..ServerConfig::default() };
    let (server, inbound) = Server::start(cfg).expect("fake shard starts");
    let addr = server.local_addr();
    let (stop, seen) = (Arc::new(AtomicBool::new(false)), Arc::new(Answered::default()));
    let thread = {
        let (stop, seen) = (stop.clone(), seen.clone());
        std::thread::spawn(move || serve(server, inbound, stop, seen))
    };

    let mut cfg = HarnessConfig::new(addr, 40);
    cfg.duration = Duration::from_secs(6);
    let report = harness::run(cfg).expect("a run");
    stop.store(true, Ordering::Relaxed);
    thread.join().expect("the fake shard ends");

    let (follows, moves) = (seen.follows.load(Ordering::Relaxed), seen.moves.load(Ordering::Relaxed));
    assert!(follows > 0 && moves > 0, "the bots followed ({follows}) and moved ({moves}): {report}");
    assert_eq!(report.follows_lost, follows, "every refused Follow counted: {report}");
    assert_eq!(report.error_kinds.get("server_error:101"), Some(&moves), "{report}");
    assert_eq!(report.errors, moves, "nothing else is an error: {report}");
    assert!(report.to_string().contains(&format!("follows lost {follows}")), "{report}");
}
