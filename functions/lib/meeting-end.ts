import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { isSpentToken } from './errors';
import { reserveTurn, type QuotaBucket, type QuotaBudget } from './quota';
import { markMeetingEnded, type EndFoundBy, type RecordingRecord, type RecordingStore } from './store';

/**
 * How the waiting execution learns that its recording's meeting ended. Both the meeting-event handler and the
 * AwaitMeetingEnd step may observe the end (events arrive best effort, possibly before the token is
 * stored, possibly twice), so completing is idempotent: a used or expired token counts as done.
 */
export interface MeetingEndDeps {
  sfn: SFNClient;
  store: RecordingStore;
  /** Chime's shared request budget, where StartConcatenation's turn is reserved as the end is learnt. */
  budget?: QuotaBudget;
}

/**
 * Why a recording stopped capturing. After the first three, nothing of ours still captures; after the
 * others the meeting (or, for a meeting the application created, our capture) still runs when the
 * execution resumes, and StartConcatenation ends it first, with the state machine's retries: a Chime
 * call made where the end is observed (an event handler, the API) could be throttled and keep the
 * recording from moving on.
 */
export const END_REASONS = ['MeetingEnded', 'CaptureStopped', 'CapturePipelineDeleted', 'OnlyPipelineAttendeesRemain', 'StoppedByRequest', 'MaxDurationReached'] as const;
export type EndReason = (typeof END_REASONS)[number];

/** True when the meeting (or our capture of an adopted meeting) still runs after an end for this reason. */
export function captureStillRunning(reason: string | undefined): boolean {
  return reason === 'OnlyPipelineAttendeesRemain' || reason === 'StoppedByRequest' || reason === 'MaxDurationReached';
}

/** StartConcatenation's Chime calls: ending what still runs (the meeting we created, or our capture), then the concatenation. */
export function concatenationCalls(reason: string | undefined, createdMeeting: boolean): QuotaBucket[] {
  return captureStillRunning(reason) ? [createdMeeting ? 'meetings' : 'media-pipelines', 'media-pipelines'] : ['media-pipelines'];
}

export async function completeToken(sfn: SFNClient, token: string, output: object): Promise<boolean> {
  return unlessSpent(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) })));
}

export async function failToken(sfn: SFNClient, token: string, error: string, cause: string): Promise<boolean> {
  return unlessSpent(sfn.send(new SendTaskFailureCommand({ taskToken: token, error, cause })));
}

/** True when the callback was delivered; false when its token was already used or has expired. */
async function unlessSpent(callback: Promise<unknown>): Promise<boolean> {
  try {
    await callback;
    return true;
  } catch (err) {
    if (isSpentToken(err)) return false;
    throw err;
  }
}

/**
 * Records the end (the first observer's reason stands) and resumes the execution if its token is stored;
 * otherwise AwaitMeetingEnd finds the mark when it stores its token. Makes no Chime call.
 */
export async function meetingEnded(deps: MeetingEndDeps, meetingId: string, reason: EndReason, at: string, foundBy: EndFoundBy): Promise<RecordingRecord | undefined> {
  const rec = await markMeetingEnded(deps.store, meetingId, reason, at, foundBy);
  if (rec?.taskToken) {
    const endReason = rec.endReason ?? reason;
    // StartConcatenation's turn at Chime, in the order the ends were learnt (a burst of meeting ends
    // resumes its executions in whatever order their callbacks land).
    const quotaWait = deps.budget ? await reserveTurn({ store: deps.store, budget: deps.budget }, 'StartConcatenation', concatenationCalls(endReason, rec.createdMeeting)) : undefined;
    await completeToken(deps.sfn, rec.taskToken, { reason: endReason, endedAt: rec.meetingEndedAt ?? at, foundBy: rec.endFoundBy ?? foundBy, ...(quotaWait ? { quotaWait } : {}) });
  }
  return rec;
}
