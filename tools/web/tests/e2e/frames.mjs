// Frame-time measurement (not a test): logs in on a shard running a crowd of bots, records requestAnimationFrame deltas for 10 s and prints p50/p99.
// Start a shard with bots near the start first, e.g.
//   shard --bots 2000 --start-radius 64 --max-conns-per-ip 256 --data-dir /tmp/frames-data
// then: SHARD_URL=http://127.0.0.1:7777/ node tools/web/tests/e2e/frames.mjs
import { launch, newPage, login, until, shot } from './lib.mjs';

const SECONDS = Number(process.env.SECONDS ?? 10);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const browser = await launch();
  try {
    const page = await newPage(browser, 'frames');
    const name = `Frames${Date.now().toString(36).slice(-5)}`;
    await login(page, name);
    const crowd = await until(page, 'characters around', () => window.game.session.entities.size > 0 && window.game.session.entities.size);
    await page.evaluate(() => window.game.resetFrameTimes());
    await page.waitForTimeout(SECONDS * 1000);
    const result = await page.evaluate(() => ({ times: window.game.frameTimes(), counters: window.game.counters,
      entities: window.game.session.entities.size, chunks: window.game.session.chunks.size }));
    await shot(page, 'frames');
    const sorted = result.times.slice().sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    console.log(`frames: ${sorted.length} in ${SECONDS} s; p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${sorted.at(-1).toFixed(2)} ms`);
    console.log(`scene: ${result.chunks} chunks, ${result.entities} characters held (${crowd} at start), drawn ${JSON.stringify(result.counters.drawn)}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e.stack ?? e);
  process.exit(1);
});
