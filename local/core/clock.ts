/**
 * Simulated time for the local cloud. Simulated milliseconds pass `scale` times faster than real ones,
 * so a one-hour meeting (3,600,000 simulated ms) at scale 10,000 lasts 360 real ms. Every emulator and
 * the state machine runner take time from here, never from Date.now(), so one knob compresses all of it.
 */
export class SimClock {
  private readonly realStart = Date.now();
  private readonly simStart: number;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(readonly scale = 1, simStart = Date.now()) {
    if (!(scale > 0)) throw new Error(`clock scale must be > 0, got ${scale}`);
    this.simStart = simStart;
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return this.simStart + (Date.now() - this.realStart) * this.scale;
  }

  date(): Date {
    return new Date(this.now());
  }

  /** Real milliseconds that `simMs` simulated milliseconds take. */
  toReal(simMs: number): number {
    return Math.max(0, simMs / this.scale);
  }

  setTimeout(simMs: number, fn: () => void): NodeJS.Timeout {
    const handle = setTimeout(() => {
      this.timers.delete(handle);
      fn();
    }, this.toReal(simMs));
    this.timers.add(handle);
    return handle;
  }

  clearTimeout(handle: NodeJS.Timeout | undefined): void {
    if (!handle) return;
    clearTimeout(handle);
    this.timers.delete(handle);
  }

  sleep(simMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(simMs, resolve));
  }

  /** Cancels every pending timer (shutdown). */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
