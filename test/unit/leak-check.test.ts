import { execFile } from 'node:child_process';
import path from 'node:path';

/**
 * The guard that keeps `npm test` from hanging after its last test (test/environment.js), broken on
 * purpose: each fixture file leaves one thing open, and the run must fail naming it. The fixture run is
 * given --forceExit only so that this test does not wait for what the fixtures leak.
 */
const root = path.resolve(__dirname, '../..');

function runFixtures(): Promise<string> {
  const jest = path.join(root, 'node_modules/jest/bin/jest.js');
  return new Promise((resolve) => {
    execFile(process.execPath, [jest, '--forceExit', '-c', 'test/fixtures/leaky/jest.config.js'], { cwd: root, env: { ...process.env, LEAK_CHECK_GRACE_MS: '300' } }, (_err, stdout, stderr) =>
      resolve(`${stdout}\n${stderr}`),
    );
  });
}

describe('the leak check', () => {
  let out: string;
  beforeAll(async () => {
    out = await runFixtures();
  }, 120_000);

  it.each([
    ['cloud.leak.ts', /a LocalCloud on port \d+ \(opened at .*cloud\.leak\.ts:\d+/],
    ['timer.leak.ts', /a 60000 ms timer set at .*timer\.leak\.ts:\d+/],
    ['worker.leak.ts', /a worker thread \(threadId \d+\)/],
    ['child.leak.ts', /1 ProcessWrap/],
  ])('fails %s, naming what it left open', (file, named) => {
    const report = out.slice(out.indexOf(`FAIL test/fixtures/leaky/${file}`));
    expect(out).toContain(`FAIL test/fixtures/leaky/${file}`);
    expect(report.slice(0, 600)).toMatch(named);
  });

  it('passes a file that opens the same things and closes each', () => {
    expect(out).toContain('PASS test/fixtures/leaky/closed.leak.ts');
  });
});
