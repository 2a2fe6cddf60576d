import middy from '@middy/core';
import type * as z from 'zod/mini';
import { logContext, logger } from './logger';
import { parseOrThrow } from './parse';
import { WorkflowError, toWorkflowError } from './errors';

/**
 * Wraps a step's domain function as a Lambda handler: parse the input at the boundary, run the one
 * domain call, return plain JSON. Errors leave with their workflow name (ServiceBusy, BucketNotReady, ...)
 * so the state machine's Retry and Catch can match them.
 */
export function stepHandler<I, O>(step: string, schema: z.ZodMiniType<I>, run: (input: I) => Promise<O>) {
  return middy(async (event: unknown): Promise<O> => {
    const input = parseOrThrow(schema, event);
    try {
      return await run(input);
    } catch (err) {
      const mapped = toWorkflowError(err, step);
      logger.warn('step failed', { step, error: mapped instanceof Error ? mapped.name : String(mapped), retryable: mapped instanceof WorkflowError && mapped.retryable });
      throw mapped;
    }
  }).use(logContext());
}
