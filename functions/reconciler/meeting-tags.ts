import { ListTagsForResourceCommand, type ChimeSDKMeetingsClient, type Tag } from '@aws-sdk/client-chime-sdk-meetings';

/**
 * A meeting's tags (Chime SDK Meetings' ListTagsForResource). In a file of its own because the media
 * pipelines client has a command of the same name, which reconciler.ts uses.
 */
export async function meetingTags(client: ChimeSDKMeetingsClient, meetingArn: string): Promise<Tag[] | undefined> {
  return (await client.send(new ListTagsForResourceCommand({ ResourceARN: meetingArn }))).Tags;
}
