import { LocalCloud } from '../../local/cloud';
import { RECORDING_STATES, output, record, startHarness, statesEntered, type Harness } from '../../local/harness';
import { expectHandlersOnSimulatedTime } from './handler-time';

/**
 * The Lambda handlers in worker threads (`lambdaThreads`, what the throughput benchmark uses): the same
 * workflow as in the cloud's own thread, with the handlers' SDK requests relayed to the cloud's router
 * (counted, fault-injected), invocations counted by the cloud, and function errors crossing the thread
 * boundary with their name and message.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ lambdaThreads: 2 });
});
afterAll(() => h.close());
afterEach(() => h.cloud.router.faults.clear());

describe('Lambda handlers in worker threads', () => {
  it('records a meeting end to end; the cloud counts every invocation and every SDK call the handlers made', async () => {
    expect(h.cloud.lambda.inWorkers).toBe(true);
    const invocationsBefore = h.cloud.lambda.count();
    const createsBefore = h.cloud.router.calls.get('meetings:CreateMeeting') ?? 0;
    const e = await record(h, { meeting: { externalMeetingId: 'threads' } });
    expect(e.error).toBeUndefined();
    expect(e.status).toBe('SUCCEEDED');
    expect(statesEntered(e)).toEqual(RECORDING_STATES);
    expect(output<{ artifacts: string[] }>(e).artifacts.length).toBeGreaterThan(0);
    // 9 workflow steps plus the meeting and pipeline events' deliveries, all through the cloud's count.
    expect(h.cloud.lambda.count() - invocationsBefore).toBeGreaterThanOrEqual(9 + 4);
    expect(h.cloud.lambda.invocations.every((i) => i.ok)).toBe(true);
    expect((h.cloud.router.calls.get('meetings:CreateMeeting') ?? 0) - createsBefore).toBe(1);
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
  });

  it("applies the router's faults to the handlers' requests: a throttled capture start is retried by the state machine", async () => {
    h.cloud.router.faults.add({ operation: 'CreateMediaCapturePipeline', error: 'ThrottledClientException', count: 1 });
    const e = await record(h);
    expect(e.status).toBe('SUCCEEDED');
    expect(h.cloud.router.faults.hits()).toEqual([expect.objectContaining({ operation: 'CreateMediaCapturePipeline', hits: 1 })]);
    const failed = h.cloud.lambda.invocations.filter((i) => i.functionName === 'startCapture' && !i.ok);
    expect(failed.at(-1)?.errorType).toBe('ServiceBusy');
  });

  it('reports a function error with its name and message, as in the cloud thread', async () => {
    const e = await record(h, { meeting: { mediaRegion: 'moon-1' } });
    expect(e.status).toBe('FAILED');
    expect(e.error).toBe('InvalidRequest');
    expect(e.cause).toContain('meeting.mediaRegion');
  });

  it("gives the handlers the cloud's simulated time (functions/lib/time.ts), not the system clock", () => expectHandlersOnSimulatedTime(h));

  it.each([-1, 1.5])('refuses lambdaThreads %s, naming the option, before starting anything', async (lambdaThreads) => {
    await expect(LocalCloud.start({ port: 0, lambdaThreads })).rejects.toThrow(/lambdaThreads must be a whole number >= 0/);
  });
});
