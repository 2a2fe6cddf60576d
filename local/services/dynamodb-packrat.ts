import fs from 'node:fs';

/**
 * dynalite parses every ConditionExpression, UpdateExpression and ProjectionExpression with a PEG parser
 * generated without pegjs's result cache, so it backtracks through nested parentheses: the recordings
 * table's presence condition, written for DynamoDB as `A AND (B OR C OR (D AND E))`, took 1.8 ms a parse
 * against 0.2 ms for an equivalent flat form. This gives the generated parsers the packrat memoization
 * pegjs itself emits with `--cache` (each rule's result and end position, per input position, for one
 * parse, and per whether failures are being reported): same grammar, same results and syntax errors,
 * linear time. The rules' actions only record what they saw (names
 * and values used, the first error of each kind), so running each once per position changes nothing.
 *
 * The parser modules are dynalite's own, recompiled from their source into the module objects dynalite
 * already holds (it calls `parser.parse` on them at each request); dynalite's files are not modified.
 */
export function memoizeDynaliteParsers(): void {
  for (const name of ['conditionParser', 'updateParser', 'projectionParser']) {
    const file = require.resolve(`dynalite/db/${name}`);
    const loaded = require(file) as { parse: unknown; memoized?: boolean };
    if (loaded.memoized) continue;
    const compiled = { exports: {} as { parse?: unknown } };
    new Function('module', 'exports', 'require', withResultCache(fs.readFileSync(file, 'utf8'), file))(compiled, compiled.exports, require);
    loaded.parse = compiled.exports.parse;
    loaded.memoized = true;
  }
}

function withResultCache(source: string, file: string): string {
  const rules = [...source.matchAll(/^ {2}function (peg\$parse\w+)\(\) \{$/gm)].map((m) => m[1]!);
  const start = 'peg$result = peg$startRuleFunction();';
  if (rules.length === 0 || !source.includes(start)) throw new Error(`${file} is not the pegjs parser this was written for`);
  let out = source;
  for (const rule of rules) out = out.replace(`  function ${rule}() {`, `  function ${rule}$uncached() {`);
  const wrappers = rules
    .map(
      (rule, i) =>
        // Keyed by whether failures are being reported too: a rule first tried where they were silenced
        // must report its expectations when tried again where they are not (the syntax error's wording).
        `  function ${rule}() { var key = (peg$currPos * ${rules.length} + ${i}) * 2 + (peg$silentFails > 0 ? 1 : 0), hit = peg$resultsCache[key]; if (hit) { peg$currPos = hit.nextPos; return hit.result; } var result = ${rule}$uncached(); peg$resultsCache[key] = { nextPos: peg$currPos, result: result }; return result; }`,
    )
    .join('\n');
  return out.replace(start, `var peg$resultsCache = {};\n${wrappers}\n  ${start}`);
}
