// What the player asks of the server: Inputs with sequence numbers (recorded for prediction) and item, craft and chat requests with request ids and the revisions held.
import { containerKey } from './session.js';

/** Input order kinds (protocol.md §3, Input). */
export const ORDER = { stop: 0, moveTo: 1, follow: 2, interact: 3, attack: 4 };
/** Interact actions: 0 use (open, gather, pick up a pile), 1 pick up (a pile or an empty box). */
export const ACTION = { use: 0, pickUp: 1 };
/** The own inventory's container reference. */
export const OWN = Object.freeze({ kind: 0, id: 0n });

/** Makes and sends the client's requests over `conn`, numbering them; `prediction` records Inputs. */
export class Orders {
  constructor(conn, session, prediction) {
    this.conn = conn;
    this.session = session;
    this.prediction = prediction;
    this.nextSeq = 1;
    this.nextRequest = 1;
    this.sentRequests = new Map(); // request id -> what it was (for the message area)
  }

  requestId(what) {
    const id = this.nextRequest;
    this.nextRequest = this.nextRequest >= 0xffffffff ? 1 : this.nextRequest + 1;
    this.sentRequests.set(id, what);
    if (this.sentRequests.size > 256) this.sentRequests.delete(this.sentRequests.keys().next().value);
    return id;
  }

  revision(ref) {
    return this.session.containers.get(containerKey(ref.kind, ref.id))?.revision ?? 0;
  }

  input(order, { target = 0n, x = 0, y = 0, action = 0 } = {}) {
    const msg = { type: 'Input', seq: this.nextSeq, order, action, target: BigInt(target), x: x | 0, y: y | 0 };
    this.nextSeq = (this.nextSeq + 1) >>> 0;
    this.prediction.recordInput(msg);
    this.conn.send(msg);
    return msg;
  }

  moveTo(x, y) { return this.input(ORDER.moveTo, { x, y }); }
  follow(target) { return this.input(ORDER.follow, { target }); }
  attack(target) { return this.input(ORDER.attack, { target }); }
  interact(target, action = ACTION.use) { return this.input(ORDER.interact, { target, action }); }
  stop() { return this.input(ORDER.stop); }

  /** InventoryMove of `count` from `from`'s slot to `to`'s slot (0xFFFF: anywhere), against the revisions held. */
  move(from, fromSlot, to, toSlot, count) {
    const msg = {
      type: 'InventoryMove', request: this.requestId('move'), from, from_slot: fromSlot,
      from_revision: this.revision(from), to, to_slot: toSlot, to_revision: this.revision(to), count,
    };
    this.conn.send(msg);
    return msg;
  }

  drop(container, slot, count) {
    const msg = { type: 'Drop', request: this.requestId('drop'), container, slot, revision: this.revision(container), count };
    this.conn.send(msg);
    return msg;
  }

  useItem(container, slot) {
    const msg = { type: 'UseItem', request: this.requestId('use'), container, slot, revision: this.revision(container) };
    this.conn.send(msg);
    return msg;
  }

  plant(container, slot, x, y) {
    const msg = { type: 'Plant', request: this.requestId('plant'), container, slot, x: x | 0, y: y | 0 };
    this.conn.send(msg);
    return msg;
  }

  pickup(pile) {
    const msg = { type: 'Pickup', request: this.requestId('pickup'), item: BigInt(pile) };
    this.conn.send(msg);
    return msg;
  }

  craft(recipe, count = 1, station = 0n) {
    const msg = { type: 'Craft', request: this.requestId('craft'), recipe, count, station: BigInt(station) };
    this.conn.send(msg);
    return msg;
  }

  chat(text) {
    const msg = { type: 'Chat', request: this.requestId('chat'), text };
    this.conn.send(msg);
    return msg;
  }

  closeContainer(container) {
    const msg = { type: 'CloseContainer', container };
    this.conn.send(msg);
    return msg;
  }
}
