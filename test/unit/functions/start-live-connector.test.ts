import { mockClient } from 'aws-sdk-client-mock';
import {
  BadRequestException,
  ChimeSDKMediaPipelinesClient,
  CreateMediaLiveConnectorPipelineCommand,
  DeleteMediaPipelineCommand,
  ForbiddenException,
  NotFoundException,
  ThrottledClientException,
} from '@aws-sdk/client-chime-sdk-media-pipelines';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ChimeSDKMeetingsClient, DeleteMeetingCommand } from '@aws-sdk/client-chime-sdk-meetings';
import {
  DecryptionFailure,
  GetSecretValueCommand,
  InternalServiceError,
  InvalidRequestException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { handler as startLiveConnector } from '../../../functions/start-live-connector/handler';
import { handler as cleanup } from '../../../functions/cleanup/handler';
import { buildPlan } from '../../../functions/validate-request/validate';
import { InvalidRequest } from '../../../functions/lib/errors';
import { clientRequestToken } from '../../../functions/lib/tokens';
import { EXECUTION_ID, MEETING_ID, meetingRef, plan, roleRef } from '../../fixtures/plans';

const pipelines = mockClient(ChimeSDKMediaPipelinesClient);
const secrets = mockClient(SecretsManagerClient);
const meetings = mockClient(ChimeSDKMeetingsClient);
const db = mockClient(DynamoDBClient);
const ctx = { awsRequestId: 'r', functionName: 'f', getRemainingTimeInMillis: () => 1000 } as never;
const meta = { $metadata: {} };

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:chime-recording/youtube-AbC123';
const STREAM_KEY = 'sk_live_SECRETKEY123';
const URL = `rtmps://live.example.com/app/${STREAM_KEY}`;
const LIVE_ID = '6c0f5c4e-1111-4222-8333-444455556666';
const LIVE_ARN = `arn:aws:chime:us-east-1:123456789012:media-pipeline/${LIVE_ID}`;
const DEFAULTS = { captureBucket: 'capture-bucket', region: 'us-east-1', partition: 'aws', account: '123456789012', liveStreamSecretPrefix: 'chime-recording/' };

function livePlan(liveStream: Record<string, unknown> = { secretArn: SECRET_ARN }) {
  return plan({ meeting: { externalMeetingId: 'standup', mediaRegion: 'us-east-1' }, liveStream, tags: { team: 'a' } });
}

function problems(input: unknown): string[] {
  try {
    buildPlan(input, EXECUTION_ID, 'rec-1', DEFAULTS);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRequest);
    return (err as InvalidRequest).problems;
  }
  throw new Error('expected InvalidRequest');
}

const failure = (p: Promise<unknown>): Promise<Error> => p.then(() => Promise.reject(new Error('expected the step to fail')), (err: Error) => err);

/** The step's failure as Step Functions would record it: name, message and stack must all be free of the URL. */
function recorded(err: Error): string {
  return `${err.name}\n${err.message}\n${err.stack ?? ''}`;
}

beforeEach(() => {
  for (const m of [pipelines, secrets, meetings, db]) m.reset();
  db.on(UpdateItemCommand).resolves({ Attributes: {} });
  pipelines.on(CreateMediaLiveConnectorPipelineCommand).resolves({
    // The real response echoes the sink, URL and all.
    MediaLiveConnectorPipeline: { MediaPipelineId: LIVE_ID, MediaPipelineArn: LIVE_ARN, Status: 'Initializing', Sinks: [{ SinkType: 'RTMP', RTMPConfiguration: { Url: URL } }] },
  });
});

describe('liveStream input (ValidateRequest)', () => {
  it('plans the settings with defaults, never a URL', () => {
    const p = buildPlan({ meeting: {}, liveStream: { secretArn: SECRET_ARN } }, EXECUTION_ID, 'rec-1', DEFAULTS);
    expect(p.liveStream).toEqual({ secretArn: SECRET_ARN, muxType: 'AudioWithCompositedVideo', audioChannels: 'Stereo', audioSampleRate: '48000' });
    const chosen = { secretArn: SECRET_ARN, muxType: 'AudioWithActiveSpeakerVideo', audioChannels: 'Mono', audioSampleRate: '44100' };
    expect(buildPlan({ meeting: {}, liveStream: chosen }, EXECUTION_ID, 'rec-1', DEFAULTS).liveStream).toEqual(chosen);
    expect(buildPlan({ meeting: {} }, EXECUTION_ID, 'rec-1', DEFAULTS).liveStream).toBeUndefined();
  });

  it('names each bad field with the allowed values', () => {
    const list = problems({ meeting: {}, liveStream: { secretArn: SECRET_ARN, muxType: 'AudioOnly', audioChannels: 'Surround', audioSampleRate: 48000, url: URL } }).join('\n');
    expect(list).toMatch(/liveStream\.muxType: must be one of AudioWithCompositedVideo, AudioWithActiveSpeakerVideo/);
    expect(list).toMatch(/liveStream\.audioChannels: must be one of Stereo, Mono/);
    expect(list).toMatch(/liveStream\.audioSampleRate: must be one of "44100", "48000" \(a string\)/);
    // A URL in the input is refused like any unknown field (it would stay in the execution history).
    expect(list).toMatch(/liveStream: unknown field "url"/);
    expect(problems({ meeting: {}, liveStream: {} })).toEqual([expect.stringMatching(/^liveStream\.secretArn: /)]);
  });

  it.each([
    ['not an ARN', 'chime-recording/youtube', /must be the full ARN of a Secrets Manager secret/],
    ['a partial ARN', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:chime-recording/youtube', /must be the full ARN/],
    ['another service', 'arn:aws:ssm:us-east-1:123456789012:parameter/chime-recording/youtube-AbC123', /must be the full ARN/],
    ['another region', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chime-recording/youtube-AbC123', /the secret is in eu-west-1, but the stack reads it in us-east-1/],
    ['another account', 'arn:aws:secretsmanager:us-east-1:210987654321:secret:chime-recording/youtube-AbC123', /belongs to account 210987654321, not to this stack's account 123456789012/],
    ['a name outside the prefix', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbC123', /must start with "chime-recording\/".*name it chime-recording\/prod\/db-password/],
  ])('refuses %s', (_case, secretArn, message) => {
    const list = problems({ meeting: {}, liveStream: { secretArn } });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(/^liveStream\.secretArn: /);
    expect(list[0]).toMatch(message);
  });

  it('takes any name when the stack sets no prefix, and any account when it does not know its own', () => {
    const other = 'arn:aws:secretsmanager:us-east-1:210987654321:secret:anything-AbC123';
    expect(buildPlan({ meeting: {}, liveStream: { secretArn: other } }, EXECUTION_ID, 'rec-1', { region: 'us-east-1', partition: 'aws', captureBucket: 'b' }).liveStream?.secretArn).toBe(other);
  });
});

describe('StartLiveConnector', () => {
  it('reads the secret, starts the pipeline with the exact request, records its id and returns only the ids', async () => {
    secrets.on(GetSecretValueCommand).resolves({ ARN: SECRET_ARN, SecretString: URL });
    const out = await startLiveConnector({ plan: livePlan(), chimeMeeting: meetingRef, role: roleRef }, ctx);
    expect(out).toEqual({ mediaPipelineId: LIVE_ID, mediaPipelineArn: LIVE_ARN });
    expect(JSON.stringify(out)).not.toContain(STREAM_KEY);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: SECRET_ARN });
    expect(pipelines.commandCalls(CreateMediaLiveConnectorPipelineCommand)[0]!.args[0].input).toEqual({
      Sources: [{ SourceType: 'ChimeSdkMeeting', ChimeSdkMeetingLiveConnectorConfiguration: { Arn: `arn:aws:chime::123456789012:meeting:${MEETING_ID}`, MuxType: 'AudioWithCompositedVideo' } }],
      Sinks: [{ SinkType: 'RTMP', RTMPConfiguration: { Url: URL, AudioChannels: 'Stereo', AudioSampleRate: '48000' } }],
      ClientRequestToken: clientRequestToken(EXECUTION_ID, 'StartLiveConnector'),
      Tags: [{ Key: 'team', Value: 'a' }, { Key: 'chime-recording:stack', Value: 'chime-recording-test' }],
    });
    const update = db.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(unmarshall(update.ExpressionAttributeValues!)).toMatchObject({ ':livePipelineId': LIVE_ID, ':me': EXECUTION_ID });
    expect(JSON.stringify(update)).not.toContain(STREAM_KEY);
  });

  it('takes the URL from JSON {"url": ...} too, with the chosen mux type and audio', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: ` {"url": "${URL}", "note": "youtube"}\n` });
    const p = livePlan({ secretArn: SECRET_ARN, muxType: 'AudioWithActiveSpeakerVideo', audioChannels: 'Mono', audioSampleRate: '44100' });
    await startLiveConnector({ plan: p, chimeMeeting: meetingRef, role: roleRef }, ctx);
    const input = pipelines.commandCalls(CreateMediaLiveConnectorPipelineCommand)[0]!.args[0].input;
    expect(input.Sources![0]!.ChimeSdkMeetingLiveConnectorConfiguration!.MuxType).toBe('AudioWithActiveSpeakerVideo');
    expect(input.Sinks![0]!.RTMPConfiguration).toEqual({ Url: URL, AudioChannels: 'Mono', AudioSampleRate: '44100' });
  });

  it('refuses a plan without a live stream (the state machine never sends one)', async () => {
    const err = await failure(startLiveConnector({ plan: plan(), chimeMeeting: meetingRef, role: roleRef }, ctx));
    expect(err.name).toBe('InvalidRequest');
    expect(secrets.calls()).toHaveLength(0);
  });

  it.each([
    ['an https URL', `https://live.example.com/app/${STREAM_KEY}`, /its scheme must be rtmp or rtmps/],
    ['a bare stream key', STREAM_KEY, /it is not a URL/],
    ['another scheme before the key', `live:${STREAM_KEY}`, /its scheme must be rtmp or rtmps/],
    ['no host', `rtmp:///app/${STREAM_KEY}`, /it has no host/],
    ['no stream key', 'rtmps://live.example.com/app', /its path must hold the application and the stream key/],
    ['whitespace', `rtmps://live.example.com/app/${STREAM_KEY} extra`, /it contains whitespace/],
    ['too long', `rtmps://live.example.com/app/${STREAM_KEY}${'x'.repeat(1000)}`, /longer than 1024 characters/],
    ['JSON without url', `{"key": "${STREAM_KEY}"}`, /not JSON with a string "url" member/],
    ['broken JSON', `{"url": "${URL}"`, /not JSON with a string "url" member/],
  ])('fails InvalidLiveStreamUrl for %s, naming the rule and the secret, never the value', async (_case, value, rule) => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: value });
    const err = await failure(startLiveConnector({ plan: livePlan(), chimeMeeting: meetingRef, role: roleRef }, ctx));
    expect(err.name).toBe('InvalidLiveStreamUrl');
    expect(err.message).toMatch(rule);
    expect(err.message).toContain(SECRET_ARN);
    expect(recorded(err)).not.toContain(STREAM_KEY);
    expect(recorded(err)).not.toContain('live.example.com');
    expect(pipelines.calls()).toHaveLength(0);
  });

  it.each([
    ['ResourceNotFoundException', 'LiveStreamSecretUnavailable', new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", ...meta }), /create-secret/],
    ['DecryptionFailure', 'LiveStreamSecretUnavailable', new DecryptionFailure({ message: 'no key', ...meta }), /kms:Decrypt/],
    ['InvalidRequestException', 'LiveStreamSecretUnavailable', new InvalidRequestException({ message: 'marked for deletion', ...meta }), /restore-secret/],
    ['AccessDeniedException', 'AccessDenied', Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }), /liveStreamSecretPrefix/],
    ['ThrottlingException', 'ServiceBusy', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }), /GetSecretValue/],
    ['InternalServiceError', 'ServiceBusy', new InternalServiceError({ message: 'boom', ...meta }), /GetSecretValue/],
    ['InternalServiceError without a status', 'ServiceBusy', Object.assign(new Error('boom'), { name: 'InternalServiceError' }), /GetSecretValue/],
  ])('maps GetSecretValue %s to %s', async (_case, name, err, message) => {
    secrets.on(GetSecretValueCommand).rejects(err);
    const out = await failure(startLiveConnector({ plan: livePlan(), chimeMeeting: meetingRef, role: roleRef }, ctx));
    expect(out.name).toBe(name);
    expect(out.message).toMatch(message);
    if (name !== 'ServiceBusy') expect(out.message).toContain(SECRET_ARN);
    expect(pipelines.calls()).toHaveLength(0);
  });

  it('fails LiveStreamSecretUnavailable for a binary secret', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2]) });
    const err = await failure(startLiveConnector({ plan: livePlan(), chimeMeeting: meetingRef, role: roleRef }, ctx));
    expect([err.name, err.message]).toEqual(['LiveStreamSecretUnavailable', expect.stringContaining('binary')]);
  });

  it.each([
    ['ThrottledClientException', 'ServiceBusy', new ThrottledClientException({ message: 'slow', ...meta })],
    ['ForbiddenException', 'AccessDenied', new ForbiddenException({ message: 'denied', ...meta })],
    ['NotFoundException', 'MeetingNotFound', new NotFoundException({ message: 'no meeting', ...meta })],
    ['ResourceLimitExceededException', 'LimitReached', Object.assign(new Error('too many'), { name: 'ResourceLimitExceededException', $metadata: { httpStatusCode: 400 } })],
  ])('maps CreateMediaLiveConnectorPipeline %s to %s', async (_case, name, err) => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: URL });
    pipelines.on(CreateMediaLiveConnectorPipelineCommand).rejects(err);
    expect((await failure(startLiveConnector({ plan: livePlan(), chimeMeeting: meetingRef, role: roleRef }, ctx))).name).toBe(name);
    expect(db.calls()).toHaveLength(0);
  });

  it('cuts the URL and the stream key out of an error that quotes them', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: URL });
    pipelines.on(CreateMediaLiveConnectorPipelineCommand).rejects(new BadRequestException({ message: `Value '${URL}' at 'url' is invalid; key ${STREAM_KEY} refused`, ...meta }));
    const err = await failure(startLiveConnector({ plan: livePlan(), chimeMeeting: meetingRef, role: roleRef }, ctx));
    expect(err.name).toBe('BadRequestException');
    expect(err.message).toBe("Value '<redacted>' at 'url' is invalid; key <redacted> refused");
    expect(recorded(err)).not.toContain(STREAM_KEY);
  });
});

describe('Cleanup with a live stream', () => {
  const capturePipeline = { mediaPipelineId: 'cap-1', mediaPipelineArn: 'arn:aws:chime:us-east-1:123456789012:media-pipeline/cap-1' };
  const livePipeline = { mediaPipelineId: LIVE_ID, mediaPipelineArn: LIVE_ARN };

  it('stops the live pipeline on failure together with the rest; NotFound means done', async () => {
    pipelines.on(DeleteMediaPipelineCommand, { MediaPipelineId: 'cap-1' }).resolves({});
    pipelines.on(DeleteMediaPipelineCommand, { MediaPipelineId: LIVE_ID }).rejects(new NotFoundException({ message: 'gone', ...meta }));
    meetings.on(DeleteMeetingCommand).resolves({});
    const out = await cleanup({ plan: livePlan(), chimeMeeting: meetingRef, capturePipeline, livePipeline, error: { Error: 'ServiceBusy', Cause: 'x' } }, ctx);
    expect(pipelines.commandCalls(DeleteMediaPipelineCommand).map((c) => c.args[0].input.MediaPipelineId).sort()).toEqual(['cap-1', LIVE_ID].sort());
    expect(out).toMatchObject({ status: 'FAILED', livePipelineId: LIVE_ID, deleted: ['capture-pipeline:cap-1', `meeting:${MEETING_ID}`] });
  });

  it('stops the live stream of an adopted meeting whose capture stopped, and leaves one that ended with its meeting', async () => {
    pipelines.on(DeleteMediaPipelineCommand).resolves({});
    const adopted = { ...meetingRef, created: false };
    // StartConcatenation ran (it stopped the capture the end left running).
    const concatenationPipeline = { mediaPipelineId: 'cat-1', mediaPipelineArn: 'arn:aws:chime:us-east-1:123456789012:media-pipeline/cat-1' };
    const base = { plan: livePlan(), chimeMeeting: adopted, capturePipeline, livePipeline, concatenationPipeline, concatenationStatus: { artifacts: ['s3://b/k'] } };
    const out = await cleanup({ ...base, meetingEnd: { reason: 'OnlyPipelineAttendeesRemain' } }, ctx);
    expect(out).toMatchObject({ status: 'SUCCEEDED', deleted: [`live-pipeline:${LIVE_ID}`] });
    pipelines.reset();
    expect(await cleanup({ ...base, meetingEnd: { reason: 'MeetingEnded' } }, ctx)).toMatchObject({ status: 'SUCCEEDED', deleted: [] });
    expect(pipelines.calls()).toHaveLength(0);
  });
});
