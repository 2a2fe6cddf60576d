/**
 * What AWS does not document, as switches. Where AWS's documentation is silent (or contradicts itself)
 * about a behaviour the workflow depends on, the local cloud does not pick the convenient answer: each
 * plausible answer is a variant, with its source, and the workflow is tested under every one of them
 * (the reliability matrix's behaviour axis). `pessimistic` sets each to its least helpful variant.
 *
 * The README's "What AWS does not document" table is generated from this list (npm run docs).
 */
export interface BehaviourSpec {
  /** What AWS leaves open. */
  question: string;
  /** Variant name -> what the local cloud then does. */
  variants: Record<string, string>;
  /** The variant the local cloud uses unless told otherwise. */
  default: string;
  /** The least helpful variant, for `pessimistic`. */
  pessimistic: string;
  /** Where the question comes from: documentation pages, model members, issue threads. */
  sources: string[];
}

export const BEHAVIOURS = {
  'concatenation-completion-event': {
    question: "Whether a concatenation pipeline's chime:MediaPipelineDeleted event (sent when it stops) carries the meeting's id: the event samples all do, but a concatenation's source is a capture pipeline, not a meeting, and nobody documents what it sends.",
    variants: {
      'with-meeting-id': 'sent, with meetingId and externalMeetingId as in the samples',
      'without-meeting-id': 'sent, with mediaPipelineId but no meetingId or externalMeetingId',
      'not-sent': 'no event when a concatenation stops',
    },
    default: 'with-meeting-id',
    pessimistic: 'not-sent',
    sources: ['https://docs.aws.amazon.com/chime-sdk/latest/dg/media-pipe-events.html', 'https://github.com/aws/aws-sdk-js/issues/4485'],
  },
  'stopped-pipeline-lookup': {
    question: 'What GetMediaPipeline answers once a pipeline (capture or concatenation) has stopped: the status enum has Stopped, the error list has NotFoundException, and nothing says for how long a stopped pipeline stays visible.',
    variants: {
      'stopped-for-a-while': 'Stopped for five minutes, then NotFoundException',
      'not-found': 'NotFoundException as soon as it stops',
    },
    default: 'stopped-for-a-while',
    pessimistic: 'not-found',
    sources: ['https://docs.aws.amazon.com/chime-sdk/latest/APIReference/API_media-pipelines-chime_GetMediaPipeline.html', 'botocore chime-sdk-media-pipelines GetMediaPipeline errors'],
  },
  'concatenation-end-status': {
    question: 'Whether a concatenation that has written its files always stops: users report concatenations showing InProgress for days (amazon-chime-sdk-js#2970) with files present or not.',
    variants: {
      stops: 'writes its files, then stops (Stopped, and its chime:MediaPipelineDeleted)',
      'stays-in-progress': 'writes its files, then stays InProgress, sending no further event',
    },
    default: 'stops',
    pessimistic: 'stays-in-progress',
    sources: ['https://github.com/aws/amazon-chime-sdk-js/issues/2970', 'https://github.com/aws/amazon-chime-sdk-js/issues/2649'],
  },
  'concatenation-deletion': {
    question: "What DeleteMediaPipeline does to a concatenation pipeline: the guide says it deletes capture and live connector pipelines, the model lists ConflictException, and a user reports it 'seems not to work'.",
    variants: {
      conflict: 'refused with ConflictException (409)',
      'accepted-keeps-running': 'answers 204 and the concatenation runs on as if nothing happened',
      stops: 'answers 204 and the concatenation stops like a deleted capture',
    },
    default: 'conflict',
    pessimistic: 'accepted-keeps-running',
    sources: ['https://docs.aws.amazon.com/chime-sdk/latest/dg/stop-pipe-best-practices.html', 'botocore chime-sdk-media-pipelines DeleteMediaPipeline errors', 'https://github.com/aws/amazon-chime-sdk-js/issues/2528'],
  },
  'media-file-layout': {
    question:
      "Where the MP4 files media pipelines write (capture chunks, concatenated files) keep their moov box, the index a reader needs for a file's duration: nothing says; the guide's own way to join chunks, ffmpeg -f concat -c copy, writes it after the media, as muxers do unless asked to move it to the front (ffmpeg's +faststart is opt-in).",
    variants: {
      'moov-last': 'ftyp, mdat, moov: the index after the media, so a reader of the first bytes finds no moov and must read the tail',
      'moov-first': 'ftyp, moov, mdat ("faststart"): the index in the first bytes',
    },
    default: 'moov-last',
    pessimistic: 'moov-last',
    sources: ['https://docs.aws.amazon.com/chime-sdk/latest/dg/concatenate-streams.html', 'https://ffmpeg.org/ffmpeg-formats.html#mov_002c-mp4_002c-ismv'],
  },
  'meeting-events-present-at-start': {
    question:
      "Whether a capture's meeting-events files list the attendees already in the meeting when the capture starts: the guide lists AttendeeJoined among the files' event types and says nothing of people who joined before the pipeline did (a Chime client learns of those present from the presence updates it gets on joining, and the pipeline joins as an attendee, but what it writes of them is not documented).",
    variants: {
      'listed-at-start': "an AttendeeJoined line, stamped with the capture's start, for each attendee already connected, then each join and leave as it happens",
      'after-start-only': 'only the joins and leaves that happen while the capture runs: those connected before it have an AttendeeLeft line and no AttendeeJoined',
    },
    default: 'listed-at-start',
    pessimistic: 'after-start-only',
    sources: ['https://docs.aws.amazon.com/chime-sdk/latest/dg/meeting-events.html', 'https://aws.github.io/amazon-chime-sdk-js/interfaces/realtimecontrollerfacade.html#realtimesubscribetoattendeeidpresence'],
  },
  'role-propagation': {
    question: 'How creating a media pipeline fails while a service-linked role created moments ago propagates through IAM: neither the wording of the refusal nor how long it lasts is documented.',
    variants: {
      none: 'the new role works at once',
      'refused-for-a-while': 'ForbiddenException, worded differently each time (never the same text), for a random time up to three minutes after the role was created',
    },
    default: 'none',
    pessimistic: 'refused-for-a-while',
    sources: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot.html#troubleshoot_general_eventual-consistency', 'https://docs.aws.amazon.com/chime-sdk/latest/dg/create-pipeline.html'],
  },
  'pipeline-interruptions': {
    question: 'When a media pipeline sends chime:MediaPipelineTemporaryFailure and chime:MediaPipelineResumed: the guide lists the events with one-line descriptions and nothing on when they come (the newest copy no longer lists Resumed).',
    variants: {
      none: 'no temporary failure',
      'temporary-failure-then-resumed': "a minute into each capture, chime:MediaPipelineTemporaryFailure, and half a minute later chime:MediaPipelineResumed (nothing of the capture lost)",
    },
    default: 'none',
    pessimistic: 'temporary-failure-then-resumed',
    sources: ['https://docs.aws.amazon.com/chime-sdk/latest/dg/media-pipe-events.html', 'https://github.com/aws/amazon-chime-sdk-js/issues/1777'],
  },
  'event-delivery': {
    question: "How late and in what order Chime's events reach EventBridge rules: delivery is best effort and 'might be delivered out of order of occurrence', with no bound given.",
    variants: {
      prompt: 'each event delivered at once, in order',
      'late-and-out-of-order': 'each event delivered up to 30 simulated seconds late, so events overtake each other',
    },
    default: 'prompt',
    pessimistic: 'late-and-out-of-order',
    sources: ['https://docs.aws.amazon.com/chime-sdk/latest/dg/mtgs-sdk-notifications.html', 'https://docs.aws.amazon.com/chime-sdk/latest/dg/using-events.html'],
  },
  'eventbridge-retry-delay': {
    question: "How long EventBridge waits between retries of a failed delivery: the retry policy page says only 'exponential back off and jitter' (by default up to 185 times in 24 hours).",
    variants: {
      seconds: 'full-jitter exponential backoff from 1 s, doubling, capped at 1 minute',
      minutes: 'full-jitter exponential backoff from 1 minute, doubling, capped at 15 minutes (185 attempts then span about a day)',
    },
    default: 'seconds',
    pessimistic: 'minutes',
    sources: ['https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html'],
  },
  'iam-get-missing-role': {
    question:
      "What IAM's GetRole answers for a role that does not exist: NoSuchEntity when the caller may read it, but IAM authorizes before it looks, and a service-linked role that does not exist yet has no path, so a policy naming the role's ARN (with its path) may not match and IAM answers AccessDenied. Not documented; public reports show AccessDenied for missing roles.",
    variants: {
      'no-such-entity': 'GetRole answers NoSuchEntity (404) for a missing role',
      'access-denied': 'GetRole answers AccessDenied (403) for a missing role, as to a caller not allowed to read it',
    },
    default: 'no-such-entity',
    pessimistic: 'access-denied',
    sources: ['https://github.com/aws/chalice/issues/591', 'https://github.com/aws/aws-cdk/issues/27067'],
  },
} satisfies Record<string, BehaviourSpec>;

export type BehaviourName = keyof typeof BEHAVIOURS;
export type Behaviours = Record<BehaviourName, string>;
/** What a caller asks for: `pessimistic`, or some behaviours by name (the rest keep their defaults). */
export type BehaviourSettings = 'pessimistic' | Partial<Behaviours>;

export function resolveBehaviours(settings: BehaviourSettings = {}): Behaviours {
  const out = {} as Behaviours;
  for (const [name, spec] of Object.entries(BEHAVIOURS) as Array<[BehaviourName, BehaviourSpec]>) {
    const chosen = settings === 'pessimistic' ? spec.pessimistic : (settings[name] ?? spec.default);
    if (!(chosen in spec.variants)) throw new Error(`behaviour ${name}: no variant "${chosen}"; choose one of ${Object.keys(spec.variants).join(', ')}`);
    out[name] = chosen;
  }
  for (const name of settings === 'pessimistic' ? [] : Object.keys(settings)) {
    if (!(name in BEHAVIOURS)) throw new Error(`no behaviour "${name}"; the behaviours are ${Object.keys(BEHAVIOURS).join(', ')}`);
  }
  return out;
}

/**
 * `--behaviour` values, as `npm start` and `npm run cloud` take them: `pessimistic`, or `name=variant`
 * (repeatable; a later one wins). A wrong name or variant is an error naming the flag and the choices.
 */
export function parseBehaviourFlags(values: string[]): BehaviourSettings {
  if (values.includes('pessimistic')) {
    if (values.length > 1) throw new Error('--behaviour pessimistic sets every behaviour; give it alone, or name=variant flags instead');
    return 'pessimistic';
  }
  const settings: Partial<Behaviours> = {};
  for (const value of values) {
    const [name = '', variant, ...rest] = value.split('=');
    const spec = (BEHAVIOURS as Record<string, BehaviourSpec>)[name];
    if (!spec) throw new Error(`--behaviour ${value}: no behaviour "${name}"${closest(name, Object.keys(BEHAVIOURS))}; the behaviours are ${Object.keys(BEHAVIOURS).join(', ')} (or pessimistic)`);
    if (variant === undefined || rest.length > 0 || !(variant in spec.variants)) {
      throw new Error(`--behaviour ${value}: give ${name}=<variant>, one of ${Object.keys(spec.variants).join(', ')}${variant ? closest(variant, Object.keys(spec.variants)) : ''}`);
    }
    settings[name as BehaviourName] = variant;
  }
  return settings;
}

/** ` (did you mean "x"?)` for the choice nearest to a mistyped word, or '' when none is near. */
export function closest(word: string, choices: string[]): string {
  const [best] = nearest(word, choices, 1);
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/**
 * Up to `count` choices near a mistyped word, nearest first (case is ignored, so `createMeeting` finds
 * `CreateMeeting`); none when nothing is near.
 */
export function nearest(word: string, choices: string[], count: number): string[] {
  return choices
    .map((choice) => ({ choice, d: editDistance(word.toLowerCase(), choice.toLowerCase()) }))
    .filter(({ choice, d }) => d <= Math.max(2, Math.floor(choice.length / 3)))
    .sort((a, b) => a.d - b.d || a.choice.localeCompare(b.choice))
    .slice(0, count)
    .map(({ choice }) => choice);
}

/** Levenshtein distance (a few dozen short words: no library needed). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}
