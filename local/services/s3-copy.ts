import { createHash } from 'node:crypto';
import { ServiceError } from '../core/service';

/**
 * The rules of S3's server-side copies (CopyObject, UploadPartCopy) and multipart uploads that do not
 * depend on the emulator's state, from the S3 API Reference and the service model (botocore
 * data/s3/2006-03-01/service-2.json):
 * - "You create a copy of your object up to 5 GB in size in a single atomic action using this API.
 *   However, to copy an object greater than 5 GB, you must use the multipart upload Upload Part - Copy
 *   (UploadPartCopy) API" (CopyObject). A larger source is refused with 400 InvalidRequest "The specified
 *   copy source is larger than the maximum allowable size for a copy source: 5368709120" (the wording S3
 *   answers, as quoted in e.g. hashicorp/terraform-provider-aws#38102 and versity/versitygw#1896).
 * - x-amz-copy-source: "the name of the source bucket and the key of the source object, separated by a
 *   slash (/) ... The value must be URL-encoded" (CopyObjectRequest.CopySource).
 * - x-amz-copy-source-range: "must use the form bytes=first-last, where the first and last are the
 *   zero-based byte offsets to copy ... You can copy a range only if the source object is greater than
 *   5 MB" (UploadPartCopyRequest.CopySourceRange); otherwise InvalidRequest "The specified copy source is
 *   not supported as a byte-range copy source" (UploadPartCopy, special errors).
 * - Part numbers: "a positive integer between 1 and 10,000" (UploadPartCopyRequest.PartNumber).
 * - "Each part must be at least 5 MB in size, except the last part" (CompleteMultipartUpload,
 *   EntityTooSmall); S3's limits table gives 5 MiB to 5 GiB per part.
 */

/** CopyObject's largest source, and a copied part's largest size: 5 GiB. */
export const MAX_COPY_SOURCE_BYTES = 5 * 1024 ** 3;
/** The smallest part but the last; also the smallest source a ranged part copy accepts ("greater than 5 MB"). */
export const MIN_PART_BYTES = 5 * 1024 ** 2;
export const MAX_PART_NUMBER = 10_000;

export interface CopySource {
  bucket: string;
  key: string;
}

/** Bucket and key of `x-amz-copy-source` (`bucket/key` or `/bucket/key`, URL-encoded). */
export function parseCopySource(header: string): CopySource {
  const [path = '', query] = header.split('?');
  // Versions are not emulated (buckets here are never versioned); saying so beats copying the wrong version.
  if (query !== undefined && query !== '') throw new ServiceError('NotImplemented', 501, 'The local cloud does not emulate object versions (x-amz-copy-source with ?versionId=).');
  const trimmed = path.startsWith('/') ? path.slice(1) : path;
  const slash = trimmed.indexOf('/');
  let bucket = '';
  let key = '';
  try {
    bucket = decodeURIComponent(trimmed.slice(0, slash));
    key = decodeURIComponent(trimmed.slice(slash + 1));
  } catch {
    // Left empty: refused below.
  }
  if (slash <= 0 || !bucket || !key) throw new ServiceError('InvalidArgument', 400, 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source', ArgumentValue: header });
  return { bucket, key };
}

export function copySourceTooLarge(): ServiceError {
  return new ServiceError('InvalidRequest', 400, `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_SOURCE_BYTES}`);
}

/** Refuses a CopyObject source above 5 GiB (use a multipart copy). */
export function checkCopyObjectSource(size: number): void {
  if (size > MAX_COPY_SOURCE_BYTES) throw copySourceTooLarge();
}

/** The bytes an UploadPartCopy takes from a source of `size` bytes: the range, or the whole source. */
export function copyPartRange(header: string | undefined, size: number): { start: number; end: number } {
  if (header === undefined) {
    if (size > MAX_COPY_SOURCE_BYTES) throw copySourceTooLarge();
    return { start: 0, end: size - 1 };
  }
  const match = /^bytes=(\d+)-(\d+)$/.exec(header.trim());
  const start = Number(match?.[1]);
  const end = Number(match?.[2]);
  if (!match || start > end) {
    throw new ServiceError('InvalidArgument', 400, 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', {
      ArgumentName: 'x-amz-copy-source-range',
      ArgumentValue: header,
    });
  }
  if (size <= MIN_PART_BYTES) throw new ServiceError('InvalidRequest', 400, 'The specified copy source is not supported as a byte-range copy source.');
  // A range past the source's end: the reference gives no error code for it; InvalidRange is S3's code for
  // a range it cannot satisfy (GetObject).
  if (end >= size) throw new ServiceError('InvalidRange', 416, 'The requested range is not satisfiable', { RangeRequested: header, ActualObjectSize: size });
  if (end - start + 1 > MAX_COPY_SOURCE_BYTES) throw copySourceTooLarge();
  return { start, end };
}

export function checkPartNumber(raw: string | null): number {
  const n = Number(raw);
  if (raw === null || !/^\d+$/.test(raw) || n < 1 || n > MAX_PART_NUMBER) {
    throw new ServiceError('InvalidArgument', 400, `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: raw ?? '' });
  }
  return n;
}

/**
 * A multipart object's ETag: the MD5 of the concatenated binary MD5s of its parts, a dash, and the number
 * of parts ("Checking object integrity", S3 User Guide: "the ETag ... is not an MD5 digest of the
 * object"; the form is what S3 returns for unencrypted and SSE-S3 objects).
 */
export function multipartEtag(partEtags: string[]): string {
  const digests = Buffer.concat(partEtags.map((e) => Buffer.from(e.replace(/"/g, ''), 'hex')));
  return `"${createHash('md5').update(digests).digest('hex')}-${partEtags.length}"`;
}

export function noSuchUpload(uploadId: string): ServiceError {
  return new ServiceError('NoSuchUpload', 404, 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
}

/**
 * Conditional writes (CopyObject and CompleteMultipartUpload's If-None-Match): "Expects the '*'
 * (asterisk) character"; with it, an existing key is 412 Precondition Failed.
 */
export function checkIfNoneMatch(header: string | undefined, exists: boolean): void {
  if (header === undefined) return;
  if (header.trim() !== '*') throw new ServiceError('NotImplemented', 501, 'A header you provided implies functionality that is not implemented', { Header: 'If-None-Match' });
  if (exists) throw new ServiceError('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });
}
