import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Browser, Page } from 'playwright-core';
import { record, start, startHarness, waitForState, type Harness } from '../../local/harness';

/**
 * The local console as a person sees it: a headless Chromium (Debian's `chromium` package, driven by
 * playwright-core; .ci/run installs it) opens the cloud's port while a recording runs under an injected
 * throttling fault, and reads the list, the graph, the calls and a downloaded file. Where no Chromium is
 * installed the browser tests are skipped, saying so; the test that no page or endpoint shows a stream
 * URL needs no browser and always runs.
 *
 * UPDATE_SCREENSHOTS=1 also saves the two pages into docs/ for the README.
 */
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && fs.existsSync(p));
const DOCS = path.resolve(__dirname, '../../docs');
const STREAM_KEY = 'sk_live_console_test_0123456789abcdef';
const STREAM_URL = `rtmps://live.example.com/app/${STREAM_KEY}`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const browserTests = CHROMIUM ? describe : describe.skip;
if (!CHROMIUM) process.stderr.write('console.test.ts: browser tests skipped: no Chromium at $CHROMIUM_PATH, /usr/bin/chromium or /usr/bin/chromium-browser (apt-get install chromium; .ci/run does)\n');

browserTests(`the console in Chromium (${CHROMIUM ?? 'not installed'})`, () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('lists a recording live, draws its graph with the retry and the final state, shows the throttled call, and downloads its files', async () => {
    await page.goto(h.cloud.consoleUrl);
    await page.locator('#recordings').waitFor();
    await page.locator('#live.on').waitFor();

    // The page is open before the recording starts: it must appear and finish without a reload.
    h.cloud.router.faults.add({ operation: 'CreateMediaCapturePipeline', error: 'ThrottledClientException', count: 1 });
    await page.locator('#faults li.changed', { hasText: 'CreateMediaCapturePipeline: ThrottledClientException' }).waitFor();
    const execution = await record(h, { meeting: { externalMeetingId: 'console-demo' } });
    expect(execution.status).toBe('SUCCEEDED');
    const row = page.locator(`#recordings tr[data-arn="${execution.executionArn}"]`);
    await row.and(page.locator('[data-status="SUCCEEDED"]')).waitFor();
    const meetingId = (JSON.parse(execution.output!) as { meetingId: string }).meetingId;
    await expect(row.textContent()).resolves.toContain(meetingId);
    await expect(row.textContent()).resolves.toContain('OnlyPipelineAttendeesRemain');
    if (process.env.UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: path.join(DOCS, 'console-recordings.png') });

    await row.locator('a').click();
    await page.locator('#graph svg').waitFor();
    const node = (state: string) => page.locator(`#graph g.node[data-state="${state}"]`);
    await expect(node('StartCapture').getAttribute('class')).resolves.toMatch(/\bretried\b/);
    await expect(node('StartCapture').getAttribute('class')).resolves.toMatch(/\bsucceeded\b/);
    await expect(node('RecordingSucceeded').getAttribute('class')).resolves.toMatch(/\bfinal\b/);
    await expect(node('RecordingFailed').getAttribute('class')).resolves.not.toMatch(/\bentered\b/);

    const throttled = page.locator('#calls tr[data-operation="CreateMediaCapturePipeline"][data-status="429"]');
    await expect(throttled.count()).resolves.toBe(1);
    await expect(throttled.textContent()).resolves.toMatch(/ThrottledClientException.*injected fault/);
    await expect(page.locator('#calls tr[data-operation="CreateMediaCapturePipeline"][data-status^="2"]').count()).resolves.toBe(1);
    // The meeting's events reached the meeting-event handler, whose calls are the recording's too.
    await expect(page.locator('#calls tr', { hasText: 'meetingEvents' }).count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('#history tr[data-type="ExecutionSucceeded"]').count()).resolves.toBe(1);

    const link = page.locator('#finished a.download').first();
    const key = (await link.getAttribute('data-key'))!;
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const downloaded = fs.readFileSync((await download.path())!);
    const bucket = h.deployment.concatenationBucket;
    expect(downloaded.equals(fs.readFileSync(h.cloud.s3.filePath(bucket, key)))).toBe(true);
    expect(download.suggestedFilename()).toBe(path.basename(key));
    if (process.env.UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: path.join(DOCS, 'console-recording.png') });
  });
});

describe('the console endpoints', () => {
  it('shows no stream URL or stream key on any page or endpoint', async () => {
    const secrets = new SecretsManagerClient(h.cloud.clientConfig());
    const { ARN: secretArn } = await secrets.send(new CreateSecretCommand({ Name: 'chime-recording/console-test', SecretString: STREAM_URL }));
    secrets.destroy();
    const streamed = await record(h, { meeting: { externalMeetingId: 'console-streamed' }, liveStream: { secretArn } });
    expect(streamed.status).toBe('SUCCEEDED');
    // The URL did reach Chime (so there was something to leak): the live connector got it.
    expect(h.cloud.router.log.some((c) => c.operation === 'CreateMediaLiveConnectorPipeline' && c.status < 300)).toBe(true);

    const base = h.cloud.consoleUrl;
    const get = async (route: string) => {
      const res = await fetch(new URL(route, base));
      expect(res.status).toBe(200);
      return res.text();
    };
    const pages = ['console/', 'console/static/app.js', 'console/api/recordings', 'console/api/faults', 'console/api/calls', 'console/api/events'];
    const { recordings } = JSON.parse(await get('console/api/recordings')) as { recordings: Array<{ executionArn: string }> };
    expect(recordings.map((r) => r.executionArn)).toContain(streamed.executionArn);
    for (const { executionArn } of recordings) {
      for (const api of ['recording', 'files', 'calls', 'events']) pages.push(`console/api/${api}?arn=${encodeURIComponent(executionArn)}`);
    }
    const files = JSON.parse(await get(`console/api/files?arn=${encodeURIComponent(streamed.executionArn)}`)) as { finished: { objects: Array<{ bucket: string; key: string }> } };
    for (const o of files.finished.objects) pages.push(`console/file/${o.bucket}/${o.key}`);
    for (const route of pages) {
      const text = await get(route);
      expect({ route, leaks: text.includes(STREAM_KEY) || /rtmps?:\/\/live/.test(text) }).toEqual({ route, leaks: false });
    }
  });

  it('shows a running execution in the state it waits in, running so far on the simulated clock', async () => {
    const e = await h.run(async () => {
      const started = await start(h, { meeting: { externalMeetingId: 'console-running' } });
      await waitForState(h, started, 'AwaitMeetingEnd');
      return started;
    });
    const arn = encodeURIComponent(e.executionArn);
    const list = (await (await fetch(new URL('console/api/recordings', h.cloud.consoleUrl))).json()) as { now: number; recordings: Array<{ executionArn: string; status: string; stopDate?: number }> };
    const row = list.recordings.find((r) => r.executionArn === e.executionArn);
    expect(row?.status).toBe('RUNNING');
    expect(row).not.toHaveProperty('stopDate');
    expect(list.now).toBe(h.cloud.clock.now());
    const rec = (await (await fetch(new URL(`console/api/recording?arn=${arn}`, h.cloud.consoleUrl))).json()) as { marks: Record<string, { current: boolean; final: boolean; succeeded: boolean }> };
    expect(rec.marks.AwaitMeetingEnd).toMatchObject({ current: true, final: false });
    expect(rec.marks.StartCapture).toMatchObject({ current: false, succeeded: true });
    expect(Object.entries(rec.marks).filter(([, m]) => m.current).map(([name]) => name)).toEqual(['AwaitMeetingEnd']);
    e.abort();
    await h.run(() => e.done);
    const stopped = (await (await fetch(new URL(`console/api/recording?arn=${arn}`, h.cloud.consoleUrl))).json()) as { execution: { status: string }; marks: Record<string, { current: boolean; final: boolean }> };
    expect(stopped.execution.status).toBe('ABORTED');
    expect(stopped.marks.AwaitMeetingEnd).toMatchObject({ current: false, final: true });
  });

  it('leaves an unsigned GET / that is not from a browser to the services', async () => {
    const res = await fetch(h.cloud.consoleUrl, { headers: { accept: '*/*' } });
    expect(res.headers.get('content-type')).not.toMatch(/html/);
    const page = await fetch(h.cloud.consoleUrl, { headers: { accept: 'text/html' } });
    await expect(page.text()).resolves.toContain('Local cloud console');
  });

  it('answers a missing execution ARN with what to pass, and an unknown one with 404', async () => {
    const res = await fetch(new URL('console/api/recording', h.cloud.consoleUrl));
    expect(res.status).toBe(400);
    await expect(res.text()).resolves.toMatch(/needs \?arn=<executionArn>/);
    const unknown = await fetch(new URL(`console/api/recording?arn=${encodeURIComponent('arn:aws:states:us-east-1:123456789012:execution:x:none')}`, h.cloud.consoleUrl));
    expect(unknown.status).toBe(404);
  });
});

describe('npm start --keep', () => {
  it('prints the console address, and keeps the cloud and its console up after the recording until SIGINT', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-keep-'));
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', 'local/start.ts', '--minutes', '1', '--keep', '--data-dir', dataDir], { cwd: path.resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      let out = '';
      const kept = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          const url = /stays up: console (\S+),/.exec(out)?.[1];
          if (url) resolve(url);
        });
        void exited.then((code) => reject(new Error(`npm start exited (${code}) before saying the cloud stays up; it printed:\n${out}`)));
      });
      expect(out).toMatch(/^console http:\/\/127\.0\.0\.1:\d+\/$/m);
      const { recordings } = (await (await fetch(new URL('console/api/recordings', kept))).json()) as { recordings: Array<{ status: string }> };
      expect(recordings.map((r) => r.status)).toEqual(['SUCCEEDED']);
    } finally {
      child.kill('SIGINT');
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    await expect(exited).resolves.toBe(0);
  });
});
