import * as z from 'zod/mini';
import { mediaPipelines } from '../lib/clients/media-pipelines';
import { s3 } from '../lib/clients/s3';
import { sfn } from '../lib/clients/sfn';
import { stepHandler } from '../lib/handler';
import { MeetingRef, PipelineRef, Plan } from '../lib/schemas';
import { quotaBudget } from '../lib/quota';
import { store } from '../lib/store-instance';
import { awaitConcatenation } from './await-concatenation';

const budget = quotaBudget();

const Input = z.object({ taskToken: z.string(), checkEnteredAt: z.string(), plan: Plan, chimeMeeting: MeetingRef, concatenationPipeline: PipelineRef });

export const handler = stepHandler('AwaitConcatenation', Input, (input) => awaitConcatenation({ pipelines: mediaPipelines, s3, sfn, store, budget }, input));
