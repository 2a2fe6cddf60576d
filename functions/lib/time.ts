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
