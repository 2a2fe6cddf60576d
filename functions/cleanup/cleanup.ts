import { DeleteMeetingCommand, type ChimeSDKMeetingsClient } from '@aws-sdk/client-chime-sdk-meetings';
import { DeleteMediaPipelineCommand, type ChimeSDKMediaPipelinesClient } from '@aws-sdk/client-chime-sdk-media-pipelines';
import { DeleteObjectsCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { ServiceBusy, awsErrorName, deleteIfExists } from '../lib/errors';
import { takeTurnWithin, type TurnDeps } from '../lib/quota';
import { captureStillRunning } from '../lib/meeting-end';
import { recordingFinished } from '../lib/metrics';
import type * as z from 'zod/mini';
import type { RecordingOutcome } from '../lib/recording-events';
import type { MeetingRef, PipelineRef, Plan, VerifiedRecording } from '../lib/schemas';
import { updateRecord, type RecordingStore } from '../lib/store';

export interface CleanupInput {
  plan: Plan;
  chimeMeeting?: MeetingRef;
  capturePipeline?: PipelineRef;
  livePipeline?: PipelineRef;
  concatenationPipeline?: PipelineRef;
  concatenationStatus?: { artifacts: string[]; stillRunning?: true };
  error?: { Error: string; Cause?: string };
  /** How the meeting ended, when AwaitMeetingEnd completed. */
  meetingEnd?: { reason: string; endedAt?: string };
  /** VerifyRecording's result, when the files were verified and the manifest written. */
  recording?: VerifiedRecording;
}

/**
 * Cleanup's result, and the detail of the recording's outcome event (RecordingSucceeded or RecordingFailed,
 * published by the state machine right after Cleanup): one type, from the schema subscribers are given
 * (functions/lib/recording-events.ts; type-only, so no schema code enters the bundle).
 */
export type RecordingSummary = z.infer<typeof RecordingOutcome>;

/**
 * The last step of every path that created something: success and compensation alike. It deletes what
 * this execution created and still exists (NotFound means done, so it can run any number of times),
 * optionally removes raw chunks once the concatenated files are confirmed, and records the outcome.
 */
export async function cleanup(
  deps: { meetings: ChimeSDKMeetingsClient; pipelines: ChimeSDKMediaPipelinesClient; s3: S3Client; store: RecordingStore; turn: TurnDeps },
  input: CleanupInput,
): Promise<RecordingSummary> {
  const { plan, chimeMeeting, capturePipeline, livePipeline, error } = input;
  // Every deletion is attempted even when another fails: a stopped capture alone lets Chime end an
  // empty meeting after five minutes, so one throttled call must not keep the rest from running.
  // What is known to be gone is not deleted again: after Chime's MeetingEnded nothing of the meeting
  // runs; after a capture's stop or deletion the capture is gone; and when StartConcatenation ran, it
  // ended what the end left running (the meeting we created, or our capture of an adopted one). The live
  // stream outlasts the capture when only the capture stopped (an adopted meeting goes on): it stops here.
  const ended = input.meetingEnd?.reason;
  const endedByConcatenation = input.concatenationPipeline !== undefined && captureStillRunning(ended);
  const captureGone = ended !== undefined && (!captureStillRunning(ended) || endedByConcatenation);
  const meetingGone = ended === 'MeetingEnded' || (endedByConcatenation && chimeMeeting?.created === true);
  const targets: Array<[string, () => Promise<unknown>]> = [];
  const notDeleted: Record<string, string> = {};
  const pipeline = (kind: string, id: string): [string, () => Promise<unknown>] => [`${kind}:${id}`, () => deps.pipelines.send(new DeleteMediaPipelineCommand({ MediaPipelineId: id }))];
  if (capturePipeline?.mediaPipelineId && !captureGone) targets.push(pipeline('capture-pipeline', capturePipeline.mediaPipelineId));
  if (livePipeline?.mediaPipelineId && !meetingGone) targets.push(pipeline('live-pipeline', livePipeline.mediaPipelineId));
  // A concatenation stops itself when done; one the recording gave up on (timed out, stuck), or one that
  // wrote its files and still says InProgress, would keep holding an active-pipeline slot.
  const concatenationId = input.concatenationPipeline?.mediaPipelineId;
  if (concatenationId && (error || input.concatenationStatus?.stillRunning)) {
    const [name, del] = pipeline('concatenation-pipeline', concatenationId);
    targets.push([name, () => del().catch((err: unknown) => {
      if (awsErrorName(err) !== 'ConflictException') throw err;
      notDeleted[name] = `ConflictException: ${(err as Error).message}`;
    })]);
  }
  if (chimeMeeting?.created && !meetingGone) {
    targets.push([`meeting:${chimeMeeting.meetingId}`, () => deps.meetings.send(new DeleteMeetingCommand({ MeetingId: chimeMeeting.meetingId }))]);
  }
  await takeTurnWithin(deps.turn, targets.map(([name]) => (name.startsWith('meeting:') ? 'meetings' : 'media-pipelines')));
  const outcomes = await Promise.allSettled(targets.map(([, del]) => deleteIfExists(del())));
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  const deleted = targets.filter(([name], i) => (outcomes[i] as PromiseFulfilledResult<boolean>).value && !(name in notDeleted)).map(([name]) => name);
  // The verified files under their final names (readable ones with output.fileName: the concatenation's
  // names are gone by then); the concatenation's list only if VerifyRecording has not run.
  const artifacts = error ? [] : (input.recording?.files.map((f) => f.uri) ?? input.concatenationStatus?.artifacts ?? []);
  const raw = !plan.keepRawChunks && artifacts.length > 0 ? await deletePrefix(deps.s3, plan.capture.bucket, plan.capture.prefix) : { deleted: 0, refused: {} };
  const verified = error ? undefined : input.recording;
  const summary: RecordingSummary = {
    version: '1',
    eventType: error ? 'RecordingFailed' : 'RecordingSucceeded',
    status: error ? 'FAILED' : 'SUCCEEDED',
    executionArn: plan.executionId,
    executionName: plan.executionName,
    meetingId: chimeMeeting?.meetingId,
    externalMeetingId: plan.externalMeetingId ?? chimeMeeting?.externalMeetingId,
    startedAt: input.recording?.startedAt,
    endedAt: input.recording?.endedAt ?? input.meetingEnd?.endedAt,
    endReason: input.recording?.endReason ?? input.meetingEnd?.reason,
    files: verified?.files ?? [],
    manifest: verified?.manifest,
    participants: input.recording?.participants,
    rawChunks: { uri: `s3://${plan.capture.bucket}/${plan.capture.prefix}/`, kept: raw.deleted === 0 || Object.keys(raw.refused).length > 0 },
    capturePipelineId: capturePipeline?.mediaPipelineId,
    livePipelineId: livePipeline?.mediaPipelineId,
    concatenationPipelineId: input.concatenationPipeline?.mediaPipelineId,
    artifacts,
    deleted,
    notDeleted: Object.keys(notDeleted).length > 0 ? notDeleted : undefined,
    rawChunksDeleted: raw.deleted,
    rawChunksNotDeleted: Object.keys(raw.refused).length > 0 ? raw.refused : undefined,
    error: error ? { error: error.Error, cause: error.Cause ?? '' } : undefined,
  };
  let meetingEndedAt: string | undefined;
  if (chimeMeeting) {
    const rec = await updateRecord(deps.store, chimeMeeting.meetingId, plan.executionId, { status: summary.status, artifacts, error: summary.error, notDeleted: summary.notDeleted, taskToken: '', concatenationTaskToken: '' });
    meetingEndedAt = rec.meetingEndedAt;
  }
  recordingFinished(summary, meetingEndedAt);
  return summary;
}

/**
 * Deletes every object under the prefix. A quiet DeleteObjects answers only the keys it could not delete:
 * those are not counted; a refusal that may pass (throttling, an internal error) is retried by the state
 * machine, any other (AccessDenied, a legal hold) is reported by code, and the chunks stay.
 */
async function deletePrefix(s3: S3Client, bucket: string, prefix: string): Promise<{ deleted: number; refused: Record<string, number> }> {
  let deleted = 0;
  const refused: Record<string, number> = {};
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: `${prefix}/` })) {
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key ?? '' })).filter((o) => o.Key);
    if (keys.length === 0) continue;
    const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    const errors = out.Errors ?? [];
    const transient = errors.find((e) => TRANSIENT_S3_CODES.has(e.Code ?? ''));
    if (transient) throw new ServiceBusy(`DeleteObjects: ${transient.Code} for ${transient.Key} (and ${errors.length - 1} more) under s3://${bucket}/${prefix}/`);
    for (const e of errors) refused[e.Code ?? 'Unknown'] = (refused[e.Code ?? 'Unknown'] ?? 0) + 1;
    deleted += keys.length - errors.length;
  }
  return { deleted, refused };
}

/** Per-key DeleteObjects error codes worth retrying (S3's error responses list them as 503/500). */
const TRANSIENT_S3_CODES = new Set(['SlowDown', 'InternalError', 'ServiceUnavailable']);
