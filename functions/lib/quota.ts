import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { QuotaWait, ServiceBusy } from './errors';
import type { RecordingStore } from './store';
import { now as clockNow, sleep } from './time';

/**
 * One rate budget for every Chime call the stack makes, shared by all its Lambda containers: Chime's
 * request quota is per account and Region (about 10 requests a second, AWS General Reference, "Amazon
 * Chime SDK endpoints and quotas"), so a burst of recordings that each retry their own throttled calls
 * spends the quota on refusals and sleeps through backoffs while it is idle. Instead each call takes a
 * slot first, in the order the calls ask, and waits for it.
 *
 * The budget is GCRA (the generic cell rate algorithm, the virtual-scheduling form of a token bucket):
 * one item per quota bucket in the recordings table (`meetingId` = `quota#<bucket>`, no executionId, so
 * no listing of recordings sees it) holds the theoretical arrival time `tat` (epoch ms). With interval
 * T = 1000/rate and tolerance tau = (burst - 1) * T, a call at `now` is served at max(now, tat - tau) and
 * moves tat to max(now, tat) + T. Two conditional updates do that without reading first, so reservers
 * never contend on a read-modify-write:
 * - busy (tat >= now): `SET tat = tat + T IF tat >= now`; the old tat (ReturnValues UPDATED_OLD) gives the slot;
 * - idle (no tat, or tat < now): `SET tat = now + T IF attribute_not_exists(tat) OR tat < now`; the slot is now.
 * DynamoDB applies conditional updates of one item one at a time, so no two reservers share a slot and
 * no window of the budget's timeline holds more than burst + rate x its length.
 */
export type QuotaBucket = 'meetings' | 'media-pipelines';

export interface QuotaBudget {
  /** Calls a second the stack allows itself (0: no budget, calls go straight to Chime). */
  rate: number;
  /** Calls at once from a full budget. */
  burst: number;
}

/** The stack's budget (serverless.yml params chimeRequestRate and chimeRequestBurst). */
export function quotaBudget(env: NodeJS.ProcessEnv = process.env): QuotaBudget {
  const rate = Number(env.CHIME_REQUEST_RATE ?? '0');
  const burst = Number(env.CHIME_REQUEST_BURST ?? '1');
  return { rate: Number.isFinite(rate) && rate > 0 ? rate : 0, burst: Number.isFinite(burst) && burst >= 1 ? Math.floor(burst) : 1 };
}

export const QUOTA_KEY_PREFIX = 'quota#';

const quotaKey = (bucket: QuotaBucket) => ({ meetingId: { S: `${QUOTA_KEY_PREFIX}${bucket}` } });

/** A reserver gives up (ServiceBusy, the state machine retries) after this many lost races in a row. */
const MAX_ROUNDS = 25;

/** The tat last seen per bucket in this container: which of the two updates to try first. */
const lastSeen = new Map<QuotaBucket, number>();

/**
 * Reserves one call on `bucket` and returns when it may be made (epoch ms). With `latest`, takes a
 * slot only if it comes by then, else reserves nothing and returns undefined.
 */
export async function reserveSlot(store: RecordingStore, bucket: QuotaBucket, budget: QuotaBudget, opts: { now?: () => number; latest?: number } = {}): Promise<number | undefined> {
  const now = opts.now ?? clockNow;
  const interval = 1000 / budget.rate;
  const tau = (budget.burst - 1) * interval;
  let busyFirst = (lastSeen.get(bucket) ?? -Infinity) >= now();
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    for (const busy of busyFirst ? [true, false] : [false, true]) {
      const t = now();
      if (opts.latest !== undefined && t > opts.latest) return undefined;
      try {
        if (busy) {
          const out = await store.db.send(
            new UpdateItemCommand({
              TableName: store.table,
              Key: quotaKey(bucket),
              UpdateExpression: 'SET tat = tat + :interval',
              ConditionExpression: opts.latest === undefined ? 'tat >= :now' : 'tat >= :now AND tat <= :cap',
              ExpressionAttributeValues: { ':interval': { N: String(interval) }, ':now': { N: String(t) }, ...(opts.latest === undefined ? {} : { ':cap': { N: String(opts.latest + tau) } }) },
              ReturnValues: 'UPDATED_OLD',
            }),
          );
          const old = Number(out.Attributes?.tat?.N);
          lastSeen.set(bucket, old + interval);
          return Math.max(t, old - tau);
        }
        await store.db.send(
          new UpdateItemCommand({
            TableName: store.table,
            Key: quotaKey(bucket),
            UpdateExpression: 'SET tat = :next',
            ConditionExpression: 'attribute_not_exists(tat) OR tat < :now',
            ExpressionAttributeValues: { ':next': { N: String(t + interval) }, ':now': { N: String(t) } },
          }),
        );
        lastSeen.set(bucket, t + interval);
        return t;
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      }
    }
    // Both failed: the budget moved between the two, or (with `latest`) its next slot is too late.
    if (opts.latest !== undefined) {
      const item = await store.db.send(new GetItemCommand({ TableName: store.table, Key: quotaKey(bucket), ConsistentRead: true }));
      const tat = Number(item.Item?.tat?.N ?? '-Infinity');
      lastSeen.set(bucket, tat);
      if (tat - tau > opts.latest) return undefined;
    }
    busyFirst = !busyFirst;
  }
  throw new ServiceBusy(`could not reserve a ${bucket} call in Chime's shared request budget after ${MAX_ROUNDS} tries`);
}

/** What the state machine hands back after waiting for a step's slot (statemachines/recording.asl.json). */
export interface CarriedSlot {
  step: string;
  cause: { errorMessage: string };
}

/** A step waits in its Lambda for a slot at most this long, and never into the last LAMBDA_MARGIN_MS of its time. */
export const MAX_WAIT_IN_LAMBDA_MS = 30_000;
const LAMBDA_MARGIN_MS = 15_000;
/** A slot the state machine carried back is the step's own for this long past its time (the Wait's and the invoke's lateness). */
const CARRIED_SLOT_VALID_MS = 30_000;

export interface TurnDeps {
  store: RecordingStore;
  budget: QuotaBudget;
  remainingMs: () => number;
}

/** CreateMeeting's calls at Chime: CreateMeeting, or an adopted meeting's GetMeeting and first ListAttendees page. */
export function createMeetingCalls(mode: 'create' | 'adopt'): QuotaBucket[] {
  return mode === 'create' ? ['meetings'] : ['meetings', 'meetings'];
}

/** One slot on each bucket a step's calls use, reserved together; when the last of them comes (epoch ms). */
async function reserveAll(deps: Pick<TurnDeps, 'store' | 'budget'>, buckets: QuotaBucket[]): Promise<number> {
  let at = 0;
  for (const bucket of buckets) at = Math.max(at, (await reserveSlot(deps.store, bucket, deps.budget)) ?? 0);
  return at;
}

/**
 * Reserves a later step's turn now, so that turns go out in the order the recordings were requested
 * (EnsureServiceLinkedRole reserves CreateMeeting's before its own IAM calls: the steps in between, the
 * service-linked role's above all, can finish in another order than they started). The step is handed it
 * in its input (`quotaWait`).
 */
export async function reserveTurn(deps: Pick<TurnDeps, 'store' | 'budget'>, step: string, buckets: QuotaBucket[]): Promise<CarriedSlot | undefined> {
  if (deps.budget.rate <= 0) return undefined;
  return { step, cause: { errorMessage: new Date(await reserveAll(deps, buckets)).toISOString() } };
}

/**
 * A step's turn at Chime: one slot on each bucket its calls use, reserved together (first come, first
 * served), then a wait until the latest of them, in the Lambda when that fits its time, else in the state
 * machine: QuotaWait, whose message is the time, sends the execution to a Wait state that re-invokes the
 * step with the slot (`carried`), so the re-invoked step reserves nothing again. A slot reserved ahead
 * (reserveTurn) comes the same way.
 */
export async function takeTurn(deps: TurnDeps, step: string, buckets: QuotaBucket[], carried?: CarriedSlot): Promise<void> {
  if (deps.budget.rate <= 0) return;
  const kept = carried?.step === step ? Date.parse(carried.cause.errorMessage) : NaN;
  // A slot long past is not this run's (the step ran with it and is being retried): take a new one.
  const at = Number.isFinite(kept) && clockNow() - kept <= CARRIED_SLOT_VALID_MS ? kept : await reserveAll(deps, buckets);
  const wait = at - clockNow();
  if (wait <= 0) return;
  if (wait <= inLambdaWait(deps)) return sleep(wait);
  // In whole seconds, rounded up, in the form the Wait state's page requires (RFC 3339 with an uppercase T
  // and Z, e.g. 2024-08-18T17:33:00Z) and noting that Step Functions truncates a timestamp's milliseconds
  // (https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html): rounding up means the Wait never
  // ends before the slot, and a turn taken a little after its slot is still within the budget.
  throw new QuotaWait(new Date(Math.ceil(at / 1000) * 1000).toISOString().replace('.000Z', 'Z'));
}

/** How long a step may wait in its Lambda. */
const inLambdaWait = (deps: TurnDeps) => Math.min(MAX_WAIT_IN_LAMBDA_MS, deps.remainingMs() - LAMBDA_MARGIN_MS);

/**
 * A turn for a step the state machine does not wait for (Cleanup, StartLiveConnector): a slot only if it
 * comes within what the Lambda may wait, else nothing reserved and ServiceBusy, which the state machine
 * retries after its backoff, by when a burst may have passed.
 */
export async function takeTurnWithin(deps: TurnDeps, buckets: QuotaBucket[]): Promise<void> {
  if (deps.budget.rate <= 0 || buckets.length === 0) return;
  const latest = clockNow() + Math.max(0, inLambdaWait(deps));
  let at = 0;
  for (const bucket of buckets) {
    const slot = await reserveSlot(deps.store, bucket, deps.budget, { latest });
    if (slot === undefined) throw new ServiceBusy(`Chime's shared request budget has no ${bucket} call free within ${Math.round((latest - clockNow()) / 1000)} s`);
    at = Math.max(at, slot);
  }
  return sleep(at - clockNow());
}

/**
 * A call that can be left for later (a check the state machine repeats anyway): it runs only when the
 * budget has a slot for it now, so it never queues ahead of, or behind, a burst of calls that cannot wait.
 */
export async function spareSlot(deps: Pick<TurnDeps, 'store' | 'budget'>, buckets: QuotaBucket[]): Promise<boolean> {
  if (deps.budget.rate <= 0) return true;
  for (const bucket of buckets) {
    const at = await reserveSlot(deps.store, bucket, deps.budget, { latest: clockNow() });
    if (at === undefined) return false;
  }
  return true;
}
