import * as z from 'zod/mini';
import { mediaPipelines } from '../lib/clients/media-pipelines';
import { meetings } from '../lib/clients/meetings';
import { s3 } from '../lib/clients/s3';
import { stepHandler } from '../lib/handler';
import { MeetingRef, PipelineRef, Plan, VerifiedRecording } from '../lib/schemas';
import { quotaBudget } from '../lib/quota';
import { store } from '../lib/store-instance';
import { cleanup } from './cleanup';

const Input = z.object({
  plan: Plan,
  chimeMeeting: z.optional(MeetingRef),
  capturePipeline: z.optional(PipelineRef),
  livePipeline: z.optional(PipelineRef),
  concatenationPipeline: z.optional(PipelineRef),
  concatenationStatus: z.optional(z.object({ artifacts: z.array(z.string()), stillRunning: z.optional(z.literal(true)) })),
  error: z.optional(z.object({ Error: z.string(), Cause: z.optional(z.string()) })),
  meetingEnd: z.optional(z.object({ reason: z.string(), endedAt: z.optional(z.string()) })),
  recording: z.optional(VerifiedRecording),
});

const budget = quotaBudget();

export const handler = stepHandler('Cleanup', Input, (input, { remainingMs }) => cleanup({ meetings, pipelines: mediaPipelines, s3, store, turn: { store, budget, remainingMs } }, input));
