import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChimeSDKMeetingsClient, CreateMeetingCommand, GetMeetingCommand } from '@aws-sdk/client-chime-sdk-meetings';
import { medianInterval } from '../../../bench/stats';
import { phase } from '../../../bench/burst';
import { EventBus } from '../../../local/core/bus';
import { resolveBehaviours } from '../../../local/core/behaviours';
import { SimClock } from '../../../local/core/clock';
import type { CloudContext } from '../../../local/core/context';
import { InProcessHttpHandler } from '../../../local/core/in-process';
import { enforceChimeQuotas, quotaFloorSeconds, resolveChimeRateLimit, type ChimeQuotaScope, type ChimeRateLimit } from '../../../local/core/quotas';
import { Router } from '../../../local/core/server';
import { MeetingsService } from '../../../local/services/meetings';

/** Meetings behind the quota model, with a bucket of 2 and 1 request per simulated second. */
async function withQuota(scope: ChimeQuotaScope, work: (chime: ChimeSDKMeetingsClient, clock: SimClock) => Promise<void>): Promise<void> {
  const clock = new SimClock('virtual');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'quotas-test-'));
  const ctx: CloudContext = { clock, bus: new EventBus(clock, '123456789012', 'us-east-1'), account: '123456789012', region: 'us-east-1', dataDir, behaviours: resolveBehaviours() };
  const router = new Router('us-east-1', clock);
  router.register(new MeetingsService(ctx));
  enforceChimeQuotas(router, clock, resolveChimeRateLimit({ rate: 1, burst: 2, scope }) as Required<ChimeRateLimit>);
  const chime = new ChimeSDKMeetingsClient({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' }, maxAttempts: 1, requestHandler: new InProcessHttpHandler(router, 'us-east-1') });
  try {
    await work(chime, clock);
  } finally {
    chime.destroy();
    await router.close();
    clock.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const create = (chime: ChimeSDKMeetingsClient, token: string) => chime.send(new CreateMeetingCommand({ ClientRequestToken: token, MediaRegion: 'us-east-1', ExternalMeetingId: token }));

describe('Chime request quotas on simulated time', () => {
  it('per-service: every Meetings call draws from one bucket, refused with ThrottlingException (429) past it', async () => {
    await withQuota('per-service', async (chime) => {
      const meeting = (await create(chime, 'quota-1')).Meeting!;
      await chime.send(new GetMeetingCommand({ MeetingId: meeting.MeetingId }));
      const refused = await create(chime, 'quota-2').catch((err: { name: string; $metadata: { httpStatusCode: number } }) => err);
      expect(refused).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
    });
  });

  it('per-api: each Meetings operation has its own bucket, which refills at the rate on simulated time', async () => {
    await withQuota('per-api', async (chime, clock) => {
      await create(chime, 'quota-1');
      const meeting = (await create(chime, 'quota-2')).Meeting!;
      // CreateMeeting's bucket is empty; GetMeeting's is full.
      await chime.send(new GetMeetingCommand({ MeetingId: meeting.MeetingId }));
      await expect(create(chime, 'quota-3')).rejects.toMatchObject({ name: 'ThrottlingException' });
      await clock.run(clock.sleep(1000));
      await expect(create(chime, 'quota-3')).resolves.toMatchObject({ Meeting: { ExternalMeetingId: 'quota-3' } });
    });
  });

  it('the limit of a burst is (R*c - b)/q on the busiest bucket, per the scope', () => {
    const calls = [
      { service: 'meetings', operation: 'CreateMeeting' },
      { service: 'meetings', operation: 'GetMeeting' },
      { service: 'media-pipelines', operation: 'CreateMediaCapturePipeline' },
    ] as const;
    const service = resolveChimeRateLimit({ rate: 10, burst: 20, scope: 'per-service' });
    const api = resolveChimeRateLimit({ rate: 10, burst: 20, scope: 'per-api' });
    if (!service || !api) throw new Error('quota expected');
    expect(quotaFloorSeconds(100, [...calls], service)).toBe((200 - 20) / 10);
    expect(quotaFloorSeconds(100, [...calls], api)).toBe((100 - 20) / 10);
    expect(quotaFloorSeconds(10, [...calls], api)).toBe(0);
  });

  it('a burst phase is judged in request order, or, when all asked at once, in the order served: only idle quota while recordings wait fails it', () => {
    const quota = { rate: 1, burst: 1, scope: 'per-service' } as const;
    const needs = [{ service: 'media-pipelines', operation: 'CreateMediaConcatenationPipeline' }] as const;
    // Fair shares (x1.25 of the limit for a burst of k, plus 1 s): 1 s, 2.25 s, 3.5 s.
    const served = (...seconds: number[]) => seconds.map((s) => ({ from: 0, at: s * 1000 }));
    // Served 3rd, 1st, 2nd: the first to ask waited 3 s, past its 1 s.
    expect(phase(served(3, 1, 2), [...needs], quota, [])).toMatchObject({ unfair: 1, worstOverFairShareS: 2, verdict: { fair: false } });
    // Asked at once: the order is not anyone's to keep, and one served each second is the quota's pace.
    expect(phase(served(3, 1, 2), [...needs], quota, [], 'simultaneous')).toMatchObject({ unfair: 0, worstOverFairShareS: 0, verdict: { fair: true } });
    // A gap (nothing served from 2 s to 5 s while one waited) fails either way.
    expect(phase(served(1, 2, 5), [...needs], quota, [], 'simultaneous')).toMatchObject({ unfair: 1, worstOverFairShareS: 1.5, verdict: { fair: false } });
    expect(phase([...served(1, 2), undefined], [...needs], quota, [], 'simultaneous')).toMatchObject({ unfair: 1, verdict: { fair: false, last: false } });
  });

  it('the median interval of the bench verdicts is the order statistics covering 95%', () => {
    expect(medianInterval(Array.from({ length: 31 }, (_, i) => 31 - i))).toEqual({ median: 16, low: 10, high: 22 });
    expect(medianInterval([3, 1, 2])).toEqual({ median: 2, low: 1, high: 3 });
  });
});
