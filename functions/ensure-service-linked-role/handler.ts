import * as z from 'zod/mini';
import { iam } from '../lib/clients/iam';
import { stepHandler } from '../lib/handler';
import { ensureRole } from '../lib/service-linked-role';

export const handler = stepHandler('EnsureServiceLinkedRole', z.object({ executionName: z.string() }), () => ensureRole(iam));
