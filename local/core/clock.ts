/**
 * Simulated time for the local cloud. Simulated milliseconds pass `scale` times faster than real ones, so
 * a one-hour meeting at scale 10,000 lasts 360 real ms. Every emulator and the state machine runner take
 * time from here, never from Date.now(), so one knob compresses all of it.
 *
 * Timers are kept in simulated time (ordered by due time, one real timer armed for the earliest), so the
 * scale can change while they are pending: a test can play a meeting at a gentle pace, where real
 * processing time does not distort it, then fast-forward through an hour-long wait.
 */
export interface SimTimer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class SimClock {
  private realStart = Date.now();
  private simStart: number;
  private scaleValue: number;
  private readonly queue: SimTimer[] = [];
  private seq = 0;
  private armed?: NodeJS.Timeout;
  private stopped = false;

  constructor(scale = 1, simStart = Date.now()) {
    if (!(scale > 0)) throw new Error(`clock scale must be > 0, got ${scale}`);
    this.scaleValue = scale;
    this.simStart = simStart;
  }

  get scale(): number {
    return this.scaleValue;
  }

  /** Changes how fast simulated time runs from now on; pending timers keep their simulated due times. */
  setScale(scale: number): void {
    if (!(scale > 0)) throw new Error(`clock scale must be > 0, got ${scale}`);
    this.simStart = this.now();
    this.realStart = Date.now();
    this.scaleValue = scale;
    this.arm();
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return this.simStart + (Date.now() - this.realStart) * this.scaleValue;
  }

  date(): Date {
    return new Date(this.now());
  }

  /** Real milliseconds that `simMs` simulated milliseconds take at the current scale. */
  toReal(simMs: number): number {
    return Math.max(0, simMs / this.scaleValue);
  }

  setTimeout(simMs: number, fn: () => void): SimTimer {
    const timer: SimTimer = { due: this.now() + Math.max(0, simMs), seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    if (this.queue[0] === timer) this.arm();
    return timer;
  }

  clearTimeout(timer: SimTimer | undefined): void {
    // Cancelled timers stay in the heap until they surface; removing from the middle is not worth it.
    if (timer) timer.cancelled = true;
  }

  sleep(simMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(simMs, resolve));
  }

  /**
   * Jumps simulated time to the earliest pending timer and fires it (discrete-event style), so an idle
   * system skips straight to its next event. Returns false when no timer is pending.
   */
  jumpToNext(): boolean {
    while (this.queue[0]?.cancelled) this.pop();
    const next = this.queue[0];
    if (!next) return false;
    const ahead = next.due - this.now();
    if (ahead > 0) this.simStart += ahead;
    this.fire();
    return true;
  }

  /** Number of live timers (for tests and leak checks). */
  pending(): number {
    return this.queue.filter((t) => !t.cancelled).length;
  }

  /**
   * Cancels every pending timer (shutdown). Timers set afterwards (work still finishing when the cloud
   * closed) never fire and never hold the process open: a meeting's 24-hour limit would otherwise keep a
   * real timer of minutes alive after the cloud is gone.
   */
  stop(): void {
    this.stopped = true;
    for (const t of this.queue) t.cancelled = true;
    this.queue.length = 0;
    if (this.armed) clearTimeout(this.armed);
    this.armed = undefined;
  }

  private arm(): void {
    if (this.armed) clearTimeout(this.armed);
    this.armed = undefined;
    if (this.stopped) return;
    while (this.queue[0]?.cancelled) this.pop();
    const next = this.queue[0];
    if (!next) return;
    this.armed = setTimeout(() => this.fire(), Math.ceil(this.toReal(next.due - this.now())));
  }

  private fire(): void {
    // jumpToNext fires ahead of the armed real timer: cancel it, or it would outlive the cloud (a meeting's
    // 24-hour limit is minutes of real time at most scales) and keep the process from exiting.
    if (this.armed) clearTimeout(this.armed);
    this.armed = undefined;
    const now = this.now();
    while (this.queue[0] && (this.queue[0].cancelled || this.queue[0].due <= now)) {
      const t = this.pop()!;
      if (!t.cancelled) {
        t.cancelled = true;
        t.fn();
      }
    }
    this.arm();
  }

  private push(t: SimTimer): void {
    const q = this.queue;
    q.push(t);
    let i = q.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(q[i]!, q[parent]!)) break;
      [q[i], q[parent]] = [q[parent]!, q[i]!];
      i = parent;
    }
  }

  private pop(): SimTimer | undefined {
    const q = this.queue;
    const top = q[0];
    const last = q.pop();
    if (q.length > 0 && last) {
      q[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < q.length && before(q[l]!, q[m]!)) m = l;
        if (r < q.length && before(q[r]!, q[m]!)) m = r;
        if (m === i) break;
        [q[i], q[m]] = [q[m]!, q[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: SimTimer, b: SimTimer): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}
