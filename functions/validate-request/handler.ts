import * as z from 'zod/mini';
import { stepHandler } from '../lib/handler';
import { defaultsFromEnv } from './defaults';
import { buildPlan } from './validate';

const Input = z.object({ input: z.unknown(), executionId: z.string(), executionName: z.string() });

export const handler = stepHandler('ValidateRequest', Input, async ({ input, executionId, executionName }) =>
  buildPlan(input, executionId, executionName, defaultsFromEnv()),
);
