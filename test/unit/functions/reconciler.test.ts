import { mockClient } from 'aws-sdk-client-mock';
import { ChimeSDKMeetingsClient, DeleteMeetingCommand, GetMeetingCommand, ListTagsForResourceCommand as MeetingTags } from '@aws-sdk/client-chime-sdk-meetings';
import {
  ChimeSDKMediaPipelinesClient,
  ChimeSDKMediaPipelinesServiceException,
  DeleteMediaPipelineCommand,
  GetMediaPipelineCommand,
  ListTagsForResourceCommand as PipelineTags,
} from '@aws-sdk/client-chime-sdk-media-pipelines';
import { DynamoDBClient, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { reconcile, type ReconcilerLimits } from '../../../functions/reconciler/reconciler';
import { toItem } from '../../../functions/lib/store';

/**
 * The reconciler's bounds and rules against mocked AWS (the workflow tests run it on the local cloud):
 * it skips running executions, never deletes an adopted meeting, stops at the first throttling answer
 * and at its Chime call budget, and spaces its Chime calls.
 */
const db = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const meetings = mockClient(ChimeSDKMeetingsClient);
const pipelines = mockClient(ChimeSDKMediaPipelinesClient);
const OURS = [{ Key: 'chime-recording:stack', Value: 'chime-recording-test' }];
const execution = (n: number) => `arn:aws:states:us-east-1:123456789012:execution:chime-recording-test-recording:rec-${n}`;
const item = (n: number, extra: Record<string, unknown> = {}) =>
  toItem({ meetingId: `m-${n}`, executionId: execution(n), executionName: `rec-${n}`, status: 'RECORDING', createdMeeting: true, capturePipelineId: `p-${n}`, ...extra });

let pauses: number[];
const limits = (over: Partial<ReconcilerLimits> = {}): ReconcilerLimits => ({
  maxItems: 100,
  maxChimeCalls: 100,
  chimeCallIntervalMs: 250,
  remainingMs: () => 60_000,
  pause: async (ms) => {
    pauses.push(ms);
  },
  ...over,
});
const deps = () => ({ store: { db: new DynamoDBClient({}), table: 't' }, sfn: new SFNClient({}), meetings: new ChimeSDKMeetingsClient({}), pipelines: new ChimeSDKMediaPipelinesClient({}) });

beforeEach(() => {
  for (const m of [db, sfn, meetings, pipelines]) m.reset();
  pauses = [];
  db.on(UpdateItemCommand).resolves({});
  sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
  pipelines.on(GetMediaPipelineCommand).callsFake((input: { MediaPipelineId: string }) => ({
    MediaPipeline: { MediaCapturePipeline: { MediaPipelineId: input.MediaPipelineId, MediaPipelineArn: `arn:aws:chime:us-east-1:123456789012:media-pipeline/${input.MediaPipelineId}`, Status: 'InProgress' } },
  }));
  pipelines.on(PipelineTags).resolves({ Tags: OURS });
  pipelines.on(DeleteMediaPipelineCommand).resolves({});
  meetings.on(GetMeetingCommand).callsFake((input: { MeetingId: string }) => ({ Meeting: { MeetingId: input.MeetingId, MeetingArn: `arn:aws:chime:us-east-1:123456789012:meeting/${input.MeetingId}` } }));
  meetings.on(MeetingTags).resolves({ Tags: OURS });
  meetings.on(DeleteMeetingCommand).resolves({});
});

describe('reconciler', () => {
  it('skips a running execution without a Chime call or a write, and never deletes an adopted meeting', async () => {
    db.on(ScanCommand).resolves({ Items: [item(1), item(2, { createdMeeting: false })] });
    sfn.on(DescribeExecutionCommand, { executionArn: execution(1) }).resolves({ status: 'RUNNING' });
    const out = await reconcile(deps(), limits());
    expect(out).toMatchObject({ examined: 2, skippedRunning: 1, removed: ['capture-pipeline:p-2'] });
    expect(pipelines.commandCalls(GetMediaPipelineCommand).map((c) => c.args[0].input.MediaPipelineId)).toEqual(['p-2']);
    expect(meetings.commandCalls(GetMeetingCommand)).toEqual([]);
    expect(db.commandCalls(UpdateItemCommand).map((c) => c.args[0].input.Key)).toEqual([{ meetingId: { S: 'm-2' } }]);
  });

  it('stops at the first throttling answer, recording what it did so far and settling nothing', async () => {
    db.on(ScanCommand).resolves({ Items: [item(1), item(2)] });
    pipelines.on(DeleteMediaPipelineCommand).rejects(new ChimeSDKMediaPipelinesServiceException({ name: 'ThrottledClientException', $fault: 'client', $metadata: {}, message: 'Rate exceeded' }));
    const out = await reconcile(deps(), limits());
    expect(out).toMatchObject({ examined: 1, stoppedEarly: 'throttled', removed: [] });
    const write = db.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(write.UpdateExpression).not.toContain('reconciledAt');
    expect(write.UpdateExpression).not.toContain('#status');
  });

  it('keeps to its Chime call budget and spaces the calls', async () => {
    db.on(ScanCommand).resolves({ Items: [item(1), item(2)] });
    const out = await reconcile(deps(), limits({ maxChimeCalls: 4 }));
    // Get, tags, delete for the capture; then GetMeeting is the fourth; its tags would be the fifth.
    expect(out).toMatchObject({ chimeCalls: 4, stoppedEarly: 'Chime call budget', removed: ['capture-pipeline:p-1'] });
    expect(pauses).toHaveLength(3);
    for (const ms of pauses) expect(ms).toBeLessThanOrEqual(250);
  });

  it('settles an item once nothing is left, marking FAILED a recording whose execution ended without Cleanup', async () => {
    db.on(ScanCommand).resolves({ Items: [item(1)] });
    const out = await reconcile(deps(), limits());
    expect(out.removed).toEqual(['capture-pipeline:p-1', 'meeting:m-1']);
    const write = db.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(write.UpdateExpression).toContain('reconciledAt = :at');
    expect(write.UpdateExpression).toContain('#status = :failed');
    expect(write.ConditionExpression).toBe('executionId = :me');
  });
});
