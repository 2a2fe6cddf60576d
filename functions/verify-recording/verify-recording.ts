import { HeadObjectCommand, PutObjectCommand, paginateListObjectsV2, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { IncompleteRecording } from '../lib/errors';
import { fileKey, MANIFEST_ARTIFACT } from '../lib/file-names';
import { mp4Info, NotAnMp4 } from '../lib/mp4';
import type { MeetingRef, PipelineRef, Plan, RecordingFile, VerifiedRecording } from '../lib/schemas';
import { getRecord, type EndFoundBy, type RecordingStore } from '../lib/store';
import { copy, deleteOriginal, head, isOwnCopy, locate, OWNER_METADATA, ownerTag, type Located } from './readable-names';

/**
 * Before a recording is called SUCCEEDED: what the finished files are, and whether they are whole. Each
 * MP4's duration is read from its header (ranged reads, ../lib/mp4.ts) and the meeting-long ones (the
 * audio and the composited video, which run from the capture's start to its end) are compared with the
 * captured span, less one chunk (the capture writes 5-second chunks, the last one cut short or not
 * written). The span starts at the first audio chunk's start (a chunk's name is its UTC start time,
 * "Understanding the Amazon S3 bucket folder structure", Chime SDK developer guide) and ends when the
 * meeting did, when an event or a stop request said when; when only a later check found it over, the end
 * is not known, and the last chunk's end stands in (chunks lost in the middle still show as a gap). Per-attendee video and content
 * share cover only part of the meeting: their durations are reported, not compared. Then the manifest,
 * recording.json, goes next to the files.
 *
 * With output.fileName, each file is then copied to its readable name, confirmed, and its pipeline-id
 * named original deleted (./readable-names.ts), all within this step: a recording without the option
 * makes no other call and no other state transition. The manifest is named by the template too, with
 * {artifact} "recording" and ".json", and it, the result and everything after (Cleanup's summary, the
 * events, the table, the API's links) name the readable keys.
 */

/** A capture chunk's length: the most a whole file may fall short of the captured span. */
export const CHUNK_SECONDS = 5;
/** Concatenated artifacts that span the whole capture (the sink's folder names). */
const MEETING_LONG = new Set(['audio', 'composited-video']);

export interface VerifyInput {
  plan: Plan;
  chimeMeeting: MeetingRef;
  meetingEnd?: { reason: string; endedAt?: string; foundBy?: EndFoundBy };
  concatenationStatus: { artifacts: string[] };
  /** The concatenation whose files these are: only files named after it are given readable names. */
  concatenationPipeline?: PipelineRef;
}

export async function verifyRecording(deps: { s3: S3Client; store: RecordingStore }, input: VerifyInput): Promise<VerifiedRecording> {
  const { plan, chimeMeeting, meetingEnd } = input;
  const chunks = await audioChunkStarts(deps.s3, plan.capture.bucket, plan.capture.prefix);
  const startedAt = chunks.length > 0 ? new Date(chunks[0]!).toISOString() : undefined;
  const lastChunkEnd = chunks.length > 0 ? new Date(chunks[chunks.length - 1]! + CHUNK_SECONDS * 1000).toISOString() : undefined;
  const endKnown = meetingEnd?.endedAt !== undefined && meetingEnd.foundBy !== 'check';
  const spanEnd = endKnown ? meetingEnd?.endedAt : lastChunkEnd;
  const endedAt = meetingEnd?.endedAt ?? lastChunkEnd;
  const capturedSeconds = startedAt && spanEnd ? Math.max(0, (Date.parse(spanEnd) - Date.parse(startedAt)) / 1000) : undefined;
  const keptAt = `s3://${plan.concatenation.bucket}/${plan.concatenation.prefix}/`;
  const template = plan.output?.fileName;
  const values = { externalMeetingId: plan.externalMeetingId ?? chimeMeeting.externalMeetingId ?? chimeMeeting.meetingId, startedAt: startedAt ?? endedAt, executionName: plan.executionName };
  const manifestKey = template ? fileKey(template, values, MANIFEST_ARTIFACT, '.json') : `${plan.concatenation.prefix}/recording.json`;
  const sources = input.concatenationStatus.artifacts.map((uri) => {
    const { bucket, key } = parseS3Uri(uri);
    return { bucket, key, artifact: key.slice(plan.concatenation.prefix.length + 1).split('/')[0] ?? '' };
  });
  // Only this concatenation's own files (named after its pipeline id) are copied and deleted: a prefix
  // given in the request may be shared with other recordings, whose files its listing then includes.
  const pipelineId = input.concatenationPipeline?.mediaPipelineId;
  const ofThisConcatenation = (key: string) => pipelineId === undefined || key.slice(key.lastIndexOf('/') + 1).startsWith(`${pipelineId}.`);
  const placements = template ? sources.filter((f) => ofThisConcatenation(f.key)).map((f) => ({ bucket: f.bucket, source: f.key, dest: fileKey(template, values, f.artifact, extension(f.key)) })) : [];
  const located = template ? await locate(deps.s3, placements, { bucket: plan.concatenation.bucket, key: manifestKey }, plan.executionId, keptAt) : [];
  const locatedBy = new Map(located.map((l) => [l.source, l]));
  // One file at a time (here and in every S3 call below): the S3 client follows a bucket's region
  // redirect by swapping its own region for the call, and concurrent calls on one client then fail
  // ("Region was not restored following S3 region redirect", @aws-sdk/middleware-sdk-s3); a meeting in
  // another region has its buckets there.
  const files: RecordingFile[] = [];
  for (const f of sources) {
    const l = locatedBy.get(f.key);
    files.push(await describeFile(deps.s3, plan, f.bucket, l ? readableKey(l, plan.executionId) : f.key, f.artifact));
  }
  if (capturedSeconds !== undefined) {
    const short = files.filter((f) => MEETING_LONG.has(f.artifact) && (f.durationSeconds ?? 0) < capturedSeconds - CHUNK_SECONDS);
    if (short.length > 0) {
      const found = short.map((f) => `${f.uri} is ${f.durationSeconds ?? 0} s`).join('; ');
      throw new IncompleteRecording(`expected at least ${capturedSeconds - CHUNK_SECONDS} s (captured ${capturedSeconds} s from ${startedAt} to ${spanEnd}, less one ${CHUNK_SECONDS}-second chunk); found: ${found}. The raw chunks are kept under s3://${plan.capture.bucket}/${plan.capture.prefix}/`);
    }
  }
  const rec = await getRecord(deps.store, chimeMeeting.meetingId);
  const participants = [...new Set(Object.values(rec?.presence ?? {}).flatMap((p) => (p.externalUserId ? [p.externalUserId] : [])))].sort();
  for (const [i, f] of sources.entries()) {
    const l = locatedBy.get(f.key);
    if (!l) continue;
    const file = files[i]!;
    // An original already gone was deleted after its copy was confirmed (an earlier run of this step).
    if (l.sourceHead) {
      const size = l.sourceHead.ContentLength ?? 0;
      const ownCopy = isOwnCopy(l.destHead, plan.executionId);
      const etag = ownCopy && l.destHead?.ContentLength === size ? (l.destHead.ETag ?? '') : await copy(deps.s3, l, size, file.contentType, plan.executionId, ownCopy, keptAt);
      await confirmCopy(deps.s3, l, file, etag, plan.executionId);
    }
    files[i] = { ...file, uri: `s3://${l.bucket}/${l.dest}` };
  }
  const verified: VerifiedRecording = {
    manifest: `s3://${plan.concatenation.bucket}/${manifestKey}`,
    startedAt,
    endedAt,
    endReason: meetingEnd?.reason,
    capturedSeconds,
    files,
    participants,
    rawChunks: `s3://${plan.capture.bucket}/${plan.capture.prefix}/`,
  };
  const manifest = {
    version: '1',
    executionArn: plan.executionId,
    executionName: plan.executionName,
    meetingId: chimeMeeting.meetingId,
    externalMeetingId: plan.externalMeetingId ?? chimeMeeting.externalMeetingId,
    ...verified,
    // Cleanup deletes them after a verified success unless keepRawChunks; a failure always keeps them.
    rawChunksKept: plan.keepRawChunks,
  };
  const owner = template ? { Metadata: { [OWNER_METADATA]: ownerTag(plan.executionId) } } : {};
  await deps.s3.send(new PutObjectCommand({ Bucket: plan.concatenation.bucket, Key: manifestKey, Body: `${JSON.stringify(manifest, null, 2)}\n`, ContentType: 'application/json', ...owner }));
  for (const l of located) if (l.sourceHead) await deleteOriginal(deps.s3, l);
  return verified;
}

/** Where a file is read from: its original while it exists, else this recording's confirmed copy. */
function readableKey(l: Located, executionArn: string): string {
  if (l.sourceHead) return l.source;
  if (l.destHead && isOwnCopy(l.destHead, executionArn)) return l.dest;
  throw new IncompleteRecording(`s3://${l.bucket}/${l.source} is gone and its copy s3://${l.bucket}/${l.dest} is not there`);
}

/**
 * A copy is confirmed when a HEAD of it answers the original's size, this recording's metadata and the
 * ETag the copy answered, the original's content MD5 where both ETags are one, and (MP4) its header
 * gives the duration the original's did. Otherwise the
 * originals stay and the recording fails.
 */
async function confirmCopy(s3: S3Client, l: Located, file: RecordingFile, etag: string, executionArn: string): Promise<void> {
  const copied = await head(s3, l.bucket, l.dest);
  const size = l.sourceHead?.ContentLength;
  const problems: string[] = [];
  if (!copied) problems.push('it is not there');
  else {
    if (copied.ContentLength !== size) problems.push(`it is ${copied.ContentLength} bytes, the original ${size}`);
    if (!isOwnCopy(copied, executionArn)) problems.push('its metadata does not name this recording');
    if (copied.ETag !== etag) problems.push(`its ETag is ${copied.ETag}, the copy answered ${etag}`);
    if (isContentMd5(l.sourceHead) && isContentMd5(copied) && copied.ETag !== l.sourceHead?.ETag) problems.push(`its content's MD5 (ETag) is ${copied.ETag}, the original's ${l.sourceHead?.ETag}`);
  }
  if (problems.length === 0 && file.durationSeconds !== undefined) {
    const { durationSeconds } = await mp4Info(s3, l.bucket, l.dest);
    if (durationSeconds !== file.durationSeconds) problems.push(`it lasts ${durationSeconds} s, the original ${file.durationSeconds} s`);
  }
  if (problems.length > 0) {
    throw new IncompleteRecording(`the copy of s3://${l.bucket}/${l.source} at s3://${l.bucket}/${l.dest} could not be confirmed: ${problems.join('; ')}. The originals are kept`);
  }
}

/**
 * Whether an object's ETag is the MD5 of its content: "Objects created by the PUT Object, POST Object, or
 * Copy operation, or through the AWS Management Console, and are encrypted by SSE-S3 or plaintext, have
 * ETags that are an MD5 digest of their object data" (S3 API Reference, Object data type); a multipart
 * object's (`...-N`) and an SSE-KMS or SSE-C one's are not.
 */
function isContentMd5(h: HeadObjectCommandOutput | undefined): boolean {
  return /^"[0-9a-f]{32}"$/.test(h?.ETag ?? '') && (h?.ServerSideEncryption === undefined || h.ServerSideEncryption === 'AES256') && h?.SSECustomerAlgorithm === undefined;
}

/** A key's extension with its dot (`.mp4`), or '' when it has none. */
function extension(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}

/** The start (epoch ms) of each audio chunk the capture wrote, in order (a day of 5-second chunks is 18 pages). */
async function audioChunkStarts(s3: S3Client, bucket: string, prefix: string): Promise<number[]> {
  const starts: number[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: `${prefix}/audio/` })) {
    for (const o of page.Contents ?? []) {
      const m = /^(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{3})/.exec(o.Key?.split('/').pop() ?? '');
      if (!m) continue;
      const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
      starts.push(Date.UTC(y, mo - 1, d, h, mi, s, ms));
    }
  }
  return starts.sort((a, b) => a - b);
}

async function describeFile(s3: S3Client, plan: Plan, bucket: string, key: string, artifact: string): Promise<RecordingFile> {
  const uri = `s3://${bucket}/${key}`;
  if (key.endsWith('.mp4')) {
    try {
      const { size, durationSeconds, hasVideo } = await mp4Info(s3, bucket, key);
      // The audio folder's files carry the active speaker's video unless the mux type is AudioOnly.
      return { artifact, uri, size, contentType: hasVideo ? 'video/mp4' : 'audio/mp4', durationSeconds };
    } catch (err) {
      if (err instanceof NotAnMp4) throw new IncompleteRecording(`${err.message}. The raw chunks are kept under s3://${plan.capture.bucket}/${plan.capture.prefix}/`);
      throw err;
    }
  }
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return { artifact, uri, size: head.ContentLength ?? 0, contentType: head.ContentType ?? 'application/octet-stream' };
}

function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: m[1]!, key: m[2]! };
}
