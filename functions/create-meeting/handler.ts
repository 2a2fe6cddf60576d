import * as z from 'zod/mini';
import { stackPartition } from '../lib/arns';
import { meetings } from '../lib/clients/meetings';
import { stepHandler } from '../lib/handler';
import { Plan, RoleRef } from '../lib/schemas';
import { quotaBudget } from '../lib/quota';
import { store } from '../lib/store-instance';
import { createOrAdoptMeeting } from './create-meeting';

const budget = quotaBudget();

// `role` (EnsureServiceLinkedRole's output, with the turn it reserved) is optional: an execution started under
// an earlier definition does not pass it, and its CreateMeeting reserves its own turn.
export const handler = stepHandler('CreateMeeting', z.object({ plan: Plan, role: z.optional(RoleRef) }), ({ plan, role }, { remainingMs }) =>
  createOrAdoptMeeting(
    { meetings, store, account: process.env.ACCOUNT_ID ?? '', partition: stackPartition(), region: process.env.AWS_REGION ?? '', turn: { store, budget, remainingMs } },
    plan,
    role?.quotaWait,
  ),
);
