import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { FileNameTaken, awsErrorName, isNotFound } from '../lib/errors';
import { FILE_NAME_FIELD } from '../lib/file-names';

/**
 * Copying a verified file to its readable name (output.fileName) and removing the concatenation's
 * pipeline-id named original, so that VerifyRecording can be run again at any point (a Lambda retry
 * after a partial copy, or after some originals were deleted) and still finish without losing a file:
 * - each copy carries metadata naming its recording (OWNER_METADATA: the execution ARN), which is how a
 *   later run tells its own copy from another recording's file under the same name; a name held by
 *   anything else is never overwritten (FileNameTaken), and the copy itself is conditional
 *   (If-None-Match: *), so a file written there in between is not overwritten either;
 * - an original is deleted only after every copy is confirmed (confirmCopy in verify-recording.ts: size,
 *   metadata, ETags, and an MP4's duration) and the manifest written under its readable name;
 * - when an original is already gone, its confirmed copy stands for it.
 */

/** CopyObject copies at most 5 GiB ("to copy an object greater than 5 GB, you must use ... UploadPartCopy", S3 API Reference, CopyObject). */
const MAX_COPY_OBJECT_BYTES = 5 * 1024 ** 3;
/**
 * Part size of a multipart copy: 5 MiB to 5 GiB is allowed, at most 10,000 parts (S3 User Guide, "Amazon S3
 * multipart upload limits"). Parts are copied one after the other (see verify-recording.ts on concurrent
 * calls of one client), so a part is big enough to keep the calls few: a day-long FHD recording (~25 GB)
 * is 50 parts.
 */
const PART_BYTES = 512 * 1024 ** 2;
const MAX_PARTS = 10_000;
/** User metadata (x-amz-meta-recording-execution) naming the recording a copy belongs to: its URL-encoded execution ARN. */
export const OWNER_METADATA = 'recording-execution';

export interface Placement {
  bucket: string;
  /** The concatenation's key (pipeline-id named). */
  source: string;
  /** The readable key. */
  dest: string;
}

export interface Located extends Placement {
  sourceHead?: HeadObjectCommandOutput;
  destHead?: HeadObjectCommandOutput;
}

export function ownerTag(executionArn: string): string {
  return encodeURIComponent(executionArn);
}

export async function head(s3: S3Client, bucket: string, key: string): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (err) {
    if (isNotFound(err) || awsErrorName(err) === 'NotFound') return undefined;
    throw err;
  }
}

export function isOwnCopy(h: HeadObjectCommandOutput | undefined, executionArn: string): boolean {
  return h?.Metadata?.[OWNER_METADATA] === ownerTag(executionArn);
}

/**
 * Where each file is now, and whether its readable name (and the manifest's) is free or this recording's
 * own: FileNameTaken, before anything is copied, when one holds anything else.
 */
export async function locate(s3: S3Client, placements: Placement[], manifest: { bucket: string; key: string }, executionArn: string, keptAt: string): Promise<Located[]> {
  const located: Located[] = [];
  const taken: string[] = [];
  const check = (bucket: string, key: string, h: HeadObjectCommandOutput | undefined) => {
    if (!h || isOwnCopy(h, executionArn)) return;
    const owner = h.Metadata?.[OWNER_METADATA];
    taken.push(`s3://${bucket}/${key} (${owner ? `recording ${decodeURIComponent(owner)}` : "not a recording's copy"})`);
  };
  for (const p of placements) {
    const destHead = await head(s3, p.bucket, p.dest);
    check(p.bucket, p.dest, destHead);
    located.push({ ...p, destHead, sourceHead: await head(s3, p.bucket, p.source) });
  }
  check(manifest.bucket, manifest.key, await head(s3, manifest.bucket, manifest.key));
  if (taken.length > 0) throw fileNameTaken(taken, keptAt);
  return located;
}

function fileNameTaken(keys: string[], keptAt: string): FileNameTaken {
  return new FileNameTaken(
    `${FILE_NAME_FIELD} names files that already exist and are not this recording's: ${keys.join('; ')}. Nothing was overwritten; the finished files are kept under ${keptAt}. Add {executionName} to ${FILE_NAME_FIELD} so that each recording's names differ, or move those files away`,
  );
}

/**
 * Copies the source to its readable name (CopyObject, or a multipart copy above MAX_COPY_OBJECT_BYTES)
 * with the recording's metadata, and answers the copy's ETag. `replace` when the destination is this
 * recording's own earlier copy, which may then be written over; otherwise the write is conditional.
 */
export async function copy(s3: S3Client, p: Placement, size: number, contentType: string, executionArn: string, replace: boolean, keptAt: string): Promise<string> {
  const CopySource = `${p.bucket}/${p.source.split('/').map(encodeURIComponent).join('/')}`;
  const Metadata = { [OWNER_METADATA]: ownerTag(executionArn) };
  const IfNoneMatch = replace ? undefined : '*';
  try {
    if (size <= MAX_COPY_OBJECT_BYTES) {
      const out = await s3.send(new CopyObjectCommand({ Bucket: p.bucket, Key: p.dest, CopySource, MetadataDirective: 'REPLACE', ContentType: contentType, Metadata, IfNoneMatch }));
      return out.CopyObjectResult?.ETag ?? '';
    }
    return await multipartCopy(s3, p, CopySource, size, contentType, Metadata, IfNoneMatch);
  } catch (err) {
    // 412: something was written under the name since it was looked at.
    if (awsErrorName(err) === 'PreconditionFailed') throw fileNameTaken([`s3://${p.bucket}/${p.dest} (written while this recording copied to it)`], keptAt);
    throw err;
  }
}

async function multipartCopy(s3: S3Client, p: Placement, CopySource: string, size: number, ContentType: string, Metadata: Record<string, string>, IfNoneMatch: string | undefined): Promise<string> {
  const partBytes = Math.max(PART_BYTES, Math.ceil(size / MAX_PARTS));
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: p.bucket, Key: p.dest, ContentType, Metadata }));
  try {
    const Parts: Array<{ PartNumber: number; ETag: string }> = [];
    for (let start = 0, PartNumber = 1; start < size; start += partBytes, PartNumber += 1) {
      const end = Math.min(start + partBytes, size) - 1;
      const out = await s3.send(new UploadPartCopyCommand({ Bucket: p.bucket, Key: p.dest, UploadId, PartNumber, CopySource, CopySourceRange: `bytes=${start}-${end}` }));
      Parts.push({ PartNumber, ETag: out.CopyPartResult?.ETag ?? '' });
    }
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: p.bucket, Key: p.dest, UploadId, MultipartUpload: { Parts }, IfNoneMatch }));
    return done.ETag ?? '';
  } catch (err) {
    // The parts cost storage until aborted; the failure itself is what the caller needs to see.
    await s3.send(new AbortMultipartUploadCommand({ Bucket: p.bucket, Key: p.dest, UploadId })).catch(() => undefined);
    throw err;
  }
}

export async function deleteOriginal(s3: S3Client, p: Placement): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: p.bucket, Key: p.source }));
}
