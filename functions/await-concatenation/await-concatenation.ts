import { GetMediaPipelineCommand, type ChimeSDKMediaPipelinesClient } from '@aws-sdk/client-chime-sdk-media-pipelines';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { concatenationFailed, concatenationStopped } from '../lib/concatenation';
import { ConcatenationTimedOut } from '../lib/errors';
import type { MeetingRef, PipelineRef, Plan } from '../lib/schemas';
import { updateRecord, type RecordingStore } from '../lib/store';

/**
 * Runs as `lambda:invoke.waitForTaskToken`: stores the token (and where the files go) where the
 * meeting-event handler finds them, then checks the pipeline once, because its stop may have come
 * before the token was stored. The pipeline's chime:MediaPipelineDeleted resumes the execution; the
 * state machine re-enters this step when its TimeoutSeconds passes without a callback (the safety net
 * for a lost event), and the plan's maxChecks bounds that loop, so a concatenation that never finishes
 * (a known field failure) is reported instead of waited on forever.
 */
export async function awaitConcatenation(
  deps: { pipelines: ChimeSDKMediaPipelinesClient; s3: S3Client; sfn: SFNClient; store: RecordingStore },
  input: { taskToken: string; checkEnteredAt: string; plan: Plan; chimeMeeting: MeetingRef; concatenationPipeline: PipelineRef },
): Promise<{ outcome: string; checks: number }> {
  const { taskToken, plan, chimeMeeting, concatenationPipeline } = input;
  const pipelineId = concatenationPipeline.mediaPipelineId;
  const rec = await updateRecord(
    deps.store,
    chimeMeeting.meetingId,
    plan.executionId,
    { concatenationTaskToken: taskToken, concatenationBucket: plan.concatenation.bucket, concatenationPrefix: plan.concatenation.prefix },
    { count: { counter: 'concatenationChecks', enteredAt: input.checkEnteredAt } },
  );
  const checks = rec.concatenationChecks ?? 1;
  const out = await deps.pipelines.send(new GetMediaPipelineCommand({ MediaPipelineId: pipelineId }));
  const status = out.MediaPipeline?.MediaConcatenationPipeline?.Status ?? 'Unknown';
  if (status === 'Failed') {
    await concatenationFailed(deps.sfn, taskToken, pipelineId);
    return { outcome: 'failed', checks };
  }
  if (status === 'Stopped') {
    const outcome = await concatenationStopped(deps, taskToken, { pipelineId, bucket: plan.concatenation.bucket, prefix: plan.concatenation.prefix, checks });
    return { outcome, checks };
  }
  if (checks > plan.concatenation.maxChecks) {
    throw new ConcatenationTimedOut(
      `concatenation pipeline ${pipelineId} is still ${status} after ${checks - 1} checks; the raw chunks are kept under the capture prefix`,
    );
  }
  return { outcome: 'waiting', checks };
}
