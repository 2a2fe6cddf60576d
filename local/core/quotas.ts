import { RateLimiter } from './faults';
import type { Router } from './server';
import type { SimClock } from './clock';

/**
 * Chime's request quotas as the local cloud enforces them, on simulated time (token buckets: `rate`
 * requests per simulated second, up to `burst` at once; past it the service answers its 429).
 *
 * What AWS publishes (AWS General Reference, "Amazon Chime SDK endpoints and quotas", Service quotas):
 * - Media Pipelines: one quota for the whole API, "Amazon Chime SDK media pipeline - API rate", 10: "the
 *   maximum rate of all SDK media pipeline API requests per second ... in this account in the current Region".
 * - Meetings: a rate per API, 10 requests per second each (CreateMeeting, DeleteMeeting, GetMeeting,
 *   ListAttendees, CreateAttendee, ...); the Service Quotas console also lists an "All meeting management
 *   API rate" (L-F147F728) and a "burst rate" per API (CreateMeeting: L-FE9F896D) whose defaults the
 *   reference does not give.
 * - Burst: not published for the SDK namespaces; the legacy Amazon Chime namespace had a "Media capture
 *   API burst limit" of 10. The default burst of 20 here is an assumption, a parameter like the rest.
 * Sources: https://docs.aws.amazon.com/general/latest/gr/chime-sdk.html#limits_chime_sdk and
 * https://docs.aws.amazon.com/chime-sdk/latest/dg/quotas-throttling.html (429 past the rate).
 */
export type ChimeQuotaScope = 'per-service' | 'per-api';

export interface ChimeRateLimit {
  /** Requests per simulated second (default 10). */
  rate?: number;
  /** Requests at once with a full bucket (default 20). */
  burst?: number;
  /**
   * `per-service` (default): one bucket for every Meetings call and one for every Media Pipelines call
   * (the all-API media pipeline rate, and the all-meeting-management rate for Meetings): the stricter
   * reading. `per-api`: one bucket per Meetings operation, as the per-API rate table reads, and still one
   * for all of Media Pipelines, whose quota covers the whole API.
   */
  scope?: ChimeQuotaScope;
}

export const CHIME_DEFAULT_RATE_LIMIT: Required<ChimeRateLimit> = { rate: 10, burst: 20, scope: 'per-service' };

export const CHIME_QUOTA_SOURCES = ['https://docs.aws.amazon.com/general/latest/gr/chime-sdk.html#limits_chime_sdk', 'https://docs.aws.amazon.com/chime-sdk/latest/dg/quotas-throttling.html'];

/** The Chime services the quotas apply to (router service names) and each one's throttling error. */
export const CHIME_SERVICES = { meetings: 'ThrottlingException', 'media-pipelines': 'ThrottledClientException' } as const;

export function resolveChimeRateLimit(limit: ChimeRateLimit | false | undefined): Required<ChimeRateLimit> | false {
  if (limit === false) return false;
  const given = Object.fromEntries(Object.entries(limit ?? {}).filter(([, v]) => v !== undefined)) as ChimeRateLimit;
  const resolved = { ...CHIME_DEFAULT_RATE_LIMIT, ...given };
  if (!(resolved.rate > 0 && resolved.burst >= 1)) throw new Error(`chimeRateLimit needs rate > 0 and burst >= 1, got rate ${resolved.rate}, burst ${resolved.burst}`);
  if (resolved.scope !== 'per-service' && resolved.scope !== 'per-api') throw new Error(`chimeRateLimit.scope must be per-service or per-api, got ${String(resolved.scope)}`);
  return resolved;
}

export function enforceChimeQuotas(router: Router, clock: SimClock, limit: Required<ChimeRateLimit>): void {
  const bucket = () => new RateLimiter(clock, limit.rate, limit.burst);
  router.limit('meetings', bucket, CHIME_SERVICES.meetings, limit.scope === 'per-api');
  router.limit('media-pipelines', bucket, CHIME_SERVICES['media-pipelines']);
}

/** A Chime call: the router's service name and the operation. */
export interface ChimeCall {
  service: keyof typeof CHIME_SERVICES;
  operation: string;
}

/** The token bucket a call draws from under the quota model. */
export function quotaBucket(call: ChimeCall, scope: ChimeQuotaScope): string {
  return scope === 'per-api' && call.service === 'meetings' ? `${call.service}:${call.operation}` : call.service;
}

/**
 * The physical limit of a burst: with `recordings` started at once, each needing `calls` before the step
 * that counts, and full buckets at the start, the last of them cannot be served before (R*c - b)/q
 * seconds on the busiest bucket (c its calls per recording), however well the calls are spread. For the
 * k-th recording of a first-come-first-served burst, the same with R = k: its fair share of the quota.
 */
export function quotaFloorSeconds(recordings: number, calls: ChimeCall[], limit: Required<ChimeRateLimit>): number {
  const perBucket = new Map<string, number>();
  for (const call of calls) perBucket.set(quotaBucket(call, limit.scope), (perBucket.get(quotaBucket(call, limit.scope)) ?? 0) + 1);
  return Math.max(0, ...[...perBucket.values()].map((c) => (recordings * c - limit.burst) / limit.rate));
}
