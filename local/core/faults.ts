import { ServiceError, type LocalRequest } from './service';
import type { SimClock } from './clock';

/**
 * Fault injection by operation name (e.g. `CreateMediaCapturePipeline`). A fault answers the next `count`
 * calls of that operation with the named AWS error (or only delays them when no error is given).
 * Every emulated service goes through here before its handler runs, so faults need no per-service code.
 */
export interface FaultSpec {
  operation: string;
  /** An AWS error code such as `ThrottledClientException`; omitted for a latency-only fault. */
  error?: string;
  /** How many calls fail; Infinity for "forever". Defaults to 1. */
  count?: number;
  /** Extra latency per affected call, in simulated milliseconds. */
  latencyMs?: number;
  message?: string;
  /** Narrows the fault to some calls of the operation (e.g. the write that stores a task token). */
  where?: (req: LocalRequest) => boolean;
}

/** HTTP status AWS uses for an error code. Unknown codes ending in a 5xx-sounding word are 500, others 400. */
export function statusForError(code: string): number {
  const known: Record<string, number> = {
    ThrottlingException: 429,
    ThrottledClientException: 429,
    TooManyRequestsException: 429,
    ServiceFailureException: 500,
    InternalServerError: 500,
    InternalError: 500,
    InternalFailure: 500,
    ServiceUnavailableException: 503,
    ServiceUnavailable: 503,
    SlowDown: 503,
    ForbiddenException: 403,
    AccessDenied: 403,
    AccessDeniedException: 400,
    UnauthorizedClientException: 401,
    UnauthorizedException: 401,
    NotFoundException: 404,
    NoSuchEntity: 404,
    ConflictException: 409,
    UnprocessableEntityException: 422,
    BadRequestException: 400,
    ResourceLimitExceededException: 400,
    LimitExceededException: 400,
    ProvisionedThroughputExceededException: 400,
  };
  if (code in known) return known[code]!;
  return /Failure|Internal|Unavailable/.test(code) ? 500 : 400;
}

interface ActiveFault extends FaultSpec {
  remaining: number;
  hits: number;
}

/** One call a fault answered: which, and the how-many-th of its count (the live view shows each). */
export interface FaultHit {
  operation: string;
  error?: string;
  latencyMs: number;
  hit: number;
  count: number;
}

export class FaultInjector {
  private readonly faults: ActiveFault[] = [];
  /** Told when a fault is added or the faults are cleared (the local console redraws). */
  readonly changeListeners = new Set<() => void>();
  readonly listeners = new Set<(hit: FaultHit) => void>();

  add(spec: FaultSpec): void {
    if (!spec.operation) throw new Error('fault needs an operation name');
    if (!spec.error && !spec.latencyMs) throw new Error(`fault on ${spec.operation} needs an error or a latency`);
    this.faults.push({ ...spec, remaining: spec.count ?? 1, hits: 0 });
    for (const listen of this.changeListeners) listen();
  }

  /** Parses `Operation:ErrorName[:count]` as given on the command line (`--inject`). */
  static parse(text: string): FaultSpec {
    const [operation, error, count] = text.split(':');
    if (!operation || !error) {
      throw new Error(`--inject expects Operation:ErrorName[:count], e.g. CreateMediaCapturePipeline:ThrottledClientException:2; got "${text}"`);
    }
    const n = count === undefined ? 1 : count === 'forever' ? Infinity : Number(count);
    if (!(n >= 1)) throw new Error(`--inject count must be a positive number or "forever"; got "${count}" in "${text}"`);
    return { operation, error, count: n };
  }

  clear(): void {
    this.faults.length = 0;
    for (const listen of this.changeListeners) listen();
  }

  /** Every fault added since the last clear, spent or not, as the local console shows it. */
  list(): Array<{ operation: string; error?: string; latencyMs?: number; remaining: number; hits: number; narrowed: boolean }> {
    return this.faults.map((f) => ({ operation: f.operation, error: f.error, latencyMs: f.latencyMs, remaining: f.remaining, hits: f.hits, narrowed: f.where !== undefined }));
  }

  /** How many calls each fault has answered, for tests and reports. */
  hits(): Array<{ operation: string; error?: string; hits: number }> {
    return this.faults.map((f) => ({ operation: f.operation, error: f.error, hits: f.hits }));
  }

  /**
   * Takes the first live fault for `operation`, if any: how long the call is held up (simulated ms; the
   * caller waits on the clock) and the error it then fails with.
   */
  take(operation: string, req: LocalRequest): { latencyMs: number; error?: ServiceError } | undefined {
    const fault = this.faults.find((f) => f.operation === operation && f.remaining > 0 && (f.where?.(req) ?? true));
    if (!fault) return undefined;
    fault.remaining -= 1;
    fault.hits += 1;
    for (const listen of this.listeners) listen({ operation, error: fault.error, latencyMs: fault.latencyMs ?? 0, hit: fault.hits, count: fault.count ?? 1 });
    const error = fault.error ? new ServiceError(fault.error, statusForError(fault.error), fault.message ?? `Injected fault: ${fault.error} on ${operation}.`) : undefined;
    return { latencyMs: fault.latencyMs ?? 0, error };
  }
}

/**
 * Token bucket on simulated time: `rate` requests per simulated second with bursts of `burst`.
 * Past it the service answers its throttling error, as Chime does past ~10 requests/s.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: SimClock,
    readonly rate: number,
    readonly burst: number,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  tryTake(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
