import * as z from 'zod/mini';
import { mediaPipelines } from '../lib/clients/media-pipelines';
import { s3 } from '../lib/clients/s3';
import { sfn } from '../lib/clients/sfn';
import { stepHandler } from '../lib/handler';
import { quotaBudget } from '../lib/quota';
import { store } from '../lib/store-instance';
import { handleChimeEvent } from './meeting-events';

const EventSchema = z.object({
  source: z.optional(z.string()),
  'detail-type': z.string(),
  time: z.optional(z.string()),
  detail: z.object({
    eventType: z.optional(z.string()),
    meetingId: z.optional(z.string()),
    attendeeId: z.optional(z.string()),
    externalUserId: z.optional(z.string()),
    mediaPipelineId: z.optional(z.string()),
    timestamp: z.optional(z.number()),
    bucket: z.optional(z.object({ name: z.string() })),
    object: z.optional(z.object({ key: z.string() })),
  }),
});

const budget = quotaBudget();

export const handler = stepHandler('MeetingEvents', EventSchema, (event, { remainingMs }) =>
  handleChimeEvent({ sfn, store, s3, pipelines: mediaPipelines, budget, turn: { store, budget, remainingMs } }, event),
);
