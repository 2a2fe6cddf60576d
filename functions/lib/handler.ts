import middy from '@middy/core';
import type * as z from 'zod/mini';
import { logContext, logger } from './logger';
import { parseOrThrow } from './parse';
import { QuotaWait, WorkflowError, toWorkflowError } from './errors';

/**
 * Wraps a step's domain function as a Lambda handler: parse the input at the boundary, run the one
 * domain call, return plain JSON. Errors leave with their workflow name (ServiceBusy, BucketNotReady, ...)
 * so the state machine's Retry and Catch can match them.
 */
/** What a step may know of its invocation: how long Lambda still gives it (ms). */
export interface StepContext {
  remainingMs: () => number;
}

export function stepHandler<I, O>(step: string, schema: z.ZodMiniType<I>, run: (input: I, context: StepContext) => Promise<O>) {
  return middy(
    async (event: unknown, context: { getRemainingTimeInMillis?: () => number }): Promise<O> => {
      const input = parseOrThrow(schema, event);
      try {
        return await run(input, { remainingMs: () => context.getRemainingTimeInMillis?.() ?? 0 });
      } catch (err) {
        const mapped = toWorkflowError(err, step);
        // QuotaWait is no failure: the state machine waits for the step's turn at Chime.
        if (mapped instanceof QuotaWait) logger.info('step waits for its turn at Chime', { step, until: mapped.message });
        else logger.warn('step failed', { step, error: mapped instanceof Error ? mapped.name : String(mapped), retryable: mapped instanceof WorkflowError && mapped.retryable });
        throw mapped;
      }
    },
    // No early timeout: it is a real timer set from the remaining time when the handler starts, which a
    // step waiting for its slot of Chime's quota (functions/lib/quota.ts) spends on the handlers' clock
    // (simulated in the local cloud); Lambda's own timeout and the task's TimeoutSeconds end a step that
    // runs too long, and no state tells middy's TimeoutError from them.
    { timeoutEarlyInMillis: 0 },
  ).use(logContext());
}
