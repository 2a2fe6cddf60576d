import type { RecordingSummary } from '../../functions/cleanup/cleanup';
import { RECORDING_STATES, cleanupSummary, output, record, startHarness, statesEntered, type Harness } from '../../local/harness';
import type { Execution } from '../../local/sfn/runner';
import { inspectMp4 } from '../fixtures/mp4';
import { callApi } from '../fixtures/sigv4';

/**
 * Readable names (issue 14, item 5): with output.fileName the verified files are copied to the names the
 * template gives, confirmed, and the concatenation's pipeline-id named files removed, inside
 * VerifyRecording; a Lambda retry after a partial copy or partial deletion finishes the job; a name held by
 * another recording's file is never overwritten (FileNameTaken).
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
afterEach(() => h.cloud.router.faults.clear());

const bucket = () => h.deployment.concatenationBucket;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/;

/** Keys of the concatenation bucket under `prefix`, as the local cloud holds them. */
function keysUnder(prefix: string): Promise<string[]> {
  return h.cloud.s3.listKeys(bucket(), prefix);
}

/** VerifyRecording's failed attempts (a Lambda task's failure is LambdaFunctionFailed), by error name. */
function verifyFailures(e: Execution): string[] {
  let inVerify = false;
  const errors: string[] = [];
  for (const ev of e.history) {
    if (ev.type.endsWith('StateEntered')) inVerify = (ev.stateEnteredEventDetails as { name: string }).name === 'VerifyRecording';
    if (inVerify && ev.type === 'LambdaFunctionFailed') errors.push((ev.lambdaFunctionFailedEventDetails as { error: string }).error);
  }
  return errors;
}

/** Checks the files a recording lists are where they say, with the sizes and durations it reports. */
async function expectFilesAt(summary: RecordingSummary, folder: string): Promise<void> {
  for (const f of summary.files) {
    const key = f.uri.slice(`s3://${bucket()}/`.length);
    expect(key.startsWith(folder)).toBe(true);
    const body = (await h.cloud.s3.getObject(bucket(), key))!;
    expect({ key, size: body.length }).toEqual({ key, size: f.size });
    if (key.endsWith('.mp4')) expect(inspectMp4(body).durationMs / 1000).toBeCloseTo(f.durationSeconds!, 3);
  }
}

describe('output.fileName', () => {
  it('copies each verified file to its readable name, removes the pipeline-id named ones, and every output names the new keys', async () => {
    const e = await record(h, { meeting: { externalMeetingId: 'Q4 review: all-hands' }, output: { fileName: 'meetings/{externalMeetingId}/{startedAt}-{artifact}' } }, { lengthMs: 120_000 });
    expect([e.status, e.error]).toEqual(['SUCCEEDED', undefined]);
    // Done inside VerifyRecording: not one state more than a recording without the option.
    expect(statesEntered(e)).toEqual(RECORDING_STATES);
    const summary = output<RecordingSummary>(e);

    const named = await keysUnder('meetings/');
    const [, stamp] = /^meetings\/Q4_review_all-hands\/(.{20})-recording\.json$/.exec(named.find((k) => k.endsWith('.json')) ?? '') ?? [];
    expect(stamp).toMatch(TIME);
    // The capture's start, to the second.
    expect(`${stamp!.slice(0, 10)}T${stamp!.slice(11, 19).replace(/-/g, ':')}Z`).toBe(`${summary.startedAt!.slice(0, 19)}Z`);
    expect(named).toEqual(
      [`${stamp}-audio.mp4`, `${stamp}-composited-video.mp4`, `${stamp}-meeting-events.txt`, `${stamp}-recording.json`].map((n) => `meetings/Q4_review_all-hands/${n}`),
    );
    // Nothing is left under the concatenation's own prefix: no pipeline-id named file, no recording.json.
    expect(await keysUnder(`recordings/${e.name}/`)).toEqual([]);

    expect(summary.files.map((f) => [f.artifact, f.uri])).toEqual([
      ['audio', `s3://${bucket()}/meetings/Q4_review_all-hands/${stamp}-audio.mp4`],
      ['composited-video', `s3://${bucket()}/meetings/Q4_review_all-hands/${stamp}-composited-video.mp4`],
      ['meeting-events', `s3://${bucket()}/meetings/Q4_review_all-hands/${stamp}-meeting-events.txt`],
    ]);
    expect(summary.artifacts).toEqual(summary.files.map((f) => f.uri));
    expect(summary.manifest).toBe(`s3://${bucket()}/meetings/Q4_review_all-hands/${stamp}-recording.json`);
    await expectFilesAt(summary, 'meetings/Q4_review_all-hands/');
    // The meeting-long files last the two minutes captured, within one 5-second chunk.
    for (const f of summary.files.filter((x) => x.artifact !== 'meeting-events')) {
      expect(f.durationSeconds).toBeGreaterThanOrEqual(115);
      expect(f.durationSeconds).toBeLessThanOrEqual(125);
    }
    const manifest = JSON.parse((await h.cloud.s3.getObject(bucket(), `meetings/Q4_review_all-hands/${stamp}-recording.json`))!.toString('utf8')) as { files: unknown };
    expect(manifest.files).toEqual(summary.files);

    // The API's download links are for the readable names.
    const answer = await callApi(h.deployment.apiUrl, 'GET', `/recordings/${e.name}`);
    expect(answer.status).toBe(200);
    const downloads = answer.body.downloads as Array<{ uri: string; url: string }>;
    expect(downloads.map((d) => d.uri)).toEqual(summary.files.map((f) => f.uri));
    const res = await fetch(downloads[0]!.url);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(summary.files[0]!.size);

    // The local console shows the manifest from its readable name.
    const files = (await (await fetch(new URL(`console/api/files?arn=${encodeURIComponent(e.executionArn)}`, h.cloud.consoleUrl))).json()) as { artifacts: string[]; manifest?: { files: Array<{ uri: string }> } };
    expect(files.artifacts).toEqual(summary.artifacts);
    expect(files.manifest?.files.map((f) => f.uri)).toEqual(summary.files.map((f) => f.uri));
  });

  it('finishes when VerifyRecording is retried after it deleted one original and failed on the next', async () => {
    let deletes = 0;
    h.cloud.router.faults.add({ operation: 'DeleteObject', error: 'InternalError', where: () => ++deletes === 2 });
    const e = await record(h, { meeting: { externalMeetingId: 'retro' }, output: { fileName: 'retries/{executionName}/{artifact}' } });
    expect([e.status, e.error]).toEqual(['SUCCEEDED', undefined]);
    expect(verifyFailures(e)).toEqual(['ServiceBusy']);
    expect(h.cloud.router.faults.hits()).toEqual([{ operation: 'DeleteObject', error: 'InternalError', hits: 1 }]);
    expect(await keysUnder(`retries/${e.name}/`)).toEqual(['audio.mp4', 'composited-video.mp4', 'meeting-events.txt', 'recording.json'].map((n) => `retries/${e.name}/${n}`));
    expect(await keysUnder(`recordings/${e.name}/`)).toEqual([]);
    const summary = output<RecordingSummary>(e);
    expect(summary.files.map((f) => f.uri)).toEqual(['audio.mp4', 'composited-video.mp4', 'meeting-events.txt'].map((n) => `s3://${bucket()}/retries/${e.name}/${n}`));
    await expectFilesAt(summary, `retries/${e.name}/`);
    for (const f of summary.files.filter((x) => x.artifact !== 'meeting-events')) expect(f.durationSeconds).toBeGreaterThanOrEqual(55);
  });

  it('finishes when VerifyRecording is retried after one file was copied and the next copy failed', async () => {
    let copies = 0;
    h.cloud.router.faults.add({ operation: 'CopyObject', error: 'SlowDown', where: () => ++copies === 2 });
    const e = await record(h, { meeting: {}, output: { fileName: 'copies/{executionName}-{artifact}' } });
    expect([e.status, e.error]).toEqual(['SUCCEEDED', undefined]);
    expect(verifyFailures(e)).toEqual(['ServiceBusy']);
    expect(h.cloud.router.faults.hits()).toEqual([{ operation: 'CopyObject', error: 'SlowDown', hits: 1 }]);
    expect(await keysUnder(`copies/${e.name}-`)).toEqual(['audio.mp4', 'composited-video.mp4', 'meeting-events.txt', 'recording.json'].map((n) => `copies/${e.name}-${n}`));
    expect(await keysUnder(`recordings/${e.name}/`)).toEqual([]);
    await expectFilesAt(output<RecordingSummary>(e), `copies/${e.name}-`);
  });

  it("never overwrites another recording's file: FileNameTaken names output.fileName and the fix, and the originals stay", async () => {
    const fileName = 'shared/{externalMeetingId}-{artifact}';
    const first = await record(h, { meeting: { externalMeetingId: 'weekly' }, output: { fileName } });
    expect(first.status).toBe('SUCCEEDED');
    const before = (await h.cloud.s3.getObject(bucket(), 'shared/weekly-audio.mp4'))!;

    const second = await record(h, { meeting: { externalMeetingId: 'weekly' }, output: { fileName } });
    expect(second.status).toBe('FAILED');
    expect(second.error).toBe('FileNameTaken');
    expect(second.cause).toContain('output.fileName names files that already exist and are not this recording');
    expect(second.cause).toContain(`s3://${bucket()}/shared/weekly-audio.mp4 (recording ${first.executionArn})`);
    expect(second.cause).toContain('Add {executionName} to output.fileName');
    // The first recording's files are untouched; the second's are where the concatenation wrote them.
    expect((await h.cloud.s3.getObject(bucket(), 'shared/weekly-audio.mp4'))!.equals(before)).toBe(true);
    expect(await keysUnder('shared/')).toEqual(['shared/weekly-audio.mp4', 'shared/weekly-composited-video.mp4', 'shared/weekly-meeting-events.txt', 'shared/weekly-recording.json']);
    const kept = await keysUnder(`recordings/${second.name}/`);
    expect(kept.map((k) => k.split('/').slice(2, 3)[0])).toEqual(['audio', 'composited-video', 'meeting-events']);
    expect(cleanupSummary(second).rawChunks.kept).toBe(true);
  });

  it('without output.fileName leaves the pipeline-id named files and recording.json where the concatenation wrote them', async () => {
    const e = await record(h, { meeting: {} });
    expect(e.status).toBe('SUCCEEDED');
    const keys = await keysUnder(`recordings/${e.name}/`);
    const id = output<RecordingSummary>(e).concatenationPipelineId;
    expect(keys).toEqual([`audio/${id}.mp4`, `composited-video/${id}.mp4`, `meeting-events/${id}.txt`, 'recording.json'].map((k) => `recordings/${e.name}/${k}`));
    expect(output<RecordingSummary>(e).artifacts).toEqual(keys.slice(0, 3).map((k) => `s3://${bucket()}/${k}`));
  });
});
