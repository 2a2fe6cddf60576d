import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mediaRegions, meetingControlOnlyRegions, stackRegions } from '../../functions/lib/regions.json';
import { ROOT } from '../fixtures/stack';

/**
 * The region guard (resources/region-guard.js): packaging or deploying to a region without both Chime SDK
 * control APIs fails at once, naming the regions that have them. Media regions stay a wider list.
 */
const { regionProblem, bucketWarning } = require('../../resources/region-guard.js') as {
  regionProblem: (region: string) => string | undefined;
  bucketWarning: (where: { cliParams?: string[]; configParams?: Record<string, Record<string, unknown>>; stage: string }) => string | undefined;
};

const SUPPORTED = stackRegions.join(', ');

/** `serverless package` in `region`, into a fresh directory; what it printed and whether it wrote anything. */
function packageIn(region: string): { status: number | null; output: string; wrote: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sls-guard-'));
  try {
    const run = spawnSync(path.join(ROOT, 'node_modules/.bin/serverless'), ['package', '--stage', 'ci', '--region', region, '--package', dir], {
      cwd: ROOT,
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDPACKAGE', AWS_SECRET_ACCESS_KEY: 'package', SLS_TELEMETRY_DISABLED: '1' },
      encoding: 'utf8',
    });
    return { status: run.status, output: `${run.stdout}${run.stderr}`.replace(/\s+/g, ' '), wrote: fs.readdirSync(dir) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('region guard', () => {
  it('lets the stack run where AWS offers both the meetings and the media pipelines APIs', () => {
    for (const region of stackRegions) expect({ region, problem: regionProblem(region) }).toEqual({ region, problem: undefined });
  });

  it('refuses any other region, naming the regions that work; a media region is still offered for hosting meetings', () => {
    for (const region of [...mediaRegions.aws, 'il-central-1', 'eu-south-2', 'cn-north-1'].filter((r) => !stackRegions.includes(r))) {
      const problem = regionProblem(region) ?? '';
      expect(problem).toContain(`Deploy to a region with both the Amazon Chime SDK meetings and media pipelines APIs: ${SUPPORTED} (https://docs.aws.amazon.com/chime-sdk/latest/dg/sdk-available-regions.html).`);
      expect(problem.includes(`"meeting": {"mediaRegion": "${region}"}`)).toBe(mediaRegions.aws.includes(region));
    }
    for (const region of meetingControlOnlyRegions.filter((r) => !r.startsWith('us-gov-'))) {
      expect(regionProblem(region)).toMatch(new RegExp(`^${region} has the Amazon Chime SDK meetings API but not the media pipelines API`));
    }
    expect(regionProblem('eu-west-1')).toMatch(/^eu-west-1 has neither the Amazon Chime SDK meetings API nor its media pipelines API\./);
  });

  it('refuses GovCloud, saying media pipelines are not available there', () => {
    for (const region of mediaRegions['aws-us-gov']) {
      expect(regionProblem(region)).toMatch(new RegExp(`^${region} is in AWS GovCloud \\(US\\), where Amazon Chime SDK media pipelines are not available .*govcloud-chime-sdk\\.html.*so it cannot run in GovCloud\\. Deploy to .*${SUPPORTED}`));
    }
  });

  it.each(['eu-west-1', 'us-gov-west-1'])('stops `serverless package --region %s` before anything is built', (region) => {
    const run = packageIn(region);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain(regionProblem(region));
    expect(run.wrote).toEqual([]);
  }, 60_000);
});

describe('default bucket warning', () => {
  const configParams = { default: { captureBucket: '', createBuckets: 'false' } };
  it('warns when neither a capture bucket nor createBuckets=true is given, naming both fixes', () => {
    const warning = bucketWarning({ cliParams: ['concatenationBucket=recordings'], configParams, stage: 'prod' }) ?? '';
    expect(warning).toContain('--param="createBuckets=true"');
    expect(warning).toContain('--param="captureBucket=NAME"');
  });

  it('is quiet with a capture bucket or created buckets, from the command line or the stage params', () => {
    expect(bucketWarning({ cliParams: ['captureBucket=mine'], configParams, stage: 'prod' })).toBeUndefined();
    expect(bucketWarning({ cliParams: ['createBuckets=true'], configParams, stage: 'prod' })).toBeUndefined();
    expect(bucketWarning({ configParams: { ...configParams, prod: { captureBucket: 'prod-capture' } }, stage: 'prod' })).toBeUndefined();
    expect(bucketWarning({ configParams: { ...configParams, prod: { captureBucket: 'prod-capture' } }, stage: 'dev' })).toBeDefined();
  });
});
