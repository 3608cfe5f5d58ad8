//! Several shard processes over one PostgreSQL database and one Redis prefix: starting a shard
//! for some maps, reading its `/metrics`, posting an operator's command, waiting for a condition.

use super::{PgDb, RedisPrefix, ShardProcess, redis_url};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use store::meta::RedisMeta;

/// Starts shard `id` simulating `maps` (comma-separated ids) with a `lease_s` lease, plus
/// `extra` arguments.
pub fn cluster_shard(
    id: &str,
    maps: &str,
    lease_s: u64,
    (db, redis): (&PgDb, &RedisPrefix),
    extra: &[&str],
) -> ShardProcess {
    cluster_shard_env(id, maps, lease_s, (db, redis), extra, &[])
}

/// [`cluster_shard`] with extra environment variables.
pub fn cluster_shard_env(
    id: &str,
    maps: &str,
    lease_s: u64,
    (db, redis): (&PgDb, &RedisPrefix),
    extra: &[&str],
    env: &[(&str, &str)],
) -> ShardProcess {
    let lease = lease_s.to_string();
    let mut args: Vec<String> = [
        "--shard-id",
        id,
        "--maps",
        maps,
        "--lease-seconds",
        &lease,
        "--database-url",
        &db.url,
        "--redis-url",
        &redis_url(),
        "--redis-prefix",
        &redis.prefix,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    ShardProcess::start_env(&args, env)
}

/// The metadata store of the test's prefix.
pub fn meta(redis: &RedisPrefix) -> RedisMeta {
    RedisMeta::connect(&redis_url(), &redis.prefix).expect("redis")
}

/// `ws://{addr}/`, the address a shard gives other shards' Redirects.
pub fn ws(addr: SocketAddr) -> String {
    format!("ws://{addr}/")
}

/// One HTTP/1.1 exchange with the admin port: the status and the body.
fn http(admin: SocketAddr, head: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&admin, Duration::from_secs(5)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.write_all(head.as_bytes()).ok()?;
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    Some((status, body))
}

/// A value of `/metrics` on the admin port.
pub fn metric(admin: SocketAddr, name: &str) -> Option<f64> {
    let (_, text) = http(admin, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    let line = text.lines().find(|l| l.split(' ').next() == Some(name))?;
    line.rsplit(' ').next()?.parse().ok()
}

/// `POST {path_query}` on the admin port: the status and the body.
pub fn post(admin: SocketAddr, path_query: &str) -> (u16, String) {
    let head =
        format!("POST {path_query} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    http(admin, &head).expect("the admin port answers")
}

/// Polls `done` every 100 ms until it holds or `limit` passes.
pub fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    done()
}
