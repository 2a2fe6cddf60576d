import * as z from 'zod/mini';
import { SECRET_ARN } from '../lib/arns';
import { CONTENT_SHARE_LAYOUTS, LIVE_AUDIO_CHANNELS, LIVE_AUDIO_SAMPLE_RATES, LIVE_MUX_TYPES, PRESENTER_POSITIONS } from '../lib/pipeline-options';
import { MEDIA_REGIONS } from '../lib/regions';
import { STACK_TAG_KEY } from '../lib/stack-tag';

/**
 * The workflow input: what a user pastes in the console or POSTs to the API. Only ValidateRequest and the
 * API check it; later steps read the plan (functions/lib/schemas.ts) and never bundle these rules.
 */

/** The request's rules. Called once, by recordingRequest(). */
function buildRecordingRequest() {
  const bucketName = z.string().check(
    z.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)'),
  );
  // The sink ARN is at most 1024 characters; keep prefixes well inside that and free of characters S3 keys reject.
  const keyPrefix = z.string().check(
    z.maxLength(512, 'must be at most 512 characters'),
    // The pipeline sink is `arn:<partition>:s3:::bucket/prefix`, and media pipeline ARNs allow only these characters.
    z.regex(/^[A-Za-z0-9_./-]*$/, 'may contain only letters, digits and _ . / -'),
  );
  // The tags go to CreateMeeting and to every media pipeline, so they must fit both models' Tag shapes:
  // the meetings model's patterns, lengths and at most 50 (its TagList); the media pipelines model only
  // bounds the lengths the same way and allows 200. Each problem names its tag.
  const tagMap = z
    .record(
      z.string().check(
        z.minLength(1, 'tag keys must be 1-128 characters'),
        z.maxLength(128, 'tag keys must be 1-128 characters'),
        z.regex(/^[a-zA-Z+-=._:/]+$/, 'tag keys may contain only letters, digits and + , - . / : ; < = _ (the meetings TagKey pattern ^[a-zA-Z+-=._:/]+$)'),
        z.refine((k) => !k.toLowerCase().startsWith('aws:'), 'tag keys must not start with "aws:" (reserved by AWS)'),
        z.refine((k) => k !== STACK_TAG_KEY, `tag key "${STACK_TAG_KEY}" is the stack's own (it marks what the stack created, for the reconciler); choose another key`),
      ),
      z.string().check(
        z.maxLength(256, 'tag values must be at most 256 characters'),
        z.regex(/^[\s\w+-=\.:/@]*$/, 'tag values may contain only letters, digits, whitespace and _ + , - . / : ; < = @ (the meetings TagValue pattern [\\s\\w+-=\\.:/@]*)'),
      ),
    )
    .check(z.refine((tags) => Object.keys(tags).length <= 49, 'at most 49 tags (CreateMeeting takes at most 50, and the stack adds its own)'));

  const compositedVideo = z.strictObject({
    layout: z.optional(z.literal('GridView')),
    resolution: z.optional(z.enum(['HD', 'FHD'])),
    contentShareLayout: z.optional(z.enum(CONTENT_SHARE_LAYOUTS)),
    presenterPosition: z.optional(z.enum(PRESENTER_POSITIONS)),
  });

  /** Only the secret's ARN: the RTMP(S) URL holds the stream key, and the input stays in the execution history for 90 days. */
  const liveStream = z.strictObject({
    secretArn: z.string().check(
      z.regex(SECRET_ARN, 'must be the full ARN of a Secrets Manager secret, as create-secret prints it (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)'),
    ),
    muxType: z.optional(z.enum(LIVE_MUX_TYPES, `must be one of ${LIVE_MUX_TYPES.join(', ')}`)),
    audioChannels: z.optional(z.enum(LIVE_AUDIO_CHANNELS, `must be one of ${LIVE_AUDIO_CHANNELS.join(', ')}`)),
    audioSampleRate: z.optional(z.enum(LIVE_AUDIO_SAMPLE_RATES, `must be one of "${LIVE_AUDIO_SAMPLE_RATES.join('", "')}" (a string)`)),
  });

  return z.strictObject({
    /** Adopt a meeting your application created (most apps create their own meetings). */
    meetingId: z.optional(z.string().check(z.regex(/^[a-fA-F0-9]{8}(?:-[a-fA-F0-9]{4}){3}-[a-fA-F0-9]{12}$/, 'must be a Chime meeting id (a UUID)'))),
    /** Create a new meeting for this recording. */
    meeting: z.optional(
      z.strictObject({
        externalMeetingId: z.optional(
          z.string().check(
            z.minLength(2, 'must be 2-64 characters'),
            z.maxLength(64, 'must be 2-64 characters'),
            z.refine((v) => !v.toLowerCase().startsWith('aws:'), 'must not start with "aws:" (reserved by AWS)'),
          ),
        ),
        mediaRegion: z.optional(z.enum(MEDIA_REGIONS, `must be a Chime media region: ${MEDIA_REGIONS.join(', ')}`)),
      }),
    ),
    capture: z.optional(
      z.strictObject({
        bucket: z.optional(bucketName),
        prefix: z.optional(keyPrefix),
        audio: z.optional(z.enum(['AudioOnly', 'AudioWithActiveSpeakerVideo', 'AudioWithCompositedVideo'])),
        video: z.optional(z.boolean()),
        content: z.optional(z.boolean()),
        compositedVideo: z.optional(compositedVideo),
        kms: z.optional(
          z.strictObject({
            keyId: z.string().check(z.minLength(1), z.maxLength(4096)),
            encryptionContext: z.optional(z.string().check(z.maxLength(4096))),
            sinkIamRoleArn: z.string().check(z.regex(/^arn:[a-z-]+:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN')),
          }),
        ),
      }),
    ),
    concatenation: z.optional(
      z.strictObject({
        bucket: z.optional(bucketName),
        prefix: z.optional(keyPrefix),
        timeoutMinutes: z.optional(z.int().check(z.gte(1), z.lte(720))),
      }),
    ),
    /**
     * Ends the recording this many minutes after the capture started, as POST /recordings/{id}/stop does.
     * Chime ends a meeting after 24 hours at most, hence the bound.
     */
    maxDurationMinutes: z.optional(
      z.int('must be a whole number of minutes from 1 to 1440 (24 hours, the longest a Chime meeting lasts)').check(
        z.gte(1, 'must be at least 1 (minutes); leave it out to record until the meeting ends'),
        z.lte(1440, 'must be at most 1440 (24 hours, the longest a Chime meeting lasts); leave it out to record until the meeting ends'),
      ),
    ),
    /** false deletes the 5-second chunks once the concatenated files are confirmed in S3. */
    keepRawChunks: z.optional(z.boolean()),
    /** Also stream the meeting to an RTMP(S) endpoint whose URL is kept in a Secrets Manager secret. */
    liveStream: z.optional(liveStream),
    /**
     * Where the finished files end up. fileName: a key template in the concatenation bucket with the
     * placeholders {externalMeetingId}, {startedAt}, {artifact} and {executionName} (the rules are
     * functions/lib/file-names.ts's, checked by buildPlan); the files are copied there once verified and
     * the concatenation's pipeline-id names removed.
     */
    output: z.optional(z.strictObject({ fileName: z.optional(z.string().check(z.maxLength(1024, 'must be at most 1024 characters (S3 keys are at most 1024 bytes)'))) })),
    tags: z.optional(tagMap),
  });
}

let built: ReturnType<typeof buildRecordingRequest> | undefined;

/**
 * The request schema, built on first use rather than at module load: of the API's routes only
 * POST /recordings parses a request, so reading or stopping a recording does not pay at cold start for
 * building the zod schemas of these rules.
 */
export function recordingRequest(): ReturnType<typeof buildRecordingRequest> {
  return (built ??= buildRecordingRequest());
}
export type RecordingRequest = z.infer<ReturnType<typeof buildRecordingRequest>>;
