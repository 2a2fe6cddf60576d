import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { englishMessage } from '../../../functions/lib/parse';

/**
 * parse.ts words the issues our schemas raise itself rather than bundling zod's whole `en` locale; the
 * words must stay the locale's.
 */
const locale = en().localeError as (issue: z.core.$ZodRawIssue) => string;

const issues: z.core.$ZodRawIssue[] = [
  ...['string', 'number', 'boolean', 'object', 'array', 'int', 'record'].flatMap((expected) =>
    [undefined, null, 'x', 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, true, {}, [], new Date(0), () => 1, 10n].map(
      (input) => ({ code: 'invalid_type', expected, input, path: [] }) as z.core.$ZodRawIssue,
    ),
  ),
  ...[['GridView'], ['HD', 'FHD'], ['48000', '44100'], [1, 2, true, null]].map((values) => ({ code: 'invalid_value', values, input: 'x', path: [] }) as z.core.$ZodRawIssue),
  ...(['string', 'number', 'array'] as const).flatMap((origin) =>
    [{ inclusive: true }, { inclusive: false }, { exact: true }].flatMap((how) => [
      { code: 'too_big', origin, maximum: 64, ...how, input: 'x', path: [] } as z.core.$ZodRawIssue,
      { code: 'too_small', origin, minimum: 2, ...how, input: 'x', path: [] } as z.core.$ZodRawIssue,
    ]),
  ),
];

describe('validation messages', () => {
  it.each(issues.map((issue) => [`${issue.code} ${JSON.stringify(issue, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`, issue]))('%s reads as zod/locales/en has it', (_, issue) => {
    expect(englishMessage(issue as z.core.$ZodRawIssue)).toBe(locale(issue as z.core.$ZodRawIssue));
  });

  it('are the ones a failed parse reports', () => {
    const result = z.safeParse(z.object({ a: z.string(), b: z.enum(['HD', 'FHD']), c: z.string().check(z.maxLength(3)) }), { a: 1, b: 'x', c: 'long' });
    expect(result.error?.issues.map((i) => i.message)).toEqual(['Invalid input: expected string, received number', 'Invalid option: expected one of "HD"|"FHD"', 'Too big: expected string to have <=3 characters']);
  });
});
