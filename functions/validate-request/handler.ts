import * as z from 'zod/mini';
import { stepHandler } from '../lib/handler';
import { defaultsFromEnv } from './defaults';
import { buildPlan } from './validate';

const Input = z.object({ input: z.unknown(), executionId: z.string(), executionName: z.string() });

// No AWS SDK client here: a request is refused, or its plan made, by a bundle of tens of KiB. Its turn at
// Chime is reserved by the next step, the first that holds a client (EnsureServiceLinkedRole).
export const handler = stepHandler('ValidateRequest', Input, async ({ input, executionId, executionName }) => buildPlan(input, executionId, executionName, defaultsFromEnv()));
