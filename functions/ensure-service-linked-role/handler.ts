import * as z from 'zod/mini';
import { iam } from '../lib/clients/iam';
import { stepHandler } from '../lib/handler';
import { createMeetingCalls, quotaBudget, reserveTurn } from '../lib/quota';
import { ensureRole } from '../lib/service-linked-role';
import { store } from '../lib/store-instance';

const budget = quotaBudget();

export const handler = stepHandler('EnsureServiceLinkedRole', z.object({ executionName: z.string(), mode: z.enum(['create', 'adopt']) }), async ({ mode }) => {
  // CreateMeeting's turn at Chime, reserved first: this is the first step that holds an AWS SDK client
  // (ValidateRequest stays SDK-free), and reserving before IAM answers keeps the turns in the order the
  // recordings were requested, which IAM's own latency and throttling in a burst would not. CreateMeeting
  // finds it in `$.role.quotaWait`.
  const quotaWait = await reserveTurn({ store, budget }, 'CreateMeeting', createMeetingCalls(mode));
  const role = await ensureRole(iam);
  return quotaWait ? { ...role, quotaWait } : role;
});
