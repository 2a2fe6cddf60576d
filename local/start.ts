import './quiet';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { BEHAVIOURS, parseBehaviourFlags, type BehaviourName, type BehaviourSettings } from './core/behaviours';
import { FaultInjector } from './core/faults';
import type { PassSummary } from '../functions/reconciler/reconciler';
import { LocalCloud, scheduleRuleName } from './cloud';
import { START_HELP, checkEventFlags, faultsFromFlags, readInputFile } from './cli-options';
import { LiveView } from './live-view';
import { simulateMeeting } from './simulate';
import type { RecordingSummary } from '../functions/cleanup/cleanup';
import { DETAIL_TYPE } from '../functions/lib/recording-events';

/**
 * `npm start`: one full recording on the embedded local cloud, shown live. It provisions what the stack
 * would, starts an execution with the README's example input, simulates a short meeting whose attendees
 * join and leave, and prints each state as it runs. `--json` prints one result object instead.
 */
export interface StartResult {
  status: string;
  executionArn: string;
  transitions: number;
  lambdaInvocations: number;
  /** Each finished file, with its duration as VerifyRecording read it from the MP4 header. */
  artifacts: Array<{ uri: string; path: string; bytes: number; durationSeconds?: number }>;
  /** recording.json, written next to the files. */
  manifest: string | null;
  /** The "Recording State Change" events a subscriber's rule received, by eventType. */
  events: Record<string, Array<Record<string, unknown>>>;
  orphans: { meetings: number; pipelines: number };
  /** Media pipelines the workflow asked to delete that AWS kept running (behaviour concatenation-deletion). */
  keptRunningByAws: number;
  /**
   * The reconciler's next scheduled pass after the recording: what it removed (`capture-pipeline:<id>`,
   * `meeting:<id>`), what AWS refused it, and what is still running after it.
   */
  reconciler: { removed: string[]; notRemoved: Record<string, string>; orphans: { meetings: number; pipelines: number } } | { error: string };
  error: { error: string; cause: string } | null;
}

export interface StartOptions {
  minutes: number;
  attendees: number;
  json: boolean;
  inject: string[];
  dropEvents: string[];
  duplicateEvents: string[];
  dataDir?: string;
  /** Also stream the meeting (the URL is put in a local secret first, as a user would). */
  live?: boolean;
  behaviour?: BehaviourSettings;
  /** Keep the cloud up after the recording (for its console) until `until` resolves (Ctrl-C by default). */
  keep?: boolean;
  /** The workflow input (--input FILE); default EXAMPLE_INPUT. */
  input?: Record<string, unknown>;
}

export function parseStartArgs(argv: string[]): StartOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string', default: '2' },
      attendees: { type: 'string', default: '2' },
      json: { type: 'boolean', default: false },
      inject: { type: 'string', multiple: true, default: [] },
      'drop-event': { type: 'string', multiple: true, default: [] },
      'duplicate-event': { type: 'string', multiple: true, default: [] },
      'data-dir': { type: 'string' },
      live: { type: 'boolean', default: false },
      behaviour: { type: 'string', multiple: true, default: [] },
      keep: { type: 'boolean', default: false },
      input: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) throw new UsageError(START_HELP, 0);
  const minutes = Number(values.minutes);
  const attendees = Number(values.attendees);
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new UsageError(`--minutes must be a number of minutes between 0 and 1440; got "${values.minutes}"`);
  if (!(Number.isInteger(attendees) && attendees >= 1 && attendees <= 250)) throw new UsageError(`--attendees must be a whole number from 1 to 250; got "${values.attendees}"`);
  let behaviour: BehaviourSettings;
  let input: Record<string, unknown> | undefined;
  try {
    faultsFromFlags(values.inject);
    checkEventFlags('--drop-event', values['drop-event']);
    checkEventFlags('--duplicate-event', values['duplicate-event']);
    behaviour = parseBehaviourFlags(values.behaviour);
    if (values.input !== undefined) input = readInputFile(values.input);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return { minutes, attendees, json: values.json, inject: values.inject, dropEvents: values['drop-event'], duplicateEvents: values['duplicate-event'], dataDir: values['data-dir'], live: values.live, behaviour, keep: values.keep, input };
}

export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** The README's first example input: record a new meeting into the stack's default buckets. */
export const EXAMPLE_INPUT = { meeting: { externalMeetingId: 'weekly-standup', mediaRegion: 'us-east-1' } };

export async function runDemo(
  opts: StartOptions,
  print: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  /** With --keep: resolves when the cloud may shut down (default: SIGINT or SIGTERM). */
  released: () => Promise<unknown> = interrupted,
): Promise<StartResult> {
  const meetingMs = opts.minutes * 60_000;
  // Simulated time moves only when the cloud is idle (virtual), paced so the whole meeting plays in about
  // three seconds, whatever its length and however fast the machine is; with --json nobody watches, so
  // idle time is skipped outright.
  const pace = opts.json ? undefined : Math.max(1, meetingMs / 3000);
  const cloud = await LocalCloud.start({ port: 0, scale: 'virtual', dataDir: opts.dataDir, behaviour: opts.behaviour, schedules: true });
  const live = opts.json ? () => undefined : print;
  try {
    for (const spec of opts.inject) cloud.router.faults.add(FaultInjector.parse(spec));
    for (const t of opts.dropEvents) cloud.bus.addFault({ eventType: t, action: 'drop' });
    for (const t of opts.duplicateEvents) cloud.bus.addFault({ eventType: t, action: 'duplicate', times: 3 });
    const deployment = await cloud.deploy();
    live(`local cloud ${cloud.endpoint}  (time x${Math.round(pace ?? 1)}: a ${opts.minutes}-minute meeting plays in ~3 s)`);
    live(`console ${cloud.consoleUrl}${opts.keep ? '' : '  (up while the recording runs; --keep keeps it up afterwards)'}`);
    live(`deployed state machine ${deployment.stateMachineArn}`);
    const chosen = Object.entries(cloud.behaviours).filter(([name, variant]) => BEHAVIOURS[name as BehaviourName].default !== variant);
    if (chosen.length > 0) live(`AWS behaving as: ${chosen.map(([name, variant]) => `${name}=${variant}`).join(', ')}`);

    const sfn = new SFNClient(cloud.clientConfig());
    const name = `recording-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const input: Record<string, unknown> = { ...(opts.input ?? EXAMPLE_INPUT) };
    if (opts.live) {
      input.liveStream = { secretArn: await demoStreamSecret(cloud, name) };
      live(`stream URL stored in secret ${String((input.liveStream as { secretArn: string }).secretArn)} (it never enters the execution)`);
    }
    // A subscriber's rule on the recording events, as the README shows one.
    const events: StartResult['events'] = {};
    cloud.bus.addRule({
      name: 'npm-start-subscriber',
      pattern: { source: [deployment.eventSource], 'detail-type': [DETAIL_TYPE] },
      target: async (e) => {
        const type = String(e.detail.eventType);
        (events[type] ??= []).push(e.detail);
        live(`  ⇢ event ${DETAIL_TYPE}: ${type}`);
      },
    });
    const view = new LiveView(cloud, live);
    live(`starting ${name} with input ${JSON.stringify(input)}\n`);
    const execution = await cloud.fastForward(
      (async () => {
        const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: deployment.stateMachineArn, name, input: JSON.stringify(input) }));
        const e = cloud.stepFunctions.execution(started.executionArn ?? '');
        // People stay for the meeting's length once the recording has started (however long that takes).
        const meeting = simulateMeeting(cloud, e, { lengthMs: meetingMs, attendees: opts.attendees, lengthFrom: 'capture', onEvent: (l) => live(`  · ${l}`) });
        await e.done;
        await meeting;
        await cloud.bus.drain();
        return e;
      })(),
      { pace },
    );
    sfn.destroy();

    const summary = execution.output ? (JSON.parse(execution.output) as Partial<RecordingSummary>) : {};
    const artifacts = (summary.artifacts ?? []).map((uri) => {
      const [, bucket = '', key = ''] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) ?? [];
      const file = cloud.s3.filePath(bucket, key);
      const durationSeconds = summary.files?.find((f) => f.uri === uri)?.durationSeconds;
      return { uri, path: path.relative(process.cwd(), file), bytes: fs.existsSync(file) ? fs.statSync(file).size : 0, ...(durationSeconds === undefined ? {} : { durationSeconds }) };
    });
    // The recording's own invocations (the reconciler's scheduled passes are not the recording's).
    const lambdaInvocations = cloud.lambda.count() - cloud.lambda.count('reconciler');
    const orphans = cloud.orphans();
    const keptRunningByAws = cloud.keptRunning();
    // Then the reconciler's next pass on its schedule (simulated time skips to it).
    const run = await cloud.fastForward(
      (async () => {
        const next = await cloud.schedules.next(scheduleRuleName('reconciler'));
        await cloud.bus.drain();
        return next;
      })(),
    );
    const pass = run.result as PassSummary | undefined;
    const result: StartResult = {
      status: execution.status,
      executionArn: execution.executionArn,
      transitions: execution.transitions,
      lambdaInvocations,
      artifacts,
      manifest: summary.manifest ?? null,
      events,
      orphans,
      keptRunningByAws,
      reconciler:
        run.ok && pass
          ? { removed: pass.removed, notRemoved: Object.assign({}, ...pass.findings.map((f) => f.notRemoved)) as Record<string, string>, orphans: cloud.orphans() }
          : { error: run.errorType ?? 'no result' },
      error: execution.error ? { error: execution.error, cause: execution.cause ?? '' } : null,
    };
    view.finish(result, execution);
    if (opts.keep) {
      print(`\nthe local cloud stays up: console ${cloud.consoleUrl}, endpoint ${cloud.endpoint}; Ctrl-C to stop`);
      await released();
    }
    return result;
  } finally {
    await cloud.close();
  }
}

/** What a user does before streaming: put the RTMPS URL (with its stream key) in a secret under the stack's prefix. */
async function demoStreamSecret(cloud: LocalCloud, name: string): Promise<string> {
  const secrets = new SecretsManagerClient(cloud.clientConfig());
  try {
    const out = await secrets.send(new CreateSecretCommand({ Name: `chime-recording/${name}`, SecretString: `rtmps://live.example.com/app/sk_${randomBytes(12).toString('hex')}` }));
    return out.ARN ?? '';
  } finally {
    secrets.destroy();
  }
}

function interrupted(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

if (require.main === module) {
  let opts: StartOptions;
  try {
    opts = parseStartArgs(process.argv.slice(2));
  } catch (err) {
    const code = err instanceof UsageError ? err.exitCode : 2;
    (code === 0 ? process.stdout : process.stderr).write(`${(err as Error).message}\n`);
    process.exit(code);
  }
  runDemo(opts).then(
    (result) => {
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(result.status === 'SUCCEEDED' ? 0 : 1);
    },
    (err: unknown) => {
      process.stderr.write(`npm start failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}

