import { ScanCommand, UpdateItemCommand, ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DeleteMeetingCommand, GetMeetingCommand, type ChimeSDKMeetingsClient } from '@aws-sdk/client-chime-sdk-meetings';
import {
  DeleteMediaPipelineCommand,
  GetMediaPipelineCommand,
  ListTagsForResourceCommand,
  type ChimeSDKMediaPipelinesClient,
  type MediaPipeline,
} from '@aws-sdk/client-chime-sdk-media-pipelines';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { awsErrorName, isNotFound, isThrottling } from '../lib/errors';
import { createdByThisStack } from '../lib/stack-tag';
import { meetingTags } from './meeting-tags';
import { fromItem, toItem, type RecordingRecord, type RecordingStore } from '../lib/store';
import { now, nowIso } from '../lib/time';

/**
 * The reconciler: a scheduled pass that removes what this stack created and no running execution owns
 * any more. An execution stopped by hand, one whose Cleanup gave up (AWS refusing a deletion until the
 * retries ran out) or a meeting that never ended leaves capture and live connector pipelines running
 * (each holds one of the account's active-pipeline slots and keeps its meeting alive, a pipeline being an
 * attendee) and meetings the workflow created; a concatenation a recording gave up on may keep running.
 *
 * What it looks at comes from the recordings table (each item names its execution, its pipelines and
 * whether the workflow created the meeting); what it deletes must also carry this stack's tag
 * (functions/lib/stack-tag.ts), so an adopted meeting (never deleted: the item says so, and it has no
 * stack tag) or a pipeline anyone else made is never touched. An item whose execution is still RUNNING is
 * skipped whole: the pass changes nothing of a running recording, and its own failures (a throttled or
 * refused call) only end the pass early or are recorded on the item of a finished one.
 *
 * Bounded per run: at most `maxItems` items examined, `maxChimeCalls` Chime calls spaced at least
 * `chimeCallIntervalMs` apart (Chime's request quota is the account's, shared with running recordings), a
 * time budget, and the first throttling answer ends the pass. What it did is recorded on each item
 * (`reconciled`), and an item with nothing left is marked `reconciledAt` and not looked at again.
 * Idempotent: every deletion treats NotFound as done, and a second pass finds nothing more to do.
 */
export interface ReconcilerDeps {
  store: RecordingStore;
  sfn: SFNClient;
  meetings: ChimeSDKMeetingsClient;
  pipelines: ChimeSDKMediaPipelinesClient;
}

export interface ReconcilerLimits {
  maxItems: number;
  maxChimeCalls: number;
  chimeCallIntervalMs: number;
  /** Milliseconds left before the pass must stop (the Lambda context's, less a margin). */
  remainingMs: () => number;
  /** Waits between Chime calls (pacing), on the clock `now()` reads (functions/lib/time.ts). */
  pause: (ms: number) => Promise<void>;
}

/** What one pass found for one recording. */
export interface Finding {
  meetingId: string;
  executionName: string;
  /** How the execution ended (DescribeExecution), or SUCCEEDED / FAILED as Cleanup recorded it. */
  execution: string;
  /** What this pass deleted, as `capture-pipeline:<id>`, `meeting:<id>`. */
  removed: string[];
  /** What this stack did not tag (never touched): an adopted meeting, a pipeline someone else made. */
  notOurs: string[];
  /** What AWS refused to delete, with its error name; looked at again next pass. */
  notRemoved: Record<string, string>;
}

export interface PassSummary {
  examined: number;
  skippedRunning: number;
  findings: Finding[];
  removed: string[];
  chimeCalls: number;
  /** Why the pass stopped before the end of the table, if it did; the next pass goes on from the start. */
  stoppedEarly?: 'item budget' | 'Chime call budget' | 'time budget' | 'throttled';
}

class StopPass extends Error {
  constructor(readonly reason: NonNullable<PassSummary['stoppedEarly']>) {
    super(reason);
  }
}

/** Item statuses that mean Cleanup has not finished (the execution may still be running, or ended without it). */
const ACTIVE = new Set(['RECORDING', 'CONCATENATING']);
const RUNNING_PIPELINE = new Set(['Initializing', 'InProgress', 'Paused', 'Stopping', 'NotStarted']);

export async function reconcile(deps: ReconcilerDeps, limits: ReconcilerLimits): Promise<PassSummary> {
  const summary: PassSummary = { examined: 0, skippedRunning: 0, findings: [], removed: [], chimeCalls: 0 };
  let lastCall = -Infinity;
  const chime = async <T>(call: () => Promise<T>): Promise<T> => {
    if (summary.chimeCalls >= limits.maxChimeCalls) throw new StopPass('Chime call budget');
    if (limits.remainingMs() <= 0) throw new StopPass('time budget');
    // Paced on the handlers' clock (`now`, the clock `pause` waits on): in the local cloud both are
    // simulated time, so the pacing the services see is what was asked for.
    const wait = lastCall + limits.chimeCallIntervalMs - now();
    if (wait > 0) await limits.pause(wait);
    lastCall = now();
    summary.chimeCalls += 1;
    try {
      return await call();
    } catch (err) {
      if (isThrottling(err)) throw new StopPass('throttled');
      throw err;
    }
  };
  const found = (finding: Finding) => {
    summary.findings.push(finding);
    summary.removed.push(...finding.removed);
  };
  let startKey: Record<string, AttributeValue> | undefined;
  try {
    do {
      const page = await deps.store.db.send(
        new ScanCommand({
          TableName: deps.store.table,
          // Items a pass has settled are not looked at again; Chime's request budget (quota#...) is no recording.
          FilterExpression: 'attribute_not_exists(reconciledAt) AND attribute_exists(executionId)',
          ProjectionExpression: 'meetingId, executionId, executionName, #status, createdMeeting, capturePipelineId, livePipelineId, concatenationPipelineId, notDeleted',
          ExpressionAttributeNames: { '#status': 'status' },
          ExclusiveStartKey: startKey,
          Limit: 100,
        }),
      );
      for (const item of page.Items ?? []) {
        if (summary.examined >= limits.maxItems) throw new StopPass('item budget');
        if (limits.remainingMs() <= 0) throw new StopPass('time budget');
        summary.examined += 1;
        if ((await reconcileRecording(deps, fromItem(item) as unknown as RecordingRecord, chime, found)) === 'running') summary.skippedRunning += 1;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  } catch (err) {
    if (!(err instanceof StopPass)) throw err;
    summary.stoppedEarly = err.reason;
  }
  return summary;
}

type Chime = <T>(call: () => Promise<T>) => Promise<T>;

/**
 * Looks at one recording; 'running' when its execution still runs. What it found (when anything) goes to
 * `found`, also when the pass stops part-way through this recording.
 */
async function reconcileRecording(deps: ReconcilerDeps, rec: RecordingRecord, chime: Chime, found: (f: Finding) => void): Promise<'running' | 'done'> {
  let execution: string = rec.status;
  const cleanupFinished = !ACTIVE.has(rec.status);
  if (!cleanupFinished) {
    execution = await executionStatus(deps.sfn, rec.executionId);
    if (execution === 'RUNNING' || execution === 'PENDING_REDRIVE') return 'running';
  }
  const finding: Finding = { meetingId: rec.meetingId, executionName: rec.executionName, execution, removed: [], notOurs: [], notRemoved: {} };
  // Cleanup ran to its end: it deleted everything but what AWS refused (notDeleted) or accepted and may
  // have ignored (a concatenation given up on, behaviour concatenation-deletion). Otherwise it never
  // finished: anything the execution made may still run.
  const pipelines: Array<[string, string | undefined]> = cleanupFinished
    ? [['concatenation-pipeline', rec.notDeleted || rec.status === 'FAILED' ? rec.concatenationPipelineId : undefined]]
    : [
        ['capture-pipeline', rec.capturePipelineId],
        ['live-pipeline', rec.livePipelineId],
        ['concatenation-pipeline', rec.concatenationPipelineId],
      ];
  let complete = false;
  try {
    for (const [kind, id] of pipelines) if (id) await removePipeline(deps.pipelines, `${kind}:${id}`, id, finding, chime);
    // An adopted meeting is the application's: never deleted, whatever its tags.
    if (!cleanupFinished && rec.createdMeeting) await removeMeeting(deps.meetings, rec.meetingId, finding, chime);
    complete = true;
  } finally {
    // Even when the pass stops on this item, what it removed so far is recorded and reported.
    if (finding.removed.length + finding.notOurs.length + Object.keys(finding.notRemoved).length > 0) found(finding);
    await record(deps.store, rec, finding, { complete, endedWithoutCleanup: !cleanupFinished });
  }
  return 'done';
}

async function executionStatus(sfn: SFNClient, executionArn: string): Promise<string> {
  try {
    return (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status ?? 'UNKNOWN';
  } catch (err) {
    // Step Functions keeps a finished execution 90 days: one it no longer knows is not running.
    if (awsErrorName(err) === 'ExecutionDoesNotExist') return 'EXPIRED';
    if (isThrottling(err)) throw new StopPass('throttled');
    throw err;
  }
}

async function removePipeline(client: ChimeSDKMediaPipelinesClient, name: string, id: string, finding: Finding, chime: Chime): Promise<void> {
  let pipeline: MediaPipeline | undefined;
  try {
    pipeline = (await chime(() => client.send(new GetMediaPipelineCommand({ MediaPipelineId: id })))).MediaPipeline;
  } catch (err) {
    if (isNotFound(err)) return;
    return refused(finding, name, err);
  }
  const details = pipeline?.MediaCapturePipeline ?? pipeline?.MediaLiveConnectorPipeline ?? pipeline?.MediaConcatenationPipeline;
  if (!details?.MediaPipelineArn || !RUNNING_PIPELINE.has(details.Status ?? '')) return;
  const arn = details.MediaPipelineArn;
  await removeTagged(finding, name, chime, () => client.send(new ListTagsForResourceCommand({ ResourceARN: arn })).then((o) => o.Tags), () => client.send(new DeleteMediaPipelineCommand({ MediaPipelineId: id })));
}

async function removeMeeting(client: ChimeSDKMeetingsClient, meetingId: string, finding: Finding, chime: Chime): Promise<void> {
  const name = `meeting:${meetingId}`;
  let arn: string | undefined;
  try {
    arn = (await chime(() => client.send(new GetMeetingCommand({ MeetingId: meetingId })))).Meeting?.MeetingArn;
  } catch (err) {
    if (isNotFound(err)) return;
    return refused(finding, name, err);
  }
  if (!arn) return refused(finding, name, new Error('GetMeeting answered no MeetingArn'));
  const meetingArn = arn;
  await removeTagged(finding, name, chime, () => meetingTags(client, meetingArn), () => client.send(new DeleteMeetingCommand({ MeetingId: meetingId })));
}

/** Deletes the resource when its tags say this stack created it; NotFound at any point means it is gone. */
async function removeTagged(finding: Finding, name: string, chime: Chime, tags: () => Promise<Array<{ Key?: string; Value?: string }> | undefined>, remove: () => Promise<unknown>): Promise<void> {
  try {
    if (!createdByThisStack(await chime(tags))) {
      finding.notOurs.push(name);
      return;
    }
    await chime(remove);
    finding.removed.push(name);
  } catch (err) {
    if (isNotFound(err)) return;
    refused(finding, name, err);
  }
}

function refused(finding: Finding, name: string, err: unknown): void {
  if (err instanceof StopPass) throw err;
  finding.notRemoved[name] = awsErrorName(err) || 'Error';
}

/**
 * Records the finding on the recording's item, only while it still belongs to the same execution (a new
 * recording of an adopted meeting replaces the item). Once everything was looked at and nothing was
 * refused, the item is settled (`reconciledAt`: later passes skip it), and one whose execution ended
 * without finishing Cleanup is marked FAILED with the execution's end, which also lets the meeting be
 * recorded again. Until then it keeps its status, so the next pass looks at all of it again.
 */
async function record(store: RecordingStore, rec: RecordingRecord, finding: Finding, opts: { complete: boolean; endedWithoutCleanup: boolean }): Promise<void> {
  const at = nowIso();
  const settled = opts.complete && Object.keys(finding.notRemoved).length === 0;
  const endedWithoutCleanup = settled && opts.endedWithoutCleanup;
  const values: Record<string, unknown> = {
    ':me': rec.executionId,
    ':finding': { at, execution: finding.execution, removed: finding.removed, notOurs: finding.notOurs, notRemoved: finding.notRemoved },
    ':at': at,
  };
  const sets = ['reconciled = :finding', 'updatedAt = :at'];
  if (settled) sets.push('reconciledAt = :at');
  if (endedWithoutCleanup) {
    values[':failed'] = 'FAILED';
    values[':error'] = { error: `Execution${finding.execution}`, cause: `the execution ended ${finding.execution} before Cleanup finished; the reconciler removed what it left running` };
    sets.push('#status = :failed', '#error = if_not_exists(#error, :error)');
  }
  try {
    await store.db.send(
      new UpdateItemCommand({
        TableName: store.table,
        Key: { meetingId: { S: rec.meetingId } },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'executionId = :me',
        ...(endedWithoutCleanup ? { ExpressionAttributeNames: { '#status': 'status', '#error': 'error' } } : {}),
        ExpressionAttributeValues: toItem(values),
      }),
    );
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
  }
}
