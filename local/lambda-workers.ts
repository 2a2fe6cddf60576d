import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Exchange, WireAnswer, WireRequest } from './core/in-process';
import type { InvocationHold } from './core/invocation';
import { opened } from './core/open-resources';
import { LambdaFunctionError } from './lambda';

/**
 * The Lambda handlers in worker threads (LocalCloud's `lambdaThreads`): the cloud's own thread keeps the
 * services (routing, DynamoDB, S3, Step Functions, the bus) and each worker runs the handlers with their
 * SDK clients, whose requests come back to the cloud's router as messages (the same in-process request
 * handler, with a message instead of a direct call). One process then uses more than one core, as a
 * thousand concurrent recordings need; what the handlers see is unchanged (same code, same clients,
 * same environment: each worker starts with process.env as deploy left it). Each worker is its own set
 * of Lambda containers: module state (clients, caches) is per worker, as it is per container on AWS.
 *
 * Node's worker_threads is the whole mechanism; a pool library (piscina, workerpool) would add a
 * dependency for what is one message loop here, and none relays a worker's outbound requests.
 */
export interface WorkerSetup {
  root: string;
  account: string;
  region: string;
  /** Send the handlers' SDK requests to the cloud through the parent (else they use AWS_ENDPOINT_URL). */
  routeSdkToCloud: boolean;
}

/** `now`: the cloud's simulated time when the message was sent (the handler's clock, functions/lib/time.ts). */
export type ToWorker =
  | { type: 'invoke'; id: number; name: string; payload: unknown; now: number }
  | { type: 'answer'; id: number; answer?: WireAnswer; error?: string; now: number }
  /** A handler's sleep (functions/lib/time.ts) is over on the simulated clock. */
  | { type: 'woke'; id: number; now: number };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; id: number; json: string }
  | { type: 'failed'; id: number; errorType: string; errorMessage: string }
  /** `invocation`: the id of the invoke message whose handler sent the request. */
  | { type: 'request'; id: number; invocation?: number; request: WireRequest }
  /** A handler asks to sleep `ms` of simulated time. */
  | { type: 'sleep'; id: number; invocation?: number; ms: number };

/** Plain JavaScript: it registers the TypeScript loader before loading the worker's code. */
const BOOT = path.join(__dirname, 'lambda-worker-boot.cjs');

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void; hold?: InvocationHold }>;
}

export class LambdaWorkers {
  private readonly threads: Thread[] = [];
  private nextId = 0;
  private closing = false;

  private constructor(
    private readonly setup: WorkerSetup,
    private readonly exchange: Exchange,
    /** The cloud's simulated time, sent with every message so the handlers' clock follows it. */
    private readonly now: () => number,
    /** A sleep on the simulated clock for an invocation (releasing its hold meanwhile). */
    private readonly sleep: (ms: number, hold: InvocationHold | undefined) => Promise<void>,
  ) {}

  /** Starts `count` workers and waits until each has loaded every handler (Lambda's init phase). */
  static async start(count: number, setup: WorkerSetup, exchange: Exchange, now: () => number, sleep: (ms: number, hold: InvocationHold | undefined) => Promise<void>): Promise<LambdaWorkers> {
    const pool = new LambdaWorkers(setup, exchange, now, sleep);
    await Promise.all(Array.from({ length: count }, () => pool.spawn()));
    return pool;
  }

  /** Runs the function in the worker with the fewest invocations in flight. */
  invoke(name: string, payload: unknown, hold: InvocationHold | undefined, now: () => number): Promise<unknown> {
    if (this.threads.length === 0) return Promise.reject(new LambdaFunctionError('Runtime.ExitError', 'every Lambda worker thread has exited'));
    const thread = this.threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject, hold });
      thread.worker.postMessage({ type: 'invoke', id, name, payload, now: now() } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
    this.unregister();
  }

  private readonly unregister = opened('the Lambda worker threads of a local cloud (LambdaWorkers)');

  private spawn(): Promise<void> {
    // The environment as the cloud set it for the handlers (deploy), copied: under Jest process.env is
    // the test's own object, which a worker sharing the process's environment would not see.
    const worker = new Worker(BOOT, { workerData: this.setup, env: { ...process.env } });
    const thread: Thread = { worker, pending: new Map() };
    return new Promise<void>((ready, failedToStart) => {
      let started = false;
      worker.on('message', (msg: FromWorker) => {
        switch (msg.type) {
          case 'ready':
            started = true;
            this.threads.push(thread);
            ready();
            break;
          case 'request':
            this.exchange(msg.request, msg.invocation === undefined ? undefined : thread.pending.get(msg.invocation)?.hold).then(
              (answer) => worker.postMessage({ type: 'answer', id: msg.id, answer, now: this.now() } satisfies ToWorker),
              (err: unknown) => worker.postMessage({ type: 'answer', id: msg.id, error: err instanceof Error ? err.message : String(err), now: this.now() } satisfies ToWorker),
            );
            break;
          case 'sleep':
            void this.sleep(msg.ms, msg.invocation === undefined ? undefined : thread.pending.get(msg.invocation)?.hold).then(() =>
              worker.postMessage({ type: 'woke', id: msg.id, now: this.now() } satisfies ToWorker),
            );
            break;
          case 'result':
          case 'failed': {
            const call = thread.pending.get(msg.id);
            thread.pending.delete(msg.id);
            if (msg.type === 'result') call?.resolve(JSON.parse(msg.json));
            else call?.reject(new LambdaFunctionError(msg.errorType, msg.errorMessage));
          }
        }
      });
      // A worker that dies takes its invocations with it, as a crashed Lambda container does.
      const died = (reason: string) => {
        const i = this.threads.indexOf(thread);
        if (i >= 0) this.threads.splice(i, 1);
        for (const call of thread.pending.values()) call.reject(new LambdaFunctionError('Runtime.ExitError', reason));
        thread.pending.clear();
        if (!started) failedToStart(new Error(`a Lambda worker thread failed to start: ${reason}`));
      };
      worker.on('error', (err) => died(err.stack ?? err.message));
      worker.on('exit', (code) => {
        if (!this.closing) died(`the Lambda worker thread exited with code ${code}`);
      });
    });
  }
}
