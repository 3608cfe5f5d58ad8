// The inventory panel: own inventory slots, the hand and body equipment slots, open boxes and bags; drag a slot onto a slot to move (shift: half), onto the map to drop; Use, Drop and Plant buttons.
import { OWN } from '../orders.js';
import { containerKey } from '../session.js';
import { slotLabel } from '../input.js';

const ANY_SLOT = 0xffff;
const CONTAINER_NAMES = { 0: 'inventory', 1: 'box', 2: 'bag' };

/** Keeps the inventory, equipment and container panels in step with the session. */
export class InventoryPanel {
  constructor(root, session, orders, ui) {
    Object.assign(this, { session, orders, ui });
    this.grid = root.querySelector('#inventory');
    this.equipment = root.querySelector('#equipment');
    this.others = root.querySelector('#containers');
    this.selected = null; // {ref, slot}
    this.selectedLabel = root.querySelector('#inv-selected');
    root.querySelector('#inv-use').addEventListener('click', () => this.withSelected((ref, slot) => orders.useItem(ref, slot)));
    root.querySelector('#inv-drop').addEventListener('click', () => this.withSelected((ref, slot, item) => orders.drop(ref, slot, item.count)));
    root.querySelector('#inv-drop-one').addEventListener('click', () => this.withSelected((ref, slot) => orders.drop(ref, slot, 1)));
    root.querySelector('#inv-plant').addEventListener('click', () => this.withSelected((ref, slot) => {
      ui.armed = { kind: 'plant', container: ref, slot };
      ui.notice('click the map where to plant');
    }));
    session.subscribe((what) => {
      if (what === 'ContainerContents' || what === 'ContainerChange' || what === 'ContainerClosed' || what === 'Welcome') this.render();
    });
  }

  withSelected(fn) {
    if (!this.selected) return;
    const view = this.session.containers.get(containerKey(this.selected.ref.kind, this.selected.ref.id));
    const item = view?.slots.get(this.selected.slot);
    if (item) fn(this.selected.ref, this.selected.slot, item);
  }

  render() {
    const s = this.session;
    const inv = s.inventory();
    const slots = s.content.item_rules.inventory_slots;
    this.grid.replaceChildren();
    this.equipment.replaceChildren();
    if (inv) {
      for (let i = 0; i < slots; i++) this.grid.append(this.slot(OWN, i, inv.slots.get(i)));
      this.equipment.append(this.slot(OWN, slots, inv.slots.get(slots), 'hand'), this.slot(OWN, slots + 1, inv.slots.get(slots + 1), 'body'));
    }
    this.others.replaceChildren();
    for (const view of s.containers.values()) {
      if (view.kind === 0) continue;
      this.others.append(this.containerSection(view));
    }
    this.updateSelection();
  }

  containerSection(view) {
    const ref = { kind: view.kind, id: view.id };
    const section = document.createElement('section');
    section.className = 'container';
    section.dataset.container = containerKey(view.kind, view.id);
    const title = document.createElement('h3');
    title.textContent = `${CONTAINER_NAMES[view.kind]} #${view.id}${view.outOfSync ? ' (out of sync)' : ''}`;
    if (view.kind === 1) {
      const close = document.createElement('button');
      close.textContent = 'close';
      close.className = 'close-container';
      close.addEventListener('click', () => this.orders.closeContainer(ref));
      title.append(' ', close);
    }
    const grid = document.createElement('div');
    grid.className = 'slots';
    for (let i = 0; i < view.capacity; i++) grid.append(this.slot(ref, i, view.slots.get(i)));
    section.append(title, grid);
    return section;
  }

  /** One slot element: draggable when it holds an item, a drop target always. */
  slot(ref, index, item, equip = null) {
    const el = document.createElement('div');
    el.className = `slot${item ? ' full' : ''}${equip ? ` equip ${equip}` : ''}`;
    el.dataset.slot = String(index);
    el.dataset.container = containerKey(ref.kind, ref.id);
    if (equip) el.id = `equip-${equip}`;
    if (item) {
      el.dataset.kind = String(item.kind);
      el.dataset.count = String(item.count);
      el.textContent = slotLabel(this.session.content, item);
      el.title = `${el.textContent} (quality ${item.quality}, item #${item.item})`;
      el.draggable = true;
      el.addEventListener('dragstart', (ev) => {
        ev.dataTransfer.setData('application/x-slot', JSON.stringify({ kind: ref.kind, id: String(ref.id), slot: index, count: item.count }));
      });
      el.addEventListener('dblclick', () => this.orders.useItem(ref, index));
    } else if (equip) {
      el.textContent = equip;
    }
    el.addEventListener('click', () => {
      this.selected = item ? { ref, slot: index } : null;
      this.updateSelection();
    });
    el.addEventListener('dragover', (ev) => ev.preventDefault());
    el.addEventListener('drop', (ev) => this.dropOnSlot(ev, ref, index));
    return el;
  }

  dropOnSlot(ev, to, toSlot) {
    ev.preventDefault();
    ev.stopPropagation();
    const data = ev.dataTransfer.getData('application/x-slot');
    if (!data) return;
    const from = JSON.parse(data);
    const count = ev.shiftKey ? Math.max(1, Math.floor(from.count / 2)) : from.count;
    this.orders.move({ kind: from.kind, id: BigInt(from.id) }, from.slot, to, toSlot, count);
  }

  updateSelection() {
    let text = 'nothing selected';
    if (this.selected) {
      const view = this.session.containers.get(containerKey(this.selected.ref.kind, this.selected.ref.id));
      const item = view?.slots.get(this.selected.slot);
      if (item) text = `${slotLabel(this.session.content, item)} (slot ${this.selected.slot})`;
      else this.selected = null;
    }
    this.selectedLabel.textContent = text;
    for (const el of document.querySelectorAll('.slot.selected')) el.classList.remove('selected');
    if (this.selected) {
      const key = containerKey(this.selected.ref.kind, this.selected.ref.id);
      document.querySelector(`.slot[data-container="${key}"][data-slot="${this.selected.slot}"]`)?.classList.add('selected');
    }
  }
}

export { ANY_SLOT };
