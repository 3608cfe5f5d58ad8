// Which Frames arrived, as the protocol's Ack (0x08) reports them: the newest tick and a 32-bit mask of the ticks before it.

/** Ticks before the newest that an Ack can report. */
const WINDOW = 32n;

/** Records Frame ticks (BigInt) as they arrive and makes the Ack to send (port of game/src/client/ack.rs). */
export class AckTracker {
  constructor() {
    this.newest = null;
    this.mask = 0n;
  }

  /** Notes that the Frame of `tick` arrived (duplicates and ticks out of the window are harmless). */
  record(tick) {
    tick = BigInt(tick);
    if (this.newest === null) {
      this.newest = tick;
      return;
    }
    if (tick > this.newest) {
      const d = tick - this.newest;
      this.mask = d > WINDOW ? 0n : ((this.mask << d) | (1n << (d - 1n))) & 0xffffffffn;
      this.newest = tick;
    } else if (tick < this.newest) {
      const back = this.newest - 1n - tick;
      if (back < WINDOW) this.mask |= 1n << back;
    }
  }

  /** The Ack message describing what arrived, or null before the first Frame. */
  message() {
    if (this.newest === null) return null;
    return { type: 'Ack', tick: this.newest, received: Number(this.mask) };
  }
}
