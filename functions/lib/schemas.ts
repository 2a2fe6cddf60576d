import * as z from 'zod/mini';
import { CONTENT_SHARE_LAYOUTS, LIVE_AUDIO_CHANNELS, LIVE_AUDIO_SAMPLE_RATES, LIVE_MUX_TYPES, PRESENTER_POSITIONS } from './pipeline-options';

/** A step's slot in Chime's request budget, reserved ahead or carried back by the state machine (functions/lib/quota.ts). */
export const CarriedSlot = z.object({ step: z.string(), cause: z.object({ errorMessage: z.string() }) });

/**
 * The normalized plan ValidateRequest derives from the request (functions/validate-request/request.ts),
 * and the references later steps pass on. zod/mini keeps each Lambda bundle close to its SDK-only size;
 * parseOrThrow (./parse) checks a step's input against these.
 */

const Tag = z.object({ Key: z.string(), Value: z.string() });

/** The live stream settings with defaults applied; the URL stays in the secret. */
export const LiveStreamPlan = z.object({
  secretArn: z.string(),
  muxType: z.enum(LIVE_MUX_TYPES),
  audioChannels: z.enum(LIVE_AUDIO_CHANNELS),
  audioSampleRate: z.enum(LIVE_AUDIO_SAMPLE_RATES),
});
export type LiveStreamPlan = z.infer<typeof LiveStreamPlan>;

/**
 * The fields of the normalized plan every later step reads from `$.plan`. Exported so a step can
 * tighten a field by spreading them into its own object (StartLiveConnector requires liveStream):
 * z.extend would do the same but bundles zod's object-merging helpers (~1.5 KB) for this one use.
 */
export const planFields = {
  executionId: z.string(),
  executionName: z.string(),
  mode: z.enum(['create', 'adopt']),
  meetingId: z.optional(z.string()),
  externalMeetingId: z.optional(z.string()),
  mediaRegion: z.optional(z.string()),
  capture: z.object({
    bucket: z.string(),
    prefix: z.string(),
    audio: z.enum(['AudioOnly', 'AudioWithActiveSpeakerVideo', 'AudioWithCompositedVideo']),
    video: z.boolean(),
    content: z.boolean(),
    // A one-value z.enum rather than z.literal: the same check and message (expected "GridView"), and every
    // bundle already carries enum's code, while literal's would be 0.5 KB more.
    compositedVideo: z.optional(
      z.object({ layout: z.enum(['GridView']), resolution: z.enum(['HD', 'FHD']), contentShareLayout: z.enum(CONTENT_SHARE_LAYOUTS), presenterPosition: z.optional(z.enum(PRESENTER_POSITIONS)) }),
    ),
    kms: z.optional(z.object({ keyId: z.string(), encryptionContext: z.optional(z.string()), sinkIamRoleArn: z.string() })),
  }),
  concatenation: z.object({ bucket: z.string(), prefix: z.string(), maxChecks: z.number() }),
  keepRawChunks: z.boolean(),
  /** The request's time limit, when it has one: AwaitMeetingEnd ends the recording once it is reached. */
  maxDurationMinutes: z.optional(z.number()),
  /**
   * AwaitMeetingEnd's TimeoutSecondsPath: how long it waits for a callback before it checks again.
   * ValidateRequest always sets it; optional so that the plan of an execution started before it existed
   * (which runs on with the definition it started with) still parses in the steps' new code.
   */
  meetingEndCheckSeconds: z.optional(z.number()),
  liveStream: z.optional(LiveStreamPlan),
  /** The request's readable-name template (functions/lib/file-names.ts); without it the files keep the concatenation's names. */
  output: z.optional(z.object({ fileName: z.string() })),
  tags: z.array(Tag),
  /**
   * Set by the state machine when a step's turn in Chime's request budget came later than its Lambda
   * could wait (QuotaWait): the step and its reserved time, which the step uses when it runs again.
   */
  quotaWait: z.optional(CarriedSlot),
};

export const Plan = z.object(planFields);
export type Plan = z.infer<typeof Plan>;

export const MeetingRef = z.object({
  meetingId: z.string(),
  meetingArn: z.string(),
  sourceArn: z.string(),
  account: z.string(),
  mediaRegion: z.string(),
  created: z.boolean(),
  externalMeetingId: z.optional(z.string()),
});
export type MeetingRef = z.infer<typeof MeetingRef>;

export const PipelineRef = z.object({ mediaPipelineId: z.string(), mediaPipelineArn: z.string() });
export type PipelineRef = z.infer<typeof PipelineRef>;

/** EnsureServiceLinkedRole's result; createdAt is the role's IAM CreateDate (ISO 8601). */
export const RoleRef = z.object({
  roleArn: z.string(),
  createdAt: z.string(),
  fresh: z.boolean(),
  /** CreateMeeting's turn at Chime, which EnsureServiceLinkedRole reserved (absent with the budget off). */
  quotaWait: z.optional(CarriedSlot),
});
export type RoleRef = z.infer<typeof RoleRef>;

/** A finished file as VerifyRecording found it: the sink folder it is in, size, content type, MP4 duration. */
export const RecordingFile = z.object({
  /** The concatenation sink's folder: audio, video, content, composited-video, transcription-messages, meeting-events. */
  artifact: z.string(),
  uri: z.string(),
  size: z.number(),
  contentType: z.string(),
  durationSeconds: z.optional(z.number()),
});
export type RecordingFile = z.infer<typeof RecordingFile>;

/** VerifyRecording's result: the verified files, the manifest written next to them, and what they cover. */
export const VerifiedRecording = z.object({
  manifest: z.string(),
  startedAt: z.optional(z.string()),
  endedAt: z.optional(z.string()),
  endReason: z.optional(z.string()),
  /** Capture start to meeting end, in seconds, when both are known. */
  capturedSeconds: z.optional(z.number()),
  files: z.array(RecordingFile),
  /** ExternalUserIds of the people seen in the meeting (attendee events), sorted. */
  participants: z.array(z.string()),
  /** Where the raw chunks are (s3:// prefix). */
  rawChunks: z.string(),
});
export type VerifiedRecording = z.infer<typeof VerifiedRecording>;
