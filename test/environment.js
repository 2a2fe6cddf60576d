// Jest's node environment plus a leak check: a test file fails when it leaves anything open that keeps
// the process alive (a timer, a server, a socket, a worker thread, a child process), instead of the test
// run hanging after its last test. Four readings, each naming what it found:
// - what the local cloud registered as open and never closed (local/core/open-resources.ts);
// - real timers the file's code set and neither cleared nor saw fire (with where they were set);
// - worker threads started during the file that have not exited (with where they were started);
// - Node's other active resources (servers, sockets, child processes) beyond those at the file's start.
const { TestEnvironment } = require('jest-environment-node');

const REGISTRY = Symbol.for('chime-recording.open-resources');
/** Closing sockets and exiting children settle within a few turns of the loop; give them this long. */
const GRACE_MS = Number(process.env.LEAK_CHECK_GRACE_MS ?? 2000);
/** Timers and immediates are read from the wrapped timer functions instead (Jest's own come and go). */
const COUNTED_ELSEWHERE = new Set(['Timeout', 'Immediate']);

function counts(list) {
  const out = new Map();
  for (const type of list) if (!COUNTED_ELSEWHERE.has(type)) out.set(type, (out.get(type) ?? 0) + 1);
  return out;
}

/** The first stack frame outside this file and Node's internals: where the test's code made it. */
function origin(stack) {
  const frames = String(stack).split('\n').slice(1).map((l) => l.trim().replace(/^at\s+/, ''));
  return frames.find((f) => !f.includes(__filename) && !f.startsWith('node:') && !f.includes('(node:')) ?? 'unknown';
}

class LeakCheckingEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    this.baseline = counts(process.getActiveResourcesInfo());
    this.timers = new Map();
    this.wrapTimers();
    this.workers = new Map();
    // Node announces a new worker thread a moment after it starts, without saying who started it.
    this.onWorker = (worker) => {
      this.workers.set(worker, `a worker thread (threadId ${worker.threadId})`);
      worker.once('exit', () => this.workers.delete(worker));
    };
    process.on('worker', this.onWorker);
  }

  wrapTimers() {
    const g = this.global;
    const timers = this.timers;
    const { setTimeout: realSetTimeout, clearTimeout: realClearTimeout, setInterval: realSetInterval, clearInterval: realClearInterval } = g;
    const forget = (timer) => {
      for (const t of timers.keys()) if (t === timer || (typeof timer === 'number' && +t === timer)) timers.delete(t);
    };
    g.setTimeout = function setTimeout(fn, ms, ...args) {
      const timer = realSetTimeout(
        (...a) => {
          timers.delete(timer);
          return typeof fn === 'function' ? fn(...a) : undefined;
        },
        ms,
        ...args,
      );
      timers.set(timer, `a ${ms} ms timer set at ${origin(new Error().stack)}`);
      return timer;
    };
    g.setInterval = function setInterval(fn, ms, ...args) {
      const timer = realSetInterval(fn, ms, ...args);
      timers.set(timer, `a ${ms} ms interval set at ${origin(new Error().stack)}`);
      return timer;
    };
    g.clearTimeout = function clearTimeout(timer) {
      forget(timer);
      return realClearTimeout(timer);
    };
    g.clearInterval = function clearInterval(timer) {
      forget(timer);
      return realClearInterval(timer);
    };
  }

  leftOpen() {
    const registry = this.global[REGISTRY];
    const found = registry ? [...registry.values()].map((r) => `${r.what} (opened at ${r.openedBy})`) : [];
    for (const [timer, what] of this.timers) if (timer.hasRef()) found.push(what);
    found.push(...this.workers.values());
    const now = counts(process.getActiveResourcesInfo());
    const more = [...now].filter(([type, n]) => n > (this.baseline.get(type) ?? 0)).map(([type, n]) => `${n - (this.baseline.get(type) ?? 0)} ${type}`);
    if (more.length > 0) found.push(`Node's active resources beyond those at the start of the file: ${more.join(', ')}`);
    return found;
  }

  async teardown() {
    const deadline = Date.now() + GRACE_MS;
    // Let announcements of the last moment arrive (a worker thread's start is announced asynchronously).
    await new Promise((resolve) => setTimeout(resolve, 20));
    let left = this.leftOpen();
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      left = this.leftOpen();
    }
    process.off('worker', this.onWorker);
    await super.teardown();
    if (left.length > 0) {
      throw new Error(
        `left open after the last test of this file, which would keep the test run from exiting:\n${left.map((l) => `  - ${l}`).join('\n')}\n` +
          `Close each at its owner (the object that opened it, in its close()); --detectOpenHandles shows where Node's resources were made.`,
      );
    }
  }
}

module.exports = LeakCheckingEnvironment;
