import type { CallRecord } from '../../local/core/server';
import { simulateMeeting } from '../../local/simulate';
import { output, start, startHarness, type Harness } from '../../local/harness';

/**
 * 200 recordings started in the same instant, against the documented Chime rate limit (10 requests/s,
 * burst 20, enforced by the local cloud on simulated time). Throttled calls must be absorbed by the
 * state machine's jittered retries: every recording succeeds, each with its own meeting and pipelines.
 * The account is taken to have its active-pipeline quota raised (100 by default in us-east-1, and 200
 * captures at once need more), which is what a team recording 200 meetings at a time does.
 */
const RECORDINGS = 200;

let h: Harness;
const calls: CallRecord[] = [];
beforeAll(async () => {
  h = await startHarness({ pipelines: { activePipelineLimit: 2 * RECORDINGS } });
  h.cloud.router.listeners.add((c) => calls.push(c));
});
afterAll(() => h.close());

describe('200 concurrent recordings under the Chime rate limit', () => {
  it('all succeed, with no duplicate meeting or pipeline and nothing left running', async () => {
    const executions = await h.run(async () => {
      const started = await Promise.all(Array.from({ length: RECORDINGS }, (_, i) => start(h, { meeting: { externalMeetingId: `load-${i}` } })));
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
      expect(new Set(summaries.map((s) => s[key])).size).toBe(RECORDINGS);
    }
    // Exactly one successful create per recording: retries never created a second resource.
    const created = (operation: string) => calls.filter((c) => c.operation === operation && c.status < 300).length;
    expect(created('CreateMeeting')).toBe(RECORDINGS);
    expect(created('CreateMediaCapturePipeline')).toBe(RECORDINGS);
    expect(created('CreateMediaConcatenationPipeline')).toBe(RECORDINGS);
    // The limit did bite, so the retries were exercised.
    expect(calls.filter((c) => c.status === 429).length).toBeGreaterThan(0);
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
  }, 300_000);
});
