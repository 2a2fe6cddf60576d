/** ARN formats the workflow builds and parses, in one place so tests can pin them. */

/** The meeting ARN form media pipelines accept as SourceArn (the form AWS's own demos use). */
export function meetingSourceArn(account: string, meetingId: string, partition = 'aws'): string {
  return `arn:${partition}:chime::${account}:meeting:${meetingId}`;
}

/** `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/prefix` (no trailing slash). */
export function s3Arn(bucket: string, prefix?: string, partition = 'aws'): string {
  const clean = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return `arn:${partition}:s3:::${bucket}${clean ? `/${clean}` : ''}`;
}

/** Account id inside any ARN (`arn:partition:service:region:account:resource`). */
export function accountOf(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** Execution name from an execution ARN (`arn:aws:states:region:account:execution:machine:name`). */
export function executionNameOf(executionArn: string): string {
  return executionArn.split(':').slice(7).join(':') || executionArn;
}
