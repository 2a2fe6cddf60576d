import {
  CreateMediaCapturePipelineCommand,
  type ArtifactsConfiguration,
  type ChimeSDKMediaPipelinesClient,
} from '@aws-sdk/client-chime-sdk-media-pipelines';
import { s3Arn } from '../lib/arns';
import { AccessDenied, MeetingNotFound, isNotFound, toWorkflowError } from '../lib/errors';
import { propagationRefusal } from '../lib/role-propagation';
import type { MeetingRef, PipelineRef, Plan, RoleRef } from '../lib/schemas';
import { takeTurn, type TurnDeps } from '../lib/quota';
import { updateRecord, type RecordingStore } from '../lib/store';
import { now } from '../lib/time';
import { captureStarted } from '../lib/metrics';
import { resourceTags } from '../lib/stack-tag';
import { clientRequestToken } from '../lib/tokens';

/** Starts the media capture pipeline (5-second chunks into the capture bucket) and records its id. */
export async function startCapture(
  deps: { pipelines: ChimeSDKMediaPipelinesClient; store: RecordingStore; partition: string; turn: TurnDeps },
  input: { plan: Plan; chimeMeeting: MeetingRef; role: RoleRef },
): Promise<PipelineRef> {
  const { plan, chimeMeeting, role } = input;
  await takeTurn(deps.turn, 'StartCapture', ['media-pipelines'], plan.quotaWait);
  let pipeline;
  try {
    const out = await deps.pipelines.send(
      new CreateMediaCapturePipelineCommand({
        SourceType: 'ChimeSdkMeeting',
        SourceArn: chimeMeeting.sourceArn,
        SinkType: 'S3Bucket',
        SinkArn: s3Arn(deps.partition, plan.capture.bucket, plan.capture.prefix),
        ClientRequestToken: clientRequestToken(plan.executionId, 'StartCapture'),
        ChimeSdkMeetingConfiguration: { ArtifactsConfiguration: artifactsConfiguration(plan) },
        SseAwsKeyManagementParams: plan.capture.kms
          ? { AwsKmsKeyId: plan.capture.kms.keyId, AwsKmsEncryptionContext: plan.capture.kms.encryptionContext }
          : undefined,
        SinkIamRoleArn: plan.capture.kms?.sinkIamRoleArn,
        Tags: resourceTags(plan.tags),
      }),
    );
    pipeline = out.MediaCapturePipeline;
  } catch (err) {
    throw pipelineError(err, role, chimeMeeting);
  }
  const ref = { mediaPipelineId: pipeline?.MediaPipelineId ?? '', mediaPipelineArn: pipeline?.MediaPipelineArn ?? '' };
  // Chime's own creation time: a retried call (same ClientRequestToken) answers the same pipeline and time.
  const captureStartedAt = (pipeline?.CreatedTimestamp ?? new Date(now())).toISOString();
  const rec = await updateRecord(deps.store, chimeMeeting.meetingId, plan.executionId, { capturePipelineId: ref.mediaPipelineId, captureStartedAt });
  captureStarted(rec.createdAt);
  return ref;
}

export function artifactsConfiguration(plan: Plan): ArtifactsConfiguration {
  const c = plan.capture;
  return {
    Audio: { MuxType: c.audio },
    Video: { State: c.video ? 'Enabled' : 'Disabled', MuxType: c.video ? 'VideoOnly' : undefined },
    Content: { State: c.content ? 'Enabled' : 'Disabled', MuxType: c.content ? 'ContentOnly' : undefined },
    CompositedVideo: c.compositedVideo
      ? {
          Layout: c.compositedVideo.layout,
          Resolution: c.compositedVideo.resolution,
          GridViewConfiguration: {
            ContentShareLayout: c.compositedVideo.contentShareLayout,
            PresenterOnlyConfiguration: c.compositedVideo.presenterPosition
              ? { PresenterPosition: c.compositedVideo.presenterPosition }
              : undefined,
          },
        }
      : undefined,
  };
}

/** Maps a pipeline-creation failure to what the state machine should do with it. */
export function pipelineError(err: unknown, role: RoleRef, meeting: MeetingRef): unknown {
  if (!(err instanceof Error)) return err;
  const propagating = propagationRefusal(err, role, 'CreateMediaCapturePipeline');
  if (propagating) return propagating;
  if (isNotFound(err)) return new MeetingNotFound(`meeting ${meeting.meetingId} no longer exists: ${err.message}`);
  const mapped = toWorkflowError(err, 'CreateMediaCapturePipeline');
  return mapped instanceof AccessDenied ? new AccessDenied(`${mapped.message} (the function needs chime:CreateMediaCapturePipeline and s3:GetBucketPolicy)`) : mapped;
}
