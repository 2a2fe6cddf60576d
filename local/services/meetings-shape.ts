import { ServiceError } from '../core/service';

/**
 * Request validation shared by the two Chime SDK emulators (meetings and media pipelines), checking the
 * constraints their service models declare (required, length, pattern, enum, range, list size). Failures
 * are BadRequestException in the wording of AWS's request validation and name the member by its path
 * (`Sources[0].MediaCapturePipelineSourceConfiguration.MediaPipelineArn`). Values are never echoed: many
 * of these members are `sensitive` in the models (ARNs, tokens, the RTMP URL with its stream key).
 *
 * A reader also builds a copy of the members it read (`value`), which is what the emulators store and
 * echo back, so unknown members a client sends are dropped as the real services drop them.
 */
export type JsonObject = { [key: string]: unknown };

export interface StringRule {
  min?: number;
  max?: number;
  /** Matched against the whole value, as AWS's validation does. */
  pattern?: RegExp;
}

export interface ListRule {
  min?: number;
  max?: number;
}

export function badRequest(message: string): ServiceError {
  return new ServiceError('BadRequestException', 400, message);
}

export function invalid(path: string, constraint: string): ServiceError {
  return badRequest(`1 validation error detected: Value at '${path}' failed to satisfy constraint: ${constraint}`);
}

export class Members {
  /** The members read so far (and only those), ready to store and echo back. */
  readonly value: JsonObject = {};

  constructor(
    private readonly input: JsonObject,
    readonly path = '',
  ) {}

  at(name: string): string {
    return this.path ? `${this.path}.${name}` : name;
  }

  string(name: string, rule: StringRule & { required: true }): string;
  string(name: string, rule?: StringRule & { required?: boolean }): string | undefined;
  string(name: string, rule: StringRule & { required?: boolean } = {}): string | undefined {
    const raw = this.raw(name, rule.required);
    if (raw === undefined) return undefined;
    return this.keep(name, checkString(this.at(name), raw, rule));
  }

  enumOf<T extends string>(name: string, values: readonly T[], required: true): T;
  enumOf<T extends string>(name: string, values: readonly T[], required?: boolean): T | undefined;
  enumOf<T extends string>(name: string, values: readonly T[], required = false): T | undefined {
    const raw = this.raw(name, required);
    if (raw === undefined) return undefined;
    const value = checkString(this.at(name), raw, {});
    if (!(values as readonly string[]).includes(value)) {
      throw invalid(this.at(name), `Member must satisfy enum value set: [${values.join(', ')}]`);
    }
    return this.keep(name, value as T);
  }

  integer(name: string, rule: { min?: number; max?: number; required?: boolean } = {}): number | undefined {
    const raw = this.raw(name, rule.required);
    if (raw === undefined) return undefined;
    if (typeof raw !== 'number' || !Number.isInteger(raw)) throw invalid(this.at(name), 'Member must be an integer');
    if (rule.min !== undefined && raw < rule.min) throw invalid(this.at(name), `Member must have value greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && raw > rule.max) throw invalid(this.at(name), `Member must have value less than or equal to ${rule.max}`);
    return this.keep(name, raw);
  }

  struct(name: string, required: true): Members;
  struct(name: string, required?: boolean): Members | undefined;
  struct(name: string, required = false): Members | undefined {
    const raw = this.raw(name, required);
    if (raw === undefined) return undefined;
    const child = new Members(asObject(this.at(name), raw), this.at(name));
    this.keep(name, child.value);
    return child;
  }

  structs(name: string, rule: ListRule & { required: true }): Members[];
  structs(name: string, rule?: ListRule & { required?: boolean }): Members[] | undefined;
  structs(name: string, rule: ListRule & { required?: boolean } = {}): Members[] | undefined {
    const items = this.list(name, rule);
    if (!items) return undefined;
    const children = items.map((item, i) => new Members(asObject(`${this.at(name)}[${i}]`, item), `${this.at(name)}[${i}]`));
    this.keep(
      name,
      children.map((c) => c.value),
    );
    return children;
  }

  strings(name: string, rule: ListRule & { required?: boolean }, item: StringRule): string[] | undefined {
    const items = this.list(name, rule);
    if (!items) return undefined;
    return this.keep(
      name,
      items.map((v, i) => checkString(`${this.at(name)}[${i}]`, v, item)),
    );
  }

  private list(name: string, rule: ListRule & { required?: boolean }): unknown[] | undefined {
    const raw = this.raw(name, rule.required);
    if (raw === undefined) return undefined;
    if (!Array.isArray(raw)) throw invalid(this.at(name), 'Member must be a list');
    if (rule.min !== undefined && raw.length < rule.min) throw invalid(this.at(name), `Member must have length greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && raw.length > rule.max) throw invalid(this.at(name), `Member must have length less than or equal to ${rule.max}`);
    return raw;
  }

  private raw(name: string, required = false): unknown {
    const v = this.input[name];
    if (v === undefined || v === null) {
      if (required) throw invalid(this.at(name), 'Member must not be null');
      return undefined;
    }
    return v;
  }

  private keep<T>(name: string, value: T): T {
    this.value[name] = value;
    return value;
  }
}

export function checkString(path: string, value: unknown, rule: StringRule): string {
  if (typeof value !== 'string') throw invalid(path, 'Member must be a string');
  if (rule.min !== undefined && value.length < rule.min) throw invalid(path, `Member must have length greater than or equal to ${rule.min}`);
  if (rule.max !== undefined && value.length > rule.max) throw invalid(path, `Member must have length less than or equal to ${rule.max}`);
  if (rule.pattern && !fullMatch(rule.pattern, value)) throw invalid(path, `Member must satisfy regular expression pattern: ${rule.pattern.source}`);
  return value;
}

function fullMatch(pattern: RegExp, value: string): boolean {
  return new RegExp(`^(?:${pattern.source})$`, pattern.flags).test(value);
}

function asObject(path: string, value: unknown): JsonObject {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalid(path, 'Member must be a structure');
  return value as JsonObject;
}

/** `max-results` (1..100 in both services) from the query string. */
export function maxResults(query: URLSearchParams, defaultValue: number): number {
  const raw = query.get('max-results');
  if (raw === null) return defaultValue;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 100) throw invalid('MaxResults', 'Member must have value between 1 and 100');
  return n;
}

/**
 * Opaque pagination tokens: the sequence number of the last item returned, bound to the listing it
 * belongs to so a token from another listing is rejected instead of silently skipping items.
 */
function encodeNextToken(scope: string, lastSeq: number): string {
  return Buffer.from(JSON.stringify({ s: scope, q: lastSeq })).toString('base64url');
}

function decodeNextToken(query: URLSearchParams, scope: string): number {
  const raw = query.get('next-token');
  if (raw === null || raw === '') return -1;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && 's' in parsed && 'q' in parsed && parsed.s === scope && typeof parsed.q === 'number') return parsed.q;
  } catch {
    // fall through to the error below
  }
  throw badRequest('The NextToken is not valid.');
}

/** One page of items ordered by `seq`, starting after the token's position. */
export function page<T extends { seq: number }>(items: Iterable<T>, query: URLSearchParams, scope: string, defaultMax: number): { items: T[]; nextToken?: string } {
  const after = decodeNextToken(query, scope);
  const max = maxResults(query, defaultMax);
  const rest = [...items].filter((i) => i.seq > after).sort((a, b) => a.seq - b.seq);
  const slice = rest.slice(0, max);
  const last = slice[slice.length - 1];
  return { items: slice, nextToken: rest.length > max && last ? encodeNextToken(scope, last.seq) : undefined };
}

/** A stable fingerprint of a validated request, to tell an idempotent retry from a reused token. */
export function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as JsonObject).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Tags as the Chime models define them (list of {Key, Value}), with the limits each service passes in. */
export function readTags(m: Members, rule: ListRule, key: StringRule, value: StringRule): Array<{ Key: string; Value: string }> | undefined {
  const items = m.structs('Tags', rule);
  if (!items) return undefined;
  const seen = new Set<string>();
  return items.map((t) => {
    const Key = t.string('Key', { ...key, required: true });
    const Value = t.string('Value', { ...value, required: true });
    if (Key.toLowerCase().startsWith('aws:')) throw badRequest(`${t.at('Key')}: tag keys starting with "aws:" are reserved for AWS use.`);
    if (seen.has(Key)) throw badRequest(`${t.at('Key')}: duplicate tag key.`);
    seen.add(Key);
    return { Key, Value };
  });
}
