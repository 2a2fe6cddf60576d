import { resolveBehaviours } from '../../local/core/behaviours';
import { CASES, NOTHING_LEFT, runCase, type BehaviourSetting } from '../../local/matrix';
import { startHarness, type Harness } from '../../local/harness';

/**
 * Runs every reliability case under each given behaviour setting on one local cloud (the matrix is split
 * over several test files so Jest runs the settings in parallel). A case passes when it ends as the
 * README's table says, leaving what its row says (nothing, for all but the cases the reconciler is for) and nothing after the reconciler's next pass; a pipeline AWS keeps
 * running after DeleteMediaPipeline is allowed only where the setting says AWS does that.
 */
export function describeMatrix(settings: BehaviourSetting[]): void {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  describe.each(settings.map((s) => [s.label, s] as const))('reliability matrix, behaviours %s', (_label, setting) => {
    it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const r = await runCase(h, c, setting.settings);
      if (r.outcome !== c.expected) console.error(c.name, setting.label, JSON.stringify(r.diagnostics));
      expect({ outcome: r.outcome, orphans: r.orphans, afterReconciler: r.afterReconciler }).toEqual({ outcome: c.expected, orphans: c.left ?? NOTHING_LEFT, afterReconciler: NOTHING_LEFT });
      if (resolveBehaviours(setting.settings)['concatenation-deletion'] === 'stops') expect(r.keptRunning).toBe(0);
    });
  });
}
