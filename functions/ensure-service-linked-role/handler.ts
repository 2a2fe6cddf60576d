import * as z from 'zod/mini';
import { iam } from '../lib/clients/iam';
import { stepHandler } from '../lib/handler';
import { createMeetingCalls, quotaBudget, reserveTurn } from '../lib/quota';
import { ensureRole } from '../lib/service-linked-role';
import { store } from '../lib/store-instance';

const budget = quotaBudget();

const Input = z.object({
  executionName: z.string(),
  // Absent in an execution started under a definition from before the step reserved CreateMeeting's turn
  // (a running execution keeps its definition, but a task calls the function's latest code): then its
  // CreateMeeting is not handed a turn either, and reserves its own.
  // The plan's mode, spelt out: importing lib/schemas for it would add 3 KiB (the whole Plan) to this bundle.
  mode: z.optional(z.enum(['create', 'adopt'])),
  /** `$$.State.RetryCount`: 0 on the step's first attempt. */
  retryCount: z.optional(z.number()),
});

export const handler = stepHandler('EnsureServiceLinkedRole', Input, async ({ mode, retryCount }) => {
  // CreateMeeting's turn at Chime, reserved first: this is the first step that holds an AWS SDK client
  // (ValidateRequest stays SDK-free), and reserving before IAM answers keeps the turns in the order the
  // recordings were requested, which IAM's own latency and throttling in a burst would not. Only on the
  // step's first attempt: a retry (the role still propagating, IAM throttled) would reserve again each
  // time, and every slot not used holds the budget idle; a retried recording's CreateMeeting reserves its
  // own turn instead, so at most one slot per recording goes unused. CreateMeeting finds it in
  // `$.role.quotaWait`.
  const quotaWait = mode && !retryCount ? await reserveTurn({ store, budget }, 'CreateMeeting', createMeetingCalls(mode)) : undefined;
  const role = await ensureRole(iam);
  return quotaWait ? { ...role, quotaWait } : role;
});
