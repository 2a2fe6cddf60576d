import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseStartArgs, UsageError, type StartResult } from '../../local/start';

/**
 * `npm start` as a user runs it, in its own process (the handlers' SDK clients, like Lambda's, live for
 * the process, so one process serves one local cloud): its --json result, including the fault
 * injections the reliability issue names and the live stream option.
 */
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-start-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const root = path.resolve(__dirname, '../..');

async function run(args: string[]): Promise<StartResult> {
  const out = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'local/start.ts', '--json', '--minutes', '1', '--data-dir', dataDir, ...args], { cwd: root }).catch(
    // Exit code 1 (not SUCCEEDED) still prints the result.
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
  );
  const lines = out.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '{}') as StartResult;
}

describe('npm start', () => {
  it('records and streams with --live, under 19 transitions, leaving nothing running', async () => {
    const result = await run(['--live']);
    expect(result).toMatchObject({ status: 'SUCCEEDED', orphans: { meetings: 0, pipelines: 0 }, error: null });
    expect(result.transitions).toBeLessThanOrEqual(19);
    expect(result.artifacts.length).toBeGreaterThan(0);
    for (const a of result.artifacts) expect(fs.statSync(path.resolve(root, a.path)).size).toBe(a.bytes);
    // The reconciler's next pass found nothing: Cleanup had removed it all.
    expect(result.reconciler).toEqual({ removed: [], notRemoved: {}, orphans: { meetings: 0, pipelines: 0 } });
  });

  it('reports the recording events, the manifest and each file\'s measured duration: a 2-minute meeting is 120 s of composited video', async () => {
    const result = await run(['--minutes', '2', '--data-dir', path.join(dataDir, 'two-minutes')]);
    expect(result).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(Object.keys(result.events)).toEqual(['RecordingStarted', 'RecordingSucceeded']);
    expect(result.events.RecordingSucceeded).toHaveLength(1);
    expect(result.events.RecordingSucceeded![0]).toMatchObject({ executionArn: result.executionArn, manifest: result.manifest });
    expect(result.manifest).toMatch(/^s3:\/\/.+\/recording\.json$/);
    const composited = result.artifacts.filter((a) => a.uri.includes('/composited-video/'));
    expect(composited).toHaveLength(1);
    // The meeting lasts two minutes from the capture's start; one 5-second chunk of slack.
    expect(Math.abs(composited[0]!.durationSeconds! - 120)).toBeLessThanOrEqual(5);
  });

  it('survives a capture pipeline 5xx twice, and fails cleanly on a refusal', async () => {
    expect(await run(['--inject', 'CreateMediaCapturePipeline:ServiceFailureException:2'])).toMatchObject({ status: 'SUCCEEDED', orphans: { meetings: 0, pipelines: 0 } });
    // Refused for good: within ten minutes of the role's creation a 403 may be IAM propagating it, and is
    // retried until that window has passed (functions/lib/role-propagation.ts).
    const refused = await run(['--inject', 'CreateMediaCapturePipeline:ForbiddenException:forever']);
    expect(refused).toMatchObject({ status: 'FAILED', orphans: { meetings: 0, pipelines: 0 } });
    expect(refused.error?.error).toBe('AccessDenied');
  });

  it('records with every undocumented behaviour at its least helpful (--behaviour pessimistic): artifacts, nothing left', async () => {
    const result = await run(['--behaviour', 'pessimistic', '--data-dir', path.join(dataDir, 'pessimistic')]);
    expect(result).toMatchObject({ status: 'SUCCEEDED', orphans: { meetings: 0, pipelines: 0 }, error: null });
    expect(result.artifacts.length).toBeGreaterThan(0);
  });

  it('refuses bad options with a message naming the option', () => {
    expect(() => parseStartArgs(['--behaviour', 'concatenaton-deletion=stops'])).toThrow(/--behaviour concatenaton-deletion=stops: no behaviour .* \(did you mean "concatenation-deletion"\?\)/);
    expect(() => parseStartArgs(['--behaviour', 'concatenation-deletion=stop'])).toThrow(/one of conflict, accepted-keeps-running, stops \(did you mean "stops"\?\)/);
    expect(() => parseStartArgs(['--behaviour', 'pessimistic', '--behaviour', 'event-delivery=prompt'])).toThrow(UsageError);
    expect(parseStartArgs(['--behaviour', 'event-delivery=late-and-out-of-order']).behaviour).toEqual({ 'event-delivery': 'late-and-out-of-order' });
    expect(() => parseStartArgs(['--minutes', '0'])).toThrow(/--minutes/);
    expect(() => parseStartArgs(['--inject', 'nonsense'])).toThrow();
    expect(() => parseStartArgs(['--attendees', '1.5'])).toThrow(UsageError);
  });
});
