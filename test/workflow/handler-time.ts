import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { record, type Harness } from '../../local/harness';

/**
 * Moves simulated time three days past the system clock, records a meeting, and answers the times the
 * handlers wrote to its table item, with the simulated window they must fall in.
 */
async function timesWrittenByHandlers(h: Harness): Promise<{ written: number[]; from: number; to: number; realNow: number }> {
  await h.run(() => h.cloud.clock.sleep(3 * 24 * 3600_000));
  const from = h.cloud.clock.now();
  const e = await record(h);
  const to = h.cloud.clock.now();
  const meetingId = (JSON.parse(e.output ?? '{}') as { meetingId: string }).meetingId;
  const db = new DynamoDBClient(h.cloud.clientConfig());
  try {
    const item = unmarshall((await db.send(new GetItemCommand({ TableName: h.deployment.tableName, Key: { meetingId: { S: meetingId } }, ConsistentRead: true }))).Item ?? {});
    return { written: [item.createdAt, item.updatedAt, item.meetingEndedAt].map((t) => Date.parse(String(t))), from, to, realNow: Date.now() };
  } finally {
    db.destroy();
  }
}

/** The handlers wrote simulated times, within the recording's simulated window, days from the system clock. */
export async function expectHandlersOnSimulatedTime(h: Harness): Promise<void> {
  const { written, from, to, realNow } = await timesWrittenByHandlers(h);
  expect(from - realNow).toBeGreaterThan(2 * 24 * 3600_000);
  for (const t of written) {
    expect(t).toBeGreaterThanOrEqual(from);
    expect(t).toBeLessThanOrEqual(to);
  }
}
