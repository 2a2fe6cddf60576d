import { GetMediaPipelineCommand, type ChimeSDKMediaPipelinesClient, type MediaPipeline } from '@aws-sdk/client-chime-sdk-media-pipelines';
import { isNotFound } from './errors';

/** What the pipeline is doing, as far as anyone can tell: `Gone` when GetMediaPipeline no longer finds it. */
export type PipelineState = 'Running' | 'Stopped' | 'Failed' | 'Gone';

/** A media pipeline's state (any kind: GetMediaPipeline answers each under its own member). */
export async function pipelineState(pipelines: ChimeSDKMediaPipelinesClient, id: string): Promise<PipelineState> {
  let pipeline: MediaPipeline | undefined;
  try {
    pipeline = (await pipelines.send(new GetMediaPipelineCommand({ MediaPipelineId: id }))).MediaPipeline;
  } catch (err) {
    if (isNotFound(err)) return 'Gone';
    throw err;
  }
  const status = pipeline?.MediaConcatenationPipeline?.Status ?? pipeline?.MediaCapturePipeline?.Status ?? pipeline?.MediaLiveConnectorPipeline?.Status;
  return status === 'Stopped' ? 'Stopped' : status === 'Failed' ? 'Failed' : 'Running';
}
