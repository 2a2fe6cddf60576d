import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runInChild } from '../../../bench/child';

/**
 * A benchmark child's temporary files (a local cloud's S3 objects) are removed when it exits, whether it
 * reported a result or died without one (as a child killed past its budget does, with no chance to clean up).
 */
describe('runInChild', () => {
  let dir: string;
  let script: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-child-test-'));
    script = path.join(dir, 'child.ts');
    // Writes a file where os.tmpdir() points, records its path, then reports it or dies without a word.
    fs.writeFileSync(
      script,
      `import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const file = path.join(os.tmpdir(), 'left-behind.bin');
fs.writeFileSync(file, Buffer.alloc(1024));
fs.writeFileSync(process.argv[3], file);
if (process.argv[2] === 'report') process.send!(file, () => process.exit(0));
else process.kill(process.pid, 'SIGKILL');
`,
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('removes them after a result', async () => {
    const record = path.join(dir, 'reported');
    const file = await runInChild<string>(script, ['report', record]);
    expect(fs.readFileSync(record, 'utf8')).toBe(file);
    expect(path.dirname(file)).not.toBe(os.tmpdir());
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(path.dirname(file))).toBe(false);
  }, 60_000);

  it('removes them after the child was killed before reporting', async () => {
    const record = path.join(dir, 'killed');
    await expect(runInChild<string>(script, ['die', record])).rejects.toThrow(/exited with SIGKILL before reporting a result/);
    const file = fs.readFileSync(record, 'utf8');
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(path.dirname(file))).toBe(false);
  }, 60_000);
});
