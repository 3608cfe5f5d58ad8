// An estimate of the server's current tick from Frame arrival times (port of game/src/client/clock.rs, fractional for drawing).

/** How far the tick phase may drift later per observed Frame (ms). */
const CREEP_MS = 0.5;

/** Tracks the server's tick phase: tick ≈ (now − offset) / period, offset from the earliest arrivals. */
export class TickClock {
  constructor(tickRateHz, epoch) {
    this.epoch = epoch;
    this.periodMs = 1000 / (tickRateHz || 20);
    this.offset = null;
    this.newest = 0;
  }

  /** Notes that the state of `tick` (a Number) arrived at `at` (ms). */
  observe(tick, at) {
    const sample = at - this.epoch - tick * this.periodMs;
    if (this.offset === null || sample < this.offset) this.offset = sample;
    else this.offset += Math.min(sample - this.offset, CREEP_MS);
    this.newest = Math.max(this.newest, tick);
  }

  /** The (fractional) tick the server is most likely running at `now`, never older than the newest seen. */
  estimate(now) {
    if (this.offset === null) return null;
    const ticks = Math.max(0, (now - this.epoch - this.offset) / this.periodMs);
    return Math.max(ticks, this.newest);
  }
}
