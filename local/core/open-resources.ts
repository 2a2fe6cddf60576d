/**
 * What the local cloud holds open while it runs (its port, worker threads, a real timer armed for the
 * next simulated event), registered process-wide so that whatever outlives its owner can be named: the
 * test run fails on anything still listed when a test file ends (test/environment.js), instead of hanging
 * after its last test. Each owner registers when it opens and unregisters in its own close().
 */
const KEY = Symbol.for('chime-recording.open-resources');

export interface OpenResource {
  what: string;
  /** The first caller outside local/ when it was opened (usually the test or tool that owns it). */
  openedBy: string;
}

function registry(): Map<number, OpenResource> {
  const holder = globalThis as unknown as Record<symbol, Map<number, OpenResource> | undefined>;
  return (holder[KEY] ??= new Map());
}

let nextId = 0;

/** Registers `what` as open; the returned function unregisters it (idempotent). */
export function opened(what: string): () => void {
  const id = ++nextId;
  registry().set(id, { what, openedBy: caller() });
  return () => {
    registry().delete(id);
  };
}

/** Everything registered and not yet closed. */
export function stillOpen(): OpenResource[] {
  return [...registry().values()];
}

function caller(): string {
  const frames = (new Error().stack ?? '').split('\n').slice(1).map((l) => l.trim());
  const outside = frames.find((f) => !/[/\\]local[/\\]|node:internal|node_modules/.test(f));
  return outside?.replace(/^at\s+/, '') ?? 'unknown';
}
