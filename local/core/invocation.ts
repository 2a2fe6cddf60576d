import { AsyncLocalStorage } from 'node:async_hooks';
import { setSleeper, setTimeSource } from '../../functions/lib/time';

/**
 * A running Lambda invocation holds simulated time still while its handler computes, but not while it
 * awaits one of its requests: the request holds the clock itself while it is answered, and lets go while
 * it waits on the clock (an injected latency), which the invocation's own hold would otherwise turn into
 * a wait forever. So the invocation holds exactly when none of its requests is outstanding.
 */
export class InvocationHold {
  private outstanding = 0;
  private release?: () => void;
  private ended = false;

  constructor(
    private readonly clock?: { hold(): () => void },
    /** Who is calling: the local call log attributes each request of the invocation to it. */
    readonly caller?: Caller,
  ) {
    this.release = clock?.hold();
  }

  requestStarted(): void {
    this.outstanding += 1;
    if (this.outstanding === 1) {
      this.release?.();
      this.release = undefined;
    }
  }

  requestEnded(): void {
    this.outstanding -= 1;
    if (this.outstanding === 0 && !this.ended) this.release = this.clock?.hold();
  }

  end(): void {
    this.ended = true;
    this.release?.();
    this.release = undefined;
  }
}

/**
 * The function an invocation runs and what invoked it: a state machine task (its execution and state) or
 * an EventBridge rule (the event's id).
 */
export interface Caller {
  functionName: string;
  executionArn?: string;
  state?: string;
  eventId?: string;
}

/**
 * The invocation whose handler is running, through its asynchronous calls: in the cloud's thread its
 * hold; in a worker thread the id the cloud's thread knows it by (its requests carry it back).
 */
export interface InvocationScope {
  id: number;
  hold?: InvocationHold;
  /** The cloud's simulated time, as the handler sees it (functions/lib/time.ts). */
  now: () => number;
  /** A wait on the cloud's simulated clock (functions/lib/time.ts sleep), which lets the clock move meanwhile. */
  sleep?: (ms: number) => Promise<void>;
}

export const runningInvocation = new AsyncLocalStorage<InvocationScope>();

// Handlers read the time through functions/lib/time.ts: inside an invocation, the cloud's simulated time.
setTimeSource(() => runningInvocation.getStore()?.now() ?? Date.now());
// ... and wait on it: a handler's sleep is a simulated timer, never a real one.
setSleeper((ms) => {
  const sleep = runningInvocation.getStore()?.sleep;
  return sleep ? sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
});

/**
 * A handler's sleep in the cloud's thread: a timer on the simulated clock, during which the invocation
 * does not hold the clock (as while one of its requests is answered), or time could never reach it.
 */
export function sleepOnClock(clock: { sleep(ms: number): Promise<void> }, hold: InvocationHold | undefined, ms: number): Promise<void> {
  hold?.requestStarted();
  return clock.sleep(ms).finally(() => hold?.requestEnded());
}
