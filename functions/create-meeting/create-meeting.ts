import { CreateMeetingCommand, DeleteMeetingCommand, ListAttendeesCommand, type ChimeSDKMeetingsClient, type Meeting } from '@aws-sdk/client-chime-sdk-meetings';
import { adoptedMeeting } from '../lib/adopted-meeting';
import { accountOf, meetingSourceArn } from '../lib/arns';
import { WorkflowError } from '../lib/errors';
import type { MeetingRef, Plan } from '../lib/schemas';
import { createMeetingCalls, takeTurn, type CarriedSlot, type TurnDeps } from '../lib/quota';
import { claimMeeting, type RecordingRecord, type RecordingStore } from '../lib/store';
import { resourceTags } from '../lib/stack-tag';
import { clientRequestToken } from '../lib/tokens';

/**
 * Creates the meeting (idempotently: the token is derived from the execution) or adopts the one named in
 * the request (looked up in the stack's region, `region`), then claims it in the recordings table for this
 * execution.
 */
export async function createOrAdoptMeeting(
  deps: { meetings: ChimeSDKMeetingsClient; store: RecordingStore; account: string; partition: string; region: string; turn: TurnDeps },
  plan: Plan,
  /** The turn EnsureServiceLinkedRole reserved (`$.role.quotaWait`). */
  reserved?: CarriedSlot,
): Promise<MeetingRef> {
  const created = plan.mode === 'create';
  // The slot the state machine carried back after a QuotaWait, else the one reserved ahead.
  const carried = plan.quotaWait?.step === 'CreateMeeting' ? plan.quotaWait : reserved;
  await takeTurn(deps.turn, 'CreateMeeting', createMeetingCalls(plan.mode), carried);
  const meeting = created ? await createMeeting(deps.meetings, plan) : await adoptedMeeting(deps.meetings, plan.meetingId ?? '', deps.region);
  const meetingId = meeting.MeetingId ?? '';
  const account = accountOf(meeting.MeetingArn ?? '') ?? deps.account;
  const ref: MeetingRef = {
    meetingId,
    meetingArn: meeting.MeetingArn ?? '',
    sourceArn: meetingSourceArn(deps.partition, account, meetingId),
    account,
    mediaRegion: meeting.MediaRegion ?? plan.mediaRegion ?? '',
    created,
    ...(meeting.ExternalMeetingId ? { externalMeetingId: meeting.ExternalMeetingId } : {}),
  };
  // People may already be in an adopted meeting; their join events came before our claim. Count every
  // listed person as present until an event says otherwise (at: 0 loses to any real event), so one of
  // them leaving never looks like the meeting emptied while others remain.
  const presence = created ? {} : await listedHumans(deps.meetings, meetingId);
  try {
    await claimMeeting(deps.store, { meetingId, executionId: plan.executionId, executionName: plan.executionName, createdMeeting: created, mediaRegion: ref.mediaRegion, presence });
  } catch (err) {
    // A terminal failure here would leave our new meeting unknown to Cleanup; end it before failing.
    // Transient failures are retried and the same token returns the same meeting.
    if (created && err instanceof WorkflowError && !err.retryable) {
      await deps.meetings.send(new DeleteMeetingCommand({ MeetingId: meetingId })).catch(() => undefined);
    }
    throw err;
  }
  return ref;
}

async function createMeeting(meetings: ChimeSDKMeetingsClient, plan: Plan): Promise<Meeting> {
  const out = await meetings.send(
    new CreateMeetingCommand({
      ClientRequestToken: clientRequestToken(plan.executionId, 'CreateMeeting'),
      MediaRegion: plan.mediaRegion,
      ExternalMeetingId: plan.externalMeetingId,
      Tags: resourceTags(plan.tags),
    }),
  );
  return out.Meeting ?? {};
}

async function listedHumans(meetings: ChimeSDKMeetingsClient, meetingId: string): Promise<RecordingRecord['presence']> {
  const presence: RecordingRecord['presence'] = {};
  let token: string | undefined;
  do {
    const out = await meetings.send(new ListAttendeesCommand({ MeetingId: meetingId, NextToken: token, MaxResults: 100 }));
    for (const a of out.Attendees ?? []) {
      if (a.AttendeeId && !a.ExternalUserId?.startsWith('aws:')) presence[a.AttendeeId] = { present: true, at: 0, ...(a.ExternalUserId ? { externalUserId: a.ExternalUserId } : {}) };
    }
    token = out.NextToken;
  } while (token);
  return presence;
}
