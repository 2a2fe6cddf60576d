import { matchesPattern } from '../../../local/core/pattern';
import { loadFunctionSpecs } from '../../../local/lambda';
import { REPO_ROOT } from '../../../local/cloud';

/**
 * Which Chime events serverless.yml's rules deliver to the meeting-event function (the same rules the
 * local cloud's bus applies): only what the handler acts on, so AWS bills no invocation for the rest.
 */
const rules = loadFunctionSpecs(REPO_ROOT).get('meetingEvents')!.eventRules;

function delivered(detailType: string, detail: Record<string, unknown>): boolean {
  const event = { source: 'aws.chime', 'detail-type': detailType, detail: { meetingId: 'm-1', ...detail } };
  return rules.some((r) => matchesPattern(event, r.pattern));
}

const meeting = (eventType: string, detail: Record<string, unknown> = {}) => delivered('Chime Meeting State Change', { eventType, ...detail });
const pipeline = (eventType: string) => delivered('Chime Media Pipeline State Change', { eventType, mediaPipelineId: 'p-1' });

describe('meeting-event rules', () => {
  it.each(['chime:AttendeeJoined', 'chime:AttendeeLeft', 'chime:AttendeeDropped', 'chime:AttendeeDeleted'])('deliver %s of a person', (eventType) => {
    expect(meeting(eventType, { attendeeId: 'a-1', externalUserId: 'alice' })).toBe(true);
  });

  it.each(['chime:AttendeeJoined', 'chime:AttendeeLeft'])("do not deliver %s of a media pipeline's own attendee", (eventType) => {
    expect(meeting(eventType, { attendeeId: 'a-2', externalUserId: 'aws:MediaPipeline-0b6f3c8e' })).toBe(false);
  });

  it('deliver the meeting end and the media pipelines\' deletion and permanent failure, nothing else', () => {
    expect(meeting('chime:MeetingEnded')).toBe(true);
    expect(pipeline('chime:MediaPipelineDeleted')).toBe(true);
    expect(pipeline('chime:MediaPipelinePermanentFailure')).toBe(true);
    expect(meeting('chime:MeetingStarted')).toBe(false);
    expect(meeting('chime:AttendeeAdded', { attendeeId: 'a-1', externalUserId: 'alice' })).toBe(false);
    expect(pipeline('chime:MediaPipelineInProgress')).toBe(false);
    expect(delivered('Chime Media Pipeline State Change', { eventType: 'chime:MeetingEnded' })).toBe(false);
  });

  it('anything-but does not match an absent field, as in EventBridge', () => {
    expect(matchesPattern({ detail: {} }, { detail: { externalUserId: [{ 'anything-but': { prefix: 'aws:' } }] } })).toBe(false);
    expect(matchesPattern({ detail: { externalUserId: 'bob' } }, { detail: { externalUserId: [{ 'anything-but': { prefix: 'aws:' } }] } })).toBe(true);
  });
});
