import type { BusEvent } from '../../local/core/bus';
import type { CallRecord } from '../../local/core/server';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../local/cloud';
import { CHIME_DEFAULT_RATE_LIMIT, quotaFloorSeconds } from '../../local/core/quotas';
import { CHIME_CALLS_BEFORE_CAPTURE, output, start, startHarness, type Harness } from '../../local/harness';
import { simulateMeeting } from '../../local/simulate';

/**
 * Bursts: R recordings started in the same instant, against Chime's documented request rate (10/s,
 * burst 20, enforced by the local cloud on simulated time), one person in each meeting, everyone leaving
 * at the same moment. Throttled calls must be absorbed by the state machine's jittered retries: every
 * recording succeeds, each with its own meeting and pipelines, no meeting is ended before its people
 * left, no meeting-end event is dead-lettered, and every concatenation starts within minutes of its
 * meeting's end (not at the hourly re-check). The account is taken to have its active-pipeline quota
 * raised (100 by default in us-east-1), which is what a team recording that many meetings at once does.
 *
 * Each capture must also start within a bound derived from its place in the burst: the k-th recording
 * requested cannot have its capture sooner than the quota allows a burst of k (local/core/quotas.ts), and
 * may take 1.25 times that plus two of StartCapture's longest backoff delays (the throttled retries are
 * uncoordinated, so a recording can sleep through a capped backoff while the quota is idle; the burst
 * benchmark, bench/burst.ts, measures how far from the limit that leaves the burst).
 */
const startCaptureBackoffCapS = (() => {
  const asl = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'statemachines/recording.asl.json'), 'utf8')) as { States: Record<string, { Retry?: Array<{ ErrorEquals: string[]; MaxDelaySeconds?: number }> }> };
  const retrier = asl.States.StartCapture?.Retry?.find((r) => r.ErrorEquals.includes('ServiceBusy'));
  if (!retrier?.MaxDelaySeconds) throw new Error('StartCapture has no ServiceBusy retrier with MaxDelaySeconds');
  return retrier.MaxDelaySeconds;
})();
describe.each([100, 200])('%i concurrent recordings under the Chime rate limit', (recordings) => {
  let h: Harness;
  const calls: CallRecord[] = [];
  const ended = new Map<string, number>();
  const lastLeave = new Map<string, number>();
  beforeAll(async () => {
    h = await startHarness({ pipelines: { activePipelineLimit: 2 * recordings } });
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
      const meetings = started.map((e) => simulateMeeting(h.cloud, e, { lengthMs: 60_000, attendees: 1 }));
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
    // The limit did bite, so the retries were exercised.
    expect(calls.filter((c) => c.status === 429).length).toBeGreaterThan(0);

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
      const boundS = 1.25 * quotaFloorSeconds(k + 1, CHIME_CALLS_BEFORE_CAPTURE, CHIME_DEFAULT_RATE_LIMIT) + 2 * startCaptureBackoffCapS;
      return waitedS > boundS ? [`recording ${k + 1} of the burst: capture after ${waitedS} s, bound ${boundS} s`] : [];
    });
    expect(lateCaptures).toEqual([]);
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
  }, 300_000);
});
