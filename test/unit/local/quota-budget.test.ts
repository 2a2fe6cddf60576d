import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { LocalCloud } from '../../../local/cloud';
import { QuotaWait } from '../../../functions/lib/errors';
import { quotaBudget, reserveSlot, spareSlot, takeTurn, type QuotaBucket } from '../../../functions/lib/quota';
import type { RecordingStore } from '../../../functions/lib/store';
import { setTimeSource } from '../../../functions/lib/time';

/**
 * Chime's shared request budget (functions/lib/quota.ts) as DynamoDB evaluates its conditional updates
 * (dynalite, through the local cloud): concurrent reservers never share a slot, slots go out in the
 * order asked, and no window of the timeline holds more than burst + rate x its length.
 */
let cloud: LocalCloud;
let dataDir: string;
let store: RecordingStore;
/** The reservers' clock, moved by hand. */
let clock = 1_000_000;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quota-budget-'));
  cloud = await LocalCloud.start({ port: 0, dataDir });
  const { tableName } = await cloud.deploy();
  store = { db: new DynamoDBClient(cloud.clientConfig()), table: tableName };
});

afterAll(async () => {
  setTimeSource(undefined);
  store.db.destroy();
  await cloud.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

let n = 0;
/** A bucket no other test has used (the functions key the budget by bucket name only). */
const fresh = () => `meetings-${++n}` as QuotaBucket;
const now = () => clock;

/** The most slots in any window of `windowMs` (slots sorted). */
function busiestWindow(slots: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < slots.length; i += 1) {
    while (slots[i]! - slots[j]! >= windowMs) j += 1;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('reserveSlot', () => {
  const budget = { rate: 10, burst: 20 };

  it('gives a full budget its burst at once, then one slot every 1/rate seconds', async () => {
    const bucket = fresh();
    const slots: number[] = [];
    for (let i = 0; i < 40; i += 1) slots.push((await reserveSlot(store, bucket, budget, { now }))!);
    expect(slots.slice(0, 20)).toEqual(Array(20).fill(clock));
    expect(slots.slice(20).map((s) => Math.round(s - clock))).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 100));
  });

  it('never gives two concurrent reservers the same slot, and never more than burst + rate x window in any window', async () => {
    const bucket = fresh();
    const slots = (await Promise.all(Array.from({ length: 300 }, () => reserveSlot(store, bucket, budget, { now })))).map((s) => s!).sort((a, b) => a - b);
    const late = slots.filter((s) => s > clock);
    expect(new Set(late.map((s) => Math.round(s * 1000))).size).toBe(late.length);
    expect(slots.filter((s) => s === clock)).toHaveLength(20);
    // Last slot: (300 - 20) / 10 seconds, the quota's limit for the burst.
    expect(Math.round(slots[299]! - clock)).toBe(28_000);
    for (const windowMs of [100, 1_000, 5_000, 30_000]) expect(busiestWindow(slots, windowMs)).toBeLessThanOrEqual(budget.burst + Math.ceil((budget.rate * windowMs) / 1000));
  });

  it('serves in the order asked: a later reserver never gets an earlier slot', async () => {
    const bucket = fresh();
    const slots: number[] = [];
    for (let i = 0; i < 60; i += 1) {
      clock += 10;
      slots.push((await reserveSlot(store, bucket, budget, { now }))!);
    }
    expect([...slots].sort((a, b) => a - b)).toEqual(slots);
  });

  it('refills while idle: after burst/rate seconds the whole burst is back', async () => {
    const bucket = fresh();
    for (let i = 0; i < 25; i += 1) await reserveSlot(store, bucket, budget, { now });
    clock += 10_000;
    const again = await Promise.all(Array.from({ length: 20 }, () => reserveSlot(store, bucket, budget, { now })));
    expect(again).toEqual(Array(20).fill(clock));
  });

  it('with a latest time, reserves nothing when the next slot comes after it', async () => {
    const bucket = fresh();
    for (let i = 0; i < 30; i += 1) await reserveSlot(store, bucket, budget, { now });
    const key = { meetingId: { S: `quota#${bucket}` } };
    const before = (await store.db.send(new GetItemCommand({ TableName: store.table, Key: key, ConsistentRead: true }))).Item?.tat?.N;
    expect(await reserveSlot(store, bucket, budget, { now, latest: clock + 1_050 })).toBeUndefined();
    expect((await store.db.send(new GetItemCommand({ TableName: store.table, Key: key, ConsistentRead: true }))).Item?.tat?.N).toBe(before);
    expect(await reserveSlot(store, bucket, budget, { now, latest: clock + 1_100 })).toBe(clock + 1_100);
  });
});

describe('takeTurn and spareSlot', () => {
  beforeAll(() => setTimeSource(now));
  const budget = { rate: 10, burst: 2 };

  it('hands a wait longer than the Lambda may spend to the state machine, with the slot as the message', async () => {
    const bucket = fresh();
    const deps = { store, budget, remainingMs: () => 60_000 };
    for (let i = 0; i < 2; i += 1) await takeTurn(deps, 'CreateMeeting', [bucket]);
    for (let i = 0; i < 300; i += 1) await reserveSlot(store, bucket, budget, { now });
    const err = await takeTurn(deps, 'CreateMeeting', [bucket]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuotaWait);
    // The slot, in whole seconds rounded up (as a Wait state's timestamp).
    const slot = clock + 30_100;
    expect((err as Error).message).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse((err as Error).message)).toBe(Math.ceil(slot / 1000) * 1000);
    // Run again with that time carried back: nothing reserved again, no wait left once it is due.
    clock = Date.parse((err as Error).message);
    const tat = async () => (await store.db.send(new GetItemCommand({ TableName: store.table, Key: { meetingId: { S: `quota#${bucket}` } }, ConsistentRead: true }))).Item?.tat?.N;
    const before = await tat();
    await takeTurn(deps, 'CreateMeeting', [bucket], { step: 'CreateMeeting', cause: { errorMessage: (err as Error).message } });
    expect(await tat()).toBe(before);
  });

  it('spareSlot takes a slot only when one is free now', async () => {
    const bucket = fresh();
    expect(await spareSlot({ store, budget }, [bucket])).toBe(true);
    expect(await spareSlot({ store, budget }, [bucket])).toBe(true);
    expect(await spareSlot({ store, budget }, [bucket])).toBe(false);
  });

  it('reads its budget from the stack (0: none)', () => {
    expect(quotaBudget({ CHIME_REQUEST_RATE: '9', CHIME_REQUEST_BURST: '20' })).toEqual({ rate: 9, burst: 20 });
    expect(quotaBudget({})).toEqual({ rate: 0, burst: 1 });
  });
});
