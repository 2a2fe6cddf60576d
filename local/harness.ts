import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { RecordingSummary } from '../functions/cleanup/cleanup';
import type { BusEvent } from './core/bus';
import type { ChimeCall } from './core/quotas';
import type { LocalRequest } from './core/service';
import type { PassSummary } from '../functions/reconciler/reconciler';
import { LocalCloud, scheduleRuleName, type Deployment, type LocalCloudOptions } from './cloud';
import type { Execution } from './sfn/runner';
import { meetingIdOf, simulateMeeting, type MeetingScript } from './simulate';

/**
 * A deployed local cloud for tests and benchmarks, on virtual time: simulated time moves only while
 * something awaits `run()` (or the cloud's fastForward), and then only when nothing is at work, so what a
 * test sees never depends on how fast the machine is. One cloud per process at a time (the handlers read
 * their configuration from process.env).
 */
export interface Harness {
  cloud: LocalCloud;
  deployment: Deployment;
  sfn: SFNClient;
  /** Runs `work` while simulated time moves forward (see LocalCloud.fastForward). */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Where the cloud keeps its files (S3 objects, IAM); removed by close(). */
  dataDir: string;
  close(): Promise<void>;
}

export async function startHarness(options: LocalCloudOptions = {}): Promise<Harness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chime-rec-'));
  const cloud = await LocalCloud.start({ port: 0, scale: 'virtual', dataDir, ...options });
  const deployment = await cloud.deploy();
  const sfn = new SFNClient(cloud.clientConfig());
  return {
    cloud,
    deployment,
    sfn,
    run: (work) => cloud.fastForward(work()),
    dataDir,
    async close() {
      sfn.destroy();
      // The cloud's files go even when closing reports a problem (a request from an unconfigured client).
      try {
        await cloud.close();
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

let counter = 0;

/** Starts an execution through the Step Functions API and returns the local execution record. */
export async function start(h: Harness, input: unknown, name = `rec-${process.pid}-${++counter}`): Promise<Execution> {
  const out = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: h.deployment.stateMachineArn, name, input: JSON.stringify(input) }));
  return h.cloud.stepFunctions.execution(out.executionArn ?? '');
}

/** Runs a recording of a new meeting with attendees who join and leave; resolves when the execution ends. */
export function record(h: Harness, input: unknown = { meeting: {} }, script: Partial<MeetingScript> = {}): Promise<Execution> {
  return h.run(async () => {
    const execution = await start(h, input);
    const meeting = simulateMeeting(h.cloud, execution, { lengthMs: 60_000, attendees: 2, ...script });
    await execution.done;
    await meeting;
    await h.cloud.bus.drain();
    return execution;
  });
}

/** The states a successful recording without a live stream passes through, in order. */
export const RECORDING_STATES = [
  'ValidateRequest', 'EnsureServiceLinkedRole', 'VerifyBuckets', 'CreateMeeting', 'StartCapture', 'AnnounceRecordingStarted', 'LiveStreamRequested', 'AwaitMeetingEnd',
  'StartConcatenation', 'AwaitConcatenation', 'VerifyRecording', 'Cleanup', 'AnnounceRecordingOutcome', 'RecordingOutcome', 'RecordingSucceeded',
];

/**
 * The Chime calls a recording of a new meeting must have answered before its capture is created (each
 * attempt that is refused comes on top), and between its meeting's end and its concatenation's creation.
 * The burst benchmark and the scale test derive the quota's limit from these (local/core/quotas.ts).
 */
export const CHIME_CALLS_BEFORE_CAPTURE: ChimeCall[] = [
  { service: 'meetings', operation: 'CreateMeeting' },
  { service: 'media-pipelines', operation: 'CreateMediaCapturePipeline' },
];
export const CHIME_CALLS_BEFORE_CONCATENATION: ChimeCall[] = [
  { service: 'meetings', operation: 'DeleteMeeting' },
  { service: 'media-pipelines', operation: 'CreateMediaConcatenationPipeline' },
];

export function statesEntered(e: Execution): string[] {
  return e.history.filter((h) => h.type.endsWith('StateEntered')).map((h) => (h.stateEnteredEventDetails as { name: string }).name);
}

export function output<T = Record<string, unknown>>(e: Execution): T {
  return JSON.parse(e.output ?? 'null') as T;
}

/** What Cleanup answered (the execution's output when it succeeded; a failed one keeps it in its history). */
export function cleanupSummary(e: Execution): RecordingSummary {
  const exited = e.history.findLast((ev) => ev.type.endsWith('StateExited') && (ev.stateExitedEventDetails as { name: string }).name === 'Cleanup');
  if (!exited) throw new Error(`execution ${e.name} never finished Cleanup`);
  return (JSON.parse((exited.stateExitedEventDetails as { output: string }).output) as { cleanup: RecordingSummary }).cleanup;
}

/**
 * Waits (on simulated time: run it within run()) for the reconciler's next scheduled pass and answers
 * what it did. Needs a harness started with `schedules: true`.
 */
export async function nextReconcilerPass(h: Harness): Promise<PassSummary> {
  if (h.cloud.options.schedules !== true) throw new Error('nextReconcilerPass: start the harness with { schedules: true } so the reconciler runs on its schedule');
  const run = await h.cloud.schedules.next(scheduleRuleName('reconciler'));
  if (!run.ok) throw new Error(`the reconciler's pass failed (${run.errorType}, ${run.attempts} attempts)`);
  return run.result as PassSummary;
}

/**
 * One reconciler pass now, invoked with the event its schedule rule sends (for a harness whose schedules
 * are off, so that a test decides when "the next pass" is).
 */
export async function reconcilerPassNow(h: Harness): Promise<PassSummary> {
  return (await h.cloud.lambda.invoke('reconciler', h.cloud.schedules.event(scheduleRuleName('reconciler')))) as PassSummary;
}

/** Resolves once the execution has entered the named state (rejects if it ends first). */
export async function waitForState(h: Harness, e: Execution, state: string): Promise<void> {
  const entered = await h.cloud.stepFunctions.runner.whenHistory(e, (ev) => ev.type.endsWith('StateEntered') && (ev.stateEnteredEventDetails as { name: string }).name === state);
  if (!entered) throw new Error(`execution ended ${e.status} before entering ${state}`);
}

/** Resolves with the first event on the bus that `match` accepts (published from now on). */
export function busEvent(cloud: LocalCloud, match: (event: BusEvent) => boolean): Promise<BusEvent> {
  return new Promise((resolve) => {
    const listen = (event: BusEvent) => {
      if (!match(event)) return;
      cloud.bus.listeners.delete(listen);
      resolve(event);
    };
    cloud.bus.listeners.add(listen);
  });
}

/** Resolves once the execution's capture pipeline is InProgress and has recorded `simMs` of media (run it within run()). */
export async function waitForCapture(h: Harness, e: Execution, simMs = 10_000): Promise<void> {
  const meetingId = await meetingIdOf(h.cloud, e);
  const recording = () => h.cloud.pipelines.activePipelines().some((p) => p.kind === 'capture' && p.meetingId === meetingId && p.status === 'InProgress');
  if (!recording()) {
    const started = busEvent(h.cloud, (ev) => ev.detail.eventType === 'chime:MediaPipelineInProgress' && ev.detail.meetingId === meetingId && recording()).then(() => true);
    if (!(await Promise.race([started, e.done.then(() => false)]))) throw new Error(`execution ended ${e.status} before its capture started`);
  }
  await h.cloud.clock.sleep(simMs);
}

/** A fault filter (FaultSpec.where): the recordings-table write that stores AwaitMeetingEnd's task token. */
export function storesTaskToken(req: LocalRequest): boolean {
  return req.body.toString('utf8').includes('"#taskToken"');
}
