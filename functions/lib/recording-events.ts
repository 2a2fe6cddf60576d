import * as z from 'zod/mini';
import { MeetingRef, RecordingFile } from './schemas';

/**
 * The events the state machine publishes to the default EventBridge bus, detail type
 * "Recording State Change", source `<service>.<stage>` (chime-recording.prod): one RecordingStarted
 * when the capture runs, and exactly one RecordingSucceeded or RecordingFailed per execution. The
 * schemas are the contract subscribers rely on: `npm run docs` writes them as JSON Schema to
 * statemachines/recording-state-change.schema.json, and the workflow tests check every event against them.
 * The Lambda bundles import only its types (the state machine builds the details).
 */

export const DETAIL_TYPE = 'Recording State Change';
export const EVENTS_SCHEMA_FILE = 'statemachines/recording-state-change.schema.json';

const base = {
  version: z.literal('1'),
  executionArn: z.string(),
  executionName: z.string(),
};
const ErrorDetail = z.object({ error: z.string(), cause: z.string() });

/** The capture runs: published by AnnounceRecordingStarted right after StartCapture. */
export const RecordingStarted = z.object({
  ...base,
  eventType: z.literal('RecordingStarted'),
  /** When the state machine saw the capture start (the state's entered time, ISO 8601). */
  startedAt: z.string(),
  meeting: MeetingRef,
  capturePipelineId: z.string(),
});

/** Cleanup's summary (its type, RecordingSummary, is this schema's), published by AnnounceRecordingOutcome. */
export const RecordingOutcome = z.object({
  ...base,
  eventType: z.enum(['RecordingSucceeded', 'RecordingFailed']),
  status: z.enum(['SUCCEEDED', 'FAILED']),
  meetingId: z.optional(z.string()),
  externalMeetingId: z.optional(z.string()),
  startedAt: z.optional(z.string()),
  endedAt: z.optional(z.string()),
  endReason: z.optional(z.string()),
  capturePipelineId: z.optional(z.string()),
  livePipelineId: z.optional(z.string()),
  concatenationPipelineId: z.optional(z.string()),
  /** The finished files with size, content type and (MP4) duration, and the manifest next to them (VerifyRecording). */
  files: z.array(RecordingFile),
  manifest: z.optional(z.string()),
  participants: z.optional(z.array(z.string())),
  /** Where the raw chunks are, and whether they are still there. */
  rawChunks: z.object({ uri: z.string(), kept: z.boolean() }),
  artifacts: z.array(z.string()),
  /** What cleanup stopped or deleted, e.g. "capture-pipeline:<id>" (already-gone resources are not listed). */
  deleted: z.array(z.string()),
  /**
   * What cleanup asked to delete and AWS refused for good, with its error: a concatenation pipeline the
   * recording gave up on may refuse deletion (ConflictException, local/core/behaviours.ts) and then
   * stops, or not, on its own; it is reported here, not retried.
   */
  notDeleted: z.optional(z.record(z.string(), z.string())),
  rawChunksDeleted: z.number(),
  /** Raw chunks S3 refused to delete (keepRawChunks false), by its error code; they stay under the capture prefix. */
  rawChunksNotDeleted: z.optional(z.record(z.string(), z.number())),
  error: z.optional(ErrorDetail),
});

/** Failed before anything was created (AnnounceRejected), or Cleanup gave up (AnnounceCleanupFailed, cleanupFailed: true). */
export const RecordingFailedUncleaned = z.object({
  ...base,
  eventType: z.literal('RecordingFailed'),
  status: z.literal('FAILED'),
  error: ErrorDetail,
  cleanupFailed: z.optional(z.literal(true)),
  rawChunks: z.optional(z.object({ uri: z.string(), kept: z.literal(true) })),
});

export const RecordingStateChange = z.union([RecordingStarted, RecordingOutcome, RecordingFailedUncleaned]);
export type RecordingStateChange = z.infer<typeof RecordingStateChange>;
