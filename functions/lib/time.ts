/**
 * The time every handler reads (never `Date.now()` or `new Date()` directly). On AWS it is the system
 * clock. The local cloud runs the handlers in its own process on simulated time, where the system clock
 * is not the services' clock; it installs a source here (local/core/invocation.ts) so that the
 * timestamps a handler writes, compares or logs agree with those of the meetings, pipelines, roles and
 * executions it deals with.
 */
const SOURCE = Symbol.for('chime-recording.time-source');

type Source = () => number;

/** Milliseconds since the epoch. */
export function now(): number {
  const source = (globalThis as { [SOURCE]?: Source })[SOURCE];
  return source ? source() : Date.now();
}

/** Now, in ISO 8601 (UTC). */
export function nowIso(): string {
  return new Date(now()).toISOString();
}

/** For the local cloud only: where `now()` reads the time from (undefined: the system clock). */
export function setTimeSource(source: Source | undefined): void {
  (globalThis as { [SOURCE]?: Source })[SOURCE] = source;
}

const SLEEP = Symbol.for('chime-recording.sleep');

type Sleeper = (ms: number) => Promise<void>;

/**
 * Waits `ms` on the same clock as `now()`: on AWS a timer; in the local cloud a timer on its simulated
 * clock (installed with setSleeper), so a handler waiting for its slot of Chime's quota waits simulated
 * time, never real time the simulation does not see.
 */
export function sleep(ms: number): Promise<void> {
  if (!(ms > 0)) return Promise.resolve();
  const sleeper = (globalThis as { [SLEEP]?: Sleeper })[SLEEP];
  return sleeper ? sleeper(ms) : new Promise((resolve) => setTimeout(resolve, ms));
}

/** For the local cloud only: how `sleep()` waits (undefined: a real timer). */
export function setSleeper(sleeper: Sleeper | undefined): void {
  (globalThis as { [SLEEP]?: Sleeper })[SLEEP] = sleeper;
}
