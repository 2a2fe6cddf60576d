/**
 * ARN formats the workflow builds and parses, in one place so tests can pin them. Every ARN is built with
 * the stack's partition (`aws`, `aws-us-gov`, ...), which the functions read from the PARTITION variable
 * serverless.yml sets from AWS::Partition: never written out.
 */

/** The meeting ARN form media pipelines accept as SourceArn (the form AWS's own demos use). */
export function meetingSourceArn(partition: string, account: string, meetingId: string): string {
  return `arn:${partition}:chime::${account}:meeting:${meetingId}`;
}

/** `arn:<partition>:s3:::bucket` or `arn:<partition>:s3:::bucket/prefix` (no trailing slash). */
export function s3Arn(partition: string, bucket: string, prefix?: string): string {
  const clean = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return `arn:${partition}:s3:::${bucket}${clean ? `/${clean}` : ''}`;
}

/** The stack's partition, for the ARNs a function builds. */
export function stackPartition(env: NodeJS.ProcessEnv = process.env): string {
  const partition = env.PARTITION;
  // serverless.yml sets it for every function; without it every ARN built here would be wrong.
  if (!partition) throw new Error('PARTITION is not set (serverless.yml sets it from AWS::Partition for every function)');
  return partition;
}

/** Account id inside any ARN (`arn:partition:service:region:account:resource`). */
export function accountOf(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** Execution name from an execution ARN (`arn:<partition>:states:region:account:execution:machine:name`). */
export function executionNameOf(executionArn: string): string {
  return executionArn.split(':').slice(7).join(':') || executionArn;
}

/**
 * A full Secrets Manager secret ARN (`arn:<partition>:secretsmanager:region:account:secret:name-AbCdEf`), in
 * any partition. The 6-character suffix is the one Secrets Manager appends; a partial ARN without it could
 * match a different secret whose name merely starts the same way.
 */
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):secret:([A-Za-z0-9/_+=.@-]{1,512})-[A-Za-z0-9]{6}$/;

/** The parts of a full secret ARN, or undefined when `arn` is not one. */
export function parseSecretArn(arn: string): { region: string; account: string; name: string } | undefined {
  const m = SECRET_ARN.exec(arn);
  if (!m) return undefined;
  const [, region = '', account = '', name = ''] = m;
  return { region, account, name };
}
