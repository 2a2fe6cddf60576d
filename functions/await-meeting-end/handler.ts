import * as z from 'zod/mini';
import { mediaPipelines } from '../lib/clients/media-pipelines';
import { meetings } from '../lib/clients/meetings';
import { sfn } from '../lib/clients/sfn';
import { stepHandler } from '../lib/handler';
import { MeetingRef, PipelineRef, Plan } from '../lib/schemas';
import { quotaBudget } from '../lib/quota';
import { store } from '../lib/store-instance';
import { awaitMeetingEnd } from './await-meeting-end';
import { nowIso } from '../lib/time';

const budget = quotaBudget();

const Input = z.object({ taskToken: z.string(), checkEnteredAt: z.string(), plan: Plan, chimeMeeting: MeetingRef, capturePipeline: PipelineRef });

export const handler = stepHandler('AwaitMeetingEnd', Input, (input) =>
  awaitMeetingEnd(
    { sfn, meetings, pipelines: mediaPipelines, store, maxChecks: Number(process.env.MAX_MEETING_END_CHECKS ?? 26), now: nowIso, budget },
    input,
  ),
);
