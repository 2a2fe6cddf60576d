import * as z from 'zod/mini';
import { mediaPipelines } from '../lib/clients/media-pipelines';
import { s3 } from '../lib/clients/s3';
import { stepHandler } from '../lib/handler';
import { PipelineRef, Plan } from '../lib/schemas';
import { pollConcatenation } from './await-concatenation';

const Input = z.object({ plan: Plan, concatenationPipeline: PipelineRef, concatenationStatus: z.optional(z.object({ polls: z.number() })) });

export const handler = stepHandler('AwaitConcatenation', Input, (input) => pollConcatenation({ pipelines: mediaPipelines, s3 }, input));
