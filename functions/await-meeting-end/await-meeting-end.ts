import { GetMeetingCommand, type ChimeSDKMeetingsClient } from '@aws-sdk/client-chime-sdk-meetings';
import type { ChimeSDKMediaPipelinesClient } from '@aws-sdk/client-chime-sdk-media-pipelines';
import { pipelineState } from '../lib/pipelines';
import { MeetingNeverEnded, isNotFound } from '../lib/errors';
import { completeToken, failToken, meetingEnded, type MeetingEndDeps } from '../lib/meeting-end';
import type { MeetingRef, PipelineRef, Plan } from '../lib/schemas';
import { spareSlot, type QuotaBudget } from '../lib/quota';
import { presentHumans, updateRecord, type RecordingRecord } from '../lib/store';

/**
 * Runs as `lambda:invoke.waitForTaskToken`: stores the token where the meeting-event handler finds it,
 * then checks whether the meeting already ended (the end event may have come before the token was
 * stored, or been lost). The state machine re-enters this step when its timeout (the plan's
 * meetingEndCheckSeconds) passes without a callback: the safety net for lost events, and the request's
 * time limit (maxDurationMinutes), which a check ends as POST /recordings/{id}/stop does. `maxChecks`
 * bounds that loop by Chime's 24-hour maximum meeting length. Checks are counted per entry of the state ($$.State.EnteredTime), not per attempt: a
 * retry after a throttled call is the same check again, never a later re-check.
 */
export async function awaitMeetingEnd(
  deps: MeetingEndDeps & { meetings: ChimeSDKMeetingsClient; pipelines: ChimeSDKMediaPipelinesClient; maxChecks: number; now: () => string; budget: QuotaBudget },
  input: { taskToken: string; checkEnteredAt: string; plan: Plan; chimeMeeting: MeetingRef; capturePipeline: PipelineRef },
): Promise<{ outcome: string }> {
  const { taskToken, plan, chimeMeeting, capturePipeline } = input;
  const rec = await updateRecord(deps.store, chimeMeeting.meetingId, plan.executionId, { taskToken }, { count: { counter: 'checks', enteredAt: input.checkEnteredAt } });
  if (rec.checks > deps.maxChecks) {
    throw new MeetingNeverEnded(`meeting ${chimeMeeting.meetingId} still exists after ${rec.checks - 1} checks, past Chime's 24-hour maximum; giving up the wait`);
  }
  if (rec.meetingEndedAt) {
    await completeToken(deps.sfn, taskToken, { reason: rec.endReason ?? 'MeetingEnded', endedAt: rec.meetingEndedAt, foundBy: rec.endFoundBy ?? 'event' });
    return { outcome: 'ended-before-wait' };
  }
  // Asking Chime is for lost events: it waits for the next check when Chime's request budget has no call
  // to spare now (a burst of recordings starting), rather than queue ahead of, or behind, their captures.
  if (await spareSlot({ store: deps.store, budget: deps.budget }, ['meetings', 'media-pipelines'])) {
    try {
      await deps.meetings.send(new GetMeetingCommand({ MeetingId: chimeMeeting.meetingId }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await meetingEnded(deps, chimeMeeting.meetingId, 'MeetingEnded', deps.now(), 'check');
      return { outcome: 'meeting-gone' };
    }
    const status = await pipelineState(deps.pipelines, capturePipeline.mediaPipelineId);
    if (status === 'Failed') {
      await failToken(deps.sfn, taskToken, 'PipelineFailed', `capture pipeline ${capturePipeline.mediaPipelineId} failed while the meeting ran`);
      return { outcome: 'capture-failed' };
    }
    if (status === 'Gone' || status === 'Stopped') {
      await meetingEnded(deps, chimeMeeting.meetingId, 'CaptureStopped', deps.now(), 'check');
      return { outcome: 'capture-stopped' };
    }
  }
  if (timeLimitReached(input.plan, rec, deps.now())) {
    await meetingEnded(deps, chimeMeeting.meetingId, 'MaxDurationReached', deps.now(), 'request');
    return { outcome: 'max-duration-reached' };
  }
  // A re-check after the wait timed out (never the first check, nor a retry of it): attendee events may
  // have been lost, so a meeting nobody is in is ended (by StartConcatenation, which the resume leads to).
  if (rec.checks > 1 && presentHumans(rec).length === 0) {
    await meetingEnded(deps, chimeMeeting.meetingId, 'OnlyPipelineAttendeesRemain', deps.now(), 'check');
    return { outcome: 'ended-empty-meeting' };
  }
  return { outcome: 'waiting' };
}

/**
 * A recording's time limit counts from the capture's start (the pipeline's CreatedTimestamp, which
 * StartCapture stores; the claim's time for an item without it). The plan's meetingEndCheckSeconds puts a
 * check on the limit, but the wait's timer and Chime's clock are not ours to the millisecond: a check
 * within one 5-second chunk of the limit counts as on it, rather than waiting a whole interval more.
 */
const LIMIT_SLACK_MS = 5_000;

export function timeLimitReached(plan: Plan, rec: RecordingRecord, nowIso: string): boolean {
  if (plan.maxDurationMinutes === undefined) return false;
  const started = Date.parse(rec.captureStartedAt ?? rec.createdAt);
  return Date.parse(nowIso) + LIMIT_SLACK_MS >= started + plan.maxDurationMinutes * 60_000;
}
