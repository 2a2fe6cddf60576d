import fs from 'node:fs';
import { ChimeSDKMeetingsClient, CreateMeetingCommand, DeleteMeetingCommand } from '@aws-sdk/client-chime-sdk-meetings';
import { ChimeSDKMediaPipelinesClient, DeleteMediaPipelineCommand } from '@aws-sdk/client-chime-sdk-media-pipelines';
import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { policyToApply, requiredGrants } from '../../functions/lib/bucket-policy';
import type { BusEvent } from '../../local/core/bus';
import type { Execution } from '../../local/sfn/runner';
import { removeRole } from '../../local/matrix';
import { joinAttendees, meetingIdOf, simulateMeeting } from '../../local/simulate';
import { RECORDING_STATES, cleanupSummary, output, record, start, startHarness, statesEntered, waitForCapture, waitForState, storesTaskToken, type Harness } from '../../local/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
afterEach(() => {
  h.cloud.router.faults.clear();
  h.cloud.bus.clearFaults();
});

interface Summary {
  status: string;
  meetingId: string;
  capturePipelineId: string;
  concatenationPipelineId: string;
  artifacts: string[];
  deleted: string[];
}

function fileOf(uri: string): string {
  const [, bucket = '', key = ''] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) ?? [];
  return h.cloud.s3.filePath(bucket, key);
}

describe('recording lifecycle on the local cloud', () => {
  it('records a new meeting end to end and leaves nothing running', async () => {
    const e = await record(h, { meeting: { externalMeetingId: 'standup' } });
    expect(e.error).toBeUndefined();
    expect(e.status).toBe('SUCCEEDED');
    expect(statesEntered(e)).toEqual(RECORDING_STATES);
    const summary = output<Summary>(e);
    expect(summary.status).toBe('SUCCEEDED');
    expect(summary.artifacts.length).toBeGreaterThan(0);
    for (const uri of summary.artifacts) {
      expect(uri).toContain(`/${summary.concatenationPipelineId}.`);
      expect(fs.statSync(fileOf(uri)).size).toBeGreaterThan(0);
    }
    // Raw chunks are kept by default, under the per-execution capture prefix.
    const chunks = await h.cloud.s3.listKeys(h.deployment.captureBucket, `captures/${e.name}/`);
    expect(chunks.some((k) => /\/(audio|composited-video)\/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-\d{3}\.mp4$/.test(k))).toBe(true);
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
    // 15 states (three of them the recording events and the file check), and room for a retry or two.
    expect(e.transitions).toBeLessThanOrEqual(18);
  });

  it('records a meeting the application created (adopt): people already in it count, only our capture stops', async () => {
    const chime = new ChimeSDKMeetingsClient(h.cloud.clientConfig());
    const created = await chime.send(new CreateMeetingCommand({ ClientRequestToken: `app-${Date.now()}`, MediaRegion: 'us-east-1', ExternalMeetingId: 'app-owned' }));
    const meetingId = created.Meeting!.MeetingId!;
    // Both join before the recording starts, so the workflow never sees their join events.
    const [first, second] = await joinAttendees(h.cloud, meetingId, 2);
    const deletesBefore = h.cloud.router.calls.get('meetings:DeleteMeeting') ?? 0;
    const e = await start(h, { meetingId });
    await h.run(async () => {
      await waitForCapture(h, e);
      h.cloud.meetings.leave(meetingId, first!, 'left');
      await h.cloud.bus.drain();
    });
    // One person is still there: the recording goes on.
    expect(e.status).toBe('RUNNING');
    expect(h.cloud.pipelines.activePipelines()).toHaveLength(1);
    h.cloud.meetings.leave(meetingId, second!, 'left');
    await h.run(async () => {
      await e.done;
      await h.cloud.bus.drain();
    });
    expect(e.error).toBeUndefined();
    expect(e.status).toBe('SUCCEEDED');
    expect(e.history.some((ev) => ev.type === 'TaskTimedOut')).toBe(false);
    expect(output<Summary>(e).deleted).toEqual([]);
    // The application's meeting was never deleted by the workflow; nothing of ours runs.
    expect(h.cloud.router.calls.get('meetings:DeleteMeeting') ?? 0).toBe(deletesBefore);
    expect(h.cloud.pipelines.activePipelines()).toEqual([]);
    h.cloud.meetings.end(meetingId);
    chime.destroy();
  });

  it('fails a bucket without the media pipelines grant before creating anything, with the policy to apply', async () => {
    const s3 = new S3Client(h.cloud.clientConfig());
    await s3.send(new CreateBucketCommand({ Bucket: 'no-grant-bucket' }));
    s3.destroy();
    const creates = h.cloud.router.calls.get('meetings:CreateMeeting') ?? 0;
    const e = await record(h, { meeting: {}, capture: { bucket: 'no-grant-bucket' } });
    expect(e.status).toBe('FAILED');
    expect(e.error).toBe('BucketNotReady');
    const cause = JSON.parse(e.cause ?? '{}') as { errorMessage: string };
    const policy = JSON.parse(/Apply this bucket policy: (\{.*\}\]\})/.exec(cause.errorMessage)![1]!);
    expect(policy.Statement[0]).toMatchObject({ Principal: { Service: 'mediapipelines.chime.amazonaws.com' }, Action: ['s3:PutObject', 's3:PutObjectAcl', 's3:GetObject', 's3:ListBucket'] });
    expect(statesEntered(e)).not.toContain('CreateMeeting');
    expect(h.cloud.router.calls.get('meetings:CreateMeeting') ?? 0).toBe(creates);
    expect(h.cloud.pipelines.activePipelines()).toEqual([]);
  });

  it('refuses a meeting created through another control region at VerifyBuckets, before anything is created, saying why', async () => {
    const west = new ChimeSDKMeetingsClient({ ...h.cloud.clientConfig(), region: 'us-west-2' });
    const created = await west.send(new CreateMeetingCommand({ ClientRequestToken: `west-${Date.now()}`, MediaRegion: 'us-west-2', ExternalMeetingId: 'west-owned' }));
    const meetingId = created.Meeting!.MeetingId!;
    const e = await start(h, { meetingId });
    await h.run(() => e.done);
    expect([e.status, e.error]).toEqual(['FAILED', 'MeetingNotFound']);
    expect(statesEntered(e)).toEqual(['ValidateRequest', 'EnsureServiceLinkedRole', 'VerifyBuckets', 'AnnounceRejected', 'RecordingFailed']);
    expect((JSON.parse(e.cause ?? '{}') as { errorMessage: string }).errorMessage).toMatch(
      new RegExp(`^meetingId: meeting ${meetingId} is not a running meeting of us-east-1, this stack's control region .*only in the control region that created it`),
    );
    expect(h.cloud.pipelines.activePipelines()).toEqual([]);
    await west.send(new DeleteMeetingCommand({ MeetingId: meetingId }));
    west.destroy();
  });

  describe('a meeting hosted in another region than the stack\'s', () => {
    const bucket = 'london-recordings';
    beforeAll(async () => {
      const london = new S3Client({ ...h.cloud.clientConfig(), region: 'eu-west-2' });
      await london.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' } }));
      const grants = requiredGrants(bucket, { captureSink: true, concatenationSink: true }, 'aws');
      await london.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policyToApply(undefined, grants, { account: h.cloud.ctx.account, partition: 'aws' })) }));
      london.destroy();
    });

    it('is recorded into buckets of its media region: every S3 call there follows the region redirect', async () => {
      const e = await record(h, { meeting: { mediaRegion: 'eu-west-2' }, capture: { bucket }, concatenation: { bucket }, keepRawChunks: false });
      expect([e.status, e.error]).toEqual(['SUCCEEDED', undefined]);
      const summary = output<Summary>(e);
      expect(summary.artifacts.length).toBeGreaterThan(0);
      for (const uri of summary.artifacts) expect(uri.startsWith(`s3://${bucket}/recordings/`)).toBe(true);
      // Cleanup deleted the raw chunks there too.
      expect(await h.cloud.s3.listKeys(bucket, `captures/${e.name}/`)).toEqual([]);
      expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
    });

    it('fails a capture bucket outside that region as BucketNotReady naming both regions', async () => {
      const e = await record(h, { meeting: { mediaRegion: 'us-east-1' }, capture: { bucket }, concatenation: { bucket } });
      expect([e.status, e.error]).toEqual(['FAILED', 'BucketNotReady']);
      expect((JSON.parse(e.cause ?? '{}') as { errorMessage: string }).errorMessage).toBe(
        `capture and concatenation bucket "${bucket}" is in eu-west-2 but the meeting's media region is us-east-1; media pipelines only write to buckets in the meeting's media region: create it in us-east-1, or name a bucket there`,
      );
      expect(statesEntered(e)).not.toContain('CreateMeeting');
    });
  });

  it('rejects an invalid request at the first state, naming the fields', async () => {
    const e = await record(h, { meeting: { mediaRegion: 'moon-1' }, captureBucket: 'x' });
    expect(e.status).toBe('FAILED');
    expect(e.error).toBe('InvalidRequest');
    expect(e.cause).toContain('meeting.mediaRegion');
    expect(e.cause).toContain('unknown field \\"captureBucket\\"');
    expect(statesEntered(e)).toEqual(['ValidateRequest', 'AnnounceRejected', 'RecordingFailed']);
  });

  it.each(['delivered', 'lost'])('finishes when the meeting ends before the token is stored (end event %s)', async (fate) => {
    if (fate === 'lost') h.cloud.bus.addFault({ eventType: 'chime:MeetingEnded', action: 'drop' });
    const e = await start(h, { meeting: {} });
    await h.run(async () => {
      await waitForState(h, e, 'StartCapture');
      // Hold AwaitMeetingEnd's token write (the next UpdateItem) for a simulated minute, while the meeting
      // captures for 10 s and ends.
      h.cloud.router.faults.add({ operation: 'UpdateItem', latencyMs: 60_000, where: storesTaskToken });
      await waitForCapture(h, e);
      h.cloud.meetings.end((await meetingIdOf(h.cloud, e))!);
      await e.done;
    });
    expect([e.status, e.error]).toEqual(['SUCCEEDED', undefined]);
    // Resumed by the step's own check, not by the one-hour safety net.
    expect(e.history.some((ev) => ev.type === 'TaskTimedOut')).toBe(false);
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
  });

  it('treats duplicate meeting-end events as one', async () => {
    h.cloud.bus.addFault({ eventType: 'chime:MeetingEnded', action: 'duplicate', times: 3 });
    const e = await record(h);
    expect(e.status).toBe('SUCCEEDED');
    const ended = h.cloud.bus.deliveries.filter((d) => d.eventType === 'chime:MeetingEnded' && d.ok);
    expect(ended.length).toBeGreaterThanOrEqual(3);
    expect(statesEntered(e).filter((s) => s === 'StartConcatenation')).toHaveLength(1);
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
  });

  it('a throttled DeleteMeeting after the last person leaves is retried by StartConcatenation; the leave event is handled once', async () => {
    // Ending the meeting is the workflow's own step, with its retries: the event handler makes no Chime call.
    h.cloud.router.faults.add({ operation: 'DeleteMeeting', error: 'ThrottlingException', count: 2 });
    const deliveries = h.cloud.bus.deliveries.length;
    const e = await record(h, { meeting: {} }, { attendees: 1 });
    expect(e.status).toBe('SUCCEEDED');
    const left = h.cloud.bus.deliveries.slice(deliveries).filter((d) => d.eventType === 'chime:AttendeeLeft');
    expect(left.map((d) => [d.ok, d.attempts])).toEqual([[true, 1]]);
    expect(h.cloud.bus.deadLetters).toEqual([]);
    const retried = e.history.filter((ev) => ev.type === 'LambdaFunctionFailed' && String((ev.lambdaFunctionFailedEventDetails as { cause: string }).cause).includes('DeleteMeeting'));
    expect(retried).toHaveLength(2);
    expect(e.history.some((ev) => ev.type === 'TaskTimedOut')).toBe(false);
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
  });

  it('a throttled GetMeeting in AwaitMeetingEnd is retried as the same check: a meeting nobody has joined yet runs until its people leave', async () => {
    h.cloud.router.faults.add({ operation: 'GetMeeting', error: 'ThrottlingException', count: 1 });
    const e = await start(h, { meeting: {} });
    const ended: number[] = [];
    const listen = (ev: BusEvent) => ev.detail.eventType === 'chime:MeetingEnded' && ended.push(Number(ev.detail.timestamp));
    h.cloud.bus.listeners.add(listen);
    let lastLeave = 0;
    try {
      await h.run(async () => {
        const meetingId = (await meetingIdOf(h.cloud, e))!;
        await waitForState(h, e, 'AwaitMeetingEnd');
        // People join a minute after the meeting was created, stay half an hour, then leave.
        await h.cloud.clock.sleep(60_000);
        const people = await joinAttendees(h.cloud, meetingId, 2);
        await h.cloud.clock.sleep(30 * 60_000);
        for (const id of people) h.cloud.meetings.leave(meetingId, id, 'left');
        // Events carry whole epoch milliseconds, as AWS's do; the clock may be between two.
        lastLeave = Math.floor(h.cloud.clock.now());
        await e.done;
      });
    } finally {
      h.cloud.bus.listeners.delete(listen);
    }
    expect([e.status, e.error]).toEqual(['SUCCEEDED', undefined]);
    const throttled = e.history.filter((ev) => ev.type === 'TaskFailed' && String((ev.taskFailedEventDetails as { cause: string }).cause).includes('ThrottlingException'));
    expect(throttled).toHaveLength(1);
    // The retry was not taken for a safety-net re-check: the meeting ended once its people had left.
    expect(ended).toHaveLength(1);
    expect(ended[0]).toBeGreaterThanOrEqual(lastLeave);
    expect(output<{ artifacts: string[] }>(e).artifacts.length).toBeGreaterThan(0);
  });

  describe('the concatenation pipeline\'s end event', () => {
    const ofConcatenation = (ev: BusEvent) => h.cloud.pipelines.pipeline(String(ev.detail.mediaPipelineId))?.kind === 'concatenation';
    const concatenationWaits = (e: Execution) => statesEntered(e).filter((s) => s === 'AwaitConcatenation').length;

    it('resumes the wait: one AwaitConcatenation, no timeout, files listed', async () => {
      const e = await record(h);
      expect(e.status).toBe('SUCCEEDED');
      expect(concatenationWaits(e)).toBe(1);
      expect(e.history.some((ev) => ev.type === 'TaskTimedOut')).toBe(false);
      const ended = h.cloud.bus.deliveries.filter((d) => d.eventType === 'chime:MediaPipelineDeleted' && d.ok);
      expect(ended.length).toBeGreaterThanOrEqual(2); // the capture's, then the concatenation's
      expect(output<{ artifacts: string[] }>(e).artifacts.length).toBeGreaterThan(0);
    });

    it('duplicated x3: resumes once', async () => {
      h.cloud.bus.addFault({ eventType: 'chime:MediaPipelineDeleted', where: ofConcatenation, action: 'duplicate', times: 3 });
      const e = await record(h);
      expect([e.status, concatenationWaits(e)]).toEqual(['SUCCEEDED', 1]);
      expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
    });

    it("lost: S3's Object Created for its file resumes the wait, no timeout", async () => {
      h.cloud.bus.addFault({ eventType: 'chime:MediaPipelineDeleted', where: ofConcatenation, action: 'drop' });
      const e = await record(h);
      expect([e.status, concatenationWaits(e)]).toEqual(['SUCCEEDED', 1]);
      expect(e.history.some((ev) => ev.type === 'TaskTimedOut')).toBe(false);
      expect(h.cloud.bus.deliveries.some((d) => d.eventType === 'Object Created' && d.ok)).toBe(true);
      expect(output<{ artifacts: string[] }>(e).artifacts.length).toBeGreaterThan(0);
      expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
    });

    it('lost, with no Object Created either: the 10-minute re-check finds the stopped pipeline and its files', async () => {
      h.cloud.bus.addFault({ eventType: 'chime:MediaPipelineDeleted', where: ofConcatenation, action: 'drop' });
      h.cloud.bus.addFault({ eventType: 'Object Created', action: 'drop', count: Infinity });
      try {
        const e = await record(h);
        expect(e.status).toBe('SUCCEEDED');
        expect(concatenationWaits(e)).toBe(2);
        expect(e.history.filter((ev) => ev.type === 'TaskTimedOut')).toHaveLength(1);
        expect(output<{ artifacts: string[] }>(e).artifacts.length).toBeGreaterThan(0);
        expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
      } finally {
        h.cloud.bus.clearFaults();
      }
    });

    it('depends on no single signal: no end event, no Object Created, and GetMediaPipeline answering NotFound once stopped: the files within one re-check', async () => {
      const previous = h.cloud.useBehaviours({ 'concatenation-completion-event': 'not-sent', 'stopped-pipeline-lookup': 'not-found' });
      h.cloud.bus.addFault({ eventType: 'Object Created', action: 'drop', count: Infinity });
      const ended: BusEvent[] = [];
      const listen = (ev: BusEvent) => ev.detail.eventType === 'chime:MediaPipelineDeleted' && ended.push(ev);
      h.cloud.bus.listeners.add(listen);
      try {
        const e = await record(h);
        expect([e.status, e.error]).toEqual(['SUCCEEDED', undefined]);
        expect(concatenationWaits(e)).toBeLessThanOrEqual(2);
        expect(output<{ artifacts: string[] }>(e).artifacts.length).toBeGreaterThan(0);
        // Only the capture's end was announced.
        expect(ended.map((ev) => ev.detail.mediaPipelineId)).toEqual([output<{ capturePipelineId: string }>(e).capturePipelineId]);
        expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
      } finally {
        h.cloud.bus.listeners.delete(listen);
        h.cloud.bus.clearFaults();
        h.cloud.useBehaviours(previous);
      }
    });

    // What DeleteMediaPipeline does to a concatenation is not documented (local/core/behaviours.ts).
    it.each(['conflict', 'stops'] as const)('a concatenation that never finishes fails the recording after timeoutMinutes, raw chunks kept (deletion: %s)', async (deletion) => {
      h.cloud.pipelines.options.concatenationStuck = true;
      const previous = h.cloud.useBehaviours({ 'concatenation-deletion': deletion });
      try {
        const e = await start(h, { meeting: {}, concatenation: { timeoutMinutes: 20 } });
        await h.run(async () => {
          const meeting = simulateMeeting(h.cloud, e, { lengthMs: 60_000, attendees: 1 });
          await e.done;
          await meeting;
          // A deleted pipeline takes a simulated second to stop.
          await h.cloud.clock.sleep(1500);
        });
        expect([e.status, e.error]).toEqual(['FAILED', 'ConcatenationTimedOut']);
        // Entered at 0, 10 and 20 minutes: the third finds it still running past the 20-minute bound.
        expect(concatenationWaits(e)).toBe(3);
        const summary = cleanupSummary(e);
        const id = summary.concatenationPipelineId!;
        const name = `concatenation-pipeline:${id}`;
        if (deletion === 'stops') {
          expect([summary.deleted, summary.notDeleted]).toEqual([[name], undefined]);
          expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
        } else {
          // Refused: reported, and the only thing left running, by AWS.
          expect(summary.deleted).toEqual([]);
          expect(summary.notDeleted?.[name]).toMatch(/^ConflictException: /);
          expect(h.cloud.pipelines.activePipelines().map((p) => p.mediaPipelineId)).toEqual([id]);
          expect([h.cloud.orphans(), h.cloud.keptRunning()]).toEqual([{ meetings: 0, pipelines: 0 }, 1]);
          // The next test starts from nothing.
          h.cloud.useBehaviours({ 'concatenation-deletion': 'stops' });
          await h.run(async () => {
            await new ChimeSDKMediaPipelinesClient(h.cloud.clientConfig()).send(new DeleteMediaPipelineCommand({ MediaPipelineId: id }));
            await h.cloud.clock.sleep(1500);
          });
        }
        expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
        // The raw chunks stay, for another concatenation.
        expect((await h.cloud.s3.listKeys(h.deployment.captureBucket, `captures/${e.name}/`)).length).toBeGreaterThan(0);
      } finally {
        h.cloud.pipelines.options.concatenationStuck = false;
        h.cloud.useBehaviours(previous);
      }
    });
  });

  // A meeting that ends while a new service-linked role still propagates (the capture never joins it):
  // nothing to concatenate, said so at the first re-check rather than after the concatenation's bound.
  it.each([
    ['stays-in-progress', 'NothingCaptured'],
    ['stops', 'PipelineFailed'],
  ] as const)('a meeting over before the capture could start fails clearly (concatenation-end-status: %s)', async (endStatus, error) => {
    await h.run(() => removeRole(h));
    h.cloud.pipelines.options.rolePropagationMs = 120_000;
    const previous = h.cloud.useBehaviours({ 'concatenation-end-status': endStatus });
    try {
      const e = await start(h, { meeting: {} });
      await h.run(async () => {
        await simulateMeeting(h.cloud, e, { lengthMs: 60_000, attendees: 1 });
        await e.done;
        await h.cloud.clock.sleep(6 * 60_000);
      });
      expect([e.status, e.error]).toEqual(['FAILED', error]);
      const refused = e.history.filter((ev) => ev.type === 'LambdaFunctionFailed' && (ev.lambdaFunctionFailedEventDetails as { error: string }).error === 'RoleNotReady');
      expect(refused.length).toBeGreaterThan(0);
      expect(statesEntered(e).filter((s) => s === 'AwaitConcatenation').length).toBeLessThanOrEqual(2);
      if (error === 'NothingCaptured') expect(e.cause).toMatch(/capture pipeline wrote nothing under s3:\/\//);
      expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
    } finally {
      await h.run(async () => h.cloud.pipelines.endKeptRunning());
      h.cloud.pipelines.options.rolePropagationMs = undefined;
      h.cloud.useBehaviours(previous);
    }
  });

  it('resumes through the safety net when the meeting ends and its end events are lost', async () => {
    // Both signals of the end: the meeting's, and our capture pipeline's deletion that follows it.
    h.cloud.bus.addFault({ eventType: 'chime:MeetingEnded', action: 'drop', count: Infinity });
    h.cloud.bus.addFault({ eventType: 'chime:MediaPipelineDeleted', action: 'drop', count: Infinity });
    const e = await start(h, { meeting: {} });
    await h.run(async () => {
      const meetingId = await meetingIdOf(h.cloud, e);
      // The application ends the meeting while the workflow waits; EventBridge never delivers the end.
      await waitForState(h, e, 'AwaitMeetingEnd');
      await waitForCapture(h, e);
      h.cloud.meetings.end(meetingId!);
      // The idle hour the safety net waits before re-checking the meeting (and the concatenation's 10
      // minutes: its end event is lost too) passes in no time.
      await e.done;
    });
    expect(e.status).toBe('SUCCEEDED');
    expect(e.history.some((ev) => ev.type === 'TaskTimedOut')).toBe(true);
    // Its own first check may already find the concatenation stopped (skipping idle time makes it quick).
    expect(statesEntered(e).filter((s) => s === 'AwaitConcatenation').length).toBeLessThanOrEqual(2);
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
  });
});

describe('when GetRole answers AccessDenied for a missing role (behaviour iam-get-missing-role)', () => {
  let denied: Harness;
  beforeAll(async () => {
    denied = await startHarness({ behaviour: { 'iam-get-missing-role': 'access-denied' } });
  });
  afterAll(() => denied.close());

  it('creates the service-linked role and records', async () => {
    expect(denied.cloud.iam.roleExists('AWSServiceRoleForAmazonChimeSDKMediaPipelines')).toBe(false);
    const e = await record(denied);
    expect([e.status, e.error]).toEqual(['SUCCEEDED', undefined]);
    expect(denied.cloud.iam.roleExists('AWSServiceRoleForAmazonChimeSDKMediaPipelines')).toBe(true);
  });
});
