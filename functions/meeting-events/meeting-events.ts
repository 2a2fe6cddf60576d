import type { ChimeSDKMediaPipelinesClient } from '@aws-sdk/client-chime-sdk-media-pipelines';
import type { S3Client } from '@aws-sdk/client-s3';
import { settleConcatenation, type Settlement } from '../lib/concatenation';
import { failToken, meetingEnded, type MeetingEndDeps } from '../lib/meeting-end';
import { pipelineState, type PipelineState } from '../lib/pipelines';
import { takeTurnWithin, type TurnDeps } from '../lib/quota';
import { findRecordByConcatenation, getRecord, presentHumans, recordPresence, type RecordingRecord } from '../lib/store';
import { now } from '../lib/time';

/**
 * EventBridge target for Chime meeting and media pipeline state changes, and for S3's Object Created of
 * concatenation output. It keeps the attendee presence of recorded meetings, resumes the waiting
 * execution when the meeting ends or once only media pipeline attendees remain (StartConcatenation then
 * ends the meeting: this handler makes no call that changes Chime, so no throttled one can keep a
 * recording from moving on or send its event to the dead-letter queue), fails the wait when the capture
 * pipeline fails for good, moves on to concatenation when the capture pipeline is deleted while the
 * meeting goes on, and settles the concatenation wait on any sign of its end (functions/lib/concatenation.ts).
 * Events for meetings this stack does not record are ignored; duplicates and reordering are harmless
 * (conditional writes by event timestamp, idempotent token completion).
 */
export interface ChimeEvent {
  source?: string;
  'detail-type': string;
  time?: string;
  detail: {
    eventType?: string;
    meetingId?: string;
    attendeeId?: string;
    externalUserId?: string;
    mediaPipelineId?: string;
    timestamp?: number;
    /** S3 Object Created. */
    bucket?: { name: string };
    object?: { key: string };
  };
}

export type EventDeps = MeetingEndDeps & { s3: S3Client; pipelines: ChimeSDKMediaPipelinesClient; turn: TurnDeps };

export async function handleChimeEvent(deps: EventDeps, event: ChimeEvent): Promise<{ action: string }> {
  if (event.source === 'aws.s3') return outputWritten(deps, event);
  const { eventType = '', meetingId, attendeeId, externalUserId, mediaPipelineId } = event.detail;
  const at = event.detail.timestamp ?? (Date.parse(event.time ?? '') || now());
  const iso = new Date(at).toISOString();
  if (eventType === 'chime:MediaPipelineDeleted' || eventType === 'chime:MediaPipelinePermanentFailure') {
    return pipelineEnded(deps, eventType, meetingId, mediaPipelineId, iso);
  }
  if (!meetingId) return { action: 'ignored: no meetingId' };
  switch (eventType) {
    case 'chime:MeetingEnded': {
      const rec = await meetingEnded(deps, meetingId, 'MeetingEnded', iso, 'event');
      return { action: rec ? 'meeting-ended' : 'ignored: not recording' };
    }
    case 'chime:AttendeeJoined':
    case 'chime:AttendeeLeft':
    case 'chime:AttendeeDeleted':
    case 'chime:AttendeeDropped': {
      // Pipeline attendees (aws:MediaPipeline-...) are ours; only people count as presence.
      if (!attendeeId || externalUserId?.startsWith('aws:')) return { action: 'ignored: pipeline attendee' };
      const present = eventType === 'chime:AttendeeJoined';
      const rec = await recordPresence(deps.store, meetingId, attendeeId, present, at, externalUserId);
      if (!rec) return { action: 'ignored: not recording or stale' };
      // A drop may be a network blip followed by a rejoin; the AwaitMeetingEnd re-check handles it.
      const explicitLeave = eventType === 'chime:AttendeeLeft' || eventType === 'chime:AttendeeDeleted';
      if (explicitLeave && rec.status === 'RECORDING' && !rec.meetingEndedAt && presentHumans(rec).length === 0) {
        await meetingEnded(deps, meetingId, 'OnlyPipelineAttendeesRemain', iso, 'event');
        return { action: 'ended: only pipeline attendees remain' };
      }
      return { action: present ? 'attendee-present' : 'attendee-absent' };
    }
    default:
      return { action: `ignored: ${eventType}` };
  }
}

/**
 * A pipeline stopped or failed for good. Events do not say which kind of pipeline they are about, so the
 * id decides: our concatenation (found by its id when the event does not carry the meeting's), or our
 * capture, whose deletion while the meeting goes on (the API's stop, an operator, the application)
 * moves the recording on to concatenation with what was captured.
 */
async function pipelineEnded(deps: EventDeps, eventType: string, meetingId: string | undefined, mediaPipelineId: string | undefined, iso: string): Promise<{ action: string }> {
  if (!mediaPipelineId) return { action: 'ignored: no mediaPipelineId' };
  const failed = eventType === 'chime:MediaPipelinePermanentFailure';
  const rec = meetingId ? await getRecord(deps.store, meetingId) : await findRecordByConcatenation(deps.store, mediaPipelineId);
  if (rec && isWaitingConcatenation(rec, mediaPipelineId)) {
    return { action: `concatenation ${await settle(deps, rec, failed ? 'Failed' : 'Stopped')}` };
  }
  if (!rec || rec.capturePipelineId !== mediaPipelineId) return { action: 'ignored: not our capture or concatenation' };
  if (failed) {
    if (!rec.taskToken || rec.meetingEndedAt) return { action: 'ignored: not a waiting capture' };
    await failToken(deps.sfn, rec.taskToken, 'PipelineFailed', `capture pipeline ${mediaPipelineId} failed permanently`);
    return { action: 'failed-wait' };
  }
  if (rec.status !== 'RECORDING' || rec.meetingEndedAt) return { action: 'ignored: not a running capture' };
  await meetingEnded(deps, rec.meetingId, 'CapturePipelineDeleted', iso, 'event');
  return { action: 'capture-deleted' };
}

/**
 * A file written where a concatenation writes: its name is `<concatenation pipeline id>.mp4|.txt` under
 * the destination (Understanding the Amazon S3 bucket folder structure). Whether the concatenation is done
 * is asked, not assumed: a file is written before the next one, and the pipeline's own state settles it.
 */
async function outputWritten(deps: EventDeps, event: ChimeEvent): Promise<{ action: string }> {
  const key = event.detail.object?.key ?? '';
  const pipelineId = /([0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})\.(?:mp4|txt)$/.exec(key)?.[1];
  if (!pipelineId) return { action: 'ignored: not a concatenated file' };
  const rec = await findRecordByConcatenation(deps.store, pipelineId);
  if (!rec || !isWaitingConcatenation(rec, pipelineId) || rec.concatenationBucket !== event.detail.bucket?.name || !key.startsWith(`${rec.concatenationPrefix}/`)) {
    return { action: 'ignored: not a waiting concatenation\'s file' };
  }
  // In Chime's shared request budget, behind the burst's own calls; none within the Lambda's time: the
  // event's delivery is retried (EventBridge's retry policy), and the pipeline's own events settle it too.
  await takeTurnWithin(deps.turn, ['media-pipelines']);
  return { action: `concatenation ${await settle(deps, rec, await pipelineState(deps.pipelines, pipelineId))}` };
}

function settle(deps: EventDeps, rec: WaitingConcatenation, state: PipelineState): Promise<Settlement> {
  const target = { pipelineId: rec.concatenationPipelineId, bucket: rec.concatenationBucket, prefix: rec.concatenationPrefix, checks: rec.concatenationChecks ?? 1 };
  return settleConcatenation(deps, rec.concatenationTaskToken, target, state, { recheck: false });
}

type WaitingConcatenation = RecordingRecord & Required<Pick<RecordingRecord, 'concatenationPipelineId' | 'concatenationTaskToken' | 'concatenationBucket' | 'concatenationPrefix'>>;

/**
 * The recording waits for this concatenation and AwaitConcatenation has stored its token (with the
 * destination, in the same write). Before that, the step's own status check sees the end.
 */
function isWaitingConcatenation(rec: RecordingRecord, mediaPipelineId: string): rec is WaitingConcatenation {
  return (
    rec.status === 'CONCATENATING' &&
    rec.concatenationPipelineId === mediaPipelineId &&
    Boolean(rec.concatenationTaskToken) &&
    rec.concatenationBucket !== undefined &&
    rec.concatenationPrefix !== undefined
  );
}
