import * as z from 'zod/mini';
import { stepHandler } from '../lib/handler';
import { quotaBudget, reserveTurn } from '../lib/quota';
import { store } from '../lib/store-instance';
import { defaultsFromEnv } from './defaults';
import { buildPlan } from './validate';

const Input = z.object({ input: z.unknown(), executionId: z.string(), executionName: z.string() });

const budget = quotaBudget();

export const handler = stepHandler('ValidateRequest', Input, async ({ input, executionId, executionName }) => {
  const plan = buildPlan(input, executionId, executionName, defaultsFromEnv());
  // CreateMeeting's turn at Chime, taken in the order the recordings were requested: CreateMeeting (or an
  // adopted meeting's GetMeeting and ListAttendees).
  const quotaWait = await reserveTurn({ store, budget }, 'CreateMeeting', plan.mode === 'create' ? ['meetings'] : ['meetings', 'meetings']);
  return quotaWait ? { ...plan, quotaWait } : plan;
});
