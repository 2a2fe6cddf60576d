import './polyfill';
import { randomBytes } from 'node:crypto';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { SimClock, SimTimer } from '../core/clock';
import { ServiceError } from '../core/service';
import type { LambdaRuntime } from '../lambda';
import { LOCAL_PARTITION } from '../stack';
import { historyFromLog, type HistoryEvent, type LibraryEvent } from './history';

/**
 * Runs Standard executions of an ASL definition with aws-local-stepfunctions, adding what that library
 * leaves to its host, and keeping every pause on the simulated clock:
 * - Task resources: Lambda ARNs and the `lambda:invoke` / `lambda:invoke.waitForTaskToken` integrations
 *   are mapped to the in-process Lambda runtime (the library's override hook is keyed by state name);
 * - task tokens: `$$.Task.Token` yields a fresh token per evaluation, the task waits until SendTaskSuccess /
 *   SendTaskFailure;
 * - time: the library sleeps and times out on real timers, so the definition it runs is rewritten to keep
 *   it from pausing at all, and this runner pauses instead, on the simulated clock: a Task's
 *   TimeoutSeconds / TimeoutSecondsPath, the execution's TimeoutSeconds, Retry backoff (IntervalSeconds,
 *   BackoffRate, MaxDelaySeconds, full jitter), and Wait states (run as a local task that sleeps);
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
const EVENTS_PUT = 'arn:aws:states:::events:putEvents';

/** EventBridge PutEvents as the state machine's role calls it: entries in, EventBridge's answer out. */
export type PutEvents = (entries: Array<Record<string, unknown>>) => Promise<{ FailedEntryCount?: number; Entries?: object[] }>;
/** The resource a Wait state becomes in the definition the library runs. */
const LOCAL_WAIT = 'arn:local:states:::wait';
/** Where the rewritten definition passes what only the state input can tell (a path's value) to the task. */
const LOCAL = '__local';
const PARAMETERS = '__parameters';
/**
 * The library's own timeout for every task, on a real timer: set as far out as a Node timer reaches
 * (24.8 days) so it never fires; the real timeout runs on the simulated clock. Every task settles when
 * its execution ends or is aborted, which clears the library's timer.
 */
const LIBRARY_TASK_TIMEOUT_SECONDS = 2_147_483;
/** A Task's TimeoutSeconds when the definition gives none (Step Functions developer guide, "Task state"). */
const DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;
/** A used token answers TaskTimedOut for as long as its execution's history is kept (90 days). */
const SPENT_TOKEN_RETENTION_MS = 90 * 24 * 3600_000;

type StateDef = Record<string, unknown> & { Type: string };
type Retrier = { ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number; MaxDelaySeconds?: number; JitterStrategy?: string };

/** What one execution's task handlers share: retry bookkeeping and the tasks in flight (settled on abort). */
interface Run {
  execution: Execution;
  /** Per state: attempts each retrier has used in the current entry of the state. */
  retries: Map<string, number[]>;
  /** Per state: the simulated pause before its next attempt (set when an attempt fails and will be retried). */
  pauses: Map<string, number>;
  /** Per state: when its current entry began and how many retries it has made ($$.State). */
  entries: Map<string, { enteredAt: number; retries: number }>;
  inFlight: Set<(err: Error) => void>;
  tokens: string[];
}

export class ExecutionRunner {
  readonly tokens = new Map<string, TokenWaiter>();
  readonly historyListeners = new Set<(execution: Execution, event: HistoryEvent) => void>();
  private readonly runs = new Set<Run>();
  private readonly evictions = new Set<SimTimer>();
  /**
   * One library StateMachine per definition text: its constructor validates the definition with a
   * freshly compiled JSON schema (tens of ms), while run() keeps no state between executions.
   */
  private readonly machines = new Map<string, { machine: StateMachine; states: Map<string, StateDef>; timeoutSeconds?: number }>();

  constructor(
    private readonly clock: SimClock,
    private readonly lambda: LambdaRuntime,
    private readonly putEvents?: PutEvents,
  ) {}

  /**
   * Resolves what a deploy resolves: `Fn::GetAtt [XLambdaFunction, Arn]` becomes the function ARN, and
   * `${AWS::Partition}` the partition (serverless-step-functions deploys the definition as one Fn::Sub, so
   * CloudFormation substitutes the pseudo parameter wherever it appears).
   */
  resolveDefinition(definition: unknown): StateMachineDefinition {
    const resolve = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(resolve);
      if (typeof node === 'string') return node.replaceAll('${AWS::Partition}', LOCAL_PARTITION);
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
    const resolved = resolve(definition) as StateMachineDefinition;
    this.prepare(resolved);
    return resolved;
  }

  start(definition: StateMachineDefinition, exec: { executionArn: string; stateMachineArn: string; name: string; input: string }): Execution {
    const { machine, states, timeoutSeconds } = this.prepare(definition);
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
    const run: Run = { execution, retries: new Map(), pauses: new Map(), entries: new Map(), inFlight: new Set(), tokens: [] };
    this.runs.add(run);
    const tasks = [...states].filter(([, s]) => s.Type === 'Task' || s.Type === 'Wait');
    const overrides = {
      taskResourceLocalHandlers: Object.fromEntries(tasks.map(([name, s]) => [name, this.taskHandler(run, name, s)])),
      // Retries pause in the task handler, on the simulated clock; the library must not pause too.
      retryIntervalOverrides: Object.fromEntries([...states].filter(([, s]) => Array.isArray(s.Retry)).map(([name, s]) => [name, (s.Retry as unknown[]).map(() => 0)])),
    };
    const context = {
      Execution: { Id: exec.executionArn, Name: exec.name, RoleArn: 'arn:aws:iam::000000000000:role/local-state-machine' },
      StateMachine: { Id: exec.stateMachineArn, Name: exec.stateMachineArn.split(':').pop() },
      Task: this.tokenIssuer(run),
    };
    type RunOptions = NonNullable<Parameters<StateMachine['run']>[1]>;
    // Handlers return JSON (results of JSON.parse), which is what the library's JSONValue type describes.
    const library = machine.run(JSON.parse(exec.input) as Parameters<StateMachine['run']>[0], {
      overrides: overrides as unknown as RunOptions['overrides'],
      context,
      noThrowOnAbort: true,
    });
    let stopped: { status: 'ABORTED' | 'TIMED_OUT'; error?: string; cause?: string } | undefined;
    const stop = (how: NonNullable<typeof stopped>) => {
      if (stopped || execution.status !== 'RUNNING') return;
      stopped = how;
      library.abort();
      // The library only stops between states: settle the tasks in flight, so none (and no real timer of
      // the library's) outlives the execution.
      for (const settle of [...run.inFlight]) settle(Object.assign(new Error(`execution ${how.status === 'ABORTED' ? 'aborted' : 'timed out'}`), { name: 'States.Runtime' }));
    };
    execution.abort = (error?: string, cause?: string) => stop({ status: 'ABORTED', error, cause });
    const timeout = timeoutSeconds === undefined ? undefined : this.clock.setTimeout(timeoutSeconds * 1000, () => stop({ status: 'TIMED_OUT', error: 'States.Timeout' }));
    const logDone = this.consumeLog(execution, library.eventLogs as AsyncGenerator<LibraryEvent>, states);
    execution.done = library.result
      .then(
        (output: unknown) => {
          if (stopped) this.finish(execution, stopped.status, { error: stopped.error, cause: stopped.cause });
          else this.finish(execution, 'SUCCEEDED', { output: JSON.stringify(output ?? null) });
        },
        (err: unknown) => {
          const original = err instanceof Error && err.cause instanceof Error ? err.cause : err;
          const name = original instanceof Error ? original.name : 'States.Runtime';
          this.finish(execution, 'FAILED', { error: name, cause: original instanceof Error ? original.message : String(original) });
        },
      )
      .then(() => logDone)
      .finally(() => {
        this.clock.clearTimeout(timeout);
        this.runs.delete(run);
        this.closeTokens(run);
      });
    return execution;
  }

  /**
   * The first history event of `execution` that `match` accepts, as soon as it is recorded (the promise
   * settles in the same turn as the event, before simulated time can move on); undefined if the execution
   * ends first.
   */
  whenHistory(execution: Execution, match: (event: HistoryEvent) => boolean): Promise<HistoryEvent | undefined> {
    const seen = execution.history.find(match);
    if (seen || execution.status !== 'RUNNING') return Promise.resolve(seen);
    return new Promise((resolve) => {
      const listen = (e: Execution, event: HistoryEvent) => {
        if (e !== execution) return;
        const ended = event.type.startsWith('Execution') && event.type !== 'ExecutionStarted';
        if (!match(event) && !ended) return;
        this.historyListeners.delete(listen);
        resolve(match(event) ? event : undefined);
      };
      this.historyListeners.add(listen);
    });
  }

  /** Stops every running execution (the cloud is closing): nothing of theirs may outlive it. */
  async close(): Promise<void> {
    const running = [...this.runs].map((r) => r.execution);
    for (const e of running) e.abort('States.Runtime', 'the local cloud closed');
    await Promise.all(running.map((e) => e.done));
    for (const t of this.evictions) this.clock.clearTimeout(t);
    this.evictions.clear();
  }

  /**
   * The library machine for a definition, built once: the definition it runs has no pause of its own
   * (see the class comment), and what was removed is kept here for the handlers.
   */
  private prepare(definition: StateMachineDefinition) {
    const key = JSON.stringify(definition);
    let prepared = this.machines.get(key);
    if (!prepared) {
      const states = collectStates(definition as unknown as { States: Record<string, unknown> });
      const { TimeoutSeconds, ...rest } = definition as unknown as Record<string, unknown>;
      const machine = new StateMachine(withoutPauses(rest) as unknown as StateMachineDefinition, { validationOptions: { checkArn: false } });
      prepared = { machine, states, timeoutSeconds: typeof TimeoutSeconds === 'number' ? TimeoutSeconds : undefined };
      this.machines.set(key, prepared);
    }
    return prepared;
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
  private tokenIssuer(run: Run): { Token: string } {
    const tokens = this.tokens;
    return {
      get Token(): string {
        const token = `AQB${randomBytes(96).toString('base64url')}`;
        tokens.set(token, { executionArn: run.execution.executionArn, stateName: '', closed: false });
        run.tokens.push(token);
        return token;
      },
    };
  }

  private taskHandler(run: Run, stateName: string, state: StateDef) {
    const { execution } = run;
    const invoke = async (fnArn: unknown, payload: unknown): Promise<unknown> => {
      const fn = this.lambda.nameFromArn(String(fnArn));
      if (!fn) throw Object.assign(new Error(`Function not found: ${String(fnArn)}`), { name: 'Lambda.ResourceNotFoundException' });
      execution.lambdaInvocations += 1;
      return this.lambda.invoke(fn, payload, { executionArn: execution.executionArn, state: stateName });
    };
    const resource = String(state.Resource ?? '');
    const work = (input: unknown, local: LocalValues): Promise<unknown> => {
      if (state.Type === 'Wait') return this.clock.sleep(waitMs(state, local, this.clock.now())).then(() => input);
      if (resource === LAMBDA_INVOKE_TOKEN) return this.waitForToken(run, stateName, input as { FunctionName: string; Payload: unknown }, invoke);
      if (resource === LAMBDA_INVOKE) {
        const { FunctionName, Payload } = input as { FunctionName: string; Payload: unknown };
        return invoke(FunctionName, Payload).then((out) => ({ ExecutedVersion: '$LATEST', Payload: out, StatusCode: 200 }));
      }
      if (resource.startsWith('arn:aws:lambda:')) return invoke(resource, input);
      if (resource === EVENTS_PUT && this.putEvents) return this.sendEvents(execution, input as { Entries?: Array<Record<string, unknown>> });
      return Promise.reject(Object.assign(new Error(`The local cloud cannot run Task resource ${resource}`), { name: 'States.Runtime' }));
    };
    return async (raw: unknown): Promise<unknown> => {
      const pause = run.pauses.get(stateName);
      run.pauses.delete(stateName);
      if (pause !== undefined) await this.clock.sleep(pause);
      // A first attempt begins an entry; a retry (a pause was due) continues it.
      const entry = pause !== undefined ? run.entries.get(stateName) : undefined;
      if (!entry) run.entries.set(stateName, { enteredAt: this.clock.now(), retries: 0 });
      const { input, local } = unwrap(state, withStateContext(raw, stateName, run.entries.get(stateName)!));
      const timeoutSeconds = state.Type === 'Wait' ? undefined : (local.timeoutSeconds ?? (state.TimeoutSeconds as number | undefined) ?? DEFAULT_TASK_TIMEOUT_SECONDS);
      try {
        const out = await this.settleable(run, work(input, local), timeoutSeconds);
        run.retries.delete(stateName);
        return out;
      } catch (err) {
        this.afterFailure(run, stateName, state, err);
        throw err;
      }
    };
  }

  /**
   * The optimized EventBridge integration ("Add EventBridge events with Step Functions", Step Functions
   * developer guide): each entry's Detail (an object in the ASL) is sent as JSON, the execution ARN and
   * the state machine ARN are appended to its Resources, and a non-zero FailedEntryCount fails the task
   * with EventBridge.FailedEntry. How an error of the call itself is named is not documented there; the
   * local cloud names it EventBridge.<its name>, after the Lambda integration's Lambda.<name> (the
   * workflow's announcements retry and catch States.ALL, so they depend on no name).
   */
  private async sendEvents(execution: Execution, input: { Entries?: Array<Record<string, unknown>> }): Promise<unknown> {
    const entries = (input.Entries ?? []).map((e) => ({
      ...e,
      Detail: typeof e.Detail === 'string' ? e.Detail : JSON.stringify(e.Detail ?? {}),
      Resources: [...((e.Resources as string[] | undefined) ?? []), execution.executionArn, execution.stateMachineArn],
    }));
    let out: Awaited<ReturnType<PutEvents>>;
    try {
      out = await this.putEvents!(entries);
    } catch (err) {
      throw Object.assign(new Error((err as Error).message), { name: `EventBridge.${(err as Error).name}` });
    }
    if ((out.FailedEntryCount ?? 0) > 0) {
      throw Object.assign(new Error(JSON.stringify(out.Entries ?? [])), { name: 'EventBridge.FailedEntry' });
    }
    return { Entries: out.Entries ?? [], FailedEntryCount: out.FailedEntryCount ?? 0 };
  }

  /**
   * The task's outcome, or States.Timeout after `timeoutSeconds` on the simulated clock, or the abort
   * error when the execution stops first.
   */
  private settleable(run: Run, work: Promise<unknown>, timeoutSeconds: number | undefined): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer =
        timeoutSeconds === undefined
          ? undefined
          : this.clock.setTimeout(timeoutSeconds * 1000, () => settle(Object.assign(new Error(`the task did not finish within ${timeoutSeconds} s`), { name: 'States.Timeout' })));
      const settle = (err?: Error, value?: unknown) => {
        if (!run.inFlight.delete(settle)) return;
        this.clock.clearTimeout(timer);
        if (err) reject(err);
        else resolve(value);
      };
      run.inFlight.add(settle);
      work.then(
        (value) => settle(undefined, value),
        (err: unknown) => settle(err instanceof Error ? err : new Error(String(err))),
      );
    });
  }

  /**
   * Decides, as Step Functions (and the library, which must agree) does, whether the failed attempt will
   * be retried: the first retrier whose ErrorEquals matches, unless its MaxAttempts is used up. A retry's
   * pause is computed now and slept before the next attempt; anything else ends the state's entry.
   */
  private afterFailure(run: Run, stateName: string, state: StateDef, err: unknown): void {
    const retriers = (Array.isArray(state.Retry) ? state.Retry : []) as Retrier[];
    const name = err instanceof Error ? err.name : '';
    const counts = run.retries.get(stateName) ?? retriers.map(() => 0);
    const index = retriers.findIndex((r) => r.ErrorEquals.some((e) => e === name || e === 'States.ALL' || (e === 'States.TaskFailed' && name !== 'States.Timeout')));
    const retrier = retriers[index];
    if (!retrier || counts[index]! >= (retrier.MaxAttempts ?? 3)) {
      run.retries.delete(stateName);
      return;
    }
    const interval = (retrier.IntervalSeconds ?? 1) * Math.pow(retrier.BackoffRate ?? 2, counts[index]!);
    const capped = retrier.MaxDelaySeconds === undefined ? interval : Math.min(interval, retrier.MaxDelaySeconds);
    const seconds = retrier.JitterStrategy === 'FULL' ? Math.random() * capped : capped;
    counts[index]! += 1;
    run.retries.set(stateName, counts);
    run.pauses.set(stateName, seconds * 1000);
    const entry = run.entries.get(stateName);
    if (entry) entry.retries += 1;
  }

  private waitForToken(run: Run, stateName: string, input: { FunctionName: string; Payload: unknown }, invoke: (fn: unknown, payload: unknown) => Promise<unknown>): Promise<unknown> {
    const token = findIssuedToken(input.Payload, this.tokens, run.execution.executionArn);
    if (!token) return Promise.reject(Object.assign(new Error('waitForTaskToken task passes no $$.Task.Token'), { name: 'States.Runtime' }));
    const waiter = this.tokens.get(token)!;
    waiter.stateName = stateName;
    return new Promise((resolve, reject) => {
      waiter.settle = (outcome) => {
        if (waiter.closed) return;
        waiter.closed = true;
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

  private async consumeLog(execution: Execution, log: AsyncGenerator<LibraryEvent>, states: Map<string, StateDef>): Promise<void> {
    for await (const event of log) {
      if (event.type === 'StateEntered' || event.type === 'StateRetried') execution.transitions += 1;
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
    if (execution.status !== 'RUNNING') return;
    execution.status = status;
    execution.stopDate = this.clock.now();
    Object.assign(execution, result);
  }

  /**
   * The execution's tokens stop working: a late callback on a used token gets TaskTimedOut for as long as
   * the execution's history is kept, then TaskDoesNotExist (the token is forgotten, on simulated time).
   */
  private closeTokens(run: Run): void {
    for (const token of run.tokens) {
      const waiter = this.tokens.get(token);
      if (!waiter) continue;
      waiter.closed = true;
      // Read but never waited on (a retried state read $$.Task.Token and failed first): nothing to remember.
      if (!waiter.settle) this.tokens.delete(token);
    }
    const spent = run.tokens.filter((t) => this.tokens.has(t));
    if (spent.length === 0) return;
    const timer = this.clock.setTimeout(SPENT_TOKEN_RETENTION_MS, () => {
      this.evictions.delete(timer);
      for (const t of spent) this.tokens.delete(t);
    });
    this.evictions.add(timer);
  }
}

interface LocalValues {
  timeoutSeconds?: number;
  seconds?: number;
  timestamp?: string;
}

/**
 * The definition the library runs: the same states, but nothing in it pauses on a real timer. Wait
 * states become tasks this runner handles; a Task's timeout moves out of the library's reach; what a
 * path in the state input decides (TimeoutSecondsPath, a Wait's SecondsPath or TimestampPath) is passed
 * to the handler through Parameters, which the library evaluates against the same input.
 */
function withoutPauses(node: Record<string, unknown>): Record<string, unknown> {
  const states = node.States as Record<string, StateDef>;
  return {
    ...node,
    States: Object.fromEntries(
      Object.entries(states).map(([name, s]) => {
        const state: Record<string, unknown> = { ...s };
        if (Array.isArray(state.Branches)) state.Branches = (state.Branches as Array<Record<string, unknown>>).map(withoutPauses);
        for (const key of ['ItemProcessor', 'Iterator']) if (state[key]) state[key] = withoutPauses(state[key] as Record<string, unknown>);
        if (s.Type === 'Wait') return [name, waitAsTask(name, state)];
        if (s.Type !== 'Task') return [name, state];
        if (state.Parameters !== undefined) state.Parameters = markStateContext(name, state.Parameters);
        const { TimeoutSecondsPath, HeartbeatSeconds: _h, HeartbeatSecondsPath: _hp, ...task } = state;
        task.TimeoutSeconds = LIBRARY_TASK_TIMEOUT_SECONDS;
        if (typeof TimeoutSecondsPath === 'string') {
          requireWholeInput(name, state, 'TimeoutSecondsPath');
          task.Parameters = carry(state.Parameters, { 'timeoutSeconds.$': TimeoutSecondsPath });
        }
        return [name, task];
      }),
    ),
  };
}

function waitAsTask(name: string, wait: Record<string, unknown>): Record<string, unknown> {
  const { Seconds, SecondsPath, Timestamp, TimestampPath, Type: _t, ...rest } = wait;
  if (SecondsPath !== undefined || TimestampPath !== undefined) requireWholeInput(name, wait, SecondsPath !== undefined ? 'SecondsPath' : 'TimestampPath');
  const local =
    SecondsPath !== undefined ? { 'seconds.$': SecondsPath } : TimestampPath !== undefined ? { 'timestamp.$': TimestampPath } : Timestamp !== undefined ? { timestamp: Timestamp } : { seconds: Seconds ?? 0 };
  return { ...rest, Type: 'Task', Resource: LOCAL_WAIT, Parameters: carry(undefined, local), TimeoutSeconds: LIBRARY_TASK_TIMEOUT_SECONDS };
}

/** Parameters that evaluate to the task's own input (or Parameters) plus the local values. */
function carry(parameters: unknown, local: Record<string, unknown>): Record<string, unknown> {
  return parameters === undefined ? { [LOCAL]: local, [`${PARAMETERS}.$`]: '$' } : { [LOCAL]: local, [PARAMETERS]: parameters };
}

/** These paths refer to the state input; Parameters see it after InputPath, so the two must agree. */
function requireWholeInput(name: string, state: Record<string, unknown>, field: string): void {
  if (state.InputPath !== undefined && state.InputPath !== '$') {
    throw new ServiceError('InvalidDefinition', 400, `state ${name}: the local cloud cannot combine ${field} with InputPath`);
  }
}

function unwrap(state: StateDef, raw: unknown): { input: unknown; local: LocalValues } {
  const carried = state.Type === 'Wait' || typeof state.TimeoutSecondsPath === 'string';
  if (!carried) return { input: raw, local: {} };
  const { [LOCAL]: local, [PARAMETERS]: input } = raw as Record<string, unknown>;
  return { input, local: local as LocalValues };
}

/**
 * `$$.State` (the context object's Name, EnteredTime, RetryCount), which the library does not provide:
 * a Parameters field that selects one is replaced by a marker, filled in when the task runs.
 */
const STATE_CONTEXT = '\u0000$$.State.';
const STATE_FIELDS = new Set(['Name', 'EnteredTime', 'RetryCount']);

function markStateContext(stateName: string, node: unknown): unknown {
  if (Array.isArray(node)) return node.map((n) => markStateContext(stateName, n));
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node as Record<string, unknown>).map(([key, value]) => {
      if (!key.endsWith('.$') || typeof value !== 'string' || !value.includes('$$.State')) return [key, markStateContext(stateName, value)];
      const field = /^\$\$\.State\.(\w+)$/.exec(value)?.[1];
      if (!field || !STATE_FIELDS.has(field)) {
        throw new ServiceError('InvalidDefinition', 400, `state ${stateName}: the local cloud supports $$.State only as $$.State.Name, $$.State.EnteredTime or $$.State.RetryCount, not "${value}"`);
      }
      return [key.slice(0, -2), `${STATE_CONTEXT}${field}`];
    }),
  );
}

function withStateContext(input: unknown, stateName: string, entry: { enteredAt: number; retries: number }): unknown {
  if (typeof input === 'string' && input.startsWith(STATE_CONTEXT)) {
    const field = input.slice(STATE_CONTEXT.length);
    return field === 'Name' ? stateName : field === 'EnteredTime' ? new Date(entry.enteredAt).toISOString() : entry.retries;
  }
  if (Array.isArray(input)) return input.map((i) => withStateContext(i, stateName, entry));
  if (!input || typeof input !== 'object') return input;
  return Object.fromEntries(Object.entries(input as Record<string, unknown>).map(([k, v]) => [k, withStateContext(v, stateName, entry)]));
}

function waitMs(state: StateDef, local: LocalValues, now: number): number {
  if (local.timestamp !== undefined) return Math.max(0, Date.parse(local.timestamp) - now);
  return Math.max(0, Number(local.seconds ?? state.Seconds ?? 0) * 1000);
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
