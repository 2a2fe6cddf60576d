import * as z from 'zod/mini';
import { stackPartition } from '../lib/arns';
import { mediaPipelines } from '../lib/clients/media-pipelines';
import { meetings } from '../lib/clients/meetings';
import { stepHandler } from '../lib/handler';
import { CarriedSlot, MeetingRef, PipelineRef, Plan, RoleRef } from '../lib/schemas';
import { quotaBudget } from '../lib/quota';
import { store } from '../lib/store-instance';
import { startConcatenation } from './start-concatenation';

const Input = z.object({ plan: Plan, chimeMeeting: MeetingRef, capturePipeline: PipelineRef, meetingEnd: z.object({ reason: z.string(), quotaWait: z.optional(CarriedSlot) }), role: RoleRef });

const budget = quotaBudget();

export const handler = stepHandler('StartConcatenation', Input, (input, { remainingMs }) =>
  startConcatenation({ pipelines: mediaPipelines, meetings, store, partition: stackPartition(), turn: { store, budget, remainingMs } }, input),
);
