import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DETAIL_TYPE, RecordingOutcome, RecordingStarted, RecordingStateChange, RecordingFailedUncleaned } from '../../functions/lib/recording-events';
import type { BusEvent } from '../../local/core/bus';
import { record, start, startHarness, statesEntered, type Harness } from '../../local/harness';
import type { Execution } from '../../local/sfn/runner';

/**
 * The recording events (issue 14): RecordingStarted once the capture runs, then exactly one
 * RecordingSucceeded or RecordingFailed per execution, on the default bus, each matching its schema
 * (functions/lib/recording-events.ts); the files verified against the captured span; recording.json.
 */

let h: Harness;
const events: BusEvent[] = [];

function subscribe(harness: Harness, into: BusEvent[]): void {
  // A rule as a subscriber would write it (README: "Recording State Change" from the stack's source).
  harness.cloud.bus.addRule({ name: 'subscriber', pattern: { source: [harness.deployment.eventSource], 'detail-type': [DETAIL_TYPE] }, target: async (e) => void into.push(e) });
}

beforeAll(async () => {
  h = await startHarness();
  subscribe(h, events);
});
afterAll(() => h.close());
afterEach(() => {
  h.cloud.router.faults.clear();
  h.cloud.bus.clearFaults();
});

function eventsOf(e: Execution, from = events): BusEvent[] {
  return from.filter((ev) => ev.detail.executionArn === e.executionArn);
}

async function s3Text(harness: Harness, uri: string): Promise<string> {
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)!;
  const s3 = new S3Client(harness.cloud.clientConfig());
  try {
    return await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
  } finally {
    s3.destroy();
  }
}

describe('recording events', () => {
  it('a recording publishes RecordingStarted and then one RecordingSucceeded with verified files and the manifest', async () => {
    const e = await record(h, { meeting: { externalMeetingId: 'standup' } }, { lengthMs: 120_000 });
    expect([e.status, e.error]).toEqual(['SUCCEEDED', undefined]);
    const mine = eventsOf(e);
    expect(mine.map((ev) => ev.detail.eventType)).toEqual(['RecordingStarted', 'RecordingSucceeded']);
    for (const ev of mine) {
      expect(ev['detail-type']).toBe(DETAIL_TYPE);
      // The stack's own source, <service>.<stage>, as the framework resolves it in the definition.
      expect(ev.source).toBe('chime-recording.local');
      // The optimized integration adds the execution's and the state machine's ARNs.
      expect(ev.resources).toEqual([e.executionArn, h.deployment.stateMachineArn]);
      expect(RecordingStateChange.safeParse(ev.detail).success).toBe(true);
    }
    const started = RecordingStarted.parse(mine[0]!.detail);
    const outcome = RecordingOutcome.parse(mine[1]!.detail);
    expect(started.meeting.externalMeetingId).toBe('standup');
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', externalMeetingId: 'standup', endReason: expect.any(String), meetingId: started.meeting.meetingId });
    // The event carries the execution's output: the same summary.
    expect(outcome).toEqual(JSON.parse(e.output!));
    // Each meeting-long file lasts the captured span, within one 5-second chunk.
    const span = (Date.parse(outcome.endedAt!) - Date.parse(outcome.startedAt!)) / 1000;
    expect(span).toBeGreaterThan(100);
    const longFiles = outcome.files.filter((f) => f.artifact === 'audio' || f.artifact === 'composited-video');
    expect(longFiles.length).toBeGreaterThan(0);
    for (const f of longFiles) {
      expect(f.durationSeconds).toBeGreaterThanOrEqual(span - 5);
      expect(f.durationSeconds).toBeLessThanOrEqual(span + 5);
      expect(f.contentType).toMatch(/^(audio|video)\/mp4$/);
      expect(f.size).toBeGreaterThan(0);
    }
    // People seen in the meeting, by the application's ids.
    expect(outcome.participants!.length).toBeGreaterThan(0);
    // recording.json next to the files says the same.
    expect(outcome.manifest).toMatch(/\/recording\.json$/);
    const manifest = JSON.parse(await s3Text(h, outcome.manifest!)) as Record<string, unknown>;
    expect(manifest).toMatchObject({ executionArn: e.executionArn, meetingId: outcome.meetingId, externalMeetingId: 'standup', files: outcome.files, participants: outcome.participants, startedAt: outcome.startedAt, endedAt: outcome.endedAt });
  });

  it('publishes each event once when the meeting-end event arrives three times', async () => {
    h.cloud.bus.addFault({ eventType: 'chime:MeetingEnded', action: 'duplicate', times: 3 });
    const e = await record(h, { meeting: {} });
    expect(e.status).toBe('SUCCEEDED');
    expect(eventsOf(e).map((ev) => ev.detail.eventType)).toEqual(['RecordingStarted', 'RecordingSucceeded']);
  });

  it('a request refused before anything exists publishes one RecordingFailed naming the error', async () => {
    const e = await h.run(async () => {
      const ex = await start(h, { meeting: {}, keepRawChunks: 'yes' });
      await ex.done;
      await h.cloud.bus.drain();
      return ex;
    });
    expect(e.status).toBe('FAILED');
    const mine = eventsOf(e);
    expect(mine).toHaveLength(1);
    expect(RecordingFailedUncleaned.parse(mine[0]!.detail)).toMatchObject({ eventType: 'RecordingFailed', error: { error: 'InvalidRequest' } });
    expect(statesEntered(e).slice(-2)).toEqual(['AnnounceRejected', 'RecordingFailed']);
  });

  it('a recording whose events cannot be published still records (the announcement failure is noted, not fatal)', async () => {
    h.cloud.router.faults.add({ operation: 'PutEvents', error: 'InternalException', count: Infinity });
    const e = await record(h, { meeting: {} });
    expect([e.status, e.error]).toEqual(['SUCCEEDED', undefined]);
    expect(eventsOf(e)).toEqual([]);
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
  });
});

describe('a capture that lost chunks', () => {
  let lossy: Harness;
  const seen: BusEvent[] = [];
  beforeAll(async () => {
    lossy = await startHarness({ pipelines: { lostChunkRatio: 0.5 } });
    subscribe(lossy, seen);
  });
  afterAll(() => lossy.close());

  it('ends IncompleteRecording, says what was expected and found, and keeps the raw chunks though keepRawChunks is false', async () => {
    const e = await record(lossy, { meeting: {}, keepRawChunks: false }, { lengthMs: 120_000 });
    expect([e.status, e.error]).toEqual(['FAILED', 'IncompleteRecording']);
    const [started, failed, ...rest] = eventsOf(e, seen);
    expect(rest).toEqual([]);
    expect(started?.detail.eventType).toBe('RecordingStarted');
    const outcome = RecordingOutcome.parse(failed!.detail);
    expect(outcome).toMatchObject({ eventType: 'RecordingFailed', error: { error: 'IncompleteRecording' }, rawChunks: { kept: true }, rawChunksDeleted: 0 });
    expect(outcome.error!.cause).toMatch(/expected at least \d+(\.\d+)? s .*found: s3:\/\/.*audio.* is \d+(\.\d+)? s/);
    const [, bucket, prefix] = /^s3:\/\/([^/]+)\/(.+)$/.exec(outcome.rawChunks.uri)!;
    expect((await lossy.cloud.s3.listKeys(bucket!, prefix!)).length).toBeGreaterThan(0);
    expect(lossy.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
  });
});
