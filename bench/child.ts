import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../local/cloud';

/**
 * Every local-cloud measurement runs in a fresh Node process: the handlers read their configuration from
 * process.env (one cloud per process), and peak memory (maxRSS) must not mix between runs.
 */
export function runInChild<T>(file: string, args: string[] = [], timeoutMs?: number): Promise<T> {
  // The child's temporary files (a local cloud keeps its S3 objects there: hundreds of MB for 1,000
  // recordings) go in a folder of its own, removed when it exits however it exits: a child killed past its
  // budget cannot clean up after itself.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-child-'));
  return new Promise<T>((resolve, reject) => {
    // The child's stdout goes to our stderr: `npm run bench -- --json` keeps stdout for the result alone.
    const child = fork(file, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, TMPDIR: tmp },
      execArgv: ['--disable-warning=ExperimentalWarning', '--import', 'tsx'],
      stdio: ['ignore', 2, 'inherit', 'ipc'],
    });
    let result: { value: T } | undefined;
    // A run past its budget is a result too (the target failed), not a hang of the whole benchmark.
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('message', (value) => {
      result = { value: value as T };
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result) resolve(result.value);
      else if (signal === 'SIGKILL' && timeoutMs !== undefined) reject(new Error(`did not finish within ${Math.round(timeoutMs / 1000)} s`));
      else reject(new Error(`${path.basename(file)} ${args.join(' ')} exited with ${signal ?? code} before reporting a result`));
    });
  }).finally(() => fs.rmSync(tmp, { recursive: true, force: true }));
}

/**
 * The child's side: sends what `work` resolves to, then exits (a closed cloud may leave idle handles).
 * Run by hand (no parent), it prints the result instead.
 */
export function reportToParent(work: () => Promise<unknown>): void {
  work().then(
    (value) => (process.send ? process.send(value, () => process.exit(0)) : process.stdout.write(`${JSON.stringify(value)}\n`, () => process.exit(0))),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
