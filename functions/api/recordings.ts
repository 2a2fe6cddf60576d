import { randomUUID } from 'node:crypto';
import { DescribeExecutionCommand, ListExecutionsCommand, StartExecutionCommand, type DescribeExecutionCommandOutput, type SFNClient } from '@aws-sdk/client-sfn';
import { InvalidRequest } from '../lib/errors';
import { meetingEnded } from '../lib/meeting-end';
import { findRecordByExecution, type RecordingRecord, type RecordingStore } from '../lib/store';
import { idempotencyName } from '../lib/tokens';
import { buildPlan, type Defaults } from '../validate-request/validate';
import { downloadLinks, type Download, type PresignGet } from './downloads';

/**
 * The recordings API behind API Gateway: start a recording (one execution per idempotency key), read
 * its state, stop it early. Every answer is a status code and a JSON body; the OpenAPI document in
 * api/openapi.yaml describes them and a test holds the two together.
 */
export interface ApiDeps {
  sfn: SFNClient;
  store: RecordingStore;
  stateMachineArn: string;
  /** The stack's defaults ValidateRequest applies (buckets, region). */
  defaults: Defaults;
  now: () => string;
  /** Presigns a GET of a finished file (./downloads). */
  presignGet: PresignGet;
  /** How long a download link is valid (the stack parameter downloadLinkSeconds). */
  downloadLinkSeconds: number;
}

export interface ApiResult {
  statusCode: number;
  body: Record<string, unknown>;
}

export interface RecordingView {
  id: string;
  executionArn: string;
  status: string;
  /** What the recording is doing: RECORDING, CONCATENATING, SUCCEEDED, FAILED (from the recordings table). */
  phase?: string;
  startedAt?: string;
  stoppedAt?: string;
  meetingId?: string;
  capturePipelineId?: string;
  concatenationPipelineId?: string;
  livePipelineId?: string;
  meetingEndedAt?: string;
  endReason?: string;
  artifacts: string[];
  /** What cleanup could not delete, with AWS's refusal: still running, for someone to look at. */
  notDeleted?: Record<string, string>;
  /** A SUCCEEDED recording's files as presigned GET URLs, each valid for the stack's downloadLinkSeconds. */
  downloads?: Download[];
  /** What the reconciler found still running after the execution, and removed or was refused. */
  reconciled?: RecordingRecord['reconciled'];
  error?: { error: string; cause: string };
}

// Execution names: 1..80 characters; ours are `key-<hash>` or a UUID, and nothing else is looked up.
const RECORDING_ID = /^[A-Za-z0-9_-]{1,80}$/;

const notFound = (id: string): ApiResult => ({ statusCode: 404, body: { message: `No recording ${id}.` } });

export async function startRecording(deps: ApiDeps, rawBody: string | undefined, idempotencyKey: string | undefined): Promise<ApiResult> {
  let request: unknown;
  try {
    request = JSON.parse(rawBody ?? '');
  } catch {
    return { statusCode: 400, body: { message: 'body: must be a JSON object (the recording request; see the README\'s input reference)', problems: ['body: not JSON'] } };
  }
  try {
    // The very checks ValidateRequest makes, so a request the API accepts does not fail at the first state.
    buildPlan(request, 'api-validation', 'api-validation', deps.defaults);
  } catch (err) {
    if (err instanceof InvalidRequest) return { statusCode: 400, body: { message: err.message, problems: err.problems } };
    throw err;
  }
  if (idempotencyKey !== undefined && (idempotencyKey.length < 1 || idempotencyKey.length > 255)) {
    return { statusCode: 400, body: { message: 'Idempotency-Key: must be 1-255 characters', problems: ['Idempotency-Key: must be 1-255 characters'] } };
  }
  // The execution's input is the request as parsed, so the same body always makes the same input.
  const input = JSON.stringify(request);
  const name = idempotencyKey === undefined ? randomUUID() : idempotencyName(idempotencyKey);
  try {
    const out = await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: deps.stateMachineArn, name, input }));
    return { statusCode: 202, body: { id: name, executionArn: out.executionArn, status: 'RUNNING' } };
  } catch (err) {
    if (!(err instanceof Error && err.name === 'ExecutionAlreadyExists')) throw err;
  }
  // The name exists: the same request again (a retried POST, even after the recording finished) gets
  // the same recording; another request under the same key is a conflict.
  const existing = await describe(deps, name);
  if (!existing || existing.input !== input) {
    return { statusCode: 409, body: { message: 'Idempotency-Key: this key was already used for a different request; use a new key for a new recording.' } };
  }
  return { statusCode: 202, body: { id: name, executionArn: existing.executionArn, status: existing.status } };
}

export async function getRecording(deps: ApiDeps, id: string): Promise<ApiResult> {
  if (!RECORDING_ID.test(id)) return notFound(id);
  const execution = await describe(deps, id);
  if (!execution) return notFound(id);
  const rec = await findRecordByExecution(deps.store, id);
  // Another recording of the same meeting may have replaced the item; only this execution's counts.
  const own = rec?.executionId === execution.executionArn ? rec : undefined;
  const recording = view(id, execution, own);
  // The files are in the meeting's media region, which the recording's own item keeps. A later recording
  // of the same (adopted) meeting replaces the item: then the region is not known, and no links are made.
  if (recording.status === 'SUCCEEDED' && own && recording.artifacts.length > 0) {
    recording.downloads = await downloadLinks(deps.presignGet, recording.artifacts, own.mediaRegion, deps.downloadLinkSeconds, Date.parse(deps.now()));
  }
  return { statusCode: 200, body: { ...recording } };
}

export async function stopRecording(deps: ApiDeps, id: string): Promise<ApiResult> {
  if (!RECORDING_ID.test(id)) return notFound(id);
  const execution = await describe(deps, id);
  if (!execution) return notFound(id);
  if (execution.status !== 'RUNNING') return { statusCode: 409, body: { message: `Recording ${id} has already finished (${execution.status}).` } };
  const rec = await findRecordByExecution(deps.store, id);
  if (!rec || rec.executionId !== execution.executionArn) {
    return { statusCode: 409, body: { message: `Recording ${id} has not started capturing yet; try again in a few seconds.` } };
  }
  if (rec.status !== 'RECORDING' || rec.meetingEndedAt) {
    return { statusCode: 202, body: { id, status: 'STOPPING', message: 'The recording is already stopping; it goes on to concatenation.' } };
  }
  // The workflow ends the meeting (or stops the capture) as its next step, with its own retries.
  await meetingEnded(deps, rec.meetingId, 'StoppedByRequest', deps.now(), 'request');
  return { statusCode: 202, body: { id, status: 'STOPPING', message: rec.createdMeeting ? 'The meeting is being ended; the recording goes on to concatenation.' : 'The capture is being stopped (the meeting is yours and goes on); the recording goes on to concatenation.' } };
}

/**
 * The state machine's executions, newest first (the order ListExecutions gives), a page at a time:
 * `limit` 1-100 (default 20), and `next` as the previous page returned it.
 */
export async function listRecordings(deps: ApiDeps, query: Record<string, string | undefined>): Promise<ApiResult> {
  const problems: string[] = [];
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= 100)) problems.push(`limit: must be a whole number from 1 to 100; got "${query.limit}"`);
  const unknown = Object.keys(query).filter((k) => k !== 'limit' && k !== 'next');
  for (const k of unknown) problems.push(`${k}: not a parameter of GET /recordings (limit, next)`);
  if (problems.length > 0) return { statusCode: 400, body: { message: problems.join('; '), problems } };
  try {
    const out = await deps.sfn.send(new ListExecutionsCommand({ stateMachineArn: deps.stateMachineArn, maxResults: limit, nextToken: query.next }));
    const recordings = (out.executions ?? []).map((e) => ({ id: e.name ?? '', executionArn: e.executionArn ?? '', status: e.status ?? 'RUNNING', startedAt: e.startDate?.toISOString(), stoppedAt: e.stopDate?.toISOString() }));
    return { statusCode: 200, body: { recordings, ...(out.nextToken ? { next: out.nextToken } : {}) } };
  } catch (err) {
    if (err instanceof Error && err.name === 'InvalidToken') return { statusCode: 400, body: { message: 'next: not a token a previous page returned (or it expired); start again without next', problems: ['next: invalid'] } };
    throw err;
  }
}

async function describe(deps: ApiDeps, name: string): Promise<DescribeExecutionCommandOutput | undefined> {
  const executionArn = `${deps.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  try {
    return await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (err) {
    if (err instanceof Error && err.name === 'ExecutionDoesNotExist') return undefined;
    throw err;
  }
}

function view(id: string, e: DescribeExecutionCommandOutput, own: RecordingRecord | undefined): RecordingView {
  const summary = e.status === 'SUCCEEDED' ? (JSON.parse(e.output ?? '{}') as Partial<RecordingView>) : {};
  return {
    id,
    executionArn: e.executionArn ?? '',
    status: e.status ?? 'RUNNING',
    phase: own?.status,
    startedAt: e.startDate?.toISOString(),
    stoppedAt: e.stopDate?.toISOString(),
    meetingId: own?.meetingId ?? summary.meetingId,
    capturePipelineId: own?.capturePipelineId ?? summary.capturePipelineId,
    concatenationPipelineId: own?.concatenationPipelineId ?? summary.concatenationPipelineId,
    livePipelineId: own?.livePipelineId,
    meetingEndedAt: own?.meetingEndedAt,
    endReason: own?.endReason,
    artifacts: own?.artifacts ?? summary.artifacts ?? [],
    notDeleted: own?.notDeleted ?? summary.notDeleted,
    reconciled: own?.reconciled,
    error: e.status === 'SUCCEEDED' || e.status === 'RUNNING' ? undefined : (own?.error ?? { error: e.error ?? e.status ?? 'FAILED', cause: e.cause ?? '' }),
  };
}
