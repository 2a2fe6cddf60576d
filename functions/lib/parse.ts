import * as z from 'zod/mini';
import { InvalidRequest } from './errors';

/**
 * zod/mini ships without messages. These are the English ones, worded exactly as zod's `en` locale
 * (zod/locales) words them, for the issues our schemas can raise: a wrong type, a value outside an enum or
 * literal, a length or number bound. The locale also words string formats (email, uuid, ...), sets,
 * files, unions and more that no schema here uses: 2.7 KB in every bundle, against under 1 KB for these.
 * (zod's own helpers for the wording are not imported: reaching them through `z.core.util` bundles all
 * of zod's core.)
 * Anything else falls back to zod's "Invalid input"; parse.test.ts holds these to the locale's wording,
 * and input-properties.test.ts checks that no request problem ends in that fallback.
 */
export function englishMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return `Invalid input: expected ${issue.expected}, received ${typeName(issue.input)}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `Invalid input: expected ${primitive(issue.values[0])}` : `Invalid option: expected one of ${issue.values.map(primitive).join('|')}`;
    case 'too_big':
    case 'too_small': {
      const big = issue.code === 'too_big';
      const adj = issue.exact ? 'exactly ' : `${big ? '<' : '>'}${issue.inclusive ? '=' : ''}`;
      const bound = `${adj}${(big ? issue.maximum : issue.minimum).toString()}`;
      const unit = issue.origin === 'string' ? 'characters' : issue.origin === 'array' ? 'items' : undefined;
      return `Too ${big ? 'big' : 'small'}: expected ${issue.origin ?? 'value'} to ${unit ? `have ${bound} ${unit}` : `be ${bound}`}`;
    }
    default:
      return undefined;
  }
}

/** The received type as the locale names it (zod's util.parsedType, with NaN and the infinities by value). */
function typeName(input: unknown): string {
  if (typeof input === 'number') return Number.isFinite(input) ? 'number' : String(input);
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  if (typeof input === 'object' && Object.getPrototypeOf(input) !== Object.prototype && input.constructor) return input.constructor.name;
  return typeof input;
}

function primitive(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : typeof value === 'bigint' ? `${value}n` : String(value);
}

// Set here, next to the only parse call, so every function that parses has the messages.
z.config({ localeError: englishMessage });

/** Parses `value` or throws InvalidRequest listing every bad field as `path: problem`. */
export function parseOrThrow<T>(schema: z.ZodMiniType<T>, value: unknown, root = ''): T {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  throw new InvalidRequest(result.error.issues.map((issue) => describeIssue(issue, root)));
}

function describeIssue(issue: z.core.$ZodIssue, root: string): string {
  // A record's keys are the user's (tags): quoted when they are not plain names, so the path stays readable.
  const segments = issue.path.map((p) => (typeof p === 'string' && !/^[A-Za-z_$][\w$]*$/.test(p) ? `[${JSON.stringify(p)}]` : `.${String(p)}`));
  const path = `${root}${segments.join('')}`.replace(/^\./, '') || '(input)';
  if (issue.code === 'unrecognized_keys') {
    return `${path}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (remove, or check the spelling against the README's input reference)`;
  }
  // A record key that fails its schema: the key's own problems, not zod's generic "Invalid input".
  if (issue.code === 'invalid_key') return `${path}: ${issue.issues.map((i) => i.message).join('; ')}`;
  return `${path}: ${issue.message}`;
}
