import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { InvocationHold, runningInvocation, sleepOnClock, type Caller } from './core/invocation';
import type { Pattern } from './core/pattern';
import { UNCONFIGURED_CLIENT_PATH } from './core/server';
import type { LambdaWorkers } from './lambda-workers';

/**
 * Runs the stack's Lambda handlers in-process, as declared in serverless.yml (handler path, timeout,
 * EventBridge rules). The handlers are the real code, with the SDK's full request pipeline: by default
 * their clients (the product's registry, functions/lib/clients) hand each signed request to the cloud's
 * router in this process (LocalCloud's `lambdaTransport`), or send it over HTTP. They run in the cloud's thread,
 * or in worker threads (`lambdaThreads`, local/lambda-workers.ts); either way this runtime counts the
 * invocations. A thrown error becomes a Lambda function error whose name is the errorType and whose
 * message is the JSON payload Step Functions puts in `Cause`.
 */
export interface FunctionSpec {
  name: string;
  /** Module path relative to the repo root, without extension, e.g. functions/cleanup/handler. */
  module: string;
  exportName: string;
  timeoutSeconds: number;
  eventRules: Array<{ pattern: Pattern; retryPolicy?: { maximumRetryAttempts?: number; maximumEventAge?: number } }>;
  /** API Gateway (REST) routes: `http` events, e.g. { method: 'GET', path: 'recordings/{id}' }. */
  httpRoutes: Array<{ method: string; path: string }>;
  /** EventBridge schedule rules (`schedule` events) as written, e.g. `rate(${param:reconcilerRate})`. */
  schedules: string[];
}

export interface Invocation {
  functionName: string;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  errorType?: string;
}

type Handler = (event: unknown, context: Record<string, unknown>) => Promise<unknown>;

/** The product's registry of its SDK clients (functions/lib/clients/index.ts). */
const CLIENT_REGISTRY = path.join('functions', 'lib', 'clients');

interface RequestHandler {
  handle(request: unknown, options?: unknown): Promise<unknown>;
  destroy?(): void;
}

interface SdkClient {
  config: { requestHandler?: unknown };
  middlewareStack: { add(middleware: unknown, options: { step: string; name: string; override: boolean }): void };
}

/**
 * Takes the path the deploy puts on AWS_ENDPOINT_URL (UNCONFIGURED_CLIENT_PATH) off a registry client's
 * requests once they are built, before they are signed: what the client sends, and what it presigns
 * (getSignedUrl runs the client's middleware but stops before the request handler), then name the
 * cloud's own address, so a presigned URL works from anywhere that reaches the cloud.
 */
const TAKE_OFF_PATH = 'localCloudTakeOffUnconfiguredPath';
const takeOffPath = (next: (args: { request: unknown }) => Promise<unknown>) => (args: { request: unknown }) => {
  const r = args.request as { path?: unknown };
  if (typeof r.path === 'string' && r.path.startsWith(UNCONFIGURED_CLIENT_PATH)) r.path = r.path.slice(UNCONFIGURED_CLIENT_PATH.length) || '/';
  return next(args);
};

/**
 * Where a registry client sends its requests, re-pointable: the clients cache their resolved middleware
 * (`cacheMiddleware`), and that chain keeps the request handler it was resolved with, so a cloud that
 * replaces the handler later (another deploy, another cloud in the same process) re-points this slot.
 * Only clients configured here (a slot, and the takeOffPath middleware) reach the cloud's services; any
 * other client's requests arrive with UNCONFIGURED_CLIENT_PATH and are refused.
 */
class RequestHandlerSlot {
  readonly metadata = { handlerProtocol: 'http/1.1' };

  constructor(
    public target: RequestHandler,
    /** The handler the SDK made for the client, for going over HTTP (lambdaTransport 'http'). */
    readonly own: RequestHandler,
  ) {}

  handle(request: unknown, options?: unknown): Promise<unknown> {
    return this.target.handle(request, options);
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {
    this.own.destroy?.();
  }
}

export class LambdaFunctionError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
  ) {
    // Step Functions reports a Lambda failure's Cause as this JSON document.
    super(JSON.stringify({ errorType, errorMessage, trace: [] }));
    this.name = errorType;
  }

  /** Whatever a handler threw, as Lambda reports it: the error's name as errorType, its message. */
  static from(err: unknown): LambdaFunctionError {
    if (err instanceof LambdaFunctionError) return err;
    return err instanceof Error ? new LambdaFunctionError(err.name || 'Error', err.message) : new LambdaFunctionError('Error', String(err));
  }
}

export function loadFunctionSpecs(root: string): Map<string, FunctionSpec> {
  const doc = YAML.parse(fs.readFileSync(path.join(root, 'serverless.yml'), 'utf8')) as {
    provider?: { timeout?: number };
    functions?: Record<string, { handler: string; timeout?: number; events?: Array<Record<string, unknown>> }>;
  };
  const specs = new Map<string, FunctionSpec>();
  for (const [name, fn] of Object.entries(doc.functions ?? {})) {
    const dot = fn.handler.lastIndexOf('.');
    const rules = (fn.events ?? [])
      .map((e) => e.eventBridge as { pattern?: Pattern; retryPolicy?: { maximumRetryAttempts?: number; maximumEventAge?: number } } | undefined)
      .filter((e): e is { pattern: Pattern; retryPolicy?: { maximumRetryAttempts?: number; maximumEventAge?: number } } => Boolean(e?.pattern))
      .map((e) => ({ pattern: e.pattern, retryPolicy: e.retryPolicy }));
    const httpRoutes = (fn.events ?? [])
      .map((e) => e.http as { method?: string; path?: string } | undefined)
      .filter((e): e is { method: string; path: string } => typeof e?.method === 'string' && typeof e.path === 'string')
      .map((e) => ({ method: e.method.toUpperCase(), path: e.path.replace(/^\/+/, '') }));
    const schedules = (fn.events ?? []).flatMap((e) => {
      const schedule = e.schedule as string | { rate?: string | string[]; enabled?: boolean } | undefined;
      if (schedule === undefined) return [];
      if (typeof schedule === 'string') return [schedule];
      if (schedule.enabled === false) return [];
      return Array.isArray(schedule.rate) ? schedule.rate : schedule.rate ? [schedule.rate] : [];
    });
    specs.set(name, {
      name,
      schedules,
      module: fn.handler.slice(0, dot),
      exportName: fn.handler.slice(dot + 1),
      timeoutSeconds: fn.timeout ?? doc.provider?.timeout ?? 6,
      eventRules: rules,
      httpRoutes,
    });
  }
  return specs;
}

export class LambdaRuntime {
  readonly specs: Map<string, FunctionSpec>;
  readonly invocations: Invocation[] = [];
  readonly listeners = new Set<(inv: Invocation) => void>();
  /** Invocations running right now. */
  inFlight = 0;
  private readonly loaded = new Map<string, Handler>();
  private workers?: LambdaWorkers;

  constructor(
    private readonly root: string,
    private readonly account: string,
    private readonly region: string,
    /** Simulated time stands still while a handler runs (none in a worker thread: the cloud's runtime holds it). */
    private readonly clock?: { hold(): () => void; now(): number; sleep(ms: number): Promise<void> },
  ) {
    this.specs = loadFunctionSpecs(root);
  }

  /** The ARN CloudFormation would give the function (service-stage-name), used in the local ASL. */
  arnOf(name: string): string {
    return `arn:aws:lambda:${this.region}:${this.account}:function:chime-recording-local-${name}`;
  }

  nameFromArn(arn: string): string | undefined {
    const prefix = `arn:aws:lambda:${this.region}:${this.account}:function:chime-recording-local-`;
    return arn.startsWith(prefix) ? arn.slice(prefix.length) : undefined;
  }

  /** serverless.yml function key for a CloudFormation logical id such as CleanupLambdaFunction. */
  nameFromLogicalId(logicalId: string): string | undefined {
    for (const name of this.specs.keys()) {
      if (`${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction` === logicalId) return name;
    }
    return undefined;
  }

  /** `from`: what invokes the function (a task's execution and state, or an event), for the call log. */
  async invoke(name: string, event: unknown, from?: Omit<Caller, 'functionName'>): Promise<unknown> {
    if (!this.specs.has(name)) throw new LambdaFunctionError('ResourceNotFoundException', `Function not found: ${name}`);
    const startedAt = Date.now();
    // Events pass through JSON as they would over the wire, so handlers cannot share object identity.
    const payload: unknown = JSON.parse(JSON.stringify(event ?? null));
    this.inFlight += 1;
    const hold = new InvocationHold(this.clock, { functionName: name, ...from });
    try {
      const result = this.workers ? await this.workers.invoke(name, payload, hold, () => this.clock?.now() ?? Date.now()) : await runningInvocation.run({ id: 0, hold, now: () => this.clock?.now() ?? Date.now(), sleep: this.clock ? (ms) => sleepOnClock(this.clock!, hold, ms) : undefined }, () => this.execute(name, payload));
      this.record({ functionName: name, startedAt, durationMs: Date.now() - startedAt, ok: true });
      return result === undefined ? null : JSON.parse(JSON.stringify(result));
    } catch (err) {
      const failure = LambdaFunctionError.from(err);
      this.record({ functionName: name, startedAt, durationMs: Date.now() - startedAt, ok: false, errorType: failure.errorType });
      throw failure;
    } finally {
      this.inFlight -= 1;
      hold.end();
    }
  }

  /**
   * Runs the handler in this thread, as Lambda would: a fresh context, the handler's error as a function
   * error (LambdaFunctionError). Not counted: `invoke` counts, in whichever thread the handler ran.
   */
  async execute(name: string, payload: unknown): Promise<unknown> {
    const spec = this.specs.get(name);
    if (!spec) throw new LambdaFunctionError('ResourceNotFoundException', `Function not found: ${name}`);
    const handler = this.load(spec);
    // The function's timeout on the handler's clock (simulated in the local cloud, where it stands still
    // while the handler computes and moves while it waits): the time a queue of invocations spends in a
    // busy thread is not the function's, as it would not be on Lambda, where each has its own container.
    const clock = runningInvocation.getStore()?.now ?? Date.now;
    const deadline = clock() + spec.timeoutSeconds * 1000;
    const context = {
      functionName: name,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.arnOf(name),
      memoryLimitInMB: '256',
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${name}`,
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - clock()),
    };
    try {
      return await handler(payload, context);
    } catch (err) {
      throw LambdaFunctionError.from(err);
    }
  }

  /**
   * From now on handlers run in worker threads (the cloud's `lambdaThreads`) instead of this one; each
   * worker loads the handlers itself, like a separate Lambda container.
   */
  runIn(workers: LambdaWorkers): void {
    this.workers = workers;
  }

  get inWorkers(): boolean {
    return this.workers !== undefined;
  }

  async close(): Promise<void> {
    await this.workers?.close();
  }

  /**
   * Loads every handler now (Lambda's init phase), so module loading, which can take real seconds the
   * first time, is not charged to an execution whose clock may be compressed thousands of times.
   */
  preload(): void {
    for (const spec of this.specs.values()) this.load(spec);
  }

  /**
   * Points the handlers' AWS SDK clients (the product's registry, shared by every handler as they would
   * be within one container) at `requestHandler`, e.g. one that reaches the local cloud without a socket,
   * or, without one, at their own HTTP handler, and makes their requests (presigned ones too) name the
   * cloud's address. Returns how many clients it configured.
   */
  useRequestHandler(requestHandler?: RequestHandler): number {
    const { sdkClients } = require(path.join(this.root, CLIENT_REGISTRY)) as { sdkClients: Record<string, SdkClient> };
    const clients = Object.values(sdkClients);
    for (const client of clients) {
      // Before the client's first request resolves (and caches) its middleware chain.
      client.middlewareStack.add(takeOffPath, { step: 'build', name: TAKE_OFF_PATH, override: true });
      const current = client.config.requestHandler as RequestHandler;
      if (current instanceof RequestHandlerSlot) current.target = requestHandler ?? current.own;
      else client.config.requestHandler = new RequestHandlerSlot(requestHandler ?? current, current);
    }
    return clients.length;
  }

  count(name?: string): number {
    return name ? this.invocations.filter((i) => i.functionName === name).length : this.invocations.length;
  }

  private record(inv: Invocation): void {
    this.invocations.push(inv);
    for (const listen of this.listeners) listen(inv);
  }

  private load(spec: FunctionSpec): Handler {
    const cached = this.loaded.get(spec.name);
    if (cached) return cached;
    const mod = require(path.join(this.root, spec.module)) as Record<string, unknown>;
    const handler = mod[spec.exportName];
    if (typeof handler !== 'function') throw new Error(`${spec.module} does not export ${spec.exportName}`);
    this.loaded.set(spec.name, handler as Handler);
    return handler as Handler;
  }
}
