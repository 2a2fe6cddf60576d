import * as z from 'zod/mini';
import { stackPartition } from '../lib/arns';
import { mediaPipelines } from '../lib/clients/media-pipelines';
import { stepHandler } from '../lib/handler';
import { MeetingRef, Plan, RoleRef } from '../lib/schemas';
import { quotaBudget } from '../lib/quota';
import { store } from '../lib/store-instance';
import { startCapture } from './start-capture';

const Input = z.object({ plan: Plan, chimeMeeting: MeetingRef, role: RoleRef });

const budget = quotaBudget();

export const handler = stepHandler('StartCapture', Input, (input, { remainingMs }) =>
  startCapture({ pipelines: mediaPipelines, store, partition: stackPartition(), turn: { store, budget, remainingMs } }, input),
);
