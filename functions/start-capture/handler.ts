import * as z from 'zod/mini';
import { stackPartition } from '../lib/arns';
import { mediaPipelines } from '../lib/clients/media-pipelines';
import { stepHandler } from '../lib/handler';
import { MeetingRef, Plan, RoleRef } from '../lib/schemas';
import { store } from '../lib/store-instance';
import { startCapture } from './start-capture';

const Input = z.object({ plan: Plan, chimeMeeting: MeetingRef, role: RoleRef });

export const handler = stepHandler('StartCapture', Input, (input) => startCapture({ pipelines: mediaPipelines, store, partition: stackPartition() }, input));
