import fs from 'node:fs';
import path from 'node:path';
import { nearest } from './behaviours';

/**
 * The names a fault may be given, checked before anything runs, so a typo never silently injects
 * nothing (`--inject CreateMeting:...`) or an error AWS never sends (`--inject CreateMeeting:FooBar`):
 * operations and their errors from AWS's models (local/models/operations.json, derived from botocore by
 * `npm run models`) plus each service's documented common errors, and the event types the local cloud
 * publishes. A wrong name is an error naming the closest valid ones.
 */
interface Catalogue {
  botocore: string;
  services: Record<string, { title: string; operations: Record<string, string[]> }>;
}

const CATALOGUE_PATH = path.resolve(__dirname, '../models/operations.json');

let catalogue: Catalogue | undefined;
function load(): Catalogue {
  catalogue ??= JSON.parse(fs.readFileSync(CATALOGUE_PATH, 'utf8')) as Catalogue;
  return catalogue;
}

/**
 * "Errors common to the API actions of all AWS services" of the query and JSON protocols, which no
 * operation's model lists: e.g. https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html
 * and https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html.
 */
const COMMON = ['AccessDeniedException', 'ExpiredTokenException', 'IncompleteSignature', 'InternalFailure', 'InvalidAction', 'InvalidClientTokenId', 'NotAuthorized', 'OptInRequired', 'RequestExpired', 'ServiceUnavailable', 'ThrottlingException', 'ValidationError'];

/** What each service sends besides its models' per-operation errors. */
const SERVICE_ERRORS: Record<string, string[]> = {
  // Chime's models list every error each operation sends (400 to 503).
  meetings: [],
  'media-pipelines': [],
  // IAM and STS (query protocol) throttle with `Throttling` (botocore data/_retry.json, service_error_code
  // "Throttling") and refuse with `AccessDenied` ("An error occurred (AccessDenied) when calling ...":
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
  iam: [...COMMON, 'Throttling', 'AccessDenied'],
  sts: [...COMMON, 'Throttling', 'AccessDenied'],
  states: COMMON,
  secretsmanager: COMMON,
  events: COMMON,
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
  dynamodb: ['AccessDeniedException', 'ConditionalCheckFailedException', 'IncompleteSignatureException', 'ItemCollectionSizeLimitExceededException', 'LimitExceededException', 'MissingAuthenticationTokenException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'ResourceInUseException', 'ResourceNotFoundException', 'ThrottlingException', 'UnrecognizedClientException', 'ValidationException', 'InternalServerError', 'ServiceUnavailable'],
  // https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
  s3: ['AccessDenied', 'InternalError', 'InvalidAccessKeyId', 'NoSuchBucket', 'NoSuchBucketPolicy', 'NoSuchKey', 'RequestTimeout', 'ServiceUnavailable', 'SignatureDoesNotMatch', 'SlowDown'],
};

/**
 * Event types (`detail.eventType`) and detail-types the local cloud publishes, which event faults match.
 * Chime: https://docs.aws.amazon.com/chime-sdk/latest/dg/using-events.html and
 * https://docs.aws.amazon.com/chime-sdk/latest/dg/media-pipe-events.html; S3:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html (only Object Created is emulated).
 */
export const PUBLISHED_EVENT_TYPES = [
  'chime:MeetingStarted',
  'chime:MeetingEnded',
  'chime:AttendeeAdded',
  'chime:AttendeeDeleted',
  'chime:AttendeeJoined',
  'chime:AttendeeLeft',
  'chime:AttendeeDropped',
  'chime:MediaPipelineInProgress',
  'chime:MediaPipelineDeleted',
  'chime:MediaPipelineTemporaryFailure',
  'chime:MediaPipelineResumed',
  'chime:MediaPipelinePermanentFailure',
  'Chime Meeting State Change',
  'Chime Media Pipeline State Change',
  'Object Created',
  // The recording's own events (functions/lib/recording-events.ts): detail.eventType and detail-type.
  'RecordingStarted',
  'RecordingSucceeded',
  'RecordingFailed',
  'Recording State Change',
];

function list(names: string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}

function suggestion(word: string, choices: string[]): string {
  // SDK error classes end in Exception where some wire codes do not (IAM's NoSuchEntityException is NoSuchEntity).
  const bare = choices.filter((c) => c === word.replace(/Exception$/, '') || c === `${word}Exception`);
  const near = [...new Set([...bare, ...nearest(word, choices, 3)])].slice(0, 3);
  return near.length > 0 ? ` Did you mean ${list(near)}?` : '';
}

/** The services (local cloud names) whose AWS model has this operation. */
export function servicesWithOperation(operation: string): string[] {
  return Object.entries(load().services)
    .filter(([, s]) => operation in s.operations)
    .map(([name]) => name);
}

/** The error codes AWS may answer `operation` with, in any of the services that have it. */
export function errorsOf(operation: string): string[] {
  const out = new Set<string>();
  for (const name of servicesWithOperation(operation)) {
    for (const e of load().services[name]!.operations[operation]!) out.add(e);
    for (const e of SERVICE_ERRORS[name] ?? []) out.add(e);
  }
  return [...out].sort();
}

/** Throws, naming the flag and the closest valid names, unless `operation` can answer `error`. */
export function checkOperationError(flag: string, operation: string, error: string): void {
  const { services } = load();
  if (servicesWithOperation(operation).length === 0) {
    const all = Object.values(services).flatMap((s) => Object.keys(s.operations));
    throw new Error(
      `${flag}: no operation "${operation}" in the services the local cloud serves (${Object.values(services)
        .map((s) => s.title)
        .join(', ')}).${suggestion(operation, all)} Operation names are AWS's, case and all (local/models/operations.json).`,
    );
  }
  const errors = errorsOf(operation);
  if (!errors.includes(error)) {
    throw new Error(`${flag}: AWS does not answer ${operation} with "${error}".${suggestion(error, errors)} It may answer: ${errors.join(', ')}.`);
  }
}

/** Throws, naming the flag and the closest valid types, unless the local cloud publishes events of `type`. */
export function checkEventType(flag: string, type: string): void {
  if (PUBLISHED_EVENT_TYPES.includes(type)) return;
  throw new Error(`${flag}: the local cloud publishes no event of type "${type}".${suggestion(type, PUBLISHED_EVENT_TYPES)} Give a detail.eventType or a detail-type: ${PUBLISHED_EVENT_TYPES.join(', ')}.`);
}
