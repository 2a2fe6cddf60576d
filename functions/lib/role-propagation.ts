import { RoleNotReady, awsErrorName } from './errors';
import type { RoleRef } from './schemas';
import { now } from './time';

/**
 * IAM is eventually consistent: a service-linked role created moments ago may not be usable yet, and
 * media pipelines then refuse to start (ForbiddenException). AWS documents neither the wording of that
 * refusal nor how long propagation takes ("changes ... take time to become visible", IAM user guide,
 * troubleshoot_general_eventual-consistency), so it is recognised by timing alone: a ForbiddenException
 * within this window of the role's CreateDate is retried (RoleNotReady, transient); any other is a
 * permission to fix. The state machine's retries for RoleNotReady outlast the window.
 */
export const ROLE_PROPAGATION_WINDOW_MS = 10 * 60_000;

/** RoleNotReady when `err` may be the new role still propagating; undefined otherwise. */
export function propagationRefusal(err: unknown, role: RoleRef, what: string): RoleNotReady | undefined {
  if (awsErrorName(err) !== 'ForbiddenException') return undefined;
  const age = now() - Date.parse(role.createdAt);
  if (!(age < ROLE_PROPAGATION_WINDOW_MS)) return undefined;
  const seconds = Math.max(0, Math.round(age / 1000));
  return new RoleNotReady(`${what} was refused ${seconds} s after the service-linked role was created (IAM may not have propagated it yet; retried until ${ROLE_PROPAGATION_WINDOW_MS / 60_000} minutes after): ${(err as Error).message}`);
}
