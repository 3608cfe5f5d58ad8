// Helpers of the browser end-to-end scripts: the system Chromium through playwright-core, logging in on the play page, waiting on window.game state.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Generous: the machine running the tests may be slow and busy. */
export const WAIT_MS = 90_000;

export const SHARD_URL = process.env.SHARD_URL ?? 'http://127.0.0.1:7777/';
export const ADMIN_URL = process.env.ADMIN_URL ?? 'http://127.0.0.1:7778/';
export const ARTIFACTS = process.env.ARTIFACTS ?? 'target/browser-artifacts';

/** Starts headless Chromium (the system's, no sandbox, nothing phoning home). */
export async function launch() {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/** A new page in its own context (its own localStorage), with its console errors echoed. */
export async function newPage(browser, label) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[${label}] page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`[${label}] console: ${m.text()}`);
  });
  page.label = label;
  return page;
}

/** Waits until `fn(arg)` is truthy in the page; returns its value. */
export async function until(page, what, fn, arg) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout: WAIT_MS, polling: 100 });
    return await handle.jsonValue();
  } catch (e) {
    const state = await page.evaluate(() => window.game && {
      own: window.game.own, errors: window.game.errors, chunks: window.game.chunks(), craft: window.game.craft,
      predicted: window.game.predicted, failure: window.game.predictionFailure, closed: window.game.closed,
    }).catch(() => null);
    await shot(page, `failed-${page.label}`);
    throw new Error(`[${page.label}] timed out waiting for ${what}: ${e.message}\nstate: ${JSON.stringify(state)}`);
  }
}

/** A screenshot into ARTIFACTS. */
export async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) }).catch((e) => console.error(`screenshot ${name}: ${e.message}`));
}

/** Whether the session holds every chunk of the 3×3 area around the own chunk (fewer at an edge), each drawn. */
export function chunksReady() {
  const g = window.game;
  if (!g?.connected || !g.serverPosition) return false;
  const w = g.welcome;
  const CHUNK = 128 * 256;
  const [cx, cy] = [Math.floor(g.serverPosition.x / CHUNK), Math.floor(g.serverPosition.y / CHUNK)];
  const held = new Map(g.chunks().map((c) => [`${c.cx},${c.cy}`, c]));
  let expected = 0;
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const [x, y] = [cx + dx, cy + dy];
      if (x < 0 || y < 0 || x >= w.width_chunks || y >= w.height_chunks) continue;
      expected += 1;
      if (!held.get(`${x},${y}`)?.drawn) return false;
    }
  }
  return { expected, held: held.size };
}

/** Opens the play page, logs in as `name` and waits until its chunks are drawn. */
export async function login(page, name) {
  await page.goto(SHARD_URL);
  await until(page, 'the page ready', () => !!window.game);
  await page.fill('#login-name', name);
  await page.click('#login-button');
  return until(page, `${name}'s chunks`, chunksReady);
}

/** Counts of items by name in the own inventory. */
export async function itemCount(page, name) {
  return page.evaluate((n) => (window.game.inventory() ?? []).filter((s) => s.name === n).reduce((a, s) => a + s.count, 0), name);
}

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}
