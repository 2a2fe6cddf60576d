import * as z from 'zod/mini';
import { s3 } from '../lib/clients/s3';
import { stepHandler } from '../lib/handler';
import { MeetingRef, PipelineRef, Plan } from '../lib/schemas';
import { store } from '../lib/store-instance';
import { verifyRecording } from './verify-recording';

const Input = z.object({
  plan: Plan,
  chimeMeeting: MeetingRef,
  meetingEnd: z.optional(z.object({ reason: z.string(), endedAt: z.optional(z.string()), foundBy: z.optional(z.enum(['event', 'request', 'check'])) })),
  concatenationStatus: z.object({ artifacts: z.array(z.string()) }),
  concatenationPipeline: z.optional(PipelineRef),
});

export const handler = stepHandler('VerifyRecording', Input, (input) => verifyRecording({ s3, store }, input));
