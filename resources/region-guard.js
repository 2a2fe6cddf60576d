'use strict';

/**
 * A local Serverless Framework plugin: `serverless package` and `serverless deploy` refuse, before
 * anything is built, a region where this stack cannot work. The stack creates meetings and media
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

class RegionGuard {
  constructor(serverless) {
    this.hooks = {
      // The first hook of every command, before any packaging step runs.
      initialize: () => {
        const [command] = serverless.processedInput.commands;
        if (command !== 'package' && command !== 'deploy') return;
        const problem = regionProblem(serverless.getProvider('aws').getRegion());
        if (problem) throw new serverless.classes.Error(problem);
      },
    };
  }
}

module.exports = RegionGuard;
module.exports.regionProblem = regionProblem;
