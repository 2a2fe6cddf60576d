import type { S3Client } from '@aws-sdk/client-s3';
import { concatenationFailed, concatenationStopped } from '../lib/concatenation';
import { failToken, meetingEnded, type MeetingEndDeps } from '../lib/meeting-end';
import { getRecord, presentHumans, recordPresence, type RecordingRecord } from '../lib/store';

/**
 * EventBridge target for Chime meeting and media pipeline state changes. It keeps the attendee presence
 * of recorded meetings, resumes the waiting execution when the meeting ends or once only media pipeline
 * attendees remain (StartConcatenation then ends the meeting: this handler makes no Chime call, so no
 * throttled call can keep a recording from moving on or send its event to the dead-letter queue),
 * fails the wait when the capture pipeline fails for good, moves on to concatenation when the capture
 * pipeline is deleted while the meeting goes on, and resumes the concatenation wait when the
 * concatenation pipeline stops (with its files listed) or fails.
 * Events for meetings this stack does not record are ignored; duplicates and reordering are harmless
 * (conditional writes by event timestamp, idempotent token completion).
 */
export interface ChimeEvent {
  'detail-type': string;
  time?: string;
  detail: {
    eventType: string;
    meetingId?: string;
    attendeeId?: string;
    externalUserId?: string;
    mediaPipelineId?: string;
    timestamp?: number;
  };
}

export async function handleChimeEvent(deps: MeetingEndDeps & { s3: S3Client }, event: ChimeEvent): Promise<{ action: string }> {
  const { eventType, meetingId, attendeeId, externalUserId, mediaPipelineId } = event.detail;
  if (!meetingId) return { action: 'ignored: no meetingId' };
  const at = event.detail.timestamp ?? (Date.parse(event.time ?? '') || Date.now());
  const iso = new Date(at).toISOString();
  switch (eventType) {
    case 'chime:MeetingEnded': {
      const rec = await meetingEnded(deps, meetingId, 'MeetingEnded', iso);
      return { action: rec ? 'meeting-ended' : 'ignored: not recording' };
    }
    case 'chime:AttendeeJoined':
    case 'chime:AttendeeLeft':
    case 'chime:AttendeeDeleted':
    case 'chime:AttendeeDropped': {
      // Pipeline attendees (aws:MediaPipeline-...) are ours; only people count as presence.
      if (!attendeeId || externalUserId?.startsWith('aws:')) return { action: 'ignored: pipeline attendee' };
      const present = eventType === 'chime:AttendeeJoined';
      const rec = await recordPresence(deps.store, meetingId, attendeeId, present, at);
      if (!rec) return { action: 'ignored: not recording or stale' };
      // A drop may be a network blip followed by a rejoin; the AwaitMeetingEnd re-check handles it.
      const explicitLeave = eventType === 'chime:AttendeeLeft' || eventType === 'chime:AttendeeDeleted';
      if (explicitLeave && rec.status === 'RECORDING' && !rec.meetingEndedAt && presentHumans(rec).length === 0) {
        await meetingEnded(deps, meetingId, 'OnlyPipelineAttendeesRemain', iso);
        return { action: 'ended: only pipeline attendees remain' };
      }
      return { action: present ? 'attendee-present' : 'attendee-absent' };
    }
    case 'chime:MediaPipelinePermanentFailure': {
      const rec = await getRecord(deps.store, meetingId);
      if (rec && isWaitingConcatenation(rec, mediaPipelineId)) {
        await concatenationFailed(deps.sfn, rec.concatenationTaskToken, rec.concatenationPipelineId, 'failed permanently');
        return { action: 'failed-concatenation' };
      }
      if (!rec || rec.capturePipelineId !== mediaPipelineId || !rec.taskToken || rec.meetingEndedAt) return { action: 'ignored: not a waiting capture' };
      await failToken(deps.sfn, rec.taskToken, 'PipelineFailed', `capture pipeline ${mediaPipelineId} failed permanently`);
      return { action: 'failed-wait' };
    }
    case 'chime:MediaPipelineDeleted': {
      // Someone (the API's stop, an operator, the application) deleted our capture while the meeting
      // goes on: what was captured is the recording, so it goes on to concatenation.
      const rec = await getRecord(deps.store, meetingId);
      if (rec && isWaitingConcatenation(rec, mediaPipelineId)) {
        // The concatenation stops itself when done (a deleted one stops too, and then has no files).
        const target = { pipelineId: rec.concatenationPipelineId, bucket: rec.concatenationBucket, prefix: rec.concatenationPrefix, checks: rec.concatenationChecks ?? 1 };
        return { action: `concatenation-stopped: ${await concatenationStopped(deps, rec.concatenationTaskToken, target)}` };
      }
      if (!rec || rec.capturePipelineId !== mediaPipelineId || rec.status !== 'RECORDING' || rec.meetingEndedAt) return { action: 'ignored: not a running capture' };
      await meetingEnded(deps, meetingId, 'CapturePipelineDeleted', iso);
      return { action: 'capture-deleted' };
    }
    default:
      return { action: `ignored: ${eventType}` };
  }
}

type WaitingConcatenation = RecordingRecord & Required<Pick<RecordingRecord, 'concatenationPipelineId' | 'concatenationTaskToken' | 'concatenationBucket' | 'concatenationPrefix'>>;

/**
 * The event is about this recording's concatenation and AwaitConcatenation has stored its token (with
 * the destination, in the same write). Before that, the step's own status check sees the stop; events
 * do not say which kind of pipeline they are about, so the id decides.
 */
function isWaitingConcatenation(rec: RecordingRecord, mediaPipelineId: string | undefined): rec is WaitingConcatenation {
  return (
    rec.status === 'CONCATENATING' &&
    mediaPipelineId !== undefined &&
    rec.concatenationPipelineId === mediaPipelineId &&
    Boolean(rec.concatenationTaskToken) &&
    rec.concatenationBucket !== undefined &&
    rec.concatenationPrefix !== undefined
  );
}
