import { mediaRegions } from './regions.json';

/**
 * Chime SDK regions, as AWS documents them (the lists are in ./regions.json, which the packaging guard
 * resources/region-guard.js reads too):
 * - stackRegions: control regions with both the Meetings and the Media Pipelines APIs, the only ones this
 *   stack can run in ("Available AWS Regions for the Amazon Chime SDK",
 *   https://docs.aws.amazon.com/chime-sdk/latest/dg/sdk-available-regions.html, and the General
 *   Reference's endpoints, https://docs.aws.amazon.com/general/latest/gr/chime-sdk.html; botocore's
 *   endpoints.json agrees);
 * - meetingControlOnlyRegions: meeting control without a media pipelines API (af-south-1, il-central-1,
 *   and AWS GovCloud (US), where "Media Pipelines (media-pipelines-chime)" are "not supported":
 *   https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/govcloud-chime-sdk.html);
 * - mediaRegions: where CreateMeeting can host a meeting (its MediaRegion values), per partition: "A
 *   control Region can create a meeting in any media Region in the same AWS partition", and GovCloud
 *   control regions only in GovCloud ones. A wider list than stackRegions.
 */
const MEDIA_REGIONS_BY_PARTITION: Readonly<Record<string, readonly string[]>> = mediaRegions;

/** Every media region of every partition, as the request schema's enum. */
export const MEDIA_REGIONS = [...mediaRegions.aws, ...mediaRegions['aws-us-gov']] as [string, ...string[]];

/** Media regions a control region of `partition` can create meetings in. */
export function mediaRegionsIn(partition: string): readonly string[] {
  return MEDIA_REGIONS_BY_PARTITION[partition] ?? [];
}
