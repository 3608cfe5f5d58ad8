// The crafting panel: the content's recipes, what each needs against what the inventory and its bags hold, a Craft button per recipe and the running craft's progress bar.
import { containerKey } from '../session.js';
import { itemName } from '../content.js';

const CRAFT_STATES = ['started', 'done', 'cancelled', 'failed'];

/** Items held by kind: the own inventory and the bags in it (what crafting may use). */
export function heldItems(session) {
  const counts = new Map();
  const inv = session.inventory();
  if (!inv) return counts;
  const views = [inv];
  for (const item of inv.slots.values()) {
    const bag = session.containers.get(containerKey(2, item.item));
    if (bag) views.push(bag);
  }
  for (const view of views) {
    for (const item of view.slots.values()) counts.set(item.kind, (counts.get(item.kind) ?? 0) + item.count);
  }
  return counts;
}

/** Whether an item kind held serves as tool `need` (a tag name, else an item kind or name). */
function serves(content, kind, need) {
  const item = content.itemById.get(kind);
  if (!item) return false;
  if (typeof need === 'number') return kind === need;
  const name = typeof need === 'string' ? need : need.tag ?? need.name ?? need.item ?? need.kind;
  if (typeof name === 'number') return kind === name;
  return (item.tags ?? []).includes(name) || item.name === name;
}

function toolName(content, need) {
  if (typeof need === 'number') return itemName(content, need);
  if (typeof need === 'string') return need;
  const v = need.tag ?? need.name ?? need.item ?? need.kind;
  return typeof v === 'number' ? itemName(content, v) : String(v);
}

/** What one repetition of `recipe` lacks: ingredient shortfalls and tools not held. */
export function missingFor(content, counts, recipe) {
  const missing = [];
  for (const ing of recipe.ingredients) {
    const have = counts.get(ing.kind) ?? 0;
    if (have < ing.count) missing.push(`${ing.count - have} ${itemName(content, ing.kind)}`);
  }
  for (const need of recipe.tools ?? []) {
    if (![...counts.keys()].some((k) => serves(content, k, need))) missing.push(`tool: ${toolName(content, need)}`);
  }
  return missing;
}

/** Keeps the recipe list and the craft progress bar in step with the session. */
export class CraftPanel {
  constructor(root, session, orders) {
    Object.assign(this, { session, orders });
    this.list = root.querySelector('#recipes');
    this.bar = root.querySelector('#craft-progress');
    this.label = root.querySelector('#craft-state');
    this.rows = new Map();
    for (const recipe of session.content.recipes) this.list.append(this.row(recipe));
    session.subscribe((what) => {
      if (what === 'ContainerContents' || what === 'ContainerChange' || what === 'ContainerClosed' || what === 'Welcome') this.refresh();
      if (what === 'CraftProgress') this.progress(performance.now());
    });
  }

  row(recipe) {
    const c = this.session.content;
    const el = document.createElement('div');
    el.className = 'recipe';
    el.id = `recipe-${recipe.id}`;
    const button = document.createElement('button');
    button.id = `craft-${recipe.id}`;
    button.textContent = `Craft ${recipe.name}`;
    button.addEventListener('click', () => this.orders.craft(recipe.id, 1));
    const needs = document.createElement('div');
    needs.className = 'needs';
    const ingredients = recipe.ingredients.map((i) => `${i.count} ${itemName(c, i.kind)}`).join(', ');
    const tools = (recipe.tools ?? []).map((t) => toolName(c, t)).join(', ');
    needs.textContent = `${ingredients}${tools ? `; tools: ${tools}` : ''}${recipe.station != null ? '; at a station' : ''} — ${recipe.ticks} ticks, ${recipe.stamina} stamina`;
    const missing = document.createElement('div');
    missing.className = 'missing';
    el.append(button, needs, missing);
    this.rows.set(recipe.id, { el, button, missing });
    return el;
  }

  refresh() {
    const c = this.session.content;
    const counts = heldItems(this.session);
    for (const recipe of c.recipes) {
      const row = this.rows.get(recipe.id);
      const missing = missingFor(c, counts, recipe);
      row.missing.textContent = missing.length ? `missing: ${missing.join(', ')}` : 'ready';
      row.el.classList.toggle('ready', missing.length === 0);
      row.el.dataset.missing = String(missing.length);
    }
  }

  /** Updates the progress bar (called every animation frame and on CraftProgress). */
  progress(now) {
    const p = this.session.craft;
    if (!p) return;
    const state = CRAFT_STATES[p.state] ?? `state ${p.state}`;
    const recipe = this.session.content.recipeById.get(p.recipe);
    let fraction = 1;
    if (p.state === 0) {
      const t = this.session.tickAt(now) ?? 0;
      const [start, end] = [Number(p.started), Number(p.finish)];
      fraction = end > start ? Math.min(1, Math.max(0, (t - start) / (end - start))) : 1;
    }
    this.bar.value = fraction;
    let text = `${recipe?.name ?? p.recipe}: ${state}`;
    if (p.state === 1) text += ` — made ${p.made} ${itemName(this.session.content, p.kind)} (quality ${p.quality})${p.ground ? `, ${p.ground} on the ground` : ''}`;
    if (p.state === 3) text += ` — code ${p.code}`;
    this.label.textContent = text;
    this.label.dataset.state = state;
  }
}
