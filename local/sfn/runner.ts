import './polyfill';
import { randomBytes } from 'node:crypto';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { SimClock } from '../core/clock';
import { ServiceError } from '../core/service';
import type { LambdaRuntime } from '../lambda';
import { historyFromLog, type HistoryEvent, type LibraryEvent } from './history';

/**
 * Runs Standard executions of an ASL definition with aws-local-stepfunctions, adding what that library
 * leaves to its host:
 * - Task resources: Lambda ARNs and the `lambda:invoke` / `lambda:invoke.waitForTaskToken` integrations
 *   are mapped to the in-process Lambda runtime (the library's override hook is keyed by state name);
 * - task tokens: `$$.Task.Token` yields a fresh token per evaluation, the task waits until SendTaskSuccess /
 *   SendTaskFailure or until its TimeoutSeconds passes on the simulated clock (States.Timeout);
 * - simulated time: Wait states and retry pauses (full jitter, backoff, MaxDelaySeconds) are scaled by
 *   the clock, so a one-hour wait passes in milliseconds when the clock is compressed;
 * - history in the GetExecutionHistory shape, and counters for transitions and Lambda invocations.
 */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  /** States entered plus retries: what Standard workflows bill as state transitions. */
  transitions: number;
  lambdaInvocations: number;
  done: Promise<void>;
  abort: (error?: string, cause?: string) => void;
}

interface TokenWaiter {
  executionArn: string;
  stateName: string;
  settle?: (outcome: { output: unknown } | { error: string; cause: string }) => void;
  closed: boolean;
}

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_INVOKE_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

type StateDef = Record<string, unknown> & { Type: string };

export class ExecutionRunner {
  readonly tokens = new Map<string, TokenWaiter>();
  /**
   * Executions pausing now: in a Wait state, or between a failed attempt and its retry. Both sleep on
   * real timers (the library's), invisible to the simulated clock, so LocalCloud.fastForward must not
   * skip simulated time while one is pending (it would, say, let a meeting idle out while StartCapture
   * waits to retry a throttled call).
   */
  get waiting(): number {
    return this.inWait.size;
  }
  private readonly inWait = new Set<Execution>();
  readonly historyListeners = new Set<(execution: Execution, event: HistoryEvent) => void>();
  /**
   * One library StateMachine per definition text: its constructor validates the definition with a
   * freshly compiled JSON schema (tens of ms), while run() keeps no state between executions.
   */
  private readonly machines = new Map<string, StateMachine>();

  constructor(
    private readonly clock: SimClock,
    private readonly lambda: LambdaRuntime,
  ) {}

  /** Replaces CloudFormation `Fn::GetAtt [XLambdaFunction, Arn]` with the function ARN, as a deploy would. */
  resolveDefinition(definition: unknown): StateMachineDefinition {
    const resolve = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(resolve);
      if (!node || typeof node !== 'object') return node;
      const obj = node as Record<string, unknown>;
      const getAtt = obj['Fn::GetAtt'];
      if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && Object.keys(obj).length === 1) {
        const fn = this.lambda.nameFromLogicalId(String(getAtt[0]));
        if (!fn) throw new ServiceError('InvalidDefinition', 400, `Fn::GetAtt ${String(getAtt[0])} names no function declared in serverless.yml`);
        return this.lambda.arnOf(fn);
      }
      return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolve(v)]));
    };
    return resolve(definition) as StateMachineDefinition;
  }

  start(definition: StateMachineDefinition, exec: { executionArn: string; stateMachineArn: string; name: string; input: string }): Execution {
    const states = collectStates(definition);
    const execution: Execution = {
      ...exec,
      status: 'RUNNING',
      startDate: this.clock.now(),
      history: [],
      transitions: 0,
      lambdaInvocations: 0,
      done: Promise.resolve(),
      abort: () => undefined,
    };
    const machine = this.machine(definition);
    const attempts = new Map<string, number>();
    const overrides = {
      taskResourceLocalHandlers: Object.fromEntries(
        [...states].filter(([, s]) => s.Type === 'Task').map(([name, s]) => [name, this.taskHandler(execution, name, s, attempts)]),
      ),
      waitTimeOverrides: Object.fromEntries(
        [...states].filter(([, s]) => s.Type === 'Wait' && typeof s.Seconds === 'number').map(([name, s]) => [name, this.clock.toReal(Number(s.Seconds) * 1000)]),
      ),
      retryIntervalOverrides: this.retryPauses(states, attempts),
    };
    const context = {
      Execution: { Id: exec.executionArn, Name: exec.name, RoleArn: 'arn:aws:iam::000000000000:role/local-state-machine' },
      StateMachine: { Id: exec.stateMachineArn, Name: exec.stateMachineArn.split(':').pop() },
      Task: this.tokenIssuer(execution),
    };
    type RunOptions = NonNullable<Parameters<StateMachine['run']>[1]>;
    // Handlers return JSON (results of JSON.parse), which is what the library's JSONValue type describes.
    const run = machine.run(JSON.parse(exec.input) as Parameters<StateMachine['run']>[0], {
      overrides: overrides as unknown as RunOptions['overrides'],
      context,
      noThrowOnAbort: true,
    });
    let aborted: { error?: string; cause?: string } | undefined;
    execution.abort = (error?: string, cause?: string) => {
      aborted = { error, cause };
      run.abort();
    };
    const logDone = this.consumeLog(execution, run.eventLogs as AsyncGenerator<LibraryEvent>, states);
    execution.done = run.result
      .then(
        (output: unknown) => {
          if (aborted) this.finish(execution, 'ABORTED', { error: aborted.error, cause: aborted.cause });
          else this.finish(execution, 'SUCCEEDED', { output: JSON.stringify(output ?? null) });
        },
        (err: unknown) => {
          const original = err instanceof Error && err.cause instanceof Error ? err.cause : err;
          const name = original instanceof Error ? original.name : 'States.Runtime';
          if (name === 'ExecutionTimeoutError') this.finish(execution, 'TIMED_OUT', { error: 'States.Timeout' });
          else this.finish(execution, 'FAILED', { error: name, cause: original instanceof Error ? original.message : String(original) });
        },
      )
      .then(() => logDone)
      .finally(() => this.closeTokens(execution.executionArn));
    return execution;
  }

  private machine(definition: StateMachineDefinition): StateMachine {
    const key = JSON.stringify(definition);
    let machine = this.machines.get(key);
    if (!machine) {
      machine = new StateMachine(definition, { validationOptions: { checkArn: false } });
      this.machines.set(key, machine);
    }
    return machine;
  }

  sendSuccess(token: string, output: string): void {
    let value: unknown;
    try {
      value = JSON.parse(output);
    } catch {
      throw new ServiceError('InvalidOutput', 400, 'output is not valid JSON.');
    }
    this.waiter(token).settle?.({ output: value });
  }

  sendFailure(token: string, error?: string, cause?: string): void {
    this.waiter(token).settle?.({ error: error ?? '', cause: cause ?? '' });
  }

  heartbeat(token: string): void {
    this.waiter(token);
  }

  private waiter(token: string): TokenWaiter {
    if (!/^[A-Za-z0-9+/=_-]{1,2048}$/.test(token)) throw new ServiceError('InvalidToken', 400, 'Invalid Token.');
    const waiter = this.tokens.get(token);
    if (!waiter) throw new ServiceError('TaskDoesNotExist', 400, 'Task does not exist.');
    if (waiter.closed || !waiter.settle) throw new ServiceError('TaskTimedOut', 400, 'Task Timed Out: Provided task does not exist anymore');
    return waiter;
  }

  /** `$$.Task` whose `Token` is new at every read, as each task entry gets its own token on AWS. */
  private tokenIssuer(execution: Execution): { Token: string } {
    const tokens = this.tokens;
    return {
      get Token(): string {
        const token = `AQB${randomBytes(96).toString('base64url')}`;
        tokens.set(token, { executionArn: execution.executionArn, stateName: '', closed: false });
        return token;
      },
    };
  }

  private taskHandler(execution: Execution, stateName: string, state: StateDef, attempts: Map<string, number>) {
    const resource = String(state.Resource);
    const invoke = async (fnArn: unknown, payload: unknown): Promise<unknown> => {
      const fn = this.lambda.nameFromArn(String(fnArn));
      if (!fn) throw Object.assign(new Error(`Function not found: ${String(fnArn)}`), { name: 'Lambda.ResourceNotFoundException' });
      execution.lambdaInvocations += 1;
      return this.lambda.invoke(fn, payload);
    };
    const track = async (work: Promise<unknown>): Promise<unknown> => {
      try {
        const out = await work;
        attempts.delete(stateName);
        return out;
      } catch (err) {
        attempts.set(stateName, (attempts.get(stateName) ?? 0) + 1);
        throw err;
      }
    };
    if (resource === LAMBDA_INVOKE_TOKEN) {
      return (input: unknown) => track(this.waitForToken(execution, stateName, state, input as { FunctionName: string; Payload: unknown }, invoke));
    }
    if (resource === LAMBDA_INVOKE) {
      return (input: unknown) => {
        const { FunctionName, Payload } = input as { FunctionName: string; Payload: unknown };
        return track(invoke(FunctionName, Payload).then((out) => ({ ExecutedVersion: '$LATEST', Payload: out, StatusCode: 200 })));
      };
    }
    if (resource.startsWith('arn:aws:lambda:')) return (input: unknown) => track(invoke(resource, input));
    return () => Promise.reject(Object.assign(new Error(`The local cloud cannot run Task resource ${resource}`), { name: 'States.Runtime' }));
  }

  private waitForToken(
    execution: Execution,
    stateName: string,
    state: StateDef,
    input: { FunctionName: string; Payload: unknown },
    invoke: (fn: unknown, payload: unknown) => Promise<unknown>,
  ): Promise<unknown> {
    const token = findIssuedToken(input.Payload, this.tokens, execution.executionArn);
    if (!token) return Promise.reject(Object.assign(new Error('waitForTaskToken task passes no $$.Task.Token'), { name: 'States.Runtime' }));
    const waiter = this.tokens.get(token)!;
    waiter.stateName = stateName;
    return new Promise((resolve, reject) => {
      const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : 31_536_000;
      const timer = this.clock.setTimeout(timeoutSeconds * 1000, () => waiter.settle?.({ error: 'States.Timeout', cause: `no callback within ${timeoutSeconds} s` }));
      waiter.settle = (outcome) => {
        if (waiter.closed) return;
        waiter.closed = true;
        this.clock.clearTimeout(timer);
        if ('output' in outcome) resolve(outcome.output);
        else reject(Object.assign(new Error(outcome.cause), { name: outcome.error }));
      };
      // The Lambda's own failure fails the task; its result is ignored (the callback carries the output).
      invoke(input.FunctionName, input.Payload).catch((err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        waiter.settle?.({ error: e.name, cause: e.message });
      });
    });
  }

  /**
   * Retry pauses on simulated time. The library asks `overrides[state][retrierIndex]` each time it
   * retries; answering from the state's consecutive failure count reproduces BackoffRate, MaxDelaySeconds
   * and full jitter, scaled by the clock.
   */
  private retryPauses(states: Map<string, StateDef>, attempts: Map<string, number>): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const [name, state] of states) {
      const retriers = Array.isArray(state.Retry) ? (state.Retry as Array<Record<string, unknown>>) : [];
      if (retriers.length === 0) continue;
      out[name] = new Proxy([] as number[], {
        get: (target, prop) => {
          const index = typeof prop === 'string' && /^\d+$/.test(prop) ? Number(prop) : -1;
          const r = retriers[index];
          if (!r) return Reflect.get(target, prop);
          const interval = Number(r.IntervalSeconds ?? 1) * Math.pow(Number(r.BackoffRate ?? 2), Math.max(0, (attempts.get(name) ?? 1) - 1));
          const capped = r.MaxDelaySeconds === undefined ? interval : Math.min(interval, Number(r.MaxDelaySeconds));
          const seconds = r.JitterStrategy === 'FULL' ? Math.random() * capped : capped;
          return this.clock.toReal(seconds * 1000);
        },
      });
    }
    return out;
  }

  private async consumeLog(execution: Execution, log: AsyncGenerator<LibraryEvent>, states: Map<string, StateDef>): Promise<void> {
    for await (const event of log) {
      if (event.type === 'StateEntered' || event.type === 'StateRetried') execution.transitions += 1;
      // A pause starts at a Wait state's StateEntered, or at the StateFailed of a state with retriers (the
      // library sleeps, then reports StateRetried or goes on to Catch); the next event ends it, whatever it is.
      const state = states.get(event.state?.name ?? '');
      const retries = Array.isArray(state?.Retry) && state.Retry.length > 0;
      if ((event.type === 'StateEntered' && state?.Type === 'Wait') || (event.type === 'StateFailed' && retries)) this.inWait.add(execution);
      else this.inWait.delete(execution);
      for (const h of historyFromLog(event, states, execution, this.clock.now())) this.append(execution, h);
    }
  }

  private append(execution: Execution, event: Omit<HistoryEvent, 'id' | 'previousEventId'>): void {
    const id = execution.history.length + 1;
    const full = { ...event, id, previousEventId: id - 1 } as HistoryEvent;
    execution.history.push(full);
    for (const listen of this.historyListeners) listen(execution, full);
  }

  private finish(execution: Execution, status: ExecutionStatus, result: { output?: string; error?: string; cause?: string }): void {
    this.inWait.delete(execution);
    if (execution.status !== 'RUNNING') return;
    execution.status = status;
    execution.stopDate = this.clock.now();
    Object.assign(execution, result);
  }

  private closeTokens(executionArn: string): void {
    for (const [token, waiter] of this.tokens) {
      if (waiter.executionArn === executionArn) {
        waiter.closed = true;
        // Keep spent tokens briefly known so late callbacks get TaskTimedOut, not TaskDoesNotExist.
        if (!waiter.settle) this.tokens.delete(token);
      }
    }
  }
}

/** Every state by name, including states nested in Parallel branches and Map iterators. */
export function collectStates(definition: { States: Record<string, unknown> }): Map<string, StateDef> {
  const all = new Map<string, StateDef>();
  const visit = (states: Record<string, unknown>) => {
    for (const [name, state] of Object.entries(states)) {
      const s = state as StateDef;
      all.set(name, s);
      for (const branch of (s.Branches as Array<{ States: Record<string, unknown> }> | undefined) ?? []) visit(branch.States);
      const iterator = (s.ItemProcessor ?? s.Iterator) as { States: Record<string, unknown> } | undefined;
      if (iterator) visit(iterator.States);
    }
  };
  visit(definition.States);
  return all;
}

function findIssuedToken(payload: unknown, tokens: Map<string, TokenWaiter>, executionArn: string): string | undefined {
  if (typeof payload === 'string') {
    const w = tokens.get(payload);
    return w && w.executionArn === executionArn && !w.settle ? payload : undefined;
  }
  if (payload && typeof payload === 'object') {
    for (const value of Object.values(payload)) {
      const found = findIssuedToken(value, tokens, executionArn);
      if (found) return found;
    }
  }
  return undefined;
}
