import { GetMeetingCommand, type ChimeSDKMeetingsClient, type Meeting } from '@aws-sdk/client-chime-sdk-meetings';
import { MeetingNotFound, isNotFound } from './errors';

/**
 * The meeting a request adopts (`meetingId`), read in the stack's region. A meeting can be managed, and
 * its events arrive, only in the control region that created it ("Using meeting Regions",
 * https://docs.aws.amazon.com/chime-sdk/latest/dg/chime-sdk-meetings-regions.html), so a meeting of another
 * control region cannot be recorded from here. What GetMeeting answers there is undocumented (NotFound or
 * Forbidden), and a MeetingArn's region need not be the control region, so either answer refuses the
 * meeting, before anything is created. A Forbidden worded as an IAM denial stays a missing permission.
 */
export async function adoptedMeeting(meetings: ChimeSDKMeetingsClient, meetingId: string, region: string): Promise<Meeting> {
  try {
    return (await meetings.send(new GetMeetingCommand({ MeetingId: meetingId }))).Meeting ?? {};
  } catch (err) {
    if (isNotFound(err) || (err instanceof Error && err.name === 'ForbiddenException' && !/not authorized to perform/i.test(err.message))) {
      throw new MeetingNotFound(
        `meetingId: meeting ${meetingId} is not a running meeting of ${region}, this stack's control region (GetMeeting answered ${(err as Error).name}: ${(err as Error).message}). ` +
          `A meeting can be managed, and its events arrive, only in the control region that created it: create the meeting through the Chime SDK meetings API in ${region}, ` +
          `or record it with this stack deployed in the meeting's control region. A meeting that has ended answers the same: start the recording while it runs`,
      );
    }
    throw err;
  }
}
