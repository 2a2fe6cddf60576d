import { Worker } from 'node:worker_threads';

/**
 * Writes object files on a worker thread. Creating a file is the costliest step of an S3 put (on some
 * filesystems far more than everything else a put does), and a thousand captures flushing a chunk each
 * must not stall every other request on the main thread. One worker doing plain synchronous writes uses
 * the second core at the cost of synchronous I/O; libuv's asynchronous fs costs about twice the CPU per
 * file here (a thread handoff per system call). Writes are batched per turn of the event loop and run
 * in the order they were asked for, so puts of one key land in order.
 *
 * Each write goes to a temporary file renamed into place, so a reader never sees half an object;
 * missing folders are created when a write or rename reports them missing.
 */
export interface WriteResult {
  /** The written file's mtime, to notice later edits made outside S3. */
  mtimeMs: number;
}

interface Job {
  id: number;
  tmp: string;
  file: string;
  data: Uint8Array;
}

type Reply = { id: number; mtimeMs: number } | { id: number; error: { code?: string; message: string } };

// Plain JavaScript run with `eval`: no loader (tsx, Jest's transform) is needed in the worker.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
function withFolder(folder, write) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return write();
    } catch (err) {
      // Another object's delete may prune the folder again between the mkdir and the retry.
      if (!err || err.code !== 'ENOENT' || attempt === 3) throw err;
      fs.mkdirSync(folder, { recursive: true });
    }
  }
}
parentPort.on('message', (jobs) => {
  const replies = [];
  for (const job of jobs) {
    try {
      withFolder(path.dirname(job.tmp), () => fs.writeFileSync(job.tmp, job.data));
      try {
        withFolder(path.dirname(job.file), () => fs.renameSync(job.tmp, job.file));
      } catch (err) {
        fs.rmSync(job.tmp, { force: true });
        throw err;
      }
      replies.push({ id: job.id, mtimeMs: fs.statSync(job.file).mtimeMs });
    } catch (err) {
      replies.push({ id: job.id, error: { code: err && err.code, message: String(err && err.message || err) } });
    }
  }
  parentPort.postMessage(replies);
});
`;

export class FileWriter {
  private worker?: Worker;
  private nextId = 0;
  private queued: Job[] = [];
  private readonly pending = new Map<number, { resolve: (r: WriteResult) => void; reject: (err: Error) => void }>();
  private idle: Array<() => void> = [];

  /** Writes `data` to `tmp`, then renames it to `file`. */
  write(tmp: string, file: string, data: Uint8Array): Promise<WriteResult> {
    const id = this.nextId++;
    // A copy of exactly the bytes, moved (not cloned) to the worker: a Buffer is often a view into a
    // larger shared slab, which cloning would copy whole.
    const bytes = new Uint8Array(data.byteLength);
    bytes.set(data);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.queued.length === 0) setImmediate(() => this.send());
      this.queued.push({ id, tmp, file, data: bytes });
    });
  }

  /** Resolves once every write asked for so far has landed or failed. */
  /** Writes asked for that have not landed yet. */
  get busy(): number {
    return this.pending.size;
  }

  settled(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    await this.settled();
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private send(): void {
    const jobs = this.queued;
    this.queued = [];
    if (jobs.length > 0) this.start().postMessage(jobs, jobs.map((j) => j.data.buffer as ArrayBuffer));
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    // Idle, it must not keep the process alive; busy, the pending promises do.
    worker.unref();
    worker.on('message', (replies: Reply[]) => {
      for (const reply of replies) {
        const waiter = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        if (!waiter) continue;
        if ('error' in reply) waiter.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
        else waiter.resolve({ mtimeMs: reply.mtimeMs });
      }
      this.notifyIdle();
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(new Error('the local cloud S3 writer thread exited'));
    });
    this.worker = worker;
    return worker;
  }

  private failAll(err: Error): void {
    for (const [id, waiter] of this.pending) {
      this.pending.delete(id);
      waiter.reject(err);
    }
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.pending.size > 0) return;
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }
}
