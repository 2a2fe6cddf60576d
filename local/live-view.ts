import path from 'node:path';
import type { BusEvent, EventFault } from './core/bus';
import { eventTypeOf } from './core/bus';
import type { FaultHit } from './core/faults';
import type { LocalCloud } from './cloud';
import type { HistoryEvent } from './sfn/history';
import type { StartResult } from './start';
import type { Execution } from './sfn/runner';

/**
 * `npm start`'s live view: each state as it runs, and where it happens, each injected fault, each
 * dropped, duplicated, delayed or reordered event, each retry and each caught error, with a symbol that
 * says which; the summary counts them. The marks:
 *
 *   ▶ state entered            ✓ state done              ✗ state failed, error caught (the Catch decides where next)
 *   ! a task's error           ↻ the state retries it    ⚡ a fault injected into an AWS call
 *   ⌀ event dropped            ⧉ event duplicated         ⏱ event delayed           ⇅ event held back (reordered)
 */
export const MARKS = { entered: '▶', done: '✓', caught: '✗', error: '!', retry: '↻', injected: '⚡', drop: '⌀', duplicate: '⧉', delay: '⏱', reorder: '⇅' } as const;

export interface Counts {
  injected: number;
  dropped: number;
  duplicated: number;
  delayed: number;
  reordered: number;
  retries: number;
  caught: number;
}

export class LiveView {
  private readonly entered = new Map<string, { real: number; sim: number }>();
  /** Per state: the error of a task failure not yet retried or caught. */
  private readonly failed = new Map<string, string>();
  private readonly attempts = new Map<string, number>();
  private readonly t0 = Date.now();
  readonly counts: Counts = { injected: 0, dropped: 0, duplicated: 0, delayed: 0, reordered: 0, retries: 0, caught: 0 };
  private readonly detach: Array<() => void> = [];

  constructor(
    private readonly cloud: LocalCloud,
    private readonly print: (line: string) => void,
  ) {
    const onHit = (hit: FaultHit) => this.onFault(hit);
    const onEvent = (event: BusEvent, fault: EventFault) => this.onEventFault(event, fault);
    const onHistory = (e: Execution, h: HistoryEvent) => this.onHistory(e, h);
    cloud.router.faults.listeners.add(onHit);
    cloud.bus.faultListeners.add(onEvent);
    cloud.stepFunctions.runner.historyListeners.add(onHistory);
    this.detach.push(
      () => cloud.router.faults.listeners.delete(onHit),
      () => cloud.bus.faultListeners.delete(onEvent),
      () => cloud.stepFunctions.runner.historyListeners.delete(onHistory),
    );
  }

  onFault(hit: FaultHit): void {
    this.counts.injected += 1;
    const what = hit.error ? `answered ${hit.operation} with ${hit.error}` : `held ${hit.operation} up ${formatSim(hit.latencyMs)}`;
    const of = hit.count === Infinity ? 'every call' : `${hit.hit} of ${hit.count}`;
    this.print(`${this.stamp()}   ${MARKS.injected} injected: ${what}${hit.error && hit.latencyMs ? ` after ${formatSim(hit.latencyMs)}` : ''} (${of})`);
  }

  onEventFault(event: BusEvent, fault: EventFault): void {
    const type = eventTypeOf(event);
    switch (fault.action) {
      case 'drop':
        this.counts.dropped += 1;
        this.print(`${this.stamp()}   ${MARKS.drop} dropped event ${type}: never delivered`);
        break;
      case 'duplicate':
        this.counts.duplicated += 1;
        this.print(`${this.stamp()}   ${MARKS.duplicate} duplicated event ${type}: delivered ${fault.times ?? 2} times`);
        break;
      case 'delay':
        this.counts.delayed += 1;
        this.print(`${this.stamp()}   ${MARKS.delay} delayed event ${type} by ${formatSim(fault.delayMs ?? 60_000)}`);
        break;
      case 'reorder':
        this.counts.reordered += 1;
        this.print(`${this.stamp()}   ${MARKS.reorder} held back event ${type} until after the next event`);
        break;
    }
  }

  onHistory(_execution: Execution, h: HistoryEvent): void {
    const details = (h.stateEnteredEventDetails ?? h.stateExitedEventDetails) as { name: string; output?: string } | undefined;
    if (h.type.endsWith('StateEntered') && details) {
      // Last in the map is the state running now (a re-entered state moves to the end).
      this.entered.delete(details.name);
      this.entered.set(details.name, { real: Date.now(), sim: this.cloud.clock.now() });
      this.attempts.set(details.name, 1);
      this.failed.delete(details.name);
      this.print(`${this.stamp()} ${MARKS.entered} ${details.name}`);
    } else if (h.type.endsWith('StateExited') && details) {
      const since = this.entered.get(details.name);
      const took = since ? `${Date.now() - since.real} ms (${formatSim(this.cloud.clock.now() - since.sim)} simulated)` : '';
      const error = this.failed.get(details.name);
      this.failed.delete(details.name);
      if (error !== undefined) {
        this.counts.caught += 1;
        const why = error === 'States.Timeout' ? 'timed out: the safety net re-checks' : `caught ${error}`;
        this.print(`${this.stamp()} ${MARKS.caught} ${details.name.padEnd(24)} ${took.padEnd(28)} ${why}`);
      } else {
        this.print(`${this.stamp()} ${MARKS.done} ${details.name.padEnd(24)} ${took.padEnd(28)} ${describeStep(details.name, details.output)}`);
      }
    } else if (h.type === 'LambdaFunctionFailed' || h.type === 'TaskFailed' || h.type === 'TaskTimedOut' || h.type === 'LambdaFunctionTimedOut') {
      const d = (h.lambdaFunctionFailedEventDetails ?? h.taskFailedEventDetails ?? h.taskTimedOutEventDetails ?? h.lambdaFunctionTimedOutEventDetails) as { error?: string };
      const state = [...this.entered.keys()].pop() ?? '';
      this.failed.set(state, d.error ?? 'error');
      if (d.error !== 'States.Timeout') this.print(`${this.stamp()}   ${MARKS.error} ${state}: ${d.error ?? 'error'}`);
    } else if (h.type === 'LambdaFunctionScheduled' || h.type === 'TaskScheduled') {
      const state = [...this.entered.keys()].pop() ?? '';
      const error = this.failed.get(state);
      if (error === undefined) return;
      this.failed.delete(state);
      const attempt = (this.attempts.get(state) ?? 1) + 1;
      this.attempts.set(state, attempt);
      this.counts.retries += 1;
      this.print(`${this.stamp()}   ${MARKS.retry} ${state} retries after ${error} (attempt ${attempt})`);
    } else if (h.type === 'ExecutionFailed') {
      const d = h.executionFailedEventDetails as { error?: string };
      this.print(`${this.stamp()} ✘ execution failed: ${d.error ?? 'error'}`);
    }
  }

  finish(result: Pick<StartResult, 'status' | 'transitions' | 'lambdaInvocations' | 'artifacts' | 'orphans' | 'keptRunningByAws' | 'error'> & Partial<Pick<StartResult, 'reconciler' | 'manifest'>>, execution: Execution): void {
    for (const d of this.detach.splice(0)) d();
    this.print('');
    this.print(`${result.status === 'SUCCEEDED' ? '✔' : '✘'} ${result.status} in ${Date.now() - this.t0} ms: ${result.transitions} state transitions, ${result.lambdaInvocations} Lambda invocations (${this.cloud.lambda.count('meetingEvents')} of them event deliveries)`);
    if (result.error) this.print(`  error: ${result.error.error}: ${result.error.cause}`);
    const c = this.counts;
    this.print(
      `  faults: ${c.injected} injected ${MARKS.injected}, events ${c.dropped} dropped ${MARKS.drop}, ${c.duplicated} duplicated ${MARKS.duplicate}, ${c.delayed} delayed ${MARKS.delay}, ${c.reordered} reordered ${MARKS.reorder}; ${c.retries} retries ${MARKS.retry}, ${c.caught} caught errors ${MARKS.caught}`,
    );
    for (const a of result.artifacts) this.print(`  artifact ${a.uri}\n           ${a.path} (${a.bytes} bytes${a.durationSeconds === undefined ? '' : `, ${a.durationSeconds.toFixed(1)} s`})`);
    if (result.manifest) this.print(`  manifest ${result.manifest}`);
    const capture = execution.output ? (JSON.parse(execution.output) as { capturePipelineId?: string }) : {};
    if (capture.capturePipelineId) this.print(`  raw 5-second chunks under ${path.relative(process.cwd(), path.join(this.cloud.ctx.dataDir, 's3'))}/`);
    this.print(`  still running afterwards: ${result.orphans.meetings} meetings, ${result.orphans.pipelines} media pipelines${result.keptRunningByAws > 0 ? ` (and ${result.keptRunningByAws} AWS kept running after the workflow asked to delete it)` : ''}`);
    const r = result.reconciler;
    if (r && 'error' in r) this.print(`  the reconciler's next pass failed: ${r.error}`);
    else if (r) this.print(`  the reconciler's next pass removed ${r.removed.length > 0 ? r.removed.join(', ') : 'nothing'}${Object.keys(r.notRemoved).length > 0 ? `, AWS refused ${Object.keys(r.notRemoved).join(', ')}` : ''}; still running after it: ${r.orphans.meetings} meetings, ${r.orphans.pipelines} media pipelines`);
  }

  private stamp(): string {
    return `${String(Date.now() - this.t0).padStart(6)} ms`;
  }
}

const RESULT_OF: Record<string, string> = {
  ValidateRequest: 'plan',
  EnsureServiceLinkedRole: 'role',
  VerifyBuckets: 'buckets',
  CreateMeeting: 'chimeMeeting',
  StartCapture: 'capturePipeline',
  StartLiveConnector: 'livePipeline',
  StartConcatenation: 'concatenationPipeline',
  AwaitConcatenation: 'concatenationStatus',
  VerifyRecording: 'recording',
};

function describeStep(name: string, output: string | undefined): string {
  const state = output ? (JSON.parse(output) as Record<string, any>) : {};
  const resultKey = RESULT_OF[name];
  if (state.error && resultKey && state[resultKey] === undefined) return `failed: ${state.error.Error}`;
  switch (name) {
    case 'ValidateRequest':
      return `plan: ${state.plan?.mode} meeting, capture s3://${state.plan?.capture?.bucket}/${state.plan?.capture?.prefix}/`;
    case 'EnsureServiceLinkedRole':
      return state.role?.fresh ? 'created the media pipelines service-linked role' : 'service-linked role already present';
    case 'VerifyBuckets':
      return `buckets ${state.buckets?.buckets?.join(', ')} ready in ${state.buckets?.mediaRegion}`;
    case 'CreateMeeting':
      return `${state.chimeMeeting?.created ? 'created' : 'adopted'} meeting ${state.chimeMeeting?.meetingId}`;
    case 'StartCapture':
      return `capture pipeline ${state.capturePipeline?.mediaPipelineId}`;
    case 'AwaitMeetingEnd':
      return state.meetingEnd ? `meeting ended (${state.meetingEnd.reason})` : 'waiting';
    case 'StartLiveConnector':
      return `live connector pipeline ${state.livePipeline?.mediaPipelineId} streaming (RTMPS URL read from the secret)`;
    case 'StartConcatenation':
      return `concatenation pipeline ${state.concatenationPipeline?.mediaPipelineId}`;
    case 'AwaitConcatenation':
      return `concatenation finished, ${state.concatenationStatus?.artifacts?.length ?? 0} file(s)${(state.concatenationStatus?.checks ?? 1) > 1 ? ` (after ${state.concatenationStatus.checks - 1} safety-net re-check(s))` : ''}`;
    case 'AnnounceRecordingStarted':
      return state.announceError ? `event not published: ${state.announceError.Error}` : 'published RecordingStarted';
    case 'VerifyRecording':
      return `verified ${(state.recording?.files ?? []).map((f: { artifact: string; durationSeconds?: number }) => (f.durationSeconds === undefined ? f.artifact : `${f.artifact} ${f.durationSeconds.toFixed(1)} s`)).join(', ')}; manifest ${state.recording?.manifest}`;
    case 'AnnounceRecordingOutcome':
    case 'AnnounceRejected':
    case 'AnnounceCleanupFailed':
      return state.announceError ? `event not published: ${state.announceError.Error}` : 'published the outcome';
    case 'Cleanup':
      return state.cleanup?.deleted?.length ? `deleted ${state.cleanup.deleted.join(', ')}` : 'nothing left to delete';
    default:
      return '';
  }
}

export function formatSim(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
