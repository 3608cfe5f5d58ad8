// The play page end to end in headless Chromium against a running shard (SHARD_URL, ADMIN_URL): log in, move, drop and pick up, craft, chat, resume after a reload, the live map, and a cave trip (CAVE_AT); every check reads what the server said through window.game.
import { launch, newPage, login, until, shot, itemCount, assert, ADMIN_URL } from './lib.mjs';

const TILE = 256;
const stamp = Date.now().toString(36).slice(-5);
/** `PLAYERS=name:hexToken,name:hexToken`: characters made beforehand (tools/tests/browser.rs stores them side by side); else two new names. */
const PLAYERS = (process.env.PLAYERS ?? `Ann${stamp}:,Bob${stamp}:`).split(',').map((p) => p.split(':'));
const NAMES = PLAYERS.map(([name]) => name);

/** In the page: a walkable point 1–8 tiles away with a clear straight way to it, and where it is on screen. */
function clearTarget() {
  const g = window.game;
  const terrain = g.prediction.terrain;
  const from = g.serverPosition;
  const R = g.content.character.radius;
  const radius = new Map(g.content.objects.map((o) => [o.id, o.radius]));
  const objects = g.objects();
  const others = g.entities();
  const tileFree = (x, y) => !terrain.tileBlocked(Math.floor(x / 256), Math.floor(y / 256));
  const free = (x, y) => [[0, 0], [R, R], [R, -R], [-R, R], [-R, -R]].every(([dx, dy]) => tileFree(x + dx * 1.5, y + dy * 1.5))
    && objects.every((o) => Math.hypot(o.x - x, o.y - y) > (radius.get(o.kind) ?? 0) + R + 48)
    && others.every((e) => Math.hypot(e.x - x, e.y - y) > 3 * R);
  const canvas = g.renderer.canvas;
  // The short walks last: a spawn spot in thick forest may leave only those clear.
  for (const d of [6, 5, 4, 7, 8, 3, 2, 1.5, 1]) {
    for (let a = 0; a < 32; a++) {
      const angle = (a * Math.PI) / 16;
      const x = Math.round(from.x + Math.cos(angle) * d * 256);
      const y = Math.round(from.y + Math.sin(angle) * d * 256);
      let clear = true;
      for (let i = 0; i <= 48 && clear; i++) clear = free(from.x + ((x - from.x) * i) / 48, from.y + ((y - from.y) * i) / 48);
      const [sx, sy] = g.renderer.toScreen(x, y);
      if (clear && sx > 10 && sy > 10 && sx < canvas.width - 10 && sy < canvas.height - 10) return { x, y, sx: Math.round(sx), sy: Math.round(sy) };
    }
  }
  return null;
}

/** In the page, before its scripts: the token of a character made beforehand, kept as the page keeps tokens (js/net.js). */
function keepToken([name, token]) {
  const key = `shard.tokens.ws://${location.host}/`;
  const data = JSON.parse(localStorage.getItem(key) ?? '{}');
  data.names ??= {};
  data.names[name.normalize('NFKC').toLowerCase()] ??= token;
  localStorage.setItem(key, JSON.stringify(data));
}

/** Clicks the canvas at screen point (sx, sy) of the canvas. */
async function clickCanvas(page, sx, sy, options = {}) {
  const box = await page.locator('#game-canvas').boundingBox();
  await page.mouse.click(box.x + sx, box.y + sy, options);
}

async function loginBoth(browser) {
  const pages = [];
  for (const [name, token] of PLAYERS) {
    const page = await newPage(browser, name);
    if (token) await page.context().addInitScript(keepToken, [name, token]);
    const chunks = await login(page, name);
    assert(chunks.held <= 9 && chunks.held >= chunks.expected, `${name} holds its 3×3 chunks: ${JSON.stringify(chunks)}`);
    console.log(`ok: ${name} logged in, ${chunks.held} chunks drawn`);
    pages.push(page);
  }
  await shot(pages[0], 'play-login');
  return pages;
}

async function moveByClick(page) {
  const target = await until(page, 'a clear spot to walk to', clearTarget);
  await clickCanvas(page, target.sx, target.sy);
  const marker = await until(page, 'the move order', () => window.game.renderer.moveMarker);
  const arrived = await until(page, 'arrival where the server says', (m) => {
    const g = window.game;
    const own = g.own;
    if (!own || own.order !== 0 || own.vx !== 0 || own.vy !== 0 || own.last_input_seq < 1) return false;
    const d = Math.hypot(own.x - m.x, own.y - m.y);
    return d <= 64 ? { x: own.x, y: own.y, d } : false;
  }, marker);
  console.log(`ok: clicked (${marker.x}, ${marker.y}); the server has the character at ${arrived.x}, ${arrived.y} (${arrived.d.toFixed(1)}/256 tile off)`);
  const predicted = await until(page, 'the prediction to equal the server once stopped', () => {
    const g = window.game;
    const p = g.predicted;
    const s = g.serverPosition;
    return p && s && p.x === s.x && p.y === s.y ? p : false;
  });
  console.log(`ok: predicted position ${predicted.x}, ${predicted.y} equals the server's`);
  await shot(page, 'play-moved');
}

async function dropAndPickUp(page) {
  const before = await itemCount(page, 'berries');
  assert(before > 0, `the starter kit holds berries (${before})`);
  const kind = await page.evaluate(() => window.game.content.items.find((i) => i.name === 'berries').id);
  const piles = await page.evaluate(() => window.game.objects().filter((o) => o.name === 'pile').map((o) => o.id));
  await page.click(`#inventory .slot[data-kind="${kind}"]`);
  await page.click('#inv-drop-one');
  const pile = await until(page, 'a pile of the dropped berries', ([known, count]) => {
    const g = window.game;
    const held = (g.inventory() ?? []).filter((s) => s.name === 'berries').reduce((a, s) => a + s.count, 0);
    const own = g.serverPosition;
    const p = g.objects().find((o) => o.name === 'pile' && !known.includes(o.id) && Math.hypot(o.x - own.x, o.y - own.y) < 4 * 256);
    return held === count - 1 && p ? p : false;
  }, [piles, before]);
  console.log(`ok: dropped one berry: pile #${pile.id} at ${pile.x}, ${pile.y}`);
  const at = await page.evaluate((p) => window.game.renderer.toScreen(p.x, p.y), pile);
  await clickCanvas(page, Math.round(at[0]), Math.round(at[1]));
  await until(page, 'the pile picked up', ([id, count]) => {
    const g = window.game;
    const held = (g.inventory() ?? []).filter((s) => s.name === 'berries').reduce((a, s) => a + s.count, 0);
    return held === count && !g.objects().some((o) => o.id === id);
  }, [pile.id, before]);
  console.log(`ok: picked the pile up by clicking it: ${before} berries again`);
}

async function craftClub(page) {
  const recipe = await page.evaluate(() => window.game.content.recipes.find((r) => r.name === 'club'));
  await until(page, 'the club recipe ready', (id) => document.querySelector(`#recipe-${id}`)?.dataset.missing === '0', recipe.id);
  await page.click(`#craft-${recipe.id}`);
  const done = await until(page, 'the craft done', (id) => {
    const c = window.game.craft;
    if (c && c.recipe === id && (c.state === 2 || c.state === 3)) return { failed: c };
    return c && c.recipe === id && c.state === 1 ? c : false;
  }, recipe.id);
  assert(!done.failed, `the craft ended ${JSON.stringify(done)}; errors ${JSON.stringify(await page.evaluate(() => window.game.errors))}`);
  await until(page, 'a club in the inventory', () => (window.game.inventory() ?? []).some((s) => s.name === 'club'));
  console.log(`ok: crafted a club (quality ${done.quality}) from the starter branches`);
}

async function equipByDragging(page) {
  const from = page.locator('#inventory .slot[data-kind]').filter({ hasText: 'club' });
  await from.dragTo(page.locator('#equip-hand'));
  const hand = await until(page, 'the club in the hand slot', () => {
    const g = window.game;
    const slot = g.content.item_rules.inventory_slots;
    return (g.inventory() ?? []).find((s) => s.slot === slot && s.name === 'club');
  });
  console.log(`ok: dragged the club into the hand slot (slot ${hand.slot}, item #${hand.item})`);
}

async function refusalShown(page) {
  const recipe = await page.evaluate(() => window.game.content.recipes.find((r) => r.name === 'stone axe'));
  await page.click(`#craft-${recipe.id}`);
  const shown = await until(page, 'the refusal in the message area', () => document.querySelector('#errors .error[data-code="121"]')?.textContent);
  console.log(`ok: a craft without its stones is refused and shown: "${shown}"`);
}

async function chat(pages) {
  const [a, b] = pages;
  const posA = await a.evaluate(() => window.game.serverPosition);
  const apart = await b.evaluate((p) => Math.hypot(window.game.serverPosition.x - p.x, window.game.serverPosition.y - p.y) / 256, posA);
  console.log(`the two players stand ${apart.toFixed(1)} tiles apart`);
  if (apart > 16) {
    const speaker = await a.evaluate(() => window.game.player);
    await b.evaluate(([p, id]) => {
      const g = window.game;
      if (g.session.entities.has(id)) g.orders.follow(BigInt(id));
      else g.orders.moveTo(p.x + 512, p.y);
    }, [posA, speaker]);
    await until(b, 'walking near the speaker', (p) => {
      const s = window.game.serverPosition;
      return Math.hypot(s.x - p.x, s.y - p.y) < 16 * 256;
    }, posA);
  }
  const text = `hello from ${NAMES[0]} ✓`;
  await a.fill('#chat-input', text);
  await a.press('#chat-input', 'Enter');
  await until(b, 'the line in the other page\'s chat log', (t) => document.querySelector('#chat-log').textContent.includes(t)
    && window.game.chat.some((l) => l.text === t), text);
  console.log(`ok: ${NAMES[1]} heard "${text}"`);
  await shot(b, 'play-chat');
}

async function reloadResumes(page) {
  const before = await page.evaluate(() => ({ pos: window.game.serverPosition, player: window.game.player }));
  await page.reload();
  const resumed = await until(page, 'the session resumed after a reload', (old) => {
    const g = window.game;
    if (!g?.connected || !g.own) return false;
    const clubs = (g.inventory() ?? []).some((s) => s.name === 'club');
    const d = Math.hypot(g.own.x - old.pos.x, g.own.y - old.pos.y);
    return clubs ? { name: g.name, d, player: g.player } : false;
  }, before);
  assert(resumed.name === NAMES[0], `the same name resumes: ${resumed.name}`);
  assert(resumed.d <= 2 * TILE, `the character resumes where it stood (${resumed.d} units away)`);
  console.log(`ok: the reload resumed ${resumed.name} (its club and place) with the kept token`);
}

async function liveMap(browser) {
  const page = await newPage(browser, 'map');
  await page.goto(new URL('map', ADMIN_URL).href);
  await until(page, 'both players on the live map', (names) => {
    const text = window.mapState ? JSON.stringify(window.mapState) : '';
    return names.every((n) => text.includes(n));
  }, NAMES);
  console.log('ok: the live map shows both players');
  const clients = await until(page, 'the live panel counting both clients', () => {
    const row = [...document.querySelectorAll('#panel-table tr')].find((r) => r.cells[0]?.textContent === 'clients');
    const n = Number(row?.cells[1]?.textContent);
    return n >= 2 ? n : false;
  });
  console.log(`ok: the live panel counts ${clients} clients`);
  const box = await page.locator('#map-canvas').boundingBox();
  const details = (names) => {
    const text = document.getElementById('player-details')?.textContent ?? '';
    return names.find((n) => text.includes(n) && text.includes('peer') && text.includes('B/s')) ?? false;
  };
  // The map is painted once a second: a click on a picture from before the reload above names
  // the character's old entity ("no such player online"), so a few clicks, each on the latest picture.
  for (let attempt = 0; attempt < 5; attempt++) {
    const at = await until(page, 'a player drawn on the map', (n) => window.mapPage?.screenOf(n), NAMES[0]);
    await page.mouse.click(box.x + at[0], box.y + at[1]);
    const answered = await page.waitForFunction(details, NAMES, { timeout: 3000, polling: 100 }).catch(() => null);
    if (answered) break;
  }
  const shown = await until(page, 'the clicked player\'s details', details, NAMES);
  console.log(`ok: clicking a player on the map shows ${shown}'s connection and bandwidth`);
  await shot(page, 'map');
}

/** `CAVE_AT=x,y`: a cave entrance on the mainland (map 0), its way out below it in the cave (map 1). */
const CAVE_AT = process.env.CAVE_AT?.split(',').map(Number) ?? null;

/** In the page: the nearest object named `name`, and where it is on screen. */
function nearestOnScreen(name) {
  const g = window.game;
  const own = g.serverPosition;
  if (!own || !g.connected) return false;
  const found = g.objects().filter((o) => o.name === name)
    .sort((a, b) => Math.hypot(a.x - own.x, a.y - own.y) - Math.hypot(b.x - own.x, b.y - own.y))[0];
  if (!found) return false;
  const [sx, sy] = g.renderer.toScreen(found.x, found.y);
  const canvas = g.renderer.canvas;
  const inside = sx > 10 && sy > 10 && sx < canvas.width - 10 && sy < canvas.height - 10;
  return inside ? { ...found, sx: Math.round(sx), sy: Math.round(sy) } : false;
}

/** An operator sets the character down in the cave at the foot of its way out (the page follows the Redirect); a click on the way out brings it up beside the entrance. */
async function caveTrip(page) {
  if (!CAVE_AT) return console.log('skipped: the cave trip (no CAVE_AT)');
  const [x, y] = CAVE_AT;
  const url = new URL(`admin/handoff?to=1&name=${encodeURIComponent(NAMES[0])}&x=${x}&y=${y}`, ADMIN_URL);
  const answer = await fetch(url, { method: 'POST' });
  assert(answer.ok, `the operator's move: HTTP ${answer.status} ${await answer.text()}`);
  await until(page, 'the page in the cave after the Redirect', () => window.game.connected && window.game.welcome?.map === 1 && !!window.game.own);
  const exit = await until(page, 'the way out drawn', nearestOnScreen, 'cave_exit');
  assert(exit.x === x && exit.y === y, `the way out stands below the entrance: ${JSON.stringify(exit)}`);
  console.log('ok: set down in the cave (map 1) through a Redirect the page followed');
  await shot(page, 'play-cave');
  await clickCanvas(page, exit.sx, exit.sy);
  const up = await until(page, 'the page on the surface beside the entrance', (at) => {
    const g = window.game;
    if (!g.connected || g.welcome?.map !== 0 || !g.own) return false;
    const d = Math.hypot(g.own.x - at[0], g.own.y - at[1]);
    return d <= 3 * 256 ? { d } : false;
  }, CAVE_AT);
  console.log(`ok: a click on the way out brought the character up, ${(up.d / TILE).toFixed(1)} tiles from the entrance`);
}

async function main() {
  const browser = await launch();
  try {
    const pages = await loginBoth(browser);
    await moveByClick(pages[0]);
    await dropAndPickUp(pages[0]);
    await craftClub(pages[0]);
    await equipByDragging(pages[0]);
    await refusalShown(pages[0]);
    await chat(pages);
    await reloadResumes(pages[0]);
    await liveMap(browser);
    await caveTrip(pages[0]);
    await shot(pages[0], 'play');
    for (const page of pages) {
      const errors = await page.evaluate(() => window.game.errors.filter((e) => e.code !== 0 && e.code !== 121));
      assert(errors.length === 0, `${page.label}: no server errors: ${JSON.stringify(errors)}`);
    }
    console.log('browser e2e: all steps passed');
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e.stack ?? e);
  process.exit(1);
});
