import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { BEHAVIOURS, type BehaviourName, type Behaviours } from '../../local/core/behaviours';
import { BEHAVIOUR_AXIS, BEHAVIOURS_BEGIN, BEHAVIOURS_END, CASES, NOTHING_LEFT, RELIABILITY_BEGIN, RELIABILITY_END, behavioursTable, reliabilityTable, runCase } from '../../local/matrix';
import { startHarness, type Harness } from '../../local/harness';
import { describeMatrix } from './matrix-suite';

// The defaults and everything pessimistic here; each other variant in matrix-variants-*.test.ts.
describeMatrix(BEHAVIOUR_AXIS.filter((b) => b.label === 'defaults' || b.label === 'pessimistic'));

describe('reliability matrix, random behaviours with random faults', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const names = Object.keys(BEHAVIOURS) as BehaviourName[];
  const behaviours = fc.record(Object.fromEntries(names.map((n) => [n, fc.constantFrom(...Object.keys(BEHAVIOURS[n].variants))])) as Record<BehaviourName, fc.Arbitrary<string>>);

  it('every mix ends as its case says, leaving what its row says, and nothing after the next reconciler pass', async () => {
    await fc.assert(
      fc.asyncProperty(behaviours, fc.constantFrom(...CASES), async (settings: Behaviours, c) => {
        const r = await runCase(h, c, settings);
        if (r.outcome !== c.expected) console.error(c.name, JSON.stringify(r.diagnostics));
        expect({ outcome: r.outcome, orphans: r.orphans, afterReconciler: r.afterReconciler }).toEqual({ outcome: c.expected, orphans: c.left ?? NOTHING_LEFT, afterReconciler: NOTHING_LEFT });
      }),
      { numRuns: 24 },
    );
  }, 600_000);
});

describe('README', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  const block = (begin: string, end: string) => readme.slice(readme.indexOf(begin), readme.indexOf(end) + end.length);

  it('shows the reliability table of these cases (npm run docs)', () => {
    expect(block(RELIABILITY_BEGIN, RELIABILITY_END)).toBe(reliabilityTable());
  });

  it('shows the behaviours AWS does not document (npm run docs)', () => {
    expect(block(BEHAVIOURS_BEGIN, BEHAVIOURS_END)).toBe(behavioursTable());
  });
});
