import { resolveBehaviours } from '../../../local/core/behaviours';
import { EventBus } from '../../../local/core/bus';
import { SimClock } from '../../../local/core/clock';
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

describe('delivery retries', () => {
  const failingRule = (bus: EventBus, attempts: number[], clock: SimClock) =>
    bus.addRule({
      name: 'meetingEvents-rule-1',
      pattern: { source: ['aws.chime'] },
      // The stack's retry policy for these rules (serverless.yml).
      retryPolicy: rules[0]!.retryPolicy,
      target: async () => {
        attempts.push(clock.now());
        throw Object.assign(new Error('try later'), { name: 'ServiceBusy' });
      },
    });

  it.each([
    ['seconds', 11],
    ['minutes', undefined],
  ] as const)('follow the rule\'s retry policy on simulated time (retry delays: %s), then dead-letter the event', async (variant, expectedAttempts) => {
    expect(rules[0]!.retryPolicy).toEqual({ maximumRetryAttempts: 10, maximumEventAge: 3600 });
    const clock = new SimClock('virtual', 0);
    const bus = new EventBus(clock, '123456789012', 'us-east-1', { ...resolveBehaviours(), 'eventbridge-retry-delay': variant });
    const attempts: number[] = [];
    failingRule(bus, attempts, clock);
    bus.put([{ source: 'aws.chime', 'detail-type': 'Chime Meeting State Change', detail: { eventType: 'chime:MeetingEnded' } }]);
    await clock.run(bus.drain());
    expect(bus.deadLetters).toHaveLength(1);
    // Never more than 1 + 10 attempts, never past the hour's maximum event age.
    expect(attempts.length).toBeLessThanOrEqual(11);
    expect(attempts.at(-1)!).toBeLessThanOrEqual(3600_000);
    if (expectedAttempts) expect(attempts).toHaveLength(expectedAttempts);
    // Backoff: each delay at most double the previous cap (full jitter within it).
    const cap = variant === 'minutes' ? [60_000, 900_000] : [1_000, 60_000];
    attempts.slice(1).forEach((t, i) => expect(t - attempts[i]!).toBeLessThanOrEqual(Math.min(cap[1]!, cap[0]! * 2 ** i)));
  });
});
