import type { ChimeSDKMediaPipelinesClient } from '@aws-sdk/client-chime-sdk-media-pipelines';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { settleConcatenation, type Settlement } from '../lib/concatenation';
import { pipelineState } from '../lib/pipelines';
import { ConcatenationTimedOut } from '../lib/errors';
import type { MeetingRef, PipelineRef, Plan } from '../lib/schemas';
import { updateRecord, type RecordingStore } from '../lib/store';

/**
 * Runs as `lambda:invoke.waitForTaskToken`: stores the token (and where the files go) where the
 * meeting-event handler finds them, then checks the pipeline once, because its end may have come
 * before the token was stored (or may never be announced: functions/lib/concatenation.ts). The state
 * machine re-enters this step when its TimeoutSeconds passes without a callback; each re-check also
 * accepts files already written by a concatenation that still says InProgress, and the plan's maxChecks
 * bounds the loop, so a concatenation that never finishes (a known field failure) is reported instead of
 * waited on forever.
 */
export async function awaitConcatenation(
  deps: { pipelines: ChimeSDKMediaPipelinesClient; s3: S3Client; sfn: SFNClient; store: RecordingStore },
  input: { taskToken: string; checkEnteredAt: string; plan: Plan; chimeMeeting: MeetingRef; concatenationPipeline: PipelineRef },
): Promise<{ outcome: Settlement; checks: number }> {
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
  const state = await pipelineState(deps.pipelines, pipelineId);
  const target = { pipelineId, bucket: plan.concatenation.bucket, prefix: plan.concatenation.prefix, checks };
  const outcome = await settleConcatenation(deps, taskToken, target, state, { recheck: checks > 1 });
  if (outcome === 'waiting' && checks > plan.concatenation.maxChecks) {
    throw new ConcatenationTimedOut(`concatenation pipeline ${pipelineId} is still running after ${checks - 1} checks and has written no files; the raw chunks are kept under the capture prefix`);
  }
  return { outcome, checks };
}
