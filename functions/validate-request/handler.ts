import * as z from 'zod/mini';
import { stepHandler } from '../lib/handler';
import { buildPlan } from './validate';

const Input = z.object({ input: z.unknown(), executionId: z.string(), executionName: z.string() });

export const handler = stepHandler('ValidateRequest', Input, async ({ input, executionId, executionName }) =>
  buildPlan(input, executionId, executionName, {
    captureBucket: process.env.CAPTURE_BUCKET || undefined,
    concatenationBucket: process.env.CONCATENATION_BUCKET || undefined,
    region: process.env.AWS_REGION ?? 'us-east-1',
  }),
);
