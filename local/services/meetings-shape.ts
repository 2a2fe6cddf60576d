import { ServiceError } from '../core/service';
import type { JsonObject } from './model-validation';

/**
 * Reading the requests of the two Chime SDK emulators (meetings and media pipelines). The requests were
 * validated against AWS's service model first (model-validation.ts: required members, types, lengths,
 * patterns, enums, ranges), so a reader only reads; what is left to the emulators are the rules the API
 * reference states in prose, which fail as BadRequestException naming the member by its path
 * (`Sources[0].MediaCapturePipelineSourceConfiguration.MediaPipelineArn`), never echoing a sensitive value.
 *
 * A reader also builds a copy of the members it read (`value`), which is what the emulators store and
 * echo back, so unknown members a client sends are dropped as the real services drop them.
 */
export type { JsonObject } from './model-validation';

export function badRequest(message: string): ServiceError {
  return new ServiceError('BadRequestException', 400, message);
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

  string(name: string, required: true): string;
  string(name: string, required?: boolean): string | undefined;
  string(name: string, required = false): string | undefined {
    return this.read(name, required, (v): v is string => typeof v === 'string');
  }

  /** A string member whose shape is an enum: the model's validation checked it is one of `T`. */
  enumOf<T extends string>(name: string, required: true): T;
  enumOf<T extends string>(name: string, required?: boolean): T | undefined;
  enumOf<T extends string>(name: string, required = false): T | undefined {
    return this.string(name, required) as T | undefined;
  }

  integer(name: string, required = false): number | undefined {
    return this.read(name, required, (v): v is number => typeof v === 'number');
  }

  struct(name: string, required: true): Members;
  struct(name: string, required?: boolean): Members | undefined;
  struct(name: string, required = false): Members | undefined {
    const raw = this.read(name, required, isObject, false);
    if (raw === undefined) return undefined;
    const child = new Members(raw, this.at(name));
    this.keep(name, child.value);
    return child;
  }

  structs(name: string, required: true): Members[];
  structs(name: string, required?: boolean): Members[] | undefined;
  structs(name: string, required = false): Members[] | undefined {
    const items = this.read(name, required, (v): v is JsonObject[] => Array.isArray(v) && v.every(isObject), false);
    if (!items) return undefined;
    const children = items.map((item, i) => new Members(item, `${this.at(name)}[${i}]`));
    this.keep(
      name,
      children.map((c) => c.value),
    );
    return children;
  }

  strings(name: string): string[] | undefined {
    return this.read(name, false, (v): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string'));
  }

  private read<T>(name: string, required: boolean, is: (v: unknown) => v is T, keep = true): T | undefined {
    const v = this.input[name];
    if (v === undefined || v === null) {
      // The model's validation ran first: a required member is there.
      if (required) throw new Error(`${this.at(name)}: a required member is missing after validation`);
      return undefined;
    }
    if (!is(v)) throw new Error(`${this.at(name)}: a member of the wrong type after validation`);
    return keep ? this.keep(name, v) : v;
  }

  private keep<T>(name: string, value: T): T {
    this.value[name] = value;
    return value;
  }
}

function isObject(value: unknown): value is JsonObject {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** `max-results`, checked against the model's ResultMax (1..100) by then. */
export function maxResults(query: URLSearchParams, defaultValue: number): number {
  const raw = query.get('max-results');
  return raw === null ? defaultValue : Number(raw);
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

/**
 * Tags (list of {Key, Value}; their lengths, patterns and count are the model's). Two rules are AWS's
 * tagging conventions, which the Chime SDK Meetings model's CreateMeeting Tags documentation points to
 * ("Tag Naming and Usage Conventions", https://docs.aws.amazon.com/general/latest/gr/aws_tagging.html):
 * the `aws:` prefix is reserved for AWS use, and each tag key of a resource is unique.
 */
export function readTags(m: Members): Array<{ Key: string; Value: string }> | undefined {
  const items = m.structs('Tags');
  if (!items) return undefined;
  const seen = new Set<string>();
  return items.map((t) => {
    const Key = t.string('Key', true);
    const Value = t.string('Value', true);
    if (Key.toLowerCase().startsWith('aws:')) throw badRequest(`${t.at('Key')}: tag keys starting with "aws:" are reserved for AWS use.`);
    if (seen.has(Key)) throw badRequest(`${t.at('Key')}: duplicate tag key.`);
    seen.add(Key);
    return { Key, Value };
  });
}
