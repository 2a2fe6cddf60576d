import fs from 'node:fs';
import path from 'node:path';

/**
 * `npm ci` (what CI runs) refuses a lockfile that lacks an entry for any optional dependency of a locked
 * package, even one for another platform. A registry mirror that lacks some platform binaries produces
 * exactly such a lockfile on `npm install`, and nothing else in the test run would notice: this does.
 */
type Entry = { version: string; optionalDependencies?: Record<string, string> };
const lock: { packages: Record<string, Entry> } = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '../../package-lock.json'), 'utf8'),
);

/** Node's resolution: the nearest node_modules folder up from the dependent package. */
function resolveIn(dependent: string, name: string): Entry | undefined {
  let base = dependent;
  for (;;) {
    const hit = lock.packages[`${base ? `${base}/` : ''}node_modules/${name}`];
    if (hit) return hit;
    if (!base) return undefined;
    const cut = base.lastIndexOf('node_modules/');
    base = cut <= 0 ? '' : base.slice(0, cut - 1);
  }
}

describe('package-lock.json', () => {
  it('locks every optional (platform) dependency, so npm ci works on any machine', () => {
    const missing: string[] = [];
    for (const [where, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        if (!resolveIn(where, name)) missing.push(`${name} (wanted by ${where})`);
      }
    }
    expect(missing).toEqual([]);
  });
});
