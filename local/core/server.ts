import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimClock } from './clock';
import { FaultInjector, RateLimiter } from './faults';
import type { Caller } from './invocation';
import { ServiceError, awsJsonError, json, type LocalRequest, type LocalResponse, type Service } from './service';

/**
 * One loopback HTTP port for every emulated service. Requests are routed by the service name in the
 * SigV4 credential scope (Authorization header or presigned query), which is how unmodified SDK clients
 * and the AWS CLI pointed at one `--endpoint-url` still reach the right service. Signatures are not
 * verified: the local cloud trusts its own machine.
 */
/**
 * The path the local cloud puts on the handlers' AWS_ENDPOINT_URL. The clients of the product's registry
 * (functions/lib/clients) are configured to take it off; a request that still carries it comes from an
 * SDK client made anywhere else, which the local cloud did not configure, and is refused.
 */
export const UNCONFIGURED_CLIENT_PATH = '/sdk-client-outside-functions-lib-clients';

export interface CallRecord {
  service: string;
  operation: string;
  status: number;
  /** The error code answered (the SDK's `error.name`), when the call failed. */
  error?: string;
  /** Why it failed, when the local cloud made it fail: an injected fault, or the service's rate limit. */
  cause?: 'injected-fault' | 'throttled';
  /** Simulated latency an injected fault added. */
  latencyMs?: number;
  /** When it was answered: simulated and real epoch milliseconds. */
  at: number;
  realAt: number;
  /** The Lambda invocation that made it (absent for callers outside the local Lambda runtime). */
  caller?: Caller;
}

/**
 * The call log keeps at least the latest CALL_LOG_LIMIT calls and at most twice as many (trimmed in one
 * go, not per call), so a long benchmark stays within memory and time.
 */
export const CALL_LOG_LIMIT = 10_000;

export class Router {
  readonly faults = new FaultInjector();
  readonly calls = new Map<string, number>();
  readonly listeners = new Set<(call: CallRecord) => void>();
  /** The latest calls answered, oldest first (see CALL_LOG_LIMIT), with the fault or throttling that failed them. */
  readonly log: CallRecord[] = [];
  /** Requests being answered right now. */
  inFlight = 0;
  /** Requests refused because they came from an SDK client the local cloud did not configure. */
  unconfiguredClientCalls = 0;
  private readonly services: Service[] = [];
  private readonly limits = new Map<string, { limiter: () => RateLimiter; perOperation: boolean; error: string; buckets: Map<string, RateLimiter> }>();

  constructor(
    private readonly defaultRegion: string,
    /** A request being answered holds simulated time still (an injected latency waits on it). */
    readonly clock: SimClock,
  ) {}

  /** The rate limits in force, by service (per operation or for the whole service), as the local console shows them. */
  rateLimits(): Array<{ service: string; rate: number; burst: number; error: string; perOperation: boolean }> {
    return [...this.limits].map(([service, { limiter, error, perOperation }]) => {
      const sample = limiter();
      return { service, rate: sample.rate, burst: sample.burst, error, perOperation };
    });
  }

  register(service: Service): void {
    this.services.push(service);
  }

  /**
   * Throttles a service (by its `name`) with `error` past a limiter's rate: one limiter for all its
   * operations, or with `perOperation` one per operation (each made by `limiter` on its first call).
   */
  limit(serviceName: string, limiter: () => RateLimiter, error: string, perOperation = false): void {
    this.limits.set(serviceName, { limiter, perOperation, error, buckets: new Map() });
  }

  private limiterFor(serviceName: string, operation: string): { limiter: RateLimiter; error: string } | undefined {
    const limit = this.limits.get(serviceName);
    if (!limit) return undefined;
    const key = limit.perOperation ? operation : '*';
    let limiter = limit.buckets.get(key);
    if (!limiter) limit.buckets.set(key, (limiter = limit.limiter()));
    return { limiter, error: limit.error };
  }

  /** `caller`: the Lambda invocation sending the request, for the call log. */
  async dispatch(req: LocalRequest, caller?: Caller): Promise<LocalResponse> {
    if (req.path.startsWith(UNCONFIGURED_CLIENT_PATH)) {
      this.unconfiguredClientCalls += 1;
      const message = `A Lambda handler sent ${req.method} ${req.path.slice(UNCONFIGURED_CLIENT_PATH.length)} from an AWS SDK client made outside functions/lib/clients; create the client there (and list it in functions/lib/clients/index.ts) so the local cloud can configure it.`;
      process.stderr.write(`local cloud: ${message}\n`);
      const error = new ServiceError('UnconfiguredSdkClient', 400, message);
      // In the protocol of the service the client meant to call, so its SDK reads the error as such.
      return this.services.find((s) => s.signingNames.includes(req.signingName))?.errorResponse(error, req) ?? awsJsonError(error);
    }
    let service: Service | undefined;
    let operation: string | undefined;
    for (const s of this.services) {
      if (!s.signingNames.includes(req.signingName)) continue;
      operation = s.operation(req);
      if (operation) {
        service = s;
        break;
      }
    }
    if (!service || !operation) {
      return json(400, {
        __type: 'UnknownOperationException',
        message: `The local cloud does not serve ${req.method} ${req.path} for signing name "${req.signingName || '(unsigned)'}".`,
      });
    }
    const key = `${service.name}:${operation}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    let response: LocalResponse;
    let error: string | undefined;
    let cause: CallRecord['cause'];
    let latencyMs: number | undefined;
    this.inFlight += 1;
    let release = this.clock.hold();
    try {
      const limit = this.limiterFor(service.name, operation);
      if (limit && !limit.limiter.tryTake()) {
        cause = 'throttled';
        throw new ServiceError(limit.error, 429, 'Rate exceeded');
      }
      const fault = this.faults.take(operation, req);
      if (fault?.latencyMs) {
        latencyMs = fault.latencyMs;
        release();
        await this.clock.sleep(fault.latencyMs);
        release = this.clock.hold();
      }
      if (fault?.error) {
        cause = 'injected-fault';
        throw fault.error;
      }
      response = await service.handle(operation, req);
    } catch (err) {
      const serviceError = err instanceof ServiceError ? err : internalError(err);
      error = serviceError.code;
      response = service.errorResponse(serviceError, req);
    } finally {
      this.inFlight -= 1;
      release();
    }
    const call: CallRecord = { service: service.name, operation, status: response.status, at: this.clock.now(), realAt: Date.now() };
    if (error) call.error = error;
    if (cause) call.cause = cause;
    if (latencyMs) call.latencyMs = latencyMs;
    if (caller) call.caller = caller;
    this.log.push(call);
    if (this.log.length >= 2 * CALL_LOG_LIMIT) this.log.splice(0, this.log.length - CALL_LOG_LIMIT);
    for (const listen of this.listeners) listen(call);
    return response;
  }

  async close(): Promise<void> {
    for (const s of this.services) await s.close?.();
  }
}

function internalError(err: unknown): ServiceError {
  const message = err instanceof Error ? err.stack ?? err.message : String(err);
  process.stderr.write(`local cloud internal error: ${message}\n`);
  return new ServiceError('InternalFailure', 500, 'The local cloud hit an internal error; see its stderr.');
}

/** Reads the SigV4 credential scope: `AKID/date/region/service/aws4_request`. */
export function credentialScope(headers: Record<string, string>, query: URLSearchParams): { region?: string; service?: string } {
  const auth = headers.authorization ?? '';
  const fromHeader = /Credential=([^,\s]+)/.exec(auth)?.[1];
  const credential = fromHeader ?? query.get('X-Amz-Credential') ?? '';
  const parts = credential.split('/');
  if (parts.length < 5) return {};
  return { region: parts[2], service: parts[3] };
}

export async function toLocalRequest(req: http.IncomingMessage, defaultRegion: string): Promise<LocalRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  }
  return localRequest(req.method ?? 'GET', req.url ?? '/', headers, Buffer.concat(chunks), defaultRegion);
}

/** A request as the services see it, from its method, target (path and query), lower-cased headers and body. */
export function localRequest(method: string, target: string, headers: Record<string, string>, body: Buffer, defaultRegion: string): LocalRequest {
  const url = new URL(target, 'http://local');
  const scope = credentialScope(headers, url.searchParams);
  return {
    method,
    path: safeDecode(url.pathname),
    rawPath: url.pathname,
    query: url.searchParams,
    headers,
    body,
    signingName: scope.service ?? '',
    region: scope.region ?? defaultRegion,
  };
}

/** The status, headers and body sent for a service's answer (no body for HEAD). */
export function wireResponse(response: LocalResponse, method: string): { status: number; headers: Record<string, string | number>; body?: Buffer | string } {
  const body = response.body ?? '';
  return {
    status: response.status,
    headers: { 'x-amzn-requestid': globalThis.crypto.randomUUID(), ...response.headers, 'content-length': Buffer.byteLength(body) },
    body: method === 'HEAD' ? undefined : body,
  };
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Answers a request the port serves besides the AWS services (the local console); true when it took it.
 * It runs before the request holds simulated time, so a page left open (a stream of updates) never does.
 */
export type FrontDoor = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

export async function listen(router: Router, port: number, defaultRegion: string, front?: FrontDoor): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    if (front?.(req, res)) return;
    // From the request's first byte to its answer: the body may still be arriving.
    res.once('close', router.clock.hold());
    toLocalRequest(req, defaultRegion)
      .then((local) => router.dispatch(local))
      .then((response) => {
        const wire = wireResponse(response, req.method ?? 'GET');
        res.writeHead(wire.status, wire.headers);
        res.end(wire.body);
      })
      .catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
  });
  // SDK clients reuse idle sockets; a server that closes them first races with that reuse ("socket hang
  // up"). Keep them longer than clients idle, as AWS endpoints do; close() ends them explicitly.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
