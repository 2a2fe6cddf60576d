import { DeleteMeetingCommand, type ChimeSDKMeetingsClient } from '@aws-sdk/client-chime-sdk-meetings';
import { CreateMediaConcatenationPipelineCommand, DeleteMediaPipelineCommand, type ChimeSDKMediaPipelinesClient } from '@aws-sdk/client-chime-sdk-media-pipelines';
import { s3Arn } from '../lib/arns';
import { deleteIfExists, toWorkflowError } from '../lib/errors';
import { propagationRefusal } from '../lib/role-propagation';
import { captureStillRunning, concatenationCalls } from '../lib/meeting-end';
import type { MeetingRef, PipelineRef, Plan, RoleRef } from '../lib/schemas';
import { takeTurn, type CarriedSlot, type TurnDeps } from '../lib/quota';
import { updateRecord, type RecordingStore } from '../lib/store';
import { resourceTags } from '../lib/stack-tag';
import { clientRequestToken } from '../lib/tokens';

/**
 * Starts the concatenation pipeline that joins the capture's 5-second chunks into one file per artifact
 * type; it runs once the capture pipeline has stopped. When the recording ended with the meeting still
 * running (only pipeline attendees left, a stop request, the time limit), this step ends it first: a
 * meeting the workflow created is deleted (which stops its pipelines); of a meeting the application
 * created only our capture is stopped. Both are idempotent (NotFound means done), and a throttled call
 * is retried by the state machine.
 */
export async function startConcatenation(
  deps: { pipelines: ChimeSDKMediaPipelinesClient; meetings: ChimeSDKMeetingsClient; store: RecordingStore; partition: string; turn: TurnDeps },
  input: { plan: Plan; chimeMeeting: MeetingRef; capturePipeline: PipelineRef; meetingEnd: { reason: string; quotaWait?: CarriedSlot }; role: RoleRef },
): Promise<PipelineRef> {
  const { plan, chimeMeeting, capturePipeline } = input;
  const ending = captureStillRunning(input.meetingEnd.reason);
  // Both calls' slots at once (reserving the second only after the first would queue it behind the later
  // steps' calls of earlier recordings), reserved when the end was learnt, or after a QuotaWait.
  const carried = plan.quotaWait?.step === 'StartConcatenation' ? plan.quotaWait : input.meetingEnd.quotaWait;
  await takeTurn(deps.turn, 'StartConcatenation', concatenationCalls(input.meetingEnd.reason, chimeMeeting.created), carried);
  if (ending) {
    try {
      await deleteIfExists(
        chimeMeeting.created
          ? deps.meetings.send(new DeleteMeetingCommand({ MeetingId: chimeMeeting.meetingId }))
          : deps.pipelines.send(new DeleteMediaPipelineCommand({ MediaPipelineId: capturePipeline.mediaPipelineId })),
      );
    } catch (err) {
      throw toWorkflowError(err, chimeMeeting.created ? 'DeleteMeeting' : 'DeleteMediaPipeline');
    }
  }
  const enabled = (on: boolean) => (on ? 'Enabled' : 'Disabled');
  let pipeline;
  try {
    const out = await deps.pipelines.send(
      new CreateMediaConcatenationPipelineCommand({
        Sources: [
          {
            Type: 'MediaCapturePipeline',
            MediaCapturePipelineSourceConfiguration: {
              MediaPipelineArn: capturePipeline.mediaPipelineArn,
              ChimeSdkMeetingConfiguration: {
                ArtifactsConfiguration: {
                  Audio: { State: 'Enabled' },
                  Video: { State: enabled(plan.capture.video) },
                  Content: { State: enabled(plan.capture.content) },
                  DataChannel: { State: 'Enabled' },
                  TranscriptionMessages: { State: 'Enabled' },
                  MeetingEvents: { State: 'Enabled' },
                  CompositedVideo: { State: enabled(plan.capture.compositedVideo !== undefined) },
                },
              },
            },
          },
        ],
        Sinks: [{ Type: 'S3Bucket', S3BucketSinkConfiguration: { Destination: s3Arn(deps.partition, plan.concatenation.bucket, plan.concatenation.prefix) } }],
        ClientRequestToken: clientRequestToken(plan.executionId, 'StartConcatenation'),
        Tags: resourceTags(plan.tags),
      }),
    );
    pipeline = out.MediaConcatenationPipeline;
  } catch (err) {
    throw propagationRefusal(err, input.role, 'CreateMediaConcatenationPipeline') ?? toWorkflowError(err, 'CreateMediaConcatenationPipeline');
  }
  const ref = { mediaPipelineId: pipeline?.MediaPipelineId ?? '', mediaPipelineArn: pipeline?.MediaPipelineArn ?? '' };
  await updateRecord(deps.store, chimeMeeting.meetingId, plan.executionId, { status: 'CONCATENATING', concatenationPipelineId: ref.mediaPipelineId });
  return ref;
}
