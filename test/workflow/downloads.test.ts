import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { policyToApply, requiredGrants } from '../../functions/lib/bucket-policy';
import { output, record, startHarness, type Harness } from '../../local/harness';
import { callApi } from '../fixtures/sigv4';

/**
 * Download links as a person gets them: GET /recordings/{id} of a finished recording (SigV4-signed, as
 * the API requires) answers a presigned URL per file, which plain HTTP with no credentials fetches from
 * the local cloud's S3 until it expires (the stack's downloadLinkSeconds, on simulated time).
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

interface Download {
  uri: string;
  url: string;
  expiresAt: string;
}

describe('download links', () => {
  it('returns each finished file to anyone holding its link, until the link expires', async () => {
    const e = await record(h, { meeting: {} });
    expect(e.status).toBe('SUCCEEDED');
    const { artifacts } = output<{ artifacts: string[] }>(e);

    const answer = await callApi(h.deployment.apiUrl, 'GET', `/recordings/${e.name}`);
    expect(answer.status).toBe(200);
    const downloads = answer.body.downloads as Download[];
    expect(downloads.map((d) => d.uri)).toEqual(artifacts);
    const seconds = Number(process.env.DOWNLOAD_LINK_SECONDS);
    expect(seconds).toBe(3600);

    for (const d of downloads) {
      expect(Date.parse(d.expiresAt) - h.cloud.clock.now()).toBeLessThanOrEqual(seconds * 1000);
      const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(d.uri)!;
      // Only the finished files' bucket: the links are for the concatenation's output.
      expect(bucket).toBe(h.deployment.concatenationBucket);
      const res = await fetch(d.url);
      expect({ uri: d.uri, status: res.status }).toEqual({ uri: d.uri, status: 200 });
      expect(Buffer.from(await res.arrayBuffer()).equals((await h.cloud.s3.getObject(bucket!, key!))!)).toBe(true);
    }

    // The same links once downloadLinkSeconds have passed on the cloud's clock.
    await h.run(() => h.cloud.clock.sleep(seconds * 1000 + 1000));
    for (const d of downloads) {
      const res = await fetch(d.url);
      expect(res.status).toBe(403);
      expect(await res.text()).toMatch(/<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
    }
    // Asking again gives fresh links.
    const again = (await callApi(h.deployment.apiUrl, 'GET', `/recordings/${e.name}`)).body.downloads as Download[];
    const fresh = await fetch(again[0]!.url);
    expect(fresh.status).toBe(200);
    expect((await fresh.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });

  it('signs the links of a meeting hosted in another region for its buckets\' region, where S3 serves them', async () => {
    const bucket = 'dublin-recordings';
    const dublin = new S3Client({ ...h.cloud.clientConfig(), region: 'eu-west-1' });
    try {
      await dublin.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
      const grants = requiredGrants(bucket, { captureSink: true, concatenationSink: true }, 'aws');
      await dublin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policyToApply(undefined, grants, { account: h.cloud.ctx.account, partition: 'aws' })) }));
    } finally {
      dublin.destroy();
    }
    const e = await record(h, { meeting: { mediaRegion: 'eu-west-1' }, capture: { bucket }, concatenation: { bucket } });
    expect(e.status).toBe('SUCCEEDED');
    const downloads = (await callApi(h.deployment.apiUrl, 'GET', `/recordings/${e.name}`)).body.downloads as Download[];
    expect(downloads.length).toBeGreaterThan(0);
    for (const d of downloads) {
      // The stack is in us-east-1; a link signed for it would be refused (PermanentRedirect) by the bucket.
      expect(new URL(d.url).searchParams.get('X-Amz-Credential')).toMatch(/\/eu-west-1\/s3\/aws4_request$/);
      const res = await fetch(d.url);
      expect({ uri: d.uri, status: res.status }).toEqual({ uri: d.uri, status: 200 });
      await res.arrayBuffer();
    }
  });
});
