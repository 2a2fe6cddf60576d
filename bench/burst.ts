import '../local/quiet';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LocalCloud } from '../local/cloud';
import { CHIME_SERVICES, quotaFloorSeconds, resolveChimeRateLimit, type ChimeCall, type ChimeRateLimit, type ChimeQuotaScope } from '../local/core/quotas';
import { CHIME_CALLS_BEFORE_CAPTURE, CHIME_CALLS_BEFORE_CONCATENATION, output, start, startHarness } from '../local/harness';
import { reportToParent, runInChild } from './child';
import { quantile, round } from './stats';
import { LAMBDA_THREADS } from './throughput';
import { watchCloud } from './watch';

/**
 * Top-of-the-hour bursts against Chime's request quota: R recordings requested in the same simulated
 * instant, their meetings ending together a few simulated minutes later. Everything is on simulated time,
 * so the figures are exact and need no timer: how long the last capture (and concatenation) waited, next
 * to the quota's physical limit for that burst (local/core/quotas.ts, quotaFloorSeconds), the share of
 * Chime calls refused with 429, and whether any recording was served later than its place in the burst
 * allows. The active-pipeline quota is raised (2R), as a team recording that many meetings at once has it.
 */
export const BURST_TARGETS = {
  /** The last capture (concatenation) of a burst within this multiple of the limit. */
  lastOverLimit: 1.25,
  /** At most this share of the Chime calls in a burst refused with throttling. */
  maxThrottledShare: 0.1,
  /**
   * First requested, first served: the k-th recording served within lastOverLimit x the limit for a
   * burst of k, plus this many simulated seconds for the states around the call.
   */
  fairSlackS: 1,
};

/** The meetings end together this long (simulated) after the burst of requests. */
export const BURST_MEETING_MINUTES = 5;
/** A capture that started late still records this long before its people leave (counted in `endedLate`). */
const MIN_RECORDED_MS = 30_000;

export interface BurstPhase {
  /** Recordings in the burst (those whose meetings ended at the common instant, for the end). */
  recordings: number;
  /** The quota's limit: the last one cannot be served sooner, in simulated seconds from the burst. */
  limitS: number;
  /** Simulated seconds from the burst (request, or meeting end) to the capture (concatenation) being created. */
  p50S: number;
  p99S: number;
  lastS: number;
  /** lastS / limitS (null when the burst fits the bucket: limit 0). */
  lastOverLimit: number | null;
  chimeCalls: number;
  throttled: number;
  throttledShare: number;
  /** Recordings served later than their place in the burst allows, and the worst overrun past that (simulated s; 0: none late). */
  unfair: number;
  worstOverFairShareS: number;
  verdict: { last: boolean; throttled: boolean; fair: boolean };
}

export interface BurstResult {
  recordings: number;
  quota: Required<ChimeRateLimit>;
  meetingMinutes: number;
  lambdaThreads: number;
  wallMs: number;
  succeeded: number;
  failures: Record<string, number>;
  /** Meetings whose capture started so late that their people left after the common end. */
  endedLate: number;
  start: BurstPhase;
  end: BurstPhase;
  orphans: { meetings: number; pipelines: number };
  pass: boolean;
}

export function measureBurst(recordings: number, quota: ChimeRateLimit = {}, timeoutMs?: number): Promise<BurstResult> {
  const q = resolveChimeRateLimit(quota);
  if (!q) throw new Error('the burst benchmark needs a quota');
  return runInChild<BurstResult>(__filename, [String(recordings), q.scope, String(q.rate), String(q.burst)], timeoutMs);
}

async function run(recordings: number, quota: Required<ChimeRateLimit>): Promise<BurstResult> {
  const h = await startHarness({ chimeRateLimit: quota, pipelines: { activePipelineLimit: 2 * recordings }, lambdaThreads: LAMBDA_THREADS });
  try {
    const clock = h.cloud.clock;
    const calls: Array<{ at: number; status: number }> = [];
    h.cloud.router.listeners.add((c) => {
      if (c.service in CHIME_SERVICES) calls.push({ at: clock.now(), status: c.status });
    });
    const t0 = clock.now();
    const endAt = t0 + BURST_MEETING_MINUTES * 60_000;
    const player = new BurstPlayer(h.cloud, endAt);
    const watch = watchCloud(h.cloud, player.created);
    const wall0 = performance.now();
    const executions = await h.run(async () => {
      const started = await Promise.all(Array.from({ length: recordings }, (_, i) => start(h, { meeting: { externalMeetingId: `burst-${i}` } })));
      await Promise.all(started.map((e) => e.done));
      await h.cloud.bus.drain();
      await player.settled();
      return started;
    });
    const wallMs = performance.now() - wall0;

    const failures: Record<string, number> = {};
    for (const e of executions.filter((x) => x.status !== 'SUCCEEDED')) {
      const key = `${e.status} ${e.error ?? ''}`.trim();
      failures[key] = (failures[key] ?? 0) + 1;
    }
    // In request order: the k-th StartExecution is the k-th recording of the burst.
    const meetingIds = executions.map((e) => (e.status === 'SUCCEEDED' ? output<{ meetingId: string }>(e).meetingId : undefined));
    const captures = meetingIds.map((id) => (id === undefined ? undefined : watch.simulated.captureCreatedAt.get(id)));
    const startPhase = phase(
      captures.map((at) => (at === undefined ? undefined : { from: t0, at })),
      CHIME_CALLS_BEFORE_CAPTURE,
      quota,
      calls.filter((c) => c.at < endAt),
    );
    // The end burst: the meetings whose people left at the common end, all in the same simulated
    // millisecond. Nothing orders them: the workflow learns of each end from Chime's events, which
    // EventBridge 'might deliver out of order of occurrence' (Chime SDK guide, meeting notifications; the
    // event-delivery behaviour), so first come, first served is judged in the order they were served.
    const endBurst = player.leftAt.filter(([, at]) => at === endAt).map(([id]) => id);
    const endPhase = phase(
      endBurst.map((id) => {
        const at = watch.simulated.concatenationCreatedAt.get(id);
        return at === undefined ? undefined : { from: endAt, at };
      }),
      CHIME_CALLS_BEFORE_CONCATENATION,
      quota,
      calls.filter((c) => c.at >= endAt),
      'simultaneous',
    );
    const succeeded = executions.length - Object.values(failures).reduce((a, b) => a + b, 0);
    const orphans = h.cloud.orphans();
    const pass = succeeded === recordings && [startPhase, endPhase].every((p) => p.verdict.last && p.verdict.throttled && p.verdict.fair);
    return {
      recordings,
      quota,
      meetingMinutes: BURST_MEETING_MINUTES,
      lambdaThreads: LAMBDA_THREADS,
      wallMs: Math.round(wallMs),
      succeeded,
      failures,
      endedLate: player.leftAt.length - endBurst.length,
      start: startPhase,
      end: endPhase,
      orphans,
      pass,
    };
  } finally {
    await h.close();
  }
}

/**
 * One burst's figures. `served[k]` is the k-th recording of the burst (undefined: never served, which
 * counts against every verdict); `calls` the Chime calls made during the phase. `order`: with `request`
 * the k-th recording asked k-th, and is judged against the fair share of a burst of k; with
 * `simultaneous` they all asked at the same instant, in no order anyone can see, so the k-th served is
 * judged against that share (a recording served late then makes another one early, and only a gap in
 * the service, quota left idle while recordings wait, fails the verdict).
 */
export function phase(
  served: Array<{ from: number; at: number } | undefined>,
  needs: ChimeCall[],
  quota: Required<ChimeRateLimit>,
  calls: Array<{ status: number }>,
  order: 'request' | 'simultaneous' = 'request',
): BurstPhase {
  const asked = served.map((s) => (s === undefined ? Infinity : (s.at - s.from) / 1000));
  const waits = order === 'simultaneous' ? [...asked].sort((a, b) => a - b) : asked;
  const limitS = quotaFloorSeconds(served.length, needs, quota);
  const lastS = waits.length > 0 ? Math.max(...waits) : 0;
  let unfair = 0;
  let worst = 0;
  for (const [k, wait] of waits.entries()) {
    const allowed = BURST_TARGETS.lastOverLimit * quotaFloorSeconds(k + 1, needs, quota) + BURST_TARGETS.fairSlackS;
    if (wait > allowed) unfair += 1;
    worst = Math.max(worst, wait - allowed);
  }
  const throttled = calls.filter((c) => c.status === 429).length;
  const throttledShare = calls.length === 0 ? 0 : throttled / calls.length;
  const lastOverLimit = limitS > 0 ? lastS / limitS : null;
  return {
    recordings: served.length,
    limitS: round(limitS),
    p50S: round(quantile(waits, 0.5)),
    p99S: round(quantile(waits, 0.99)),
    lastS: round(lastS),
    lastOverLimit: lastOverLimit === null ? null : round(lastOverLimit),
    chimeCalls: calls.length,
    throttled,
    throttledShare: round(throttledShare, 3),
    unfair,
    worstOverFairShareS: round(worst),
    verdict: {
      last: Number.isFinite(lastS) && (lastOverLimit === null ? lastS <= BURST_TARGETS.fairSlackS : lastOverLimit <= BURST_TARGETS.lastOverLimit),
      throttled: throttledShare <= BURST_TARGETS.maxThrottledShare,
      fair: unfair === 0,
    },
  };
}

/**
 * The application side: one person joins each meeting as CreateMeeting answers (in-process, not through
 * CreateAttendee, so the application's own calls do not share the quota being measured), and everyone
 * leaves at `endAt`, or MIN_RECORDED_MS after their capture started when it started later than that.
 */
class BurstPlayer {
  readonly leftAt: Array<[meetingId: string, at: number]> = [];
  private readonly attendees = new Map<string, string>();
  private readonly playing = new Set<Promise<void>>();

  constructor(
    private readonly cloud: LocalCloud,
    private readonly endAt: number,
  ) {
    cloud.bus.listeners.add((event) => {
      const { eventType, meetingId } = event.detail;
      if (eventType === 'chime:MediaPipelineInProgress' && typeof meetingId === 'string') this.play(meetingId);
    });
  }

  readonly created = (meetingId: string): void => {
    this.attendees.set(meetingId, this.cloud.meetings.addAttendee(meetingId, 'attendee-1').attendeeId);
  };

  async settled(): Promise<void> {
    while (this.playing.size > 0) await Promise.all([...this.playing]);
  }

  private play(meetingId: string): void {
    const id = this.attendees.get(meetingId);
    if (!id) return;
    this.attendees.delete(meetingId);
    const leaveAt = Math.max(this.endAt, this.cloud.clock.now() + MIN_RECORDED_MS);
    const p = (async () => {
      await this.cloud.clock.sleep(leaveAt - this.cloud.clock.now());
      this.leftAt.push([meetingId, this.cloud.clock.now()]);
      this.cloud.meetings.leave(meetingId, id, 'left');
    })()
      .catch(() => undefined)
      .finally(() => this.playing.delete(p));
    this.playing.add(p);
  }
}

if (require.main === module) {
  const [recordings, scope, rate, burst] = [Number(process.argv[2]), process.argv[3] as ChimeQuotaScope, Number(process.argv[4]), Number(process.argv[5])];
  if (!(Number.isInteger(recordings) && recordings > 0)) throw new Error(`usage: ${path.basename(__filename)} <recordings> [per-service|per-api] [rate] [burst]`);
  const quota = resolveChimeRateLimit({ scope: scope || undefined, rate: rate || undefined, burst: burst || undefined });
  if (!quota) throw new Error('the burst benchmark needs a quota');
  reportToParent(() => run(recordings, quota));
}
