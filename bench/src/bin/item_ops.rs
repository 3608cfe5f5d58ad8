//! Item operations through the store's write-behind pool (issue #17): a realistic mix of item
//! transactions (move, split, merge, drop as `PutObject` + `Move`, pick-up as `Move` +
//! `DeleteObject`), each valid on the state the benchmark keeps in memory as the game would,
//! submitted to a real `Writer` for N seconds. Reports the sustained rate of durable transactions
//! (tickets resolved) and the latency from submit to durable, on SQLite and PostgreSQL.
//!
//! Usage: `item_ops [--backend sqlite|postgres|both] [--secs S] [--window W] [--rate R]
//! [--players P] [--max-batch B] [--pg URL]`. Closed loop by default: at most `W` transactions in flight (256),
//! submitted as fast as they resolve. With `--rate R`, open loop: one transaction every 1/R s
//! (the window then only caps the backlog). PostgreSQL: `--pg`, else `SHARD_TEST_PG`, else the
//! local server; a database is created for the run and dropped after. See bench/README.md.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use engine::DurationHistogram;
use store::{
    BackendConfig, Connector, Container, ItemOp, ItemRecord, ItemTx, ObjectRecord, PlayerRecord, Position,
    Ticket, Writer, WriterConfig,
};

const STACKS_PER_PLAYER: usize = 8;
const KINDS: u32 = 4;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[derive(Clone, Copy)]
struct Stack {
    id: i64,
    kind: u32,
    count: u32,
}

/// What one player has: stacks in the inventory, piles it dropped (object id, item inside).
#[derive(Default)]
struct Player {
    stacks: Vec<Stack>,
    piles: Vec<(i64, Stack)>,
}

/// The game side: validates each operation against its state, then describes it as an `ItemTx`.
struct Game {
    players: Vec<Player>,
    rng: Rng,
    next_item: i64,
    next_object: i64,
}

impl Game {
    fn new(players: usize) -> Game {
        let mut g =
            Game { players: Vec::new(), rng: Rng(0x9E37_79B9_7F4A_7C15), next_item: 1, next_object: 1 };
        for _ in 0..players {
            let stacks = (0..STACKS_PER_PLAYER)
                .map(|j| Stack { id: g.item_id(), kind: j as u32 % KINDS, count: 10 + j as u32 * 5 })
                .collect();
            g.players.push(Player { stacks, piles: Vec::new() });
        }
        g
    }

    fn item_id(&mut self) -> i64 {
        self.next_item += 1;
        self.next_item
    }

    fn record(p: usize, s: Stack, slot: usize) -> ItemRecord {
        let container = Container::Player(p as i64 + 1);
        ItemRecord { id: s.id, kind: s.kind, quality: 1, count: s.count, container, slot: slot as u32 }
    }

    /// The starting inventories, one transaction per player.
    fn seed_txs(&self) -> Vec<ItemTx> {
        let tx = |(p, pl): (usize, &Player)| {
            let ops =
                pl.stacks.iter().enumerate().map(|(i, s)| ItemOp::Put(Game::record(p, *s, i))).collect();
            ItemTx::new("seed", ops)
        };
        self.players.iter().enumerate().map(tx).collect()
    }

    /// The next operation of a random player: move 40 %, split 20 %, merge 20 %, drop 10 %,
    /// pick-up 10 % (falling back to a possible one when the player cannot).
    fn next_tx(&mut self) -> ItemTx {
        let p = self.rng.below(self.players.len());
        let roll = self.rng.below(10);
        let n = self.players[p].stacks.len();
        match roll {
            _ if n < 2 => {
                self.pick_up(p).unwrap_or_else(|| self.split(p).unwrap_or_else(|| self.move_stack(p)))
            }
            0..=3 => self.move_stack(p),
            4 | 5 if n < 16 => self.split(p).unwrap_or_else(|| self.move_stack(p)),
            4..=7 => self.merge(p).unwrap_or_else(|| self.move_stack(p)),
            8 => self.drop_stack(p),
            _ => self.pick_up(p).unwrap_or_else(|| self.drop_stack(p)),
        }
    }

    fn move_stack(&mut self, p: usize) -> ItemTx {
        let i = self.rng.below(self.players[p].stacks.len());
        let slot = self.rng.below(32) as u32;
        let id = self.players[p].stacks[i].id;
        ItemTx::new("move", vec![ItemOp::Move { id, to: Container::Player(p as i64 + 1), slot }])
    }

    fn split(&mut self, p: usize) -> Option<ItemTx> {
        let pl = &self.players[p];
        let i = pl.stacks.iter().position(|s| s.count >= 2)?;
        let from = pl.stacks[i];
        let part = from.count / 2;
        let new = Stack { id: self.item_id(), kind: from.kind, count: part };
        let slot = self.players[p].stacks.len();
        self.players[p].stacks[i].count -= part;
        self.players[p].stacks.push(new);
        let ops = vec![
            ItemOp::SetCount { id: from.id, count: from.count - part },
            ItemOp::Put(Game::record(p, new, slot)),
        ];
        Some(ItemTx::new("split", ops))
    }

    fn merge(&mut self, p: usize) -> Option<ItemTx> {
        let stacks = &mut self.players[p].stacks;
        let (a, b) = (0..stacks.len())
            .flat_map(|a| (a + 1..stacks.len()).map(move |b| (a, b)))
            .find(|&(a, b)| stacks[a].kind == stacks[b].kind)?;
        let gone = stacks.swap_remove(b);
        stacks[a].count += gone.count;
        let ops = vec![
            ItemOp::SetCount { id: stacks[a].id, count: stacks[a].count },
            ItemOp::Delete { id: gone.id },
        ];
        Some(ItemTx::new("merge", ops))
    }

    fn drop_stack(&mut self, p: usize) -> ItemTx {
        let i = self.rng.below(self.players[p].stacks.len());
        let stack = self.players[p].stacks.swap_remove(i);
        let id = self.next_object;
        self.next_object += 1;
        let cell = (p % 64) as i32;
        let pile = ObjectRecord {
            id,
            map: 1,
            grid_x: cell,
            grid_y: 0,
            kind: 50,
            pos: Position { x: cell * 256, y: 0 },
            holds_items: true,
            ..Default::default()
        };
        self.players[p].piles.push((id, stack));
        let ops =
            vec![ItemOp::PutObject(pile), ItemOp::Move { id: stack.id, to: Container::Object(id), slot: 0 }];
        ItemTx::new("drop", ops)
    }

    fn pick_up(&mut self, p: usize) -> Option<ItemTx> {
        let (pile, stack) = self.players[p].piles.pop()?;
        let slot = self.players[p].stacks.len() as u32;
        self.players[p].stacks.push(stack);
        let ops = vec![
            ItemOp::Move { id: stack.id, to: Container::Player(p as i64 + 1), slot },
            ItemOp::DeleteObject { id: pile },
        ];
        Some(ItemTx::new("pick up", ops))
    }
}

struct Options {
    secs: u64,
    window: usize,
    rate: Option<f64>,
    players: usize,
    max_batch: usize,
}

/// What one run measured.
struct Outcome {
    done: u64,
    errors: u64,
    elapsed: Duration,
    latency: DurationHistogram,
    per_second: Vec<u64>,
}

/// Submits for `o.secs` seconds, recording each transaction's submit-to-durable latency.
fn drive(writer: &Writer, game: &mut Game, o: &Options) -> Outcome {
    let mut inflight: VecDeque<(Ticket, Instant)> = VecDeque::new();
    let mut out = Outcome {
        done: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latency: DurationHistogram::new(),
        per_second: vec![0; o.secs as usize],
    };
    let start = Instant::now();
    let end = start + Duration::from_secs(o.secs);
    let mut submitted = 0u64;
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        let due = o.rate.map_or(u64::MAX, |r| ((now - start).as_secs_f64() * r) as u64 + 1);
        while inflight.len() < o.window && submitted < due {
            inflight.push_back((writer.item_tx(game.next_tx()).expect("queue has room"), Instant::now()));
            submitted += 1;
        }
        let next_due = o.rate.map_or(end, |r| start + Duration::from_secs_f64(submitted as f64 / r));
        let Some((oldest, _)) = inflight.front() else {
            std::thread::sleep(next_due.saturating_duration_since(Instant::now()));
            continue;
        };
        // Block on the oldest until it resolves or the next submit is due, then take every
        // resolved one (the writer resolves in submit order).
        let wait = next_due.min(end).saturating_duration_since(Instant::now());
        let first = oldest.wait(wait.max(Duration::from_micros(1)));
        if first == Err(store::StoreError::Timeout) {
            continue;
        }
        let mut result = Some(first);
        while let Some(r) = result.take().or_else(|| inflight.front().and_then(|(t, _)| t.try_take())) {
            let (_, at) = inflight.pop_front().expect("front exists");
            let now = Instant::now();
            out.latency.record(now - at);
            if r.is_err() {
                out.errors += 1;
            }
            if now < end {
                out.done += 1;
                let second = ((now - start).as_secs() as usize).min(out.per_second.len() - 1);
                out.per_second[second] += 1;
            }
        }
    }
    out.elapsed = start.elapsed();
    for (t, _) in inflight {
        let _ = t.wait(Duration::from_secs(60));
    }
    out
}

fn run(label: &str, backend: BackendConfig, o: &Options) {
    let connector = Connector::new(backend);
    connector.migrate().expect("migrate");
    let players: Vec<PlayerRecord> = (1..=o.players as i64)
        .map(|id| PlayerRecord { id, name: format!("p{id}"), token_hash: vec![0; 32], ..Default::default() })
        .collect();
    connector.connect().expect("connect").save_players(&players).expect("seed players");
    let writer = Writer::start(connector, WriterConfig { max_batch: o.max_batch, ..WriterConfig::default() });
    let mut game = Game::new(o.players);
    for tx in game.seed_txs() {
        writer.item_tx(tx).expect("queue");
    }
    assert!(writer.flush(Duration::from_secs(120)).complete(), "seed");
    let before = writer.stats();
    let out = drive(&writer, &mut game, o);
    let after = writer.stats();
    report(label, o, &out, &before, &after);
    writer.shutdown(Duration::from_secs(60));
}

fn report(label: &str, o: &Options, out: &Outcome, before: &store::WriterStats, after: &store::WriterStats) {
    let s = out.latency.summary();
    let ms = |us: u64| us as f64 / 1000.0;
    let commits = (after.flushes - after.position_batches) - (before.flushes - before.position_batches);
    let txs = after.item_txs_ok + after.item_txs_failed - before.item_txs_ok - before.item_txs_failed;
    let mode = o
        .rate
        .map_or(format!("closed loop, window {}", o.window), |r| format!("open loop, {r:.0} tx/s offered"));
    let mode = format!("{mode}, max_batch {}", o.max_batch);
    let slowest = out.per_second.iter().min().copied().unwrap_or(0);
    println!(
        "item_ops/{label} ({mode}, {} players): {} s, {} transactions durable, {:.0} tx/s \
         (slowest second {slowest}), latency p50 {:.1} ms p99 {:.1} ms max {:.1} ms, {} commits \
         ({:.1} transactions each), {} errors, {} retries",
        o.players,
        out.elapsed.as_secs(),
        out.done,
        out.done as f64 / out.elapsed.as_secs_f64(),
        ms(s.p50_us),
        ms(s.p99_us),
        ms(s.max_us),
        commits,
        txs as f64 / commits.max(1) as f64,
        out.errors,
        after.retries - before.retries,
    );
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let o = Options {
        secs: arg(&args, "--secs").and_then(|v| v.parse().ok()).unwrap_or(20).max(1),
        window: arg(&args, "--window").and_then(|v| v.parse().ok()).unwrap_or(256).max(1),
        rate: arg(&args, "--rate").and_then(|v| v.parse().ok()),
        players: arg(&args, "--players").and_then(|v| v.parse().ok()).unwrap_or(1000).max(1),
        max_batch: arg(&args, "--max-batch")
            .and_then(|v| v.parse().ok())
            .unwrap_or(WriterConfig::default().max_batch),
    };
    let o = Options {
        window: if o.rate.is_some() && arg(&args, "--window").is_none() { 60_000 } else { o.window },
        ..o
    };
    let which = arg(&args, "--backend").unwrap_or_else(|| "both".into());
    if which == "sqlite" || which == "both" {
        let dir = std::env::temp_dir().join(format!("item_ops_{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        run("sqlite", BackendConfig::Sqlite { path: dir.join("world.db") }, &o);
        let _ = std::fs::remove_dir_all(&dir);
    }
    if which == "postgres" || which == "both" {
        let admin = arg(&args, "--pg")
            .or_else(|| std::env::var("SHARD_TEST_PG").ok())
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!("shard_item_ops_{}", std::process::id());
        let url = store::admin::create_database(&admin, &name).expect("create benchmark database");
        run("postgres", BackendConfig::Postgres { url }, &o);
        if let Err(e) = store::admin::drop_database(&admin, &name) {
            eprintln!("could not drop {name}: {e}");
        }
    }
}
