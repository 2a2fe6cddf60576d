import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { dynamodb } from '../lib/clients/dynamodb';
import { mediaPipelines } from '../lib/clients/media-pipelines';
import { meetings } from '../lib/clients/meetings';
import { sfn } from '../lib/clients/sfn';
import { logContext, logger } from '../lib/logger';
import { parseOrThrow } from '../lib/parse';
import { sleep } from '../lib/time';
import { reconcile, type PassSummary } from './reconciler';

/** EventBridge's scheduled event (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html). */
const ScheduledEvent = z.object({ 'detail-type': z.literal('Scheduled Event'), source: z.literal('aws.events') });

/** A positive whole number from the environment serverless.yml sets, or a clear error naming it. */
function setting(name: string): number {
  const value = Number(process.env[name]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number >= 0 (serverless.yml sets it for the reconciler), got ${JSON.stringify(process.env[name])}`);
  return value;
}

/** Stop this long before Lambda's timeout, leaving time to record the last item. */
const MARGIN_MS = 10_000;

export const handler = middy(async (event: unknown, context: Context): Promise<PassSummary> => {
  parseOrThrow(ScheduledEvent, event);
  const summary = await reconcile(
    { store: { db: dynamodb, table: process.env.TABLE_NAME ?? '' }, sfn, meetings, pipelines: mediaPipelines },
    {
      maxItems: setting('RECONCILER_MAX_ITEMS'),
      maxChimeCalls: setting('RECONCILER_MAX_CHIME_CALLS'),
      chimeCallIntervalMs: setting('RECONCILER_CHIME_CALL_INTERVAL_MS'),
      remainingMs: () => context.getRemainingTimeInMillis() - MARGIN_MS,
      // The handlers' clock: a real timer on AWS, simulated time in the local cloud.
      pause: sleep,
    },
  );
  // Ids only, as every function logs.
  for (const f of summary.findings) {
    logger.warn('reconciler finding', { meetingId: f.meetingId, executionName: f.executionName, execution: f.execution, removed: f.removed, notOurs: f.notOurs, notRemoved: f.notRemoved });
  }
  logger.info('reconciler pass', { examined: summary.examined, skippedRunning: summary.skippedRunning, removed: summary.removed.length, chimeCalls: summary.chimeCalls, stoppedEarly: summary.stoppedEarly });
  logger.metrics({ RecordingsInProgress: summary.skippedRunning, ReconcilerRemoved: summary.removed.length, ReconcilerNotRemoved: summary.findings.reduce((n, f) => n + Object.keys(f.notRemoved).length, 0) });
  return summary;
}).use(logContext());
