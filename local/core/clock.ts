import { opened } from './open-resources';

/** The longest delay Node's setTimeout honours (a signed 32-bit count of milliseconds). */
const MAX_REAL_TIMER_MS = 2 ** 31 - 1;

/**
 * Simulated time for the local cloud. Every pause in it (a pipeline starting, Chime's idle end, a retry's
 * backoff, EventBridge's redelivery, a task's timeout, an injected latency) is a timer on this clock,
 * never a real one, so one knob compresses all of it.
 *
 * Two ways for time to pass:
 * - `'virtual'`: simulated time stands still until `run()` moves it, which it does only when nothing is
 *   at work (no request being answered, no handler running: see `hold()`) and only to the next timer,
 *   discrete-event style. Nothing depends on how fast the machine is: tests and benchmarks use this.
 * - a scale (simulated ms per real ms): time flows with real time, as for a long-running server that
 *   tools call whenever they like (`npm run cloud`); one real timer is armed for the earliest due timer.
 *   `run()` still skips ahead when the cloud is idle.
 */
export interface SimTimer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export type ClockScale = number | 'virtual';

export class SimClock {
  private realStart = Date.now();
  private simStart: number;
  private readonly scaleValue: number;
  private readonly queue: SimTimer[] = [];
  private seq = 0;
  private armed?: NodeJS.Timeout;
  private unregisterArmed?: () => void;
  private stopped = false;
  private holds = 0;
  /** Woken whenever something may let the clock move (a hold released, a timer set, a run's end). */
  private readonly wakers = new Set<() => void>();

  constructor(scale: ClockScale = 'virtual', simStart = Date.now()) {
    if (scale !== 'virtual' && !(scale > 0)) throw new Error(`clock scale must be 'virtual' or > 0, got ${scale}`);
    this.scaleValue = scale === 'virtual' ? 0 : scale;
    this.simStart = simStart;
  }

  /** True when simulated time moves only through run(). */
  get virtual(): boolean {
    return this.scaleValue === 0;
  }

  /** Simulated ms per real ms (0 when virtual). */
  get scale(): number {
    return this.scaleValue;
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return this.simStart + (Date.now() - this.realStart) * this.scaleValue;
  }

  date(): Date {
    return new Date(this.now());
  }

  setTimeout(simMs: number, fn: () => void): SimTimer {
    const timer: SimTimer = { due: this.now() + Math.max(0, simMs), seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    if (this.queue[0] === timer) this.arm();
    this.poke();
    return timer;
  }

  clearTimeout(timer: SimTimer | undefined): void {
    // Cancelled timers stay in the heap until they surface; removing from the middle is not worth it.
    if (timer) timer.cancelled = true;
  }

  sleep(simMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(simMs, resolve));
  }

  /** Number of live timers (for tests and leak checks). */
  pending(): number {
    return this.queue.filter((t) => !t.cancelled).length;
  }

  /** Simulated time of the earliest live timer. */
  nextDue(): number | undefined {
    while (this.queue[0]?.cancelled) this.pop();
    return this.queue[0]?.due;
  }

  /**
   * Marks work in progress that simulated time must not skip past: a request being answered, a Lambda
   * handler running, an object being written. Returns its release (idempotent). Work that waits for
   * simulated time (a timer) releases its hold while it waits, or it would wait forever.
   */
  hold(): () => void {
    this.holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds -= 1;
      if (this.holds === 0) this.poke();
    };
  }

  /** Holds the clock until `work` settles; returns `work`. */
  track<T>(work: Promise<T>): Promise<T> {
    const release = this.hold();
    work.then(release, release);
    return work;
  }

  /** True when nothing holds the clock: only timers are pending. */
  get idle(): boolean {
    return this.holds === 0;
  }

  /** Resolves once nothing holds the clock (work in flight has finished), without moving time. */
  async settled(): Promise<void> {
    while (!this.idle) await this.waitForWake();
  }

  /**
   * Jumps simulated time to the earliest pending timer and fires it (and any others due then), so an idle
   * system skips straight to its next event. Returns false when no timer is pending.
   */
  jumpToNext(): boolean {
    const due = this.nextDue();
    if (due === undefined) return false;
    const ahead = due - this.now();
    if (ahead > 0) this.simStart += ahead;
    this.fire();
    return true;
  }

  /**
   * Resolves with `until`, moving simulated time forward meanwhile: whenever nothing holds the clock
   * (checked after pending callbacks have run, at two turns of the event loop in a row), it jumps to the
   * next timer. With `pace` (simulated ms per real ms) a jump waits until that much real time has
   * passed, so a person can watch a virtual recording unfold; without it, idle time costs nothing.
   */
  async run<T>(until: Promise<T>, opts: { pace?: number } = {}): Promise<T> {
    let settled = false;
    const done = until.finally(() => {
      settled = true;
      this.poke();
    });
    // Rejections surface through `done`, which the caller awaits.
    done.catch(() => undefined);
    while (!settled) {
      if (!(await this.quiet()) || settled) continue;
      const due = this.nextDue();
      if (due === undefined) {
        await this.waitForWake();
        continue;
      }
      if (opts.pace) {
        await new Promise((r) => setTimeout(r, Math.max(0, (due - this.now()) / opts.pace!)));
        if (settled || !this.idle) continue;
      }
      this.jumpToNext();
    }
    return done;
  }

  /**
   * Moves simulated time forward, as run() does, until `check` holds (checked whenever nothing is at
   * work); fails when it does not hold and no timer is left that could change that.
   */
  async until(check: () => boolean | Promise<boolean>, what = 'the awaited condition'): Promise<void> {
    for (;;) {
      if (await check()) return;
      if (!(await this.quiet())) continue;
      if (await check()) return;
      if (!this.jumpToNext()) throw new Error(`${what} never came about: no simulated timer is left to fire`);
    }
  }

  /**
   * Cancels every pending timer (shutdown). Timers set afterwards (work still finishing when the cloud
   * closed) never fire on their own and hold no real timer, so nothing keeps the process alive.
   */
  stop(): void {
    this.stopped = true;
    for (const t of this.queue) t.cancelled = true;
    this.queue.length = 0;
    this.disarm();
    this.poke();
  }

  /** True once nothing has held the clock for two turns of the event loop; false if something did. */
  private async quiet(): Promise<boolean> {
    for (let turn = 0; turn < 2; turn += 1) {
      await new Promise<void>((r) => setImmediate(r));
      if (!this.idle) {
        await this.waitForWake();
        return false;
      }
    }
    return true;
  }

  private waitForWake(): Promise<void> {
    return new Promise<void>((resolve) => this.wakers.add(resolve));
  }

  private poke(): void {
    if (this.wakers.size === 0) return;
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const wake of wakers) wake();
  }

  private arm(): void {
    this.disarm();
    if (this.stopped || this.virtual) return;
    const due = this.nextDue();
    if (due === undefined) return;
    // Node fires a timer longer than 2^31-1 ms after 1 ms (TimeoutOverflowWarning), which made a server at
    // real time spin on a 90-day timer; a capped one fires early, finds nothing due and re-arms.
    this.armed = setTimeout(() => this.fire(), Math.min(MAX_REAL_TIMER_MS, Math.ceil(Math.max(0, due - this.now()) / this.scaleValue)));
    this.unregisterArmed = opened(`a simulated clock's real timer (next simulated timer due ${new Date(due).toISOString()}; stop the clock or close its cloud)`);
  }

  private disarm(): void {
    if (this.armed) clearTimeout(this.armed);
    this.armed = undefined;
    this.unregisterArmed?.();
    this.unregisterArmed = undefined;
  }

  private fire(): void {
    // jumpToNext fires ahead of the armed real timer: disarm it, or it would outlive the cloud.
    this.disarm();
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
