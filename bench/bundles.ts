import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import { REPO_ROOT } from '../local/cloud';
import { buildBundles, bundle, type BundleSize } from '../scripts/bundles';
import { median, medianInterval, round } from './stats';

/**
 * Each function's deployment bundle next to its floor: a bundle of only the SDK client modules the
 * function imports from functions/lib/clients/ (the same files, so the clients are created exactly as
 * the function creates them). What a function adds over its floor is its own cost: handler wrapper,
 * validation, logging, domain code.
 */
export interface BundleResult {
  name: string;
  bytes: number;
  /** Median ms to import the bundle in a fresh Node process. */
  initMs: number;
  floor: { clients: string[]; bytes: number; initMs: number };
  sizeRatio: number;
  /** Median of the per-run ratios to the floor (each run imports both, one after the other). */
  initRatio: number;
  /** That ratio's 95% interval and verdict against BUNDLE_TARGET_RATIO. */
  initVsFloor: Judged;
  /**
   * The same function as a typical project ships it (PEER_EXTERNAL left out of the bundle and loaded from
   * node_modules at run time, as with the Lambda runtime's own SDK), and our cold init over its.
   */
  peer: { bytes: number; initMs: number; ratio: Judged };
  /** Largest contributors to the difference (npm package or repo file), bytes of minified output. */
  extra: Array<{ source: string; bytes: number }>;
  /** Null when the function uses no SDK client: its floor is an empty module, so a ratio is no verdict. */
  withinTarget: boolean | null;
  /** Null when the function uses no SDK client (its peer build leaves nothing out). */
  withinPeerTarget: boolean | null;
}

/**
 * A median ratio with its 95% interval (bench/stats.ts, medianInterval) against a target: `fail` when
 * the whole interval lies above it, `straddles` when the target falls inside (a pass the runs cannot
 * confirm), `pass` when the interval lies at or below it.
 */
export interface Judged {
  median: number;
  low: number;
  high: number;
  target: number;
  verdict: 'pass' | 'straddles' | 'fail';
}

export const BUNDLE_TARGET_RATIO = 1.15;
/** Our cold init at most this share of the peer build's. */
export const PEER_TARGET_RATIO = 0.6;
export const INIT_RUNS = 31;
/**
 * What the peer build leaves to node_modules: the AWS SDK v3, which the Lambda Node.js runtimes (18 and
 * later) provide, and which AWS CDK's NodejsFunction leaves out of its bundles by default on those
 * runtimes (externalModules: `@aws-sdk/*`, https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda_nodejs-readme.html).
 */
export const PEER_EXTERNAL = ['@aws-sdk/*'];

const CLIENTS_DIR = 'functions/lib/clients/';

/** Environment a function's modules read at import time, as a deployed Lambda has it. */
const LAMBDA_ENV = {
  AWS_REGION: 'us-east-1',
  // The SDK compares with "true" (not "1"); the Node 20 notice would otherwise be timed too.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  TABLE_NAME: 'chime-recording-bench-recordings',
  ACCOUNT_ID: '123456789012',
  PARTITION: 'aws',
  POWERTOOLS_SERVICE_NAME: 'chime-recording',
  POWERTOOLS_LOG_LEVEL: 'INFO',
};

export async function measureBundles(runs = INIT_RUNS): Promise<BundleResult[]> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-bundles-'));
  // Inside the repo's node_modules, so the peer bundles' imports of the SDK resolve to the installed packages.
  const cache = path.join(REPO_ROOT, 'node_modules', '.cache');
  fs.mkdirSync(cache, { recursive: true });
  const peerDir = fs.mkdtempSync(path.join(cache, 'bench-peer-'));
  try {
    const functions = await buildBundles(REPO_ROOT, outDir);
    const peers = new Map((await buildBundles(REPO_ROOT, peerDir, PEER_EXTERNAL)).map((b) => [b.name, b]));
    const floors = new Map<string, BundleSize>();
    for (const fn of functions) {
      const key = clientsOf(fn).join(',');
      if (!floors.has(key)) floors.set(key, await buildFloor(clientsOf(fn), path.join(outDir, `floor-${floors.size}`)));
    }
    const files = [...functions, ...floors.values(), ...peers.values()].map((b) => b.file);
    const samples = importTimes(files, runs);
    const medianOf = (file: string) => round(median(samples.get(file)!));
    return functions.map((fn) => {
      const clients = clientsOf(fn);
      const floor = floors.get(clients.join(','))!;
      const peer = peers.get(fn.name)!;
      const sizeRatio = round(fn.bytes / floor.bytes);
      const initVsFloor = judge(pairedRatios(samples.get(fn.file)!, samples.get(floor.file)!), BUNDLE_TARGET_RATIO);
      const ratio = judge(pairedRatios(samples.get(fn.file)!, samples.get(peer.file)!), PEER_TARGET_RATIO);
      return {
        name: fn.name,
        bytes: fn.bytes,
        initMs: medianOf(fn.file),
        floor: { clients: clients.map((c) => path.basename(c, '.ts')), bytes: floor.bytes, initMs: medianOf(floor.file) },
        sizeRatio,
        initRatio: initVsFloor.median,
        initVsFloor,
        peer: { bytes: peer.bytes, initMs: medianOf(peer.file), ratio },
        extra: extraOver(fn.metafile, floor.metafile).slice(0, 5),
        withinTarget: clients.length === 0 ? null : sizeRatio <= BUNDLE_TARGET_RATIO && initVsFloor.verdict !== 'fail',
        // Without an SDK client the peer build is the same bundle: no comparison to judge.
        withinPeerTarget: clients.length === 0 ? null : ratio.verdict !== 'fail',
      };
    });
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.rmSync(peerDir, { recursive: true, force: true });
  }
}

/** Run by run: the runs interleave the files, so a burst of load from elsewhere weighs on both sides of a ratio. */
function pairedRatios(a: number[], b: number[]): number[] {
  return a.map((x, i) => x / b[i]!);
}

export function judge(ratios: number[], target: number): Judged {
  const { median: m, low, high } = medianInterval(ratios);
  return { median: round(m), low: round(low), high: round(high), target, verdict: high <= target ? 'pass' : low > target ? 'fail' : 'straddles' };
}

/** The client modules (repo-relative paths) that went into a bundle. */
function clientsOf(b: BundleSize): string[] {
  return Object.keys(b.metafile.inputs)
    .filter((input) => input.startsWith(CLIENTS_DIR))
    .sort();
}

async function buildFloor(clients: string[], base: string): Promise<BundleSize> {
  const entry = `${base}.ts`;
  const lines = clients.map((c) => `export * from ${JSON.stringify(path.join(REPO_ROOT, c.replace(/\.ts$/, '')))};`);
  fs.writeFileSync(entry, lines.length > 0 ? `${lines.join('\n')}\n` : 'export {};\n');
  return bundle(REPO_ROOT, entry, `${base}.mjs`);
}

/**
 * Import times of each file (ms, one per run), each import in a fresh process. Runs interleave the files, so a burst
 * of load from elsewhere on the machine slows every file alike instead of one file's runs.
 */
function importTimes(files: string[], runs: number): Map<string, number[]> {
  const samples = new Map(files.map((f) => [f, [] as number[]]));
  const env = { PATH: process.env.PATH ?? '', ...LAMBDA_ENV };
  for (let run = 0; run < runs; run += 1) {
    for (const file of files) {
      const code = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
      const out = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env, encoding: 'utf8' });
      const ms = Number(out.stdout);
      if (out.status !== 0 || !Number.isFinite(ms)) throw new Error(`importing ${path.basename(file)} failed: ${out.stderr}`);
      samples.get(file)!.push(ms);
    }
  }
  return samples;
}

/** Output bytes a bundle has beyond the floor, by npm package or repo file, largest first. */
function extraOver(fn: Metafile, floor: Metafile): Array<{ source: string; bytes: number }> {
  const bySource = (meta: Metafile) => {
    const totals = new Map<string, number>();
    for (const output of Object.values(meta.outputs)) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        const source = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input;
        totals.set(source, (totals.get(source) ?? 0) + bytesInOutput);
      }
    }
    return totals;
  };
  const base = bySource(floor);
  return [...bySource(fn)]
    .map(([source, bytes]) => ({ source, bytes: bytes - (base.get(source) ?? 0) }))
    .filter((e) => e.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}
