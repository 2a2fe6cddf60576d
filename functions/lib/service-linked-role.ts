import {
  CreateServiceLinkedRoleCommand,
  DeleteServiceLinkedRoleCommand,
  GetRoleCommand,
  GetServiceLinkedRoleDeletionStatusCommand,
  UpdateRoleDescriptionCommand,
  type IAMClient,
  type Role,
} from '@aws-sdk/client-iam';
import { AccessDenied, RoleNotReady, toWorkflowError } from './errors';

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
  /** When IAM created the role (its CreateDate, ISO 8601): how long IAM has had to propagate it. */
  createdAt: string;
  /** True when this call created it (or found it created concurrently): IAM may not have propagated it. */
  fresh: boolean;
}

/**
 * Creates the role when missing. GetRole answers a missing role with NoSuchEntity, or with AccessDenied
 * when IAM authorizes the request against a resource the caller's policy does not name (public reports of
 * both; for a service-linked role the path of a role that does not exist yet is unknown), so an
 * AccessDenied probe means "not known to exist" and the role is created. A refusal to create it
 * (InvalidInputException: IAM's wording for a role created concurrently is not documented, so it is not
 * read) counts as success when the role then exists; while GetRole does not show it yet, it is retried.
 */
export async function ensureRole(iam: IAMClient, description?: string): Promise<EnsuredRole> {
  const existing = await getRole(iam).catch((err: unknown) => {
    if (toWorkflowError(err, 'GetRole') instanceof AccessDenied) return undefined;
    throw err;
  });
  if (existing) return ensured(existing, false);
  let refusal: Error;
  try {
    const created = await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: SERVICE_NAME, Description: description }));
    return ensured(created.Role ?? {}, true);
  } catch (err) {
    if (!(err instanceof Error && err.name === 'InvalidInputException')) throw err;
    refusal = err;
  }
  const role = await getRole(iam);
  // IAM is eventually consistent: a role created concurrently may not show yet. The next attempt sees it.
  if (!role) throw new RoleNotReady(`CreateServiceLinkedRole refused (${refusal.name}: ${refusal.message}) and GetRole does not show ${ROLE_NAME} yet`);
  return ensured(role, true);
}

function ensured(role: Partial<Role>, fresh: boolean): EnsuredRole {
  // Arn and CreateDate are required members of IAM's Role.
  return { roleArn: role.Arn ?? '', createdAt: role.CreateDate?.toISOString() ?? '', fresh };
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
