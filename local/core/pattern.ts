/**
 * EventBridge event pattern matching (the subset rules use: exact values, prefix, suffix, anything-but,
 * exists, numeric, equals-ignore-case, nested objects, arrays as "any of").
 * Written here because no maintained npm package implements EventBridge patterns on their own; the
 * reference is the EventBridge "Content filtering in event patterns" documentation.
 */
export type Pattern = { [key: string]: unknown };

export function matchesPattern(event: unknown, pattern: Pattern): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const value = event && typeof event === 'object' ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(rule)) return matchesAny(value, rule);
    if (rule && typeof rule === 'object') return value !== null && typeof value === 'object' && !Array.isArray(value) && matchesPattern(value, rule as Pattern);
    throw new Error(`event pattern field "${key}" must be an array or an object`);
  });
}

function matchesAny(value: unknown, rules: unknown[]): boolean {
  const values = Array.isArray(value) ? value : [value];
  return rules.some((rule) => {
    if (rule !== null && typeof rule === 'object') return matchesOperator(value, values, rule as Record<string, unknown>);
    return value !== undefined && values.some((v) => v === rule);
  });
}

function matchesOperator(value: unknown, values: unknown[], op: Record<string, unknown>): boolean {
  if ('exists' in op) return op.exists ? value !== undefined : value === undefined;
  if (value === undefined) return false;
  if ('prefix' in op) return values.some((v) => typeof v === 'string' && v.startsWith(String(op.prefix)));
  if ('suffix' in op) return values.some((v) => typeof v === 'string' && v.endsWith(String(op.suffix)));
  if ('equals-ignore-case' in op) {
    const want = String(op['equals-ignore-case']).toLowerCase();
    return values.some((v) => typeof v === 'string' && v.toLowerCase() === want);
  }
  if ('anything-but' in op) {
    const but = op['anything-but'];
    if (but && typeof but === 'object' && !Array.isArray(but)) {
      const prefix = (but as Record<string, unknown>).prefix;
      return values.every((v) => !(typeof v === 'string' && typeof prefix === 'string' && v.startsWith(prefix)));
    }
    const excluded = Array.isArray(but) ? but : [but];
    return values.every((v) => !excluded.includes(v));
  }
  if ('numeric' in op) {
    const terms = op.numeric as unknown[];
    return values.some((v) => typeof v === 'number' && numericMatch(v, terms));
  }
  throw new Error(`unsupported event pattern operator ${JSON.stringify(op)}`);
}

function numericMatch(v: number, terms: unknown[]): boolean {
  for (let i = 0; i + 1 < terms.length; i += 2) {
    const bound = Number(terms[i + 1]);
    const ok = { '<': v < bound, '<=': v <= bound, '=': v === bound, '>': v > bound, '>=': v >= bound }[String(terms[i])];
    if (!ok) return false;
  }
  return true;
}
