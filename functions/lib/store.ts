import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { RecordingAlreadyActive } from './errors';
import { nowIso } from './time';

/**
 * The recordings table: one item per meeting (partition key `meetingId`) holding the recording's state,
 * the task tokens of the two waits (meeting end, concatenation) and the presence of human attendees.
 * Every write is conditional on the item belonging to the calling execution, so a Lambda run twice, or a
 * late event, cannot clobber another recording.
 */
/** What attendee events said of one attendee: present or not as of `at`, and who they are to the application. */
export interface Presence {
  present: boolean;
  at: number;
  externalUserId?: string;
}

export type EndFoundBy = 'event' | 'request' | 'check';

export type RecordingStatus = 'RECORDING' | 'CONCATENATING' | 'SUCCEEDED' | 'FAILED';

export interface RecordingRecord {
  meetingId: string;
  executionId: string;
  executionName: string;
  status: RecordingStatus;
  createdMeeting: boolean;
  mediaRegion: string;
  capturePipelineId?: string;
  /** When the capture pipeline was created (its CreatedTimestamp): where maxDurationMinutes counts from. */
  captureStartedAt?: string;
  concatenationPipelineId?: string;
  /** The live connector pipeline streaming the meeting, when the request asked for a live stream. */
  livePipelineId?: string;
  taskToken?: string;
  meetingEndedAt?: string;
  endReason?: string;
  /** How the end was learnt: an event or a stop request (meetingEndedAt is when it happened), or a check (meetingEndedAt is when it was found, later). */
  endFoundBy?: EndFoundBy;
  /** attendeeId -> last known presence, from attendee events (ordered by event timestamp). */
  presence: Record<string, Presence>;
  /** How many times AwaitMeetingEnd was entered (retries not counted; bounded by the meeting's 24-hour maximum). */
  checks: number;
  /** $$.State.EnteredTime of the entry last counted in `checks`. */
  checksEnteredAt?: string;
  /** The AwaitConcatenation task token, and where the concatenation writes (the event handler lists it). */
  concatenationTaskToken?: string;
  concatenationBucket?: string;
  concatenationPrefix?: string;
  /** How many times AwaitConcatenation was entered (retries not counted; bounded by concatenation.timeoutMinutes). */
  concatenationChecks?: number;
  concatenationChecksEnteredAt?: string;
  artifacts?: string[];
  error?: { error: string; cause: string };
  /** What Cleanup could not delete, with AWS's refusal (see RecordingSummary.notDeleted). */
  notDeleted?: Record<string, string>;
  /** The reconciler's last finding for this recording (functions/reconciler/reconciler.ts). */
  reconciled?: { at: string; execution: string; removed: string[]; notOurs: string[]; notRemoved: Record<string, string> };
  /** When a reconciler pass found nothing left to look at again; later passes skip the item. */
  reconciledAt?: string;
  createdAt: string;
  updatedAt: string;
}

const ACTIVE = ['RECORDING', 'CONCATENATING'];
/** The table's global secondary indexes (serverless.yml declares them). */
export const BY_EXECUTION_NAME = 'byExecutionName';
export const BY_CONCATENATION_PIPELINE = 'byConcatenationPipeline';

/**
 * The recordings table as the functions reach it. The operations are plain functions over it rather than
 * methods of a class: a bundle keeps every method of a class it uses (and the DynamoDB commands they
 * build), while each Lambda calls one or two of these.
 */
export interface RecordingStore {
  readonly db: DynamoDBClient;
  readonly table: string;
}

/** The meeting's item, read consistently; undefined when the meeting has none. */
export async function getRecord(store: RecordingStore, meetingId: string): Promise<RecordingRecord | undefined> {
  const out = await store.db.send(new GetItemCommand({ TableName: store.table, Key: key(meetingId), ConsistentRead: true }));
  return out.Item ? toRecord(out.Item) : undefined;
}

/**
 * The item of the recording an execution (by name) is making, through the `byExecutionName` index;
 * undefined before the execution has claimed its meeting, or after another recording of the same
 * meeting replaced the item.
 */
export function findRecordByExecution(store: RecordingStore, executionName: string): Promise<RecordingRecord | undefined> {
  return findBy(store, BY_EXECUTION_NAME, 'executionName', executionName);
}

/**
 * The item of the recording whose concatenation pipeline this is: what an event about a concatenation
 * (which need not carry the meeting's id) or an output file (named after the pipeline) leads to.
 */
export async function findRecordByConcatenation(store: RecordingStore, pipelineId: string): Promise<RecordingRecord | undefined> {
  // The index (keys only) may lag the table (GSI reads are eventually consistent): it leads to the meeting,
  // and the item itself is read consistently; a stale hit fails the caller's own pipeline-id check.
  const hit = await findBy(store, BY_CONCATENATION_PIPELINE, 'concatenationPipelineId', pipelineId);
  return hit && getRecord(store, hit.meetingId);
}

async function findBy(store: RecordingStore, index: string, attribute: string, value: string): Promise<RecordingRecord | undefined> {
  const out = await store.db.send(
    new QueryCommand({
      TableName: store.table,
      IndexName: index,
      KeyConditionExpression: '#k = :v',
      ExpressionAttributeNames: { '#k': attribute },
      ExpressionAttributeValues: toItem({ ':v': value }),
      Limit: 1,
    }),
  );
  const item = out.Items?.[0];
  return item ? toRecord(item) : undefined;
}

/**
 * Claims the meeting for this execution. Succeeds when the meeting has no recording, a finished one,
 * or already belongs to this execution (a retried step); fails with RecordingAlreadyActive otherwise.
 */
export async function claimMeeting(store: RecordingStore, rec: Pick<RecordingRecord, 'meetingId' | 'executionId' | 'executionName' | 'createdMeeting' | 'mediaRegion' | 'presence'>): Promise<void> {
  const now = nowIso();
  const item: RecordingRecord = { ...rec, status: 'RECORDING', checks: 0, createdAt: now, updatedAt: now };
  try {
    await store.db.send(
      new PutItemCommand({
        TableName: store.table,
        Item: toItem(item),
        ConditionExpression: 'attribute_not_exists(meetingId) OR NOT (#status IN (:a, :b))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: toItem({ ':a': ACTIVE[0], ':b': ACTIVE[1] }),
      }),
    );
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) {
      // Our own claim from an earlier attempt stands as it is: writing it again would erase the task
      // token and presence recorded since.
      if ((await getRecord(store, rec.meetingId))?.executionId === rec.executionId) return;
      throw new RecordingAlreadyActive(`Meeting ${rec.meetingId} is already being recorded by another execution; stop that recording first or wait for it to finish.`);
    }
    throw err;
  }
}

/** Sets attributes on this execution's item; returns the item after the update. */
export async function updateRecord(store: RecordingStore, meetingId: string, executionId: string, values: Partial<RecordingRecord>, opts: { count?: CountedWait } = {}): Promise<RecordingRecord> {
  const names: Record<string, string> = { '#executionId': 'executionId', '#updatedAt': 'updatedAt' };
  const vals: Record<string, unknown> = { ':me': executionId, ':now': nowIso() };
  const sets = ['#updatedAt = :now'];
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    names[`#${key}`] = key;
    vals[`:${key}`] = value;
    sets.push(`#${key} = :${key}`);
  }
  let expression = `SET ${sets.join(', ')}`;
  let condition = '#executionId = :me';
  const count = opts.count;
  if (count) {
    // Counted once per entry of the wait state: a retry of the same entry (same EnteredTime) is not a
    // new check, so a throttled attempt retried at once never passes for a later safety-net re-check.
    names[`#${count.counter}`] = count.counter;
    names['#entry'] = `${count.counter}EnteredAt`;
    vals[':one'] = 1;
    vals[':entry'] = count.enteredAt;
    expression = `SET ${[...sets, '#entry = :entry'].join(', ')} ADD #${count.counter} :one`;
    condition = '#executionId = :me AND (attribute_not_exists(#entry) OR #entry <> :entry)';
  }
  try {
    const out = await store.db.send(
      new UpdateItemCommand({
        TableName: store.table,
        Key: key(meetingId),
        UpdateExpression: expression,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: toItem(vals),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toRecord(out.Attributes ?? {});
  } catch (err) {
    // This entry was counted by an earlier attempt: store the values without counting again.
    if (count && err instanceof ConditionalCheckFailedException) return updateRecord(store, meetingId, executionId, values);
    throw err;
  }
}

/** Which wait's checks to count (`checks`: AwaitMeetingEnd, `concatenationChecks`: AwaitConcatenation), and the entry ($$.State.EnteredTime). */
export interface CountedWait {
  counter: 'checks' | 'concatenationChecks';
  enteredAt: string;
}

/**
 * Records that the meeting ended (from an event or a check), whoever observes it first; returns the
 * item so the caller can complete the stored task token. Undefined when the meeting is not recorded.
 */
export function markMeetingEnded(store: RecordingStore, meetingId: string, reason: string, at: string, foundBy: EndFoundBy): Promise<RecordingRecord | undefined> {
  return updateIf(store, meetingId, {
    // The first to mark the end sets all three: when, why, and how it was learnt.
    UpdateExpression: 'SET meetingEndedAt = if_not_exists(meetingEndedAt, :at), endReason = if_not_exists(endReason, :reason), endFoundBy = if_not_exists(endFoundBy, :by), updatedAt = :at',
    ConditionExpression: 'attribute_exists(meetingId) AND #status IN (:a, :b)',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: toItem({ ':at': at, ':reason': reason, ':by': foundBy, ':a': ACTIVE[0], ':b': ACTIVE[1] }),
  });
}

/**
 * Applies an attendee event to the presence map unless a newer event for that attendee was applied
 * already (EventBridge may reorder). Returns the item, or undefined when the meeting is not recorded
 * or the event is stale.
 */
export function recordPresence(store: RecordingStore, meetingId: string, attendeeId: string, present: boolean, at: number, externalUserId?: string): Promise<RecordingRecord | undefined> {
  return updateIf(store, meetingId, {
    UpdateExpression: 'SET presence.#a = :p',
    // Active, and no event for this attendee yet, or an older one, or the same event again (EventBridge
    // retries a delivery whose handler failed after this write, so the retry finishes what it began).
    ConditionExpression: '#status IN (:a, :b) AND (attribute_not_exists(presence.#a) OR presence.#a.#at < :at OR (presence.#a.#at = :at AND presence.#a.#present = :present))',
    ExpressionAttributeNames: { '#a': attendeeId, '#at': 'at', '#present': 'present', '#status': 'status' },
    ExpressionAttributeValues: toItem({ ':p': { present, at, ...(externalUserId ? { externalUserId } : {}) }, ':at': at, ':present': present, ':a': ACTIVE[0], ':b': ACTIVE[1] }),
  });
}

/** A conditional update of the meeting's item: the item after it, or undefined when the condition fails. */
async function updateIf(
  store: RecordingStore,
  meetingId: string,
  update: Pick<UpdateItemCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
): Promise<RecordingRecord | undefined> {
  try {
    const out = await store.db.send(new UpdateItemCommand({ TableName: store.table, Key: key(meetingId), ...update, ReturnValues: 'ALL_NEW' }));
    return toRecord(out.Attributes ?? {});
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return undefined;
    throw err;
  }
}

/** Human attendees currently present according to the recorded events. */
export function presentHumans(rec: RecordingRecord): string[] {
  return Object.entries(rec.presence ?? {})
    .filter(([, p]) => p.present)
    .map(([id]) => id);
}

/**
 * DynamoDB's attribute values for what the table holds: strings, numbers, booleans, lists and maps of
 * them. Undefined values are left out (as marshall's removeUndefinedValues does). Written here rather than
 * imported from @aws-sdk/util-dynamodb: its marshall also handles sets, binaries, big numbers and class
 * instances, ~5 KB in every bundle that touches the table for shapes this table never holds. A unit test
 * checks both directions against util-dynamodb's marshall/unmarshall.
 */
export function toItem(values: object): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) item[name] = toAttributeValue(value);
  }
  return item;
}

function toAttributeValue(value: unknown): AttributeValue {
  switch (typeof value) {
    case 'string':
      return { S: value };
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`DynamoDB cannot store the number ${value}`);
      return { N: String(value) };
    case 'boolean':
      return { BOOL: value };
    case 'object':
      if (value === null) return { NULL: true };
      if (Array.isArray(value)) return { L: value.map(toAttributeValue) };
      return { M: toItem(value) };
    default:
      throw new TypeError(`DynamoDB cannot store a ${typeof value}`);
  }
}

/** The plain object of an item (or a map's value), the inverse of toItem. */
export function fromItem(item: Record<string, AttributeValue>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) values[name] = fromAttributeValue(value);
  return values;
}

function fromAttributeValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.M !== undefined) return fromItem(value.M);
  if (value.L !== undefined) return value.L.map(fromAttributeValue);
  if (value.NULL !== undefined) return null;
  throw new TypeError(`unexpected DynamoDB attribute value of type ${Object.keys(value).join(', ')}`);
}

const toRecord = (item: Record<string, AttributeValue>) => fromItem(item) as unknown as RecordingRecord;

const key = (meetingId: string): Record<string, AttributeValue> => ({ meetingId: { S: meetingId } });
