// Records requestAnimationFrame deltas (ms) for the frame-time measurement and the HUD's fps.

/** Most deltas kept (about 10 minutes at 60 fps). */
const MAX = 36000;

/** A recorder of animation-frame deltas since its last reset. */
export class FrameRecorder {
  constructor() {
    this.reset();
  }

  reset() {
    this.deltas = [];
    this.last = null;
  }

  /** Notes an animation frame at `now` (the rAF timestamp). */
  record(now) {
    if (this.last !== null) {
      this.deltas.push(now - this.last);
      if (this.deltas.length > MAX) this.deltas.splice(0, this.deltas.length - MAX);
    }
    this.last = now;
  }

  /** The deltas recorded since the reset. */
  times() {
    return this.deltas.slice();
  }

  /** Frames per second over the last second of deltas. */
  fps() {
    let sum = 0;
    let n = 0;
    for (let i = this.deltas.length - 1; i >= 0 && sum < 1000; i--, n++) sum += this.deltas[i];
    return sum > 0 ? (n * 1000) / sum : 0;
  }
}
