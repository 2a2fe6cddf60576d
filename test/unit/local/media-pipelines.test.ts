import {
  CreateMediaCapturePipelineCommand,
  CreateMediaConcatenationPipelineCommand,
  CreateMediaLiveConnectorPipelineCommand,
  DeleteMediaCapturePipelineCommand,
  DeleteMediaPipelineCommand,
  GetMediaCapturePipelineCommand,
  GetMediaPipelineCommand,
  ListMediaCapturePipelinesCommand,
  ListMediaPipelinesCommand,
  ListTagsForResourceCommand,
  type ArtifactsConcatenationConfiguration,
  type CreateMediaCapturePipelineCommandInput,
  type CreateMediaConcatenationPipelineCommandInput,
  type CreateMediaLiveConnectorPipelineCommandInput,
} from '@aws-sdk/client-chime-sdk-media-pipelines';
import { CreateAttendeeCommand, DeleteMeetingCommand, ListAttendeesCommand } from '@aws-sdk/client-chime-sdk-meetings';
import type { BucketInfo } from '../../../local/core/context';
import { SERVICE_LINKED_ROLE } from '../../../local/services/media-pipelines';
import { failure } from '../../fixtures/async';
import {
  ACCOUNT,
  CAPTURE_GRANTS,
  captureInput,
  chunkStart,
  concatenationInput,
  grantPolicy,
  meetingWithPerson,
  pipelineEvents,
  sourceArn,
  startCapture,
  startCloud,
  status,
  type Cloud,
} from '../../fixtures/media-pipelines-cloud';
import { inspectMp4, type Mp4Summary } from '../../fixtures/mp4';

const OTHER_ACCOUNT = '210987654321';
const CHUNK_TIME = '\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{3}';

describe('Chime SDK Media Pipelines emulator', () => {
  let cloud: Cloud;
  beforeAll(async () => {
    // Stopping lasts 100 real ms, so a test can see it after DeleteMediaPipeline returns.
    cloud = await startCloud({ stopDelayMs: 100_000 });
  });
  afterAll(() => cloud.close());

  describe('CreateMediaCapturePipeline', () => {
    it('creates an Initializing pipeline that joins the meeting as an aws:MediaPipeline attendee and goes InProgress', async () => {
      const { meetingId, externalMeetingId } = await meetingWithPerson(cloud);
      const out = await cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId)));
      expect(out.$metadata.httpStatusCode).toBe(201);
      const p = out.MediaCapturePipeline!;
      expect(p).toMatchObject({ Status: 'Initializing', SourceType: 'ChimeSdkMeeting', SourceArn: sourceArn(meetingId), SinkType: 'S3Bucket', SinkArn: `arn:aws:s3:::capture-bucket/captures/${meetingId}` });
      expect(p.MediaPipelineArn).toBe(`arn:aws:chime:us-east-1:${ACCOUNT}:media-pipeline/${p.MediaPipelineId}`);
      expect(p.CreatedTimestamp).toBeInstanceOf(Date);
      await cloud.clock.until(async () => (await status(cloud, p.MediaPipelineId!)) === 'InProgress', 'InProgress');
      const attendees = (await cloud.chime.send(new ListAttendeesCommand({ MeetingId: meetingId }))).Attendees!;
      expect(attendees.map((a) => a.ExternalUserId)).toContain(`aws:MediaPipeline-${p.MediaPipelineId}`);
      const inProgress = cloud.events.find((e) => e.detail.mediaPipelineId === p.MediaPipelineId && e.detail.eventType === 'chime:MediaPipelineInProgress')!;
      expect(inProgress).toMatchObject({ source: 'aws.chime', 'detail-type': 'Chime Media Pipeline State Change' });
      expect(inProgress.detail).toEqual({
        version: '0',
        eventType: 'chime:MediaPipelineInProgress',
        timestamp: expect.any(Number),
        meetingId,
        externalMeetingId,
        mediaPipelineId: p.MediaPipelineId,
        mediaRegion: 'us-east-1',
      });
      // The pipeline attendee is in the meeting but is not a person.
      expect(cloud.meetings.connectedAttendees(meetingId).map((a) => a.externalUserId)).not.toContain(`aws:MediaPipeline-${p.MediaPipelineId}`);
    });

    it('accepts the MeetingArn form of SourceArn', async () => {
      const { meetingId, meetingArn } = await meetingWithPerson(cloud);
      const out = await cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId, { SourceArn: meetingArn })));
      expect(out.MediaCapturePipeline?.SourceArn).toBe(meetingArn);
    });

    it('is idempotent on ClientRequestToken: same request, same pipeline (201); another request with it is refused', async () => {
      const { meetingId } = await meetingWithPerson(cloud);
      const input = captureInput(meetingId, { ClientRequestToken: `tok-${meetingId}` });
      const first = await cloud.mp.send(new CreateMediaCapturePipelineCommand(input));
      const again = await cloud.mp.send(new CreateMediaCapturePipelineCommand(input));
      expect(again.$metadata.httpStatusCode).toBe(201);
      expect(again.MediaCapturePipeline?.MediaPipelineId).toBe(first.MediaCapturePipeline?.MediaPipelineId);
      expect(cloud.pipelines.activePipelines().filter((p) => p.meetingId === meetingId)).toHaveLength(1);
      const err = await failure(cloud.mp.send(new CreateMediaCapturePipelineCommand({ ...input, SinkArn: 'arn:aws:s3:::capture-bucket/elsewhere' })));
      expect(err).toMatchObject({ name: 'BadRequestException', status: 400 });
      expect(err.message).toContain('ClientRequestToken');
    });

    it('allows one active capture per meeting (ResourceLimitExceededException)', async () => {
      const { meetingId } = await meetingWithPerson(cloud);
      await cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId)));
      const err = await failure(cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId))));
      expect(err).toMatchObject({ name: 'ResourceLimitExceededException', status: 400 });
    });

    it.each<[string, (meetingId: string) => Partial<CreateMediaCapturePipelineCommandInput>]>([
      ['SourceType', () => ({ SourceType: 'Zoom' as 'ChimeSdkMeeting' })],
      ['SinkType', () => ({ SinkType: 'Dropbox' as 'S3Bucket' })],
      ['SinkArn', () => ({ SinkArn: 'not an arn' })],
      ['SinkArn', () => ({ SinkArn: 'arn:aws:sqs:us-east-1:123456789012:queue' })],
      ['SourceArn', () => ({ SourceArn: 'arn:aws:chime::123456789012:channel:abc' })],
      ['ClientRequestToken', () => ({ ClientRequestToken: 'spaces are not allowed' })],
      ['ClientRequestToken', () => ({ ClientRequestToken: 'x' })],
      ['Tags', () => ({ Tags: [] })],
      ['SinkIamRoleArn', () => ({ SseAwsKeyManagementParams: { AwsKmsKeyId: 'alias/mine' } })],
      ['SseAwsKeyManagementParams', () => ({ SinkIamRoleArn: `arn:aws:iam::${ACCOUNT}:role/sink` })],
      ['AwsKmsKeyId', () => ({ SseAwsKeyManagementParams: { AwsKmsKeyId: 'alias/aws/s3' }, SinkIamRoleArn: `arn:aws:iam::${ACCOUNT}:role/sink` })],
      ['ChimeSdkMeetingConfiguration.ArtifactsConfiguration.Video', () => ({ ChimeSdkMeetingConfiguration: { ArtifactsConfiguration: { Audio: { MuxType: 'AudioOnly' } } as never } })],
      [
        'ChimeSdkMeetingConfiguration.ArtifactsConfiguration.Audio.MuxType',
        () => ({ ChimeSdkMeetingConfiguration: { ArtifactsConfiguration: { Audio: { MuxType: 'Stereo' as 'AudioOnly' }, Video: { State: 'Disabled' }, Content: { State: 'Disabled' } } } }),
      ],
      [
        'GridViewConfiguration.ContentShareLayout',
        () => ({
          ChimeSdkMeetingConfiguration: {
            ArtifactsConfiguration: { Audio: { MuxType: 'AudioOnly' }, Video: { State: 'Disabled' }, Content: { State: 'Disabled' }, CompositedVideo: { GridViewConfiguration: {} as never } },
          },
        }),
      ],
    ])('refuses an invalid %s with BadRequestException naming it', async (field, overrides) => {
      const { meetingId } = await meetingWithPerson(cloud);
      const err = await failure(cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId, overrides(meetingId)))));
      expect(err).toMatchObject({ name: 'BadRequestException', status: 400 });
      expect(err.message).toContain(field);
    });

    it('refuses a meeting of another account (ForbiddenException) and an unknown meeting (NotFoundException)', async () => {
      const { meetingId } = await meetingWithPerson(cloud);
      const other = await failure(cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId, { SourceArn: sourceArn(meetingId, OTHER_ACCOUNT) }))));
      expect(other).toMatchObject({ name: 'ForbiddenException', status: 403 });
      expect(other.message).toContain('Resource ownership mismatch');
      const unknown = await failure(cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput('6c0f5c4e-1111-4222-8333-444455556666'))));
      expect(unknown).toMatchObject({ name: 'NotFoundException', status: 404 });
    });
  });

  describe('sink bucket checks', () => {
    const cases: Array<[string, BucketInfo, RegExp]> = [
      ['has no policy', { name: 'no-policy', region: 'us-east-1' }, /S3 Bucket policy not valid\/present for Sink/],
      ['grants only PutObject', { name: 'put-only', region: 'us-east-1', policy: grantPolicy('put-only', ['s3:PutObject']) }, /s3:PutObjectAcl/],
      ['grants another account (confused-deputy conditions)', { name: 'other-acct', region: 'us-east-1', policy: grantPolicy('other-acct', CAPTURE_GRANTS, [], OTHER_ACCOUNT) }, /policy not valid/],
      [
        'denies the service',
        {
          name: 'denied',
          region: 'us-east-1',
          policy: grantPolicy('denied', CAPTURE_GRANTS, [{ Effect: 'Deny', Principal: { Service: 'mediapipelines.chime.amazonaws.com' }, Action: 's3:Put*', Resource: 'arn:aws:s3:::denied/*' }]),
        },
        /policy not valid/,
      ],
      ['is in another region', { name: 'west-bucket', region: 'us-west-2', policy: grantPolicy('west-bucket', CAPTURE_GRANTS) }, /media region us-east-1/],
      ['uses SSE-KMS with aws/s3', { name: 'kms-managed', region: 'us-east-1', policy: grantPolicy('kms-managed', CAPTURE_GRANTS), encryption: { algorithm: 'aws:kms' } }, /aws\/s3/],
      [
        'uses SSE-KMS with alias/aws/s3',
        { name: 'kms-alias', region: 'us-east-1', policy: grantPolicy('kms-alias', CAPTURE_GRANTS), encryption: { algorithm: 'aws:kms', kmsKeyId: 'alias/aws/s3' } },
        /aws\/s3/,
      ],
    ];

    it.each(cases)('refuses a bucket that %s (BadRequestException)', async (_what, bucket, message) => {
      cloud.s3.addBucket(bucket);
      const { meetingId } = await meetingWithPerson(cloud);
      const err = await failure(cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId, { SinkArn: `arn:aws:s3:::${bucket.name}/p` }))));
      expect(err).toMatchObject({ name: 'BadRequestException', status: 400 });
      expect(err.message).toMatch(message);
      expect(err.message).toContain(bucket.name);
    });

    it('refuses a bucket that does not exist', async () => {
      const { meetingId } = await meetingWithPerson(cloud);
      const err = await failure(cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId, { SinkArn: 'arn:aws:s3:::missing-bucket' }))));
      expect(err).toMatchObject({ name: 'BadRequestException' });
      expect(err.message).toContain('missing-bucket');
    });

    it('accepts wildcard grants and a customer managed KMS key', async () => {
      cloud.s3.addBucket({
        name: 'wildcard',
        region: 'us-east-1',
        policy: JSON.stringify({ Statement: { Effect: 'Allow', Principal: { Service: 'mediapipelines.chime.amazonaws.com' }, Action: 's3:*', Resource: 'arn:aws:s3:::wildcard/*' } }),
        encryption: { algorithm: 'aws:kms', kmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab` },
      });
      const { meetingId } = await meetingWithPerson(cloud);
      const out = await cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId, { SinkArn: 'arn:aws:s3:::wildcard' })));
      expect(out.MediaCapturePipeline?.Status).toBe('Initializing');
    });
  });

  describe('capture chunks', () => {
    it('writes 5-second chunks in the documented layout while capturing', async () => {
      const { meetingId, attendeeId } = await meetingWithPerson(cloud, { video: true, content: true });
      const p = await startCapture(cloud, meetingId, {
        ChimeSdkMeetingConfiguration: {
          ArtifactsConfiguration: {
            Audio: { MuxType: 'AudioOnly' },
            Video: { State: 'Enabled', MuxType: 'VideoOnly' },
            Content: { State: 'Enabled', MuxType: 'ContentOnly' },
            CompositedVideo: { Layout: 'GridView', Resolution: 'FHD', GridViewConfiguration: { ContentShareLayout: 'PresenterOnly' } },
          },
        },
      });
      const prefix = `captures/${meetingId}/`;
      await cloud.clock.until(() => cloud.s3.keys('capture-bucket', `${prefix}audio/`).length >= 3, 'three audio chunks');
      expect(cloud.pipelines.pipeline(p.MediaPipelineId!)?.status).toBe('InProgress');
      const keys = cloud.s3.keys('capture-bucket', prefix).map((k) => k.slice(prefix.length));
      const audio = keys.filter((k) => k.startsWith('audio/'));
      for (const k of audio) expect(k).toMatch(new RegExp(`^audio/${CHUNK_TIME}\\.mp4$`));
      expect(keys).toContainEqual(expect.stringMatching(new RegExp(`^video/${CHUNK_TIME}-${attendeeId}\\.mp4$`)));
      expect(keys).toContainEqual(expect.stringMatching(new RegExp(`^video/${CHUNK_TIME}-${attendeeId}#content\\.mp4$`)));
      expect(keys).toContainEqual(expect.stringMatching(new RegExp(`^composited-video/${CHUNK_TIME}\\.mp4$`)));
      // Consecutive chunks start five seconds apart.
      const starts = audio.map((k) => chunkStart(k.slice('audio/'.length, -'.mp4'.length)));
      for (let i = 1; i < starts.length; i += 1) expect(starts[i]! - starts[i - 1]!).toBe(5000);
      // Each chunk is an MP4 of five seconds holding its artifact's tracks (moov last: the default layout).
      const first = (folder: string, suffix = '.mp4') => mp4(cloud, `${prefix}${keys.find((k) => k.startsWith(folder) && k.endsWith(suffix))}`);
      const camera = { width: 1280, height: 720 };
      expect(tracksOf(await first('audio/'))).toEqual({ layout: ['ftyp', 'mdat', 'moov'], durationMs: 5000, tracks: [['soun', 0, 0]] });
      expect(tracksOf(await first(`video/`, `${attendeeId}.mp4`))).toEqual({ layout: ['ftyp', 'mdat', 'moov'], durationMs: 5000, tracks: [['vide', camera.width, camera.height]] });
      expect(tracksOf(await first(`video/`, '#content.mp4'))).toEqual({ layout: ['ftyp', 'mdat', 'moov'], durationMs: 5000, tracks: [['vide', camera.width, camera.height]] });
      // The composited picture has its configured Resolution, FHD, and the mixed audio.
      expect(tracksOf(await first('composited-video/'))).toEqual({ layout: ['ftyp', 'mdat', 'moov'], durationMs: 5000, tracks: [['soun', 0, 0], ['vide', 1920, 1080]] });

      // Attendee joins and leaves land in meeting-events as JSON lines; the person connected before the
      // capture started is listed as joined at its start (the default of behaviour meeting-events-present-at-start).
      const late = (await cloud.chime.send(new CreateAttendeeCommand({ MeetingId: meetingId, ExternalUserId: 'late-joiner' }))).Attendee!;
      cloud.meetings.join(meetingId, late.AttendeeId!);
      cloud.meetings.leave(meetingId, late.AttendeeId!, 'left');
      // The two events may fall in two chunks.
      const eventLines = async () => {
        const keys = cloud.s3.keys('capture-bucket', `${prefix}meeting-events/`);
        const bodies = await Promise.all(keys.map((k) => cloud.s3.getObject('capture-bucket', k)));
        return { keys, lines: bodies.flatMap((b) => b!.toString().trim().split('\n')).map((l) => JSON.parse(l) as { EventType: string; EventParameters: { AttendeeId: string } }) };
      };
      await cloud.clock.until(async () => (await eventLines()).lines.length >= 3, 'the three meeting events');
      const { keys: eventKeys, lines } = await eventLines();
      for (const k of eventKeys) expect(k).toMatch(new RegExp(`meeting-events/${CHUNK_TIME}\\.txt$`));
      expect(lines.map((l) => l.EventType)).toEqual(['AttendeeJoined', 'AttendeeJoined', 'AttendeeLeft']);
      expect(lines.map((l) => l.EventParameters.AttendeeId)).toEqual([attendeeId, late.AttendeeId, late.AttendeeId]);
    });

    it('captures the default artifacts (no per-attendee video) when ChimeSdkMeetingConfiguration is omitted', async () => {
      const { meetingId } = await meetingWithPerson(cloud, { video: true });
      await startCapture(cloud, meetingId);
      const prefix = `captures/${meetingId}/`;
      await cloud.clock.until(() => cloud.s3.keys('capture-bucket', `${prefix}audio/`).length >= 2, 'two audio chunks');
      expect(cloud.s3.keys('capture-bucket', `${prefix}video/`)).toEqual([]);
      // Its mux type, AudioWithActiveSpeakerVideo: the mixed audio and the active speaker's picture.
      const [audio] = cloud.s3.keys('capture-bucket', `${prefix}audio/`);
      expect(tracksOf(await mp4(cloud, audio!)).tracks).toEqual([
        ['soun', 0, 0],
        ['vide', 1280, 720],
      ]);
    });

    it('AudioWithCompositedVideo puts the composited picture, at its size, in the audio chunks', async () => {
      const { meetingId } = await meetingWithPerson(cloud, { video: true });
      await startCapture(cloud, meetingId, {
        ChimeSdkMeetingConfiguration: {
          ArtifactsConfiguration: {
            Audio: { MuxType: 'AudioWithCompositedVideo' },
            Video: { State: 'Disabled' },
            Content: { State: 'Disabled' },
            CompositedVideo: { Layout: 'GridView', Resolution: 'FHD', GridViewConfiguration: { ContentShareLayout: 'Vertical', CanvasOrientation: 'Portrait' } },
          },
        },
      });
      const prefix = `captures/${meetingId}/`;
      await cloud.clock.until(() => cloud.s3.keys('capture-bucket', `${prefix}composited-video/`).length >= 1, 'a composited chunk');
      const portrait = [
        ['soun', 0, 0],
        ['vide', 1080, 1920],
      ];
      expect(tracksOf(await mp4(cloud, cloud.s3.keys('capture-bucket', `${prefix}audio/`)[0]!)).tracks).toEqual(portrait);
      expect(tracksOf(await mp4(cloud, cloud.s3.keys('capture-bucket', `${prefix}composited-video/`)[0]!)).tracks).toEqual(portrait);
    });
  });

  describe('meeting end and deletion', () => {
    it('DeleteMeeting stops the capture before MeetingEnded; the pipeline stays visible, Stopped', async () => {
      const { meetingId } = await meetingWithPerson(cloud);
      const p = await startCapture(cloud, meetingId);
      const id = p.MediaPipelineId!;
      await cloud.clock.until(() => cloud.s3.keys('capture-bucket', `captures/${meetingId}/audio/`).length >= 1, 'a chunk');
      await cloud.chime.send(new DeleteMeetingCommand({ MeetingId: meetingId }));
      expect(cloud.pipelines.pipeline(id)?.status).toBe('Stopped');
      expect(await status(cloud, id)).toBe('Stopped');
      expect(cloud.pipelines.activePipelines().map((x) => x.mediaPipelineId)).not.toContain(id);
      const order = cloud.events.filter((e) => e.detail.meetingId === meetingId).map((e) => String(e.detail.eventType));
      expect(order.indexOf('chime:MediaPipelineDeleted')).toBeGreaterThan(-1);
      expect(order.indexOf('chime:MediaPipelineDeleted')).toBeLessThan(order.indexOf('chime:MeetingEnded'));
    });

    it('DeleteMediaPipeline: Stopping, then Stopped and gone (NotFound); attendee removed; MediaPipelineDeleted', async () => {
      const { meetingId } = await meetingWithPerson(cloud);
      const p = await startCapture(cloud, meetingId);
      const id = p.MediaPipelineId!;
      const out = await cloud.mp.send(new DeleteMediaPipelineCommand({ MediaPipelineId: id }));
      expect(out.$metadata.httpStatusCode).toBe(204);
      expect(cloud.pipelines.pipeline(id)?.status).toBe('Stopping');
      await cloud.clock.until(() => cloud.pipelines.pipeline(id)?.deleted === true, 'deleted');
      expect(cloud.pipelines.pipeline(id)?.status).toBe('Stopped');
      expect(await failure(cloud.mp.send(new GetMediaPipelineCommand({ MediaPipelineId: id })))).toMatchObject({ name: 'NotFoundException', status: 404 });
      expect(await failure(cloud.mp.send(new DeleteMediaPipelineCommand({ MediaPipelineId: id })))).toMatchObject({ name: 'NotFoundException', status: 404 });
      expect(pipelineEvents(cloud, id)).toEqual(['chime:MediaPipelineInProgress', 'chime:MediaPipelineDeleted']);
      const attendees = (await cloud.chime.send(new ListAttendeesCommand({ MeetingId: meetingId }))).Attendees!;
      expect(attendees.map((a) => a.ExternalUserId)).not.toContain(`aws:MediaPipeline-${id}`);
      const meetingEvents = cloud.events.filter((e) => e.detail.meetingId === meetingId && e.detail.externalUserId === `aws:MediaPipeline-${id}`).map((e) => e.detail.eventType);
      expect(meetingEvents).toEqual(['chime:AttendeeAdded', 'chime:AttendeeJoined', 'chime:AttendeeLeft', 'chime:AttendeeDeleted']);
      // The meeting goes on, and can be captured again.
      await cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId)));
    });

    it('DeleteMediaCapturePipeline works on captures; deleting a Stopped pipeline removes it', async () => {
      const { meetingId } = await meetingWithPerson(cloud);
      const p = await startCapture(cloud, meetingId);
      await cloud.chime.send(new DeleteMeetingCommand({ MeetingId: meetingId }));
      const got = await cloud.mp.send(new GetMediaCapturePipelineCommand({ MediaPipelineId: p.MediaPipelineId }));
      expect(got.MediaCapturePipeline?.Status).toBe('Stopped');
      const out = await cloud.mp.send(new DeleteMediaCapturePipelineCommand({ MediaPipelineId: p.MediaPipelineId }));
      expect(out.$metadata.httpStatusCode).toBe(204);
      expect(await failure(cloud.mp.send(new GetMediaCapturePipelineCommand({ MediaPipelineId: p.MediaPipelineId })))).toMatchObject({ name: 'NotFoundException' });
    });

    it('answers NotFound for unknown ids and BadRequest for malformed ones', async () => {
      expect(await failure(cloud.mp.send(new GetMediaPipelineCommand({ MediaPipelineId: '6c0f5c4e-1111-4222-8333-444455556666' })))).toMatchObject({ name: 'NotFoundException', status: 404 });
      expect(await failure(cloud.mp.send(new DeleteMediaCapturePipelineCommand({ MediaPipelineId: '6c0f5c4e-1111-4222-8333-444455556666' })))).toMatchObject({ name: 'NotFoundException' });
      const err = await failure(cloud.mp.send(new GetMediaPipelineCommand({ MediaPipelineId: 'nope' })));
      expect(err).toMatchObject({ name: 'BadRequestException', status: 400 });
      expect(err.message).toContain('MediaPipelineId');
    });

    it('failPipeline fails it for good (MediaPipelinePermanentFailure) and removes its attendee', async () => {
      const { meetingId } = await meetingWithPerson(cloud);
      const p = await startCapture(cloud, meetingId);
      cloud.pipelines.failPipeline(p.MediaPipelineId!, 'simulated media failure');
      expect(await status(cloud, p.MediaPipelineId!)).toBe('Failed');
      expect(pipelineEvents(cloud, p.MediaPipelineId!)).toEqual(['chime:MediaPipelineInProgress', 'chime:MediaPipelinePermanentFailure']);
      expect(cloud.pipelines.pipeline(p.MediaPipelineId!)).toMatchObject({ failureReason: 'simulated media failure', attendeeId: undefined });
    });
  });

  describe('CreateMediaConcatenationPipeline', () => {
    it('waits for the capture to stop, then writes one file per artifact type named after itself', async () => {
      const { meetingId } = await meetingWithPerson(cloud, { video: true });
      const capture = await startCapture(cloud, meetingId, {
        ChimeSdkMeetingConfiguration: { ArtifactsConfiguration: { Audio: { MuxType: 'AudioOnly' }, Video: { State: 'Enabled' }, Content: { State: 'Disabled' } } },
      });
      const late = (await cloud.chime.send(new CreateAttendeeCommand({ MeetingId: meetingId, ExternalUserId: 'late' }))).Attendee!;
      cloud.meetings.join(meetingId, late.AttendeeId!);
      await cloud.clock.until(() => cloud.s3.keys('capture-bucket', `captures/${meetingId}/audio/`).length >= 3, 'chunks');

      const out = await cloud.mp.send(new CreateMediaConcatenationPipelineCommand(concatenationInput(capture.MediaPipelineArn!)));
      expect(out.$metadata.httpStatusCode).toBe(201);
      const c = out.MediaConcatenationPipeline!;
      expect(c.MediaPipelineArn).toBe(`arn:aws:chime:us-east-1:${ACCOUNT}:media-pipeline/${c.MediaPipelineId}`);
      expect(c.Sinks?.[0]?.S3BucketSinkConfiguration?.Destination).toBe('arn:aws:s3:::concat-bucket/joined');
      // The capture still runs: the concatenation waits.
      await cloud.clock.run(cloud.clock.sleep(c.CreatedTimestamp!.getTime() + 10_001 - cloud.clock.now()));
      expect(await status(cloud, c.MediaPipelineId!)).toBe('Initializing');

      await cloud.chime.send(new DeleteMeetingCommand({ MeetingId: meetingId }));
      await cloud.clock.until(async () => (await status(cloud, c.MediaPipelineId!)) === 'Stopped', 'concatenation Stopped');
      expect(pipelineEvents(cloud, c.MediaPipelineId!)).toEqual(['chime:MediaPipelineInProgress', 'chime:MediaPipelineDeleted']);
      const id = c.MediaPipelineId!;
      expect(cloud.s3.keys('concat-bucket', 'joined/')).toEqual([`joined/audio/${id}.mp4`, `joined/meeting-events/${id}.txt`, `joined/video/${id}.mp4`]);
      // The audio file is the capture's chunks joined: as long as all of them, with all their samples.
      const chunks = await Promise.all(cloud.s3.keys('capture-bucket', `captures/${meetingId}/audio/`).map((k) => mp4(cloud, k)));
      const joined = await mp4(cloud, `joined/audio/${id}.mp4`, 'concat-bucket');
      expect(chunks.length).toBeGreaterThanOrEqual(4);
      expect(joined.durationMs).toBe(sum(chunks.map((c) => c.durationMs)));
      expect(joined.tracks.map((t) => t.samples)).toEqual([sum(chunks.map((c) => c.tracks[0]!.samples))]);
      // ...which is the whole capture: from the moment it joined the meeting to the moment it stopped.
      const [joinedAt, stoppedAt] = ['chime:MediaPipelineInProgress', 'chime:MediaPipelineDeleted'].map((t) => Number(cloud.events.find((e) => e.detail.mediaPipelineId === capture.MediaPipelineId && e.detail.eventType === t)!.detail.timestamp));
      expect(Math.abs(joined.durationMs - (stoppedAt! - joinedAt!))).toBeLessThanOrEqual(1);
      expect(tracksOf(await mp4(cloud, `joined/video/${id}.mp4`, 'concat-bucket')).tracks).toEqual([['vide', 1280, 720]]);
      const events = (await cloud.s3.getObject('concat-bucket', `joined/meeting-events/${id}.txt`))!.toString();
      expect(events).toContain('"EventType":"AttendeeJoined"');
    });

    it('writes under its own id when the destination has no prefix; starts at once on a stopped (even deleted) capture', async () => {
      const { meetingId } = await meetingWithPerson(cloud);
      const capture = await startCapture(cloud, meetingId);
      await cloud.clock.until(() => cloud.s3.keys('capture-bucket', `captures/${meetingId}/audio/`).length >= 1, 'a chunk');
      await cloud.mp.send(new DeleteMediaPipelineCommand({ MediaPipelineId: capture.MediaPipelineId }));
      await cloud.clock.until(() => cloud.pipelines.pipeline(capture.MediaPipelineId!)?.deleted === true, 'capture deleted');
      const c = (await cloud.mp.send(new CreateMediaConcatenationPipelineCommand(concatenationInput(capture.MediaPipelineArn!, 'arn:aws:s3:::concat-bucket')))).MediaConcatenationPipeline!;
      await cloud.clock.until(() => cloud.pipelines.pipeline(c.MediaPipelineId!)?.status === 'Stopped', 'concatenation Stopped');
      // The audio, and the meeting-events (the person's join at the capture's start, the default of behaviour
      // meeting-events-present-at-start).
      expect(cloud.s3.keys('concat-bucket', `${c.MediaPipelineId}/`).sort()).toEqual([`${c.MediaPipelineId}/audio/${c.MediaPipelineId}.mp4`, `${c.MediaPipelineId}/meeting-events/${c.MediaPipelineId}.txt`]);
    });

    it('refuses a capture bucket that does not let the service read the chunks', async () => {
      cloud.s3.addBucket({ name: 'write-only', region: 'us-east-1', policy: grantPolicy('write-only', ['s3:PutObject', 's3:PutObjectAcl']) });
      const { meetingId } = await meetingWithPerson(cloud);
      const capture = await startCapture(cloud, meetingId, { SinkArn: 'arn:aws:s3:::write-only/c' });
      const err = await failure(cloud.mp.send(new CreateMediaConcatenationPipelineCommand(concatenationInput(capture.MediaPipelineArn!))));
      expect(err).toMatchObject({ name: 'BadRequestException', status: 400 });
      expect(err.message).toMatch(/S3 Bucket policy not valid\/present for Source.*s3:GetObject.*s3:ListBucket/);
    });

    it.each<[string, (arn: string) => CreateMediaConcatenationPipelineCommandInput]>([
      [
        'ArtifactsConfiguration.MeetingEvents',
        (arn) => {
          const input = concatenationInput(arn);
          const artifacts: Partial<ArtifactsConcatenationConfiguration> = input.Sources![0]!.MediaCapturePipelineSourceConfiguration!.ChimeSdkMeetingConfiguration!.ArtifactsConfiguration!;
          delete artifacts.MeetingEvents;
          return input;
        },
      ],
      [
        'ArtifactsConfiguration.Audio.State',
        (arn) => {
          const input = concatenationInput(arn);
          input.Sources![0]!.MediaCapturePipelineSourceConfiguration!.ChimeSdkMeetingConfiguration!.ArtifactsConfiguration!.Audio = { State: 'Disabled' as 'Enabled' };
          return input;
        },
      ],
      ['Sources', (arn) => ({ ...concatenationInput(arn), Sources: [...concatenationInput(arn).Sources!, ...concatenationInput(arn).Sources!] })],
      ['Sinks[0].S3BucketSinkConfiguration.Destination', (arn) => concatenationInput(arn, 'arn:aws:sns:us-east-1:123456789012:topic')],
      ['MediaPipelineArn', () => concatenationInput('arn:aws:chime:us-east-1:123456789012:meeting/abc')],
    ])('refuses an invalid %s with BadRequestException naming it', async (field, input) => {
      const { meetingId } = await meetingWithPerson(cloud);
      const capture = (await cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId)))).MediaCapturePipeline!;
      const err = await failure(cloud.mp.send(new CreateMediaConcatenationPipelineCommand(input(capture.MediaPipelineArn!))));
      expect(err).toMatchObject({ name: 'BadRequestException', status: 400 });
      expect(err.message).toContain(field);
    });

    it('refuses a source of another account (Forbidden) and an unknown source (NotFound)', async () => {
      const other = await failure(cloud.mp.send(new CreateMediaConcatenationPipelineCommand(concatenationInput(`arn:aws:chime:us-east-1:${OTHER_ACCOUNT}:media-pipeline/6c0f5c4e-1111-4222-8333-444455556666`))));
      expect(other).toMatchObject({ name: 'ForbiddenException', status: 403 });
      const unknown = await failure(cloud.mp.send(new CreateMediaConcatenationPipelineCommand(concatenationInput(`arn:aws:chime:us-east-1:${ACCOUNT}:media-pipeline/6c0f5c4e-1111-4222-8333-444455556666`))));
      expect(unknown).toMatchObject({ name: 'NotFoundException', status: 404 });
    });
  });

  describe('CreateMediaLiveConnectorPipeline', () => {
    const STREAM_KEY = 'sk_live_SECRET123';

    function liveInput(meetingId: string, url = `rtmps://live.example.com:443/app/${STREAM_KEY}`): CreateMediaLiveConnectorPipelineCommandInput {
      return {
        Sources: [{ SourceType: 'ChimeSdkMeeting', ChimeSdkMeetingLiveConnectorConfiguration: { Arn: sourceArn(meetingId), MuxType: 'AudioWithActiveSpeakerVideo' } }],
        Sinks: [{ SinkType: 'RTMP', RTMPConfiguration: { Url: url, AudioChannels: 'Stereo', AudioSampleRate: '48000' } }],
      };
    }

    it('joins like a capture and stops with the meeting; the stream URL appears only where the model returns it', async () => {
      const { meetingId } = await meetingWithPerson(cloud);
      const out = await cloud.mp.send(new CreateMediaLiveConnectorPipelineCommand(liveInput(meetingId)));
      expect(out.$metadata.httpStatusCode).toBe(201);
      const p = out.MediaLiveConnectorPipeline!;
      expect(p.Status).toBe('Initializing');
      await cloud.clock.until(() => cloud.pipelines.pipeline(p.MediaPipelineId!)?.status === 'InProgress', 'InProgress');
      const attendees = (await cloud.chime.send(new ListAttendeesCommand({ MeetingId: meetingId }))).Attendees!;
      expect(attendees.map((a) => a.ExternalUserId)).toContain(`aws:MediaPipeline-${p.MediaPipelineId}`);

      const got = await cloud.mp.send(new GetMediaPipelineCommand({ MediaPipelineId: p.MediaPipelineId }));
      expect(Object.keys(got.MediaPipeline!)).toEqual(['MediaLiveConnectorPipeline']);
      // MediaLiveConnectorPipeline.Sinks[].RTMPConfiguration.Url is in the model's output shape (sensitive: SDKs redact it in logs).
      expect(got.MediaPipeline?.MediaLiveConnectorPipeline?.Sinks?.[0]?.RTMPConfiguration?.Url).toContain(STREAM_KEY);
      const listed = await cloud.mp.send(new ListMediaPipelinesCommand({}));
      expect(JSON.stringify(listed)).not.toContain(STREAM_KEY);

      await cloud.chime.send(new DeleteMeetingCommand({ MeetingId: meetingId }));
      expect(cloud.pipelines.pipeline(p.MediaPipelineId!)?.status).toBe('Stopped');
      expect(pipelineEvents(cloud, p.MediaPipelineId!)).toEqual(['chime:MediaPipelineInProgress', 'chime:MediaPipelineDeleted']);
      expect(JSON.stringify(cloud.events)).not.toContain(STREAM_KEY);
    });

    it.each([
      ['Sinks[0].RTMPConfiguration.Url', (id: string) => liveInput(id, `https://live.example.com/app/${STREAM_KEY}`)],
      ['Sinks[0].RTMPConfiguration.Url', (id: string) => liveInput(id, `rtmp://${'x'.repeat(1020)}/${STREAM_KEY}`)],
      [
        'Sinks[0].RTMPConfiguration.AudioSampleRate',
        (id: string) => {
          const input = liveInput(id);
          input.Sinks![0]!.RTMPConfiguration!.AudioSampleRate = '22050';
          return input;
        },
      ],
      [
        'Sources[0].ChimeSdkMeetingLiveConnectorConfiguration.MuxType',
        (id: string) => {
          const input = liveInput(id);
          input.Sources![0]!.ChimeSdkMeetingLiveConnectorConfiguration!.MuxType = 'AudioOnly' as 'AudioWithActiveSpeakerVideo';
          return input;
        },
      ],
    ])('refuses an invalid %s without echoing the URL', async (field, input) => {
      const { meetingId } = await meetingWithPerson(cloud);
      const err = await failure(cloud.mp.send(new CreateMediaLiveConnectorPipelineCommand(input(meetingId))));
      expect(err).toMatchObject({ name: 'BadRequestException', status: 400 });
      expect(err.message).toContain(field);
      expect(err.message).not.toContain(STREAM_KEY);
    });
  });

  describe('ListTagsForResource', () => {
    it("answers the create call's tags by the pipeline's ARN (the meetings API shares the port and path), NotFoundException for an unknown one", async () => {
      const { meetingId } = await meetingWithPerson(cloud);
      const p = (await cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId, { Tags: [{ Key: 'team', Value: 'a' }] })))).MediaCapturePipeline!;
      expect((await cloud.mp.send(new ListTagsForResourceCommand({ ResourceARN: p.MediaPipelineArn! }))).Tags).toEqual([{ Key: 'team', Value: 'a' }]);
      const unknown = p.MediaPipelineArn!.replace(p.MediaPipelineId!, '00000000-0000-4000-8000-000000000000');
      expect(await failure(cloud.mp.send(new ListTagsForResourceCommand({ ResourceARN: unknown })))).toMatchObject({ name: 'NotFoundException' });
      await cloud.mp.send(new DeleteMediaPipelineCommand({ MediaPipelineId: p.MediaPipelineId! }));
    });
  });

  describe('ListMediaPipelines / ListMediaCapturePipelines', () => {
    it('paginates with max-results and next-token; the capture list holds captures only', async () => {
      const all: string[] = [];
      let token: string | undefined;
      do {
        const out = await cloud.mp.send(new ListMediaPipelinesCommand({ MaxResults: 3, NextToken: token }));
        expect(out.MediaPipelines!.length).toBeLessThanOrEqual(3);
        all.push(...out.MediaPipelines!.map((p) => p.MediaPipelineId!));
        token = out.NextToken;
      } while (token);
      expect(new Set(all).size).toBe(all.length);
      const visible = [...cloud.pipelines.activePipelines(), ...all.map((id) => cloud.pipelines.pipeline(id)!)].filter((p) => !p.deleted);
      expect(new Set(all)).toEqual(new Set(visible.map((p) => p.mediaPipelineId)));
      expect(all.some((id) => cloud.pipelines.pipeline(id)?.kind === 'concatenation')).toBe(true);
      const captures = await cloud.mp.send(new ListMediaCapturePipelinesCommand({ MaxResults: 100 }));
      expect(captures.MediaCapturePipelines!.every((p) => cloud.pipelines.pipeline(p.MediaPipelineId!)?.kind === 'capture')).toBe(true);
      const err = await failure(cloud.mp.send(new ListMediaPipelinesCommand({ MaxResults: 0 })));
      expect(err).toMatchObject({ name: 'BadRequestException' });
      expect(err.message).toContain('MaxResults');
      expect(await failure(cloud.mp.send(new ListMediaPipelinesCommand({ NextToken: 'bogus' })))).toMatchObject({ name: 'BadRequestException' });
    });
  });
});

describe('Chime SDK Media Pipelines emulator: role, quota and field failures', () => {
  it('refuses creation without the service-linked role, and while IAM propagates it', async () => {
    const cloud = await startCloud({ rolePropagationMs: 60_000 }, { role: false });
    try {
      const { meetingId } = await meetingWithPerson(cloud);
      const missing = await failure(cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId))));
      expect(missing).toMatchObject({ name: 'ForbiddenException', status: 403 });
      expect(missing.message).toContain(SERVICE_LINKED_ROLE);
      cloud.iam.createRole(SERVICE_LINKED_ROLE);
      const createdAt = cloud.clock.now();
      expect(await failure(cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId))))).toMatchObject({ name: 'ForbiddenException' });
      await cloud.clock.run(cloud.clock.sleep(createdAt + 60_001 - cloud.clock.now()));
      const p = (await cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId)))).MediaCapturePipeline!;
      // The role cannot be deleted while a pipeline uses it.
      const refused = cloud.iam.deleteRole(SERVICE_LINKED_ROLE);
      expect(refused).toEqual({ ok: false, usage: [{ Region: 'us-east-1', Resources: [p.MediaPipelineArn] }] });
      await cloud.chime.send(new DeleteMeetingCommand({ MeetingId: meetingId }));
      expect(cloud.iam.deleteRole(SERVICE_LINKED_ROLE).ok).toBe(true);
    } finally {
      await cloud.close();
    }
  });

  it('refuses pipelines past the active pipeline quota (ResourceLimitExceededException)', async () => {
    const cloud = await startCloud({ activePipelineLimit: 2 });
    try {
      for (let i = 0; i < 2; i += 1) {
        const { meetingId } = await meetingWithPerson(cloud);
        await cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId)));
      }
      const { meetingId } = await meetingWithPerson(cloud);
      const err = await failure(cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId))));
      expect(err).toMatchObject({ name: 'ResourceLimitExceededException', status: 400 });
      expect(err.message).toContain('us-east-1');
    } finally {
      await cloud.close();
    }
  });

  it('counts a live connector toward the quota; DeleteMediaPipeline stops it, removes its attendee and frees its place', async () => {
    const cloud = await startCloud({ activePipelineLimit: 2 });
    try {
      const { meetingId } = await meetingWithPerson(cloud);
      await startCapture(cloud, meetingId);
      const live = (
        await cloud.mp.send(
          new CreateMediaLiveConnectorPipelineCommand({
            Sources: [{ SourceType: 'ChimeSdkMeeting', ChimeSdkMeetingLiveConnectorConfiguration: { Arn: sourceArn(meetingId), MuxType: 'AudioWithCompositedVideo' } }],
            Sinks: [{ SinkType: 'RTMP', RTMPConfiguration: { Url: 'rtmps://live.example.com/app/sk_live_QUOTA' } }],
          }),
        )
      ).MediaLiveConnectorPipeline!;
      await cloud.clock.until(() => cloud.pipelines.pipeline(live.MediaPipelineId!)?.status === 'InProgress', 'live InProgress');
      const other = await meetingWithPerson(cloud);
      expect(await failure(cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(other.meetingId))))).toMatchObject({ name: 'ResourceLimitExceededException' });

      await cloud.mp.send(new DeleteMediaPipelineCommand({ MediaPipelineId: live.MediaPipelineId }));
      await cloud.clock.until(() => cloud.pipelines.pipeline(live.MediaPipelineId!)?.status === 'Stopped', 'live Stopped');
      expect(await failure(cloud.mp.send(new GetMediaPipelineCommand({ MediaPipelineId: live.MediaPipelineId })))).toMatchObject({ name: 'NotFoundException' });
      const attendees = (await cloud.chime.send(new ListAttendeesCommand({ MeetingId: meetingId }))).Attendees!;
      expect(attendees.map((a) => a.ExternalUserId)).not.toContain(`aws:MediaPipeline-${live.MediaPipelineId}`);
      await cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(other.meetingId)));
    } finally {
      await cloud.close();
    }
  });

  it('writes chunks lazily: nothing until a flush, then every chunk up to the stop, the partial last one included', async () => {
    // No periodic flush within the test: everything is written when the meeting ends.
    const cloud = await startCloud({ flushIntervalMs: 1e9 });
    try {
      const { meetingId } = await meetingWithPerson(cloud);
      const p = await startCapture(cloud, meetingId);
      const startedAt = Number(cloud.events.find((e) => e.detail.mediaPipelineId === p.MediaPipelineId && e.detail.eventType === 'chime:MediaPipelineInProgress')!.detail.timestamp);
      await cloud.clock.run(cloud.clock.sleep(startedAt + 32_001 - cloud.clock.now()));
      expect(cloud.s3.keys('capture-bucket')).toEqual([]);
      await cloud.chime.send(new DeleteMeetingCommand({ MeetingId: meetingId }));
      const stoppedAt = Number(cloud.events.find((e) => e.detail.mediaPipelineId === p.MediaPipelineId && e.detail.eventType === 'chime:MediaPipelineDeleted')!.detail.timestamp);
      const audioStarts = () => cloud.s3.keys('capture-bucket', `captures/${meetingId}/audio/`).map((k) => chunkStart(k.split('/').pop()!.slice(0, -'.mp4'.length)));
      await cloud.clock.until(() => audioStarts().some((t) => t + 5000 >= stoppedAt - 1000), 'the chunks up to the stop');
      const starts = audioStarts();
      expect(starts.length).toBeGreaterThanOrEqual(7);
      // Chunks start when capture starts (same millisecond tick, give or take one) and follow every five seconds...
      expect(Math.abs(starts[0]! - startedAt)).toBeLessThanOrEqual(1000);
      starts.forEach((t, i) => expect(t).toBe(starts[0]! + i * 5000));
      // ...up to the stop: the last (usually partial) chunk covers it, and lasts until it.
      const last = starts[starts.length - 1]!;
      expect(last).toBeLessThan(stoppedAt);
      expect(last + 5000).toBeGreaterThanOrEqual(stoppedAt - 1000);
      const durations = await Promise.all(cloud.s3.keys('capture-bucket', `captures/${meetingId}/audio/`).map(async (k) => (await mp4(cloud, k)).durationMs));
      expect(durations.slice(0, -1).every((ms) => ms === 5000)).toBe(true);
      expect(Math.abs(durations[durations.length - 1]! - (stoppedAt - last))).toBeLessThanOrEqual(1);
    } finally {
      await cloud.close();
    }
  });

  it('lostChunkRatio loses that share of the media chunks, never the first; the concatenated files are that much shorter', async () => {
    const cloud = await startCloud({ lostChunkRatio: 0.25 }, { behaviour: { 'media-file-layout': 'moov-first' } });
    try {
      const { meetingId } = await meetingWithPerson(cloud, { video: true });
      const capture = await startCapture(cloud, meetingId, {
        ChimeSdkMeetingConfiguration: {
          ArtifactsConfiguration: {
            Audio: { MuxType: 'AudioOnly' },
            Video: { State: 'Disabled' },
            Content: { State: 'Disabled' },
            CompositedVideo: { GridViewConfiguration: { ContentShareLayout: 'PresenterOnly' } },
          },
        },
      });
      const joinedAt = Number(cloud.events.find((e) => e.detail.mediaPipelineId === capture.MediaPipelineId && e.detail.eventType === 'chime:MediaPipelineInProgress')!.detail.timestamp);
      const input = concatenationInput(capture.MediaPipelineArn!);
      input.Sources![0]!.MediaCapturePipelineSourceConfiguration!.ChimeSdkMeetingConfiguration!.ArtifactsConfiguration!.CompositedVideo = { State: 'Enabled' };
      const c = (await cloud.mp.send(new CreateMediaConcatenationPipelineCommand(input))).MediaConcatenationPipeline!;
      // A late joiner's events fall in a lost chunk's span (the second): they are kept.
      await cloud.clock.run(cloud.clock.sleep(joinedAt + 16_000 - cloud.clock.now()));
      const late = (await cloud.chime.send(new CreateAttendeeCommand({ MeetingId: meetingId, ExternalUserId: 'late' }))).Attendee!;
      cloud.meetings.join(meetingId, late.AttendeeId!);
      await cloud.clock.run(cloud.clock.sleep(joinedAt + 42_000 - cloud.clock.now()));
      await cloud.chime.send(new DeleteMeetingCommand({ MeetingId: meetingId }));
      await cloud.clock.until(() => cloud.pipelines.pipeline(c.MediaPipelineId!)?.status === 'Stopped', 'concatenation Stopped');

      // Chunks 0..8 (the ninth, partial); a quarter lost, evenly: the 4th and the 8th.
      for (const folder of ['audio', 'composited-video']) {
        const starts = cloud.s3.keys('capture-bucket', `captures/${meetingId}/${folder}/`).map((k) => chunkStart(k.split('/').pop()!.slice(0, -'.mp4'.length)));
        expect(starts.map((t) => Math.round((t - joinedAt) / 5000))).toEqual([0, 1, 2, 4, 5, 6, 8]);
      }
      // Meeting events: the person's join at the start (behaviour meeting-events-present-at-start's default) and the late join.
      expect(cloud.s3.keys('capture-bucket', `captures/${meetingId}/meeting-events/`).map((k) => Math.round((chunkStart(k.split('/').pop()!.slice(0, -'.txt'.length)) - joinedAt) / 5000))).toEqual([0, 3]);

      const id = c.MediaPipelineId!;
      for (const file of [`joined/audio/${id}.mp4`, `joined/composited-video/${id}.mp4`]) {
        const joined = await mp4(cloud, file, 'concat-bucket');
        // The behaviour media-file-layout=moov-first: the index before the media.
        expect(joined.layout).toEqual(['ftyp', 'moov', 'mdat']);
        // 42 seconds captured, two 5-second chunks lost.
        expect(Math.abs(joined.durationMs - 32_000)).toBeLessThanOrEqual(1);
      }
    } finally {
      await cloud.close();
    }
  });

  it('dropLastChunk loses the partial last chunk; concatenationStuck keeps the concatenation InProgress', async () => {
    const cloud = await startCloud({ dropLastChunk: true, concatenationStuck: true });
    try {
      const { meetingId } = await meetingWithPerson(cloud);
      const capture = await startCapture(cloud, meetingId);
      const c = (await cloud.mp.send(new CreateMediaConcatenationPipelineCommand(concatenationInput(capture.MediaPipelineArn!)))).MediaConcatenationPipeline!;
      await cloud.clock.until(() => cloud.s3.keys('capture-bucket', `captures/${meetingId}/audio/`).length >= 2, 'chunks');
      await cloud.chime.send(new DeleteMeetingCommand({ MeetingId: meetingId }));
      const endedAt = cloud.clock.now();
      await cloud.clock.until(() => cloud.pipelines.pipeline(c.MediaPipelineId!)?.status === 'InProgress', 'concatenation InProgress');
      // Every chunk written is a whole five seconds that ended before the meeting did.
      for (const k of cloud.s3.keys('capture-bucket', `captures/${meetingId}/audio/`)) {
        expect(chunkStart(k.split('/').pop()!.slice(0, -'.mp4'.length)) + 5000).toBeLessThanOrEqual(endedAt);
      }
      await cloud.clock.run(cloud.clock.sleep(endedAt + 60_001 - cloud.clock.now()));
      expect(await status(cloud, c.MediaPipelineId!)).toBe('InProgress');
      expect(cloud.s3.keys('concat-bucket')).toEqual([]);
    } finally {
      await cloud.close();
    }
  });
});

/** An object of the fake S3, parsed and checked as an MP4. */
async function mp4(cloud: Cloud, key: string, bucket = 'capture-bucket'): Promise<Mp4Summary> {
  const body = await cloud.s3.getObject(bucket, key);
  if (!body) throw new Error(`no s3://${bucket}/${key}`);
  return inspectMp4(body);
}

/** What a test says of an MP4: its box order, duration and tracks (handler, picture size). */
function tracksOf(m: Mp4Summary): { layout: string[]; durationMs: number; tracks: Array<[string, number, number]> } {
  return { layout: m.layout, durationMs: m.durationMs, tracks: m.tracks.map((t) => [t.handler, t.width, t.height]) };
}

function sum(values: number[]): number {
  return values.reduce((n, v) => n + v, 0);
}
