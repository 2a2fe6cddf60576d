import '../local/quiet';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../local/cloud';
import { BUNDLE_TARGET_RATIO, INIT_RUNS, PEER_TARGET_RATIO, measureBundles, type Judged } from './bundles';
import { BURST_MEETING_MINUTES, BURST_TARGETS, measureBurst, type BurstResult } from './burst';
import { CHIME_QUOTA_SOURCES, resolveChimeRateLimit, type ChimeQuotaScope } from '../local/core/quotas';
import { USD_PER_TRANSITION, measureRecordingCost } from './recording-cost';
import { measureThroughput, type ThroughputResult } from './throughput';

/** Each throughput size gets this long; past it, its target fails and the benchmark goes on (5-minute total budget). */
const THROUGHPUT_BUDGET_MS = 150_000;
/** Each burst size gets this long (real time); past it, that size is reported unfinished. */
const BURST_BUDGET_MS = 600_000;
/**
 * The reaction-time run: 100 recordings at once whose meetings end one every 50 ms (20 a second). At
 * Chime's default quota of about 10 requests/s, with 5-7 Chime calls per recording, an account sustains
 * about 2 recordings a second, so this is ten times the rate real traffic can bring. The throughput runs
 * end every meeting in one burst instead; their latency figures measure how long a burst queues.
 */
export const LATENCY_RUN = { recordings: 100, endGapMs: 50 };

/**
 * `npm run bench [-- --json] [-- --update-readme] [-- --sizes 1,100,1000] [-- --burst-sizes 100,500,1000]
 * [-- --quota-scope per-service|per-api --quota-rate 10 --quota-burst 20]`: cost per recording, bundle
 * size and cold init against the SDK-only floor, local cloud throughput, and bursts against Chime's
 * request quota (under the quota model given), each with its target's verdict. Targets live here,
 * never in the unit tests.
 */
const TARGETS = {
  maxTransitionsOneMinute: 15,
  maxWorkflowInvocationsOneMinute: 10,
  bundleRatio: BUNDLE_TARGET_RATIO,
  peerRatio: PEER_TARGET_RATIO,
  initRuns: INIT_RUNS,
  thousandRecordingsMaxMs: 30_000,
  thousandRecordingsMaxRssMiB: 1024,
  meetingEndToConcatenationP99Ms: 50,
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, 'update-readme': { type: 'boolean', default: false }, sizes: { type: 'string', default: '1,100,1000' }, 'burst-sizes': { type: 'string', default: '100,500,1000' }, 'quota-scope': { type: 'string' }, 'quota-rate': { type: 'string' }, 'quota-burst': { type: 'string' } } });
  const quota = resolveChimeRateLimit({ scope: values['quota-scope'] as ChimeQuotaScope | undefined, rate: numberOrUndefined(values['quota-rate']), burst: numberOrUndefined(values['quota-burst']) });
  if (!quota) throw new Error('the burst benchmark needs a Chime quota');
  const log = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);
  const started = Date.now();
  log('recording cost (1-minute and 4-hour meetings)...');
  const cost = await measureRecordingCost();
  log('bundles and cold init (fresh Node processes)...');
  const bundles = await measureBundles();
  const throughput: ThroughputResult[] = [];
  const unfinished: Array<{ recordings: number; error: string }> = [];
  for (const n of values.sizes.split(',').map(Number)) {
    log(`${n} concurrent recording(s)...`);
    try {
      throughput.push(await measureThroughput(n, THROUGHPUT_BUDGET_MS));
    } catch (err) {
      unfinished.push({ recordings: n, error: err instanceof Error ? err.message : String(err) });
    }
  }
  log(`${LATENCY_RUN.recordings} recordings, meetings ending ${LATENCY_RUN.endGapMs} ms apart...`);
  const latency = await measureThroughput(LATENCY_RUN.recordings, THROUGHPUT_BUDGET_MS, LATENCY_RUN.endGapMs).catch((err: unknown) => {
    unfinished.push({ recordings: LATENCY_RUN.recordings, error: `latency run: ${err instanceof Error ? err.message : String(err)}` });
    return undefined;
  });
  const bursts: BurstResult[] = [];
  for (const n of values['burst-sizes'].split(',').filter(Boolean).map(Number)) {
    log(`burst of ${n} recordings under Chime's quota (${quota.rate}/s, burst ${quota.burst}, ${quota.scope})...`);
    try {
      bursts.push(await measureBurst(n, quota, BURST_BUDGET_MS));
    } catch (err) {
      unfinished.push({ recordings: n, error: `burst: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  const largest = throughput[throughput.length - 1];
  const thousandUnfinished = unfinished.some((u) => u.recordings === 1000);
  const verdicts = {
    transitionsOneMinute: cost.oneMinute.transitions <= TARGETS.maxTransitionsOneMinute,
    // Past the first minute only the lost-event re-checks of the two waits may add transitions.
    costGrowsOnlyBySafetyNet: cost.growth.other.transitions === 0 && cost.growth.other.invocations === 0,
    workflowInvocationsOneMinute: cost.oneMinute.workflowInvocations <= TARGETS.maxWorkflowInvocationsOneMinute,
    // Fails only when a ratio's 95% interval lies wholly above its target (bench/bundles.ts, judge).
    bundlesWithinFloor: bundles.every((b) => b.withinTarget !== false),
    bundlesWithinPeer: bundles.every((b) => b.withinPeerTarget !== false),
    thousandRecordings: thousandUnfinished ? false : largest?.recordings === 1000 ? largest.succeeded === 1000 && largest.wallMs < TARGETS.thousandRecordingsMaxMs && largest.peakRssMiB < TARGETS.thousandRecordingsMaxRssMiB : null,
    meetingEndToConcatenationP99: latency ? latency.succeeded === latency.recordings && latency.meetingEndToConcatenationMs.p99 < TARGETS.meetingEndToConcatenationP99Ms : false,
    // Per burst size; a size that did not finish fails.
    bursts: Object.fromEntries([...bursts.map((b) => [b.recordings, b.pass]), ...unfinished.filter((u) => u.error.startsWith('burst:')).map((u) => [u.recordings, false])]),
  };
  const result = {
    machine: { cpus: os.cpus().length, node: process.version, platform: `${os.platform()}-${os.arch()}` },
    benchMs: Date.now() - started,
    targets: TARGETS,
    usdPerTransition: USD_PER_TRANSITION,
    cost,
    bundles,
    throughput,
    latency,
    burst: { quota, sources: CHIME_QUOTA_SOURCES, meetingMinutes: BURST_MEETING_MINUTES, targets: BURST_TARGETS, results: bursts },
    unfinished,
    verdicts,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else log(JSON.stringify(result, null, 2));
  if (values['update-readme']) updateReadme(result);
}

/** Two rows per burst size: requests to captures, and meeting ends to concatenations. */
function burstRows(b: BurstResult, t: typeof BURST_TARGETS): string[] {
  const ok = (v: boolean) => (v ? 'pass' : 'FAIL');
  const target = `last ≤ x${t.lastOverLimit} the limit, ≤ ${t.maxThrottledShare * 100}% throttled, none past its fair share, 0 failures`;
  const quota = `${b.quota.rate}/s, burst ${b.quota.burst}, ${b.quota.scope}`;
  const row = (what: string, p: BurstResult['start']) =>
    `| burst of ${b.recordings} (${quota}): ${what} (p50, p99, last; limit) | ${p.p50S} s, ${p.p99S} s, ${p.lastS} s; ${p.limitS} s (x${p.lastOverLimit ?? 'n/a'}); ${round1(p.throttledShare * 100)}% of ${p.chimeCalls} Chime calls throttled; ${p.unfair} past fair share; ${b.succeeded}/${b.recordings} succeeded | ${target} | ${ok(b.succeeded === b.recordings && p.verdict.last && p.verdict.throttled && p.verdict.fair)} |`;
  return [row('request → capture created', b.start), row(`meeting end → concatenation created, ${b.end.recordings} ending together`, b.end)];
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function numberOrUndefined(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`expected a number, got "${text}"`);
  return n;
}

const BEGIN = '<!-- bench:begin (generated by npm run bench -- --update-readme) -->';
const END = '<!-- bench:end -->';

export function updateReadme(r: any): void {
  const ok = (v: boolean | null) => (v === null ? 'n/a' : v ? 'pass' : 'FAIL');
  const interval = (j: Judged) => `${j.median} [${j.low}-${j.high}]`;
  const judged = (v: boolean, j: Judged) => (!v ? 'FAIL' : j.verdict === 'straddles' ? 'pass (interval straddles the target)' : 'pass');
  const lines = [
    BEGIN,
    `Measured on ${r.machine.cpus} cores, Node ${r.machine.node}, in ${Math.round(r.benchMs / 1000)} s.`,
    '',
    '| measure | value | target | verdict |',
    '|---|---|---|---|',
    `| 1-minute meeting: state transitions | ${r.cost.oneMinute.transitions} ($${r.cost.oneMinute.stepFunctionsUsd}) | ≤ ${r.targets.maxTransitionsOneMinute} | ${ok(r.verdicts.transitionsOneMinute)} |`,
    `| 1-minute meeting: workflow Lambda invocations (+ event deliveries) | ${r.cost.oneMinute.workflowInvocations} (+ ${r.cost.oneMinute.eventInvocations}) | ≤ ${r.targets.maxWorkflowInvocationsOneMinute} | ${ok(r.verdicts.workflowInvocationsOneMinute)} |`,
    `| 4-hour meeting: state transitions, workflow invocations | ${r.cost.fourHours.transitions}, ${r.cost.fourHours.workflowInvocations} ($${r.cost.fourHours.stepFunctionsUsd}) | growth = safety net only | ${ok(r.verdicts.costGrowsOnlyBySafetyNet)}: ${r.cost.growth.safetyNet.transitions} from the safety net, ${r.cost.growth.other.transitions} otherwise |`,
    ...r.bundles.map((b: any) => `| bundle ${b.name}: size, init vs SDK-only floor (median [95% interval]) | ${Math.round(b.bytes / 1024)} KiB, ${b.initMs} ms (x${b.sizeRatio}, x${interval(b.initVsFloor)}) | ≤ x${r.targets.bundleRatio} | ${b.withinTarget === null ? 'n/a (no SDK client)' : judged(b.withinTarget, b.initVsFloor)} |`),
    ...r.bundles.map((b: any) => `| ${b.name} cold init vs a peer build (SDK from node_modules) | ${b.initMs} ms vs ${b.peer.initMs} ms (x${interval(b.peer.ratio)}) | ≤ x${r.targets.peerRatio} | ${b.withinPeerTarget === null ? 'n/a (no SDK client)' : judged(b.withinPeerTarget, b.peer.ratio)} |`),
    ...r.throughput.map((t: any) => `| ${t.recordings} concurrent recordings: wall, peak RSS, succeeded (meeting end → concatenation in the burst: p50, p99) | ${(t.wallMs / 1000).toFixed(1)} s, ${t.peakRssMiB} MiB, ${t.succeeded}/${t.recordings} (${t.meetingEndToConcatenationMs.p50} ms, ${t.meetingEndToConcatenationMs.p99} ms) | 1,000 in < 30 s, < 1 GiB | ${t.recordings === 1000 ? ok(r.verdicts.thousandRecordings) : ''} |`),
    ...r.unfinished.map((u: any) =>
      String(u.error).startsWith('burst:')
        ? `| burst of ${u.recordings} under Chime's quota | ${u.error} | the burst targets | FAIL |`
        : `| ${u.recordings} concurrent recordings | ${u.error} | 1,000 in < 30 s, < 1 GiB | FAIL |`,
    ),
    r.latency
      ? `| meeting end → concatenation created: ${r.latency.recordings} recordings, meetings ending ${r.latency.endGapMs} ms apart (p50, p99) | ${r.latency.meetingEndToConcatenationMs.p50} ms, ${r.latency.meetingEndToConcatenationMs.p99} ms (${r.latency.succeeded}/${r.latency.recordings} succeeded) | p99 < 50 ms | ${ok(r.verdicts.meetingEndToConcatenationP99)} |`
      : '| meeting end → concatenation created | the latency run did not finish | p99 < 50 ms | FAIL |',
    ...r.burst.results.flatMap((b: any) => burstRows(b, r.burst.targets)),
    END,
  ];
  const file = path.join(REPO_ROOT, 'README.md');
  const text = fs.readFileSync(file, 'utf8');
  const a = text.indexOf(BEGIN.slice(0, 17));
  const b = text.indexOf(END);
  if (a < 0 || b < 0) throw new Error('README.md has no bench markers');
  fs.writeFileSync(file, text.slice(0, a) + lines.join('\n') + text.slice(b + END.length));
}

if (require.main === module) main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
