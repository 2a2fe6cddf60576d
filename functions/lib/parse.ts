import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { InvalidRequest } from './errors';

// zod/mini ships without messages; English ones say what was expected ("expected boolean, received string").
// Imported by name: `z.locales.en` would make esbuild keep the whole locales namespace (~270 KB, 40+ languages).
// Set here, next to the only parse call, so every function that parses has the messages.
z.config(en());

/** Parses `value` or throws InvalidRequest listing every bad field as `path: problem`. */
export function parseOrThrow<T>(schema: z.ZodMiniType<T>, value: unknown, root = ''): T {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  throw new InvalidRequest(result.error.issues.map((issue) => describeIssue(issue, root)));
}

function describeIssue(issue: z.core.$ZodIssue, root: string): string {
  const path = [root, ...issue.path.map(String)].filter(Boolean).join('.') || '(input)';
  if (issue.code === 'unrecognized_keys') {
    return `${path}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (remove, or check the spelling against the README's input reference)`;
  }
  return `${path}: ${issue.message}`;
}
