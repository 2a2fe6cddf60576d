import * as z from 'zod/mini';
import { s3 } from '../lib/clients/s3';
import { sfn } from '../lib/clients/sfn';
import { stepHandler } from '../lib/handler';
import { store } from '../lib/store-instance';
import { handleChimeEvent } from './meeting-events';

const ChimeEventSchema = z.object({
  'detail-type': z.string(),
  time: z.optional(z.string()),
  detail: z.object({
    eventType: z.string(),
    meetingId: z.optional(z.string()),
    attendeeId: z.optional(z.string()),
    externalUserId: z.optional(z.string()),
    mediaPipelineId: z.optional(z.string()),
    timestamp: z.optional(z.number()),
  }),
});

export const handler = stepHandler('MeetingEvents', ChimeEventSchema, (event) =>
  handleChimeEvent({ sfn, store, s3 }, event),
);
