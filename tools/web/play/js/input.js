// Mouse input on the game canvas: click the ground to move, a character to follow (shift: attack), an object to use it (alt: pick up); hover shows names and ids; items dragged out of a panel onto the map are dropped.
import { ACTION } from './orders.js';
import { itemName } from './content.js';

/** Wires the canvas to `orders`; `ui.armed` may hold a pending plant ({container, slot}) that the next ground click uses. */
export class CanvasInput {
  constructor(canvas, tooltip, session, renderer, orders, ui) {
    Object.assign(this, { canvas, tooltip, session, renderer, orders, ui });
    canvas.addEventListener('click', (ev) => this.click(ev));
    canvas.addEventListener('contextmenu', (ev) => {
      ev.preventDefault();
      this.click(ev, { attack: true });
    });
    canvas.addEventListener('mousemove', (ev) => this.hover(ev));
    canvas.addEventListener('mouseleave', () => { tooltip.hidden = true; });
    canvas.addEventListener('dragover', (ev) => ev.preventDefault());
    canvas.addEventListener('drop', (ev) => this.dropItem(ev));
    canvas.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      renderer.pxPerTile = Math.min(32, Math.max(3, renderer.pxPerTile * (ev.deltaY > 0 ? 0.9 : 1.1)));
    }, { passive: false });
  }

  point(ev) {
    const rect = this.canvas.getBoundingClientRect();
    return [ev.clientX - rect.left, ev.clientY - rect.top];
  }

  /** What a click on the map does. */
  click(ev, { attack = false } = {}) {
    if (!this.session.own) return;
    const hit = this.renderer.pick(...this.point(ev));
    const armed = this.ui.armed;
    this.ui.armed = null;
    if (armed?.kind === 'plant') {
      this.orders.plant(armed.container, armed.slot, hit.x, hit.y);
      return;
    }
    if (hit.type === 'entity') {
      if (attack || ev.shiftKey) this.orders.attack(hit.id);
      else this.orders.follow(hit.id);
    } else if (hit.type === 'object') {
      this.orders.interact(hit.id, ev.altKey ? ACTION.pickUp : ACTION.use);
    } else if (hit.type === 'ground') {
      this.renderer.moveMarker = { x: hit.x, y: hit.y };
      this.orders.moveTo(hit.x, hit.y);
    }
  }

  hover(ev) {
    const [sx, sy] = this.point(ev);
    const hit = this.renderer.pick(sx, sy);
    const text = this.describe(hit);
    this.tooltip.hidden = !text;
    if (!text) return;
    this.tooltip.textContent = text;
    this.tooltip.style.left = `${ev.clientX + 14}px`;
    this.tooltip.style.top = `${ev.clientY + 14}px`;
  }

  /** The tooltip text for what is under the pointer. */
  describe(hit) {
    const s = this.session;
    if (hit.type === 'self') return `you (${this.ui.name}) #${hit.id}`;
    if (hit.type === 'entity') {
      const kind = hit.entity.kind === 1 ? 'player' : hit.entity.kind === 2 ? 'bot' : `kind ${hit.entity.kind}`;
      const name = s.names.get(String(hit.id));
      return `${name ? `${name} (${kind})` : kind} #${hit.id} hp ${hit.entity.hp} — click: follow, shift/right-click: attack`;
    }
    if (hit.type === 'object') {
      const o = hit.object;
      const def = s.content.objectById.get(o.kind);
      const stage = def?.stages ? ` (${def.stages[o.state] ?? o.state})` : '';
      return `${def?.name ?? `object ${o.kind}`}${stage} #${o.entity} — click: use, alt-click: pick up`;
    }
    return null;
  }

  /** An item slot dragged from a panel and dropped on the map: Drop it. */
  dropItem(ev) {
    ev.preventDefault();
    const data = ev.dataTransfer.getData('application/x-slot');
    if (!data) return;
    const { kind, id, slot, count } = JSON.parse(data);
    this.orders.drop({ kind, id: BigInt(id) }, slot, count);
  }
}

/** A slot's label: item name and count. */
export function slotLabel(content, item) {
  return item.count > 1 ? `${itemName(content, item.kind)} ×${item.count}` : itemName(content, item.kind);
}
