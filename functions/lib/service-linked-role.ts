import {
  CreateServiceLinkedRoleCommand,
  DeleteServiceLinkedRoleCommand,
  GetRoleCommand,
  GetServiceLinkedRoleDeletionStatusCommand,
  UpdateRoleDescriptionCommand,
  type IAMClient,
  type Role,
} from '@aws-sdk/client-iam';

/** The role media pipelines use to join meetings on the account's behalf (see seeds: "Using roles..."). */
export const ROLE_NAME = 'AWSServiceRoleForAmazonChimeSDKMediaPipelines';
export const SERVICE_NAME = 'mediapipelines.chime.amazonaws.com';

export async function getRole(iam: IAMClient): Promise<Role | undefined> {
  try {
    return (await iam.send(new GetRoleCommand({ RoleName: ROLE_NAME }))).Role;
  } catch (err) {
    if (err instanceof Error && err.name === 'NoSuchEntityException') return undefined;
    throw err;
  }
}

export interface EnsuredRole {
  roleArn: string;
  /** True when the role was created moments ago (here or concurrently): IAM may not have propagated it. */
  fresh: boolean;
}

/** Creates the role when missing. "has been taken" (created concurrently) counts as success. */
export async function ensureRole(iam: IAMClient, description?: string): Promise<EnsuredRole> {
  const existing = await getRole(iam);
  if (existing?.Arn) return { roleArn: existing.Arn, fresh: false };
  try {
    const created = await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: SERVICE_NAME, Description: description }));
    return { roleArn: created.Role?.Arn ?? '', fresh: true };
  } catch (err) {
    if (err instanceof Error && err.name === 'InvalidInputException' && /has been taken/i.test(err.message)) {
      const role = await getRole(iam);
      return { roleArn: role?.Arn ?? '', fresh: true };
    }
    throw err;
  }
}

export async function setDescription(iam: IAMClient, description: string): Promise<Role | undefined> {
  return (await iam.send(new UpdateRoleDescriptionCommand({ RoleName: ROLE_NAME, Description: description }))).Role;
}

export interface DeletionOutcome {
  status: 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS' | 'NOT_STARTED';
  deletionTaskId: string;
  reason?: string;
  roleUsage?: Array<{ region: string; resources: string[] }>;
}

/** Deletes the role and polls the deletion task until it ends or `maxPolls` is reached. */
export async function deleteRole(iam: IAMClient, opts: { pollMs: number; maxPolls: number }): Promise<DeletionOutcome> {
  const { DeletionTaskId } = await iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: ROLE_NAME }));
  const deletionTaskId = DeletionTaskId ?? '';
  for (let poll = 0; ; poll += 1) {
    const out = await iam.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: deletionTaskId }));
    const status = (out.Status ?? 'NOT_STARTED') as DeletionOutcome['status'];
    if (status === 'SUCCEEDED' || status === 'FAILED' || poll + 1 >= opts.maxPolls) {
      return {
        status,
        deletionTaskId,
        reason: out.Reason?.Reason,
        roleUsage: out.Reason?.RoleUsageList?.map((u) => ({ region: u.Region ?? '', resources: u.Resources ?? [] })),
      };
    }
    await new Promise((r) => setTimeout(r, opts.pollMs));
  }
}
