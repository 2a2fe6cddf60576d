import { execFile, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { waitFor } from '../fixtures/async';
import { callApi } from '../fixtures/sigv4';

/**
 * `npm run cloud` as a person runs it, in its own processes: what its terminal shows while recordings
 * run (a line per execution start and end, per injected fault), and that it stops on SIGINT, and when
 * a backgrounded `npm run cloud` is killed (`kill $!` ends npm, not the server npm started).
 */
const root = path.resolve(__dirname, '../..');

/**
 * The AWS CLIs on this machine, one per major version: `aws` on the PATH (v1 here, from pip) and Debian's
 * `/usr/bin/aws` (v2, the awscli package `.ci/run` installs) when it is another. The README's recipe must
 * work with either, as users have both.
 */
function awsClis(): Array<{ major: string; bin: string }> {
  const found = new Map<string, string>();
  for (const bin of ['aws', '/usr/bin/aws', '/usr/local/bin/aws']) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    const major = /aws-cli\/(\d+)\./.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1];
    if (r.status === 0 && major && !found.has(major)) found.set(major, bin === 'aws' ? (spawnSync('bash', ['-c', 'command -v aws'], { encoding: 'utf8' }).stdout.trim() || bin) : bin);
  }
  return [...found].sort().map(([major, bin]) => ({ major, bin }));
}
const clis = awsClis();

/** The README's sh blocks after the cli-recipe marker, with the port the test's cloud listens on. */
function readmeRecipe(endpoint: string): { start: string; stop: string; status: string } {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const after = readme.slice(readme.indexOf('<!-- cli-recipe'));
  const [start = '', end = ''] = [...after.matchAll(/```sh\n([\s\S]*?)```/g)].slice(0, 2).map((m) => m[1]!.replaceAll('http://127.0.0.1:4566', endpoint));
  const exports = start.split('\n')[0]!;
  const [stop = '', ...status] = end.trim().split('\n');
  return { start, stop: `${exports}\n${stop}`, status: `${exports}\n${status.join('\n')}` };
}

/**
 * Runs a shell script as a person would, in an environment with no AWS settings of ours; with `aws`, that
 * CLI is the one the script's `aws` finds first.
 */
function sh(script: string, aws?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  if (aws) {
    const bin = fs.mkdtempSync(path.join(dataDir, 'bin-'));
    fs.symlinkSync(aws, path.join(bin, 'aws'));
    env.PATH = `${bin}${path.delimiter}${env.PATH ?? ''}`;
  }
  return new Promise((resolve) => execFile('bash', ['-c', `set -e\n${script}`], { cwd: root, env }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })));
}
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-run-cloud-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

interface Server {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  endpoint: string;
}

async function serve(command: string, args: string[], dir: string): Promise<Server> {
  const child = spawn(command, args, { cwd: root });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(`npm run cloud (${dir}) to print ready`, () => /ready (http:\/\/\S+)/.test(out), 90_000);
  return { child, out: () => out, endpoint: /ready (http:\/\/\S+)/.exec(out)![1]! };
}

/** Kills the server (if still running) and waits until it is gone, so no process outlives the test. */
async function kill(server: Server): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.on('exit', resolve));
  server.child.kill('SIGKILL');
  await exited;
}

function listening(endpoint: string): Promise<boolean> {
  const { port } = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('npm run cloud', () => {
  it('logs each execution start and end and each injected fault; SIGINT stops it, exit 0', async () => {
    const dir = path.join(dataDir, 'log');
    const server = await serve(process.execPath, ['--import', 'tsx', 'local/cli.ts', '--port', '0', '--data-dir', dir, '--scale', '60', '--inject', 'StartExecution:ThrottlingException'], dir);
    try {
      const sfn = new SFNClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' }, maxAttempts: 1 });
      const stateMachineArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:chime-recording-local-recording';
      // The injected fault answers the first call; the second starts an execution whose input ValidateRequest refuses.
      await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'from-the-log-test', input: '{}' }))).rejects.toMatchObject({ name: 'ThrottlingException' });
      await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'from-the-log-test', input: '{}' }));
      sfn.destroy();
      await waitFor('the end of the execution in the log', () => /execution from-the-log-test FAILED/.test(server.out()), 60_000);
      const lines = server.out().split('\n');
      expect(lines.filter((l) => / fault injected: StartExecution answered ThrottlingException \(1 of 1\)$/.test(l))).toHaveLength(1);
      expect(lines.filter((l) => /^\d{4}-\d\d-\d\dT\S+Z execution from-the-log-test started \(arn:aws:states:us-east-1:123456789012:execution:chime-recording-local-recording:from-the-log-test\)$/.test(l))).toHaveLength(1);
      expect(lines.filter((l) => / execution from-the-log-test FAILED InvalidRequest after /.test(l))).toHaveLength(1);
      const exited = new Promise<number | null>((resolve) => server.child.on('exit', resolve));
      server.child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(server.out()).toContain('SIGINT: shutting down');
      expect(await listening(server.endpoint)).toBe(false);
    } finally {
      await kill(server);
    }
  });

  it('stops when a backgrounded npm run cloud is killed (kill $!)', async () => {
    const dir = path.join(dataDir, 'background');
    // As a person types it: npm in the background of a shell, then kill $! (npm's pid).
    const shell = await serve('sh', ['-c', `npm run -s cloud -- --port 0 --data-dir '${dir}' & echo "npm pid $!"; wait`], dir);
    try {
      const npmPid = Number(/npm pid (\d+)/.exec(shell.out())![1]);
      process.kill(npmPid, 'SIGTERM');
      await waitFor('the server to stop listening', async () => !(await listening(shell.endpoint)), 30_000);
      expect(shell.out()).toMatch(/shutting down/);
    } finally {
      await kill(shell);
    }
  });

  it('restarted, tells one story: the same Idempotency-Key starts afresh, and GET does not mix in the old recording', async () => {
    const dir = path.join(dataDir, 'restart');
    const args = ['--import', 'tsx', 'local/cli.ts', '--port', '0', '--data-dir', dir, '--scale', '600'];
    const body = JSON.stringify({ meeting: { externalMeetingId: 'standup' } });
    const headers = { 'Idempotency-Key': 'standup-1' };
    let server = await serve(process.execPath, args, dir);
    let old: Record<string, unknown>;
    try {
      expect(server.out()).toContain('state: executions and the recordings table start empty and last until this process ends');
      const started = await callApi(`${server.endpoint}/local`, 'POST', '/recordings', { body, headers });
      expect(started.status).toBe(202);
      // Nobody joins; at x600 the workflow's hourly re-check comes within seconds, and the recording finishes.
      await waitFor('the first recording to finish', async () => (await callApi(`${server.endpoint}/local`, 'GET', `/recordings/${String(started.body.id)}`)).body.status !== 'RUNNING', 60_000);
      old = (await callApi(`${server.endpoint}/local`, 'GET', `/recordings/${String(started.body.id)}`)).body;
      expect(old.phase).toMatch(/SUCCEEDED|FAILED/);
      const exited = new Promise((resolve) => server.child.on('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
    } finally {
      await kill(server);
    }
    server = await serve(process.execPath, args, dir);
    try {
      const again = await callApi(`${server.endpoint}/local`, 'POST', '/recordings', { body, headers });
      expect(again).toMatchObject({ status: 202, body: { id: old.id, status: 'RUNNING' } });
      const now = await callApi(`${server.endpoint}/local`, 'GET', `/recordings/${String(old.id)}`);
      expect(now.body.status).toBe('RUNNING');
      // The new execution's own item, or none yet: never the finished recording's phase, meeting or files.
      expect([undefined, 'RECORDING']).toContain(now.body.phase);
      expect(now.body.meetingId).not.toBe(old.meetingId);
      expect(now.body.artifacts).toEqual([]);
    } finally {
      await kill(server);
    }
  });

  (clis.length > 0 ? it.each(clis) : it.skip.each([{ major: 'none', bin: '' }]))("runs the README's AWS CLI recipe as written with CLI v$major ($bin): a meeting, a recording, its stop, SUCCEEDED", async ({ major, bin }) => {
    // The version the recipe's `aws` runs is the one meant.
    expect((await sh('aws --version 2>&1', bin)).stdout).toMatch(new RegExp(`aws-cli/${major}\\.`));
    const dir = path.join(dataDir, `recipe-v${major}`);
    const server = await serve(process.execPath, ['--import', 'tsx', 'local/cli.ts', '--port', '0', '--data-dir', dir], dir);
    try {
      const recipe = readmeRecipe(server.endpoint);
      const started = await sh(recipe.start, bin);
      expect(started.stderr).toBe('');
      expect(started.code).toBe(0);
      expect(started.stdout).toContain('"executionArn": "arn:aws:states:us-east-1:123456789012:execution:chime-recording-local-recording:cli-demo-1"');
      // As a person would, stop once there is something to keep: the first 5-second chunk written (a
      // recording stopped before any chunk exists has nothing to concatenate, and fails as on AWS).
      const chunks = path.join(dir, 's3', 'chime-recording-local-capture', 'captures', 'cli-demo-1', 'audio');
      await waitFor('the first chunk', async () => fs.existsSync(chunks) && fs.readdirSync(chunks).length > 0, 60_000);
      // 409 until the capture has started, as the README says; then 202.
      let stop = { code: 1, stdout: '', stderr: '' };
      await waitFor('the stop to be accepted', async () => (stop = await sh(recipe.stop, bin)).stdout.includes('STOPPING'), 60_000);
      await waitFor('the recording to succeed', async () => (await sh(recipe.status, bin)).stdout.trim() === '"SUCCEEDED"', 90_000);
      expect(server.out()).toMatch(/execution cli-demo-1 SUCCEEDED after/);
    } finally {
      await kill(server);
    }
  }, 240_000);

  it('refuses a misspelt fault with exit 2, naming the closest names', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/cli.ts', '--port', '0', '--data-dir', path.join(dataDir, 'typo'), '--drop-event', 'chime:MeetingEnd'], { cwd: root });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/--drop-event chime:MeetingEnd: .*Did you mean "chime:MeetingEnded"/);
  });
});
