import { mockClient } from 'aws-sdk-client-mock';
import {
  ChimeSDKMeetingsClient,
  CreateMeetingCommand,
  DeleteMeetingCommand,
  ForbiddenException as ForbiddenMeeting,
  GetMeetingCommand,
  ListAttendeesCommand,
  NotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-chime-sdk-meetings';
import { CreateServiceLinkedRoleCommand, GetRoleCommand, IAMClient, IAMServiceException, NoSuchEntityException } from '@aws-sdk/client-iam';
import {
  BadRequestException,
  ChimeSDKMediaPipelinesClient,
  CreateMediaCapturePipelineCommand,
  CreateMediaConcatenationPipelineCommand,
  DeleteMediaPipelineCommand,
  ForbiddenException,
  GetMediaPipelineCommand,
  NotFoundException as PipelineNotFound,
  ServiceFailureException,
  ThrottledClientException,
} from '@aws-sdk/client-chime-sdk-media-pipelines';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, GetBucketEncryptionCommand, GetBucketLocationCommand, GetBucketPolicyCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { handler as createMeeting } from '../../../functions/create-meeting/handler';
import { handler as ensureServiceLinkedRole } from '../../../functions/ensure-service-linked-role/handler';
import { handler as startCapture } from '../../../functions/start-capture/handler';
import { handler as verifyBuckets } from '../../../functions/verify-buckets/handler';
import { handler as awaitMeetingEnd } from '../../../functions/await-meeting-end/handler';
import { handler as meetingEvents } from '../../../functions/meeting-events/handler';
import { handler as startConcatenation } from '../../../functions/start-concatenation/handler';
import { handler as awaitConcatenation } from '../../../functions/await-concatenation/handler';
import { handler as cleanup } from '../../../functions/cleanup/handler';
import { policyToApply, requiredGrants } from '../../../functions/lib/bucket-policy';
import { ROLE_NAME } from '../../../functions/lib/service-linked-role';
import { clientRequestToken } from '../../../functions/lib/tokens';
import { EXECUTION_ID, MEETING_ID, meetingRef, newRole, plan, roleRef, serviceLinkedRole } from '../../fixtures/plans';

const meetings = mockClient(ChimeSDKMeetingsClient);
const pipelines = mockClient(ChimeSDKMediaPipelinesClient);
const db = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const iam = mockClient(IAMClient);
const ctx = { awsRequestId: 'r', functionName: 'f', getRemainingTimeInMillis: () => 1000 } as never;
const meta = { $metadata: {} };
const CAPTURE_ARN = 'arn:aws:chime:us-east-1:123456789012:media-pipeline/cap-1';
const OWNER = { account: '123456789012', partition: 'aws' };

function record(over: Record<string, unknown> = {}) {
  return marshall({ meetingId: MEETING_ID, executionId: EXECUTION_ID, executionName: 'rec-1', status: 'RECORDING', createdMeeting: true, mediaRegion: 'us-east-1', presence: {}, checks: 1, capturePipelineId: 'cap-1', createdAt: 'x', updatedAt: 'x', ...over }, { removeUndefinedValues: true });
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the step to fail');
}

beforeEach(() => {
  for (const m of [meetings, pipelines, db, s3, sfn, iam]) m.reset();
  process.env.ACCOUNT_ID = '123456789012';
  process.env.PARTITION = 'aws';
});

describe('CreateMeeting', () => {
  it('creates the meeting with a token derived from the execution, then claims it', async () => {
    meetings.on(CreateMeetingCommand).resolves({ Meeting: { MeetingId: MEETING_ID, MeetingArn: meetingRef.meetingArn, MediaRegion: 'us-east-1' } });
    db.on(PutItemCommand).resolves({});
    const out = await createMeeting({ plan: plan(), role: roleRef }, ctx);
    expect(out).toEqual(meetingRef);
    expect(meetings.commandCalls(CreateMeetingCommand)[0]!.args[0].input).toEqual({
      ClientRequestToken: clientRequestToken(EXECUTION_ID, 'CreateMeeting'),
      MediaRegion: 'us-east-1',
      ExternalMeetingId: 'standup',
      Tags: [{ Key: 'chime-recording:stack', Value: 'chime-recording-test' }],
    });
    expect(clientRequestToken(EXECUTION_ID, 'CreateMeeting')).toMatch(/^[-_a-zA-Z0-9]{2,64}$/);
    expect(db.commandCalls(PutItemCommand)[0]!.args[0].input.ConditionExpression).toContain('attribute_not_exists(meetingId)');
  });

  it('adopts an existing meeting; a missing one is MeetingNotFound, one being recorded is RecordingAlreadyActive', async () => {
    const adopt = plan({ meetingId: MEETING_ID });
    meetings.on(GetMeetingCommand).resolvesOnce({ Meeting: { MeetingId: MEETING_ID, MeetingArn: meetingRef.meetingArn, MediaRegion: 'us-east-1' } });
    meetings.on(ListAttendeesCommand).resolves({ Attendees: [{ AttendeeId: 'a1', ExternalUserId: 'alice' }, { AttendeeId: 'p1', ExternalUserId: 'aws:MediaPipeline-x' }] });
    db.on(PutItemCommand).resolves({});
    expect(await createMeeting({ plan: adopt, role: roleRef }, ctx)).toEqual({ ...meetingRef, created: false });
    expect(meetings.commandCalls(CreateMeetingCommand)).toHaveLength(0);
    // People already in an adopted meeting count as present; pipeline attendees never do.
    const item = db.commandCalls(PutItemCommand)[0]!.args[0].input.Item!;
    expect(item.presence).toEqual({ M: { a1: { M: { present: { BOOL: true }, at: { N: '0' }, externalUserId: { S: 'alice' } } } } });

    meetings.on(GetMeetingCommand).rejects(new NotFoundException({ message: 'gone', ...meta }));
    expect((await failure(createMeeting({ plan: adopt, role: roleRef }, ctx))).name).toBe('MeetingNotFound');

    meetings.on(GetMeetingCommand).resolves({ Meeting: { MeetingId: MEETING_ID, MeetingArn: meetingRef.meetingArn } });
    db.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'no', ...meta }));
    db.on(GetItemCommand).resolves({ Item: marshall({ meetingId: MEETING_ID, executionId: 'arn:other-execution', status: 'RECORDING' }) });
    expect((await failure(createMeeting({ plan: adopt, role: roleRef }, ctx))).name).toBe('RecordingAlreadyActive');
    expect(meetings.commandCalls(DeleteMeetingCommand)).toHaveLength(0);

    // A retried CreateMeeting finds its own claim and leaves it (and the token stored since) alone.
    db.on(GetItemCommand).resolves({ Item: marshall({ meetingId: MEETING_ID, executionId: EXECUTION_ID, status: 'RECORDING', taskToken: 't' }) });
    expect(await createMeeting({ plan: adopt, role: roleRef }, ctx)).toMatchObject({ meetingId: MEETING_ID, created: false });
  });

  it('treats a call that never got an answer as transient', async () => {
    meetings.on(CreateMeetingCommand).rejects(new Error('AWS SDK error wrapper for TimeoutError: socket hang up'));
    expect((await failure(createMeeting({ plan: plan(), role: roleRef }, ctx))).name).toBe('ServiceBusy');
    // Words that merely contain an error code ("CapturePipeline" has "ePipe") are not transport failures.
    pipelines.on(CreateMediaCapturePipelineCommand).rejects(Object.assign(new Error('limit on CreateMediaCapturePipeline'), { name: 'ResourceLimitExceededException', $metadata: { httpStatusCode: 400 } }));
    expect((await failure(startCapture({ plan: plan(), chimeMeeting: meetingRef, role: roleRef }, ctx))).name).toBe('LimitReached');
  });

  it('maps throttling to ServiceBusy (retried) and rejects a malformed state with InvalidRequest', async () => {
    meetings.on(CreateMeetingCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } }));
    expect((await failure(createMeeting({ plan: plan(), role: roleRef }, ctx))).name).toBe('ServiceBusy');
    const bad = await failure(createMeeting({ plan: { mode: 'create' } }, ctx));
    expect(bad.name).toBe('InvalidRequest');
    expect(bad.message).toMatch(/plan\.executionId/);
  });
});

describe('StartCapture', () => {
  const input = { plan: plan(), chimeMeeting: meetingRef, role: roleRef };

  it('sends the full capture request: demo-form SourceArn, sink with prefix, artifacts with composited video, token', async () => {
    const createdAt = new Date('2026-11-23T10:00:01.000Z');
    pipelines.on(CreateMediaCapturePipelineCommand).resolves({ MediaCapturePipeline: { MediaPipelineId: 'cap-1', MediaPipelineArn: CAPTURE_ARN, CreatedTimestamp: createdAt } });
    db.on(UpdateItemCommand).resolves({ Attributes: record() });
    expect(await startCapture(input, ctx)).toEqual({ mediaPipelineId: 'cap-1', mediaPipelineArn: CAPTURE_ARN });
    // Chime's creation time is where maxDurationMinutes counts from.
    expect(db.commandCalls(UpdateItemCommand)[0]!.args[0].input.ExpressionAttributeValues).toMatchObject({ ':captureStartedAt': { S: createdAt.toISOString() } });
    expect(pipelines.commandCalls(CreateMediaCapturePipelineCommand)[0]!.args[0].input).toEqual({
      SourceType: 'ChimeSdkMeeting',
      SourceArn: `arn:aws:chime::123456789012:meeting:${MEETING_ID}`,
      SinkType: 'S3Bucket',
      SinkArn: 'arn:aws:s3:::capture-bucket/captures/rec-1',
      ClientRequestToken: clientRequestToken(EXECUTION_ID, 'StartCapture'),
      ChimeSdkMeetingConfiguration: {
        ArtifactsConfiguration: {
          Audio: { MuxType: 'AudioWithCompositedVideo' },
          Video: { State: 'Disabled', MuxType: undefined },
          Content: { State: 'Disabled', MuxType: undefined },
          CompositedVideo: { Layout: 'GridView', Resolution: 'FHD', GridViewConfiguration: { ContentShareLayout: 'PresenterOnly', PresenterOnlyConfiguration: undefined } },
        },
      },
      SseAwsKeyManagementParams: undefined,
      SinkIamRoleArn: undefined,
      Tags: [{ Key: 'chime-recording:stack', Value: 'chime-recording-test' }],
    });
  });

  it('passes SSE-KMS parameters together with the sink role', async () => {
    pipelines.on(CreateMediaCapturePipelineCommand).resolves({ MediaCapturePipeline: { MediaPipelineId: 'cap-1', MediaPipelineArn: CAPTURE_ARN } });
    db.on(UpdateItemCommand).resolves({ Attributes: record() });
    const kms = plan({ meeting: {}, capture: { kms: { keyId: 'arn:aws:kms:us-east-1:123456789012:key/k', encryptionContext: 'ctx', sinkIamRoleArn: 'arn:aws:iam::123456789012:role/sink' } } });
    await startCapture({ ...input, plan: kms }, ctx);
    expect(pipelines.commandCalls(CreateMediaCapturePipelineCommand)[0]!.args[0].input).toMatchObject({
      SseAwsKeyManagementParams: { AwsKmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k', AwsKmsEncryptionContext: 'ctx' },
      SinkIamRoleArn: 'arn:aws:iam::123456789012:role/sink',
    });
  });

  // Role propagation is recognised by timing (functions/lib/role-propagation.ts), never by wording: the
  // same refusal is RoleNotReady from a role created 30 s ago and AccessDenied from a settled one.
  it.each([
    [new ForbiddenException({ message: 'Service-linked role AWSServiceRoleForAmazonChimeSDKMediaPipelines not found', ...meta }), 30, 'RoleNotReady'],
    [new ForbiddenException({ message: 'Not allowed to assume the role', ...meta }), 30, 'RoleNotReady'],
    [new ForbiddenException({ message: 'Service-linked role AWSServiceRoleForAmazonChimeSDKMediaPipelines not found', ...meta }), 11 * 60, 'AccessDenied'],
    [new ForbiddenException({ message: 'User is not authorized', ...meta }), undefined, 'AccessDenied'],
    [new BadRequestException({ message: 'S3 Bucket policy not valid/present for Sink', ...meta }), undefined, 'BadRequestException'],
    [new ThrottledClientException({ message: 'slow', ...meta }), 30, 'ServiceBusy'],
    [new ServiceFailureException({ message: 'boom', ...meta }), undefined, 'ServiceBusy'],
    [Object.assign(new Error('too many'), { name: 'ResourceLimitExceededException', $metadata: { httpStatusCode: 400 } }), undefined, 'LimitReached'],
    [new PipelineNotFound({ message: 'no meeting', ...meta }), undefined, 'MeetingNotFound'],
  ])('maps %s (role created %s s ago) to %s', async (err, secondsAgo, name) => {
    pipelines.on(CreateMediaCapturePipelineCommand).rejects(err);
    const role = secondsAgo === undefined ? roleRef : newRole(secondsAgo);
    expect((await failure(startCapture({ ...input, role }, ctx))).name).toBe(name);
  });
});

describe('VerifyBuckets', () => {
  it('passes buckets that grant what they need', async () => {
    const p = plan();
    s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: undefined });
    s3.on(GetBucketPolicyCommand, { Bucket: 'capture-bucket' }).resolves({ Policy: JSON.stringify(policyToApply(undefined, requiredGrants('capture-bucket', { captureSink: true, concatenationSink: false }, 'aws'), OWNER)) });
    s3.on(GetBucketPolicyCommand, { Bucket: 'final-bucket' }).resolves({ Policy: JSON.stringify(policyToApply(undefined, requiredGrants('final-bucket', { captureSink: false, concatenationSink: true }, 'aws'), OWNER)) });
    s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } });
    expect(await verifyBuckets({ plan: p }, ctx)).toEqual({ mediaRegion: 'us-east-1', buckets: ['capture-bucket', 'final-bucket'], warnings: [] });
  });

  it('fails with every problem and the exact policy to apply', async () => {
    s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: undefined });
    s3.on(GetBucketPolicyCommand).rejects(new S3ServiceException({ name: 'NoSuchBucketPolicy', $fault: 'client', message: 'none', ...meta }));
    s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/aws/s3' } }] } });
    const err = await failure(verifyBuckets({ plan: plan() }, ctx));
    expect(err.name).toBe('BucketNotReady');
    expect(err.message).toMatch(/concatenation bucket "final-bucket" policy does not let/);
    expect(err.message).toMatch(/aws\/s3 KMS key/);
    const policy = /Apply this bucket policy: (\{.*?\}\]\})/.exec(err.message)?.[1];
    // The statement REFERENCE.md gives for a capture bucket that concatenation reads back.
    expect(JSON.parse(policy!)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AWSChimeMediaPipelinesAccess',
          Effect: 'Allow',
          Principal: { Service: 'mediapipelines.chime.amazonaws.com' },
          Action: ['s3:PutObject', 's3:PutObjectAcl', 's3:GetObject', 's3:ListBucket'],
          Resource: ['arn:aws:s3:::capture-bucket', 'arn:aws:s3:::capture-bucket/*'],
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': 'arn:aws:chime:*:123456789012:*' } },
        },
      ],
    });
  });

  it('reports a capture bucket outside the media region with both regions, calling none of its region-bound APIs (S3 answers them 301)', async () => {
    s3.on(GetBucketLocationCommand, { Bucket: 'capture-bucket' }).resolves({ LocationConstraint: 'eu-west-1' });
    s3.on(GetBucketLocationCommand, { Bucket: 'final-bucket' }).resolves({ LocationConstraint: undefined });
    const redirect = new S3ServiceException({ name: 'PermanentRedirect', $fault: 'client', message: 'The bucket you are attempting to access must be addressed using the specified endpoint.', $metadata: { httpStatusCode: 301 } });
    s3.on(GetBucketPolicyCommand, { Bucket: 'capture-bucket' }).rejects(redirect);
    s3.on(GetBucketEncryptionCommand, { Bucket: 'capture-bucket' }).rejects(redirect);
    s3.on(GetBucketPolicyCommand, { Bucket: 'final-bucket' }).resolves({ Policy: JSON.stringify(policyToApply(undefined, requiredGrants('final-bucket', { captureSink: false, concatenationSink: true }, 'aws'), OWNER)) });
    s3.on(GetBucketEncryptionCommand, { Bucket: 'final-bucket' }).resolves({});
    const err = await failure(verifyBuckets({ plan: plan() }, ctx));
    expect(err.name).toBe('BucketNotReady');
    expect(err.message).toBe('capture bucket "capture-bucket" is in eu-west-1 but the meeting\'s media region is us-east-1; media pipelines only write to buckets in the meeting\'s media region: create it in us-east-1, or name a bucket there');
    expect([...s3.commandCalls(GetBucketPolicyCommand), ...s3.commandCalls(GetBucketEncryptionCommand)].map((c) => c.args[0].input.Bucket)).toEqual(['final-bucket', 'final-bucket']);
  });

  it('writes the policy to apply with the stack\'s partition', async () => {
    process.env.PARTITION = 'aws-us-gov';
    s3.on(GetBucketLocationCommand).resolves({ LocationConstraint: undefined });
    s3.on(GetBucketPolicyCommand).rejects(new S3ServiceException({ name: 'NoSuchBucketPolicy', $fault: 'client', message: 'none', ...meta }));
    s3.on(GetBucketEncryptionCommand).resolves({});
    const err = await failure(verifyBuckets({ plan: plan() }, ctx));
    expect(err.message).toContain('"Resource":["arn:aws-us-gov:s3:::capture-bucket","arn:aws-us-gov:s3:::capture-bucket/*"]');
    expect(err.message).toContain('"aws:SourceArn":"arn:aws-us-gov:chime:*:123456789012:*"');
    expect(err.message).not.toContain('arn:aws:');
  });
});

describe('an adopted meeting of another control region', () => {
  const adopt = plan({ meetingId: MEETING_ID });
  // What GetMeeting answers in another control region is undocumented: either answer refuses the meeting.
  it.each([
    ['NotFound', new NotFoundException({ message: `Meeting ${MEETING_ID} not found`, ...meta })],
    ['Forbidden', new ForbiddenMeeting({ message: 'Forbidden', ...meta })],
  ])('is refused at VerifyBuckets (GetMeeting answers %s), before anything is created, saying why', async (_answer, err) => {
    meetings.on(GetMeetingCommand).rejects(err);
    const refused = await failure(verifyBuckets({ plan: adopt }, ctx));
    expect(refused.name).toBe('MeetingNotFound');
    expect(refused.message).toMatch(new RegExp(`meetingId: meeting ${MEETING_ID} is not a running meeting of us-east-1, this stack's control region`));
    expect(refused.message).toMatch(/only in the control region that created it: create the meeting through the Chime SDK meetings API in us-east-1, or record it with this stack deployed in the meeting's control region/);
    expect([...s3.calls(), ...db.calls(), ...pipelines.calls()]).toHaveLength(0);
    // CreateMeeting, were it reached, refuses it the same way.
    expect((await failure(createMeeting({ plan: adopt, role: roleRef }, ctx))).message).toBe(refused.message);
  });

  it('stays a missing permission when IAM refuses GetMeeting', async () => {
    meetings.on(GetMeetingCommand).rejects(new ForbiddenMeeting({ message: 'User: arn:aws:sts::123456789012:assumed-role/r/f is not authorized to perform: chime:GetMeeting', ...meta }));
    expect((await failure(verifyBuckets({ plan: adopt }, ctx))).name).toBe('AccessDenied');
  });
});

describe('ARNs in the stack\'s partition', () => {
  it('builds the meeting source and both sinks with the partition the function runs in', async () => {
    process.env.PARTITION = 'aws-us-gov';
    meetings.on(CreateMeetingCommand).resolves({ Meeting: { MeetingId: MEETING_ID, MeetingArn: `arn:aws-us-gov:chime:us-gov-west-1:123456789012:meeting/${MEETING_ID}`, MediaRegion: 'us-gov-west-1' } });
    db.on(PutItemCommand).resolves({});
    db.on(UpdateItemCommand).resolves({ Attributes: record() });
    const chimeMeeting = (await createMeeting({ plan: plan(), role: roleRef }, ctx)) as typeof meetingRef;
    expect(chimeMeeting.sourceArn).toBe(`arn:aws-us-gov:chime::123456789012:meeting:${MEETING_ID}`);
    pipelines.on(CreateMediaCapturePipelineCommand).resolves({ MediaCapturePipeline: { MediaPipelineId: 'cap-1', MediaPipelineArn: CAPTURE_ARN } });
    await startCapture({ plan: plan(), chimeMeeting, role: { roleArn: 'r', createdAt: '2026-01-01T00:00:00.000Z', fresh: false } }, ctx);
    expect(pipelines.commandCalls(CreateMediaCapturePipelineCommand)[0]!.args[0].input.SinkArn).toBe('arn:aws-us-gov:s3:::capture-bucket/captures/rec-1');
    pipelines.on(CreateMediaConcatenationPipelineCommand).resolves({ MediaConcatenationPipeline: { MediaPipelineId: 'cat-1', MediaPipelineArn: CAPTURE_ARN } });
    await startConcatenation({ plan: plan(), chimeMeeting, capturePipeline: { mediaPipelineId: 'cap-1', mediaPipelineArn: CAPTURE_ARN }, meetingEnd: { reason: 'MeetingEnded' }, role: roleRef }, ctx);
    expect(pipelines.commandCalls(CreateMediaConcatenationPipelineCommand)[0]!.args[0].input.Sinks![0]!.S3BucketSinkConfiguration!.Destination).toBe('arn:aws-us-gov:s3:::final-bucket/recordings/rec-1');
  });
});

describe('EnsureServiceLinkedRole', () => {
  const CREATED = new Date('2026-11-23T10:00:00Z');
  const role = { ...serviceLinkedRole, CreateDate: CREATED };
  const denied = () => new IAMServiceException({ name: 'AccessDenied', $fault: 'client', message: `User: arn:aws:sts::123456789012:assumed-role/r/f is not authorized to perform: iam:GetRole on resource: role ${ROLE_NAME}`, $metadata: { httpStatusCode: 403 } });
  const taken = () => new IAMServiceException({ name: 'InvalidInputException', $fault: 'client', message: `Service role name ${ROLE_NAME} has been taken in this account, please try a different suffix.`, $metadata: { httpStatusCode: 400 } });

  it('returns an existing role with its creation time', async () => {
    iam.on(GetRoleCommand).resolves({ Role: role });
    expect(await ensureServiceLinkedRole({ executionName: 'rec-1', mode: 'create' }, ctx)).toEqual({ roleArn: role.Arn, createdAt: '2026-11-23T10:00:00.000Z', fresh: false });
    expect(iam.commandCalls(CreateServiceLinkedRoleCommand)).toHaveLength(0);
  });

  it.each([
    ['NoSuchEntity', () => new NoSuchEntityException({ message: `The role with name ${ROLE_NAME} cannot be found.`, ...meta })],
    ['AccessDenied', denied],
  ])('creates the role when GetRole answers %s', async (_answer, probe) => {
    iam.on(GetRoleCommand).rejects(probe());
    iam.on(CreateServiceLinkedRoleCommand).resolves({ Role: role });
    expect(await ensureServiceLinkedRole({ executionName: 'rec-1', mode: 'create' }, ctx)).toEqual({ roleArn: role.Arn, createdAt: '2026-11-23T10:00:00.000Z', fresh: true });
    expect(iam.commandCalls(CreateServiceLinkedRoleCommand)[0]!.args[0].input).toMatchObject({ AWSServiceName: 'mediapipelines.chime.amazonaws.com' });
  });

  it('takes "has been taken" to mean the role exists, and reads it again', async () => {
    iam.on(GetRoleCommand).rejectsOnce(denied()).resolves({ Role: role });
    iam.on(CreateServiceLinkedRoleCommand).rejects(taken());
    expect(await ensureServiceLinkedRole({ executionName: 'rec-1', mode: 'create' }, ctx)).toEqual({ roleArn: role.Arn, createdAt: '2026-11-23T10:00:00.000Z', fresh: true });
    // Not visible yet (IAM is eventually consistent): the state machine's retry will see it.
    iam.reset();
    iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: 'not found', ...meta }));
    iam.on(CreateServiceLinkedRoleCommand).rejects(taken());
    expect((await failure(ensureServiceLinkedRole({ executionName: 'rec-1', mode: 'create' }, ctx))).name).toBe('RoleNotReady');
  });

  it("reads no wording: any InvalidInput refusal counts as created concurrently when the role then exists", async () => {
    iam.on(GetRoleCommand).rejectsOnce(new NoSuchEntityException({ message: 'not found', ...meta })).resolves({ Role: role });
    iam.on(CreateServiceLinkedRoleCommand).rejects(new IAMServiceException({ name: 'InvalidInputException', $fault: 'client', message: 'any wording at all', $metadata: { httpStatusCode: 400 } }));
    expect(await ensureServiceLinkedRole({ executionName: 'rec-1', mode: 'create' }, ctx)).toMatchObject({ roleArn: role.Arn, fresh: true });
  });
});

describe('AwaitMeetingEnd', () => {
  const entered = '2026-11-23T10:00:00.000Z';
  const input = { taskToken: 'tok', checkEnteredAt: entered, plan: plan(), chimeMeeting: meetingRef, capturePipeline: { mediaPipelineId: 'cap-1', mediaPipelineArn: CAPTURE_ARN } };

  it('stores the token and completes it at once when the meeting is already gone', async () => {
    db.on(UpdateItemCommand).resolves({ Attributes: record({ taskToken: 'tok' }) });
    meetings.on(GetMeetingCommand).rejects(new NotFoundException({ message: 'gone', ...meta }));
    sfn.on(SendTaskSuccessCommand).resolves({});
    expect(await awaitMeetingEnd(input, ctx)).toEqual({ outcome: 'meeting-gone' });
    const store = db.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    // Counted once per entry of the state: the entry's time is part of the write and of its condition.
    expect(store.UpdateExpression).toContain('ADD #checks :one');
    expect(store.ExpressionAttributeNames).toMatchObject({ '#entry': 'checksEnteredAt' });
    expect(store.ExpressionAttributeValues).toMatchObject({ ':entry': { S: entered } });
    expect(store.ConditionExpression).toContain('#entry <> :entry');
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input).toMatchObject({ taskToken: 'tok', output: expect.stringContaining('"reason":"MeetingEnded"') });
  });

  it('completes when the end was recorded before the token, waits while the meeting runs, fails on a failed capture', async () => {
    db.on(UpdateItemCommand).resolvesOnce({ Attributes: record({ meetingEndedAt: '2026-01-01T00:00:00.000Z', endReason: 'MeetingEnded' }) });
    sfn.on(SendTaskSuccessCommand).resolves({});
    expect(await awaitMeetingEnd(input, ctx)).toEqual({ outcome: 'ended-before-wait' });

    db.on(UpdateItemCommand).resolves({ Attributes: record({ checks: 1, presence: {} }) });
    meetings.on(GetMeetingCommand).resolves({ Meeting: { MeetingId: MEETING_ID } });
    pipelines.on(GetMediaPipelineCommand).resolves({ MediaPipeline: { MediaCapturePipeline: { Status: 'InProgress' } } });
    expect(await awaitMeetingEnd(input, ctx)).toEqual({ outcome: 'waiting' });

    pipelines.on(GetMediaPipelineCommand).resolves({ MediaPipeline: { MediaCapturePipeline: { Status: 'Failed' } } });
    sfn.on(SendTaskFailureCommand).resolves({});
    expect(await awaitMeetingEnd(input, ctx)).toEqual({ outcome: 'capture-failed' });
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toMatchObject({ error: 'PipelineFailed' });
  });

  it('on a re-check resumes the execution for a meeting nobody is in (StartConcatenation ends it), and gives up past the 24-hour bound', async () => {
    db.on(UpdateItemCommand).resolves({ Attributes: record({ checks: 2, taskToken: 'tok', presence: { a1: { present: false, at: 1 } } }) });
    meetings.on(GetMeetingCommand).resolves({ Meeting: { MeetingId: MEETING_ID } });
    pipelines.on(GetMediaPipelineCommand).resolves({ MediaPipeline: { MediaCapturePipeline: { Status: 'InProgress' } } });
    sfn.on(SendTaskSuccessCommand).resolves({});
    expect(await awaitMeetingEnd(input, ctx)).toEqual({ outcome: 'ended-empty-meeting' });
    expect(JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output ?? '{}')).toMatchObject({ reason: 'OnlyPipelineAttendeesRemain' });
    expect(meetings.commandCalls(DeleteMeetingCommand)).toHaveLength(0);

    db.on(UpdateItemCommand).resolves({ Attributes: record({ checks: 27 }) });
    expect((await failure(awaitMeetingEnd(input, ctx))).name).toBe('MeetingNeverEnded');
  });

  it('ends the recording once maxDurationMinutes have passed since the capture started, as a stop request does', async () => {
    const limited = { ...input, plan: plan({ meeting: {}, maxDurationMinutes: 60 }) };
    const startedAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
    meetings.on(GetMeetingCommand).resolves({ Meeting: { MeetingId: MEETING_ID } });
    pipelines.on(GetMediaPipelineCommand).resolves({ MediaPipeline: { MediaCapturePipeline: { Status: 'InProgress' } } });
    sfn.on(SendTaskSuccessCommand).resolves({});
    const people = { a1: { present: true, at: 1 } };
    db.on(UpdateItemCommand).resolves({ Attributes: record({ checks: 2, taskToken: 'tok', presence: people, captureStartedAt: startedAgo(30) }) });
    expect(await awaitMeetingEnd(limited, ctx)).toEqual({ outcome: 'waiting' });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);

    // The check the plan puts on the limit may come a moment early (timers, clocks): within a chunk counts.
    db.on(UpdateItemCommand).resolves({ Attributes: record({ checks: 2, taskToken: 'tok', presence: people, captureStartedAt: startedAgo(60 - 3 / 60) }) });
    expect(await awaitMeetingEnd(limited, ctx)).toEqual({ outcome: 'max-duration-reached' });
    expect(JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output ?? '{}')).toMatchObject({ reason: 'MaxDurationReached' });
    // The end is recorded for StartConcatenation, which ends the meeting (or only our capture) with retries.
    expect(db.commandCalls(UpdateItemCommand).at(-1)!.args[0].input.ExpressionAttributeValues).toMatchObject({ ':reason': { S: 'MaxDurationReached' } });
    expect(meetings.commandCalls(DeleteMeetingCommand)).toHaveLength(0);

    // Without the option the same meeting is waited for.
    sfn.resetHistory();
    expect(await awaitMeetingEnd(input, ctx)).toEqual({ outcome: 'waiting' });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    // Nor does the plan of an execution started before the option existed (no meetingEndCheckSeconds) fail to parse.
    const { meetingEndCheckSeconds: _added, maxDurationMinutes: _limit, ...earlier } = plan();
    expect(await awaitMeetingEnd({ ...input, plan: earlier }, ctx)).toEqual({ outcome: 'waiting' });
  });
});

describe('MeetingEvents', () => {
  const ended = { 'detail-type': 'Chime Meeting State Change', detail: { eventType: 'chime:MeetingEnded', meetingId: MEETING_ID, timestamp: 1_700_000_000_000 } };

  it('resumes the execution on MeetingEnded; a duplicate (spent token) is harmless', async () => {
    db.on(UpdateItemCommand).resolves({ Attributes: record({ taskToken: 'tok', meetingEndedAt: '2023-11-14T22:13:20.000Z', endReason: 'MeetingEnded' }) });
    sfn.on(SendTaskSuccessCommand).resolvesOnce({}).rejects(new TaskTimedOut({ message: 'used', ...meta }));
    expect(await meetingEvents(ended, ctx)).toEqual({ action: 'meeting-ended' });
    expect(await meetingEvents(ended, ctx)).toEqual({ action: 'meeting-ended' });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(2);
  });

  it('ignores meetings it does not record', async () => {
    db.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'no', ...meta }));
    expect(await meetingEvents(ended, ctx)).toEqual({ action: 'ignored: not recording' });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('resumes the execution when the last person leaves, not when one drops, never for pipeline attendees, and calls no Chime API', async () => {
    const leave = (eventType: string, externalUserId = 'alice') => ({ 'detail-type': 'Chime Meeting State Change', detail: { eventType, meetingId: MEETING_ID, attendeeId: 'a1', externalUserId, timestamp: 2 } });
    db.on(UpdateItemCommand).resolves({ Attributes: record({ presence: { a1: { present: false, at: 2 } }, taskToken: 'tok' }) });
    sfn.on(SendTaskSuccessCommand).resolves({});
    expect(await meetingEvents(leave('chime:AttendeeDropped'), ctx)).toEqual({ action: 'attendee-absent' });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(await meetingEvents(leave('chime:AttendeeLeft'), ctx)).toEqual({ action: 'ended: only pipeline attendees remain' });
    expect(JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output ?? '{}')).toMatchObject({ reason: 'OnlyPipelineAttendeesRemain' });
    expect(await meetingEvents(leave('chime:AttendeeLeft', 'aws:MediaPipeline-x'), ctx)).toEqual({ action: 'ignored: pipeline attendee' });
    expect([...meetings.calls(), ...pipelines.calls()]).toHaveLength(0);
  });

  it('fails the wait when the capture pipeline fails permanently', async () => {
    db.on(GetItemCommand).resolves({ Item: record({ taskToken: 'tok' }) });
    sfn.on(SendTaskFailureCommand).resolves({});
    const out = await meetingEvents({ 'detail-type': 'Chime Media Pipeline State Change', detail: { eventType: 'chime:MediaPipelinePermanentFailure', meetingId: MEETING_ID, mediaPipelineId: 'cap-1' } }, ctx);
    expect(out).toEqual({ action: 'failed-wait' });
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toMatchObject({ taskToken: 'tok', error: 'PipelineFailed' });
  });

  it('moves on to concatenation when our capture pipeline is deleted while the meeting goes on', async () => {
    const deleted = { 'detail-type': 'Chime Media Pipeline State Change', detail: { eventType: 'chime:MediaPipelineDeleted', meetingId: MEETING_ID, mediaPipelineId: 'cap-1', timestamp: 1_000 } };
    db.on(GetItemCommand).resolves({ Item: record({ taskToken: 'tok' }) });
    db.on(UpdateItemCommand).resolves({ Attributes: record({ taskToken: 'tok', meetingEndedAt: 'then', endReason: 'CapturePipelineDeleted' }) });
    sfn.on(SendTaskSuccessCommand).resolves({});
    expect(await meetingEvents(deleted, ctx)).toEqual({ action: 'capture-deleted' });
    expect(JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output ?? '{}')).toMatchObject({ reason: 'CapturePipelineDeleted' });

    // Another pipeline (a concatenation finishing), or a recording already ending: nothing to do.
    sfn.reset();
    expect(await meetingEvents({ ...deleted, detail: { ...deleted.detail, mediaPipelineId: 'cat-1' } }, ctx)).toEqual({ action: 'ignored: not our capture or concatenation' });
    db.on(GetItemCommand).resolves({ Item: record({ taskToken: 'tok', meetingEndedAt: 'then' }) });
    expect(await meetingEvents(deleted, ctx)).toEqual({ action: 'ignored: not a running capture' });
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('StartConcatenation, AwaitConcatenation, Cleanup', () => {
  const capturePipeline = { mediaPipelineId: 'cap-1', mediaPipelineArn: CAPTURE_ARN };
  const concatenationPipeline = { mediaPipelineId: 'cat-1', mediaPipelineArn: 'arn:aws:chime:us-east-1:123456789012:media-pipeline/cat-1' };

  it('concatenates all seven artifact kinds into the concatenation sink', async () => {
    pipelines.on(CreateMediaConcatenationPipelineCommand).resolves({ MediaConcatenationPipeline: { MediaPipelineId: 'cat-1', MediaPipelineArn: concatenationPipeline.mediaPipelineArn } });
    db.on(UpdateItemCommand).resolves({ Attributes: record() });
    expect(await startConcatenation({ plan: plan(), chimeMeeting: meetingRef, capturePipeline, meetingEnd: { reason: 'MeetingEnded' }, role: roleRef }, ctx)).toEqual(concatenationPipeline);
    // Chime ended the meeting: nothing of ours runs, nothing to end first.
    expect([...meetings.calls(), ...pipelines.commandCalls(DeleteMediaPipelineCommand)]).toHaveLength(0);
    const req = pipelines.commandCalls(CreateMediaConcatenationPipelineCommand)[0]!.args[0].input;
    expect(req.ClientRequestToken).toBe(clientRequestToken(EXECUTION_ID, 'StartConcatenation'));
    expect(req.Sinks).toEqual([{ Type: 'S3Bucket', S3BucketSinkConfiguration: { Destination: 'arn:aws:s3:::final-bucket/recordings/rec-1' } }]);
    expect(Object.keys(req.Sources![0]!.MediaCapturePipelineSourceConfiguration!.ChimeSdkMeetingConfiguration!.ArtifactsConfiguration!).sort()).toEqual(
      ['Audio', 'CompositedVideo', 'Content', 'DataChannel', 'MeetingEvents', 'TranscriptionMessages', 'Video'],
    );
  });

  const concatenating = (over: Record<string, unknown> = {}) =>
    record({ status: 'CONCATENATING', concatenationPipelineId: 'cat-1', concatenationTaskToken: 'ctok', concatenationBucket: 'final-bucket', concatenationPrefix: 'recordings/rec-1', concatenationChecks: 1, ...over });
  const successOutput = () => JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output ?? '{}');

  it('stores its token and where the files go, then completes at once when the concatenation already stopped', async () => {
    db.on(UpdateItemCommand).resolves({ Attributes: concatenating() });
    pipelines.on(GetMediaPipelineCommand).resolves({ MediaPipeline: { MediaConcatenationPipeline: { Status: 'Stopped' } } });
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'recordings/rec-1/composited-video/cat-1.mp4' }, { Key: 'recordings/rec-1/audio/cat-1.mp4' }] });
    sfn.on(SendTaskSuccessCommand).resolves({});
    expect(await awaitConcatenation({ taskToken: 'ctok', checkEnteredAt: '2026-11-23T10:00:00.000Z', plan: plan(), chimeMeeting: meetingRef, concatenationPipeline }, ctx)).toEqual({ outcome: 'succeeded', checks: 1 });
    const update = db.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(update.UpdateExpression).toContain('ADD #concatenationChecks :one');
    expect(update.ExpressionAttributeValues).toMatchObject({ ':concatenationTaskToken': { S: 'ctok' }, ':concatenationBucket': { S: 'final-bucket' }, ':concatenationPrefix': { S: 'recordings/rec-1' } });
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toMatchObject({ Bucket: 'final-bucket', Prefix: 'recordings/rec-1/' });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.taskToken).toBe('ctok');
    expect(successOutput()).toEqual({
      checks: 1,
      artifacts: ['s3://final-bucket/recordings/rec-1/audio/cat-1.mp4', 's3://final-bucket/recordings/rec-1/composited-video/cat-1.mp4'],
    });
  });

  it.each([
    ['OnlyPipelineAttendeesRemain', true, 'DeleteMeeting'],
    ['StoppedByRequest', false, 'DeleteMediaPipeline'],
    ['MaxDurationReached', true, 'DeleteMeeting'],
    ['CaptureStopped', true, 'nothing'],
  ])('after %s (created meeting: %s) first ends what still runs: %s; a throttled end is retried by the state machine', async (reason, created, ends) => {
    pipelines.on(CreateMediaConcatenationPipelineCommand).resolves({ MediaConcatenationPipeline: { MediaPipelineId: 'cat-1', MediaPipelineArn: concatenationPipeline.mediaPipelineArn } });
    meetings.on(DeleteMeetingCommand).rejectsOnce(new ThrottlingException({ message: 'slow down', ...meta })).resolves({});
    pipelines.on(DeleteMediaPipelineCommand).rejectsOnce(new ThrottledClientException({ message: 'slow down', ...meta })).resolves({});
    db.on(UpdateItemCommand).resolves({ Attributes: record() });
    const input = { plan: plan(), chimeMeeting: { ...meetingRef, created }, capturePipeline, meetingEnd: { reason }, role: roleRef };
    if (ends !== 'nothing') expect((await failure(startConcatenation(input, ctx))).name).toBe('ServiceBusy');
    expect(await startConcatenation(input, ctx)).toEqual(concatenationPipeline);
    const ended = [...meetings.commandCalls(DeleteMeetingCommand).map((c) => `DeleteMeeting ${c.args[0].input.MeetingId}`), ...pipelines.commandCalls(DeleteMediaPipelineCommand).map((c) => `DeleteMediaPipeline ${c.args[0].input.MediaPipelineId}`)];
    const expected = ends === 'DeleteMeeting' ? `DeleteMeeting ${MEETING_ID}` : 'DeleteMediaPipeline cap-1';
    expect(ended).toEqual(ends === 'nothing' ? [] : [expected, expected]);
  });

  describe('AwaitConcatenation check', () => {
    const input = { taskToken: 'ctok', checkEnteredAt: '2026-11-23T10:00:00.000Z', plan: plan(), chimeMeeting: meetingRef, concatenationPipeline };
    const status = (Status: string) => pipelines.on(GetMediaPipelineCommand).resolves({ MediaPipeline: { MediaConcatenationPipeline: { Status: Status as 'InProgress' } } });
    beforeEach(() => {
      db.on(UpdateItemCommand).resolves({ Attributes: concatenating() });
      sfn.on(SendTaskFailureCommand).resolves({});
    });

    it('waits while the concatenation runs', async () => {
      status('InProgress');
      expect(await awaitConcatenation(input, ctx)).toEqual({ outcome: 'waiting', checks: 1 });
      expect(sfn.calls()).toHaveLength(0);
    });

    it('fails the wait when the concatenation failed', async () => {
      status('Failed');
      expect(await awaitConcatenation(input, ctx)).toEqual({ outcome: 'failed', checks: 1 });
      expect(sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toMatchObject({ taskToken: 'ctok', error: 'PipelineFailed' });
    });

    it('fails the wait when the concatenation stopped without writing files', async () => {
      status('Stopped');
      s3.on(ListObjectsV2Command).resolves({ Contents: [] });
      expect(await awaitConcatenation(input, ctx)).toEqual({ outcome: 'no-files', checks: 1 });
      expect(sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input.cause).toContain('stopped without writing files under s3://final-bucket/recordings/rec-1/');
    });

    it('gives up on the first entry past concatenation.timeoutMinutes', async () => {
      // timeoutMinutes 20 is two 10-minute checks: the third entry (after two safety-net timeouts) gives up.
      status('InProgress');
      s3.on(ListObjectsV2Command).resolves({ Contents: [] });
      s3.on(ListObjectsV2Command, { Bucket: 'capture-bucket' }).resolves({ KeyCount: 1, Contents: [{ Key: 'captures/rec-1/audio/chunk.mp4' }] });
      const bounded = { ...input, plan: plan({ meeting: {}, concatenation: { timeoutMinutes: 20 } }) };
      db.on(UpdateItemCommand).resolves({ Attributes: concatenating({ concatenationChecks: 2 }) });
      expect(await awaitConcatenation(bounded, ctx)).toEqual({ outcome: 'waiting', checks: 2 });
      db.on(UpdateItemCommand).resolves({ Attributes: concatenating({ concatenationChecks: 3 }) });
      expect((await failure(awaitConcatenation(bounded, ctx))).name).toBe('ConcatenationTimedOut');
    });

    it('on a re-check, fails with NothingCaptured when the capture wrote nothing (the concatenation has nothing to join)', async () => {
      status('InProgress');
      s3.on(ListObjectsV2Command).resolves({ KeyCount: 0, Contents: [] });
      // Its first check waits: the capture's last chunks may still be on their way.
      expect(await awaitConcatenation(input, ctx)).toEqual({ outcome: 'waiting', checks: 1 });
      db.on(UpdateItemCommand).resolves({ Attributes: concatenating({ concatenationChecks: 2 }) });
      const err = await failure(awaitConcatenation(input, ctx));
      expect(err.name).toBe('NothingCaptured');
      expect(err.message).toContain('s3://capture-bucket/captures/rec-1/');
      expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toContainEqual({ Bucket: 'capture-bucket', Prefix: 'captures/rec-1/', MaxKeys: 1 });
    });

    it('on a re-check, takes the files of a concatenation that still says InProgress, for Cleanup to stop it', async () => {
      status('InProgress');
      s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'recordings/rec-1/audio/cat-1.mp4' }] });
      sfn.on(SendTaskSuccessCommand).resolves({});
      // Its first check does not list: files appear one at a time while it runs.
      expect(await awaitConcatenation(input, ctx)).toEqual({ outcome: 'waiting', checks: 1 });
      expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
      db.on(UpdateItemCommand).resolves({ Attributes: concatenating({ concatenationChecks: 2 }) });
      expect(await awaitConcatenation(input, ctx)).toEqual({ outcome: 'succeeded', checks: 2 });
      expect(successOutput()).toEqual({ checks: 2, artifacts: ['s3://final-bucket/recordings/rec-1/audio/cat-1.mp4'], stillRunning: true });
    });

    it('takes a pipeline GetMediaPipeline no longer finds as stopped', async () => {
      pipelines.on(GetMediaPipelineCommand).rejects(new PipelineNotFound({ message: 'gone', ...meta }));
      s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'recordings/rec-1/audio/cat-1.mp4' }] });
      sfn.on(SendTaskSuccessCommand).resolves({});
      expect(await awaitConcatenation(input, ctx)).toEqual({ outcome: 'succeeded', checks: 1 });
      expect(successOutput()).toEqual({ checks: 1, artifacts: ['s3://final-bucket/recordings/rec-1/audio/cat-1.mp4'] });
    });
  });

  it('the concatenation pipeline\'s end event resumes the wait with the files; its failure fails it', async () => {
    const event = (eventType: string, mediaPipelineId = 'cat-1') => ({ 'detail-type': 'Chime Media Pipeline State Change', detail: { eventType, meetingId: MEETING_ID, mediaPipelineId, timestamp: 2_000 } });
    db.on(GetItemCommand).resolves({ Item: concatenating() });
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'recordings/rec-1/audio/cat-1.mp4' }] });
    sfn.on(SendTaskSuccessCommand).resolves({});
    sfn.on(SendTaskFailureCommand).resolves({});
    expect(await meetingEvents(event('chime:MediaPipelineDeleted'), ctx)).toEqual({ action: 'concatenation succeeded' });
    expect(successOutput()).toEqual({ checks: 1, artifacts: ['s3://final-bucket/recordings/rec-1/audio/cat-1.mp4'] });

    expect(await meetingEvents(event('chime:MediaPipelinePermanentFailure'), ctx)).toEqual({ action: 'concatenation failed' });
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toMatchObject({ taskToken: 'ctok', error: 'PipelineFailed' });

    // Before the token is stored (the step's own check sees the stop), or for another pipeline: nothing.
    sfn.resetHistory();
    db.on(GetItemCommand).resolves({ Item: concatenating({ concatenationTaskToken: undefined }) });
    expect((await meetingEvents(event('chime:MediaPipelineDeleted'), ctx)).action).toMatch(/^ignored/);
    db.on(GetItemCommand).resolves({ Item: concatenating() });
    expect((await meetingEvents(event('chime:MediaPipelineDeleted', 'other-1'), ctx)).action).toMatch(/^ignored/);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('finds the recording by pipeline id when the end event does not carry the meeting, then reads it consistently', async () => {
    const event = { 'detail-type': 'Chime Media Pipeline State Change', detail: { eventType: 'chime:MediaPipelineDeleted', mediaPipelineId: 'cat-1', timestamp: 2_000 } };
    // The keys-only index may lag: the item read through it is what counts.
    db.on(QueryCommand).resolves({ Items: [marshall({ meetingId: MEETING_ID, concatenationPipelineId: 'cat-1' })] });
    db.on(GetItemCommand).resolves({ Item: concatenating() });
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'recordings/rec-1/audio/cat-1.mp4' }] });
    sfn.on(SendTaskSuccessCommand).resolves({});
    expect(await meetingEvents(event, ctx)).toEqual({ action: 'concatenation succeeded' });
    expect(db.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({ IndexName: 'byConcatenationPipeline', ExpressionAttributeValues: { ':v': { S: 'cat-1' } } });
    expect(db.commandCalls(GetItemCommand)[0]!.args[0].input).toMatchObject({ Key: { meetingId: { S: MEETING_ID } }, ConsistentRead: true });
    // A stale index entry (the item now belongs to another concatenation), or none: nothing to do.
    sfn.resetHistory();
    db.on(GetItemCommand).resolves({ Item: concatenating({ concatenationPipelineId: 'cat-2' }) });
    expect((await meetingEvents(event, ctx)).action).toMatch(/^ignored/);
    db.on(QueryCommand).resolves({ Items: [] });
    expect((await meetingEvents(event, ctx)).action).toMatch(/^ignored/);
    expect(sfn.calls()).toHaveLength(0);
  });

  it("S3's Object Created for a concatenated file settles the wait by the pipeline's state, never by the file alone", async () => {
    const created = (key: string, bucket = 'final-bucket') => ({ source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: bucket }, object: { key } } });
    const file = 'recordings/rec-1/audio/0c3f4f6e-8d0a-4b7e-9c55-6a1d2b3c4d5e.mp4';
    db.on(QueryCommand).resolves({ Items: [marshall({ meetingId: MEETING_ID })] });
    db.on(GetItemCommand).resolves({ Item: concatenating({ concatenationPipelineId: '0c3f4f6e-8d0a-4b7e-9c55-6a1d2b3c4d5e' }) });
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: file }] });
    sfn.on(SendTaskSuccessCommand).resolves({});
    // Still InProgress: more files may follow.
    pipelines.on(GetMediaPipelineCommand).resolves({ MediaPipeline: { MediaConcatenationPipeline: { Status: 'InProgress' } } });
    expect(await meetingEvents(created(file), ctx)).toEqual({ action: 'concatenation waiting' });
    expect(sfn.calls()).toHaveLength(0);
    pipelines.on(GetMediaPipelineCommand).resolves({ MediaPipeline: { MediaConcatenationPipeline: { Status: 'Stopped' } } });
    expect(await meetingEvents(created(file), ctx)).toEqual({ action: 'concatenation succeeded' });
    expect(db.commandCalls(QueryCommand)[0]!.args[0].input.ExpressionAttributeValues).toEqual({ ':v': { S: '0c3f4f6e-8d0a-4b7e-9c55-6a1d2b3c4d5e' } });
    // Not a concatenation's file name, another bucket, or outside the destination: ignored without a call.
    sfn.resetHistory();
    pipelines.resetHistory();
    expect((await meetingEvents(created('recordings/rec-1/audio/notes.mp4'), ctx)).action).toMatch(/^ignored/);
    expect((await meetingEvents(created(file, 'other-bucket'), ctx)).action).toMatch(/^ignored/);
    expect((await meetingEvents(created(`elsewhere/${file.split('/').pop()}`), ctx)).action).toMatch(/^ignored/);
    expect([...sfn.calls(), ...pipelines.calls()]).toHaveLength(0);
  });

  it('deletes what exists, treats NotFound as done, and records a failure', async () => {
    pipelines.on(DeleteMediaPipelineCommand).rejects(new PipelineNotFound({ message: 'gone', ...meta }));
    meetings.on(DeleteMeetingCommand).resolves({});
    db.on(UpdateItemCommand).resolves({ Attributes: record() });
    const out = await cleanup({ plan: plan(), chimeMeeting: meetingRef, capturePipeline, error: { Error: 'ServiceBusy', Cause: 'x' } }, ctx);
    expect(out).toMatchObject({ status: 'FAILED', deleted: [`meeting:${MEETING_ID}`], artifacts: [], error: { error: 'ServiceBusy', cause: 'x' } });
    const update = db.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(update.ConditionExpression).toBe('#executionId = :me');
  });

  it('on success, does not delete what the meeting end already stopped', async () => {
    db.on(UpdateItemCommand).resolves({ Attributes: record() });
    const out = await cleanup({ plan: plan(), chimeMeeting: meetingRef, capturePipeline, meetingEnd: { reason: 'MeetingEnded' }, concatenationStatus: { artifacts: ['s3://b/k'] } }, ctx);
    expect(out).toMatchObject({ status: 'SUCCEEDED', deleted: [], artifacts: ['s3://b/k'] });
    expect(pipelines.calls()).toHaveLength(0);
    expect(meetings.calls()).toHaveLength(0);
  });

  it('attempts every deletion even when one fails, then fails for a retry', async () => {
    pipelines.on(DeleteMediaPipelineCommand).resolves({});
    meetings.on(DeleteMeetingCommand).rejects(Object.assign(new Error('slow'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } }));
    expect((await failure(cleanup({ plan: plan(), chimeMeeting: meetingRef, capturePipeline, error: { Error: 'X' } }, ctx))).name).toBe('ServiceBusy');
    expect(pipelines.commandCalls(DeleteMediaPipelineCommand)).toHaveLength(1);
  });

  it('deletes the raw chunks across pages once the files exist, counting only what S3 deleted', async () => {
    db.on(UpdateItemCommand).resolves({ Attributes: record() });
    const page = (n: number, next?: string) => ({ Contents: Array.from({ length: n }, (_, i) => ({ Key: `captures/rec-1/audio/${next ?? 'last'}-${i}.mp4` })), NextContinuationToken: next, IsTruncated: next !== undefined });
    s3.on(ListObjectsV2Command).resolvesOnce(page(3, 'p2')).resolves(page(2));
    // A quiet DeleteObjects answers only the keys it refused.
    s3.on(DeleteObjectsCommand).resolvesOnce({ Errors: [{ Key: 'captures/rec-1/audio/p2-0.mp4', Code: 'AccessDenied', Message: 'Access Denied' }] }).resolves({});
    const input = { plan: plan({ meeting: {}, keepRawChunks: false }), chimeMeeting: meetingRef, capturePipeline, meetingEnd: { reason: 'MeetingEnded' }, concatenationStatus: { artifacts: ['s3://b/k'] } };
    expect(await cleanup(input, ctx)).toMatchObject({ status: 'SUCCEEDED', rawChunksDeleted: 4, rawChunksNotDeleted: { AccessDenied: 1 } });
    expect(s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete?.Objects?.length)).toEqual([3, 2]);
    // A refusal that may pass is retried by the state machine instead of being reported.
    s3.reset();
    s3.on(ListObjectsV2Command).resolves(page(2));
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'captures/rec-1/audio/last-1.mp4', Code: 'SlowDown', Message: 'Reduce your request rate' }] });
    expect((await failure(cleanup(input, ctx))).name).toBe('ServiceBusy');
  });

  it('asks a concatenation the recording gave up on, or one still InProgress with its files, to stop; a refusal is reported', async () => {
    db.on(UpdateItemCommand).resolves({ Attributes: record() });
    const base = { plan: plan(), chimeMeeting: meetingRef, capturePipeline, concatenationPipeline, meetingEnd: { reason: 'MeetingEnded' } };
    pipelines.on(DeleteMediaPipelineCommand).resolves({});
    // Stopped by itself: nothing to delete.
    expect(await cleanup({ ...base, concatenationStatus: { artifacts: ['s3://b/k'] } }, ctx)).toMatchObject({ status: 'SUCCEEDED', deleted: [] });
    expect(await cleanup({ ...base, concatenationStatus: { artifacts: ['s3://b/k'], stillRunning: true } }, ctx)).toMatchObject({ status: 'SUCCEEDED', deleted: ['concatenation-pipeline:cat-1'] });
    pipelines.on(DeleteMediaPipelineCommand).rejects(Object.assign(new Error('it stops by itself'), { name: 'ConflictException', $metadata: { httpStatusCode: 409 } }));
    const out = await cleanup({ ...base, error: { Error: 'ConcatenationTimedOut', Cause: 'stuck' } }, ctx);
    expect(out).toMatchObject({ status: 'FAILED', deleted: [], notDeleted: { 'concatenation-pipeline:cat-1': 'ConflictException: it stops by itself' } });
    // Any other refusal is retried by the state machine.
    pipelines.on(DeleteMediaPipelineCommand).rejects(Object.assign(new Error('slow'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } }));
    expect((await failure(cleanup({ ...base, error: { Error: 'X' } }, ctx))).name).toBe('ServiceBusy');
  });

  it('runs with nothing created (compensation before the meeting exists)', async () => {
    const out = await cleanup({ plan: plan(), error: { Error: 'BucketNotReady' } }, ctx);
    expect(out).toMatchObject({ status: 'FAILED', deleted: [] });
    expect(db.calls()).toHaveLength(0);
  });
});
