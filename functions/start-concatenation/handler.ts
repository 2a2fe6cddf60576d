import * as z from 'zod/mini';
import { mediaPipelines } from '../lib/clients/media-pipelines';
import { stepHandler } from '../lib/handler';
import { MeetingRef, PipelineRef, Plan } from '../lib/schemas';
import { store } from '../lib/store-instance';
import { startConcatenation } from './start-concatenation';

const Input = z.object({ plan: Plan, chimeMeeting: MeetingRef, capturePipeline: PipelineRef });

export const handler = stepHandler('StartConcatenation', Input, (input) => startConcatenation({ pipelines: mediaPipelines, store }, input));
