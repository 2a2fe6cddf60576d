import { randomInt, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';
import type { CloudContext, IamInternal } from '../core/context';
import { queryError, queryParams, queryResponse } from '../core/query-protocol';
import { ServiceError, type LocalRequest, type LocalResponse, type Service } from '../core/service';

/**
 * IAM (AWS query protocol: form-encoded `Action=...&Version=2010-05-08`, XML answers), limited to the
 * service-linked roles the media pipeline service needs. Roles and deletion tasks persist in
 * `<dataDir>/iam.json`. A service-linked role deletion runs in simulated time, as on AWS: NOT_STARTED,
 * IN_PROGRESS, then SUCCEEDED, or FAILED (the role stays) when the linked service still uses the role.
 */
const NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';
const OPERATIONS = new Set(['GetRole', 'ListRoles', 'CreateServiceLinkedRole', 'UpdateRoleDescription', 'DeleteServiceLinkedRole', 'GetServiceLinkedRoleDeletionStatus']);

/** Role name suffixes AWS gives service-linked roles, where the name is not derivable from the service. */
const KNOWN_ROLE_SUFFIXES = new Map([
  ['mediapipelines.chime.amazonaws.com', 'AmazonChimeSDKMediaPipelines'],
  // AWS's create-service-linked-role example (test/fixtures/aws-examples/iam/CreateServiceLinkedRole-1.json).
  ['lex.amazonaws.com', 'LexBots'],
]);
// Deletion steps in simulated ms: AWS takes seconds.
const DELETION_STARTS_AFTER_MS = 500;
const DELETION_ENDS_AFTER_MS = 2000;

const Role = z.object({
  path: z.string(),
  roleName: z.string(),
  roleId: z.string(),
  arn: z.string(),
  serviceName: z.string(),
  /** Simulated epoch ms. */
  createdAt: z.number(),
  description: z.optional(z.string()),
  /** The trust policy as JSON text; IAM returns it URL-encoded. */
  assumeRolePolicyDocument: z.string(),
  maxSessionDuration: z.number(),
  /** When and in which region the linked service last used the role (GetRole's RoleLastUsed). */
  lastUsed: z.optional(z.object({ at: z.number(), region: z.string() })),
});
type Role = z.infer<typeof Role>;

const RoleUsage = z.object({ Region: z.string(), Resources: z.array(z.string()) });
type RoleUsage = z.infer<typeof RoleUsage>;

const DeletionTask = z.object({
  id: z.string(),
  roleName: z.string(),
  status: z.enum(['NOT_STARTED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED']),
  reason: z.optional(z.object({ Reason: z.string(), RoleUsageList: z.array(RoleUsage) })),
});
type DeletionTask = z.infer<typeof DeletionTask>;

const State = z.object({ roles: z.array(Role), deletionTasks: z.array(DeletionTask) });

export class IamService implements Service, IamInternal {
  readonly name = 'iam';
  readonly signingNames = ['iam'] as const;
  private readonly roles = new Map<string, Role>();
  private readonly tasks = new Map<string, DeletionTask>();
  private readonly usage = new Map<string, () => RoleUsage[]>();
  private readonly file: string;

  constructor(private readonly ctx: CloudContext) {
    this.file = path.join(ctx.dataDir, 'iam.json');
    this.load();
    // Deletions cut short by a restart carry on from where they were.
    for (const task of this.tasks.values()) if (task.status === 'NOT_STARTED' || task.status === 'IN_PROGRESS') this.schedule(task);
  }

  operation(req: LocalRequest): string | undefined {
    const action = queryParams(req).get('Action') ?? '';
    return OPERATIONS.has(action) ? action : undefined;
  }

  async handle(operation: string, req: LocalRequest): Promise<LocalResponse> {
    const p = queryParams(req);
    switch (operation) {
      case 'GetRole': {
        const role = this.readableRole(required(p, 'RoleName'));
        return respond(operation, { Role: { ...roleXml(role), RoleLastUsed: roleLastUsedXml(role) } });
      }
      case 'ListRoles':
        return respond(operation, this.listRoles(p));
      case 'CreateServiceLinkedRole': {
        // The new role as AWS's create-service-linked-role example shows it: without Description (though
        // one was given) and MaxSessionDuration, which GetRole reports (iam/CreateServiceLinkedRole-1.json).
        const { Description: _description, MaxSessionDuration: _maxSessionDuration, ...created } = roleXml(
          this.createServiceLinkedRole(required(p, 'AWSServiceName'), p.get('Description') ?? undefined, p.get('CustomSuffix') ?? undefined),
        );
        return respond(operation, { Role: created });
      }
      case 'UpdateRoleDescription': {
        const role = this.requireRole(required(p, 'RoleName'));
        role.description = checkDescription(required(p, 'Description'));
        this.save();
        return respond(operation, { Role: roleXml(role) });
      }
      case 'DeleteServiceLinkedRole':
        return respond(operation, { DeletionTaskId: this.deleteServiceLinkedRole(required(p, 'RoleName')).id });
      case 'GetServiceLinkedRoleDeletionStatus': {
        const task = this.requireTask(required(p, 'DeletionTaskId'));
        return respond(operation, {
          Status: task.status,
          Reason: task.reason && {
            Reason: task.reason.Reason,
            RoleUsageList: { member: task.reason.RoleUsageList.map((u) => ({ Region: u.Region, Resources: { member: u.Resources } })) },
          },
        });
      }
      default:
        throw new ServiceError('InvalidAction', 400, `The local cloud does not implement IAM ${operation}.`);
    }
  }

  errorResponse(err: ServiceError): LocalResponse {
    return queryError(NAMESPACE, err);
  }

  // --- IamInternal --------------------------------------------------------------------------------

  roleExists(roleName: string): boolean {
    return this.roles.has(roleName) && this.pendingTask(roleName) === undefined;
  }

  roleCreatedAt(roleName: string): number | undefined {
    return this.roles.get(roleName)?.createdAt;
  }

  setRoleUsage(roleName: string, usage: () => Array<{ Region: string; Resources: string[] }>): void {
    this.usage.set(roleName, usage);
  }

  roleUsed(roleName: string, region: string): void {
    const role = this.roles.get(roleName);
    if (!role) return;
    const first = role.lastUsed?.region !== region;
    role.lastUsed = { at: this.ctx.clock.now(), region };
    // Written through when the region changes; later uses only move the date, which AWS too reports late.
    if (first) this.save();
  }

  // --- operations ---------------------------------------------------------------------------------

  private createServiceLinkedRole(serviceName: string, description: string | undefined, customSuffix: string | undefined): Role {
    if (!/^[\w.-]+\.amazonaws\.com(\.cn)?$/.test(serviceName)) {
      throw new ServiceError('InvalidInput', 400, `Service name ${serviceName} is not eligible for a service linked role`);
    }
    if (customSuffix !== undefined && !/^[\w+=,.@-]{1,64}$/.test(customSuffix)) {
      throw new ServiceError('ValidationError', 400, `1 validation error detected: Value '${customSuffix}' at 'customSuffix' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`);
    }
    const roleName = `AWSServiceRoleFor${KNOWN_ROLE_SUFFIXES.get(serviceName) ?? derivedSuffix(serviceName)}${customSuffix ? `_${customSuffix}` : ''}`;
    if (this.roles.has(roleName)) {
      throw new ServiceError('InvalidInput', 400, `Service role name ${roleName} has been taken in this account, please try a different suffix.`);
    }
    const rolePath = `/aws-service-role/${serviceName}/`;
    const role: Role = {
      path: rolePath,
      roleName,
      roleId: `AROA${Array.from({ length: 17 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[randomInt(36)]).join('')}`,
      arn: `arn:aws:iam::${this.ctx.account}:role${rolePath}${roleName}`,
      serviceName,
      createdAt: this.ctx.clock.now(),
      description: description === undefined ? undefined : checkDescription(description),
      // As AWS writes a service-linked role's trust policy, with lists (iam/CreateServiceLinkedRole-1.json).
      assumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Action: ['sts:AssumeRole'], Effect: 'Allow', Principal: { Service: [serviceName] } }],
      }),
      maxSessionDuration: 3600,
    };
    this.roles.set(roleName, role);
    this.save();
    return role;
  }

  private deleteServiceLinkedRole(roleName: string): DeletionTask {
    const role = this.requireRole(roleName);
    // AWS returns the earlier task while a deletion of the same role is still running.
    const pending = this.pendingTask(roleName);
    if (pending) return pending;
    const task: DeletionTask = { id: `task/aws-service-role/${role.serviceName}/${roleName}/${randomUUID()}`, roleName, status: 'NOT_STARTED' };
    this.tasks.set(task.id, task);
    this.save();
    this.schedule(task);
    return task;
  }

  private schedule(task: DeletionTask): void {
    this.ctx.clock.setTimeout(DELETION_STARTS_AFTER_MS, () => {
      task.status = 'IN_PROGRESS';
      this.save();
    });
    this.ctx.clock.setTimeout(DELETION_ENDS_AFTER_MS, () => {
      const usage = (this.usage.get(task.roleName)?.() ?? []).filter((u) => u.Resources.length > 0);
      if (usage.length > 0) {
        task.status = 'FAILED';
        task.reason = { Reason: `The service-linked role ${task.roleName} is still used by resources in the linked service; delete them and try again.`, RoleUsageList: usage };
      } else {
        task.status = 'SUCCEEDED';
        this.roles.delete(task.roleName);
      }
      this.save();
    });
  }

  private listRoles(p: URLSearchParams): Record<string, unknown> {
    const pathPrefix = p.get('PathPrefix') ?? '/';
    const maxItems = Number(p.get('MaxItems') ?? '100');
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) {
      throw new ServiceError('ValidationError', 400, `1 validation error detected: Value '${p.get('MaxItems')}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`);
    }
    // The marker is opaque to clients; here it is the last role name returned.
    const marker = p.get('Marker');
    const matching = [...this.roles.values()]
      .filter((r) => r.path.startsWith(pathPrefix) && (marker === null || r.roleName > marker))
      .sort((a, b) => (a.roleName < b.roleName ? -1 : 1));
    const page = matching.slice(0, maxItems);
    const truncated = matching.length > maxItems;
    return { Roles: { member: page.map(roleXml) }, IsTruncated: truncated, Marker: truncated ? page.at(-1)?.roleName : undefined };
  }

  /** GetRole's lookup: a missing role is NoSuchEntity, or AccessDenied (behaviour iam-get-missing-role). */
  private readableRole(roleName: string): Role {
    if (!this.roles.has(roleName) && this.ctx.behaviours['iam-get-missing-role'] === 'access-denied') {
      throw new ServiceError(
        'AccessDenied',
        403,
        `User: arn:aws:sts::${this.ctx.account}:assumed-role/local/local is not authorized to perform: iam:GetRole on resource: role ${roleName} because no identity-based policy allows the iam:GetRole action`,
      );
    }
    return this.requireRole(roleName);
  }

  private requireRole(roleName: string): Role {
    const role = this.roles.get(roleName);
    if (!role) throw new ServiceError('NoSuchEntity', 404, `The role with name ${roleName} cannot be found.`);
    return role;
  }

  private requireTask(id: string): DeletionTask {
    if (!id.startsWith('task/')) throw new ServiceError('InvalidInput', 400, `Invalid deletion task id: ${id}`);
    const task = this.tasks.get(id);
    if (!task) throw new ServiceError('NoSuchEntity', 404, `The deletion task ${id} cannot be found.`);
    return task;
  }

  private pendingTask(roleName: string): DeletionTask | undefined {
    return [...this.tasks.values()].find((t) => t.roleName === roleName && (t.status === 'NOT_STARTED' || t.status === 'IN_PROGRESS'));
  }

  private load(): void {
    if (!fs.existsSync(this.file)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch {
      parsed = undefined;
    }
    const state = State.safeParse(parsed);
    if (!state.success) throw new Error(`${this.file} is not IAM state the local cloud can read; fix or delete it`);
    for (const role of state.data.roles) this.roles.set(role.roleName, role);
    for (const task of state.data.deletionTasks) this.tasks.set(task.id, task);
  }

  private save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${randomUUID()}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ roles: [...this.roles.values()], deletionTasks: [...this.tasks.values()] }, null, 2));
    fs.renameSync(tmp, this.file);
  }
}

/** Query-protocol parameters: the form body (POST), merged over the query string (GET). */
function required(p: URLSearchParams, name: string): string {
  const value = p.get(name);
  if (value === null) {
    const member = name.charAt(0).toLowerCase() + name.slice(1);
    throw new ServiceError('ValidationError', 400, `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

function checkDescription(description: string): string {
  if (description.length > 1000 || !/^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*$/.test(description)) {
    throw new ServiceError('ValidationError', 400, "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000 and use printable Latin-1 characters");
  }
  return description;
}

/** `autoscaling.amazonaws.com` -> `Autoscaling`: close to, though not always exactly, AWS's own names. */
function derivedSuffix(serviceName: string): string {
  return serviceName
    .replace(/\.amazonaws\.com(\.cn)?$/, '')
    .split(/[.-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function roleXml(role: Role): Record<string, unknown> {
  return {
    Path: role.path,
    RoleName: role.roleName,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: new Date(role.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    AssumeRolePolicyDocument: encodeURIComponent(role.assumeRolePolicyDocument),
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
  };
}

/**
 * GetRole's RoleLastUsed: empty for a role not used yet, else the date (to the second, like CreateDate)
 * and region, as in AWS's GetRole examples (test/fixtures/aws-examples/iam/GetRole-*.json).
 */
function roleLastUsedXml(role: Role): Record<string, unknown> {
  if (!role.lastUsed) return {};
  return { LastUsedDate: new Date(role.lastUsed.at).toISOString().replace(/\.\d{3}Z$/, 'Z'), Region: role.lastUsed.region };
}

function respond(action: string, result: Record<string, unknown>): LocalResponse {
  return queryResponse(NAMESPACE, action, result);
}
