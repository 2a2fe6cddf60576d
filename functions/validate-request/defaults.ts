import { stackPartition } from '../lib/arns';
import type { Defaults } from './validate';

/** The stack's defaults, from the environment serverless.yml gives every function. */
export function defaultsFromEnv(env: NodeJS.ProcessEnv = process.env): Defaults {
  return {
    captureBucket: env.CAPTURE_BUCKET || undefined,
    concatenationBucket: env.CONCATENATION_BUCKET || undefined,
    region: env.AWS_REGION ?? 'us-east-1',
    partition: stackPartition(env),
    account: env.ACCOUNT_ID || undefined,
    liveStreamSecretPrefix: env.LIVE_STREAM_SECRET_PREFIX || undefined,
  };
}
