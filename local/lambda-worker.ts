import { parentPort, workerData } from 'node:worker_threads';
import { InProcessHttpHandler, type WireAnswer, type WireRequest } from './core/in-process';
import { runningInvocation } from './core/invocation';
import { LambdaFunctionError, LambdaRuntime } from './lambda';
import type { FromWorker, ToWorker, WorkerSetup } from './lambda-workers';

/** The worker thread's side of LambdaWorkers: runs invocations, relays the handlers' SDK requests. */
const port = parentPort;
if (!port) throw new Error('local/lambda-worker.ts runs as a worker thread (see LambdaWorkers)');
const setup = workerData as WorkerSetup;
const runtime = new LambdaRuntime(setup.root, setup.account, setup.region);
const requests = new Map<number, { resolve: (a: WireAnswer) => void; reject: (e: Error) => void }>();
const sleeps = new Map<number, () => void>();
/**
 * The cloud's simulated time as last heard (every message from the cloud carries it): simulated time
 * stands still while a handler computes, and moves only while it waits on the cloud, whose answer brings
 * the new time.
 */
let simulatedNow = Date.now();
let nextId = 0;

const send = (msg: FromWorker) => port.postMessage(msg);

runtime.preload();
runtime.useRequestHandler(
  setup.routeSdkToCloud
    ? new InProcessHttpHandler(
        (request: WireRequest) =>
          new Promise<WireAnswer>((resolve, reject) => {
            const id = ++nextId;
            requests.set(id, { resolve, reject });
            send({ type: 'request', id, invocation: runningInvocation.getStore()?.id, request });
          }),
      )
    : undefined,
);

port.on('message', (msg: ToWorker) => {
  simulatedNow = msg.now;
  if (msg.type === 'woke') {
    const wake = sleeps.get(msg.id);
    sleeps.delete(msg.id);
    wake?.();
    return;
  }
  if (msg.type === 'answer') {
    const call = requests.get(msg.id);
    requests.delete(msg.id);
    if (msg.answer) call?.resolve(msg.answer);
    else call?.reject(new Error(msg.error ?? 'the local cloud did not answer'));
    return;
  }
  const invocation = msg.id;
  // A sleep is a timer on the cloud's simulated clock, in the cloud's thread; the wake brings the new time.
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const id = ++nextId;
      sleeps.set(id, resolve);
      send({ type: 'sleep', id, invocation, ms });
    });
  runningInvocation.run({ id: msg.id, now: () => simulatedNow, sleep }, () => runtime.execute(msg.name, msg.payload)).then(
    // JSON, as Lambda returns it: whatever the handler returned crosses the thread boundary as text.
    (value) => send({ type: 'result', id: msg.id, json: JSON.stringify(value ?? null) }),
    (err: unknown) => {
      const failure = LambdaFunctionError.from(err);
      send({ type: 'failed', id: msg.id, errorType: failure.errorType, errorMessage: failure.errorMessage });
    },
  );
});

send({ type: 'ready' });
