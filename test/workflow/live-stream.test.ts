import { ChimeSDKMeetingsClient, CreateMeetingCommand } from '@aws-sdk/client-chime-sdk-meetings';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { joinAttendees } from '../../local/simulate';
import { output, record, start, startHarness, statesEntered, waitForCapture, waitForState, type Harness } from '../../local/harness';

/**
 * Recording and live streaming at once on the local cloud. The RTMPS URL and its stream key live in a
 * Secrets Manager secret only: they must not reach the execution input, history or output, the
 * recordings table, or anything written to the console (logged here at DEBUG).
 */
const STREAM_KEY = 'sk_live_SECRETKEY123';
const URL = `rtmps://live.example.com/app/${STREAM_KEY}`;

let h: Harness;
let secrets: SecretsManagerClient;
let db: DynamoDBClient;
let secretArn: string;
const written: string[] = [];
const saved = process.env.POWERTOOLS_LOG_LEVEL;

beforeAll(async () => {
  // The handlers' loggers are built when the cloud loads them: as talkative as an operator could make them.
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      written.push(args.map(String).join(' '));
    });
  }
  h = await startHarness();
  secrets = new SecretsManagerClient(h.cloud.clientConfig());
  db = new DynamoDBClient(h.cloud.clientConfig());
  secretArn = (await secrets.send(new CreateSecretCommand({ Name: 'chime-recording/live-test', SecretString: URL }))).ARN!;
});

afterEach(async () => {
  // An invocation still running (a test's last execution over, its Lambda not yet) must not meet the next test's faults.
  await h.run(() => h.cloud.clock.until(() => h.cloud.lambda.inFlight === 0, 'no Lambda invocation running'));
  h.cloud.router.faults.clear();
});

afterAll(async () => {
  secrets.destroy();
  db.destroy();
  await h.close();
  jest.restoreAllMocks();
  process.env.POWERTOOLS_LOG_LEVEL = saved;
});

async function fullHistory(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 10, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

function expectNoSecret(what: string, text: string): void {
  expect({ what, key: text.includes(STREAM_KEY), url: text.includes('live.example.com') }).toEqual({ what, key: false, url: false });
}

describe('live stream next to the recording', () => {
  it('records and streams a meeting, stops the stream, and keeps the URL out of history, output, table and logs', async () => {
    const e = await record(h, { meeting: { externalMeetingId: 'streamed' }, liveStream: { secretArn, audioChannels: 'Mono' } });
    expect([e.status, e.error]).toEqual(['SUCCEEDED', undefined]);
    expect(statesEntered(e)).toEqual([
      'ValidateRequest', 'EnsureServiceLinkedRole', 'VerifyBuckets', 'CreateMeeting', 'StartCapture', 'AnnounceRecordingStarted', 'LiveStreamRequested', 'StartLiveConnector',
      'AwaitMeetingEnd', 'StartConcatenation', 'AwaitConcatenation', 'VerifyRecording', 'Cleanup', 'AnnounceRecordingOutcome', 'RecordingOutcome', 'RecordingSucceeded',
    ]);

    const summary = output<{ meetingId: string; livePipelineId: string; artifacts: string[] }>(e);
    const live = h.cloud.pipelines.pipeline(summary.livePipelineId);
    expect(live).toMatchObject({ kind: 'liveConnector', meetingId: summary.meetingId, status: 'Stopped' });
    // It streamed: it went InProgress (joined the meeting) before the meeting ended.
    expect(h.cloud.bus.published.some((ev) => ev.detail.mediaPipelineId === summary.livePipelineId && ev.detail.eventType === 'chime:MediaPipelineInProgress')).toBe(true);
    expect(summary.artifacts.length).toBeGreaterThan(0);
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });

    const history = await fullHistory(e.executionArn);
    expect(history.length).toBeGreaterThan(10);
    expect(history.some((ev) => ev.type === 'TaskStateExited' && ev.stateExitedEventDetails?.name === 'StartLiveConnector')).toBe(true);
    expectNoSecret('history', JSON.stringify(history));
    const described = await h.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
    expectNoSecret('input', described.input ?? '');
    expectNoSecret('output', described.output ?? '');
    const item = await db.send(new GetItemCommand({ TableName: h.deployment.tableName, Key: marshall({ meetingId: summary.meetingId }) }));
    expect(unmarshall(item.Item ?? {})).toMatchObject({ livePipelineId: summary.livePipelineId, status: 'SUCCEEDED' });
    expectNoSecret('recordings table', JSON.stringify(item.Item));
    expectNoSecret('console', written.join('\n'));
  });

  it('streams a meeting the application created until the recording ends, then Cleanup stops the stream', async () => {
    const { ARN: jsonSecretArn } = await secrets.send(new CreateSecretCommand({ Name: 'chime-recording/adopted', SecretString: JSON.stringify({ url: URL }) }));
    const chime = new ChimeSDKMeetingsClient(h.cloud.clientConfig());
    const created = await chime.send(new CreateMeetingCommand({ ClientRequestToken: `app-live-${Date.now()}`, MediaRegion: 'us-east-1', ExternalMeetingId: 'app-streamed' }));
    chime.destroy();
    const meetingId = created.Meeting!.MeetingId!;
    const [person] = await joinAttendees(h.cloud, meetingId, 1);
    const e = await start(h, { meetingId, liveStream: { secretArn: jsonSecretArn } });
    await h.run(async () => {
      await waitForState(h, e, 'AwaitMeetingEnd');
      await waitForCapture(h, e);
    });
    // A retried StartLiveConnector (its answer lost) gets the same pipeline back, not a second stream.
    const entered = e.history.find((ev) => ev.type === 'TaskStateEntered' && (ev.stateEnteredEventDetails as { name: string }).name === 'AwaitMeetingEnd');
    const state = JSON.parse((entered?.stateEnteredEventDetails as { input: string }).input) as { plan: unknown; chimeMeeting: unknown; role: unknown; livePipeline: unknown };
    expect(await h.cloud.lambda.invoke('startLiveConnector', { plan: state.plan, chimeMeeting: state.chimeMeeting, role: state.role })).toEqual(state.livePipeline);
    expect(h.cloud.pipelines.activePipelines().filter((p) => p.kind === 'liveConnector' && p.meetingId === meetingId)).toHaveLength(1);
    // The person leaves: only our capture stops (the meeting is the application's); the stream outlives it until Cleanup.
    h.cloud.meetings.leave(meetingId, person!, 'left');
    await h.run(async () => {
      await e.done;
      await h.cloud.bus.drain();
    });
    expect([e.status, e.error]).toEqual(['SUCCEEDED', undefined]);
    const summary = output<{ livePipelineId: string; deleted: string[] }>(e);
    expect(summary.deleted).toEqual([`live-pipeline:${summary.livePipelineId}`]);
    // Deleted pipelines spend a moment Stopping.
    await h.run(() => h.cloud.clock.sleep(1500));
    expect(h.cloud.pipelines.activePipelines()).toEqual([]);
    expect(h.cloud.meetings.activeMeetings().map((m) => m.meetingId)).toContain(meetingId);
    h.cloud.meetings.end(meetingId);
  });

  it.each([
    ['GetSecretValue', 'InternalServiceError', 1, 'SUCCEEDED'],
    ['CreateMediaLiveConnectorPipeline', 'ThrottledClientException', 2, 'SUCCEEDED'],
    ['CreateMediaLiveConnectorPipeline', 'ThrottledClientException', Infinity, 'FAILED ServiceBusy'],
    ['CreateMediaLiveConnectorPipeline', 'ForbiddenException', 1, 'FAILED AccessDenied'],
  ])('%s failing with %s x%d ends %s, leaving nothing running', async (operation, error, count, outcome) => {
    h.cloud.router.faults.add({ operation, error, count });
    const before = h.cloud.lambda.invocations.length;
    const e = await record(h, { meeting: {}, liveStream: { secretArn } });
    const ended = [e.status, e.error].filter(Boolean).join(' ');
    // On a surprise, the states and this test's StartLiveConnector answers say where the fault went (seen once in CI: SUCCEEDED).
    const starts = h.cloud.lambda.invocations.slice(before).filter((i) => i.functionName === 'startLiveConnector').map((i) => i.errorType ?? 'ok');
    expect({ ended, ...(ended === outcome ? {} : { states: statesEntered(e), starts, inFlight: h.cloud.lambda.inFlight }) }).toEqual({ ended: outcome });
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
  });

  it('fails with LiveStreamSecretUnavailable when the secret is missing, after cleaning up the capture and meeting', async () => {
    const missing = `arn:aws:secretsmanager:us-east-1:${h.cloud.ctx.account}:secret:chime-recording/missing-AbC123`;
    const creates = h.cloud.router.calls.get('media-pipelines:CreateMediaLiveConnectorPipeline') ?? 0;
    const e = await record(h, { meeting: {}, liveStream: { secretArn: missing } });
    expect([e.status, e.error]).toEqual(['FAILED', 'LiveStreamSecretUnavailable']);
    expect(e.cause).toContain(missing);
    expect(e.cause).toContain('create-secret');
    expect(statesEntered(e).slice(-5)).toEqual(['StartLiveConnector', 'Cleanup', 'AnnounceRecordingOutcome', 'RecordingOutcome', 'RecordingFailed']);
    expect(h.cloud.router.calls.get('media-pipelines:CreateMediaLiveConnectorPipeline') ?? 0).toBe(creates);
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
    // The failing step logged (DEBUG is on); nothing written in the whole file holds the stream.
    expect(written.join('\n')).toContain('LiveStreamSecretUnavailable');
    expectNoSecret('console', written.join('\n'));
  });
});
