import { memoizeDynaliteParsers } from '../../../local/services/dynamodb-packrat';

/**
 * dynalite's expression parsers with packrat memoization (local/services/dynamodb-packrat.ts) parse and
 * reject exactly as the generated originals do, nested parentheses included.
 */
type Parser = { parse: (text: string, options: { context: Record<string, unknown> }) => unknown };
const names = { '#a': 'a1', '#at': 'at', '#present': 'present', '#status': 'status', '#n': 'name' };
const values = { ':at': { N: '5' }, ':present': { BOOL: true }, ':a': { S: 'RECORDING' }, ':b': { S: 'CONCATENATING' }, ':p': { M: {} }, ':one': { N: '1' }, ':s': { S: 'x' } };
const context = () => ({ attrNames: { ...names }, attrVals: { ...values }, unusedAttrNames: { ...names }, unusedAttrVals: { ...values }, isReserved: (n: string) => n.toUpperCase() === 'NAME', compare: () => false });

function outcome(parser: Parser, text: string): { result?: unknown; error?: string; unused: unknown } {
  const ctx = context();
  try {
    return { result: parser.parse(text, { context: ctx }), unused: [ctx.unusedAttrNames, ctx.unusedAttrVals] };
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}`, unused: [ctx.unusedAttrNames, ctx.unusedAttrVals] };
  }
}

const cases: Record<string, string[]> = {
  conditionParser: [
    '#status IN (:a, :b) AND (attribute_not_exists(presence.#a) OR presence.#a.#at < :at OR (presence.#a.#at = :at AND presence.#a.#present = :present))',
    'attribute_not_exists(meetingId) OR NOT (#status IN (:a, :b))',
    '((#status = :a))',
    '#status = :a AND (',
    'name = :s',
    'begins_with(#n, :one)',
    'size(#n) > :one OR contains(#n, :s) AND NOT attribute_exists(#a.#at[3])',
    'unknown_fn(#n)',
  ],
  updateParser: ['SET presence.#a = :p, #at = :at ADD #n :one REMOVE #present', 'SET #a = if_not_exists(#a, :s), #at = list_append(#at, :p)', 'SET #a = :s SET #at = :at', 'DELETE'],
  projectionParser: ['#a, #at.#present[0], #n', '#a,, #b'],
};

describe("dynalite's expression parsers, memoized", () => {
  const originals = Object.fromEntries(Object.keys(cases).map((name) => [name, { ...(require(`dynalite/db/${name}`) as Parser) }]));
  memoizeDynaliteParsers();

  it.each(Object.entries(cases).flatMap(([parser, texts]) => texts.map((text) => [parser, text])))('%s: %s', (parser, text) => {
    const memoized = require(`dynalite/db/${parser}`) as Parser;
    expect(memoized.parse).not.toBe(originals[parser]!.parse);
    expect(outcome(memoized, text)).toEqual(outcome(originals[parser]!, text));
  });
});
