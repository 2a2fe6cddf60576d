import * as z from 'zod/mini';
import { stackPartition } from '../lib/arns';
import { meetings } from '../lib/clients/meetings';
import { s3 } from '../lib/clients/s3';
import { stepHandler } from '../lib/handler';
import { Plan } from '../lib/schemas';
import { verifyBuckets } from './verify';

export const handler = stepHandler('VerifyBuckets', z.object({ plan: Plan }), ({ plan }) =>
  verifyBuckets({ s3, meetings, owner: { account: process.env.ACCOUNT_ID ?? '', partition: stackPartition() }, region: process.env.AWS_REGION ?? '' }, plan),
);
