//! Runs the synthetic tick for a while and prints per-stage and per-system time quantiles, for
//! profiling (`perf record`, flamegraphs) and for the figures in `bench/README.md`.
//!
//! Usage: `cargo run --release -p bench --bin synthetic_stages -- [entities] [ticks]`

use bench::synthetic::SyntheticTick;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(60_000);
    let ticks: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let mut sim = SyntheticTick::new(n);
    let start = std::time::Instant::now();
    for _ in 0..ticks {
        sim.tick();
    }
    let elapsed = start.elapsed();
    println!(
        "{n} entities, {ticks} ticks, {:.3} ms/tick on {} threads",
        elapsed.as_secs_f64() * 1e3 / ticks as f64,
        rayon::current_num_threads()
    );
    for t in sim.schedule.timings() {
        let name = t.system.map_or_else(|| format!("stage {}", t.stage), |s| format!("  {}/{s}", t.stage));
        println!(
            "{name:<28} p50 {:>7} µs  p99 {:>7} µs  max {:>7} µs",
            t.summary.p50_us, t.summary.p99_us, t.summary.max_us
        );
    }
}
