import type { ChimeSDKMediaPipelinesClient } from '@aws-sdk/client-chime-sdk-media-pipelines';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { settleConcatenation, type Settlement } from '../lib/concatenation';
import { pipelineState } from '../lib/pipelines';
import { spareSlot, type QuotaBudget } from '../lib/quota';
import { ConcatenationTimedOut, NothingCaptured } from '../lib/errors';
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
  deps: { pipelines: ChimeSDKMediaPipelinesClient; s3: S3Client; sfn: SFNClient; store: RecordingStore; budget: QuotaBudget },
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
  // The first check asks Chime only when its request budget has a call to spare now: in a burst of
  // meeting ends the concatenations' own calls come first, and the pipeline's events, or its files' S3
  // events, settle the wait anyway (a re-check asks whatever the budget, since it is the last resort).
  const state = checks > 1 || (await spareSlot({ store: deps.store, budget: deps.budget }, ['media-pipelines'])) ? await pipelineState(deps.pipelines, pipelineId) : 'Running';
  const target = { pipelineId, bucket: plan.concatenation.bucket, prefix: plan.concatenation.prefix, checks };
  const outcome = await settleConcatenation(deps, taskToken, target, state, { recheck: checks > 1 });
  // A re-check comes long after the capture's last chunks were written: a capture prefix still empty
  // means there was never anything to concatenate, whatever the concatenation says it is doing.
  if (outcome === 'waiting' && checks > 1 && !(await hasAnyObject(deps.s3, plan.capture.bucket, plan.capture.prefix))) {
    throw new NothingCaptured(`the capture pipeline wrote nothing under s3://${plan.capture.bucket}/${plan.capture.prefix}/ (the meeting ended before it could record, or it recorded nothing), so concatenation pipeline ${pipelineId} has nothing to join`);
  }
  if (outcome === 'waiting' && checks > plan.concatenation.maxChecks) {
    throw new ConcatenationTimedOut(`concatenation pipeline ${pipelineId} is still running after ${checks - 1} checks and has written no files; the raw chunks are kept under the capture prefix`);
  }
  return { outcome, checks };
}

async function hasAnyObject(s3: S3Client, bucket: string, prefix: string): Promise<boolean> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, MaxKeys: 1 }));
  return (out.KeyCount ?? out.Contents?.length ?? 0) > 0;
}
