import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { handler as verifyRecording } from '../../../functions/verify-recording/handler';
import { EXECUTION_ID, meetingRef, plan } from '../../fixtures/plans';

/**
 * VerifyRecording's copies to readable names, call by call: above 5 GiB the copy is a multipart upload of
 * 512 MiB UploadPartCopy ranges (no 6 GiB object is made: HeadObject says so); what confirms a copy; what
 * a run finds after an earlier one; names held by something else.
 */

const s3 = mockClient(S3Client);
const db = mockClient(DynamoDBClient);
const ctx = { awsRequestId: 'r', functionName: 'f', getRemainingTimeInMillis: () => 1000 } as never;
const GiB = 1024 ** 3;
const SOURCE = 'recordings/rec-1/data-channel/concat-1.txt';
const DEST = 'named/rec-1-data-channel.txt';
const MANIFEST = 'named/rec-1-recording.json';
const OWNER = { 'recording-execution': 'arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3Aexecution%3Achime-recording-test-recording%3Arec-1' };

const notFound = () => new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'Not Found' });

function input() {
  return {
    plan: plan({ meeting: { externalMeetingId: 'standup', mediaRegion: 'us-east-1' }, output: { fileName: 'named/{executionName}-{artifact}' } }),
    chimeMeeting: meetingRef,
    meetingEnd: { reason: 'MeetingEnded', endedAt: '2026-12-02T12:01:00.000Z', foundBy: 'event' as const },
    concatenationStatus: { artifacts: [`s3://final-bucket/${SOURCE}`] },
    concatenationPipeline: { mediaPipelineId: 'concat-1', mediaPipelineArn: 'arn:aws:chime:us-east-1:123456789012:media-pipeline/concat-1' },
  };
}

/** A source of `size` bytes, its name still free until the copy lands there with `etag`. */
function given(size: number, etag: string) {
  s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'captures/rec-1/audio/2026-12-02-12-00-00-000.mp4' }] });
  s3.on(HeadObjectCommand, { Key: SOURCE }).resolves({ ContentLength: size, ContentType: 'text/plain' });
  s3.on(HeadObjectCommand, { Key: MANIFEST }).rejects(notFound());
  s3.on(HeadObjectCommand, { Key: DEST }).rejectsOnce(notFound()).resolves({ ContentLength: size, ETag: etag, Metadata: OWNER });
  s3.on(PutObjectCommand).resolves({});
  s3.on(DeleteObjectCommand).resolves({});
  db.on(GetItemCommand).resolves({});
}

beforeEach(() => {
  s3.reset();
  db.reset();
});

describe('VerifyRecording with output.fileName', () => {
  it('copies a 6 GiB file in twelve 512 MiB UploadPartCopy ranges, confirms the copy, then deletes the original', async () => {
    given(6 * GiB, '"0f0e0d0c0b0a09080706050403020100-12"');
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
    s3.on(UploadPartCopyCommand).callsFake((i: { PartNumber: number }) => ({ CopyPartResult: { ETag: `"etag-${i.PartNumber}"` } }));
    s3.on(CompleteMultipartUploadCommand).resolves({ ETag: '"0f0e0d0c0b0a09080706050403020100-12"' });

    const out = await verifyRecording(input(), ctx);

    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input).toEqual({ Bucket: 'final-bucket', Key: DEST, ContentType: 'text/plain', Metadata: OWNER });
    const parts = s3.commandCalls(UploadPartCopyCommand).map((c) => c.args[0].input);
    expect(parts).toHaveLength(12);
    expect(parts[0]).toEqual({ Bucket: 'final-bucket', Key: DEST, UploadId: 'up-1', PartNumber: 1, CopySource: `final-bucket/${SOURCE}`, CopySourceRange: 'bytes=0-536870911' });
    expect(parts[1]!.CopySourceRange).toBe('bytes=536870912-1073741823');
    expect(parts[11]).toMatchObject({ PartNumber: 12, CopySourceRange: 'bytes=5905580032-6442450943' });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input).toEqual({
      Bucket: 'final-bucket',
      Key: DEST,
      UploadId: 'up-1',
      IfNoneMatch: '*',
      MultipartUpload: { Parts: Array.from({ length: 12 }, (_, i) => ({ PartNumber: i + 1, ETag: `"etag-${i + 1}"` })) },
    });
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: 'final-bucket', Key: SOURCE }]);
    // The manifest is written, named by the template, before the original goes.
    const put = s3.commandCalls(PutObjectCommand)[0]!;
    expect([put.args[0].input.Key, put.args[0].input.Metadata]).toEqual([MANIFEST, OWNER]);
    const order = s3.calls().map((c) => (c.args[0] as object).constructor.name);
    expect(order.indexOf('PutObjectCommand')).toBeGreaterThan(order.indexOf('CompleteMultipartUploadCommand'));
    expect(order.indexOf('PutObjectCommand')).toBeLessThan(order.indexOf('DeleteObjectCommand'));
    expect(out.files).toEqual([{ artifact: 'data-channel', uri: `s3://final-bucket/${DEST}`, size: 6 * GiB, contentType: 'text/plain' }]);
    expect(out.manifest).toBe(`s3://final-bucket/${MANIFEST}`);
  });

  it('copies a file of exactly 5 GiB with one CopyObject', async () => {
    given(5 * GiB, '"5d41402abc4b2a76b9719d911017c592"');
    s3.on(CopyObjectCommand).resolves({ CopyObjectResult: { ETag: '"5d41402abc4b2a76b9719d911017c592"' } });
    await verifyRecording(input(), ctx);
    expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
    expect(s3.commandCalls(CopyObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'final-bucket',
      Key: DEST,
      CopySource: `final-bucket/${SOURCE}`,
      MetadataDirective: 'REPLACE',
      ContentType: 'text/plain',
      Metadata: OWNER,
      IfNoneMatch: '*',
    });
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });

  it('aborts the upload and keeps the original when the multipart copy fails', async () => {
    given(6 * GiB, '"x-12"');
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-2' });
    s3.on(UploadPartCopyCommand).resolves({ CopyPartResult: { ETag: '"p"' } });
    s3.on(CompleteMultipartUploadCommand).rejects(new S3ServiceException({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'We encountered an internal error.' }));
    s3.on(AbortMultipartUploadCommand).resolves({});
    const err = await verifyRecording(input(), ctx).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.name).toBe('ServiceBusy');
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).toEqual({ Bucket: 'final-bucket', Key: DEST, UploadId: 'up-2' });
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('fails with IncompleteRecording and keeps the original when the copy does not answer the original size', async () => {
    given(5 * GiB, '"e"');
    s3.on(HeadObjectCommand, { Key: DEST }).rejectsOnce(notFound()).resolves({ ContentLength: 5 * GiB - 1, ETag: '"e"', Metadata: OWNER });
    s3.on(CopyObjectCommand).resolves({ CopyObjectResult: { ETag: '"e"' } });
    const err = await verifyRecording(input(), ctx).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.name).toBe('IncompleteRecording');
    expect(err?.message).toBe(
      `the copy of s3://final-bucket/${SOURCE} at s3://final-bucket/${DEST} could not be confirmed: it is 5368709119 bytes, the original 5368709120. The originals are kept`,
    );
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });

  it("leaves alone a file under the prefix not named after this recording's concatenation (a prefix shared with another recording)", async () => {
    given(1024, '"e"');
    const foreign = 'recordings/rec-1/transcription-messages/concat-0.txt';
    s3.on(HeadObjectCommand, { Key: foreign }).resolves({ ContentLength: 10, ContentType: 'text/plain' });
    s3.on(CopyObjectCommand).resolves({ CopyObjectResult: { ETag: '"e"' } });
    const withForeign = { ...input(), concatenationStatus: { artifacts: [`s3://final-bucket/${SOURCE}`, `s3://final-bucket/${foreign}`] } };
    const out = await verifyRecording(withForeign, ctx);
    expect(s3.commandCalls(CopyObjectCommand).map((c) => c.args[0].input.CopySource)).toEqual([`final-bucket/${SOURCE}`]);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key)).toEqual([SOURCE]);
    expect(out.files.map((f) => f.uri)).toEqual([`s3://final-bucket/${DEST}`, `s3://final-bucket/${foreign}`]);
  });

  it("fails when a single-part copy's content MD5 (its ETag, SSE-S3 or plaintext) is not the original's", async () => {
    const [original, copied] = ['"0123456789abcdef0123456789abcdef"', '"fedcba9876543210fedcba9876543210"'];
    given(1024, copied);
    s3.on(HeadObjectCommand, { Key: SOURCE }).resolves({ ContentLength: 1024, ContentType: 'text/plain', ETag: original, ServerSideEncryption: 'AES256' });
    s3.on(CopyObjectCommand).resolves({ CopyObjectResult: { ETag: copied } });
    const err = await verifyRecording(input(), ctx).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toBe(
      `the copy of s3://final-bucket/${SOURCE} at s3://final-bucket/${DEST} could not be confirmed: its content's MD5 (ETag) is ${copied}, the original's ${original}. The originals are kept`,
    );
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);

    // The same ETags where the original is SSE-KMS encrypted (its ETag is no MD5 of the content): confirmed.
    s3.on(HeadObjectCommand, { Key: SOURCE }).resolves({ ContentLength: 1024, ContentType: 'text/plain', ETag: original, ServerSideEncryption: 'aws:kms' });
    s3.on(HeadObjectCommand, { Key: DEST }).rejectsOnce(notFound()).resolves({ ContentLength: 1024, ETag: copied, Metadata: OWNER });
    await verifyRecording(input(), ctx);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });

  it('a run after every original was deleted (a retry whose first run finished) answers the copies and copies or deletes nothing', async () => {
    given(1024, '"e"');
    s3.on(HeadObjectCommand, { Key: SOURCE }).rejects(notFound());
    s3.on(HeadObjectCommand, { Key: DEST }).resolves({ ContentLength: 1024, ContentType: 'text/plain', ETag: '"e"', Metadata: OWNER });
    s3.on(HeadObjectCommand, { Key: MANIFEST }).resolves({ ContentLength: 10, Metadata: OWNER });
    const out = await verifyRecording(input(), ctx);
    expect(out.files).toEqual([{ artifact: 'data-channel', uri: `s3://final-bucket/${DEST}`, size: 1024, contentType: 'text/plain' }]);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).toEqual([MANIFEST]);
  });

  it("refuses a name holding a file that is no recording's copy, before copying anything", async () => {
    given(1024, '"e"');
    s3.on(HeadObjectCommand, { Key: DEST }).resolves({ ContentLength: 5, ETag: '"mine"' });
    const err = await verifyRecording(input(), ctx).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.name).toBe('FileNameTaken');
    expect(err?.message).toBe(
      `output.fileName names files that already exist and are not this recording's: s3://final-bucket/${DEST} (not a recording's copy). Nothing was overwritten; the finished files are kept under s3://final-bucket/recordings/rec-1/. Add {executionName} to output.fileName so that each recording's names differ, or move those files away`,
    );
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });
});
