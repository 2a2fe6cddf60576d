import { GetMediaPipelineCommand, type ChimeSDKMediaPipelinesClient } from '@aws-sdk/client-chime-sdk-media-pipelines';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ConcatenationTimedOut, PipelineFailed } from '../lib/errors';
import type { PipelineRef, Plan } from '../lib/schemas';

export interface ConcatenationStatus {
  done: boolean;
  status: string;
  polls: number;
  /** s3:// URIs of the concatenated files, once done. */
  artifacts: string[];
}

/**
 * One poll of the concatenation pipeline, between the state machine's Wait states. Stopped means done
 * (the files are then listed and must exist); Failed fails the recording; the loop is bounded by the
 * plan's maxPolls so a concatenation that never finishes is reported instead of waited on forever.
 */
export async function pollConcatenation(
  deps: { pipelines: ChimeSDKMediaPipelinesClient; s3: S3Client },
  input: { plan: Plan; concatenationPipeline: PipelineRef; concatenationStatus?: { polls: number } },
): Promise<ConcatenationStatus> {
  const { plan, concatenationPipeline } = input;
  const polls = (input.concatenationStatus?.polls ?? 0) + 1;
  const out = await deps.pipelines.send(new GetMediaPipelineCommand({ MediaPipelineId: concatenationPipeline.mediaPipelineId }));
  const status = out.MediaPipeline?.MediaConcatenationPipeline?.Status ?? 'Unknown';
  if (status === 'Failed') throw new PipelineFailed(`concatenation pipeline ${concatenationPipeline.mediaPipelineId} failed`);
  if (status === 'Stopped') {
    const artifacts = await listArtifacts(deps.s3, plan.concatenation.bucket, plan.concatenation.prefix);
    if (artifacts.length === 0) {
      throw new PipelineFailed(`concatenation pipeline ${concatenationPipeline.mediaPipelineId} stopped without writing files under s3://${plan.concatenation.bucket}/${plan.concatenation.prefix}/`);
    }
    return { done: true, status, polls, artifacts };
  }
  if (polls >= plan.concatenation.maxPolls) {
    throw new ConcatenationTimedOut(
      `concatenation pipeline ${concatenationPipeline.mediaPipelineId} is still ${status} after ${polls} polls; the raw chunks are kept under the capture prefix`,
    );
  }
  return { done: false, status, polls, artifacts: [] };
}

async function listArtifacts(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix ? `${prefix}/` : undefined, ContinuationToken: token }));
    keys.push(...(out.Contents ?? []).map((o) => o.Key ?? '').filter(Boolean));
    token = out.NextContinuationToken;
  } while (token);
  return keys.sort().map((k) => `s3://${bucket}/${k}`);
}
