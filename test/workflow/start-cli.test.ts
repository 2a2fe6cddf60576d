import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLOUD_HELP, START_HELP } from '../../local/cli-options';

/**
 * `npm start` as the README shows it, each run its own process: one's own input (--input), JSON clean
 * enough to pipe (`npm start -s -- --json`), --help, and the exit codes a script sees.
 */
const root = path.resolve(__dirname, '../..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-start-cli-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: root }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

function inputFile(name: string, value: unknown): string {
  const file = path.join(dataDir, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('npm start, scripted', () => {
  it('records with your own input, printing only JSON with npm start -s -- --json', async () => {
    const file = inputFile('mine.json', { meeting: { externalMeetingId: 'my-own-meeting' }, tags: { team: 'qa' } });
    const out = await run('npm', ['start', '-s', '--', '--json', '--minutes', '1', '--data-dir', dataDir, '--input', file]);
    expect(out.code).toBe(0);
    const result = JSON.parse(out.stdout) as { status: string; artifacts: unknown[] };
    expect(result.status).toBe('SUCCEEDED');
    expect(result.artifacts.length).toBeGreaterThan(0);
  });

  it('ends FAILED with InvalidRequest naming the field, exit 1, for an input the workflow refuses', async () => {
    const file = inputFile('typo.json', { meeting: {}, captur: { video: true } });
    const out = await run(process.execPath, ['--import', 'tsx', 'local/start.ts', '--json', '--data-dir', dataDir, '--input', file]);
    expect(out.code).toBe(1);
    const result = JSON.parse(out.stdout) as { status: string; error: { error: string; cause: string } };
    expect(result.status).toBe('FAILED');
    expect(result.error.error).toBe('InvalidRequest');
    expect(result.error.cause).toContain('captur');
  });

  it.each([
    [['--input', '/no/such/file.json'], /--input \/no\/such\/file\.json: cannot read it \(ENOENT\)/],
    [['--input', 'package-lock.json', '--inject', 'CreateMeting:ThrottlingException'], /Did you mean "CreateMeeting"/],
  ])('refuses %j with exit 2 and a message naming the option', async (args, message) => {
    const out = await run(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stdout).toBe('');
  });

  it('refuses an --input that is not a JSON object', async () => {
    const out = await run(process.execPath, ['--import', 'tsx', 'local/start.ts', '--input', inputFile('list.json', [1])]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('the workflow input must be a JSON object');
  });

  it('documents every flag in --help, for npm start and npm run cloud, exit 0', async () => {
    const start = await run(process.execPath, ['--import', 'tsx', 'local/start.ts', '--help']);
    expect(start.code).toBe(0);
    expect(start.stdout.trim()).toBe(START_HELP);
    for (const flag of ['--input', '--minutes', '--attendees', '--json', '--inject', '--drop-event', '--duplicate-event', '--live', '--behaviour', '--data-dir', '--help']) expect(START_HELP).toContain(flag);
    const cloud = await run(process.execPath, ['--import', 'tsx', 'local/cli.ts', '--help']);
    expect(cloud.code).toBe(0);
    expect(cloud.stdout.trim()).toBe(CLOUD_HELP);
    for (const flag of ['--port', '--data-dir', '--scale', '--lambda-threads', '--behaviour', '--help']) expect(CLOUD_HELP).toContain(flag);
  });
});
