/**
 * Every error a step can fail with. Step Functions matches `ErrorEquals` on the error name, and minifiers
 * rename classes, so each class sets `name` explicitly. Two families:
 * - transient: the state machine retries them with full-jitter backoff (see statemachines/recording.asl.json);
 * - terminal: never retried; the execution goes to Cleanup (or straight to RecordingFailed before any
 *   resource exists).
 * test/unit/asl.test.ts checks that the ASL and this file name the same errors.
 */
export abstract class WorkflowError extends Error {
  abstract readonly retryable: boolean;
}

abstract class TransientError extends WorkflowError {
  readonly retryable = true;
}

abstract class TerminalError extends WorkflowError {
  readonly retryable = false;
}

/** Throttling, 5xx or a network failure from an AWS API; worth another try after a backoff. */
export class ServiceBusy extends TransientError {
  override readonly name = 'ServiceBusy';
}

/** The media pipelines service-linked role was created moments ago and IAM has not propagated it yet. */
export class RoleNotReady extends TransientError {
  override readonly name = 'RoleNotReady';
}

/**
 * Not a failure: the step's turn in Chime's shared request budget (functions/lib/quota.ts) comes later
 * than its Lambda can wait. The message is that time (ISO 8601): the state machine catches this, waits
 * until then in a Wait state and runs the step again with the slot it reserved. Never retried as such.
 */
export class QuotaWait extends WorkflowError {
  override readonly name = 'QuotaWait';
  readonly retryable = false;
}

/** The request (execution input) is invalid; the message names each bad field and how to fix it. */
export class InvalidRequest extends TerminalError {
  override readonly name = 'InvalidRequest';
  constructor(readonly problems: string[]) {
    super(`Invalid recording request: ${problems.join('; ')}`);
  }
}

/** A bucket is missing, in the wrong region, lacks the media pipelines grant, or uses the aws/s3 KMS key. */
export class BucketNotReady extends TerminalError {
  override readonly name = 'BucketNotReady';
}

/** AWS refused the call (403/401): the function's role or a resource policy is missing a permission. */
export class AccessDenied extends TerminalError {
  override readonly name = 'AccessDenied';
}

/** A service quota was reached (active media pipelines per region, meetings, attendees). */
export class LimitReached extends TerminalError {
  override readonly name = 'LimitReached';
}

/**
 * The meeting to adopt is not a running meeting of the stack's control region: it does not exist, has
 * ended, or was created through another control region (where alone it can be managed).
 */
export class MeetingNotFound extends TerminalError {
  override readonly name = 'MeetingNotFound';
}

/** Another execution is already recording this meeting. */
export class RecordingAlreadyActive extends TerminalError {
  override readonly name = 'RecordingAlreadyActive';
}

/** A media pipeline of this recording failed permanently. */
export class PipelineFailed extends TerminalError {
  override readonly name = 'PipelineFailed';
}

/** The concatenation pipeline did not finish within the bounded wait. */
export class ConcatenationTimedOut extends TerminalError {
  override readonly name = 'ConcatenationTimedOut';
}

/**
 * The capture wrote nothing (the meeting ended before the capture pipeline could join it, for example
 * while a new service-linked role propagated), so there is nothing to concatenate.
 */
export class NothingCaptured extends TerminalError {
  override readonly name = 'NothingCaptured';
}

/** The meeting still exists after Chime's 24-hour maximum; something is wrong, stop waiting. */
export class MeetingNeverEnded extends TerminalError {
  override readonly name = 'MeetingNeverEnded';
}

/**
 * The live stream's secret cannot be read: it does not exist, is scheduled for deletion, cannot be
 * decrypted, or holds binary data. The message names the secret ARN and the fix, never its value.
 */
export class LiveStreamSecretUnavailable extends TerminalError {
  override readonly name = 'LiveStreamSecretUnavailable';
}

/** The live stream's secret does not hold a usable rtmp:// or rtmps:// URL; the message says which rule it broke, never the URL. */
export class InvalidLiveStreamUrl extends TerminalError {
  override readonly name = 'InvalidLiveStreamUrl';
}

/**
 * A finished file is shorter than what was captured (capture start to meeting end, less one chunk):
 * chunks were lost, or the concatenation stopped early. The message says what was expected and found;
 * the raw chunks are kept whatever keepRawChunks says.
 */
export class IncompleteRecording extends TerminalError {
  override readonly name = 'IncompleteRecording';
}

/**
 * A readable name (output.fileName) is already taken by a file that is not this recording's copy (its
 * metadata names another execution, or none): nothing is overwritten, the concatenation's files stay where
 * they are, and the message names the key and the fix (add {executionName} to the template).
 */
export class FileNameTaken extends TerminalError {
  override readonly name = 'FileNameTaken';
}

/** Names the state machine's retriers list as transient. */
export const TRANSIENT_ERRORS = ['ServiceBusy', 'RoleNotReady'] as const;
/**
 * Every error name this file defines. Spelled out rather than spread from TRANSIENT_ERRORS: esbuild keeps
 * an unused array built with a spread (iterating could have side effects), and only tests read this.
 */
export const ERROR_NAMES = [
  'ServiceBusy',
  'RoleNotReady',
  'QuotaWait',
  'InvalidRequest',
  'BucketNotReady',
  'AccessDenied',
  'LimitReached',
  'MeetingNotFound',
  'RecordingAlreadyActive',
  'PipelineFailed',
  'ConcatenationTimedOut',
  'NothingCaptured',
  'MeetingNeverEnded',
  'LiveStreamSecretUnavailable',
  'InvalidLiveStreamUrl',
  'IncompleteRecording',
  'FileNameTaken',
] as const;

const THROTTLING = new Set([
  'ThrottlingException',
  'ThrottledClientException',
  'TooManyRequestsException',
  'Throttling',
  'ThrottlingError',
  'SlowDown',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
]);
const FORBIDDEN = new Set(['ForbiddenException', 'AccessDenied', 'AccessDeniedException', 'UnauthorizedClientException', 'UnauthorizedException']);
const LIMITS = new Set(['ResourceLimitExceededException', 'LimitExceededException', 'ServiceQuotaExceededException']);
// Server-side faults by name, for errors that arrive without an HTTP status (Secrets Manager's is InternalServiceError).
const SERVER_FAULTS = new Set(['InternalServiceError', 'InternalServerError', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException', 'ServiceFailureException']);
const NETWORK = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

/** The AWS error name (`error.name`) of an SDK error, or '' for anything else. */
export function awsErrorName(err: unknown): string {
  return err instanceof Error ? err.name : '';
}

export function isNotFound(err: unknown): boolean {
  return ['NotFoundException', 'NoSuchEntityException', 'NoSuchBucket', 'NoSuchKey', 'ResourceNotFoundException'].includes(awsErrorName(err));
}

/**
 * Runs a deletion; true when it removed something, false when it was already gone (NotFound means done,
 * so every cleanup can run any number of times).
 */
export async function deleteIfExists(deletion: Promise<unknown>): Promise<boolean> {
  try {
    await deletion;
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** A task token already used or expired (SendTaskSuccess/Failure on it): the callback is done. */
export function isSpentToken(err: unknown): boolean {
  return ['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken'].includes(awsErrorName(err));
}

/** An AWS throttling error, by name (any service's). */
export function isThrottling(err: unknown): boolean {
  return THROTTLING.has(awsErrorName(err));
}

/**
 * Maps an AWS SDK error onto the workflow's families. Errors that are already WorkflowErrors pass through;
 * errors this function does not recognise are returned unchanged, so the state machine still sees their
 * AWS name (for example BadRequestException) and sends the execution to Cleanup without retrying.
 */
export function toWorkflowError(err: unknown, what: string): unknown {
  if (err instanceof WorkflowError || !(err instanceof Error)) return err;
  const name = err.name;
  const { $metadata, $fault } = err as { $metadata?: { httpStatusCode?: number }; $fault?: string };
  const status = $metadata?.httpStatusCode ?? 0;
  const detail = `${what}: ${name}: ${err.message}`;
  // A call that never got an HTTP answer (reset socket, timeout) is as transient as a 5xx.
  const transport = NETWORK.has(name) || NETWORK.has((err as { code?: string }).code ?? '') || /\b(socket hang up|ECONNRESET|ETIMEDOUT|EPIPE|ECONNREFUSED)\b/.test(err.message);
  if (THROTTLING.has(name) || SERVER_FAULTS.has(name) || transport || status >= 500 || $fault === 'server') {
    return new ServiceBusy(detail);
  }
  if (FORBIDDEN.has(name) || status === 401 || status === 403) return new AccessDenied(detail);
  if (LIMITS.has(name)) return new LimitReached(detail);
  return err;
}
