import type { BusEvent } from '../../local/core/bus';
import type { CallRecord } from '../../local/core/server';
import { CHIME_DEFAULT_RATE_LIMIT, quotaFloorSeconds, resolveChimeRateLimit, type ChimeRateLimit } from '../../local/core/quotas';
import { CHIME_CALLS_BEFORE_CAPTURE, output, start, startHarness, type Harness } from '../../local/harness';
import { simulateMeeting } from '../../local/simulate';

/**
 * Bursts: R recordings started in the same instant, against Chime's request rate (the documented 10/s,
 * burst 20, enforced by the local cloud on simulated time; and a 1/s quota with a burst of 2, where most
 * turns come later than a Lambda waits, so the state machine's Wait states carry them), one person in each
 * meeting, everyone leaving at the same moment. The calls take their turns in the stack's shared request
 * budget (functions/lib/quota.ts): every recording succeeds, each with its own meeting and pipelines, at
 * most a tenth of the Chime calls are refused, no meeting is ended before its people left, no meeting-end
 * event is dead-lettered, and every concatenation starts within minutes of its meeting's end (not at the
 * hourly re-check). The account is taken to have its active-pipeline quota raised (100 by default in
 * us-east-1), which is what a team recording that many meetings at once does.
 *
 * Each capture must also start within a bound derived from its place in the burst: the k-th recording
 * requested cannot have its capture sooner than the quota allows a burst of k (local/core/quotas.ts), and
 * may take 1.25 times that plus one second for the states around the call: first requested, first served
 * (the burst benchmark's fair share, bench/burst.ts).
 */
const FAIR_SLACK_S = 1;
/**
 * The application's own CreateAttendee calls (local/simulate.ts joins through the API) share the
 * account's quota. Read per API, they have their own bucket; read per service, they would compete with
 * CreateMeeting for the one the stack's budget leaves them (a tenth of it by default), and the operator
 * of an application that adds people as fast as the stack creates meetings lowers chimeRequestRate to
 * leave them room. The burst benchmark measures per service, without the application's calls.
 */
const PER_API: ChimeRateLimit = { ...CHIME_DEFAULT_RATE_LIMIT, scope: 'per-api' };
describe.each<[number, ChimeRateLimit]>([
  [100, PER_API],
  [200, PER_API],
  [40, { ...PER_API, rate: 1, burst: 2 }],
])('%i concurrent recordings under the Chime rate limit %j', (recordings, limit) => {
  const quota = resolveChimeRateLimit(limit) as Required<ChimeRateLimit>;
  let h: Harness;
  const calls: CallRecord[] = [];
  const ended = new Map<string, number>();
  const lastLeave = new Map<string, number>();
  beforeAll(async () => {
    // The handlers in a worker thread, as the burst benchmark runs them. In the cloud's own thread, the
    // first recording's first table write (its EnsureServiceLinkedRole's reservation, by an SDK client not yet
    // used) was answered after the 99 others' in one run, a real-time delay that simulated time holds
    // still for, so the first requested was served last (observed, not fully explained).
    h = await startHarness({ pipelines: { activePipelineLimit: 2 * recordings }, chimeRateLimit: quota, lambdaThreads: 1 });
    h.cloud.router.listeners.add((c) => calls.push(c));
    h.cloud.bus.listeners.add((event: BusEvent) => {
      const { eventType, meetingId, timestamp } = event.detail as { eventType: string; meetingId: string; timestamp: number };
      if (eventType === 'chime:MeetingEnded') ended.set(meetingId, timestamp);
      if (eventType === 'chime:AttendeeLeft' && !String(event.detail.externalUserId).startsWith('aws:')) lastLeave.set(meetingId, Math.max(lastLeave.get(meetingId) ?? 0, timestamp));
    });
  });
  afterAll(() => h.close());

  it('all succeed, promptly, with no duplicate meeting or pipeline, nothing dead-lettered and nothing left running', async () => {
    const burstAt = h.cloud.clock.now();
    const executions = await h.run(async () => {
      const started = await Promise.all(Array.from({ length: recordings }, (_, i) => start(h, { meeting: { externalMeetingId: `load-${i}` } })));
      // Under the 1/s quota the last captures start most of a minute after the burst: the meetings last a
      // minute from their capture, or there would be nothing to concatenate.
      const meetings = started.map((e) => simulateMeeting(h.cloud, e, { lengthMs: 60_000, attendees: 1, ...(quota.rate === 1 ? { lengthFrom: 'capture' as const } : {}) }));
      await Promise.all(started.map((e) => e.done));
      await Promise.all(meetings);
      await h.cloud.bus.drain();
      return started;
    });

    const failed = executions.filter((e) => e.status !== 'SUCCEEDED').map((e) => `${e.name}: ${e.status} ${e.error ?? ''} ${e.cause ?? ''}`);
    expect(failed).toEqual([]);
    const summaries = executions.map((e) => output<{ meetingId: string; capturePipelineId: string; concatenationPipelineId: string }>(e));
    for (const key of ['meetingId', 'capturePipelineId', 'concatenationPipelineId'] as const) {
      expect(new Set(summaries.map((s) => s[key])).size).toBe(recordings);
    }
    // Exactly one successful create per recording: retries never created a second resource.
    const created = (operation: string) => calls.filter((c) => c.operation === operation && c.status < 300).length;
    expect(created('CreateMeeting')).toBe(recordings);
    expect(created('CreateMediaCapturePipeline')).toBe(recordings);
    expect(created('CreateMediaConcatenationPipeline')).toBe(recordings);
    // The workflow's calls (the application's retry on their own, local/simulate.ts).
    const chimeCalls = calls.filter((c) => (c.service === 'meetings' || c.service === 'media-pipelines') && c.caller !== undefined);
    expect(chimeCalls.filter((c) => c.status === 429).length).toBeLessThanOrEqual(0.1 * chimeCalls.length);

    expect(h.cloud.bus.deadLetters.map((d) => `${d.rule} ${d.error}`)).toEqual([]);
    const endedEarly = summaries.filter((s) => (ended.get(s.meetingId) ?? 0) < (lastLeave.get(s.meetingId) ?? Infinity)).map((s) => s.meetingId);
    expect(endedEarly).toEqual([]);
    // From the meeting's end to its concatenation pipeline: minutes under the burst, never the hourly re-check.
    const slowest = Math.max(
      ...executions.map((e, i) => {
        const exited = e.history.find((ev) => ev.type === 'TaskStateExited' && (ev.stateExitedEventDetails as { name: string }).name === 'StartConcatenation')!;
        return exited.timestamp - ended.get(summaries[i]!.meetingId)!;
      }),
    );
    expect(slowest).toBeLessThan(10 * 60_000);
    expect(executions.filter((e) => e.history.some((ev) => ev.type === 'TaskTimedOut'))).toEqual([]);
    // In request order, each capture within the bound its place in the burst gives it.
    const lateCaptures = executions.flatMap((e, k) => {
      const captured = e.history.find((ev) => ev.type === 'TaskStateExited' && (ev.stateExitedEventDetails as { name: string }).name === 'StartCapture')!;
      const waitedS = (captured.timestamp - burstAt) / 1000;
      const boundS = 1.25 * quotaFloorSeconds(k + 1, CHIME_CALLS_BEFORE_CAPTURE, quota) + FAIR_SLACK_S;
      return waitedS > boundS ? [`recording ${k + 1} of the burst: capture after ${waitedS} s, bound ${boundS} s`] : [];
    });
    expect(lateCaptures).toEqual([]);
    // Turns later than a Lambda waits were the state machine's (the 1/s quota), and only those.
    const handedOver = executions.filter((e) => e.history.some((ev) => ev.type.endsWith('StateEntered') && /^WaitFor\w+Slot$/.test((ev.stateEnteredEventDetails as { name: string }).name))).length;
    if (quota.rate === 1) expect(handedOver).toBeGreaterThan(0);
    else expect(handedOver).toBe(0);
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
  }, 300_000);
});
