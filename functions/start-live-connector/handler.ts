import * as z from 'zod/mini';
import { mediaPipelines } from '../lib/clients/media-pipelines';
import { secretsManager } from '../lib/clients/secrets-manager';
import { stepHandler } from '../lib/handler';
import { LiveStreamPlan, MeetingRef, RoleRef, planFields } from '../lib/schemas';
import { quotaBudget } from '../lib/quota';
import { store } from '../lib/store-instance';
import { startLiveConnector } from './start-live-connector';

// The state machine enters this step only when the plan has a live stream.
const Input = z.object({ plan: z.object({ ...planFields, liveStream: LiveStreamPlan }), chimeMeeting: MeetingRef, role: RoleRef });

const budget = quotaBudget();

export const handler = stepHandler('StartLiveConnector', Input, (input, { remainingMs }) =>
  startLiveConnector({ pipelines: mediaPipelines, secrets: secretsManager, store, turn: { store, budget, remainingMs } }, input),
);
