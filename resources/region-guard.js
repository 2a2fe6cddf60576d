'use strict';

/**
 * A local Serverless Framework plugin: `serverless package` and `serverless deploy` refuse, before
 * anything is built, a region where this stack cannot work, and warn when the stack would have no
 * default capture bucket (bucketWarning). The stack creates meetings and media
 * pipelines, so its region needs both Chime SDK control APIs; the lists and their sources are in
 * functions/lib/regions.json and functions/lib/regions.ts. Media regions (where a meeting is hosted,
 * `meeting.mediaRegion`) are a wider list, so a region refused here may still host the meetings.
 */
const { stackRegions, meetingControlOnlyRegions, mediaRegions } = require('../functions/lib/regions.json');

const REGIONS_PAGE = 'https://docs.aws.amazon.com/chime-sdk/latest/dg/sdk-available-regions.html';
const GOVCLOUD_PAGE = 'https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/govcloud-chime-sdk.html';

/** Why the stack cannot run in `region`, or undefined when it can. */
function regionProblem(region) {
  if (stackRegions.includes(region)) return undefined;
  const deployTo = `Deploy to a region with both the Amazon Chime SDK meetings and media pipelines APIs: ${stackRegions.join(', ')} (${REGIONS_PAGE}).`;
  if (region.startsWith('us-gov-')) {
    // The stack would derive the aws-us-gov partition everywhere; what it lacks there is the service.
    return `${region} is in AWS GovCloud (US), where Amazon Chime SDK media pipelines are not available ("The following Amazon Chime SDK features are not supported: Media Pipelines", ${GOVCLOUD_PAGE}); this stack records meetings with media pipelines, so it cannot run in GovCloud. ${deployTo}`;
  }
  const why = meetingControlOnlyRegions.includes(region)
    ? `${region} has the Amazon Chime SDK meetings API but not the media pipelines API this stack records with.`
    : `${region} has neither the Amazon Chime SDK meetings API nor its media pipelines API.`;
  const media = mediaRegions.aws.includes(region) ? ` Meetings can still be hosted in ${region}: deploy to one of those regions and start recordings with "meeting": {"mediaRegion": "${region}"}.` : '';
  return `${why} ${deployTo}${media}`;
}

/**
 * A param's value as the framework resolves `${param:name}`: a `--param="name=value"` option first, then
 * `params.<stage>`, then `params.default` (osls lib/configuration/variables/sources/instance-dependent/param.js).
 */
function paramValue(name, { cliParams = [], configParams = {}, stage }) {
  for (const item of cliParams) {
    const match = /^([^=]+)=(.+)$/.exec(item);
    if (match && match[1] === name) return match[2].trimEnd();
  }
  const staged = (configParams[stage] || {})[name];
  if (staged != null) return String(staged);
  const fallback = (configParams.default || {})[name];
  return fallback == null ? undefined : String(fallback);
}

/**
 * Why a stack packaged with these params has no default capture bucket, or undefined when it has one.
 * Such a stack still records requests that name `capture.bucket`, so this is a warning, not a refusal;
 * every other request would be refused (InvalidRequest at ValidateRequest, 400 from the API).
 */
function bucketWarning(where) {
  if (paramValue('createBuckets', where) === 'true' || paramValue('captureBucket', where)) return undefined;
  return (
    'No default capture bucket: neither --param="captureBucket=NAME" nor --param="createBuckets=true" was given, ' +
    'so every recording request must name capture.bucket, or it is refused (InvalidRequest; 400 from the API). ' +
    'Fix it with one of: --param="createBuckets=true" (the stack creates the capture and concatenation buckets; ' +
    'or set its CreateBuckets CloudFormation parameter to true when you deploy the template), or ' +
    '--param="captureBucket=NAME" [--param="concatenationBucket=NAME"] for buckets you own (see the README: Deploy).'
  );
}

class RegionGuard {
  constructor(serverless, options, utils) {
    const warn = (text) => (utils && utils.log ? utils.log.warning(text) : process.stderr.write(`Warning: ${text}\n`));
    this.hooks = {
      // The first hook of every command, before any packaging step runs.
      initialize: () => {
        const [command] = serverless.processedInput.commands;
        if (command !== 'package' && command !== 'deploy') return;
        const provider = serverless.getProvider('aws');
        const problem = regionProblem(provider.getRegion());
        if (problem) throw new serverless.classes.Error(problem);
        const warning = bucketWarning({ cliParams: [].concat(serverless.processedInput.options.param || []), configParams: serverless.configurationInput.params || {}, stage: provider.getStage() });
        if (warning) warn(warning);
      },
    };
  }
}

module.exports = RegionGuard;
module.exports.regionProblem = regionProblem;
module.exports.bucketWarning = bucketWarning;
