import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { completeToken, failToken } from './meeting-end';
import type { PipelineState } from './pipelines';

/**
 * How the waiting AwaitConcatenation step learns that its concatenation pipeline finished. AWS documents
 * neither how a concatenation announces its end nor how it looks once done (local/core/behaviours.ts),
 * so every signal counts and any of them settles the wait, in whichever order they come, possibly
 * several times (a used token counts as done):
 * - the step's own status check each time it stores a token (the first, and each re-check after its
 *   TimeoutSeconds);
 * - the pipeline's chime:MediaPipelineDeleted or chime:MediaPipelinePermanentFailure, with or without
 *   the meeting's id (the recording is found by pipeline id);
 * - S3's Object Created for a file of its output, where the bucket sends events to EventBridge.
 * A stopped pipeline and one GetMediaPipeline no longer finds are the same: done. One still InProgress
 * is done too once its files are there at a re-check (concatenations have been seen to stay InProgress
 * for days after writing them). The files are listed by whoever settles it: none means it failed.
 */
export interface ConcatenationDone {
  /** How many times AwaitConcatenation was entered (1 unless the wait timed out). */
  checks: number;
  /** s3:// URIs of the concatenated files. */
  artifacts: string[];
  /** It wrote its files but still says InProgress: Cleanup asks it to stop. */
  stillRunning?: true;
}

export interface ConcatenationTarget {
  pipelineId: string;
  bucket: string;
  prefix: string;
  checks: number;
}

export type Settlement = 'succeeded' | 'no-files' | 'failed' | 'waiting';

/**
 * Settles the wait (resume with the files, or fail it) when what is known says the concatenation is
 * over; `recheck` when the step itself looks again after its wait timed out.
 */
export async function settleConcatenation(
  deps: { sfn: SFNClient; s3: S3Client },
  token: string,
  target: ConcatenationTarget,
  state: PipelineState,
  opts: { recheck: boolean },
): Promise<Settlement> {
  if (state === 'Failed') {
    await failToken(deps.sfn, token, 'PipelineFailed', `concatenation pipeline ${target.pipelineId} failed`);
    return 'failed';
  }
  if (state === 'Running' && !opts.recheck) return 'waiting';
  const artifacts = await listArtifacts(deps.s3, target.bucket, target.prefix);
  if (state === 'Running' && artifacts.length === 0) return 'waiting';
  if (artifacts.length === 0) {
    await failToken(deps.sfn, token, 'PipelineFailed', `concatenation pipeline ${target.pipelineId} stopped without writing files under s3://${target.bucket}/${target.prefix}/`);
    return 'no-files';
  }
  const output: ConcatenationDone = { checks: target.checks, artifacts, ...(state === 'Running' ? { stillRunning: true as const } : {}) };
  await completeToken(deps.sfn, token, output);
  return 'succeeded';
}

async function listArtifacts(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix ? `${prefix}/` : undefined })) {
    keys.push(...(page.Contents ?? []).map((o) => o.Key ?? '').filter(Boolean));
  }
  return keys.sort().map((k) => `s3://${bucket}/${k}`);
}
