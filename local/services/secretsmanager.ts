import { randomInt, randomUUID } from 'node:crypto';
import type { CloudContext } from '../core/context';
import { ServiceError, awsJsonError, json, parseJsonBody, type LocalRequest, type LocalResponse, type Service } from '../core/service';

/**
 * AWS Secrets Manager (awsJson 1.1, target `secretsmanager.<Operation>`, signing name `secretsmanager`):
 * the calls a user makes to store a live stream URL (`aws secretsmanager create-secret --endpoint-url ...`)
 * and the one the workflow makes to read it. Secrets are regional, named, versioned by staging label
 * (AWSCURRENT, AWSPREVIOUS) and get the ARN suffix of six random characters AWS appends; DeleteSecret
 * schedules a deletion (7-30 days of simulated time) unless forced. Values live in memory only and no
 * message ever quotes them (SecretString and SecretBinary are `sensitive` in the service model).
 */
const OPERATIONS = new Set(['CreateSecret', 'GetSecretValue', 'PutSecretValue', 'DeleteSecret']);
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const DAY_MS = 24 * 60 * 60_000;
const NAME_CHARS = /^[A-Za-z0-9/_+=.@!-]+$/;
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

interface SecretValue {
  SecretString?: string;
  /** Base64, as the JSON protocol carries blobs. */
  SecretBinary?: string;
}

interface Version {
  id: string;
  value: SecretValue;
  stages: Set<string>;
  createdAt: number;
}

interface Secret {
  arn: string;
  name: string;
  region: string;
  createdAt: number;
  versions: Map<string, Version>;
  /** Simulated epoch ms at which a scheduled deletion completes. */
  deletionDate?: number;
}

export class SecretsManagerService implements Service {
  readonly name = 'secretsmanager';
  readonly signingNames = ['secretsmanager'] as const;
  /** By `${region}/${name}`. */
  private readonly secrets = new Map<string, Secret>();

  constructor(private readonly ctx: CloudContext) {}

  operation(req: LocalRequest): string | undefined {
    const op = (req.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
    return OPERATIONS.has(op) ? op : undefined;
  }

  async handle(operation: string, req: LocalRequest): Promise<LocalResponse> {
    const body = parseJsonBody(req);
    const ok = (value: unknown) => json(200, value, { 'content-type': 'application/x-amz-json-1.1' });
    this.purgeDue();
    switch (operation) {
      case 'CreateSecret':
        return ok(this.create(req.region, body));
      case 'GetSecretValue':
        return ok(this.getValue(req.region, body));
      case 'PutSecretValue':
        return ok(this.putValue(req.region, body));
      default: // DeleteSecret: operation() admits only these four
        return ok(this.delete(req.region, body));
    }
  }

  errorResponse(err: ServiceError): LocalResponse {
    return awsJsonError(err);
  }

  private create(region: string, body: Record<string, unknown>) {
    const name = text(body, 'Name', { min: 1, max: 512, required: true });
    if (!NAME_CHARS.test(name)) throw invalidParameter('Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!');
    const value = secretValue(body);
    const token = text(body, 'ClientRequestToken', { min: 32, max: 64 }) ?? randomUUID();
    const existing = this.secrets.get(`${region}/${name}`);
    if (existing?.deletionDate !== undefined) throw invalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.");
    if (existing) throw new ServiceError('ResourceExistsException', 400, `The operation failed because the secret ${name} already exists.`);
    const secret: Secret = { arn: secretArn(region, this.ctx.account, name), name, region, createdAt: this.ctx.clock.now(), versions: new Map() };
    this.secrets.set(`${region}/${name}`, secret);
    if (value) this.addVersion(secret, token, value, [CURRENT]);
    return { ARN: secret.arn, Name: name, VersionId: value ? token : undefined };
  }

  private getValue(region: string, body: Record<string, unknown>) {
    const secret = this.live(region, text(body, 'SecretId', { min: 1, max: 2048, required: true }));
    const versionId = text(body, 'VersionId', { min: 32, max: 64 });
    const stage = text(body, 'VersionStage', { min: 1, max: 256 }) ?? (versionId ? undefined : CURRENT);
    const version = [...secret.versions.values()].find((v) => (!versionId || v.id === versionId) && (!stage || v.stages.has(stage)));
    if (!version) {
      const which = versionId ? `VersionId: ${versionId}` : `staging label: ${stage}`;
      throw notFound(`Secrets Manager can't find the specified secret value for ${which}`);
    }
    return { ARN: secret.arn, Name: secret.name, VersionId: version.id, ...version.value, VersionStages: [...version.stages], CreatedDate: version.createdAt / 1000 };
  }

  private putValue(region: string, body: Record<string, unknown>) {
    const secret = this.live(region, text(body, 'SecretId', { min: 1, max: 2048, required: true }));
    const value = secretValue(body);
    if (!value) throw invalidParameter('You must provide either SecretString or SecretBinary.');
    const token = text(body, 'ClientRequestToken', { min: 32, max: 64 }) ?? randomUUID();
    const stages = stageList(body) ?? [CURRENT];
    const same = secret.versions.get(token);
    if (same) {
      // A retried call with the same token and value is a no-op; another value cannot rewrite a version.
      if (same.value.SecretString !== value.SecretString || same.value.SecretBinary !== value.SecretBinary) {
        throw new ServiceError('ResourceExistsException', 400, "You can't modify an existing version, you can only create a new version.");
      }
    } else {
      this.addVersion(secret, token, value, stages);
    }
    return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: [...(secret.versions.get(token)?.stages ?? [])] };
  }

  private delete(region: string, body: Record<string, unknown>) {
    const id = text(body, 'SecretId', { min: 1, max: 2048, required: true });
    const force = body.ForceDeleteWithoutRecovery === true;
    const days = body.RecoveryWindowInDays;
    if (force && days !== undefined) throw invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    if (days !== undefined && (typeof days !== 'number' || !Number.isInteger(days) || days < 7 || days > 30)) {
      throw invalidParameter('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
    }
    const now = this.ctx.clock.now();
    const secret = this.find(region, id);
    if (!secret) {
      // AWS answers a forced deletion of a secret it does not have as if it had deleted it.
      if (force) return { ARN: secretArn(region, this.ctx.account, id), Name: id, DeletionDate: now / 1000 };
      throw notFound("Secrets Manager can't find the specified secret.");
    }
    if (secret.deletionDate !== undefined && !force) throw invalidRequest("You tried to perform the operation on a secret that's currently marked deleted.");
    secret.deletionDate = force ? now : now + (typeof days === 'number' ? days : 30) * DAY_MS;
    if (force) this.secrets.delete(`${secret.region}/${secret.name}`);
    return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deletionDate / 1000 };
  }

  private addVersion(secret: Secret, id: string, value: SecretValue, stages: string[]): void {
    const current = [...secret.versions.values()].find((v) => v.stages.has(CURRENT));
    for (const v of secret.versions.values()) for (const stage of stages) v.stages.delete(stage);
    // Moving AWSCURRENT leaves AWSPREVIOUS on the version it came from.
    if (current && stages.includes(CURRENT)) {
      for (const v of secret.versions.values()) v.stages.delete(PREVIOUS);
      current.stages.add(PREVIOUS);
    }
    secret.versions.set(id, { id, value, stages: new Set(stages), createdAt: this.ctx.clock.now() });
  }

  /** A secret that exists and is not scheduled for deletion. */
  private live(region: string, id: string): Secret {
    const secret = this.find(region, id);
    if (!secret) throw notFound("Secrets Manager can't find the specified secret.");
    if (secret.deletionDate !== undefined) throw invalidRequest("You can't perform this operation on the secret because it was marked for deletion.");
    return secret;
  }

  /** By name, full ARN, or partial ARN (without the random suffix), in the request's region. */
  private find(region: string, id: string): Secret | undefined {
    if (!id.startsWith('arn:')) return this.secrets.get(`${region}/${id}`);
    return [...this.secrets.values()].find((s) => s.region === region && (s.arn === id || (s.arn.length === id.length + 7 && s.arn.startsWith(`${id}-`))));
  }

  /** Scheduled deletions whose recovery window has passed are final. */
  private purgeDue(): void {
    const now = this.ctx.clock.now();
    for (const [key, s] of this.secrets) if (s.deletionDate !== undefined && s.deletionDate <= now) this.secrets.delete(key);
  }
}

function secretArn(region: string, account: string, name: string): string {
  const suffix = Array.from({ length: 6 }, () => SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]).join('');
  return `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${suffix}`;
}

/** SecretString or SecretBinary (not both), or undefined when neither is given. Values are never quoted. */
function secretValue(body: Record<string, unknown>): SecretValue | undefined {
  const secretString = text(body, 'SecretString', { min: 1, max: 65536 });
  const secretBinary = text(body, 'SecretBinary', { min: 1, max: Math.ceil(65536 / 3) * 4 });
  if (secretString !== undefined && secretBinary !== undefined) {
    throw invalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.");
  }
  if (secretString !== undefined) return { SecretString: secretString };
  return secretBinary === undefined ? undefined : { SecretBinary: secretBinary };
}

function stageList(body: Record<string, unknown>): string[] | undefined {
  const raw = body.VersionStages;
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > 20 || raw.some((s) => typeof s !== 'string' || s.length < 1 || s.length > 256)) {
    throw validation('versionStages', 'Member must be a list of 1-20 strings of 1-256 characters');
  }
  return raw as string[];
}

function text(body: Record<string, unknown>, member: string, rule: { min: number; max: number; required: true }): string;
function text(body: Record<string, unknown>, member: string, rule: { min: number; max: number; required?: false }): string | undefined;
function text(body: Record<string, unknown>, member: string, rule: { min: number; max: number; required?: boolean }): string | undefined {
  const value = body[member];
  const field = member.charAt(0).toLowerCase() + member.slice(1);
  if (value === undefined || value === null) {
    if (rule.required) throw validation(field, 'Member must not be null');
    return undefined;
  }
  if (typeof value !== 'string') throw validation(field, 'Member must be a string');
  if (value.length < rule.min) throw validation(field, `Member must have length greater than or equal to ${rule.min}`);
  if (value.length > rule.max) throw validation(field, `Member must have length less than or equal to ${rule.max}`);
  return value;
}

/** The model's constraints, checked before the operation runs; the value is not quoted (it may be the secret). */
function validation(field: string, constraint: string): ServiceError {
  return new ServiceError('ValidationException', 400, `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${constraint}`);
}

function invalidParameter(message: string): ServiceError {
  return new ServiceError('InvalidParameterException', 400, message);
}

function invalidRequest(message: string): ServiceError {
  return new ServiceError('InvalidRequestException', 400, message);
}

function notFound(message: string): ServiceError {
  return new ServiceError('ResourceNotFoundException', 400, message);
}
