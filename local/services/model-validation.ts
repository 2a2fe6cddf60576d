import fs from 'node:fs';
import path from 'node:path';
import { ServiceError, parseJsonBody, type LocalRequest } from '../core/service';

/**
 * Request validation driven by AWS's published service models (local/models, vendored from botocore by
 * `npm run models`): the emulators check each request against its operation's input shape before acting
 * on it, so every required member, length, pattern, enum and range they enforce is AWS's own.
 *
 * What is checked, as the model declares it on the member's shape:
 * - `required` members of structures (a JSON null counts as absent);
 * - the JSON type of every member the model knows (members it does not know are ignored, as AWS does);
 * - `min` / `max`: a string's length in Unicode code points (the Smithy length trait counts Unicode scalar
 *   values, and botocore's validate.py uses Python's len(), which counts code points), a list's or map's
 *   number of entries, an integer's value;
 * - `enum`: the value set;
 * - `pattern`: matched against the whole value, the way AWS's services apply them (the models carry
 *   unanchored patterns such as ClientRequestToken's `[-_a-zA-Z0-9]*`, which would accept anything if a
 *   partial match sufficed), with Java's regular expression semantics (see `javaPattern`);
 * - a pattern a member's documentation states (`Pattern: <code>...</code>`) where its shape has none: the
 *   Chime SDK Meetings model documents ExternalUserId's and ExternalMeetingId's pattern only in prose.
 *
 * Path, query string and header members are read where the operation's `http.requestUri` and the
 * members' `location` / `locationName` put them. Violations become one BadRequestException in the wording
 * of AWS's request validation, every violation listed:
 * `1 validation error detected: Value 'x' at 'Tags[0].Key' failed to satisfy constraint: Member must ...`.
 * A member's value is quoted only when it is a non-sensitive scalar; `sensitive` members (ARNs, tokens, the
 * RTMP URL with its stream key, external ids) and lists or structures read `Value at '...'`.
 */

export type JsonObject = { [key: string]: unknown };

export interface MemberRef {
  shape: string;
  location?: string;
  locationName?: string;
  sensitive?: boolean;
  documentation?: string;
}

export interface Shape {
  type: string;
  members?: Record<string, MemberRef>;
  required?: string[];
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  sensitive?: boolean;
  union?: boolean;
  document?: boolean;
}

export interface ServiceModel {
  metadata: { serviceId: string; apiVersion: string; protocol: string };
  operations: Record<string, { name: string; http: { method: string; requestUri: string }; input?: { shape: string } }>;
  shapes: Record<string, Shape>;
}

export interface Violation {
  /** The member, as `Sources[0].MediaCapturePipelineSourceConfiguration.MediaPipelineArn`. */
  path: string;
  constraint: string;
  /** The offending value as AWS would quote it; absent for sensitive members, lists and structures. */
  shown?: string;
}

export const MODELS_DIR = path.resolve(__dirname, '../models');
export const MEETINGS_MODEL_FILE = 'chime-sdk-meetings-2021-07-15.json';
export const MEDIA_PIPELINES_MODEL_FILE = 'chime-sdk-media-pipelines-2021-07-15.json';

export function loadModel(file: string): ServiceModel {
  return JSON.parse(fs.readFileSync(path.join(MODELS_DIR, file), 'utf8')) as ServiceModel;
}

const validators = new Map<string, ModelValidator>();

/** The validator for a vendored model, loaded on first use. */
export function modelValidator(file: string): ModelValidator {
  let v = validators.get(file);
  if (!v) {
    v = new ModelValidator(loadModel(file));
    validators.set(file, v);
  }
  return v;
}

export const meetingsModel = (): ModelValidator => modelValidator(MEETINGS_MODEL_FILE);
export const mediaPipelinesModel = (): ModelValidator => modelValidator(MEDIA_PIPELINES_MODEL_FILE);

export class ModelValidator {
  private readonly patterns = new Map<string, RegExp>();

  constructor(readonly model: ServiceModel) {}

  shape(name: string): Shape {
    const shape = this.model.shapes[name];
    if (!shape) throw new Error(`${this.model.metadata.serviceId} model: no shape ${name}`);
    return shape;
  }

  inputShape(operation: string): Shape | undefined {
    const op = this.model.operations[operation];
    if (!op) throw new Error(`${this.model.metadata.serviceId} model: no operation ${operation}`);
    return op.input && this.shape(op.input.shape);
  }

  /**
   * Checks a request against its operation's input and returns its members (body, path, query string and
   * headers together, by member name); throws BadRequestException listing every violation.
   */
  validateRequest(operation: string, req: LocalRequest): JsonObject {
    const input = this.requestMembers(operation, req);
    const violations = this.violations(operation, input);
    if (violations.length > 0) throw validationError(violations);
    return input;
  }

  /** The request's input members by name, from where the operation's HTTP binding puts them. */
  requestMembers(operation: string, req: LocalRequest): JsonObject {
    const shape = this.inputShape(operation);
    if (!shape?.members) return {};
    const members = Object.entries(shape.members);
    const hasBody = members.some(([, m]) => !m.location);
    const input: JsonObject = hasBody ? { ...parseJsonBody(req) } : {};
    const labels = uriLabels(this.model.operations[operation]!.http.requestUri, req.path);
    for (const [name, m] of members) {
      const where = m.locationName ?? name;
      let raw: unknown;
      if (m.location === 'uri') raw = labels[where];
      else if (m.location === 'querystring') raw = fromText(this.shape(m.shape), req.query.getAll(where));
      else if (m.location === 'header') raw = fromText(this.shape(m.shape), req.headers[where.toLowerCase()] === undefined ? [] : [req.headers[where.toLowerCase()]!]);
      else continue;
      if (raw === undefined) delete input[name];
      else input[name] = raw;
    }
    return input;
  }

  /** Every way `input` breaks the operation's input shape, in the model's member order. */
  violations(operation: string, input: JsonObject): Violation[] {
    const op = this.model.operations[operation];
    if (!op) throw new Error(`${this.model.metadata.serviceId} model: no operation ${operation}`);
    const out: Violation[] = [];
    if (op.input) this.check(input, { shape: op.input.shape }, '', out);
    return out;
  }

  /** `ref.shape`'s pattern, or the one the member's documentation states, compiled. */
  pattern(ref: MemberRef): { source: string; regex: RegExp } | undefined {
    const source = this.shape(ref.shape).pattern ?? documentedPattern(ref.documentation);
    if (source === undefined) return undefined;
    let regex = this.patterns.get(source);
    if (!regex) {
      regex = javaPattern(source);
      this.patterns.set(source, regex);
    }
    return { source, regex };
  }

  private check(value: unknown, ref: MemberRef, at: string, out: Violation[]): void {
    const shape = this.shape(ref.shape);
    const sensitive = !!(ref.sensitive || shape.sensitive);
    const report = (constraint: string, shown = true): void => {
      out.push({ path: at, constraint, shown: shown && !sensitive ? quote(value) : undefined });
    };
    switch (shape.type) {
      case 'structure': {
        if (shape.document) return;
        if (!isObject(value)) return report('Member must be a structure', false);
        const members = shape.members ?? {};
        const required = new Set(shape.required ?? []);
        let set = 0;
        for (const [name, member] of Object.entries(members)) {
          const v = value[name];
          const child = at ? `${at}.${name}` : name;
          if (v === undefined || v === null) {
            if (required.has(name)) out.push({ path: child, constraint: 'Member must not be null', shown: 'null' });
            continue;
          }
          set += 1;
          this.check(v, member, child, out);
        }
        if (shape.union && set !== 1) report(`Member must have exactly one of [${Object.keys(members).join(', ')}] set`, false);
        return;
      }
      case 'list': {
        if (!Array.isArray(value)) return report('Member must be a list', false);
        lengthChecks(value.length, shape, (c) => report(c, false));
        value.forEach((item, i) => {
          if (item === null || item === undefined) out.push({ path: `${at}[${i}]`, constraint: 'Member must not be null', shown: 'null' });
          else this.check(item, shape.member!, `${at}[${i}]`, out);
        });
        return;
      }
      case 'map': {
        if (!isObject(value)) return report('Member must be a map', false);
        const entries = Object.entries(value);
        lengthChecks(entries.length, shape, (c) => report(c, false));
        const keyProblems = new Set<string>();
        for (const [k, v] of entries) {
          const found: Violation[] = [];
          this.check(k, shape.key!, at, found);
          for (const f of found) keyProblems.add(f.constraint);
          if (v === null || v === undefined) out.push({ path: `${at}.${k}`, constraint: 'Member must not be null', shown: 'null' });
          else this.check(v, shape.value!, `${at}.${k}`, out);
        }
        if (keyProblems.size > 0) report(`Map keys must satisfy constraint: [${[...keyProblems].join(', ')}]`, false);
        return;
      }
      case 'string': {
        if (typeof value !== 'string') return report('Member must be a string', false);
        if (shape.min !== undefined || shape.max !== undefined) lengthChecks(codePoints(value, shape.max), shape, report);
        const pattern = this.pattern(ref);
        if (pattern && !pattern.regex.test(value)) report(`Member must satisfy regular expression pattern: ${pattern.source}`);
        if (shape.enum && !shape.enum.includes(value)) report(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
        return;
      }
      case 'integer':
      case 'long':
        if (typeof value !== 'number' || !Number.isInteger(value)) return report('Member must be an integer', false);
        return rangeChecks(value, shape, report);
      case 'float':
      case 'double':
        if (typeof value !== 'number' || !Number.isFinite(value)) return report('Member must be a number', false);
        return rangeChecks(value, shape, report);
      case 'boolean':
        if (typeof value !== 'boolean') report('Member must be a boolean', false);
        return;
      case 'timestamp':
        if (typeof value !== 'number' && typeof value !== 'string') report('Member must be a timestamp', false);
        return;
      case 'blob':
        if (typeof value !== 'string') report('Member must be a base64-encoded string', false);
        return;
      default:
        throw new Error(`${this.model.metadata.serviceId} model: shape ${ref.shape} has type ${shape.type}, which the validator does not know`);
    }
  }
}

/** The BadRequestException AWS's request validation answers with. */
export function validationError(violations: Violation[]): ServiceError {
  const n = violations.length;
  const lines = violations.map((v) => `Value ${v.shown === undefined ? '' : `${v.shown} `}at '${v.path}' failed to satisfy constraint: ${v.constraint}`);
  return new ServiceError('BadRequestException', 400, `${n} validation error${n === 1 ? '' : 's'} detected: ${lines.join('; ')}`);
}

function lengthChecks(length: number, shape: Shape, report: (constraint: string) => void): void {
  if (shape.min !== undefined && length < shape.min) report(`Member must have length greater than or equal to ${shape.min}`);
  if (shape.max !== undefined && length > shape.max) report(`Member must have length less than or equal to ${shape.max}`);
}

function rangeChecks(value: number, shape: Shape, report: (constraint: string) => void): void {
  if (shape.min !== undefined && value < shape.min) report(`Member must have value greater than or equal to ${shape.min}`);
  if (shape.max !== undefined && value > shape.max) report(`Member must have value less than or equal to ${shape.max}`);
}

/** Unicode code points in `s`; counting stops once past `max` (a long string costs no more than needed). */
export function codePoints(s: string, max = Infinity): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is one code point; lone surrogates count as one each.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
    if (n > max) return n;
  }
  return n;
}

function quote(value: unknown): string | undefined {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return `'${String(value)}'`;
  return undefined;
}

function isObject(value: unknown): value is JsonObject {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** Path labels of a request, by label name, when its path fits the template (`/meetings/{MeetingId}/attendees`). */
export function uriLabels(requestUri: string, requestPath: string): Record<string, string> {
  const template = (requestUri.split('?')[0] ?? '').split('/').filter(Boolean);
  const actual = requestPath.split('/').filter(Boolean);
  const labels: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i]!;
    const label = /^\{([^}+]+)(\+?)\}$/.exec(t);
    if (!label) {
      if (actual[i] !== t) return {};
      continue;
    }
    if (label[2]) {
      // A greedy label takes the rest of the path.
      if (i < actual.length) labels[label[1]!] = actual.slice(i).join('/');
      return labels;
    }
    if (actual[i] !== undefined) labels[label[1]!] = actual[i]!;
  }
  return actual.length === template.length ? labels : {};
}

/** A query string or header member's value in its shape's JSON type (left as text where it does not parse, so its type check fails). */
function fromText(shape: Shape, values: string[]): unknown {
  if (values.length === 0) return undefined;
  if (shape.type === 'list') return values;
  const text = values[values.length - 1]!;
  if ((shape.type === 'integer' || shape.type === 'long') && /^-?\d+$/.test(text)) return Number(text);
  if ((shape.type === 'float' || shape.type === 'double') && text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  if (shape.type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

/** A pattern the member's documentation states as `Pattern: <code>...</code>`, HTML entities decoded. */
export function documentedPattern(documentation: string | undefined): string | undefined {
  const match = documentation && /Pattern:\s*<code>([\s\S]*?)<\/code>/.exec(documentation);
  return match ? decodeEntities(match[1]!) : undefined;
}

export function decodeEntities(html: string): string {
  return html.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    switch (e) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default:
        return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

// ---- Java regular expressions as JavaScript ones ----

/** Java's `\s` without UNICODE_CHARACTER_CLASS: ASCII whitespace only (JavaScript's `\s` also takes Unicode spaces). */
const JAVA_SPACE = ' \\t\\n\\x0B\\f\\r';
/** Java's `.`: anything but a line terminator (JavaScript's `.` lacks U+0085). */
const JAVA_DOT = '[^\\n\\r\\u0085\\u2028\\u2029]';
/** Characters JavaScript's Unicode mode lets a backslash escape (elsewhere it rejects `\:`, `\_`, which Java reads as literals). */
const SYNTAX = new Set('^$\\.*+?()[]{}|/');

/**
 * A model pattern as a JavaScript RegExp matching whole values with Java's semantics (AWS's services are
 * Java): code points, not UTF-16 units (the `u` flag); `\s` and `.` as Java defines them; a backslash
 * before any other punctuation is that character; a range such as `+-=` in `[a-zA-Z+-=._:/]` stays the
 * range it is in both languages (`+` to `=`, taking `,-./0-9:;<`). Java constructs JavaScript lacks
 * (possessive quantifiers, class unions and intersections, inline flags, `\p{..}`, `\Q..\E`, `\A`, `\z`...)
 * throw, so a model refresh bringing one fails the tests instead of validating differently.
 */
export function javaPattern(source: string): RegExp {
  let out = '';
  let inClass = false;
  let i = 0;
  const unsupported = (what: string): never => {
    throw new Error(`pattern ${source}: ${what} at ${i} has no JavaScript translation here`);
  };
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      const n = source[i + 1];
      if (n === undefined) unsupported('a trailing backslash');
      i += 2;
      if (n === 's') out += inClass ? JAVA_SPACE : `[${JAVA_SPACE}]`;
      else if (n === 'S') out += inClass ? unsupported('\\S in a class') : `[^${JAVA_SPACE}]`;
      else if (n === 'x' && source[i] === '{') {
        const end = source.indexOf('}', i);
        if (end < 0) unsupported('an unterminated \\x{');
        out += `\\u{${source.slice(i + 1, end)}}`;
        i = end + 1;
      } else if (n === 'x' || n === 'u') {
        const len = n === 'x' ? 2 : 4;
        const hex = source.slice(i, i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) unsupported(`\\${n}`);
        out += `\\${n}${hex}`;
        i += len;
      } else if ('dDwWtnrf'.includes(n!) || (!inClass && 'bB'.includes(n!)) || (/[1-9]/.test(n!) && !inClass)) out += `\\${n}`;
      else if (/[A-Za-z0-9]/.test(n!)) unsupported(`\\${n}`);
      else if (SYNTAX.has(n!) || (inClass && n === '-')) out += `\\${n}`;
      else out += n;
      continue;
    }
    if (inClass) {
      if (c === '[') unsupported('a nested class');
      if (c === '&' && source[i + 1] === '&') unsupported('a class intersection');
      if (c === ']') inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i++;
      if (source[i] === '^') {
        out += '^';
        i++;
      }
      if (source[i] === ']') unsupported('a class starting with ]');
      continue;
    }
    if (c === '.') {
      out += JAVA_DOT;
      i++;
      continue;
    }
    if (c === '(' && source[i + 1] === '?') {
      const group = /^\(\?(?::|=|!|<=|<!|<[A-Za-z][A-Za-z0-9]*>)/.exec(source.slice(i));
      if (!group) unsupported('an inline flag or special group');
      out += group![0];
      i += group![0].length;
      continue;
    }
    if ('*+?}'.includes(c) && source[i + 1] === '+') unsupported('a possessive quantifier');
    out += c;
    i++;
  }
  if (inClass) unsupported('an unterminated class');
  return new RegExp(`^(?:${out})$`, 'u');
}
