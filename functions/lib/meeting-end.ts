import { DeleteMeetingCommand, type ChimeSDKMeetingsClient } from '@aws-sdk/client-chime-sdk-meetings';
import { DeleteMediaPipelineCommand, type ChimeSDKMediaPipelinesClient } from '@aws-sdk/client-chime-sdk-media-pipelines';
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { isNotFound } from './errors';
import { markMeetingEnded, type RecordingRecord, type RecordingStore } from './store';

/**
 * How the waiting execution learns that its meeting ended. Both the meeting-event handler and the
 * AwaitMeetingEnd step may observe the end (events arrive best effort, possibly before the token is
 * stored, possibly twice), so completing is idempotent: a used or expired token counts as done.
 */
export interface MeetingEndDeps {
  sfn: SFNClient;
  meetings: ChimeSDKMeetingsClient;
  pipelines: ChimeSDKMediaPipelinesClient;
  store: RecordingStore;
}

const SPENT_TOKEN = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

export async function completeToken(sfn: SFNClient, token: string, output: object): Promise<boolean> {
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
    return true;
  } catch (err) {
    if (err instanceof Error && SPENT_TOKEN.has(err.name)) return false;
    throw err;
  }
}

export async function failToken(sfn: SFNClient, token: string, error: string, cause: string): Promise<boolean> {
  try {
    await sfn.send(new SendTaskFailureCommand({ taskToken: token, error, cause }));
    return true;
  } catch (err) {
    if (err instanceof Error && SPENT_TOKEN.has(err.name)) return false;
    throw err;
  }
}

/** Records the end and resumes the execution if its token is stored (else AwaitMeetingEnd will see the mark). */
export async function meetingEnded(deps: MeetingEndDeps, meetingId: string, reason: string, at: string): Promise<RecordingRecord | undefined> {
  const rec = await markMeetingEnded(deps.store, meetingId, reason, at);
  if (rec?.taskToken) await completeToken(deps.sfn, rec.taskToken, { reason: rec.endReason ?? reason, endedAt: rec.meetingEndedAt ?? at });
  return rec;
}

/**
 * Ends the recording: when only media pipeline attendees remain (a capture pipeline counts as an
 * attendee, so such a meeting never ends by itself), or when asked to through the API. A meeting this
 * workflow created is deleted; an adopted meeting belongs to the application, so only our capture
 * pipeline is stopped. Either way the execution resumes at once, without waiting for the event.
 */
export async function endRecordingMeeting(deps: MeetingEndDeps, rec: RecordingRecord, at: string, reason = 'OnlyPipelineAttendeesRemain'): Promise<void> {
  // End first, record after: a failed deletion must leave the recording unmarked, so the event's retry
  // or the AwaitMeetingEnd re-check tries again, instead of concatenating while the capture still runs.
  // (The deletion's own MeetingEnded event may be recorded first; its reason then stands.)
  if (rec.createdMeeting) {
    await ignoreNotFound(deps.meetings.send(new DeleteMeetingCommand({ MeetingId: rec.meetingId })));
  } else if (rec.capturePipelineId) {
    await ignoreNotFound(deps.pipelines.send(new DeleteMediaPipelineCommand({ MediaPipelineId: rec.capturePipelineId })));
  }
  await meetingEnded(deps, rec.meetingId, reason, at);
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
