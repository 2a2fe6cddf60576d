import { parseSecretArn } from '../lib/arns';
import { InvalidRequest } from '../lib/errors';
import { fileNameProblems } from '../lib/file-names';
import { parseOrThrow } from '../lib/parse';
import { mediaRegionsIn } from '../lib/regions';
import type { Plan } from '../lib/schemas';
import { externalMeetingIdFor, keySegment } from './names';
import { recordingRequest } from './request';

export interface Defaults {
  captureBucket?: string;
  concatenationBucket?: string;
  region: string;
  /** The stack's partition (aws, aws-us-gov, ...): a meeting's media region must be in it. */
  partition: string;
  /** The stack's account, when known: a live stream secret must belong to it. */
  account?: string;
  /** Live stream secrets must be named with this prefix (the only ones the live connector function may read). */
  liveStreamSecretPrefix?: string;
}

/**
 * The AwaitConcatenation state's TimeoutSeconds (keep in step with the ASL): how often the wait re-checks
 * the concatenation pipeline when its end event was lost. `concatenation.timeoutMinutes` becomes a number
 * of such checks, so a stuck concatenation is reported at the first check past it.
 */
export const CONCATENATION_CHECK_SECONDS = 600;

/**
 * How long AwaitMeetingEnd waits for a callback before it checks the meeting again (its
 * TimeoutSecondsPath reads the plan's meetingEndCheckSeconds): hourly, the safety net for lost events.
 * With maxDurationMinutes the limit is cut into equal waits of at most an hour, so that a check falls on
 * it: 90 minutes are two checks 45 minutes apart, not a check at 60 and the next at 120. At most 24
 * waits, so the limit is reached within the bound MAX_MEETING_END_CHECKS (26) puts on the checks.
 */
export const MEETING_END_CHECK_SECONDS = 3600;

export function meetingEndCheckSeconds(maxDurationMinutes: number | undefined): number {
  if (maxDurationMinutes === undefined) return MEETING_END_CHECK_SECONDS;
  const limit = maxDurationMinutes * 60;
  return Math.ceil(limit / Math.ceil(limit / MEETING_END_CHECK_SECONDS));
}

/**
 * Turns the user's request into the plan every later step follows: defaults applied, buckets resolved,
 * prefixes made unique per execution. Nothing is called or created here, so a bad request costs nothing.
 */
export function buildPlan(input: unknown, executionId: string, executionName: string, defaults: Defaults): Plan {
  const req = parseOrThrow(recordingRequest(), input);
  const problems: string[] = [];
  if (req.meetingId && req.meeting) problems.push('meetingId and meeting: give one, not both (meetingId adopts an existing meeting; meeting creates a new one)');
  if (!req.meetingId && !req.meeting) problems.push('meetingId or meeting: give meetingId to record an existing meeting, or meeting: {} to create one');
  const captureBucket = req.capture?.bucket ?? defaults.captureBucket;
  if (!captureBucket) problems.push('capture.bucket: no bucket given and the stack has no default capture bucket (deploy with --param="captureBucket=NAME" or set capture.bucket)');
  const concatenationBucket = req.concatenation?.bucket ?? defaults.concatenationBucket ?? captureBucket;
  const audio = req.capture?.audio ?? 'AudioWithCompositedVideo';
  if (audio !== 'AudioWithCompositedVideo' && req.capture?.compositedVideo) {
    problems.push(`capture.compositedVideo: only used with capture.audio "AudioWithCompositedVideo" (got "${audio}"); remove it or change capture.audio`);
  }
  if (req.liveStream) problems.push(...liveStreamSecretProblems(req.liveStream.secretArn, defaults));
  const fileName = req.output?.fileName;
  if (fileName !== undefined) problems.push(...fileNameProblems(fileName));
  const mediaRegion = req.meeting?.mediaRegion;
  if (mediaRegion && !mediaRegionsIn(defaults.partition).includes(mediaRegion)) {
    // "A control Region can create a meeting in any media Region in the same AWS partition", and GovCloud
    // control regions only in GovCloud ones. (The stack cannot run in GovCloud today, having no media
    // pipelines there, but this holds for whichever partition it runs in.)
    problems.push(
      `meeting.mediaRegion: ${mediaRegion} is not in this stack's partition (${defaults.partition}), and a meeting's media region must be in its control region's partition; choose one of ${mediaRegionsIn(defaults.partition).join(', ')}`,
    );
  }
  if (problems.length > 0 || !captureBucket || !concatenationBucket) throw new InvalidRequest(problems);

  const composited = req.capture?.compositedVideo;
  const timeoutMinutes = req.concatenation?.timeoutMinutes ?? 60;
  return {
    executionId,
    executionName,
    mode: req.meetingId ? 'adopt' : 'create',
    meetingId: req.meetingId,
    externalMeetingId: req.meeting ? (req.meeting.externalMeetingId ?? externalMeetingIdFor(executionName)) : undefined,
    mediaRegion: req.meeting ? (req.meeting.mediaRegion ?? defaults.region) : undefined,
    capture: {
      bucket: captureBucket,
      prefix: trimSlashes(req.capture?.prefix ?? `captures/${keySegment(executionName)}`),
      audio,
      video: req.capture?.video ?? false,
      content: req.capture?.content ?? false,
      compositedVideo:
        audio === 'AudioWithCompositedVideo'
          ? {
              layout: 'GridView',
              resolution: composited?.resolution ?? 'FHD',
              contentShareLayout: composited?.contentShareLayout ?? 'PresenterOnly',
              presenterPosition: composited?.presenterPosition,
            }
          : undefined,
      kms: req.capture?.kms,
    },
    concatenation: {
      bucket: concatenationBucket,
      prefix: trimSlashes(req.concatenation?.prefix ?? `recordings/${keySegment(executionName)}`),
      maxChecks: Math.ceil((timeoutMinutes * 60) / CONCATENATION_CHECK_SECONDS),
    },
    keepRawChunks: req.keepRawChunks ?? true,
    maxDurationMinutes: req.maxDurationMinutes,
    meetingEndCheckSeconds: meetingEndCheckSeconds(req.maxDurationMinutes),
    liveStream: req.liveStream && {
      secretArn: req.liveStream.secretArn,
      muxType: req.liveStream.muxType ?? 'AudioWithCompositedVideo',
      audioChannels: req.liveStream.audioChannels ?? 'Stereo',
      audioSampleRate: req.liveStream.audioSampleRate ?? '48000',
    },
    output: fileName !== undefined ? { fileName } : undefined,
    tags: Object.entries(req.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
  };
}

/**
 * The StartLiveConnector function reads the secret in the stack's region and account, and its role may
 * read only secrets named with the stack's prefix: say so now rather than fail after the meeting exists.
 */
function liveStreamSecretProblems(secretArn: string, defaults: Defaults): string[] {
  const secret = parseSecretArn(secretArn);
  if (!secret) return [];
  const problems: string[] = [];
  if (secret.region !== defaults.region) {
    problems.push(`liveStream.secretArn: the secret is in ${secret.region}, but the stack reads it in ${defaults.region}; create the secret in ${defaults.region}`);
  }
  if (defaults.account && secret.account !== defaults.account) {
    problems.push(`liveStream.secretArn: the secret belongs to account ${secret.account}, not to this stack's account ${defaults.account}; create the secret in ${defaults.account}`);
  }
  const prefix = defaults.liveStreamSecretPrefix;
  if (prefix && !secret.name.startsWith(prefix)) {
    problems.push(`liveStream.secretArn: the secret's name must start with "${prefix}" (the stack parameter liveStreamSecretPrefix; the stack may read no other secrets); name it ${prefix}${secret.name}`);
  }
  return problems;
}

function trimSlashes(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}
