import { CreateMeetingCommand, ChimeSDKMeetingsClient } from '@aws-sdk/client-chime-sdk-meetings';
import { ChimeSDKMediaPipelinesClient, CreateMediaCapturePipelineCommand } from '@aws-sdk/client-chime-sdk-media-pipelines';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { meetingSourceArn, s3Arn } from '../../functions/lib/arns';
import type { PassSummary } from '../../functions/reconciler/reconciler';
import { fromItem, toItem, type RecordingRecord } from '../../functions/lib/store';
import { scheduleRuleName } from '../../local/cloud';
import type { CallRecord } from '../../local/core/server';
import type { ScheduledRun } from '../../local/core/schedules';
import { nextReconcilerPass, start, startHarness, statesEntered, storesTaskToken, waitForCapture, type Harness } from '../../local/harness';
import { joinAttendees, meetingIdOf, simulateMeeting } from '../../local/simulate';

/**
 * The reconciler on the local cloud, run by its EventBridge schedule on simulated time (every 5 simulated
 * minutes, serverless.yml's default): what an execution stopped by hand, a Cleanup that gave up and a
 * meeting that never ended leave running is gone after its next pass; what the stack did not create (an
 * adopted meeting, a pipeline made with the SDK directly) is never touched; and a pass while a recording
 * runs changes nothing.
 */
let h: Harness;
let chime: ChimeSDKMeetingsClient;
let pipelines: ChimeSDKMediaPipelinesClient;
let db: DynamoDBClient;

beforeAll(async () => {
  h = await startHarness({ schedules: true });
  chime = new ChimeSDKMeetingsClient(h.cloud.clientConfig());
  pipelines = new ChimeSDKMediaPipelinesClient(h.cloud.clientConfig());
  db = new DynamoDBClient(h.cloud.clientConfig());
});
afterAll(async () => {
  chime.destroy();
  pipelines.destroy();
  db.destroy();
  await h.close();
});
afterEach(() => {
  h.cloud.router.faults.clear();
});

const activeMeeting = (id: string) => h.cloud.meetings.activeMeetings().some((m) => m.meetingId === id);
const activePipelines = (meetingId: string) => h.cloud.pipelines.activePipelines().filter((p) => p.meetingId === meetingId).map((p) => `${p.kind}:${p.mediaPipelineId}`);

async function item(meetingId: string): Promise<RecordingRecord & { reconciled?: { removed: string[]; notOurs: string[]; notRemoved: Record<string, string> }; reconciledAt?: string }> {
  const out = await db.send(new GetItemCommand({ TableName: h.deployment.tableName, Key: { meetingId: { S: meetingId } }, ConsistentRead: true }));
  return fromItem(out.Item ?? {}) as never;
}

/** A meeting made by the application itself (the SDK, no stack tag), with one person in it. */
async function applicationMeeting(name: string): Promise<string> {
  const out = await chime.send(new CreateMeetingCommand({ ClientRequestToken: `app-${name}`, MediaRegion: 'us-east-1', ExternalMeetingId: `app-${name}` }));
  const meetingId = out.Meeting!.MeetingId!;
  await joinAttendees(h.cloud, meetingId, 1);
  return meetingId;
}

describe('reconciler', () => {
  it('changes nothing while a recording runs: every pass during it skips it', async () => {
    const passes: ScheduledRun[] = [];
    const listen = (run: ScheduledRun) => passes.push(run);
    h.cloud.schedules.listeners.add(listen);
    const e = await h.run(async () => {
      const execution = await start(h, { meeting: {} });
      // Long enough for three passes while it captures.
      await simulateMeeting(h.cloud, execution, { lengthMs: 16 * 60_000, attendees: 1, lengthFrom: 'capture' });
      await execution.done;
      return execution;
    });
    h.cloud.schedules.listeners.delete(listen);
    expect(e.status).toBe('SUCCEEDED');
    const during = passes.filter((p) => p.at < (e.stopDate ?? 0)).map((p) => p.result as PassSummary);
    expect(during.length).toBeGreaterThanOrEqual(3);
    for (const pass of during) expect({ removed: pass.removed, findings: pass.findings }).toEqual({ removed: [], findings: [] });
    expect(during.some((p) => p.skippedRunning >= 1)).toBe(true);
    // Cleanup did it all; the next pass settles the item with nothing to remove.
    const meetingId = (await meetingIdOf(h.cloud, e))!;
    const pass = await h.run(() => nextReconcilerPass(h));
    expect(pass.removed).toEqual([]);
    expect((await item(meetingId)).reconciledAt).toBeDefined();
  });

  it('removes the meeting and capture an execution stopped by hand left running, records it, and finds nothing more next time', async () => {
    const { e, meetingId } = await h.run(async () => {
      const execution = await start(h, { meeting: {} });
      const id = (await meetingIdOf(h.cloud, execution))!;
      await joinAttendees(h.cloud, id, 1);
      await waitForCapture(h, execution);
      await h.sfn.send(new StopExecutionCommand({ executionArn: execution.executionArn }));
      return { e: execution, meetingId: id };
    });
    expect(e.status).toBe('ABORTED');
    const left = activePipelines(meetingId);
    expect(left).toEqual([expect.stringMatching(/^capture:/)]);
    expect(activeMeeting(meetingId)).toBe(true);

    // Its Chime calls, as the services saw them (simulated time).
    const chimeCalls: CallRecord[] = [];
    const listen = (call: CallRecord) => {
      if (/reconciler/i.test(call.caller?.functionName ?? '') && /meetings|media-pipelines/.test(call.service)) chimeCalls.push(call);
    };
    h.cloud.router.listeners.add(listen);
    const pass = await h.run(async () => {
      const p = await nextReconcilerPass(h);
      await h.cloud.bus.drain();
      return p;
    }).finally(() => h.cloud.router.listeners.delete(listen));
    const captureId = left[0]!.slice('capture:'.length);
    expect(pass.removed).toEqual([`capture-pipeline:${captureId}`, `meeting:${meetingId}`]);
    // Paced as serverless.yml asks (RECONCILER_CHIME_CALL_INTERVAL_MS, 250 ms) on the services' clock:
    // its pauses wait simulated time, and are measured on it too.
    expect(chimeCalls.length).toBe(pass.chimeCalls);
    expect(chimeCalls.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < chimeCalls.length; i += 1) expect(chimeCalls[i]!.at - chimeCalls[i - 1]!.at).toBeGreaterThanOrEqual(250);
    expect(activePipelines(meetingId)).toEqual([]);
    expect(activeMeeting(meetingId)).toBe(false);
    const rec = await item(meetingId);
    expect(rec).toMatchObject({ status: 'FAILED', error: { error: 'ExecutionABORTED' }, reconciled: { removed: pass.removed, notOurs: [], notRemoved: {} } });
    expect(rec.reconciledAt).toBeDefined();

    const again = await h.run(() => nextReconcilerPass(h));
    expect(again.removed).toEqual([]);
  });

  it('removes the capture a Cleanup that gave up left on an adopted meeting (DeleteMediaPipeline refused), and never the meeting', async () => {
    const meetingId = await h.run(() => applicationMeeting('adopted'));
    h.cloud.router.faults.add({ operation: 'UpdateItem', error: 'AccessDeniedException', count: 1, where: storesTaskToken });
    h.cloud.router.faults.add({ operation: 'DeleteMediaPipeline', error: 'ForbiddenException', count: Infinity });
    const e = await h.run(async () => {
      const execution = await start(h, { meetingId });
      await execution.done;
      return execution;
    });
    expect(e.status).toBe('FAILED');
    expect(statesEntered(e)).toContain('CleanupFailed');
    const [capture] = activePipelines(meetingId);
    expect(capture).toMatch(/^capture:/);
    const captureName = `capture-pipeline:${capture!.slice('capture:'.length)}`;

    // Still refused: recorded, kept for the next pass.
    const refused = await h.run(() => nextReconcilerPass(h));
    expect(refused.findings).toEqual([expect.objectContaining({ meetingId, removed: [], notRemoved: { [captureName]: 'ForbiddenException' } })]);
    expect((await item(meetingId)).reconciledAt).toBeUndefined();

    h.cloud.router.faults.clear();
    const pass = await h.run(async () => {
      const p = await nextReconcilerPass(h);
      // A deleted capture is Stopping for a moment, then gone.
      await h.cloud.clock.sleep(10_000);
      return p;
    });
    expect(pass.removed).toEqual([captureName]);
    expect(activePipelines(meetingId)).toEqual([]);
    // The application's meeting goes on.
    expect(activeMeeting(meetingId)).toBe(true);
    expect((await item(meetingId)).reconciled).toMatchObject({ removed: [captureName], notOurs: [] });
    h.cloud.meetings.end(meetingId);
  });

  it('leaves nothing running after a MeetingNeverEnded, whose Cleanup removed it all', async () => {
    const saved = process.env.MAX_MEETING_END_CHECKS;
    process.env.MAX_MEETING_END_CHECKS = '2';
    try {
      const { e, meetingId } = await h.run(async () => {
        const execution = await start(h, { meeting: {} });
        const id = (await meetingIdOf(h.cloud, execution))!;
        // Someone who never leaves, and no end event: the wait gives up after its checks.
        await joinAttendees(h.cloud, id, 1);
        await execution.done;
        return { e: execution, meetingId: id };
      });
      expect(`${e.status} ${e.error}`).toBe('FAILED MeetingNeverEnded');
      const pass = await h.run(async () => {
        const p = await nextReconcilerPass(h);
        await h.cloud.bus.drain();
        return p;
      });
      expect(activePipelines(meetingId)).toEqual([]);
      expect(activeMeeting(meetingId)).toBe(false);
      expect(pass.findings.filter((f) => f.meetingId === meetingId)).toEqual([]);
    } finally {
      process.env.MAX_MEETING_END_CHECKS = saved;
    }
  });

  it('never touches a meeting or pipeline the stack did not create, even when an item names them', async () => {
    const { meetingId, pipelineId } = await h.run(async () => {
      const id = await applicationMeeting('foreign');
      const out = await pipelines.send(
        new CreateMediaCapturePipelineCommand({
          SourceType: 'ChimeSdkMeeting',
          SourceArn: meetingSourceArn('aws', h.cloud.ctx.account, id),
          SinkType: 'S3Bucket',
          SinkArn: s3Arn('aws', h.deployment.captureBucket, 'application'),
          Tags: [{ Key: 'team', Value: 'app' }],
        }),
      );
      await h.cloud.clock.sleep(10_000);
      return { meetingId: id, pipelineId: out.MediaCapturePipeline!.MediaPipelineId! };
    });
    // An item that claims them for an execution Step Functions does not know (as a bad write, or a copy
    // of another stack's table, would): the tags still say they are not this stack's.
    const now = new Date(h.cloud.clock.now()).toISOString();
    const forged = {
      meetingId,
      executionId: `${h.deployment.stateMachineArn.replace(':stateMachine:', ':execution:')}:forged`,
      executionName: 'forged',
      status: 'RECORDING',
      createdMeeting: true,
      mediaRegion: 'us-east-1',
      capturePipelineId: pipelineId,
      presence: {},
      checks: 0,
      createdAt: now,
      updatedAt: now,
    };
    await h.run(() => db.send(new PutItemCommand({ TableName: h.deployment.tableName, Item: toItem(forged) })));
    const pass = await h.run(() => nextReconcilerPass(h));
    expect(pass.findings).toEqual([expect.objectContaining({ meetingId, removed: [], notOurs: [`capture-pipeline:${pipelineId}`, `meeting:${meetingId}`], notRemoved: {} })]);
    expect(activePipelines(meetingId)).toEqual([`capture:${pipelineId}`]);
    expect(activeMeeting(meetingId)).toBe(true);
    h.cloud.meetings.end(meetingId);
  });

  it('runs on the schedule serverless.yml gives it', () => {
    const runs = h.cloud.schedules.runs.filter((r) => r.rule === scheduleRuleName('reconciler'));
    const gaps = runs.slice(1).map((r, i) => r.at - runs[i]!.at);
    expect(new Set(gaps)).toEqual(new Set([5 * 60_000]));
  });
});
