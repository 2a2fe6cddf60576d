import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { completeToken, failToken } from './meeting-end';

/**
 * How the waiting AwaitConcatenation step learns that its concatenation pipeline finished. Both the
 * step itself (a status check each time it stores a token) and the meeting-event handler (the
 * pipeline's chime:MediaPipelineDeleted) may observe it, in either order and possibly both, so the
 * completion is idempotent: a used token counts as done. The files are listed here, once, by whoever
 * observes the stop: a concatenation that stopped without writing anything fails the recording instead
 * of succeeding with nothing.
 */
export interface ConcatenationDone {
  /** How many times AwaitConcatenation stored a token (1 unless the event was lost). */
  checks: number;
  /** s3:// URIs of the concatenated files. */
  artifacts: string[];
}

export interface ConcatenationTarget {
  pipelineId: string;
  bucket: string;
  prefix: string;
  checks: number;
}

export async function concatenationStopped(deps: { sfn: SFNClient; s3: S3Client }, token: string, target: ConcatenationTarget): Promise<'succeeded' | 'no-files'> {
  const artifacts = await listArtifacts(deps.s3, target.bucket, target.prefix);
  if (artifacts.length === 0) {
    await failToken(deps.sfn, token, 'PipelineFailed', `concatenation pipeline ${target.pipelineId} stopped without writing files under s3://${target.bucket}/${target.prefix}/`);
    return 'no-files';
  }
  const output: ConcatenationDone = { checks: target.checks, artifacts };
  await completeToken(deps.sfn, token, output);
  return 'succeeded';
}

export async function concatenationFailed(sfn: SFNClient, token: string, pipelineId: string, why = 'failed'): Promise<void> {
  await failToken(sfn, token, 'PipelineFailed', `concatenation pipeline ${pipelineId} ${why}`);
}

async function listArtifacts(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix ? `${prefix}/` : undefined })) {
    keys.push(...(page.Contents ?? []).map((o) => o.Key ?? '').filter(Boolean));
  }
  return keys.sort().map((k) => `s3://${bucket}/${k}`);
}
